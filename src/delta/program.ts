/**
 * The delta program: the uncompressed byte sequence that the codec compresses (docs/FORMAT.md, "Delta program").
 *
 * Each block is a control entry (seek, copyLen, extraLen) and its data: copyLen difference bytes
 * (new - predicted old, mod 256) and extraLen literal bytes. Two layouts:
 * - interleaved: entry, data, entry, data... in the program. A device applies it as it arrives.
 * - sectioned: the entries are in the control table (./control-table.ts), outside the compressed program,
 *   which holds the data only. Pointer-aware patches use it: the device searches the table, where the
 *   patch is stored, for the flash map.
 * - table-first (pointer-aware patches of at most 32 entries): the entry count and all entries, then all data,
 *   in the program; a device keeps the few entries in RAM. The copy field carries the segment flag.
 * Difference bytes are coded raw, or sparse: (zero run, literal run, literal bytes) pairs, which spares the
 * compressor the long zero runs that dominate small patches.
 */
import type { Block } from './match.js';
import type { SourceView } from './source.js';
import { ByteWriter } from './varint.js';

export const Layout = { interleaved: 0, sectioned: 1, tableFirst: 2 } as const;
export type Layout = (typeof Layout)[keyof typeof Layout];
export const DiffCoding = { raw: 0, sparse: 1 } as const;
export type DiffCoding = (typeof DiffCoding)[keyof typeof DiffCoding];

export interface ProgramOptions {
  layout: Layout;
  diffCoding: DiffCoding;
  /** Table-first layout: which entries are flash map segments. */
  segmentFlags?: readonly boolean[];
  /** In-place patches: the erase unit; source pieces never cross a unit boundary of the new image. */
  unitSize?: number;
}

/**
 * The longest program a new image of `newSize` bytes can have: every entry produces at least one byte and
 * costs at most 15 bytes of varints, every byte at most one difference and one sparse run header. Decoders
 * stop past it (and codec 2's declared program length may not exceed it), so no stream inflates without limit.
 */
export function maxProgramLength(newSize: number): number {
  return 64 + 22 * newSize;
}

/** Predicted-source bytes are fetched in pieces of this size, as a device would with a small buffer. */
export const SOURCE_CHUNK = 4096;

/**
 * The length of the source piece read at `copied` bytes into a copy block of `copyLen` bytes that starts at new
 * offset `blockNewStart`. Two-slot patches read pieces aligned to the block start; in-place patches
 * (`unitSize`) start a piece where the last ended and end it at the next erase unit boundary of the new image,
 * because the slot the source is read from changes there (docs/FORMAT.md, "In-place patches"). Creator and
 * applier cut pieces with this one rule.
 */
export function sourcePiece(copied: number, copyLen: number, blockNewStart: number, unitSize?: number): { start: number; length: number } {
  if (unitSize === undefined) {
    const start = copied - (copied % SOURCE_CHUNK);
    return { start, length: Math.min(SOURCE_CHUNK, copyLen - start) };
  }
  const at = blockNewStart + copied;
  const unitLeft = unitSize - (at % unitSize);
  return { start: copied, length: Math.min(SOURCE_CHUNK, copyLen - copied, unitLeft) };
}

export function encodeProgram(blocks: readonly Block[], target: Uint8Array, source: SourceView, options: ProgramOptions): Uint8Array {
  // Room for a raw program without growing: every new byte once, and up to three 5-byte varints per entry.
  const out = new ByteWriter(target.length + 64 + 15 * blocks.length);
  const writeEntry = (block: Block, oldPos: number, copyField = block.copyLen): void => {
    out.svarint(block.oldStart - oldPos);
    out.uvarint(copyField);
    out.uvarint(block.extraLen);
  };
  // An empty image has an empty program in every layout (docs/FORMAT.md, "Layouts": a count is 1 to 32).
  if (options.layout === Layout.tableFirst && blocks.length > 0) {
    out.uvarint(blocks.length);
    let oldPos = 0;
    blocks.forEach((block, i) => {
      writeEntry(block, oldPos, block.copyLen * 2 + (options.segmentFlags?.[i] ? 1 : 0));
      oldPos = block.oldStart + block.copyLen;
    });
  }
  let oldPos = 0;
  let newPos = 0;
  const piece = new PieceDifferences();
  const sparse = options.diffCoding === DiffCoding.sparse ? new SparseDiffWriter(out) : undefined;
  for (const block of blocks) {
    if (options.layout === Layout.interleaved) writeEntry(block, oldPos);
    const placed = { oldStart: block.oldStart, newStart: newPos };
    for (let done = 0, n = 0; done < block.copyLen; done += n) {
      n = sourcePiece(done, block.copyLen, newPos, options.unitSize).length;
      source.read(placed, done, n === SOURCE_CHUNK ? piece.predicted : piece.predicted.subarray(0, n));
      piece.compute(target, newPos + done, n);
      if (sparse) sparse.add(piece, n);
      else out.bytes(n === SOURCE_CHUNK ? piece.diff : piece.diff.subarray(0, n));
    }
    sparse?.end();
    newPos += block.copyLen;
    out.bytes(target.subarray(newPos, newPos + block.extraLen));
    newPos += block.extraLen;
    oldPos = block.oldStart + block.copyLen;
  }
  return out.view();
}

/** Every byte's high bit, and the other seven bits, in a 32-bit word. */
const HIGH_BITS = 0x80808080 | 0;
const LOW_BITS = 0x7f7f7f7f;

/**
 * The differences of one source piece (new - predicted, mod 256), computed four bytes at a time: a creation
 * computes them over the whole image once per plan and layout, and a byte at a time that was most of
 * encodeProgram's CPU (issue 13). The buffers are word-aligned views of one another; the new bytes are first
 * copied into `current` so that every piece starts on a word.
 */
class PieceDifferences {
  readonly predicted = new Uint8Array(SOURCE_CHUNK);
  private readonly current = new Uint8Array(SOURCE_CHUNK);
  readonly diff = new Uint8Array(SOURCE_CHUNK);
  private readonly predictedWords = new Int32Array(this.predicted.buffer);
  private readonly currentWords = new Int32Array(this.current.buffer);
  readonly diffWords = new Int32Array(this.diff.buffer);

  /** diff[0, n) = target[at, at + n) - predicted[0, n), each byte mod 256. */
  compute(target: Uint8Array, at: number, n: number): void {
    const { predicted, current, diff, predictedWords, currentWords, diffWords } = this;
    current.set(target.subarray(at, at + n));
    const words = n >>> 2;
    // Byte-wise subtraction in a word without borrows between bytes: the high bits are set in the minuend and
    // cleared in the subtrahend so no byte borrows from the next, then each result's high bit is corrected.
    for (let w = 0; w < words; w++) {
      const c = currentWords[w]!;
      const p = predictedWords[w]!;
      diffWords[w] = ((c | HIGH_BITS) - (p & LOW_BITS)) ^ ((c ^ ~p) & HIGH_BITS);
    }
    for (let i = words << 2; i < n; i++) diff[i] = (current[i]! - predicted[i]!) & 0xff;
  }
}

/**
 * Sparse difference coding of one copy block: pairs (zeros: uvarint, count: uvarint, count bytes), read until
 * the block is covered; when a run of zeros reaches the end of the block, its count is not followed by more.
 */
class SparseDiffWriter {
  private zeros = 0;
  /** The literal run so far (it may continue into the next piece of the block). */
  private literals = new Uint8Array(256);
  private literalCount = 0;

  constructor(private readonly out: ByteWriter) {}

  /** The first n differences of `piece`. */
  add(piece: PieceDifferences, n: number): void {
    // Zero runs are skipped a word at a time once aligned: most differences are zero (issue 13).
    const { diff, diffWords } = piece;
    const words = n >>> 2;
    for (let i = 0; i < n; ) {
      let end = i + 1;
      if (diff[i] === 0) {
        if (this.literalCount > 0) this.flush();
        while (end < n && (end & 3) !== 0 && diff[end] === 0) end++;
        if ((end & 3) === 0) {
          let w = end >>> 2;
          while (w < words && diffWords[w] === 0) w++;
          end = w << 2;
          while (end < n && diff[end] === 0) end++;
        }
        this.zeros += end - i;
      } else {
        while (end < n && diff[end] !== 0) end++;
        this.addLiterals(diff, i, end);
      }
      i = end;
    }
  }

  private addLiterals(diff: Uint8Array, start: number, end: number): void {
    const count = this.literalCount + end - start;
    if (count > this.literals.length) {
      const grown = new Uint8Array(Math.max(count, 2 * this.literals.length));
      grown.set(this.literals.subarray(0, this.literalCount));
      this.literals = grown;
    }
    const literals = this.literals;
    // Short runs (the usual: a changed pointer or constant) byte by byte; a subarray costs more than that.
    if (end - start <= 16) for (let i = start, at = this.literalCount; i < end; i++, at++) literals[at] = diff[i]!;
    else literals.set(diff.subarray(start, end), this.literalCount);
    this.literalCount = count;
  }

  private flush(): void {
    this.out.uvarint(this.zeros);
    this.out.uvarint(this.literalCount);
    this.out.bytes(this.literals.subarray(0, this.literalCount));
    this.zeros = 0;
    this.literalCount = 0;
  }

  end(): void {
    if (this.literalCount > 0) this.flush();
    if (this.zeros > 0) this.out.uvarint(this.zeros);
    this.zeros = 0;
  }
}
