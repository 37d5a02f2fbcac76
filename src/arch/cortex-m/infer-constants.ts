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
import { itemCandidates, relocateAt, startsInstruction, type RelocationContext } from './predict.js';

export const CONSTANT_LIMIT = 0x1_0000;
/** A run of equal shift needs this many votes to become a segment: fewer is noise (an edited table entry). */
const MIN_VOTES = 3;
export const NO_MAP: RamMap = { segments: [], end: 0 };

export function inferConstantMap(ctx: RelocationContext, target: Uint8Array, blocks: readonly Block[], candidates: Int32Array = itemCandidates(ctx)): RamMap {
  // An instruction start where nothing else is recognised. Nothing is anywhere but at a candidate (an offset
  // itemCandidates lists), so only those ask relocateAt.
  const isCandidate = new Uint8Array((ctx.old.length >> 1) + 1);
  for (let k = 0; k < candidates.length; k++) isCandidate[candidates[k]! >> 1] = 1;
  const votes = collectWordVotes(ctx.old, target, blocks, ctx.oldBase, ctx.newBase, {
    start: 0,
    end: CONSTANT_LIMIT,
    keep: (_before, _after, p, placeShift) => startsInstruction(ctx.old, p) && (isCandidate[p >> 1] === 0 || relocateAt(ctx, p, placeShift) === -1),
  });
  const map = ramMapFromVotes(votes, MIN_VOTES);
  if (map.segments.every((s) => s.shift === 0) || map.segments.length > MAX_CONSTANT_SEGMENTS) return NO_MAP;
  return map;
}
