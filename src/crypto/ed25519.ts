/**
 * Ed25519 (RFC 8032 section 5.1) through @noble/ed25519 v3, with SHA-512 from node:crypto.
 * Verification is strict (RFC 8032 section 5.1.7 with the library's `zip215: false` branch): S must be
 * below the group order L, R and A must be canonical encodings, and small-order public keys are refused.
 */
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { InvalidInputError } from '../errors.js';

// The synchronous API needs a SHA-512 hook (noble v3 README, "hashes"); set it once for the process.
ed.hashes.sha512 = (message: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(createHash('sha512').update(message).digest());

export const SEED_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const STRICT = { zip215: false } as const;

function checkSeed(seed: Uint8Array): void {
  if (seed.length !== SEED_LENGTH) throw new InvalidInputError(`Ed25519 private key seed must be ${SEED_LENGTH} bytes, got ${seed.length}`);
}

/** The 32-byte public key A of RFC 8032 section 5.1.5 for a 32-byte private key seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  checkSeed(seed);
  return ed.getPublicKey(seed);
}

/** A 64-byte signature R || S over `message` (RFC 8032 section 5.1.6); deterministic. */
export function signDetached(message: Uint8Array, seed: Uint8Array): Uint8Array {
  checkSeed(seed);
  return ed.sign(message, seed);
}

/**
 * Strict RFC 8032 verification. Returns false (never throws) for a wrong signature, a signature or
 * public key of the wrong length, a non-canonical encoding, S >= L, or a small-order public key.
 */
export function verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  try {
    return ed.verify(signature, message, publicKey, STRICT);
  } catch {
    return false;
  }
}

/** Why a 32-byte string cannot serve as a public key, or undefined when it can. */
export function publicKeyProblem(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return `is ${publicKey.length} bytes, not ${PUBLIC_KEY_LENGTH}`;
  let point: ed.Point;
  try {
    point = ed.Point.fromBytes(publicKey, false);
  } catch {
    return 'is not the canonical encoding of a point on edwards25519';
  }
  if (point.isSmallOrder()) return 'is a small-order point, which strict verification refuses';
  return undefined;
}
