/**
 * Where in the new image a patch carries information. The patch is applied the way `apply` does it, with the
 * applier's source view wrapped so that every byte a copy block reads (the old byte as copied, or as the
 * relocation predicts it) is recorded at its new position. A new byte then falls in one of three classes:
 * copied and equal to the prediction (costs almost nothing), copied but differing (a difference byte), or
 * literal (not copied at all). The cells of the map count the last two.
 */
import { parsePatch } from '../container/patch-file.js';
import type { SourceView } from '../delta/source.js';
import { CheckFailedError } from '../errors.js';
import { checkBaseImage, decodePayload, prepareApplier } from '../pipeline/apply.js';
import { applyInPlace, slotNeeded } from '../inplace/apply.js';
import { MemoryFlash } from '../inplace/flash.js';
import { MemoryCells } from '../inplace/progress.js';
import type { ChangeMap, DeliverableKind } from './types.js';

export const DEFAULT_MAP_CELLS = 128;

/** A source view that records what it hands out: predicted[n] and copied[n] per new offset n. */
function recordingSource(inner: SourceView, predicted: Uint8Array, copied: Uint8Array): SourceView {
  return {
    length: inner.length,
    read(block, offsetInBlock, out) {
      inner.read(block, offsetInBlock, out);
      const at = block.newStart + offsetInBlock;
      predicted.set(out, at);
      copied.fill(1, at, at + out.length);
    },
  };
}

/** Runs the patch's program over `old`; returns the predicted bytes, the copy mask and the output. */
async function tracePatch(old: Uint8Array, patchBytes: Uint8Array): Promise<{ predicted: Uint8Array; copied: Uint8Array; output: Uint8Array }> {
  const parsed = parsePatch(patchBytes);
  const { header, payload } = parsed;
  checkBaseImage(header, old);
  const predicted = new Uint8Array(header.newSize);
  const copied = new Uint8Array(header.newSize);
  const output = new Uint8Array(header.newSize);
  if (header.inPlace) {
    // In place, copies read the slot as it changes: the device's algorithm, on a copy of the old image.
    const flash = new MemoryFlash({ ...header.inPlace, slotSize: slotNeeded(header) }, old);
    await applyInPlace(flash, parsed, new MemoryCells(), (source) => recordingSource(source, predicted, copied));
    output.set(flash.slot.subarray(0, header.newSize));
    return { predicted, copied, output };
  }
  let written = 0;
  const applier = prepareApplier(
    old,
    parsed,
    (chunk) => {
      output.set(chunk, written);
      written += chunk.length;
    },
    (source) => recordingSource(source, predicted, copied),
  );
  await decodePayload(header, payload, (chunk) => applier.push(chunk));
  applier.finish();
  return { predicted, copied, output };
}

/**
 * The change map of a patch that turns `old` into `expected`, in `cells` cells over the new image. Refuses a
 * patch for another base image or that builds another image (CheckFailedError).
 */
export async function changeMap(kind: DeliverableKind, old: Uint8Array, expected: Uint8Array, patchBytes: Uint8Array, cells = DEFAULT_MAP_CELLS): Promise<ChangeMap> {
  const { predicted, copied, output } = await tracePatch(old, patchBytes);
  if (output.length !== expected.length || !output.every((b, i) => b === expected[i])) {
    throw new CheckFailedError(`the patch builds a different image than the new image given (${output.length} bytes against ${expected.length})`);
  }
  const newSize = expected.length;
  const cellSize = Math.max(1, Math.ceil(newSize / Math.max(1, cells)));
  const count = Math.ceil(newSize / cellSize);
  const map: ChangeMap = {
    kind,
    newSize,
    cellSize,
    differing: new Array<number>(count).fill(0),
    literal: new Array<number>(count).fill(0),
    bytes: new Array<number>(count).fill(0),
    totals: { copied: 0, differing: 0, literal: 0 },
  };
  for (let n = 0; n < newSize; n++) {
    const cell = Math.floor(n / cellSize);
    map.bytes[cell]!++;
    if (!copied[n]) {
      map.literal[cell]!++;
      map.totals.literal++;
      continue;
    }
    map.totals.copied++;
    if (output[n] !== predicted[n]) {
      map.differing[cell]!++;
      map.totals.differing++;
    }
  }
  return map;
}
