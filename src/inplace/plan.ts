/**
 * The creator's side of in-place patches: a transform plan encoded against the slot as the applier will see
 * it while writing each unit (./source.ts), in the write order that breaks the fewest of its copies
 * (./order.ts). The copies the order still breaks (their old bytes are overwritten before they are read)
 * become literal bytes: difference bytes against whatever the slot then holds would cost as much and
 * compress worse.
 */
import type { InPlaceGeometry } from '../container/header.js';
import { MAX_TABLE_FIRST_ENTRIES } from '../delta/control-table.js';
import type { Block } from '../delta/match.js';
import { Layout } from '../delta/program.js';
import type { TransformPlan } from '../types.js';
import { chooseOrder, writeSequence } from './order.js';
import { plannedSlotSource } from './source.js';
import { planStash, windowAtPosition, type StashWindow } from './stash.js';

/** Broken stretches shorter than this stay difference bytes: a control entry would cost more. */
export const MIN_LITERAL_RUN = 16;

export function inPlacePlan(plan: TransformPlan, old: Uint8Array, target: Uint8Array, geometry: InPlaceGeometry): TransformPlan {
  if (!plan.sourceOver) throw new RangeError('this plan cannot predict over the slot');
  const unitSize = geometry.eraseUnit;
  const unitOrder = chooseOrder(plan.blocks, target.length, unitSize);
  const sequence = writeSequence(unitOrder);
  const stash = planStash(plan.blocks, unitSize, sequence, old.length);
  const { blocks, flags } = literalizeBrokenCopies(plan.blocks, plan.relocation?.segmentFlags, plan.relocation?.minSegment ?? 0, unitSize, sequence, stash);
  const source = plannedSlotSource(old, target, unitSize, sequence, plan.sourceOver, stash);
  return {
    ...plan,
    blocks,
    ...(plan.relocation && flags && { relocation: { ...plan.relocation, segmentFlags: flags } }),
    variants: plan.variants.filter((v) => v.layout !== Layout.tableFirst || blocks.length <= MAX_TABLE_FIRST_ENTRIES),
    source,
    unitSize,
    unitOrder,
    ...(stash.length > 0 && { stash }),
  };
}

/**
 * Splits each block where its copy reads a unit written before the unit it lands in (and not saved in the
 * stash of a window both units are in), turning those bytes into literals. The flash map stays the same: a block's first part keeps its segment flag (same old start,
 * same shift) and its other parts are no segments; a segment block whose first part would be too short to
 * carry a flag is left whole.
 */
export function literalizeBrokenCopies(
  blocks: readonly Block[],
  flags: readonly boolean[] | undefined,
  minSegment: number,
  unitSize: number,
  sequence: readonly number[],
  stash: readonly StashWindow[] = [],
): { blocks: Block[]; flags: boolean[] | undefined } {
  const rank = new Map(sequence.map((unit, i) => [unit, i]));
  const windowAt = windowAtPosition(stash, sequence.length);
  // A window's stash holds every old byte its units copy from its units (src/inplace/stash.ts).
  const broken = (n: number, p: number): boolean => {
    const source = rank.get(Math.floor(p / unitSize));
    const target = rank.get(Math.floor(n / unitSize))!;
    if (source === undefined || source >= target) return false;
    return windowAt[source] === -1 || windowAt[source] !== windowAt[target];
  };
  const outBlocks: Block[] = [];
  const outFlags: boolean[] = [];
  let newPos = 0;
  blocks.forEach((b, index) => {
    const parts = splitBlock(b, newPos, unitSize, broken);
    const flagged = flags?.[index] === true;
    if (parts.length === 1 || (flagged && parts[0]!.copyLen < minSegment)) {
      outBlocks.push({ ...b });
      outFlags.push(flagged);
    } else {
      parts.forEach((part, i) => {
        outBlocks.push(part);
        outFlags.push(flagged && i === 0);
      });
    }
    newPos += b.copyLen + b.extraLen;
  });
  return { blocks: outBlocks, flags: flags && outFlags };
}

function splitBlock(b: Block, newStart: number, unitSize: number, broken: (n: number, p: number) => boolean): Block[] {
  // Stretches of the copy where the new and the old unit stay the same, marked broken or not.
  const stretches: Array<{ at: number; length: number; broken: boolean }> = [];
  for (let done = 0; done < b.copyLen; ) {
    const n = newStart + done;
    const p = b.oldStart + done;
    const length = Math.min(b.copyLen - done, unitSize - (n % unitSize), unitSize - (p % unitSize));
    const isBroken = broken(n, p);
    const last = stretches[stretches.length - 1];
    if (last && last.broken === isBroken) last.length += length;
    else stretches.push({ at: done, length, broken: isBroken });
    done += length;
  }
  const parts: Block[] = [];
  let current: Block = { oldStart: b.oldStart, copyLen: 0, extraLen: 0 };
  for (const s of stretches) {
    if (s.broken && s.length >= MIN_LITERAL_RUN) {
      current.extraLen += s.length;
    } else if (current.extraLen > 0) {
      parts.push(current);
      current = { oldStart: b.oldStart + s.at, copyLen: s.length, extraLen: 0 };
    } else {
      current.copyLen += s.length;
    }
  }
  current.extraLen += b.extraLen;
  parts.push(current);
  return parts;
}
