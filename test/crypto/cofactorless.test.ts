/**
 * Issue 16, point 6: one verification rule, RFC 8032's cofactorless equation [S]B = R + [k]A (what OpenSSL and
 * device verifiers check), and public keys refused at load when they are of small order or have a small-order
 * component. The host used the cofactored equation ([8][S]B = [8]R + [8][k]A), which accepted signatures and
 * keys that OpenSSL refuses.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ed from '@noble/ed25519';
import { afterAll, describe, expect, it } from 'vitest';
import { publicKeyFromSeed, publicKeyProblem, signDetached, verifyDetached } from '../../src/crypto/ed25519.js';
import { runCli } from '../hardening/cli-run.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const le = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
const toLe32 = (n: bigint): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse());

/** The eight torsion points of edwards25519 in their canonical encodings (the identity, one of order 2, two of order 4, four of order 8). */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];
const T8 = ed.Point.fromHex(SMALL_ORDER[4]!, false);
const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const publicKey = publicKeyFromSeed(seed);
const message = new TextEncoder().encode('smartdelta issue 16');

/** The clamped secret scalar a of RFC 8032 section 5.1.5 for the seed. */
function secretScalar(): bigint {
  const h = createHash('sha512').update(seed).digest().subarray(0, 32);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  return le(h);
}

/** A signature whose R carries the order-8 component T8: S = r + k'a with k' over R + T8. */
function signatureWithTorsionInR(): Uint8Array {
  const r = 123456789n;
  const R = ed.Point.BASE.multiply(r).add(T8).toBytes();
  const k = le(createHash('sha512').update(R).update(publicKey).update(message).digest()) % L;
  const S = (r + k * secretScalar()) % L;
  return Uint8Array.from([...R, ...toLe32(S)]);
}

const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-cofactor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Ed25519: cofactorless verification and keys in the prime-order subgroup', () => {
  it('the list of small-order points is the set of multiples of an order-8 point', () => {
    const multiples = new Set(Array.from({ length: 8 }, (_, i) => hex((i === 0 ? ed.Point.ZERO : T8.multiply(BigInt(i), false)).toBytes())));
    expect([...multiples].sort()).toEqual([...SMALL_ORDER].sort());
  });

  it('refuses every small-order public key and every key with a small-order component', () => {
    for (const encoded of SMALL_ORDER) expect(publicKeyProblem(Buffer.from(encoded, 'hex')), encoded).toBe('is a small-order point, which strict verification refuses');
    for (const t of SMALL_ORDER.slice(1)) {
      const mixed = ed.Point.fromBytes(publicKey, false).add(ed.Point.fromHex(t, false)).toBytes();
      expect(publicKeyProblem(mixed), t).toBe('has a small-order component (it is not in the prime-order subgroup), which strict verification refuses');
      expect(verifyDetached(signDetached(message, seed), message, mixed)).toBe(false);
    }
    expect(publicKeyProblem(publicKey)).toBeUndefined();
  });

  it('a signature with a small-order component in R passes the cofactored equation and fails the cofactorless one', () => {
    const signature = signatureWithTorsionInR();
    expect(ed.verify(signature, message, publicKey, { zip215: false }), 'the library (cofactored) accepts it').toBe(true);
    expect(verifyDetached(signature, message, publicKey)).toBe(false);
    // The same construction without the torsion point is an ordinary valid signature.
    expect(verifyDetached(signDetached(message, seed), message, publicKey)).toBe(true);
  });

  it('refuses S + L, an S of 32 bytes that is the same value modulo L', () => {
    const good = signDetached(message, seed);
    const high = Uint8Array.from([...good.subarray(0, 32), ...toLe32(le(good.subarray(32)) + L)]);
    expect(verifyDetached(high, message, publicKey)).toBe(false);
  });

  it('the CLI refuses such keys when it loads them (exit 3, one line)', async () => {
    const patch = path.join(dir, 'any.sdp');
    writeFileSync(patch, new Uint8Array(8));
    const mixed = ed.Point.fromBytes(publicKey, false).add(T8).toBytes();
    for (const [name, key] of [['order-8', Buffer.from(SMALL_ORDER[4]!, 'hex')], ['mixed', mixed]] as const) {
      const file = path.join(dir, `${name}.pub`);
      writeFileSync(file, key);
      const run = await runCli(['verify', patch, '--pub', file]);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/^error: .*the Ed25519 public key (is a small-order point|has a small-order component)/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
