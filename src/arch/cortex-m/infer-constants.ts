/**
 * The constant map: some releases renumber small constants wholesale (MicroPython's interned-string IDs, enum
 * values stored in tables), so the same old value turns into the same new value wherever it is stored. Aligned
 * words below CONSTANT_LIMIT that nothing else recognised vote "old value -> new value" at matched positions;
 * runs of equal shift become segments. The creator keeps the map only when the patch gets smaller with it.
 */
import type { Block } from '../../delta/match.js';
import type { RamMap } from './address-map.js';
import { collectWordVotes, ramMapFromVotes } from './infer-ram.js';
import { MAX_CONSTANT_SEGMENTS } from './params.js';
import { relocateAt, startsInstruction, type RelocationContext } from './predict.js';

export const CONSTANT_LIMIT = 0x1_0000;
/** A run of equal shift needs this many votes to become a segment: fewer is noise (an edited table entry). */
const MIN_VOTES = 3;
export const NO_MAP: RamMap = { segments: [], end: 0 };

export function inferConstantMap(ctx: RelocationContext, target: Uint8Array, blocks: readonly Block[]): RamMap {
  const votes = collectWordVotes(ctx.old, target, blocks, ctx.oldBase, ctx.newBase, {
    start: 0,
    end: CONSTANT_LIMIT,
    // An instruction start where nothing else is recognised (relocateAt checks the start itself).
    keep: (_before, _after, p, placeShift) => relocateAt(ctx, p, placeShift) === -1 && startsInstruction(ctx.old, p),
  });
  const map = ramMapFromVotes(votes, MIN_VOTES);
  if (map.segments.every((s) => s.shift === 0) || map.segments.length > MAX_CONSTANT_SEGMENTS) return NO_MAP;
  return map;
}
