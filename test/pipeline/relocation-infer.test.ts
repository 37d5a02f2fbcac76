/**
 * The value-map inference (src/arch/cortex-m/infer-ram.ts): the vote collection tests the value window inline,
 * sorts packed keys and counts buckets in one run over sorted votes. Here it is held to the rule written
 * plainly (a predicate per word, vote objects sorted by a comparator, bucket counts in a Map) on random pairs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeBlocks } from '../../src/arch/cortex-m/address-map.js';
import { collectRamVotes, collectWordVotes, inferRamMap, ramMapFromVotes, RAM_WINDOW_END, RAM_WINDOW_START, type Vote } from '../../src/arch/cortex-m/infer-ram.js';
import { inferConstantMap, NO_MAP } from '../../src/arch/cortex-m/infer-constants.js';
import { MAX_CONSTANT_SEGMENTS, RECOGNIZE_ALL, Recognize } from '../../src/arch/cortex-m/params.js';
import { blocksFlashMap, relocationContext } from '../../src/arch/cortex-m/plan.js';
import { relocateAt, startsInstruction } from '../../src/arch/cortex-m/predict.js';
import type { Block } from '../../src/delta/match.js';
import { prng } from '../delta/helpers.js';

const u32 = (data: Uint8Array, at: number): number => (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;

function votesByRule(old: Uint8Array, target: Uint8Array, blocks: readonly Block[], oldBase: number, newBase: number, keep: (before: number, after: number, p: number, placeShift: number) => boolean): Vote[] {
  const votes: Vote[] = [];
  for (const block of placeBlocks(blocks)) {
    const placeShift = block.newStart - block.oldStart;
    for (let i = (4 - ((oldBase + block.oldStart) & 3)) & 3; i + 4 <= block.copyLen; i += 4) {
      if (((newBase + block.newStart + i) & 3) !== 0) break;
      const before = u32(old, block.oldStart + i);
      const after = u32(target, block.newStart + i);
      if (keep(before, after, block.oldStart + i, placeShift)) votes.push({ address: before, shift: after - before });
    }
  }
  return votes.sort((a, b) => a.address - b.address || a.shift - b.shift);
}

const inRam = (v: number): boolean => v >= RAM_WINDOW_START && v < RAM_WINDOW_END;
const ramRule = (before: number, after: number): boolean => inRam(before) && inRam(after) && Math.abs(after - before) <= 0x10_0000;

function ramMapByRule(old: Uint8Array, target: Uint8Array, blocks: readonly Block[], oldBase: number, newBase: number): ReturnType<typeof inferRamMap> {
  const votes = votesByRule(old, target, blocks, oldBase, newBase, ramRule);
  const perBucket = new Map<number, number>();
  for (const v of votes) {
    if (v.shift === 0 || v.shift % 4 !== 0) continue;
    perBucket.set(v.address >>> 16, (perBucket.get(v.address >>> 16) ?? 0) + 1);
  }
  let densest = -1;
  for (const [bucket, count] of perBucket) {
    if (count > (perBucket.get(densest) ?? 0) || (count === perBucket.get(densest) && bucket < densest)) densest = bucket;
  }
  if ((perBucket.get(densest) ?? 0) < 4) return { segments: [], end: 0 };
  let low = densest;
  let high = densest;
  while ((perBucket.get(low - 1) ?? 0) >= 2) low--;
  while ((perBucket.get(high + 1) ?? 0) >= 2) high++;
  return ramMapFromVotes(votes.filter((v) => v.address >>> 16 >= low && v.address >>> 16 <= high));
}

/**
 * An old image of words (RAM pointers over a few 64 KiB buckets, small constants, anything) and a new one
 * made of copy blocks of it, where RAM pointers move by a per-bucket shift and some words change anyway.
 */
const arbitraryPair = fc
  .record({ seed: fc.integer({ min: 0, max: 1 << 30 }), words: fc.integer({ min: 0, max: 3000 }), baseHigh: fc.constantFrom(0, 0x0800_0000), baseLow: fc.constantFrom(0, 2), newLow: fc.constantFrom(0, 2) })
  .map(({ seed, words, baseHigh, baseLow, newLow }) => {
    const rand = prng(seed);
    const int = (n: number): number => Math.floor(rand() * n);
    const old = new Uint8Array(words * 4 + int(4));
    const view = new DataView(old.buffer);
    const firstBucket = 0x2000 + int(4);
    for (let p = 0; p + 4 <= old.length; p += 4) {
      const r = rand();
      view.setUint32(p, r < 0.5 ? ((firstBucket + int(4)) << 16) + int(0x10000) : r < 0.7 ? int(0x10000) : r < 0.75 ? RAM_WINDOW_END - 2 + int(4) : int(2 ** 32), true);
    }
    const bucketShift = Array.from({ length: 8 }, () => (int(3) === 0 ? 0 : (int(64) - 32) * (int(2) ? 4 : 2)));
    const blocks: Block[] = [];
    const pieces: Uint8Array[] = [];
    for (let made = 0; made < old.length && blocks.length < 40; ) {
      const oldStart = int(old.length);
      const copyLen = Math.min(old.length - oldStart, int(800));
      const extraLen = int(10);
      blocks.push({ oldStart, copyLen, extraLen });
      const piece = old.slice(oldStart, oldStart + copyLen + extraLen);
      const at = (4 - ((oldStart + baseLow) & 3)) & 3;
      const pv = new DataView(piece.buffer);
      for (let i = at; i + 4 <= copyLen; i += 4) {
        const v = pv.getUint32(i, true);
        if (inRam(v)) pv.setUint32(i, (v + (bucketShift[(v >>> 16) - firstBucket] ?? 0) + (int(50) === 0 ? 8 : 0)) >>> 0, true);
        else if (v < 0x10000 && int(4) === 0) pv.setUint32(i, v + 3, true);
      }
      pieces.push(piece);
      made += copyLen + extraLen + 1;
    }
    const target = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      target.set(p, at);
      at += p.length;
    }
    // The last extra bytes may run past the piece copied; keep block lengths true to the target.
    for (let i = 0; i < blocks.length; i++) blocks[i] = { ...blocks[i]!, extraLen: pieces[i]!.length - blocks[i]!.copyLen };
    // At base 0 small values are flash addresses too (an image linked at 0), so they are items, not constants.
    return { old, target, blocks, oldBase: baseHigh + baseLow, newBase: baseHigh + newLow };
  });

describe('value-map inference equals the plainly written rule', () => {
  it('collectRamVotes and inferRamMap', () => {
    fc.assert(
      fc.property(arbitraryPair, ({ old, target, blocks, oldBase, newBase }) => {
        expect(collectRamVotes(old, target, blocks, oldBase, newBase)).toEqual(votesByRule(old, target, blocks, oldBase, newBase, ramRule));
        expect(inferRamMap(old, target, blocks, oldBase, newBase)).toEqual(ramMapByRule(old, target, blocks, oldBase, newBase));
      }),
      { numRuns: 150 },
    );
  });

  it('collectWordVotes with a window and a predicate (the constant map\'s use)', () => {
    fc.assert(
      fc.property(arbitraryPair, ({ old, target, blocks, oldBase, newBase }) => {
        const odd = (_b: number, _a: number, p: number, placeShift: number): boolean => ((p + placeShift) & 4) === 0;
        const got = collectWordVotes(Buffer.from(old), target, blocks, oldBase, newBase, { start: 0, end: 0x1_0000, keep: odd });
        expect(got).toEqual(votesByRule(old, target, blocks, oldBase, newBase, (b, a, p, s) => b < 0x1_0000 && a < 0x1_0000 && odd(b, a, p, s)));
      }),
      { numRuns: 100 },
    );
  });

  it('inferConstantMap (which asks relocateAt only at item candidates)', () => {
    let maps = 0;
    fc.assert(
      fc.property(arbitraryPair, fc.integer({ min: 0, max: RECOGNIZE_ALL }), ({ old, target, blocks, oldBase, newBase }, bits) => {
        const recognize = bits & ~Recognize.constants;
        const ram = inferRamMap(old, target, blocks, oldBase, newBase);
        const ctx = relocationContext(old, oldBase, newBase, { recognize, minSegment: 32, ram, constants: NO_MAP }, blocksFlashMap(blocks, 32).map);
        const votes = votesByRule(old, target, blocks, oldBase, newBase, (b, a, p, s) => b < 0x1_0000 && a < 0x1_0000 && startsInstruction(old, p) && relocateAt(ctx, p, s) === -1);
        const byRule = ramMapFromVotes(votes, 3);
        const expected = byRule.segments.every((x) => x.shift === 0) || byRule.segments.length > MAX_CONSTANT_SEGMENTS ? NO_MAP : byRule;
        const got = inferConstantMap(ctx, target, blocks);
        if (got.segments.length > 0) maps++;
        expect(got).toEqual(expected);
      }),
      { numRuns: 100 },
    );
    expect(maps).toBeGreaterThan(10);
  });

  it('the generated pairs give RAM maps with several segments (the test exercises the bucket span)', () => {
    let multi = 0;
    fc.assert(
      fc.property(arbitraryPair, ({ old, target, blocks, oldBase, newBase }) => {
        if (inferRamMap(old, target, blocks, oldBase, newBase).segments.length > 1) multi++;
      }),
      { numRuns: 50 },
    );
    expect(multi).toBeGreaterThan(5);
  });
});
