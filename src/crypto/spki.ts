/**
 * Ed25519 public keys in SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) as profiled by RFC 8410 section 4:
 * AlgorithmIdentifier { 1.3.101.112 } with no parameters, and a BIT STRING holding the 32-byte key.
 */
import { InvalidInputError } from '../errors.js';
import { ED25519_OID, algorithmName, wrongAlgorithmError } from './algorithms.js';
import { DerTag, decodeOid, readChildren, type DerElement } from './der.js';
import { PUBLIC_KEY_LENGTH } from './ed25519.js';

/** SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) } (RFC 8410 section 10.1). */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export function encodeSpki(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new InvalidInputError(`Ed25519 public key must be ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`);
  }
  const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_LENGTH);
  der.set(SPKI_PREFIX);
  der.set(publicKey, SPKI_PREFIX.length);
  return der;
}

export interface AlgorithmIdentifier {
  oid: string;
  /** For EC keys, the named curve from the parameters. */
  curveOid?: string;
  hasParameters: boolean;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } (RFC 5280 4.1.1.2). */
export function readAlgorithmIdentifier(element: DerElement, what: string): AlgorithmIdentifier {
  if (element.tag !== DerTag.sequence) throw new InvalidInputError(`${what}: AlgorithmIdentifier is not a SEQUENCE`);
  const [oidElement, parameters, ...rest] = readChildren(element, `${what}: AlgorithmIdentifier`);
  if (!oidElement || oidElement.tag !== DerTag.oid) throw new InvalidInputError(`${what}: AlgorithmIdentifier has no OBJECT IDENTIFIER`);
  if (rest.length > 0) throw new InvalidInputError(`${what}: AlgorithmIdentifier has extra fields`);
  const oid = decodeOid(oidElement.content, `${what}: algorithm`);
  const curveOid = parameters?.tag === DerTag.oid ? decodeOid(parameters.content, `${what}: curve`) : undefined;
  return { oid, curveOid, hasParameters: parameters !== undefined };
}

/** Parses the children of a SubjectPublicKeyInfo SEQUENCE to the 32-byte public key. */
export function parseSpkiChildren(children: readonly DerElement[], what: string): Uint8Array {
  const [algorithm, key, ...rest] = children;
  if (!algorithm || !key || algorithm.tag !== DerTag.sequence) {
    throw new InvalidInputError(`${what}: not a SubjectPublicKeyInfo (expected SEQUENCE { AlgorithmIdentifier, BIT STRING })`);
  }
  const { oid, curveOid, hasParameters } = readAlgorithmIdentifier(algorithm, what);
  if (oid !== ED25519_OID) throw wrongAlgorithmError(what, `a public key for ${algorithmName(oid, curveOid)}`);
  if (hasParameters) throw new InvalidInputError(`${what}: Ed25519 AlgorithmIdentifier must have no parameters (RFC 8410 section 3)`);
  if (key.tag !== DerTag.bitString) throw new InvalidInputError(`${what}: subjectPublicKey is not a BIT STRING`);
  if (rest.length > 0) throw new InvalidInputError(`${what}: unexpected field after the subjectPublicKey`);
  const bits = key.content;
  if (bits.length !== PUBLIC_KEY_LENGTH + 1 || bits[0] !== 0) {
    const size = bits.length > 0 ? `${bits.length - 1} bytes with ${bits[0]} unused bits` : 'empty';
    throw new InvalidInputError(`${what}: Ed25519 public key must be ${PUBLIC_KEY_LENGTH} bytes with 0 unused bits, got ${size}`);
  }
  return bits.slice(1);
}
