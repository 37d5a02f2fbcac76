/**
 * Signing patches (docs/FORMAT.md, "Signature trailer"; docs/SIGNING.md, "Signing patches"): sign with a
 * private key, or hand the exact signed message to an external signer and attach the 64-byte signature it
 * returns. Signing appends or replaces the trailer and changes no other byte.
 */
import { CheckFailedError, InvalidInputError } from '../errors.js';
import { SIGNATURE_LENGTH, signDetached, verifyDetached } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hash.js';
import { keyId } from '../crypto/keys.js';
import type { Ed25519PrivateKey } from '../crypto/pkcs8.js';
import { decodeHeader, type PatchHeader } from './header.js';
import { bodyLengthOf, KEY_ID_LENGTH, SIGNATURE_TRAILER_LENGTH, SIGNATURE_TYPE_ED25519, parsePatch, signingMessage, withSignature } from './patch-file.js';

/** A patch cut at the end of its payload, without judging what follows (verify reports that as a check). */
export interface SplitPatch {
  header: PatchHeader;
  /** Header, tables and payload: the bytes the signature covers. */
  body: Uint8Array;
  /** Every byte after the payload: empty, a 73-byte signature trailer, or something malformed. */
  trailer: Uint8Array;
}

/** Decodes the header and finds the payload's end; throws InvalidInputError when the header or payload is broken. */
export function splitPatch(bytes: Uint8Array): SplitPatch {
  const { header, length } = decodeHeader(bytes);
  const bodyLength = bodyLengthOf(bytes, header, length);
  return { header, body: bytes.subarray(0, bodyLength), trailer: bytes.subarray(bodyLength) };
}

/** Why the bytes after the payload are not one well-formed Ed25519 trailer, or undefined when they are. */
export function trailerProblem(trailer: Uint8Array): string | undefined {
  if (trailer.length === 0) return 'absent: the patch is not signed';
  if (trailer.length < SIGNATURE_TRAILER_LENGTH) {
    return `truncated: ${trailer.length} bytes follow the payload, a signature block is exactly ${SIGNATURE_TRAILER_LENGTH}`;
  }
  if (trailer.length > SIGNATURE_TRAILER_LENGTH) {
    return `extended: ${trailer.length} bytes follow the payload, a signature block is exactly ${SIGNATURE_TRAILER_LENGTH} (bytes appended?)`;
  }
  if (trailer[0] !== SIGNATURE_TYPE_ED25519) return `unknown signature type ${trailer[0]} (1 = Ed25519)`;
  return undefined;
}

export function trailerKeyId(trailer: Uint8Array): Uint8Array {
  return trailer.subarray(1, 1 + KEY_ID_LENGTH);
}

export function trailerSignature(trailer: Uint8Array): Uint8Array {
  return trailer.subarray(1 + KEY_ID_LENGTH, SIGNATURE_TRAILER_LENGTH);
}

/** Signs header || tables || payload with the private key; an existing signature is replaced. */
export function signPatch(patchBytes: Uint8Array, privateKey: Ed25519PrivateKey): Uint8Array {
  const { body } = parsePatch(patchBytes);
  const id = keyId(privateKey.publicKey);
  return withSignature(body, id, signDetached(signingMessage(body, id), privateKey.seed));
}

/**
 * The exact 59 bytes an external signer (HSM, signing service, `openssl pkeyutl -sign -rawin`) must sign
 * for this patch and public key: "smartdelta/patch/v2" || key id || SHA-256(header || tables || payload).
 */
export function signingMessageFor(patchBytes: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return signingMessage(parsePatch(patchBytes).body, keyId(publicKey));
}

/**
 * Attaches a detached signature made elsewhere, after checking it: a signature that does not verify under
 * `publicKey` over this patch's message is refused (CheckFailedError), so a signed patch is never wrong.
 */
export function attachSignature(patchBytes: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) {
    throw new InvalidInputError(`an Ed25519 signature is ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
  }
  const { body } = parsePatch(patchBytes);
  const id = keyId(publicKey);
  if (!verifyDetached(signature, signingMessage(body, id), publicKey)) {
    throw new CheckFailedError(
      `the signature does not verify under the public key with key id ${toHex(id)} over this patch's signed message ` +
        '(signed another message or patch, or with another key?); nothing attached',
    );
  }
  return withSignature(body, id, signature);
}
