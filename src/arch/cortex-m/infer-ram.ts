/**
 * Infers the RAM map from the images alone: inside matched copy blocks, an aligned word that holds a RAM
 * address in both images is a vote for "RAM address old -> new". Votes sorted by old address form segments of
 * equal shift; a lone vote that disagrees with its neighbours is taken for noise (a changed constant).
 */
import type { Block } from '../../delta/match.js';
import { placeBlocks, type RamMap } from './address-map.js';
import { MAX_RAM_SEGMENTS } from './params.js';

/** The ARMv7-M SRAM region and the CCM/TCM space below it (ARMv7-M ARM B3.1, the system address map). */
export const RAM_WINDOW_START = 0x1000_0000;
export const RAM_WINDOW_END = 0x4000_0000;
/** A pointer whose value moved further than this is not a relocation. */
const MAX_RAM_SHIFT = 0x10_0000;

export interface Vote {
  /** The old value. */
  address: number;
  /** New value minus old value. */
  shift: number;
}

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/**
 * Votes "old value -> new value" from the aligned 32-bit words that matched copy blocks carry from the old
 * image to the new one, for the pairs `keep` accepts; sorted by old value, then shift. Shared by the RAM map
 * and the constant map, which differ only in which words count.
 */
export function collectWordVotes(
  old: Uint8Array,
  target: Uint8Array,
  blocks: readonly Block[],
  oldBase: number,
  newBase: number,
  keep: (before: number, after: number, oldOffset: number, placeShift: number) => boolean,
): Vote[] {
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

const inRamWindow = (v: number): boolean => v >= RAM_WINDOW_START && v < RAM_WINDOW_END;

export function collectRamVotes(old: Uint8Array, target: Uint8Array, blocks: readonly Block[], oldBase: number, newBase: number): Vote[] {
  return collectWordVotes(old, target, blocks, oldBase, newBase, (before, after) => {
    return inRamWindow(before) && inRamWindow(after) && Math.abs(after - before) <= MAX_RAM_SHIFT;
  });
}

/** Segments of constant shift from sorted votes; the map ends just past the highest vote. */
export function ramMapFromVotes(votes: readonly Vote[], minVotes = 2): RamMap {
  const segments: Array<{ start: number; shift: number }> = [];
  let i = 0;
  while (i < votes.length) {
    let j = i;
    while (j < votes.length && votes[j]!.shift === votes[i]!.shift) j++;
    const current = segments[segments.length - 1];
    if (j - i >= minVotes || !current) {
      // Starts are strictly increasing in the format: a later shift at the same value replaces the earlier one.
      if (current && current.start === votes[i]!.address) segments.pop();
      const last = segments[segments.length - 1];
      if (!last || last.shift !== votes[i]!.shift) segments.push({ start: votes[i]!.address, shift: votes[i]!.shift });
    }
    i = j;
  }
  if (segments.length === 0 || segments.length > MAX_RAM_SEGMENTS) return { segments: [], end: 0 };
  const end = votes[votes.length - 1]!.address + 4;
  return { segments, end };
}

/** Fewer moved RAM pointers than this is no evidence that RAM moved (a changed constant can look like one). */
const MIN_MOVED_VOTES = 4;
/** Votes are clustered in 64 KiB buckets: a microcontroller's SRAM is one or a few adjacent ones. */
const BUCKET_BITS = 16;

/**
 * The RAM map covers only the span where pointers really moved by a multiple of 4 (linkers keep RAM objects
 * word-aligned): the densest 64 KiB bucket of such votes and its neighbours that have votes too. Code and data
 * words that merely look like RAM addresses (0x2000 is also "movs r0, #0") are spread over the whole window
 * and would otherwise fill the map with noise.
 */
export function inferRamMap(old: Uint8Array, target: Uint8Array, blocks: readonly Block[], oldBase: number, newBase: number): RamMap {
  const votes = collectRamVotes(old, target, blocks, oldBase, newBase);
  const perBucket = new Map<number, number>();
  for (const v of votes) {
    if (v.shift === 0 || v.shift % 4 !== 0) continue;
    const bucket = v.address >>> BUCKET_BITS;
    perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1);
  }
  let densest = -1;
  for (const [bucket, count] of perBucket) {
    if (count > (perBucket.get(densest) ?? 0) || (count === perBucket.get(densest) && bucket < densest)) densest = bucket;
  }
  if ((perBucket.get(densest) ?? 0) < MIN_MOVED_VOTES) return { segments: [], end: 0 };
  let low = densest;
  let high = densest;
  while ((perBucket.get(low - 1) ?? 0) >= 2) low--;
  while ((perBucket.get(high + 1) ?? 0) >= 2) high++;
  const inSpan = votes.filter((v) => v.address >>> BUCKET_BITS >= low && v.address >>> BUCKET_BITS <= high);
  return ramMapFromVotes(inSpan);
}
