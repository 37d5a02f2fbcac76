/**
 * Applying an in-place patch over the image in its own slot, resumable after a reset at any moment
 * (docs/DEVICE.md, "Single-slot layout"). Unit k of the new image is built in the scratch unit; then the
 * record "scratch holds unit k, check C" is saved, unit k of the slot erased and the scratch copied into it,
 * then "k + 1 units done" saved. A reset leaves old unit k intact or a complete scratch copy with its check,
 * so a resumed run always has what it needs: it runs the decoder again from the start and discards the
 * output below the first unit not done, without reading the slot for it.
 *
 * A stash window (docs/FORMAT.md, "Stash windows") works the other way round: its old ranges are saved in the
 * scratch unit and recorded with their check before any of its units is erased; then each unit is erased
 * and written directly, reading the stash, and recorded done with the same check.
 */
import { CheckFailedError, InvalidInputError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import type { PatchHeader } from '../container/header.js';
import type { ParsedPatch } from '../container/patch-file.js';
import { checkBaseImage, decodePayload, prepareApplier } from '../pipeline/apply.js';
import { ERASED, type FlashArea, type SlotFlash } from './flash.js';
import { ProgressJournal, type Progress, type ProgressCells } from './progress.js';
import type { SourceView } from '../delta/source.js';
import { writeSequence } from './order.js';
import { liveSlotSource, overlayStash, stashBytes } from './source.js';
import { windowAtPosition } from './stash.js';

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
  const stash = g.stash ?? [];
  const windowAt = windowAtPosition(stash, units);
  const inWindow = (k: number): boolean => k < units && windowAt[k]! >= 0;
  const noCheck = new Uint8Array(SCRATCH_CHECK);
  let stashCheck: Uint8Array = noCheck;
  /** The scratch holds the stash of the window the unit `done` is in, recorded. */
  let stashReady = false;
  /** The start of a window (between passes): its stash into the scratch unit, recorded with its check. */
  const enter = (): void => {
    if (!inWindow(done) || stash[windowAt[done]!]!.first !== done || stashReady) return;
    const bytes = stashBytes(flash.slot, stash[windowAt[done]!]!);
    const padded = new Uint8Array(Math.ceil(bytes.length / g.writeUnit) * g.writeUnit).fill(ERASED);
    padded.set(bytes);
    flash.erase('scratch', 0);
    flash.write('scratch', 0, padded);
    stashCheck = sha256(flash.scratch).slice(0, SCRATCH_CHECK);
    journal.save({ done, scratchValid: true, scratchCheck: stashCheck });
    stashReady = true;
  };
  const commit = (): void => {
    const unit = unitAt(done);
    flash.erase('slot', unit);
    flash.write('slot', unit * unitSize, flash.scratch.slice());
    journal.save({ done: done + 1, scratchValid: false, scratchCheck: noCheck });
    done++;
  };
  const builder = new UnitBuilder(
    flash,
    () => (inWindow(done) ? { area: 'slot', unit: unitAt(done) } : { area: 'scratch', unit: 0 }),
    (check) => {
      if (check) {
        journal.save({ done, scratchValid: true, scratchCheck: check } satisfies Progress);
        commit();
        return;
      }
      // A window's unit, written in the slot: done, the stash still valid for the window's next unit.
      const sameWindow = inWindow(done + 1) && windowAt[done + 1] === windowAt[done];
      stashReady = sameWindow;
      journal.save({ done: done + 1, scratchValid: sameWindow, scratchCheck: sameWindow ? stashCheck : noCheck });
      done++;
    },
  );

  /**
   * Inside a window the prediction reads a copy of the slot with the stash laid over it, made again whenever
   * the unit read for changes (the slot changes only between units); elsewhere it reads the slot itself.
   */
  const positionOf = new Map(sequence.map((unit, k) => [unit, k]));
  const image = stash.length > 0 ? new Uint8Array(header.oldSize) : flash.slot.subarray(0, header.oldSize);
  let imageUnit = -1;
  const syncImage = (view: SourceView): SourceView =>
    stash.length === 0
      ? view
      : {
          length: view.length,
          read(block, offsetInBlock, out) {
            const unit = Math.floor((block.newStart + offsetInBlock) / unitSize);
            if (unit !== imageUnit) {
              imageUnit = unit;
              image.set(flash.slot.subarray(0, header.oldSize));
              const w = windowAt[positionOf.get(unit)!]!;
              if (w >= 0) overlayStash(image, unitSize, unit, stash[w]!, flash.scratch);
            }
            view.read(block, offsetInBlock, out);
          },
        };

  /**
   * Where a pass that starts at the k-th unit written stops: after the units that follow it in the slot, and
   * before a stash window's start (its stash is written between passes).
   */
  const stretchEnd = (k: number): number => {
    let last = k;
    const windowStart = (j: number): boolean => inWindow(j) && stash[windowAt[j]!]!.first === j;
    while (last + 1 < units && sequence[last + 1] === sequence[last]! + 1 && !windowStart(last + 1)) last++;
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
    imageUnit = -1;
    const applier = prepareApplier(
      image,
      parsed,
      (chunk) => {
        const start = Math.max(position, from);
        const end = Math.min(position + chunk.length, to);
        if (start < end) builder.add(chunk.subarray(start - position, end - position));
        position += chunk.length;
        if (position >= to && to < header.newSize) throw PASS_DONE;
      },
      (view) => liveSlotSource(observe(syncImage(view)), unitSize, from),
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
    // Inside a window the scratch holds its stash; elsewhere the unit built, still to be committed.
    if (inWindow(done)) {
      stashCheck = saved.scratchCheck.slice();
      stashReady = true;
    } else {
      commit();
    }
  } else if (inWindow(done) && stash[windowAt[done]!]!.first !== done) {
    throw new CheckFailedError(`the progress record says ${done} units are done, inside a stash window, without its stash`);
  }
  while (done < units) {
    enter();
    await pass();
  }
  const digest = sha256(flash.slot.subarray(0, header.newSize));
  if (!digest.every((b, i) => b === header.newSha256[i])) {
    throw new InvalidInputError(`corrupt patch: the slot's SHA-256 ${toHex(digest)} differs from the expected ${toHex(header.newSha256)}`);
  }
  return { unitsWritten: units - resumedAt, resumedAt };
}

/**
 * Writes the output of one unit at a time, one write unit at a time, to where `target` says when the unit
 * starts: the scratch unit (then hands over the check of the full unit, the last one padded with erased
 * bytes) or the slot's unit itself (a stash window's unit; no check: the slot is hashed at the end). The
 * target unit is erased before its first write.
 */
class UnitBuilder {
  private readonly unitSize: number;
  private readonly pending: Uint8Array;
  private pendingLength = 0;
  private filled = 0;
  private target: { area: FlashArea; unit: number } | undefined;

  constructor(
    private readonly flash: SlotFlash,
    private readonly targetOf: () => { area: FlashArea; unit: number },
    private readonly unitDone: (check: Uint8Array | undefined) => void,
  ) {
    this.unitSize = flash.geometry.eraseUnit;
    this.pending = new Uint8Array(flash.geometry.writeUnit);
  }

  add(bytes: Uint8Array): void {
    const writeUnit = this.pending.length;
    for (let i = 0; i < bytes.length; ) {
      if (!this.target) {
        this.target = this.targetOf();
        this.flash.erase(this.target.area, this.target.unit);
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
        this.write(bytes.subarray(at, at + whole));
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

  /** After the last output byte: a partly filled last unit is padded and finished. */
  end(): void {
    if (!this.target) return;
    if (this.pendingLength > 0) {
      this.pending.fill(ERASED, this.pendingLength);
      this.pendingLength = this.pending.length;
      this.writePending();
    }
    this.finishUnit();
  }

  private write(bytes: Uint8Array): void {
    const t = this.target!;
    this.flash.write(t.area, t.area === 'slot' ? t.unit * this.unitSize + this.filled : this.filled, bytes);
    this.filled += bytes.length;
  }

  private writePending(): void {
    this.write(this.pending);
    this.pendingLength = 0;
  }

  private finishUnit(): void {
    const area = this.target!.area;
    this.target = undefined;
    this.filled = 0;
    // The scratch's check is of what it holds, read back: it verifies the writes too.
    this.unitDone(area === 'scratch' ? sha256(this.flash.scratch).slice(0, SCRATCH_CHECK) : undefined);
  }
}
