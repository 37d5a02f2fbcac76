/**
 * The constant map: some releases renumber small constants wholesale (MicroPython's interned-string IDs, enum
 * values stored in tables), so the same old value turns into the same new value wherever it is stored. Aligned
 * words below CONSTANT_LIMIT that nothing else recognised vote "old value -> new value" at matched positions;
 * runs of equal shift become segments. The creator keeps the map only when the patch gets smaller with it.
 */
import type { Block } from '../../delta/match.js';
import { placeBlocks, type RamMap } from './address-map.js';
import { ramMapFromVotes } from './infer-ram.js';
import { MAX_CONSTANT_SEGMENTS } from './params.js';
import { relocateAt, startsInstruction, type RelocationContext } from './predict.js';

export const CONSTANT_LIMIT = 0x1_0000;
/** A run of equal shift needs this many votes to become a segment: fewer is noise (an edited table entry). */
const MIN_VOTES = 3;
export const NO_MAP: RamMap = { segments: [], end: 0 };

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

export function inferConstantMap(ctx: RelocationContext, target: Uint8Array, blocks: readonly Block[]): RamMap {
  const old = ctx.old;
  const votes: Array<{ address: number; shift: number }> = [];
  for (const block of placeBlocks(blocks)) {
    const placeShift = block.newStart - block.oldStart;
    for (let i = (4 - ((ctx.oldBase + block.oldStart) & 3)) & 3; i + 4 <= block.copyLen; i += 4) {
      const p = block.oldStart + i;
      if (((ctx.newBase + block.newStart + i) & 3) !== 0) break;
      const before = u32(old, p);
      const after = u32(target, block.newStart + i);
      if (before >= CONSTANT_LIMIT || after >= CONSTANT_LIMIT || !startsInstruction(old, p)) continue;
      if (relocateAt(ctx, p, placeShift) !== -1) continue;
      votes.push({ address: before, shift: after - before });
    }
  }
  votes.sort((a, b) => a.address - b.address || a.shift - b.shift);
  const map = ramMapFromVotes(votes, MIN_VOTES);
  if (map.segments.every((s) => s.shift === 0) || map.segments.length > MAX_CONSTANT_SEGMENTS) return NO_MAP;
  return map;
}
