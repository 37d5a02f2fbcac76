/**
 * Value maps (the relocation's RAM map and constant map) as stored in the tables section (docs/FORMAT.md,
 * "RAM map and constant map"): records of (start, shift) in exp-Golomb codes, with a checkpoint every G
 * records, so a device searches them where the patch is stored, as it does the control table.
 */
import { InvalidInputError } from '../errors.js';
import { BitReader, BitWriter, bestEgOrder, MAX_EG_ORDER, paddingProblem, unzigzag, zigzag } from './bits.js';
import { ByteReader, ByteWriter, bytesToHold, readUintLE } from './varint.js';

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
/** A checkpoint every 2^4 records: the constant map of pybv11 (125 records) has 7. */
const GROUP_LOG2 = 4;

export function encodeValueMap(map: RamMap): Uint8Array {
  const w = new ByteWriter(64 + map.segments.length * 4);
  const n = map.segments.length;
  w.uvarint(n);
  if (n === 0) return w.view().slice();
  const base = map.segments[0]!.start;
  const deltas = map.segments.map((s, i) => (i === 0 ? 0 : s.start - map.segments[i - 1]!.start));
  const shifts = map.segments.map((s) => zigzag(s.shift));
  const kStart = bestEgOrder(deltas);
  const kShift = bestEgOrder(shifts);
  const bits = new BitWriter();
  const checkpoints: Array<[number, number]> = [];
  const groupSize = 2 ** GROUP_LOG2;
  map.segments.forEach((s, i) => {
    if (i > 0 && i % groupSize === 0) checkpoints.push([bits.position, s.start - base]);
    bits.eg(deltas[i]!, kStart);
    bits.eg(shifts[i]!, kShift);
  });
  const stream = bits.finish();
  const width = bytesToHold(Math.max(bits.position, map.end - base));
  w.uvarint(base);
  w.uvarint(map.end - base);
  w.byte(kStart);
  w.byte(kShift);
  w.byte(GROUP_LOG2);
  w.byte(width);
  w.uvarint(stream.length);
  for (const [position, start] of checkpoints) {
    w.uintLE(position, width);
    w.uintLE(start, width);
  }
  w.bytes(stream);
  return w.view().slice();
}

/** A value map read where it is stored: its range [start, end) and a lookup through the checkpoints. */
export class StoredValueMap {
  private constructor(
    private readonly bytes: Uint8Array,
    readonly count: number,
    readonly start: number,
    readonly end: number,
    private readonly k: readonly [number, number],
    private readonly groupLog2: number,
    private readonly width: number,
    private readonly checkpointsAt: number,
    private readonly bitsAt: number,
    private readonly bitsLength: number,
    private readonly what = 'value map',
  ) {}

  static readonly EMPTY = new StoredValueMap(new Uint8Array(0), 0, 0, 0, [0, 0], 2, 1, 0, 0, 0);

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
    const k = [r.byte(`${what} k start`), r.byte(`${what} k shift`)] as const;
    const groupLog2 = r.byte(`${what} group log2`);
    const width = r.byte(`${what} checkpoint width`);
    if (k[0] > MAX_EG_ORDER || k[1] > MAX_EG_ORDER) throw new InvalidInputError(`corrupt patch: an exp-Golomb order above ${MAX_EG_ORDER} in the ${what}`);
    if (groupLog2 < 2 || groupLog2 > 16) throw new InvalidInputError(`corrupt patch: ${what} group log2 ${groupLog2} is outside 2..16`);
    if (width < 1 || width > 4) throw new InvalidInputError(`corrupt patch: ${what} checkpoint width ${width} is outside 1..4`);
    const bitsLength = r.uvarint(`${what} bits length`);
    const checkpointsAt = r.offset;
    r.bytes((Math.ceil(count / 2 ** groupLog2) - 1) * 2 * width, `${what} checkpoints`);
    const bitsAt = r.offset;
    r.bytes(bitsLength, `${what} bits`);
    const map = new StoredValueMap(tables, count, base, base + span, k, groupLog2, width, checkpointsAt, bitsAt, bitsLength, `the ${what}`);
    map.check(what);
    return { map, end: r.offset };
  }

  private reader(position: number): BitReader {
    return new BitReader((i) => this.bytes[this.bitsAt + i]!, this.bitsLength, position, this.what);
  }

  private checkpoint(j: number): { position: number; start: number } {
    if (j === 0) return { position: 0, start: 0 };
    const at = this.checkpointsAt + (j - 1) * 2 * this.width;
    return { position: readUintLE(this.bytes, at, this.width), start: readUintLE(this.bytes, at + this.width, this.width) };
  }


  /** Every record: starts strictly increasing from 0 and below the span, shifts in range, checkpoints right. */
  private check(what: string): void {
    const fail = (message: string): never => {
      throw new InvalidInputError(`corrupt patch: ${what}: ${message}`);
    };
    const bits = this.reader(0);
    let start = 0;
    for (let i = 0; i < this.count; i++) {
      const position = bits.position;
      const delta = bits.eg(this.k[0]);
      if (i === 0 && delta !== 0) fail('record 0 does not start at the base');
      if (i > 0 && delta === 0) fail(`record ${i} does not start after the previous one`);
      start += delta;
      if (start >= this.end - this.start) fail(`record ${i} starts past the map's end`);
      // Every code the reader accepts is below 2^32, so a zigzag shift is below 2^31 in magnitude.
      bits.eg(this.k[1]);
      if (i > 0 && i % 2 ** this.groupLog2 === 0) {
        const stored = this.checkpoint(i / 2 ** this.groupLog2);
        if (stored.position !== position || stored.start !== start) fail(`checkpoint ${i / 2 ** this.groupLog2} does not match record ${i}`);
      }
    }
    const padding = paddingProblem(bits);
    if (padding) fail(`its bit stream has ${padding}`);
  }

  /** Whether v is in the map's range. */
  covers(v: number): boolean {
    return v >= this.start && v < this.end;
  }

  /**
   * The shift of the last record starting at or before v (v must be covered): the last checkpoint at or before
   * it, then at most G records. A group's first record takes its start from the checkpoint (its delta is read
   * and skipped).
   */
  shiftAt(v: number): number {
    const offset = v - this.start;
    let lo = 0;
    let hi = Math.ceil(this.count / 2 ** this.groupLog2) - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.checkpoint(mid).start <= offset) lo = mid;
      else hi = mid - 1;
    }
    const from = this.checkpoint(lo);
    const bits = this.reader(from.position);
    const first = lo * 2 ** this.groupLog2;
    const end = Math.min(this.count, first + 2 ** this.groupLog2);
    let start = from.start;
    let shift = 0;
    for (let i = first; i < end; i++) {
      const delta = bits.eg(this.k[0]);
      if (i > first) start += delta;
      if (start > offset) break;
      shift = unzigzag(bits.eg(this.k[1]));
    }
    return shift;
  }

  /** The map as segments (for info and tests). */
  toRamMap(): RamMap {
    const segments: ShiftSegment[] = [];
    const bits = this.reader(0);
    let start = this.start;
    for (let i = 0; i < this.count; i++) {
      start += bits.eg(this.k[0]);
      segments.push({ start, shift: unzigzag(bits.eg(this.k[1])) });
    }
    return { segments, end: this.end };
  }
}
