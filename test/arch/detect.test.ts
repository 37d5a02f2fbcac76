/**
 * Cortex-M detection (src/arch/cortex-m/detect.ts) screens offsets on the high bytes before decoding; it must
 * count exactly the BLs classifyBranch32 finds, and their targets inside the image.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countInternalCalls, looksLikeCortexM } from '../../src/arch/cortex-m/detect.js';
import { branch32Offset, classifyBranch32, encodeBranch32 } from '../../src/arch/cortex-m/thumb2-branch.js';
import { ThumbKind } from '../../src/arch/cortex-m/thumb2-kind.js';

function callsByRule(data: Uint8Array): { calls: number; internal: number } {
  let calls = 0;
  let internal = 0;
  for (let p = 0; p + 3 < data.length; p += 2) {
    const hw1 = data[p]! | (data[p + 1]! << 8);
    const hw2 = data[p + 2]! | (data[p + 3]! << 8);
    if (classifyBranch32(hw1, hw2) !== ThumbKind.BL) continue;
    calls++;
    const target = p + 4 + branch32Offset(hw1, hw2);
    if (target >= 0 && target < data.length) internal++;
  }
  return { calls, internal };
}

/** Bytes dense in 32-bit branch shapes: BL, B.W, B<c>.W, BLX-like and random prefixes, near and far targets. */
const codeLike = fc.tuple(fc.integer({ min: 0, max: 1 << 30 }), fc.integer({ min: 0, max: 4000 })).map(([seed, length]) => {
  let x = seed;
  const next = (n: number): number => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return x % n;
  };
  const data = new Uint8Array(length);
  const view = new DataView(data.buffer);
  for (let p = 0; p + 4 <= length; p += 2) {
    const r = next(10);
    if (r < 3) {
      const packed = encodeBranch32(0xf000, [0xd000, 0x9000, 0x8000, 0xc000][next(4)]!, (next(2) ? next(length) - p - 4 : next(1 << 25) - (1 << 24)) & ~1);
      if (packed !== -1) {
        view.setUint16(p, packed >>> 16, true);
        view.setUint16(p + 2, packed & 0xffff, true);
      }
    } else if (r < 5) view.setUint16(p, 0xe800 + next(0x1800), true);
    else view.setUint16(p, next(0x10000), true);
  }
  return data;
});

describe('countInternalCalls', () => {
  it('counts what classifyBranch32 calls a BL at every even offset, and the targets inside the image', () => {
    fc.assert(
      fc.property(codeLike, (data) => {
        const rule = callsByRule(data);
        expect(countInternalCalls({ data: Buffer.from(data), loadAddress: 0 })).toEqual(rule);
        expect(looksLikeCortexM({ data, loadAddress: 0 })).toBe(rule.internal >= 8 && rule.internal * 2 >= rule.calls);
      }),
      { numRuns: 200 },
    );
  });
});
