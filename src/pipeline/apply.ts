/**
 * Applying a patch the way a device does: check the base image first, then stream the payload through the
 * decompressor into the applier, which reads the old image at random and writes the new one in order, and
 * check the result's SHA-256 at the end. Nothing is returned unless every check passed.
 */
import { createHash } from 'node:crypto';
import { CheckFailedError, InvalidInputError } from '../errors.js';
import { decompressLzma, LZMA_MIN_DICT_LOG2 } from '../codec/lzma.js';
import { SmallLzDecoder } from '../codec/lzs.js';
import { Codec, hasTables, Transform, type PatchHeader } from '../container/header.js';
import { Layout, maxProgramLength } from '../delta/program.js';
import { parsePatch, type ParsedPatch } from '../container/patch-file.js';
import { parseTables } from '../container/tables.js';
import { SmallTable } from '../delta/control-table.js';
import { ProgramApplier } from '../delta/apply.js';
import { plainSource, type SourceView } from '../delta/source.js';
import { sha256, toHex } from '../crypto/hash.js';
import { cortexMSource } from '../arch/cortex-m/apply.js';
import { applyInPlace, slotNeeded } from '../inplace/apply.js';
import { MemoryFlash } from '../inplace/flash.js';
import { MemoryCells } from '../inplace/progress.js';

/** Payload pieces handed to the decompressor, as a device would receive them. */
const PAYLOAD_CHUNK = 4096;

/** The precondition: refuse a wrong base image before any work (docs/FORMAT.md, "The base check"). */
export function checkBaseImage(header: PatchHeader, old: Uint8Array): void {
  const actual = sha256(old);
  if (old.length !== header.oldSize || !header.oldCheck.every((b, i) => b === actual[i])) {
    throw new CheckFailedError(
      `wrong base image: the patch needs ${header.oldSize} bytes whose SHA-256 starts ${toHex(header.oldCheck)}, ` +
        `got ${old.length} bytes with SHA-256 ${toHex(actual)}`,
    );
  }
}

/**
 * The program applier for a parsed patch: the tables read and checked, the source view for the transform
 * (wrapped by `wrap` when a caller wants to watch what copies read), the result going to `sink`.
 */
export function prepareApplier(
  old: Uint8Array,
  parsed: ParsedPatch,
  sink: (chunk: Uint8Array) => void,
  wrap: (source: SourceView) => SourceView = (s) => s,
): ProgramApplier {
  const { header } = parsed;
  const relocation = header.transform === Transform.cortexM;
  const tables = hasTables(header) ? parseTables(header, parsed.tables) : undefined;
  const small = header.layout === Layout.tableFirst ? new SmallTable({ oldSize: header.oldSize, newSize: header.newSize }) : undefined;
  // The host keeps the segment list; a device searches the stored table through its checkpoints (same answers).
  const lookup = relocation && !small ? tables!.control!.segmentLookup() : undefined;
  const flash = (o: number): number => (small ? small.flashShift(o) : lookup!(o));
  const source = relocation ? cortexMSource(old, header, tables!, flash) : plainSource(old);
  return new ProgramApplier(
    {
      layout: header.layout,
      diffCoding: header.diffCoding,
      oldSize: header.oldSize,
      newSize: header.newSize,
      ...(tables?.control && { entries: tables.control.entries() }),
      ...(small && { smallTable: small }),
      ...(header.inPlace && { unitSize: header.inPlace.eraseUnit }),
    },
    wrap(source),
    sink,
  );
}

/**
 * Feeds the payload through the header's codec, in device-sized pieces, to `push`. Each codec stops at its
 * stream's end and refuses bytes after it; LZMA also stops past the longest plausible program.
 */
export async function decodePayload(header: PatchHeader, payload: Uint8Array, push: (chunk: Uint8Array) => void): Promise<void> {
  const pieces = function* (): Generator<Uint8Array> {
    for (let i = 0; i < payload.length; i += PAYLOAD_CHUNK) yield payload.subarray(i, i + PAYLOAD_CHUNK);
  };
  if (header.codec === Codec.lzma1) {
    // liblzma keeps at least a 4 KiB window; a smaller declared window is only valid for a program that fits
    // in it (docs/FORMAT.md, "Codec 1"), which is what a device's window enforces.
    const window = header.lzma!.dictSize;
    const bound = Math.min(window < 2 ** LZMA_MIN_DICT_LOG2 ? window : Infinity, maxProgramLength(header.newSize));
    await decompressLzma(pieces(), header.lzma!, bound, push, `the program exceeds the declared ${window}-byte LZMA window`);
  } else if (header.codec === Codec.smallLz) {
    const decoder = new SmallLzDecoder(header.smallLz!.params, header.smallLz!.programLength, push);
    for (const piece of pieces()) decoder.push(piece);
    decoder.finish();
  } else {
    for (const piece of pieces()) push(piece);
  }
}

export async function applyPatch(old: Uint8Array, patchBytes: Uint8Array): Promise<Uint8Array> {
  const parsed = parsePatch(patchBytes);
  const { header, payload } = parsed;
  checkBaseImage(header, old);
  if (header.inPlace) {
    // The device's algorithm, on a copy of the old image in a slot of the patch's geometry.
    // Only the part of the slot the update touches is modelled (the header may declare a larger slot).
    const flash = new MemoryFlash({ ...header.inPlace, slotSize: slotNeeded(header) }, old);
    await applyInPlace(flash, parsed, new MemoryCells());
    return flash.slot.slice(0, header.newSize);
  }
  const result = new ResultBuffer(header.newSize);
  const hash = createHash('sha256');
  const applier = prepareApplier(old, parsed, (chunk) => {
    result.append(chunk);
    hash.update(chunk);
  });
  await decodePayload(header, payload, (chunk) => applier.push(chunk));
  applier.finish();
  const digest = new Uint8Array(hash.digest());
  if (!digest.every((b, i) => b === header.newSha256[i])) {
    throw new InvalidInputError(`corrupt patch: the result's SHA-256 ${toHex(digest)} differs from the expected ${toHex(header.newSha256)}`);
  }
  return result.bytes();
}

/**
 * The new image, grown as the program really produces it (doubling, never past the declared size): a header
 * that declares a large image costs no memory until the payload delivers the bytes (docs/SECURITY.md, "Limits").
 */
export class ResultBuffer {
  private data = new Uint8Array(0);
  private length = 0;

  constructor(private readonly declaredSize: number) {}

  get capacity(): number {
    return this.data.length;
  }

  append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.declaredSize) throw new InvalidInputError(`corrupt patch: the program produces more than the declared ${this.declaredSize} bytes`);
    if (needed > this.data.length) {
      const grown = new Uint8Array(Math.min(this.declaredSize, Math.max(needed, 2 * this.data.length, 64 * 1024)));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(chunk, this.length);
    this.length = needed;
  }

  /** The bytes produced (the whole buffer once the declared size is reached, without a copy). */
  bytes(): Uint8Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
}
