/**
 * Reading and writing Ed25519 keys (docs/SIGNING.md, "Key formats").
 *
 * Private keys: PKCS#8 PEM ("PRIVATE KEY") or DER, as `openssl genpkey -algorithm ed25519` writes them;
 * PKCS#8 encrypted with a passphrase ("ENCRYPTED PRIVATE KEY") when the caller gives the passphrase.
 * Public keys: SubjectPublicKeyInfo PEM ("PUBLIC KEY") or DER, 32 raw bytes, or 64 hex digits; a private
 * key is accepted too and its public key derived. Key bytes never appear in error messages.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { describeForeignPemLabel, wrongAlgorithmError } from './algorithms.js';
import { DerTag, expectElement, readChildren, type DerElement } from './der.js';
import { SEED_LENGTH, publicKeyFromSeed, publicKeyProblem } from './ed25519.js';
import { sha256, toHex } from './hash.js';
import { bareLabel, decodePemBlocks, encodePem, looksLikePem, quoteLabel, type PemBlock } from './pem.js';
import { encodePkcs8, isEncryptedPkcs8, parsePkcs8Children, type Ed25519PrivateKey } from './pkcs8.js';
import { encodeSpki, parseSpkiChildren } from './spki.js';

export type { Ed25519PrivateKey } from './pkcs8.js';

export interface KeyReadOptions {
  /** Names the input in error messages, e.g. the file name. */
  source?: string;
  /** Passphrase of an encrypted PKCS#8 key; without it such a key is refused. */
  passphrase?: string;
}

const PRIVATE_LABEL = 'PRIVATE KEY';
const ENCRYPTED_LABEL = 'ENCRYPTED PRIVATE KEY';
const PUBLIC_LABEL = 'PUBLIC KEY';
const KEY_ID_LENGTH = 8;

// ---- writing ----

export function encodePrivateKeyDer(seed: Uint8Array): Uint8Array {
  return encodePkcs8(seed);
}

/** PKCS#8 PEM, byte for byte what `openssl pkey` writes for the same key. */
export function encodePrivateKeyPem(seed: Uint8Array): string {
  return encodePem(PRIVATE_LABEL, encodePkcs8(seed));
}

export function encodePublicKeyDer(publicKey: Uint8Array): Uint8Array {
  return encodeSpki(publicKey);
}

/** SubjectPublicKeyInfo PEM, byte for byte what `openssl pkey -pubout` writes. */
export function encodePublicKeyPem(publicKey: Uint8Array): string {
  return encodePem(PUBLIC_LABEL, encodeSpki(publicKey));
}

/** A new key from a cryptographically secure source (node:crypto randomBytes unless one is given). */
export function generatePrivateKey(random: (size: number) => Uint8Array = randomBytes): Ed25519PrivateKey {
  const seed = new Uint8Array(random(SEED_LENGTH));
  if (seed.length !== SEED_LENGTH) throw new InvalidInputError(`random source gave ${seed.length} bytes, not ${SEED_LENGTH}`);
  return { seed, publicKey: publicKeyFromSeed(seed) };
}

// ---- key id ----

/** Key id: the first 8 bytes of SHA-256 over the 32-byte raw public key (docs/SIGNING.md, "Key id"). */
export function keyId(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new InvalidInputError(`Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
  return sha256(publicKey).slice(0, KEY_ID_LENGTH);
}

/** The key id as 16 lowercase hex digits, the form the CLI prints. */
export function keyIdHex(publicKey: Uint8Array): string {
  return toHex(keyId(publicKey));
}

// ---- reading ----

/** True when the input is a passphrase-protected PKCS#8 key (PEM or DER). */
export function isEncryptedPrivateKey(input: Uint8Array): boolean {
  try {
    if (looksLikePem(input)) return decodePemBlocks(input, 'key').some((block) => block.label === ENCRYPTED_LABEL);
    return input[0] === DerTag.sequence && isEncryptedPkcs8(readTopSequence(input, 'key'));
  } catch {
    return false;
  }
}

/** True when the input holds private key material (so its file must not be readable by others). */
export function holdsPrivateKey(input: Uint8Array): boolean {
  try {
    if (looksLikePem(input)) return decodePemBlocks(input, 'key').some((block) => block.label.endsWith(PRIVATE_LABEL));
    if (input[0] !== DerTag.sequence) return false;
    const children = readTopSequence(input, 'key');
    return children[0]?.tag === DerTag.integer || isEncryptedPkcs8(children);
  } catch {
    return false;
  }
}

export function parsePrivateKey(input: Uint8Array, options: KeyReadOptions = {}): Ed25519PrivateKey {
  const what = options.source ?? 'private key';
  checkNotEmpty(input, what);
  if (looksLikePem(input)) {
    const block = selectPemBlock(input, what);
    if (block.label === PUBLIC_LABEL) throw new InvalidInputError(`${what}: this is a public key (PUBLIC KEY); signing needs the private key`);
    if (block.label !== PRIVATE_LABEL && block.label !== ENCRYPTED_LABEL) {
      throw new InvalidInputError(`${what}: PEM label ${quoteLabel(block.label)} is not a private key; expected "${PRIVATE_LABEL}" (PKCS#8)`);
    }
    return parsePrivateKeyDer(block.der, what, options);
  }
  if (input[0] === DerTag.sequence) return parsePrivateKeyDer(input, what, options);
  throw new InvalidInputError(`${what}: not a PEM or DER private key (expected PKCS#8 "${PRIVATE_LABEL}")`);
}

/** The 32-byte public key from any accepted public or private key form, checked to be a usable point. */
export function parsePublicKey(input: Uint8Array, options: KeyReadOptions = {}): Uint8Array {
  const what = options.source ?? 'public key';
  checkNotEmpty(input, what);
  const publicKey = readAnyPublicKey(input, what, options);
  const problem = publicKeyProblem(publicKey);
  if (problem) throw new InvalidInputError(`${what}: the Ed25519 public key ${problem}`);
  return publicKey;
}

function readAnyPublicKey(input: Uint8Array, what: string, options: KeyReadOptions): Uint8Array {
  if (input.length === 32) return new Uint8Array(input);
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  // 64 hex digits, with or without a 0x prefix (a prefixed key was read as DER and refused as "truncated").
  const hex = /^\s*(?:0[xX])?([0-9a-fA-F]{64})\s*$/.exec(text);
  if (hex) return new Uint8Array(Buffer.from(hex[1]!, 'hex'));
  if (looksLikePem(input)) {
    const block = selectPemBlock(input, what);
    if (block.label === PUBLIC_LABEL) return parseSpkiChildren(readTopSequence(block.der, what), what);
    if (block.label === PRIVATE_LABEL || block.label === ENCRYPTED_LABEL) return parsePrivateKeyDer(block.der, what, options).publicKey;
    throw new InvalidInputError(`${what}: PEM label ${quoteLabel(block.label)} is not a key; expected "${PUBLIC_LABEL}" (SubjectPublicKeyInfo)`);
  }
  if (input[0] === DerTag.sequence) {
    const children = readTopSequence(input, what);
    const looksPrivate = children[0]?.tag === DerTag.integer || isEncryptedPkcs8(children);
    return looksPrivate ? parsePrivateKeyDer(input, what, options).publicKey : parseSpkiChildren(children, what);
  }
  if (text.startsWith('ssh-')) throw new InvalidInputError(`${what}: OpenSSH public key lines are not supported; ${PUBLIC_FORMS}`);
  throw new InvalidInputError(`${what}: not a public key (${input.length} bytes); ${PUBLIC_FORMS}`);
}

const PUBLIC_FORMS = 'expected SubjectPublicKeyInfo PEM or DER, 32 raw bytes, or 64 hex digits';

function checkNotEmpty(input: Uint8Array, what: string): void {
  if (input.length === 0) throw new InvalidInputError(`${what}: the key is empty`);
}

function parsePrivateKeyDer(der: Uint8Array, what: string, options: KeyReadOptions): Ed25519PrivateKey {
  const children = readTopSequence(der, what);
  if (isEncryptedPkcs8(children)) return parsePrivateKeyDer(decryptPkcs8(der, what, options.passphrase), what, {});
  if (children[0]?.tag === DerTag.sequence && children[1]?.tag === DerTag.bitString) {
    throw new InvalidInputError(`${what}: this is a public key (SubjectPublicKeyInfo); signing needs the private key`);
  }
  return parsePkcs8Children(children, what);
}

/** The outer SEQUENCE must span the whole input: trailing bytes mean a damaged or concatenated file. */
function readTopSequence(der: Uint8Array, what: string): DerElement[] {
  const top = expectElement(der, 0, DerTag.sequence, what);
  if (top.end !== der.length) throw new InvalidInputError(`${what}: ${der.length - top.end} unexpected bytes after the DER structure (offset ${top.end})`);
  return readChildren(top, what);
}

/** PBES2 and friends (RFC 8018) are left to OpenSSL through node:crypto; the result is parsed strictly. */
function decryptPkcs8(der: Uint8Array, what: string, passphrase: string | undefined): Uint8Array {
  if (passphrase === undefined) {
    throw new InvalidInputError(`${what}: the private key is encrypted (${ENCRYPTED_LABEL}) and no passphrase was given`);
  }
  try {
    const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8', passphrase });
    return new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
  } catch {
    throw new InvalidInputError(`${what}: cannot decrypt the private key (wrong passphrase or unsupported encryption)`);
  }
}

/** The one key block of a PEM file; EC PARAMETERS blocks (from `openssl ecparam -genkey`) are skipped. */
function selectPemBlock(input: Uint8Array, what: string): PemBlock {
  const blocks = decodePemBlocks(input, what).filter((block) => block.label !== 'EC PARAMETERS');
  for (const block of blocks) {
    const foreign = describeForeignPemLabel(block.label);
    if (foreign) throw wrongAlgorithmError(what, foreign);
  }
  if (blocks.length === 0) throw new InvalidInputError(`${what}: no complete PEM block found`);
  if (blocks.length > 1) {
    throw new InvalidInputError(`${what}: ${blocks.length} PEM blocks (${blocks.map((b) => bareLabel(b.label)).join(', ')}); expected exactly one key`);
  }
  const block = blocks[0]!;
  if (block.hasHeaders) throw new InvalidInputError(`${what}: PEM headers (legacy OpenSSL encryption) are not supported; use PKCS#8`);
  return block;
}
