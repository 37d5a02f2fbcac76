/**
 * parseIntelHex: Intel HEX (I8HEX/I16HEX/I32HEX) to a contiguous image (docs/IMAGES.md, "Intel HEX").
 * Record types 00 data, 01 end of file, 02 extended segment address, 03 start segment address,
 * 04 extended linear address, 05 start linear address; anything else is refused.
 */
import { InvalidInputError } from '../errors.js';
import { assembleChunks } from './assemble.js';
import { hex, hexAddress, hexByte } from './describe.js';
import { decodeRecord, type HexRecord, MAX_RECORD_BYTES } from './intel-hex-record.js';
import type { Chunk } from './types.js';

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

interface HexChunk extends Chunk {
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

/** State carried from record to record. */
class HexReader {
  readonly chunks: HexChunk[] = [];
  private segmentMode = false;
  private base = 0;
  startAddress: number | undefined;
  private startLine = 0;
  eofLine = 0;
  private readonly pool: Uint8Array;
  private poolUsed = 0;

  constructor(textLength: number) {
    this.pool = new Uint8Array(Math.floor(textLength / 2)); // data bytes never outnumber half the digits
  }

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
    const bytes = this.pool.subarray(this.poolUsed, this.poolUsed + count);
    bytes.set(record.data);
    this.poolUsed += count;
    // Split where the spec makes the address wrap: end of the 64 KiB segment, or of the 4 GiB space.
    const first = this.segmentMode ? this.base + record.offset : (this.base + record.offset) % 2 ** 32;
    const limit = this.segmentMode ? this.base + 0x10000 : 2 ** 32;
    const wrapBase = this.segmentMode ? this.base : 0;
    const head = Math.min(count, limit - first);
    this.chunks.push({ address: first, bytes: bytes.subarray(0, head), line });
    if (head < count) this.chunks.push({ address: wrapBase, bytes: bytes.subarray(head), line });
  }
}

export function parseIntelHex(text: Uint8Array, options: { gapFill?: number } = {}): ParsedHex {
  const reader = new HexReader(text.length);
  const scratch = new Uint8Array(MAX_RECORD_BYTES);
  let line = 0;
  for (let start = 0; start < text.length; ) {
    line++;
    const newline = text.indexOf(0x0a, start);
    const next = newline < 0 ? text.length : newline + 1;
    let end = newline < 0 ? text.length : newline;
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
  if (reader.chunks.length === 0) throw new InvalidInputError('Intel HEX file has no data records');
  refuseOverlaps(reader.chunks);
  const image = assembleChunks(reader.chunks, options.gapFill ?? HEX_GAP_FILL, describeSpan);
  const parsed: ParsedHex = { loadAddress: image.loadAddress, data: image.data };
  if (reader.startAddress !== undefined) parsed.startAddress = reader.startAddress;
  return parsed;
}

function isTrailingSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

function range(c: HexChunk): string {
  return `${hexAddress(c.address)}-${hexAddress(c.address + c.bytes.length - 1)}`;
}

function refuseOverlaps(chunks: readonly HexChunk[]): void {
  const sorted = [...chunks].sort((a, b) => a.address - b.address || a.line - b.line);
  let reach = sorted[0]!;
  for (const c of sorted.slice(1)) {
    const reachEnd = reach.address + reach.bytes.length;
    if (c.address < reachEnd) {
      const [earlier, later] = c.line < reach.line ? [c, reach] : [reach, c];
      throw new InvalidInputError(
        `line ${later.line}: data at ${range(later)} overlaps data from line ${earlier.line} (${range(earlier)})`,
      );
    }
    if (c.address + c.bytes.length > reachEnd) reach = c;
  }
}

function describeSpan(low: HexChunk, high: HexChunk, span: number): string {
  const end = high.address + high.bytes.length;
  return (
    `Intel HEX data would span ${hex(span)} bytes, more than 64 MiB: from ${hexAddress(low.address)} (line ${low.line}) ` +
    `to ${hexAddress(end - 1)} (line ${high.line})`
  );
}
