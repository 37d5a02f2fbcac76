/**
 * Ed25519 (RFC 8032 section 5.1) through @noble/ed25519 v3, with SHA-512 from node:crypto.
 * Verification is strict RFC 8032 section 5.1.7, written here on the library's point arithmetic: S must be
 * below the group order L, R and A must be canonical encodings, public keys of small order or with a
 * small-order component are refused, and the group equation is checked cofactorless, [S]B = R + [k]A, as
 * OpenSSL and device verifiers do (the library's `verify` multiplies it by 8, which also accepts an R or A
 * with a small-order component).
 */
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { InvalidInputError } from '../errors.js';

// The synchronous API needs a SHA-512 hook (noble v3 README, "hashes"); set it once for the process.
ed.hashes.sha512 = (message: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(createHash('sha512').update(message).digest());

export const SEED_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

/** The prime order L of the base point (RFC 8032 section 5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** [S]B = R + [k]A exactly, k = SHA-512(R || A || M) mod L; R must be canonical (fromBytes without ZIP-215 throws). */
function cofactorlessEquationHolds(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const R = ed.Point.fromBytes(signature.subarray(0, 32), false);
  const A = ed.Point.fromBytes(publicKey, false);
  const S = littleEndian(signature.subarray(32, 64));
  const k = littleEndian(createHash('sha512').update(signature.subarray(0, 32)).update(publicKey).update(message).digest()) % L;
  const right = k === 0n ? R : R.add(A.multiply(k, false));
  const left = S === 0n ? ed.Point.ZERO : ed.Point.BASE.multiply(S, false);
  return left.equals(right);
}

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
 * Strict, cofactorless RFC 8032 verification. Returns false (never throws) for a wrong signature, a signature
 * or public key of the wrong length, a non-canonical encoding, S >= L, a public key with a small-order
 * component, or an R whose small-order component only the cofactored equation would cancel.
 */
export function verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  if (publicKeyProblem(publicKey) !== undefined) return false;
  try {
    // S below L (S + L is the same value modulo L: malleability), then R canonical and the equation.
    if (littleEndian(signature.subarray(32, 64)) >= L) return false;
    return cofactorlessEquationHolds(signature, message, publicKey);
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
  // A + T with T of small order: OpenSSL and cofactorless device verifiers refuse what its owner signs.
  if (!point.isTorsionFree()) return 'has a small-order component (it is not in the prime-order subgroup), which strict verification refuses';
  return undefined;
}
