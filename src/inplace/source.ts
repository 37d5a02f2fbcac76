/**
 * What an in-place copy reads: the slot as it is when the piece is read (docs/FORMAT.md, "In-place patches").
 * While unit u of the new image is built, the slot holds new[0, u * E) and old[u * E, ...): a copy from below
 * u * E reads the new image (a self-reference), one from above reads the old image, and the relocation
 * predictor reads its look-behind and look-ahead there too. Each piece is predicted on its own (as a block
 * starting at the piece), so a piece never depends on bytes read when the slot held something else, and a
 * resumed run can skip pieces without reading them.
 */
import type { SourceView } from '../delta/source.js';

/** The piece of block (oldStart, newStart) at offsetInBlock, as a block of its own. */
function asOwnBlock(block: { oldStart: number; newStart: number }, offsetInBlock: number): { oldStart: number; newStart: number } {
  return { oldStart: block.oldStart + offsetInBlock, newStart: block.newStart + offsetInBlock };
}

/**
 * The creator's model of the slot while unit u of the new image is built: the units written before u (in
 * `sequence`, the write order) hold the new image, the others the old. `over` makes the plan's prediction
 * over it.
 */
export function plannedSlotSource(
  old: Uint8Array,
  target: Uint8Array,
  unitSize: number,
  sequence: readonly number[],
  over: (image: Uint8Array) => SourceView,
): SourceView {
  const slot = new Uint8Array(old);
  const view = over(slot);
  const units = Math.ceil(slot.length / unitSize);
  const rank = new Map(sequence.map((unit, i) => [unit, i]));
  const holdsNew = new Array<boolean>(units).fill(false);
  let current = -1;
  const moveTo = (unit: number): void => {
    if (unit === current) return;
    current = unit;
    for (let k = 0; k < units; k++) {
      // Units wholly past the new image are never written: they keep the old bytes.
      const wantNew = rank.has(k) && rank.get(k)! < rank.get(unit)!;
      if (wantNew === holdsNew[k]) continue;
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
  };
  return {
    length: old.length,
    read(block, offsetInBlock, out) {
      const at = block.newStart + offsetInBlock;
      moveTo(Math.floor(at / unitSize));
      view.read(asOwnBlock(block, offsetInBlock), 0, out);
    },
  };
}

/**
 * The applier's view: the prediction over the live slot; pieces of new offsets below `resumeFrom` (output a
 * resumed run discards) are not read at all.
 */
export function liveSlotSource(view: SourceView, resumeFrom: number): SourceView {
  return {
    length: view.length,
    read(block, offsetInBlock, out) {
      if (block.newStart + offsetInBlock < resumeFrom) {
        out.fill(0);
        return;
      }
      view.read(asOwnBlock(block, offsetInBlock), 0, out);
    },
  };
}
