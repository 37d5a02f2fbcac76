/** matchBlocks: the blocks describe the target exactly (every new byte once, copies inside the source). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchBlocks, type Block } from '../../src/delta/match.js';
import { buildSuffixArray } from '../../src/delta/suffix-array.js';
import { editedCopy } from './helpers.js';

function checkCover(source: Uint8Array, target: Uint8Array, blocks: Block[]): void {
  let total = 0;
  for (const b of blocks) {
    expect(b.copyLen).toBeGreaterThanOrEqual(0);
    expect(b.extraLen).toBeGreaterThanOrEqual(0);
    expect(b.copyLen + b.extraLen).toBeGreaterThan(0);
    if (b.copyLen > 0) {
      expect(b.oldStart).toBeGreaterThanOrEqual(0);
      expect(b.oldStart + b.copyLen).toBeLessThanOrEqual(source.length);
    }
    total += b.copyLen + b.extraLen;
  }
  expect(total).toBe(target.length);
  // Only the first block may lack a copy: empty copies are folded into the previous block.
  blocks.slice(1).forEach((b) => expect(b.copyLen).toBeGreaterThan(0));
}

/** Bytes that differ between the target and source + copy diffs: what the delta has to carry. */
function mismatches(source: Uint8Array, target: Uint8Array, blocks: Block[]): number {
  let n = 0;
  let pos = 0;
  for (const b of blocks) {
    for (let i = 0; i < b.copyLen; i++) if (source[b.oldStart + i] !== target[pos + i]) n++;
    pos += b.copyLen + b.extraLen;
  }
  return n;
}

describe('matchBlocks', () => {
  it('covers random targets exactly, for unrelated and edited inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (source, target) => {
        checkCover(source, target, matchBlocks(source, target));
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4000 }), fc.integer(), (source, seed) => {
        const target = editedCopy(source, seed);
        const blocks = matchBlocks(source, target);
        checkCover(source, target, blocks);
      }),
      { numRuns: 100 },
    );
  });

  it('identical inputs give one block copying everything with no mismatch', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff);
    const blocks = matchBlocks(data, data);
    expect(blocks).toEqual([{ oldStart: 0, copyLen: 5000, extraLen: 0 }]);
  });

  it('empty target gives no blocks; empty source gives one literal block', () => {
    expect(matchBlocks(Uint8Array.of(1, 2, 3), new Uint8Array(0))).toEqual([]);
    expect(matchBlocks(new Uint8Array(0), Uint8Array.of(1, 2, 3))).toEqual([{ oldStart: 0, copyLen: 0, extraLen: 3 }]);
  });

  it('finds a moved region and keeps the mismatch count small on an insertion', () => {
    const source = Uint8Array.from({ length: 8000 }, (_, i) => (i * 2654435761) >>> 24);
    const insert = Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff);
    const target = Uint8Array.from([...source.subarray(0, 3000), ...insert, ...source.subarray(3000)]);
    const blocks = matchBlocks(source, target, { suffixArray: buildSuffixArray(source) });
    checkCover(source, target, blocks);
    expect(mismatches(source, target, blocks)).toBeLessThan(40);
    const copied = blocks.reduce((n, b) => n + b.copyLen, 0);
    expect(copied).toBeGreaterThan(7900);
  });
});
