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
  const out = new ByteWriter(target.length + 64);
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
  const predicted = new Uint8Array(SOURCE_CHUNK);
  const diff = new Uint8Array(SOURCE_CHUNK);
  const sparse = new SparseDiffWriter(out);
  for (const block of blocks) {
    if (options.layout === Layout.interleaved) writeEntry(block, oldPos);
    const placed = { oldStart: block.oldStart, newStart: newPos };
    for (let done = 0, n = 0; done < block.copyLen; done += n) {
      n = sourcePiece(done, block.copyLen, newPos, options.unitSize).length;
      source.read(placed, done, predicted.subarray(0, n));
      for (let i = 0; i < n; i++) diff[i] = (target[newPos + done + i]! - predicted[i]!) & 0xff;
      if (options.diffCoding === DiffCoding.sparse) sparse.add(diff.subarray(0, n));
      else out.bytes(diff.subarray(0, n));
    }
    if (options.diffCoding === DiffCoding.sparse) sparse.end();
    newPos += block.copyLen;
    out.bytes(target.subarray(newPos, newPos + block.extraLen));
    newPos += block.extraLen;
    oldPos = block.oldStart + block.copyLen;
  }
  return out.view();
}

/**
 * Sparse difference coding of one copy block: pairs (zeros: uvarint, count: uvarint, count bytes), read until
 * the block is covered; when a run of zeros reaches the end of the block, its count is not followed by more.
 */
class SparseDiffWriter {
  private zeros = 0;
  private literals: number[] = [];

  constructor(private readonly out: ByteWriter) {}

  add(diff: Uint8Array): void {
    // Indexed, with zero runs counted in one tight loop: most differences are zero, and a creation runs this
    // over the whole image once per plan and layout (issue 13).
    const n = diff.length;
    for (let i = 0; i < n; ) {
      if (diff[i] === 0) {
        if (this.literals.length > 0) this.flush();
        let end = i + 1;
        while (end < n && diff[end] === 0) end++;
        this.zeros += end - i;
        i = end;
      } else {
        this.literals.push(diff[i]!);
        i++;
      }
    }
  }

  private flush(): void {
    this.out.uvarint(this.zeros);
    this.out.uvarint(this.literals.length);
    for (const d of this.literals) this.out.byte(d);
    this.zeros = 0;
    this.literals = [];
  }

  end(): void {
    if (this.literals.length > 0) this.flush();
    if (this.zeros > 0) this.out.uvarint(this.zeros);
    this.zeros = 0;
  }
}
