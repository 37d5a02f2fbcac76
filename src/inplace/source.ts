/**
 * What an in-place copy reads: the slot as it is when the piece is read (docs/FORMAT.md, "In-place patches").
 * While unit u of the new image is built, the slot holds new[0, u * E) and old[u * E, ...): a copy from below
 * u * E reads the new image (a self-reference), one from above reads the old image, and the relocation
 * predictor reads its look-behind and look-ahead there too. A block's part in each unit is predicted on its
 * own (as a block starting at the unit boundary), so it never depends on bytes read when the slot held
 * something else, and a resumed run can skip the units before it without reading them.
 */
import type { SourceView } from '../delta/source.js';
import { windowAtPosition, type StashWindow } from './stash.js';

/**
 * Reads a piece of a copy block as part of the block's part in the erase unit the piece lands in: a block is
 * predicted as separate blocks cut at the unit boundaries of the new image, so that what is predicted in one
 * unit never depends on bytes read while the slot held something else.
 */
function readInUnitPart(view: SourceView, unitSize: number, block: { oldStart: number; newStart: number }, offsetInBlock: number, out: Uint8Array): void {
  const at = block.newStart + offsetInBlock;
  const partStart = Math.max(0, at - (at % unitSize) - block.newStart);
  view.read({ oldStart: block.oldStart + partStart, newStart: block.newStart + partStart }, offsetInBlock - partStart, out);
}

/**
 * What a copy reads while a unit of a stash window is built (docs/FORMAT.md, "Stash windows"): the slot as it
 * is, except that the unit being built reads erased bytes (it is being written) and the window's stash
 * ranges read the old bytes saved in the scratch unit. `image` holds the slot's bytes; this overlays it.
 */
export function overlayStash(image: Uint8Array, unitSize: number, unit: number, window: StashWindow, stashed: Uint8Array): void {
  image.fill(0xff, unit * unitSize, Math.min((unit + 1) * unitSize, image.length));
  let at = 0;
  for (const r of window.ranges) {
    image.set(stashed.subarray(at, at + r.length), r.start);
    at += r.length;
  }
}

/** A window's stash as the scratch unit holds it: its old ranges one after the other. */
export function stashBytes(old: Uint8Array, window: StashWindow): Uint8Array {
  const out = new Uint8Array(window.ranges.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of window.ranges) {
    out.set(old.subarray(r.start, r.start + r.length), at);
    at += r.length;
  }
  return out;
}

/**
 * The creator's model of the slot while unit u of the new image is built: the units written before u (in
 * `sequence`, the write order) hold the new image, the others the old; inside a stash window, the overlay
 * above. `over` makes the plan's prediction over it.
 */
export function plannedSlotSource(
  old: Uint8Array,
  target: Uint8Array,
  unitSize: number,
  sequence: readonly number[],
  over: (image: Uint8Array) => SourceView,
  stash: readonly StashWindow[] = [],
): SourceView {
  const slot = new Uint8Array(old);
  const view = over(slot);
  const units = Math.ceil(slot.length / unitSize);
  const rank = new Map(sequence.map((unit, i) => [unit, i]));
  const windowAt = windowAtPosition(stash, sequence.length);
  const holdsNew = new Array<boolean>(units).fill(false);
  /** Units an overlay changed: rewritten on the next move. */
  const overlaid = new Set<number>();
  let current = -1;
  const moveTo = (unit: number): void => {
    if (unit === current) return;
    current = unit;
    for (let k = 0; k < units; k++) {
      // Units wholly past the new image are never written: they keep the old bytes.
      const wantNew = rank.has(k) && rank.get(k)! < rank.get(unit)!;
      if (wantNew === holdsNew[k] && !overlaid.has(k)) continue;
      const start = k * unitSize;
      const end = Math.min(start + unitSize, slot.length);
      if (wantNew) {
        // A written unit holds the new bytes, then erased flash past the new image's end.
        slot.fill(0xff, start, end);
        slot.set(target.subarray(start, Math.min(end, target.length)), start);
      } else {
        slot.set(old.subarray(start, end), start);
      }
      holdsNew[k] = wantNew;
    }
    overlaid.clear();
    const window = stash[windowAt[rank.get(unit)!] ?? -1];
    if (window) {
      overlayStash(slot, unitSize, unit, window, stashBytes(old, window));
      overlaid.add(unit);
      for (const r of window.ranges) overlaid.add(Math.floor(r.start / unitSize));
    }
  };
  return {
    length: old.length,
    read(block, offsetInBlock, out) {
      const at = block.newStart + offsetInBlock;
      moveTo(Math.floor(at / unitSize));
      readInUnitPart(view, unitSize, block, offsetInBlock, out);
    },
  };
}

/**
 * The applier's view: the prediction over the live slot; pieces of new offsets below `resumeFrom` (output a
 * resumed run discards) are not read at all.
 */
export function liveSlotSource(view: SourceView, unitSize: number, resumeFrom: number): SourceView {
  return {
    length: view.length,
    read(block, offsetInBlock, out) {
      if (block.newStart + offsetInBlock < resumeFrom) {
        out.fill(0);
        return;
      }
      readInUnitPart(view, unitSize, block, offsetInBlock, out);
    },
  };
}
