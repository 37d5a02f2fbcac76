/**
 * The patch file: header, tables (sectioned layout), compressed payload, and an optional signature trailer
 * (docs/FORMAT.md).
 * Signing appends the trailer and changes no other byte, so the bytes a signer covers are the same before and
 * after signing, and a signature made elsewhere (an HSM, a signing service) can be attached later.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { decodeHeader, type PatchHeader } from './header.js';

export const SIGNATURE_TYPE_ED25519 = 1;
export const KEY_ID_LENGTH = 8;
export const SIGNATURE_LENGTH = 64;
/** type (1) + key id (8) + Ed25519 signature (64). */
export const SIGNATURE_TRAILER_LENGTH = 1 + KEY_ID_LENGTH + SIGNATURE_LENGTH;
/** Domain separation for the signed message, so a smartdelta signature cannot be replayed as anything else. */
export const SIGNING_DOMAIN = new TextEncoder().encode('smartdelta/patch/v2');

export interface SignatureTrailer {
  type: number;
  keyId: Uint8Array;
  signature: Uint8Array;
}

export interface ParsedPatch {
  header: PatchHeader;
  headerLength: number;
  /** The tables section (empty in the interleaved layout). */
  tables: Uint8Array;
  payload: Uint8Array;
  /** Header, tables and payload: the bytes whose SHA-256 the signature covers. */
  body: Uint8Array;
  signature?: SignatureTrailer;
}

/** The length of header + tables + payload; throws when the file is shorter. */
export function bodyLengthOf(bytes: Uint8Array, header: PatchHeader, headerLength: number): number {
  const bodyLength = headerLength + header.tablesLength + header.payloadLength;
  if (bytes.length < bodyLength) {
    throw new InvalidInputError(
      `patch is truncated: the header declares ${header.tablesLength} bytes of tables and a ${header.payloadLength}-byte payload, ` +
        `only ${bytes.length - headerLength} bytes follow the header`,
    );
  }
  return bodyLength;
}

export function parsePatch(bytes: Uint8Array): ParsedPatch {
  const { header, length } = decodeHeader(bytes);
  const bodyLength = bodyLengthOf(bytes, header, length);
  const payloadStart = length + header.tablesLength;
  const parsed: ParsedPatch = {
    header,
    headerLength: length,
    tables: bytes.subarray(length, payloadStart),
    payload: bytes.subarray(payloadStart, bodyLength),
    body: bytes.subarray(0, bodyLength),
  };
  const trailer = bytes.length - bodyLength;
  if (trailer === 0) return parsed;
  if (trailer !== SIGNATURE_TRAILER_LENGTH) {
    throw new InvalidInputError(
      `patch has ${trailer} bytes after its payload; a signature block is exactly ${SIGNATURE_TRAILER_LENGTH} bytes (truncated or extended file?)`,
    );
  }
  const type = bytes[bodyLength]!;
  if (type !== SIGNATURE_TYPE_ED25519) throw new InvalidInputError(`unknown signature type ${type} (1 = Ed25519)`);
  parsed.signature = {
    type,
    keyId: new Uint8Array(bytes.subarray(bodyLength + 1, bodyLength + 1 + KEY_ID_LENGTH)),
    signature: new Uint8Array(bytes.subarray(bodyLength + 1 + KEY_ID_LENGTH)),
  };
  return parsed;
}

/**
 * The exact message that is signed (docs/FORMAT.md, "Signature"):
 * "smartdelta/patch/v2" || key id (8 bytes) || SHA-256(header || tables || payload). 59 bytes.
 */
export function signingMessage(body: Uint8Array, keyId: Uint8Array): Uint8Array {
  if (keyId.length !== KEY_ID_LENGTH) throw new RangeError(`key id must be ${KEY_ID_LENGTH} bytes`);
  const digest = createHash('sha256').update(body).digest();
  const message = new Uint8Array(SIGNING_DOMAIN.length + KEY_ID_LENGTH + 32);
  message.set(SIGNING_DOMAIN, 0);
  message.set(keyId, SIGNING_DOMAIN.length);
  message.set(digest, SIGNING_DOMAIN.length + KEY_ID_LENGTH);
  return message;
}

/** Returns body || trailer; any previous signature is replaced. */
export function withSignature(body: Uint8Array, keyId: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) throw new RangeError(`an Ed25519 signature is ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
  const out = new Uint8Array(body.length + SIGNATURE_TRAILER_LENGTH);
  out.set(body, 0);
  out[body.length] = SIGNATURE_TYPE_ED25519;
  out.set(keyId, body.length + 1);
  out.set(signature, body.length + 1 + KEY_ID_LENGTH);
  return out;
}
