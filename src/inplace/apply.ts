/**
 * Applying an in-place patch over the image in its own slot, resumable after a reset at any moment
 * (docs/DEVICE.md, "Single-slot layout"). Unit k of the new image is built in the scratch unit; then the
 * record "scratch holds unit k, check C" is saved, unit k of the slot erased and the scratch copied into it,
 * then "k + 1 units done" saved. A reset leaves old unit k intact or a complete scratch copy with its check,
 * so a resumed run always has what it needs: it runs the decoder again from the start and discards the
 * output below the first unit not done, without reading the slot for it.
 */
import { CheckFailedError, InvalidInputError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import type { PatchHeader } from '../container/header.js';
import type { ParsedPatch } from '../container/patch-file.js';
import { checkBaseImage, decodePayload, prepareApplier } from '../pipeline/apply.js';
import { ERASED, type SlotFlash } from './flash.js';
import { ProgressJournal, type Progress, type ProgressCells } from './progress.js';
import type { SourceView } from '../delta/source.js';
import { writeSequence } from './order.js';
import { liveSlotSource } from './source.js';

const SCRATCH_CHECK = 8;

export interface InPlaceOutcome {
  /** Units built and committed by this run (not counting those a previous run committed). */
  unitsWritten: number;
  /** Where this run started: 0, or the unit a saved record pointed at. */
  resumedAt: number;
}

/** The geometry a patch was made for must be the flash's, or copies would read the wrong bytes. */
export function checkFlashGeometry(header: PatchHeader, flash: SlotFlash): NonNullable<PatchHeader['inPlace']> {
  const g = header.inPlace;
  if (!g) throw new InvalidInputError('not an in-place patch: it needs a second slot for the new image');
  const f = flash.geometry;
  if (f.eraseUnit !== g.eraseUnit || f.writeUnit !== g.writeUnit || f.slotSize < slotNeeded(header)) {
    throw new CheckFailedError(
      `the patch was made for ${g.eraseUnit}-byte erase units, ${g.writeUnit}-byte writes and a slot of at least ${slotNeeded(header)} bytes ` +
        `(declared ${g.slotSize}); this flash has ${f.eraseUnit}, ${f.writeUnit} and ${f.slotSize}`,
    );
  }
  return g;
}

/** The slot an in-place patch really uses: the old image and the new image's erase units (at most the declared slot). */
export function slotNeeded(header: PatchHeader): number {
  const e = header.inPlace!.eraseUnit;
  return Math.max(Math.ceil(header.oldSize / e), Math.ceil(header.newSize / e)) * e;
}

/** Thrown by a backward pass's sink once its unit is complete: the rest of the program is not needed. */
const PASS_DONE = Symbol('pass done');

/** Applies (or resumes) an in-place patch; throws unless the slot ends with exactly the new image. */
export async function applyInPlace(
  flash: SlotFlash,
  parsed: ParsedPatch,
  cells: ProgressCells,
  /** Wraps what copies read, for callers that watch it (the report's change map); sees only what is kept. */
  observe: (view: SourceView) => SourceView = (view) => view,
): Promise<InPlaceOutcome> {
  const { header } = parsed;
  const g = checkFlashGeometry(header, flash);
  const unitSize = g.eraseUnit;
  const units = Math.ceil(header.newSize / unitSize);
  const sequence = writeSequence(g.order);
  const unitAt = (k: number): number => sequence[k]!;
  const journal = new ProgressJournal(cells, header.newSha256);
  const saved = journal.load();
  if (saved && saved.done > units) throw new CheckFailedError(`the progress record says ${saved.done} units are done; the patch has ${units}`);
  let done = saved?.done ?? 0;
  const resumedAt = done;
  const commit = (): void => {
    const unit = unitAt(done);
    flash.erase('slot', unit);
    flash.write('slot', unit * unitSize, flash.scratch.slice());
    journal.save({ done: done + 1, scratchValid: false, scratchCheck: new Uint8Array(SCRATCH_CHECK) });
    done++;
  };
  const builder = new ScratchBuilder(flash, (check) => {
    journal.save({ done, scratchValid: true, scratchCheck: check } satisfies Progress);
    commit();
  });

  /** Where a pass that starts at the k-th unit written stops: after the units that follow it in the slot. */
  const stretchEnd = (k: number): number => {
    let last = k;
    while (last + 1 < units && sequence[last + 1] === sequence[last]! + 1) last++;
    return Math.min((sequence[last]! + 1) * unitSize, header.newSize);
  };

  /**
   * One run of the decoder: the output below the next unit to write is discarded without reading the slot;
   * the run goes on while the next unit written is the next in the slot, and stops before one that lies
   * elsewhere (the program would need the units between, which are not the slot's yet). A dry run reads and
   * writes nothing: it checks the payload decodes to a complete program before the first erase.
   */
  const pass = async (dry = false): Promise<void> => {
    const from = dry ? header.newSize : unitAt(done) * unitSize;
    const to = dry ? header.newSize : stretchEnd(done);
    let position = 0;
    const applier = prepareApplier(
      flash.slot.subarray(0, header.oldSize),
      parsed,
      (chunk) => {
        const start = Math.max(position, from);
        const end = Math.min(position + chunk.length, to);
        if (start < end) builder.add(chunk.subarray(start - position, end - position));
        position += chunk.length;
        if (position >= to && to < header.newSize) throw PASS_DONE;
      },
      (view) => liveSlotSource(observe(view), unitSize, from),
    );
    try {
      await decodePayload(header, parsed.payload, (chunk) => applier.push(chunk));
      applier.finish();
    } catch (err) {
      if (err !== PASS_DONE) throw err;
    }
    if (!dry) builder.end();
  };

  if (!saved) {
    checkBaseImage(header, flash.slot.subarray(0, header.oldSize));
    // A first pass that reaches the program's end checks it before its units are committed; any other
    // would commit units first, so a dry run checks the end before the first erase.
    if (units > 0 && stretchEnd(0) < header.newSize) await pass(true);
  }
  if (saved?.scratchValid) {
    const check = sha256(flash.scratch).subarray(0, SCRATCH_CHECK);
    if (!check.every((b, i) => b === saved.scratchCheck[i])) {
      throw new CheckFailedError(`the scratch unit does not match its progress record (${toHex(check)}, recorded ${toHex(saved.scratchCheck)})`);
    }
    commit();
  }
  while (done < units) await pass();
  const digest = sha256(flash.slot.subarray(0, header.newSize));
  if (!digest.every((b, i) => b === header.newSha256[i])) {
    throw new InvalidInputError(`corrupt patch: the slot's SHA-256 ${toHex(digest)} differs from the expected ${toHex(header.newSha256)}`);
  }
  return { unitsWritten: units - resumedAt, resumedAt };
}

/**
 * Fills the scratch unit with the output, one write unit at a time, and hands over the check of each full
 * unit (the last one padded with erased bytes). The scratch is erased before its first write.
 */
class ScratchBuilder {
  private readonly unitSize: number;
  private readonly pending: Uint8Array;
  private pendingLength = 0;
  private filled = 0;
  private started = false;

  constructor(private readonly flash: SlotFlash, private readonly unitDone: (check: Uint8Array) => void) {
    this.unitSize = flash.geometry.eraseUnit;
    this.pending = new Uint8Array(flash.geometry.writeUnit);
  }

  add(bytes: Uint8Array): void {
    const writeUnit = this.pending.length;
    for (let i = 0; i < bytes.length; ) {
      if (!this.started) {
        this.flash.erase('scratch', 0);
        this.started = true;
      }
      // At most to the end of this unit; whole write units go to the flash in one write.
      const take = Math.min(bytes.length - i, this.unitSize - this.filled - this.pendingLength);
      let at = i;
      const end = i + take;
      if (this.pendingLength > 0) {
        const n = Math.min(writeUnit - this.pendingLength, end - at);
        this.pending.set(bytes.subarray(at, at + n), this.pendingLength);
        this.pendingLength += n;
        at += n;
        if (this.pendingLength === writeUnit) this.writePending();
      }
      const whole = Math.floor((end - at) / writeUnit) * writeUnit;
      if (whole > 0) {
        this.flash.write('scratch', this.filled, bytes.subarray(at, at + whole));
        this.filled += whole;
        at += whole;
      }
      if (at < end) {
        this.pending.set(bytes.subarray(at, end), 0);
        this.pendingLength = end - at;
      }
      i = end;
      if (this.filled === this.unitSize) this.finishUnit();
    }
  }

  /** After the last output byte: a partly filled last unit is padded and committed. */
  end(): void {
    if (!this.started) return;
    if (this.pendingLength > 0) {
      this.pending.fill(ERASED, this.pendingLength);
      this.pendingLength = this.pending.length;
      this.writePending();
    }
    this.finishUnit();
  }

  private writePending(): void {
    this.flash.write('scratch', this.filled, this.pending);
    this.filled += this.pendingLength;
    this.pendingLength = 0;
  }

  private finishUnit(): void {
    // The check is of what the scratch holds, read back: it verifies the writes too.
    const check = sha256(this.flash.scratch).slice(0, SCRATCH_CHECK);
    this.started = false;
    this.filled = 0;
    this.unitDone(check);
  }
}
