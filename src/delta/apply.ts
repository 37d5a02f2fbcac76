/**
 * The streaming applier (docs/FORMAT.md, "Applying"): it takes the decompressed delta program in pieces of any
 * size, reads the old image at random through a SourceView, and writes the new image strictly in order. Its
 * state is a few counters, one varint accumulator and two 4 KiB buffers; in the sectioned layout the entries
 * come from the control table, read where the patch is stored. Nothing grows with the image or the table.
 */
import { InvalidInputError } from '../errors.js';
import { MAX_TABLE_FIRST_ENTRIES, type SmallTable } from './control-table.js';
import type { Block } from './match.js';
import { DiffCoding, Layout, SOURCE_CHUNK, sourcePiece } from './program.js';
import type { SourceView } from './source.js';

export interface ProgramParams {
  layout: Layout;
  diffCoding: DiffCoding;
  oldSize: number;
  newSize: number;
  /** Sectioned layout: the control table's entries in order (already checked against the images). */
  entries?: Iterator<Block>;
  /** Table-first layout: filled from the program's start; the source's flash map reads it. */
  smallTable?: SmallTable;
  /**
   * In-place patches: the erase unit. Source pieces end at its boundaries in the new image and the output is
   * handed to the sink at each boundary, so the slot is up to date before the next unit's first read.
   */
  unitSize?: number;
}

const enum State {
  TableCount,
  Seek,
  CopyLen,
  ExtraLen,
  CopyRaw,
  SparseZeros,
  SparseCount,
  SparseBytes,
  Extra,
  Done,
}

const OUT_CHUNK = 4096;

export class ProgramApplier {
  private state = State.Seek;
  private varint = 0;
  private varintScale = 1;
  private varintBytes = 0;
  private entry = { seek: 0, copyLen: 0, extraLen: 0 };
  private blockIndex = 0;
  private entriesRead = 0;
  private tableCount = 0;
  private oldPos = 0;
  private newPos = 0;
  private block: Block = { oldStart: 0, copyLen: 0, extraLen: 0 };
  private blockNewStart = 0;
  private copied = 0;
  private runLeft = 0;
  private extraLeft = 0;
  private readonly predicted = new Uint8Array(SOURCE_CHUNK);
  private predictedStart = -1;
  private predictedEnd = 0;
  private readonly out = new Uint8Array(OUT_CHUNK);
  private outLength = 0;
  private programOffset = 0;

  constructor(
    private readonly params: ProgramParams,
    private readonly source: SourceView,
    private readonly sink: (chunk: Uint8Array) => void,
  ) {
    if (params.layout === Layout.sectioned && !params.entries) throw new RangeError('the sectioned layout needs the control table');
    if (params.layout === Layout.tableFirst && !params.smallTable) throw new RangeError('the table-first layout needs a table to fill');
    if (params.newSize === 0) this.state = State.Done;
    else if (params.layout === Layout.sectioned) this.nextTableEntry();
    else if (params.layout === Layout.tableFirst) this.state = State.TableCount;
  }

  get produced(): number {
    return this.newPos;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  push(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      switch (this.state) {
        case State.TableCount:
        case State.Seek:
        case State.CopyLen:
        case State.ExtraLen:
        case State.SparseZeros:
        case State.SparseCount:
          if (this.readVarint(data[i++]!)) this.varintDone();
          break;
        case State.CopyRaw:
          i += this.copyDiff(data, i);
          break;
        case State.SparseBytes: {
          const n = Math.min(this.runLeft, data.length - i);
          this.copyDiffBytes(data.subarray(i, i + n));
          i += n;
          this.runLeft -= n;
          if (this.runLeft === 0) this.afterSparseRun();
          break;
        }
        case State.Extra: {
          const n = Math.min(this.extraLeft, data.length - i);
          this.emit(data.subarray(i, i + n));
          i += n;
          this.extraLeft -= n;
          if (this.extraLeft === 0) this.nextBlock();
          break;
        }
        case State.Done:
          this.fail(`unexpected data after the end of the delta program (program offset ${this.programOffset + i})`);
      }
    }
    this.programOffset += data.length;
  }

  /** Call after the last byte: flushes output and checks that the program was complete. */
  finish(): void {
    if (this.state !== State.Done) {
      this.fail(`delta program ends early: ${this.newPos} of ${this.params.newSize} new bytes produced`);
    }
    this.flush();
  }

  private fail(message: string): never {
    throw new InvalidInputError(`corrupt patch: ${message}`);
  }

  /** Accumulates one LEB128 byte; true when the value is complete. */
  private readVarint(b: number): boolean {
    this.varint += (b & 0x7f) * this.varintScale;
    this.varintScale *= 0x80;
    this.varintBytes++;
    if (b & 0x80) {
      if (this.varintBytes >= 5) this.fail(`varint longer than 5 bytes in the delta program`);
      return false;
    }
    // docs/FORMAT.md "Integers": the encoding is minimal, as every reader of the format must agree.
    if (b === 0 && this.varintBytes > 1) this.fail(`non-minimal varint in the delta program`);
    return true;
  }

  private takeVarint(): number {
    const value = this.varint;
    this.varint = 0;
    this.varintScale = 1;
    this.varintBytes = 0;
    if (value > 0xffffffff) this.fail(`a varint of the delta program exceeds 32 bits (${value})`);
    return value;
  }

  private varintDone(): void {
    const value = this.takeVarint();
    switch (this.state) {
      case State.TableCount:
        if (value === 0 || value > MAX_TABLE_FIRST_ENTRIES) this.fail(`a table-first program declares ${value} entries (1 to ${MAX_TABLE_FIRST_ENTRIES})`);
        this.tableCount = value;
        this.state = State.Seek;
        return;
      case State.Seek:
        this.entry.seek = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
        this.state = State.CopyLen;
        return;
      case State.CopyLen:
        this.entry.copyLen = value;
        this.state = State.ExtraLen;
        return;
      case State.ExtraLen:
        this.entry.extraLen = value;
        this.entryDone();
        return;
      case State.SparseZeros:
        this.sparseZeros(value);
        return;
      case State.SparseCount:
        if (value === 0 || this.copied + value > this.block.copyLen) this.fail(`sparse run of ${value} bytes does not fit its copy block`);
        this.runLeft = value;
        this.state = State.SparseBytes;
        return;
      default:
        return;
    }
  }

  /** Interleaved layout: validates an entry read from the program and turns the relative seek into a block. */
  private entryDone(): void {
    const { seek, copyLen, extraLen } = this.entry;
    if (this.params.layout === Layout.tableFirst) {
      this.tableEntryDone();
      return;
    }
    const index = this.entriesRead++;
    const oldStart = this.oldPos + seek;
    if (oldStart < 0 || oldStart + copyLen > this.params.oldSize) {
      this.fail(`control entry ${index} copies old bytes [${oldStart}, ${oldStart + copyLen}) outside the old image (${this.params.oldSize} bytes)`);
    }
    // An empty entry would let a tiny program demand unbounded work; each entry must produce a byte.
    if (copyLen + extraLen === 0) this.fail(`control entry ${index} is empty`);
    this.oldPos = oldStart + copyLen;
    this.beginBlock({ oldStart, copyLen, extraLen });
  }

  /** Table-first layout: entries go to the table; after the last, the data of entry 0 begins. */
  private tableEntryDone(): void {
    const table = this.params.smallTable!;
    table.add(this.entry.seek, this.entry.copyLen, this.entry.extraLen);
    if (table.entries.length < this.tableCount) {
      this.state = State.Seek;
      return;
    }
    table.finish();
    this.params.entries = table.entries[Symbol.iterator]();
    this.nextTableEntry();
  }

  /** Sectioned and table-first layouts: the next entry of the table, or the end of the program. */
  private nextTableEntry(): void {
    const next = this.params.entries!.next();
    if (next.done) this.state = State.Done;
    else this.beginBlock(next.value);
  }

  private beginBlock(block: Block): void {
    if (this.newPos + block.copyLen + block.extraLen > this.params.newSize) {
      this.fail(`control entry ${this.blockIndex} runs past the new image size ${this.params.newSize}`);
    }
    this.block = block;
    this.blockNewStart = this.newPos;
    this.copied = 0;
    this.predictedStart = -1;
    this.extraLeft = block.extraLen;
    if (block.copyLen > 0) this.state = this.params.diffCoding === DiffCoding.sparse ? State.SparseZeros : State.CopyRaw;
    else this.afterCopy();
  }

  private afterCopy(): void {
    if (this.extraLeft > 0) this.state = State.Extra;
    else this.nextBlock();
  }

  private nextBlock(): void {
    this.blockIndex++;
    if (this.params.layout !== Layout.interleaved) this.nextTableEntry();
    else this.state = this.newPos === this.params.newSize ? State.Done : State.Seek;
  }

  private sparseZeros(count: number): void {
    if (this.copied + count > this.block.copyLen) this.fail(`sparse zero run of ${count} bytes does not fit its copy block`);
    let left = count;
    while (left > 0) {
      const piece = this.predictedPiece();
      const n = Math.min(left, piece.length);
      this.emit(piece.subarray(0, n));
      this.copied += n;
      left -= n;
    }
    if (this.copied === this.block.copyLen) this.afterCopy();
    else this.state = State.SparseCount;
  }

  private afterSparseRun(): void {
    if (this.copied === this.block.copyLen) this.afterCopy();
    else this.state = State.SparseZeros;
  }

  /** Raw coding: every byte of the block is a difference byte. Returns how many input bytes were used. */
  private copyDiff(data: Uint8Array, at: number): number {
    const n = Math.min(this.block.copyLen - this.copied, data.length - at);
    this.copyDiffBytes(data.subarray(at, at + n));
    if (this.copied === this.block.copyLen) this.afterCopy();
    return n;
  }

  /** Adds difference bytes to the predicted source bytes and emits the sum. */
  private copyDiffBytes(diff: Uint8Array): void {
    let i = 0;
    while (i < diff.length) {
      const piece = this.predictedPiece();
      const n = Math.min(piece.length, diff.length - i);
      for (let k = 0; k < n; k++) this.emitByte((piece[k]! + diff[i + k]!) & 0xff);
      this.copied += n;
      i += n;
    }
  }

  /** The predicted source bytes from the current copy position to the end of the buffered piece. */
  private predictedPiece(): Uint8Array {
    if (this.predictedStart < 0 || this.copied >= this.predictedEnd) {
      const piece = sourcePiece(this.copied, this.block.copyLen, this.blockNewStart, this.params.unitSize);
      this.source.read({ oldStart: this.block.oldStart, newStart: this.blockNewStart }, piece.start, this.predicted.subarray(0, piece.length));
      this.predictedStart = piece.start;
      this.predictedEnd = piece.start + piece.length;
    }
    return this.predicted.subarray(this.copied - this.predictedStart, this.predictedEnd - this.predictedStart);
  }

  private emitByte(b: number): void {
    this.out[this.outLength++] = b;
    this.newPos++;
    if (this.outLength === OUT_CHUNK || this.atUnitEnd()) this.flush();
  }

  private atUnitEnd(): boolean {
    return this.params.unitSize !== undefined && this.newPos % this.params.unitSize === 0;
  }

  private emit(bytes: Uint8Array): void {
    const unit = this.params.unitSize;
    for (let i = 0; i < bytes.length; ) {
      let n = Math.min(OUT_CHUNK - this.outLength, bytes.length - i);
      if (unit !== undefined) n = Math.min(n, unit - (this.newPos % unit));
      this.out.set(bytes.subarray(i, i + n), this.outLength);
      this.outLength += n;
      this.newPos += n;
      i += n;
      if (this.outLength === OUT_CHUNK || this.atUnitEnd()) this.flush();
    }
  }

  private flush(): void {
    if (this.outLength === 0) return;
    this.sink(this.out.slice(0, this.outLength));
    this.outLength = 0;
  }
}
