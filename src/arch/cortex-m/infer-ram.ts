/**
 * Infers the RAM map from the images alone: inside matched copy blocks, an aligned word that holds a RAM
 * address in both images is a vote for "RAM address old -> new". Votes sorted by old address form segments of
 * equal shift; a lone vote that disagrees with its neighbours is taken for noise (a changed constant).
 */
import type { Block } from '../../delta/match.js';
import type { RamMap } from './address-map.js';
import { plainView } from './halfwords.js';
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

/** Which votes count: both values in [start, end), and then whatever `keep` (when given) accepts. */
export interface VoteFilter {
  start: number;
  end: number;
  keep?: (before: number, after: number, oldOffset: number, placeShift: number) => boolean;
}

/**
 * Votes "old value -> new value" from the aligned 32-bit words that matched copy blocks carry from the old
 * image to the new one, for the pairs `filter` accepts; sorted by old value, then shift. Shared by the RAM map
 * and the constant map, which differ only in which words count. The value window is tested inline, so the
 * filter's function sees only the few words inside it.
 */
export function collectWordVotes(old: Uint8Array, target: Uint8Array, blocks: readonly Block[], oldBase: number, newBase: number, filter: VoteFilter): Vote[] {
  const before = plainView(old);
  const after = plainView(target);
  const { start, end, keep } = filter;
  const addresses: number[] = [];
  const shifts: number[] = [];
  let newStart = 0;
  for (const block of blocks) {
    const oldStart = block.oldStart;
    const placeShift = newStart - oldStart;
    for (let i = (4 - ((oldBase + oldStart) & 3)) & 3; i + 4 <= block.copyLen; i += 4) {
      if (((newBase + newStart + i) & 3) !== 0) break;
      const o = oldStart + i;
      const was = (before[o]! | (before[o + 1]! << 8) | (before[o + 2]! << 16) | (before[o + 3]! << 24)) >>> 0;
      if (was < start || was >= end) continue;
      const n = newStart + i;
      const is = (after[n]! | (after[n + 1]! << 8) | (after[n + 2]! << 16) | (after[n + 3]! << 24)) >>> 0;
      if (is < start || is >= end || (keep && !keep(was, is, o, placeShift))) continue;
      addresses.push(was);
      shifts.push(is - was);
    }
    newStart += block.copyLen + block.extraLen;
  }
  return sortedVotes(addresses, shifts, start, end);
}

/**
 * Votes sorted by address, then shift. Both lie in a bounded range, so each pair packs into one number below
 * 2^53 and a typed-array sort does the work of a comparator sort over objects.
 */
function sortedVotes(addresses: readonly number[], shifts: readonly number[], start: number, end: number): Vote[] {
  let low = 0;
  let high = 0;
  for (const shift of shifts) {
    if (shift < low) low = shift;
    if (shift > high) high = shift;
  }
  const width = high - low + 1;
  if ((end - start) * width > Number.MAX_SAFE_INTEGER) {
    const votes = addresses.map((address, i) => ({ address, shift: shifts[i]! }));
    return votes.sort((a, b) => a.address - b.address || a.shift - b.shift);
  }
  const keys = new Float64Array(addresses.length);
  for (let i = 0; i < keys.length; i++) keys[i] = (addresses[i]! - start) * width + (shifts[i]! - low);
  keys.sort();
  const votes = new Array<Vote>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const rest = keys[i]! % width;
    votes[i] = { address: start + (keys[i]! - rest) / width, shift: rest + low };
  }
  return votes;
}

export function collectRamVotes(old: Uint8Array, target: Uint8Array, blocks: readonly Block[], oldBase: number, newBase: number): Vote[] {
  return collectWordVotes(old, target, blocks, oldBase, newBase, {
    start: RAM_WINDOW_START,
    end: RAM_WINDOW_END,
    keep: (before, after) => Math.abs(after - before) <= MAX_RAM_SHIFT,
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
  // Votes come sorted by address, so each bucket's moved votes are counted in one run, buckets ascending.
  const buckets: number[] = [];
  const counts: number[] = [];
  for (const v of votes) {
    if (v.shift === 0 || v.shift % 4 !== 0) continue;
    const bucket = v.address >>> BUCKET_BITS;
    if (buckets[buckets.length - 1] === bucket) counts[counts.length - 1]++;
    else {
      buckets.push(bucket);
      counts.push(1);
    }
  }
  // The densest bucket; on a tie the lowest.
  let densest = -1;
  for (let k = 0; k < counts.length; k++) if (densest < 0 || counts[k]! > counts[densest]!) densest = k;
  if (densest < 0 || counts[densest]! < MIN_MOVED_VOTES) return { segments: [], end: 0 };
  // Neighbouring buckets join while they hold at least two moved votes.
  let low = densest;
  let high = densest;
  while (low > 0 && buckets[low - 1] === buckets[low]! - 1 && counts[low - 1]! >= 2) low--;
  while (high + 1 < buckets.length && buckets[high + 1] === buckets[high]! + 1 && counts[high + 1]! >= 2) high++;
  const lowBucket = buckets[low]!;
  const highBucket = buckets[high]!;
  const inSpan = votes.filter((v) => v.address >>> BUCKET_BITS >= lowBucket && v.address >>> BUCKET_BITS <= highBucket);
  return ramMapFromVotes(inSpan);
}
