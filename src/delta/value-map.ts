/**
 * Value maps (the relocation's RAM map and constant map) as stored in the tables section (docs/FORMAT.md,
 * "RAM map and constant map"): fixed-width records, so a device binary-searches them where the patch is
 * stored.
 */
import { InvalidInputError } from '../errors.js';
import { zigzag, unzigzag } from './bits.js';
import { ByteReader, ByteWriter } from './varint.js';

export interface ShiftSegment {
  start: number;
  shift: number;
}

/** Segments of absolute values sorted by start, valid in [first start, end). */
export interface RamMap {
  segments: ShiftSegment[];
  end: number;
}

export const MAX_RAM_SEGMENTS = 256;
export const MAX_CONSTANT_SEGMENTS = 1024;

function bytesFor(max: number): number {
  return Math.max(1, Math.ceil(Math.log2(max + 1) / 8));
}

export function encodeValueMap(map: RamMap): Uint8Array {
  const w = new ByteWriter(16 + map.segments.length * 8);
  w.uvarint(map.segments.length);
  if (map.segments.length === 0) return w.view().slice();
  const base = map.segments[0]!.start;
  const span = map.end - base;
  const shifts = map.segments.map((s) => zigzag(s.shift));
  const ws = bytesFor(span - 1);
  const wh = bytesFor(Math.max(...shifts));
  w.uvarint(base);
  w.uvarint(span);
  w.byte((ws << 4) | wh);
  map.segments.forEach((s, i) => {
    writeLE(w, s.start - base, ws);
    writeLE(w, shifts[i]!, wh);
  });
  return w.view().slice();
}

function writeLE(w: ByteWriter, value: number, width: number): void {
  for (let i = 0; i < width; i++) w.byte(Math.floor(value / 256 ** i) % 256);
}

/** A value map read where it is stored: [start, end) and a binary search over the records. */
export class StoredValueMap {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly at: number,
    readonly count: number,
    readonly start: number,
    readonly end: number,
    private readonly ws: number,
    private readonly wh: number,
  ) {}

  static readonly EMPTY = new StoredValueMap(new Uint8Array(0), 0, 0, 0, 0, 1, 1);

  /** Parses the map at `offset` in `tables`, checks every record, and returns it with the offset past it. */
  static parse(tables: Uint8Array, offset: number, what: string, limit: number): { map: StoredValueMap; end: number } {
    const r = new ByteReader(tables, what);
    r.offset = offset;
    const count = r.uvarint(`${what} count`);
    if (count > limit) throw new InvalidInputError(`corrupt patch: ${count} ${what} segments exceed the limit of ${limit}`);
    if (count === 0) return { map: StoredValueMap.EMPTY, end: r.offset };
    const base = r.uvarint(`${what} base`);
    const span = r.uvarint(`${what} span`);
    if (span < 1 || base + span > 2 ** 32) throw new InvalidInputError(`corrupt patch: ${what} [0x${base.toString(16)}, +${span}) is not a range of 32-bit values`);
    const widths = r.byte(`${what} widths`);
    const ws = widths >> 4;
    const wh = widths & 15;
    if (ws < 1 || ws > 4 || wh < 1 || wh > 4) throw new InvalidInputError(`corrupt patch: ${what} record widths ${ws} and ${wh} are outside 1..4`);
    const at = r.offset;
    r.bytes(count * (ws + wh), `${what} records`);
    const map = new StoredValueMap(tables, at, count, base, base + span, ws, wh);
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const start = map.recordStart(i);
      if ((i === 0 && start !== 0) || start <= previous || start >= span) {
        throw new InvalidInputError(`corrupt patch: ${what} record ${i} starts at +${start}, out of order or outside the span`);
      }
      previous = start;
    }
    return { map, end: r.offset };
  }

  private field(at: number, width: number): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.bytes[at + i]!;
    return v;
  }

  private recordStart(i: number): number {
    return this.field(this.at + i * (this.ws + this.wh), this.ws);
  }

  /** Whether v is in the map's range. */
  covers(v: number): boolean {
    return v >= this.start && v < this.end;
  }

  /** The shift of the last record starting at or before v (v must be covered). */
  shiftAt(v: number): number {
    const offset = v - this.start;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.recordStart(mid) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return unzigzag(this.field(this.at + lo * (this.ws + this.wh) + this.ws, this.wh));
  }

  /** The map as segments (for info and tests). */
  toRamMap(): RamMap {
    const segments = [];
    for (let i = 0; i < this.count; i++) segments.push({ start: this.start + this.recordStart(i), shift: this.shiftAt(this.start + this.recordStart(i)) });
    return { segments, end: this.end };
  }
}
