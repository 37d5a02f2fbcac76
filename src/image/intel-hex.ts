/**
 * parseIntelHex: Intel HEX (I8HEX/I16HEX/I32HEX) to a contiguous image (docs/IMAGES.md, "Intel HEX").
 * Record types 00 data, 01 end of file, 02 extended segment address, 03 start segment address,
 * 04 extended linear address, 05 start linear address; anything else is refused.
 */
import { InvalidInputError } from '../errors.js';
import { hex, hexAddress, hexByte } from './describe.js';
import { decodeRecord, type HexRecord, MAX_RECORD_BYTES } from './intel-hex-record.js';
import { MAX_IMAGE_SPAN } from './types.js';

/**
 * Gaps between records read as 0x00, like the ELF loader and objcopy's .bin, so that the three files of one
 * build are one image (issue 12): a patch made from any of them applies to the others. A device flashed from
 * this file with an erasing programmer holds 0xFF there instead; gapFill (CLI: --gap-fill 0xff) says so.
 */
export const HEX_GAP_FILL = 0x00;

export interface ParsedHex {
  loadAddress: number;
  data: Uint8Array;
  /** From a type 05 record (EIP), or CS * 16 + IP from a type 03 record. */
  startAddress?: number;
}

/** Where a piece of data came from: its address, length and line. */
interface HexPiece {
  address: number;
  length: number;
  line: number;
}

const RECORD_NAMES: Record<number, string> = {
  1: 'end-of-file record (type 01)',
  2: 'extended segment address record (type 02)',
  3: 'start segment address record (type 03)',
  4: 'extended linear address record (type 04)',
  5: 'start linear address record (type 05)',
};
const RECORD_LENGTHS: Record<number, number> = { 1: 0, 2: 2, 3: 4, 4: 2, 5: 4 };

/** Data bytes data[from, from + count) at `address`, from line `line`. */
type DataSink = (address: number, data: Uint8Array, from: number, count: number, line: number) => void;

/** State carried from record to record; data records go to the sink, split where the address wraps. */
class HexReader {
  private segmentMode = false;
  private base = 0;
  startAddress: number | undefined;
  private startLine = 0;
  eofLine = 0;

  constructor(private readonly sink: DataSink) {}

  apply(record: HexRecord, line: number): void {
    const { type, data } = record;
    if (type > 5) throw new InvalidInputError(`line ${line}: unknown record type ${hexByte(type)}`);
    if (type !== 0 && data.length !== RECORD_LENGTHS[type]) {
      throw new InvalidInputError(
        `line ${line}: ${RECORD_NAMES[type]} must hold ${RECORD_LENGTHS[type]} data bytes, not ${data.length}`,
      );
    }
    const word16 = (data[0]! << 8) | data[1]!;
    switch (type) {
      case 0:
        this.addData(record, line);
        break;
      case 1:
        this.eofLine = line;
        break;
      case 2: // SBA = USBA * 16; offsets wrap within the 64 KiB segment
        this.segmentMode = true;
        this.base = word16 * 16;
        break;
      case 3:
        this.setStart(word16 * 16 + ((data[2]! << 8) | data[3]!), line);
        break;
      case 4: // LBA = ULBA << 16; addresses wrap modulo 4 GiB
        this.segmentMode = false;
        this.base = word16 * 0x10000;
        break;
      case 5:
        this.setStart(((word16 << 16) | (data[2]! << 8) | data[3]!) >>> 0, line);
        break;
    }
  }

  private setStart(address: number, line: number): void {
    if (this.startAddress !== undefined && this.startAddress !== address) {
      throw new InvalidInputError(
        `line ${line}: start address ${hexAddress(address)} conflicts with ${hexAddress(this.startAddress)} from line ${this.startLine}`,
      );
    }
    this.startAddress = address;
    this.startLine = line;
  }

  private addData(record: HexRecord, line: number): void {
    const count = record.data.length;
    if (count === 0) return;
    // Split where the spec makes the address wrap: end of the 64 KiB segment, or of the 4 GiB space.
    const first = this.segmentMode ? this.base + record.offset : (this.base + record.offset) % 2 ** 32;
    const limit = this.segmentMode ? this.base + 0x10000 : 2 ** 32;
    const wrapBase = this.segmentMode ? this.base : 0;
    const head = Math.min(count, limit - first);
    this.sink(first, record.data, 0, head, line);
    if (head < count) this.sink(wrapBase, record.data, head, count - head, line);
  }
}

/** Reads every record in order, handing data to the sink; returns the reader's final state. */
function readRecords(text: Uint8Array, sink: DataSink): HexReader {
  const reader = new HexReader(sink);
  const scratch = new Uint8Array(MAX_RECORD_BYTES);
  let line = 0;
  for (let start = 0; start < text.length; ) {
    line++;
    let newline = start; // a plain loop: TypedArray indexOf costs more per call than a short line
    while (newline < text.length && text[newline] !== 0x0a) newline++;
    const next = newline + 1;
    let end = newline;
    while (end > start && isTrailingSpace(text[end - 1]!)) end--;
    if (end > start) {
      if (reader.eofLine) {
        throw new InvalidInputError(`line ${line}: data after the end-of-file record on line ${reader.eofLine}`);
      }
      reader.apply(decodeRecord(text, start, end, line, scratch), line);
    }
    start = next;
  }
  if (!reader.eofLine) {
    throw new InvalidInputError(`missing end-of-file record (type 01): the file ends after line ${line}`);
  }
  return reader;
}

/**
 * One pass over the text into an image that grows (doubling, in the direction the addresses go) up to the
 * 64 MiB span, with a bitmap of the bytes written to refuse overlaps: memory follows the image, not the record
 * count (docs/SECURITY.md, "Limits"). Past the span limit the pass only tracks the lowest and highest data,
 * for the message.
 */
export function parseIntelHex(text: Uint8Array, options: { gapFill?: number } = {}): ParsedHex {
  const image = new GrowingImage(options.gapFill ?? HEX_GAP_FILL);
  const reader = readRecords(text, (address, data, from, count, line) => {
    const at = image.place(address, count, line);
    if (at < 0) return;
    const { bytes, written } = image;
    for (let i = 0; i < count; i++) {
      const bit = at + i;
      if (written[bit >>> 3]! & (1 << (bit & 7))) refuseOverlap(text, { address, length: count, line }, address + i);
      written[bit >>> 3]! |= 1 << (bit & 7);
      bytes[bit] = data[from + i]!;
    }
  });
  const { low, high } = image;
  if (!low || !high) throw new InvalidInputError('Intel HEX file has no data records');
  const span = high.address + high.length - low.address;
  if (span > MAX_IMAGE_SPAN) throw new InvalidInputError(describeSpan(low, high, span));
  const start = low.address - image.base;
  const parsed: ParsedHex = { loadAddress: low.address, data: image.bytes.subarray(start, start + span) };
  if (reader.startAddress !== undefined) parsed.startAddress = reader.startAddress;
  return parsed;
}

/** The image being read: bytes[i] is address base + i; grows to hold every piece while the span allows. */
class GrowingImage {
  base = 0;
  bytes = new Uint8Array(0);
  written = new Uint8Array(0);
  low: HexPiece | undefined;
  high: HexPiece | undefined;
  private overflow = false;

  constructor(private readonly gapFill: number) {}

  /** Records a piece; returns its index in `bytes`, or -1 once the span is past the limit. */
  place(address: number, length: number, line: number): number {
    const used = this.low && this.high ? { low: this.low.address, end: this.high.address + this.high.length } : undefined;
    if (!this.low || address < this.low.address) this.low = { address, length, line };
    if (!this.high || address + length > this.high.address + this.high.length) this.high = { address, length, line };
    if (this.overflow) return -1;
    const low = this.low.address;
    const end = this.high.address + this.high.length;
    if (end - low > MAX_IMAGE_SPAN) {
      this.overflow = true;
      return -1;
    }
    if (!used || low < this.base || end > this.base + this.bytes.length) this.grow(low, end, used);
    return address - this.base;
  }

  /** Moves the bytes written so far (`used`, absent for the first piece) into a buffer holding [low, end). */
  private grow(low: number, end: number, used: { low: number; end: number } | undefined): void {
    const size = Math.min(MAX_IMAGE_SPAN, Math.max(end - low, 2 * this.bytes.length, 4096));
    // Room on the side that grew: downwards when the new data is below, upwards otherwise.
    const base = used && low < used.low ? Math.max(0, end - size) : low;
    const bytes = new Uint8Array(size);
    if (this.gapFill !== 0) bytes.fill(this.gapFill);
    const written = new Uint8Array(Math.ceil(size / 8) + 1);
    if (used) {
      const from = used.low - this.base;
      const to = used.low - base;
      bytes.set(this.bytes.subarray(from, used.end - this.base), to);
      for (let i = 0; i < used.end - used.low; i++) {
        if (this.written[(from + i) >>> 3]! & (1 << ((from + i) & 7))) written[(to + i) >>> 3]! |= 1 << ((to + i) & 7);
      }
    }
    this.base = base;
    this.bytes = bytes;
    this.written = written;
  }
}

/** The data at `address` was written before: names the first earlier line that holds it. */
function refuseOverlap(text: Uint8Array, later: HexPiece, address: number): never {
  let earlier: HexPiece | undefined;
  readRecords(text, (at, _data, _from, length, line) => {
    if (!earlier && line < later.line && at <= address && address < at + length) earlier = { address: at, length, line };
  });
  throw new InvalidInputError(
    `line ${later.line}: data at ${range(later)} overlaps data from line ${earlier!.line} (${range(earlier!)})`,
  );
}

function isTrailingSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

function range(c: HexPiece): string {
  return `${hexAddress(c.address)}-${hexAddress(c.address + c.length - 1)}`;
}

function describeSpan(low: HexPiece, high: HexPiece, span: number): string {
  const end = high.address + high.length;
  return (
    `Intel HEX data would span ${hex(span)} bytes, more than 64 MiB: from ${hexAddress(low.address)} (line ${low.line}) ` +
    `to ${hexAddress(end - 1)} (line ${high.line})`
  );
}
