/**
 * Resumable application of a two-slot patch (docs/DEVICE.md, "Progress record"): the old image stays intact
 * in its slot, the new one is written unit by unit into the other slot (`flash.slot`; the scratch unit is not
 * used), and a record is saved after each unit. A resumed run decodes again from the start, discards the
 * output below the first unit not done, erases that unit and goes on; the old image is checked at every
 * start, since it never changes.
 */
import { InvalidInputError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import type { ParsedPatch } from '../container/patch-file.js';
import type { SourceView } from '../delta/source.js';
import { checkBaseImage, decodePayload, prepareApplier } from '../pipeline/apply.js';
import { CheckFailedError } from '../errors.js';
import { ERASED, type SlotFlash } from './flash.js';
import { ProgressJournal, type ProgressCells } from './progress.js';
import type { InPlaceOutcome } from './apply.js';

export async function applyTwoSlot(old: Uint8Array, flash: SlotFlash, parsed: ParsedPatch, cells: ProgressCells): Promise<InPlaceOutcome> {
  const { header } = parsed;
  if (header.inPlace) throw new InvalidInputError('an in-place patch: apply it over the old image (applyInPlace)');
  const { eraseUnit: unitSize, writeUnit } = flash.geometry;
  if (header.newSize > flash.geometry.slotSize) throw new CheckFailedError(`a ${header.newSize}-byte image does not fit the ${flash.geometry.slotSize}-byte slot`);
  checkBaseImage(header, old);
  const units = Math.ceil(header.newSize / unitSize);
  const journal = new ProgressJournal(cells, header.newSha256);
  const saved = journal.load();
  if (saved && saved.done > units) throw new CheckFailedError(`the progress record says ${saved.done} units are done; the patch has ${units}`);
  // A two-slot record never has a scratch unit (device/src/sd_resume.c refuses it the same way).
  if (saved?.scratchValid) throw new CheckFailedError('the progress record says a scratch unit holds a unit: not a two-slot record');
  const resumedAt = saved?.done ?? 0;
  const from = resumedAt * unitSize;
  let done = resumedAt;
  let position = 0;
  const pending = new Uint8Array(writeUnit);
  let pendingLength = 0;
  let filled = 0; // bytes written into unit `done`
  const writeWhole = (bytes: Uint8Array): void => {
    if (filled === 0) flash.erase('slot', done);
    flash.write('slot', done * unitSize + filled, bytes);
    filled += bytes.length;
  };
  const unitEnd = (): void => {
    journal.save({ done: done + 1, scratchValid: false, scratchCheck: new Uint8Array(8) });
    done++;
    filled = 0;
  };
  const add = (bytes: Uint8Array): void => {
    for (let i = 0; i < bytes.length; ) {
      const n = Math.min(bytes.length - i, writeUnit - pendingLength, unitSize - filled - pendingLength);
      pending.set(bytes.subarray(i, i + n), pendingLength);
      pendingLength += n;
      i += n;
      if (pendingLength === writeUnit) {
        writeWhole(pending);
        pendingLength = 0;
      }
      if (filled === unitSize) unitEnd();
    }
  };
  // Pieces wholly below the resume point are not read (the old image is intact, so a piece that straddles it
  // may be read whole).
  const skipping = (view: SourceView): SourceView => ({
    length: view.length,
    read(block, offsetInBlock, out) {
      if (block.newStart + offsetInBlock + out.length <= from) out.fill(0);
      else view.read(block, offsetInBlock, out);
    },
  });
  if (done < units) {
    const applier = prepareApplier(
      old,
      parsed,
      (chunk) => {
        const skip = Math.min(chunk.length, Math.max(0, from - position));
        position += chunk.length;
        if (skip < chunk.length) add(chunk.subarray(skip));
      },
      skipping,
    );
    await decodePayload(header, parsed.payload, (chunk) => applier.push(chunk));
    applier.finish();
    if (pendingLength > 0 || filled > 0) {
      if (pendingLength > 0) {
        pending.fill(ERASED, pendingLength);
        writeWhole(pending);
      }
      unitEnd();
    }
  }
  const digest = sha256(flash.slot.subarray(0, header.newSize));
  if (!digest.every((b, i) => b === header.newSha256[i])) {
    throw new InvalidInputError(`corrupt patch: the new slot's SHA-256 ${toHex(digest)} differs from the expected ${toHex(header.newSha256)}`);
  }
  return { unitsWritten: units - resumedAt, resumedAt };
}
