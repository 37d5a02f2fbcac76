import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed, publicKeyProblem, signDetached, verifyDetached } from '../../src/crypto/ed25519.js';
import { RFC8032_VECTORS } from './rfc8032-vectors.js';

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Group order L (RFC 8032 section 5.1) and field prime p. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

function littleEndian32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}
function readLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

describe('RFC 8032 section 7.1 test vectors', () => {
  it('the SHA(abc) vector message is SHA-512("abc") and TEST 1024 has 1023 bytes', () => {
    expect(RFC8032_VECTORS[4]!.message).toBe(createHash('sha512').update('abc').digest('hex'));
    expect(RFC8032_VECTORS[3]!.message.length / 2).toBe(1023);
  });

  for (const vector of RFC8032_VECTORS) {
    describe(vector.name, () => {
      const seed = fromHex(vector.secretKey);
      const message = fromHex(vector.message);
      const signature = fromHex(vector.signature);
      const publicKey = fromHex(vector.publicKey);

      it('derives the public key', () => {
        expect(toHex(publicKeyFromSeed(seed))).toBe(vector.publicKey);
      });
      it('signs to the published signature', () => {
        expect(toHex(signDetached(message, seed))).toBe(vector.signature);
      });
      it('verifies the published signature', () => {
        expect(verifyDetached(signature, message, publicKey)).toBe(true);
      });
      it('rejects the signature after any one-bit change of R, S or the message', () => {
        for (const index of [0, 17, 31, 32, 50, 63]) {
          const tampered = signature.slice();
          tampered[index]! ^= 0x01;
          expect(verifyDetached(tampered, message, publicKey)).toBe(false);
        }
        const longer = Uint8Array.of(...message, 0);
        expect(verifyDetached(signature, longer, publicKey)).toBe(false);
        if (message.length > 0) {
          const changed = message.slice();
          changed[message.length - 1]! ^= 0x80;
          expect(verifyDetached(signature, changed, publicKey)).toBe(false);
        }
      });
      it('rejects the signature under another vector\'s public key', () => {
        const other = RFC8032_VECTORS.find((v) => v !== vector)!;
        expect(verifyDetached(signature, message, fromHex(other.publicKey))).toBe(false);
      });
    });
  }
});

describe('strict verification (RFC 8032 section 5.1.7, zip215: false)', () => {
  const test1 = RFC8032_VECTORS[0]!;
  const publicKey = fromHex(test1.publicKey);
  const signature = fromHex(test1.signature);
  const empty = new Uint8Array(0);

  it('rejects a non-canonical S (S + L, same value modulo L)', () => {
    const s = readLittleEndian(signature.subarray(32));
    expect(s < L).toBe(true);
    const malleable = Uint8Array.of(...signature.subarray(0, 32), ...littleEndian32(s + L));
    expect(verifyDetached(malleable, empty, publicKey)).toBe(false);
  });

  it('rejects S with the top bits set', () => {
    const high = signature.slice();
    high[63]! |= 0xe0;
    expect(verifyDetached(high, empty, publicKey)).toBe(false);
  });

  it('rejects small-order public keys that ZIP-215 would accept with R = identity, S = 0', () => {
    const identity = ed.Point.ZERO.toBytes();
    const orderTwo = ed.Point.fromAffine({ x: 0n, y: P - 1n }).toBytes();
    const forged = Uint8Array.of(...identity, ...new Uint8Array(32));
    const message = new TextEncoder().encode('any message at all');
    for (const weakKey of [identity, orderTwo]) {
      // The permissive rule accepts this forgery for every message: that is what strictness prevents.
      expect(ed.verify(forged, message, weakKey)).toBe(true);
      expect(verifyDetached(forged, message, weakKey)).toBe(false);
      expect(publicKeyProblem(weakKey)).toMatch(/small-order/);
    }
  });

  it('rejects a non-canonical encoding of R (y >= p) that ZIP-215 would accept', () => {
    // R = identity written as y = p + 1; with the known secret scalar a, S = k * a makes [S]B = R + [k]A.
    const seed = fromHex(RFC8032_VECTORS[1]!.secretKey);
    const { scalar, pointBytes } = ed.utils.getExtendedPublicKey(seed);
    const nonCanonicalIdentity = littleEndian32(P + 1n);
    const message = new TextEncoder().encode('patch manifest');
    const k = readLittleEndian(createHash('sha512').update(nonCanonicalIdentity).update(pointBytes).update(message).digest()) % L;
    const forged = Uint8Array.of(...nonCanonicalIdentity, ...littleEndian32((k * scalar) % L));
    expect(ed.verify(forged, message, pointBytes)).toBe(true);
    expect(verifyDetached(forged, message, pointBytes)).toBe(false);
  });

  it('returns false, without throwing, for malformed lengths', () => {
    expect(verifyDetached(signature.subarray(0, 63), empty, publicKey)).toBe(false);
    expect(verifyDetached(Uint8Array.of(...signature, 0), empty, publicKey)).toBe(false);
    expect(verifyDetached(new Uint8Array(0), empty, publicKey)).toBe(false);
    expect(verifyDetached(signature, empty, publicKey.subarray(0, 31))).toBe(false);
    expect(verifyDetached(signature, empty, new Uint8Array(33))).toBe(false);
  });

  it('returns false for a public key that is not a curve point', () => {
    // y = 2 is not the y coordinate of any point on edwards25519.
    const notOnCurve = littleEndian32(2n);
    expect(publicKeyProblem(notOnCurve)).toMatch(/not the canonical encoding/);
    expect(verifyDetached(signature, empty, notOnCurve)).toBe(false);
  });

  it('accepts a valid public key', () => {
    expect(publicKeyProblem(publicKey)).toBeUndefined();
  });
});

describe('signing', () => {
  it('is deterministic and round-trips', () => {
    const seed = new Uint8Array(32).map((_, i) => i * 7);
    const message = new TextEncoder().encode('firmware 1.2.3');
    const a = signDetached(message, seed);
    expect(a).toHaveLength(64);
    expect(toHex(signDetached(message, seed))).toBe(toHex(a));
    expect(verifyDetached(a, message, publicKeyFromSeed(seed))).toBe(true);
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => signDetached(new Uint8Array(1), new Uint8Array(31))).toThrow(/32 bytes, got 31/);
    expect(() => publicKeyFromSeed(new Uint8Array(64))).toThrow(/32 bytes, got 64/);
  });
});
