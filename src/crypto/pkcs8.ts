/**
 * Ed25519 private keys in PKCS#8 (RFC 5208 PrivateKeyInfo, RFC 5958 OneAsymmetricKey) as profiled by
 * RFC 8410 section 7: the privateKey OCTET STRING holds CurvePrivateKey, itself an OCTET STRING of the
 * 32-byte seed. The encoding we write is the fixed 48-byte v1 form that `openssl genpkey` writes.
 */
import { InvalidInputError } from '../errors.js';
import { ED25519_OID, algorithmName, wrongAlgorithmError } from './algorithms.js';
import { DerTag, expectElement, readSmallInteger, type DerElement } from './der.js';
import { SEED_LENGTH, publicKeyFromSeed } from './ed25519.js';
import { readAlgorithmIdentifier } from './spki.js';

/** SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } } (RFC 8410 section 10.3). */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

export interface Ed25519PrivateKey {
  /** The 32-byte private key of RFC 8032 section 5.1.5 (the "seed"). Never print it. */
  seed: Uint8Array;
  /** The 32-byte public key derived from the seed. */
  publicKey: Uint8Array;
}

export function encodePkcs8(seed: Uint8Array): Uint8Array {
  if (seed.length !== SEED_LENGTH) throw new InvalidInputError(`Ed25519 private key seed must be ${SEED_LENGTH} bytes, got ${seed.length}`);
  const der = new Uint8Array(PKCS8_PREFIX.length + SEED_LENGTH);
  der.set(PKCS8_PREFIX);
  der.set(seed, PKCS8_PREFIX.length);
  return der;
}

/** True when the DER is an EncryptedPrivateKeyInfo (RFC 5958 section 3): SEQUENCE { AlgorithmIdentifier, OCTET STRING }. */
export function isEncryptedPkcs8(children: readonly DerElement[]): boolean {
  return children.length === 2 && children[0]!.tag === DerTag.sequence && children[1]!.tag === DerTag.octetString;
}

/** Parses the children of a private-key SEQUENCE; `what` prefixes error messages. */
export function parsePkcs8Children(children: readonly DerElement[], what: string): Ed25519PrivateKey {
  const [version, algorithm, privateKey, ...optional] = children;
  if (!version || version.tag !== DerTag.integer) {
    throw new InvalidInputError(`${what}: not a PKCS#8 private key (the DER SEQUENCE does not start with a version INTEGER)`);
  }
  // Legacy OpenSSL "traditional" formats start with an INTEGER too; their second field gives them away.
  if (algorithm?.tag === DerTag.integer) throw wrongAlgorithmError(what, 'an RSA private key (PKCS#1)');
  if (algorithm?.tag === DerTag.octetString) throw wrongAlgorithmError(what, 'an EC private key (SEC1)');
  const versionNumber = readSmallInteger(version);
  if (versionNumber !== 0 && versionNumber !== 1) {
    throw new InvalidInputError(`${what}: PKCS#8 version must be 0 or 1 (RFC 5958), got ${versionNumber ?? 'an unreadable INTEGER'}`);
  }
  if (!algorithm || !privateKey) throw new InvalidInputError(`${what}: PKCS#8 structure truncated (algorithm or key missing)`);
  const { oid, curveOid, hasParameters } = readAlgorithmIdentifier(algorithm, what);
  if (oid !== ED25519_OID) throw wrongAlgorithmError(what, `a private key for ${algorithmName(oid, curveOid)}`);
  if (hasParameters) throw new InvalidInputError(`${what}: Ed25519 AlgorithmIdentifier must have no parameters (RFC 8410 section 3)`);
  const seed = readCurvePrivateKey(privateKey, what);
  const publicKey = publicKeyFromSeed(seed);
  checkOptionalFields(optional, versionNumber, publicKey, what);
  return { seed, publicKey };
}

function readCurvePrivateKey(privateKey: DerElement, what: string): Uint8Array {
  if (privateKey.tag !== DerTag.octetString) throw new InvalidInputError(`${what}: PKCS#8 privateKey field is not an OCTET STRING`);
  const base = privateKey.end - privateKey.content.length;
  const inner = expectElement(privateKey.content, 0, DerTag.octetString, `${what}: CurvePrivateKey`, base);
  if (inner.end !== privateKey.end) throw new InvalidInputError(`${what}: trailing bytes after CurvePrivateKey`);
  if (inner.content.length !== SEED_LENGTH) {
    throw new InvalidInputError(`${what}: Ed25519 private key must be ${SEED_LENGTH} bytes, got ${inner.content.length}`);
  }
  return new Uint8Array(inner.content);
}

/** RFC 5958: [0] attributes (ignored), then [1] publicKey (version 1 only), which must match the seed. */
function checkOptionalFields(optional: readonly DerElement[], version: number, publicKey: Uint8Array, what: string): void {
  let index = 0;
  if (optional[index]?.tag === DerTag.context0) index++;
  const embedded = optional[index];
  if (embedded?.tag === DerTag.context1) {
    if (version !== 1) throw new InvalidInputError(`${what}: PKCS#8 version 0 key carries a public key field (needs version 1)`);
    const bits = embedded.content;
    if (bits.length !== publicKey.length + 1 || bits[0] !== 0 || !bits.subarray(1).every((b, i) => b === publicKey[i])) {
      throw new InvalidInputError(`${what}: the public key stored in the PKCS#8 key does not match its private key`);
    }
    index++;
  }
  if (index !== optional.length) throw new InvalidInputError(`${what}: unexpected field after the PKCS#8 private key`);
}
