/**
 * The control table of the sectioned layout (docs/FORMAT.md, "Control table"): the entries in exp-Golomb
 * codes outside the compressed program, so a device reads them where the patch is stored instead of keeping
 * them in RAM. With the relocation transform, entries can be flash map segments, and checkpoints every G
 * entries let a device find flashShift(o) by decoding at most G entries.
 */
import { InvalidInputError } from '../errors.js';
import { BitReader, BitWriter, bestEgOrder, MAX_EG_ORDER, paddingProblem, unzigzag, zigzag } from './bits.js';
import type { Block } from './match.js';
import { ByteReader, ByteWriter, bytesToHold, readUintLE } from './varint.js';

export const MAX_TABLE_ENTRIES = 1 << 20;
/** A checkpoint every 2^7 entries: a lookup decodes 64 on average; pybv11 (1,004 entries) has 7 of them (105 bytes). */
export const DEFAULT_GROUP_LOG2 = 7;
const MIN_GROUP_LOG2 = 2;
const MAX_GROUP_LOG2 = 16;
const CHECKPOINT_FIELDS = 5;
/** The checkpoint fields as docs/FORMAT.md names them, for error messages. */
const CHECKPOINT_NAMES = {
  bitPosition: 'bit position',
  oldPos: 'old position',
  newPos: 'new position',
  segmentKey: 'segment key',
  segmentNewStart: 'segment new start',
} as const;

/** What the relocation transform adds to a table: which entries are flash map segments. */
export interface SegmentPlan {
  minSegment: number;
  /** One flag per block; only blocks with copyLen >= minSegment may be set, with increasing old starts. */
  flags: readonly boolean[];
  groupLog2?: number;
}

/** The state before an entry: what a checkpoint stores. */
interface TableState {
  bitPosition: number;
  oldPos: number;
  newPos: number;
  /** 1 + the old start of the last segment so far, or 0. */
  segmentKey: number;
  segmentNewStart: number;
}

export interface TableEntry extends Block {
  newStart: number;
  segment: boolean;
}

export function encodeControlTable(blocks: readonly Block[], segments?: SegmentPlan): Uint8Array {
  const seeks: number[] = [];
  let oldPos = 0;
  for (const b of blocks) {
    seeks.push(zigzag(b.oldStart - oldPos));
    oldPos = b.oldStart + b.copyLen;
  }
  const kSeek = bestEgOrder(seeks);
  const kCopy = bestEgOrder(blocks.map((b) => b.copyLen));
  const kExtra = bestEgOrder(blocks.map((b) => b.extraLen));
  const bits = new BitWriter();
  const states: TableState[] = [];
  const groupLog2 = segments?.groupLog2 ?? DEFAULT_GROUP_LOG2;
  const groupSize = 2 ** groupLog2;
  const state: TableState = { bitPosition: 0, oldPos: 0, newPos: 0, segmentKey: 0, segmentNewStart: 0 };
  blocks.forEach((b, i) => {
    if (segments && i > 0 && i % groupSize === 0) states.push({ ...state, bitPosition: bits.position });
    bits.eg(seeks[i]!, kSeek);
    bits.eg(b.copyLen, kCopy);
    bits.eg(b.extraLen, kExtra);
    if (segments && b.copyLen >= segments.minSegment) {
      const flag = segments.flags[i] === true;
      bits.bit(flag ? 1 : 0);
      if (flag) {
        if (b.oldStart < state.segmentKey) throw new RangeError(`segment ${i} does not start after the previous segment`);
        state.segmentKey = b.oldStart + 1;
        state.segmentNewStart = state.newPos;
      }
    } else if (segments?.flags[i]) throw new RangeError(`block ${i} is too short to be a segment`);
    state.oldPos = b.oldStart + b.copyLen;
    state.newPos += b.copyLen + b.extraLen;
  });
  const stream = bits.finish();
  const w = new ByteWriter(64 + stream.length);
  w.uvarint(blocks.length);
  w.byte(kSeek);
  w.byte(kCopy);
  w.byte(kExtra);
  if (segments) {
    const largest = Math.max(bits.position, state.oldPos, state.newPos, ...states.map((s) => Math.max(s.oldPos, s.segmentKey)));
    const width = bytesToHold(largest);
    w.uvarint(segments.minSegment);
    w.byte(groupLog2);
    w.byte(width);
    w.uvarint(stream.length);
    for (const s of states) {
      for (const v of [s.bitPosition, s.oldPos, s.newPos, s.segmentKey, s.segmentNewStart]) w.uintLE(v, width);
    }
  } else {
    w.uvarint(stream.length);
  }
  w.bytes(stream);
  return w.view().slice();
}

export interface TableLimits {
  oldSize: number;
  newSize: number;
  relocation: boolean;
}

/**
 * A control table read where it is stored (a device's view: nothing but a few counters in memory).
 * `parse` reads the descriptor; `check` walks every entry once; then `entries` yields them in order and
 * `flashShift` answers map lookups through the checkpoints.
 */
export class ControlTable {
  private constructor(
    private readonly tables: Uint8Array,
    readonly entryCount: number,
    private readonly k: readonly [number, number, number],
    readonly minSegment: number,
    readonly groupLog2: number,
    private readonly width: number,
    private readonly checkpointsAt: number,
    private readonly bitsAt: number,
    private readonly bitsLength: number,
    private readonly limits: TableLimits,
  ) {}

  /** Parses the descriptor at the start of `tables`; returns the table and the offset just past it. */
  static parse(tables: Uint8Array, limits: TableLimits): { table: ControlTable; end: number } {
    const r = new ByteReader(tables, 'control table');
    const entryCount = r.uvarint('entry count');
    if (entryCount > MAX_TABLE_ENTRIES || entryCount > limits.newSize || (entryCount === 0 && limits.newSize > 0)) {
      throw new InvalidInputError(`corrupt patch: ${entryCount} control entries for a ${limits.newSize}-byte image`);
    }
    const k = [r.byte('k seek'), r.byte('k copy'), r.byte('k extra')] as const;
    if (k.some((v) => v > MAX_EG_ORDER)) throw new InvalidInputError(`corrupt patch: an exp-Golomb order above ${MAX_EG_ORDER} in the control table`);
    let minSegment = 0;
    let groupLog2 = MAX_GROUP_LOG2;
    let width = 0;
    if (limits.relocation) {
      minSegment = r.uvarint('min segment');
      groupLog2 = r.byte('group log2');
      width = r.byte('checkpoint width');
      if (groupLog2 < MIN_GROUP_LOG2 || groupLog2 > MAX_GROUP_LOG2) throw new InvalidInputError(`corrupt patch: checkpoint group log2 ${groupLog2} is outside ${MIN_GROUP_LOG2}..${MAX_GROUP_LOG2}`);
      if (width < 1 || width > 4) throw new InvalidInputError(`corrupt patch: checkpoint width ${width} is outside 1..4`);
    }
    const bitsLength = r.uvarint('bits length');
    const checkpoints = limits.relocation ? Math.max(0, Math.ceil(entryCount / 2 ** groupLog2) - 1) : 0;
    const checkpointsAt = r.offset;
    r.bytes(checkpoints * CHECKPOINT_FIELDS * width, 'checkpoints');
    const bitsAt = r.offset;
    r.bytes(bitsLength, 'entry bits');
    const table = new ControlTable(tables, entryCount, k, minSegment, groupLog2, width, checkpointsAt, bitsAt, bitsLength, limits);
    return { table, end: r.offset };
  }

  private reader(position: number): BitReader {
    return new BitReader((i) => this.tables[this.bitsAt + i]!, this.bitsLength, position);
  }

  private checkpoint(j: number): TableState {
    if (j === 0) return { bitPosition: 0, oldPos: 0, newPos: 0, segmentKey: 0, segmentNewStart: 0 };
    const at = this.checkpointsAt + (j - 1) * CHECKPOINT_FIELDS * this.width;
    const field = (f: number): number => readUintLE(this.tables, at + f * this.width, this.width);
    return { bitPosition: field(0), oldPos: field(1), newPos: field(2), segmentKey: field(3), segmentNewStart: field(4) };
  }

  /** Decodes one entry at `bits` from `state` and advances the state. */
  private next(bits: BitReader, state: TableState): TableEntry {
    const seek = unzigzag(bits.eg(this.k[0]));
    const copyLen = bits.eg(this.k[1]);
    const extraLen = bits.eg(this.k[2]);
    const segment = this.limits.relocation && copyLen >= this.minSegment && bits.bit() === 1;
    const entry = { oldStart: state.oldPos + seek, copyLen, extraLen, newStart: state.newPos, segment };
    state.oldPos = entry.oldStart + copyLen;
    state.newPos += copyLen + extraLen;
    if (segment) {
      state.segmentKey = entry.oldStart + 1;
      state.segmentNewStart = entry.newStart;
    }
    return entry;
  }

  /**
   * The one sequential pass a reader makes before applying (docs/FORMAT.md, "Applying", step 4): every entry
   * against the images, segment order, checkpoints, the bit stream's end and the new size.
   */
  check(): void {
    const bits = this.reader(0);
    const state = this.checkpoint(0);
    const group = 2 ** this.groupLog2;
    for (let i = 0; i < this.entryCount; i++) {
      if (this.limits.relocation && i > 0 && i % group === 0) {
        const stored = this.checkpoint(i / group);
        const actual = { ...state, bitPosition: bits.position };
        for (const key of Object.keys(actual) as Array<keyof TableState>) {
          if (stored[key] !== actual[key]) this.fail(`checkpoint ${i / group} says ${CHECKPOINT_NAMES[key]} ${stored[key]}, the table gives ${actual[key]}`);
        }
      }
      const previousKey = state.segmentKey;
      const e = this.next(bits, state);
      if (e.oldStart < 0 || e.oldStart + e.copyLen > this.limits.oldSize) {
        this.fail(`control entry ${i} copies old bytes [${e.oldStart}, ${e.oldStart + e.copyLen}) outside the old image (${this.limits.oldSize} bytes)`);
      }
      if (e.copyLen + e.extraLen === 0) this.fail(`control entry ${i} is empty`);
      if (state.newPos > this.limits.newSize) this.fail(`control entry ${i} runs past the new image size ${this.limits.newSize}`);
      if (e.segment && e.oldStart < previousKey) this.fail(`segment at control entry ${i} does not start after the previous segment`);
    }
    if (state.newPos !== this.limits.newSize) this.fail(`the control table describes ${state.newPos} new bytes, the header says ${this.limits.newSize}`);
    const padding = paddingProblem(bits);
    if (padding) this.fail(`the control table bit stream has ${padding}`);
  }

  /** The entries in order, decoded on the fly (call check() first). */
  *entries(): Generator<TableEntry> {
    const bits = this.reader(0);
    const state = this.checkpoint(0);
    for (let i = 0; i < this.entryCount; i++) yield this.next(bits, state);
  }

  /**
   * flashShift for a reader that can afford the whole segment list in memory (the host's apply, issue 13):
   * one pass over the entries, then a binary search per lookup instead of decoding up to a group of entries.
   * Segments start in increasing order (check() makes sure), so it answers as flashShift does.
   */
  segmentLookup(): (o: number) => number {
    const starts: number[] = [];
    const shifts: number[] = [];
    for (const e of this.entries()) {
      if (!e.segment) continue;
      starts.push(e.oldStart);
      shifts.push(e.newStart - e.oldStart);
    }
    return (o) => {
      let lo = 0;
      let hi = starts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (starts[mid]! <= o) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? 0 : shifts[lo - 1]!;
    };
  }

  /** flashShift(o): new start - start of the last segment with start <= o, or 0 (docs/FORMAT.md, "Segments"). */
  flashShift(o: number): number {
    const groups = Math.ceil(this.entryCount / 2 ** this.groupLog2);
    let lo = 0;
    let hi = Math.max(0, groups - 1);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.checkpoint(mid).segmentKey <= o + 1) lo = mid;
      else hi = mid - 1;
    }
    const state = this.checkpoint(lo);
    const bits = this.reader(state.bitPosition);
    const end = Math.min(this.entryCount, (lo + 1) * 2 ** this.groupLog2);
    for (let i = lo * 2 ** this.groupLog2; i < end; i++) {
      const before = { key: state.segmentKey, newStart: state.segmentNewStart };
      const e = this.next(bits, state);
      if (e.segment && e.oldStart > o) {
        state.segmentKey = before.key;
        state.segmentNewStart = before.newStart;
        break;
      }
    }
    return state.segmentKey === 0 ? 0 : state.segmentNewStart - (state.segmentKey - 1);
  }

  private fail(message: string): never {
    throw new InvalidInputError(`corrupt patch: ${message}`);
  }
}

/** The most entries a table-first program may have: a device keeps them in RAM (12 bytes each). */
export const MAX_TABLE_FIRST_ENTRIES = 32;

/**
 * The control table of a table-first program (docs/FORMAT.md, "Layouts"): at most 32 entries at the start of
 * the program, kept in memory. For tiny patches this beats the bit-coded table, because the codec compresses
 * the entries with the rest. flashShift has the same meaning as ControlTable's.
 */
export class SmallTable {
  readonly entries: TableEntry[] = [];
  private oldPos = 0;
  private newPos = 0;
  private segmentKey = 0;

  constructor(private readonly limits: Omit<TableLimits, 'relocation'>) {}

  /** Adds entry i from its program fields (copy field = copy length * 2 + segment flag). */
  add(seek: number, copyField: number, extraLen: number): void {
    const i = this.entries.length;
    const copyLen = Math.floor(copyField / 2);
    const segment = copyField % 2 === 1;
    const oldStart = this.oldPos + seek;
    const fail = (message: string): never => {
      throw new InvalidInputError(`corrupt patch: control entry ${i} ${message}`);
    };
    if (oldStart < 0 || oldStart + copyLen > this.limits.oldSize) fail(`copies old bytes [${oldStart}, ${oldStart + copyLen}) outside the old image (${this.limits.oldSize} bytes)`);
    if (copyLen + extraLen === 0) fail('is empty');
    if (this.newPos + copyLen + extraLen > this.limits.newSize) fail(`runs past the new image size ${this.limits.newSize}`);
    if (segment && copyLen === 0) fail('is a segment without a copy (a segment maps the bytes it copies)');
    if (segment && oldStart < this.segmentKey) fail('is a segment that does not start after the previous segment');
    this.entries.push({ oldStart, copyLen, extraLen, newStart: this.newPos, segment });
    if (segment) this.segmentKey = oldStart + 1;
    this.oldPos = oldStart + copyLen;
    this.newPos += copyLen + extraLen;
  }

  /** After the last entry: they must describe the whole new image. */
  finish(): void {
    if (this.newPos !== this.limits.newSize) {
      throw new InvalidInputError(`corrupt patch: the control table describes ${this.newPos} new bytes, the header says ${this.limits.newSize}`);
    }
  }

  flashShift(o: number): number {
    let shift = 0;
    for (const e of this.entries) {
      if (!e.segment) continue;
      if (e.oldStart > o) break;
      shift = e.newStart - e.oldStart;
    }
    return shift;
  }
}
