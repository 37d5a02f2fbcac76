/**
 * The control table of the sectioned layout (src/delta/control-table.ts; docs/FORMAT.md, "Control table"):
 * encode -> parse -> check -> entries round trips on random block lists with random segment flags, the
 * checkpoints against states computed independently from the spec, flashShift through the checkpoints against
 * a linear reference at every offset, and every refusal of check() and parse() on tables written by an
 * independent encoder (below) that breaks exactly one rule. SmallTable (the table-first layout's entries) too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flashMapOf, segmentFlags } from '../../src/arch/cortex-m/address-map.js';
import { BitReader, BitWriter, egLength, zigzag } from '../../src/delta/bits.js';
import { ControlTable, DEFAULT_GROUP_LOG2, encodeControlTable, MAX_TABLE_ENTRIES, MAX_TABLE_FIRST_ENTRIES, SmallTable, type TableLimits } from '../../src/delta/control-table.js';
import type { Block } from '../../src/delta/match.js';
import { InvalidInputError } from '../../src/errors.js';
import { prng } from './helpers.js';

// ---------------------------------------------------------------------------------------------------------
// Random tables

interface RandomTable {
  blocks: Block[];
  flags: boolean[];
  minSegment: number;
  oldSize: number;
  newSize: number;
}

/** Valid blocks (inside the old image, none empty) and valid segment flags (long enough, strictly increasing old starts). */
function randomTable(seed: number, maxEntries: number, maxOld: number): RandomTable {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const oldSize = int(maxOld + 1);
  const count = 1 + int(maxEntries);
  const blocks: Block[] = [];
  for (let i = 0; i < count; i++) {
    const oldStart = int(oldSize + 1);
    const room = oldSize - oldStart;
    const copyLen = rand() < 0.15 ? 0 : rand() < 0.5 ? int(Math.min(room, 64) + 1) : int(room + 1);
    let extraLen = rand() < 0.5 ? 0 : int(rand() < 0.2 ? 3000 : 40);
    if (copyLen + extraLen === 0) extraLen = 1 + int(5);
    blocks.push({ oldStart, copyLen, extraLen });
  }
  const minSegment = [0, 1, 8, 32][int(4)]!;
  let flags: boolean[];
  if (rand() < 0.3) {
    flags = segmentFlags(blocks, minSegment);
  } else {
    // A random pick of the eligible blocks, thinned to strictly increasing old starts.
    flags = blocks.map(() => false);
    let last = -1;
    blocks.forEach((b, i) => {
      if (b.copyLen >= minSegment && b.oldStart > last && rand() < 0.6) {
        flags[i] = true;
        last = b.oldStart;
      }
    });
  }
  const newSize = blocks.reduce((n, b) => n + b.copyLen + b.extraLen, 0);
  return { blocks, flags, minSegment, oldSize, newSize };
}

/** The blocks with their new starts and flags, as ControlTable.entries() should yield them. */
function expectedEntries(t: RandomTable, relocation: boolean): Array<Block & { newStart: number; segment: boolean }> {
  let newStart = 0;
  return t.blocks.map((b, i) => {
    const e = { ...b, newStart, segment: relocation && t.flags[i] === true };
    newStart += b.copyLen + b.extraLen;
    return e;
  });
}

/** flashShift by its definition: new start - start of the last segment (in table order) with start <= o, else 0. */
function referenceShift(t: RandomTable, o: number): number {
  let segments = segmentCache.get(t);
  if (!segments) segmentCache.set(t, (segments = expectedEntries(t, true).filter((e) => e.segment)));
  let shift = 0;
  for (const e of segments) if (e.oldStart <= o) shift = e.newStart - e.oldStart;
  return shift;
}
const segmentCache = new WeakMap<RandomTable, Array<{ oldStart: number; newStart: number }>>();

// ---------------------------------------------------------------------------------------------------------
// An independent encoder, written from docs/FORMAT.md, that can break one rule at a time

interface CraftEntry {
  seek: number;
  copy: number;
  extra: number;
  /** Written when the table is relocated and copy >= minSegment. */
  flag?: boolean;
}

interface CraftOptions {
  count?: number;
  k?: [number, number, number];
  /** Absent: a plain table (no min segment, group, width, checkpoints, flag bits). */
  relocation?: { minSegment: number; groupLog2: number; width?: number };
  /** Changes the checkpoints (j = 1, 2, ...; five fields each) before they are written. */
  checkpoints?: (cps: number[][]) => void;
  /** Bits appended after the last entry (inside the stream). */
  trailingBits?: string;
  /** Whole bytes appended to the bit stream. */
  trailingBytes?: number[];
  /** Overrides the bits length field. */
  bitsLength?: (actual: number) => number;
}

const uvarint = (v: number): number[] => {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};
const le = (v: number, width: number): number[] => Array.from({ length: width }, (_, i) => Math.floor(v / 256 ** i) % 256);

/** State before each entry, as a checkpoint describes it (docs/FORMAT.md, "Checkpoints"). */
interface State {
  bitPosition: number;
  oldPos: number;
  newPos: number;
  segmentKey: number;
  segmentNewStart: number;
}

function craftTable(entries: readonly CraftEntry[], options: CraftOptions = {}): { bytes: Uint8Array; states: State[] } {
  const k = options.k ?? [2, 3, 2];
  const reloc = options.relocation;
  const bits = new BitWriter();
  const states: State[] = [];
  const state: State = { bitPosition: 0, oldPos: 0, newPos: 0, segmentKey: 0, segmentNewStart: 0 };
  for (const e of entries) {
    states.push({ ...state, bitPosition: bits.position });
    bits.eg(zigzag(e.seek), k[0]);
    bits.eg(e.copy, k[1]);
    bits.eg(e.extra, k[2]);
    const oldStart = state.oldPos + e.seek;
    if (reloc && e.copy >= reloc.minSegment) {
      bits.bit(e.flag ? 1 : 0);
      if (e.flag) {
        state.segmentKey = oldStart + 1;
        state.segmentNewStart = state.newPos;
      }
    }
    state.oldPos = oldStart + e.copy;
    state.newPos += e.copy + e.extra;
  }
  for (const b of options.trailingBits ?? '') bits.bit(b === '1' ? 1 : 0);
  const stream = [...bits.finish(), ...(options.trailingBytes ?? [])];
  const out = [...uvarint(options.count ?? entries.length), ...k];
  if (reloc) {
    const group = 2 ** reloc.groupLog2;
    const cps: number[][] = [];
    for (let j = 1; j * group < entries.length; j++) {
      const s = states[j * group]!;
      cps.push([s.bitPosition, s.oldPos, s.newPos, s.segmentKey, s.segmentNewStart]);
    }
    options.checkpoints?.(cps);
    const width = reloc.width ?? Math.max(1, ...cps.flat().map((v) => Math.ceil(Math.log2(v + 1) / 8)));
    out.push(...uvarint(reloc.minSegment), reloc.groupLog2, width);
    out.push(...uvarint(options.bitsLength ? options.bitsLength(stream.length) : stream.length));
    for (const cp of cps) for (const v of cp) out.push(...le(v, width));
  } else {
    out.push(...uvarint(options.bitsLength ? options.bitsLength(stream.length) : stream.length));
  }
  out.push(...stream);
  return { bytes: Uint8Array.from(out), states };
}

/** Parse and check a table; the error of whichever refuses it. */
function parseAndCheck(bytes: Uint8Array, limits: TableLimits): ControlTable {
  const { table, end } = ControlTable.parse(bytes, limits);
  expect(end).toBe(bytes.length);
  table.check();
  return table;
}

function refused(bytes: Uint8Array, limits: TableLimits, message: RegExp): void {
  expect(() => parseAndCheck(bytes, limits)).toThrow(InvalidInputError);
  expect(() => parseAndCheck(bytes, limits)).toThrow(message);
}

/** Relocated table settings with a checkpoint every 4 entries. */
const RELOC = { minSegment: 8, groupLog2: 2 } as const;

// ---------------------------------------------------------------------------------------------------------

describe('encodeControlTable -> ControlTable round trips', () => {
  it('plain and relocated tables: parse, check, and the entries come back with their new starts and segment flags', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), fc.integer({ min: 2, max: 16 }), (seed, relocation, groupLog2) => {
        const t = randomTable(seed, 300, 5000);
        const bytes = encodeControlTable(t.blocks, relocation ? { minSegment: t.minSegment, flags: t.flags, groupLog2 } : undefined);
        const table = parseAndCheck(bytes, { oldSize: t.oldSize, newSize: t.newSize, relocation });
        expect(table.entryCount).toBe(t.blocks.length);
        expect([...table.entries()]).toEqual(expectedEntries(t, relocation));
        if (relocation) {
          expect(table.minSegment).toBe(t.minSegment);
          expect(table.groupLog2).toBe(groupLog2);
        }
        // The same bytes parsed twice give the same entries (the table is read, never consumed).
        expect([...table.entries()].length).toBe(t.blocks.length);
      }),
      { numRuns: 200 },
    );
  });

  it('the default group is 2^7 entries', () => {
    const t = randomTable(11, 400, 3000);
    const bytes = encodeControlTable(t.blocks, { minSegment: t.minSegment, flags: t.flags });
    expect(DEFAULT_GROUP_LOG2).toBe(7);
    expect(parseAndCheck(bytes, { oldSize: t.oldSize, newSize: t.newSize, relocation: true }).groupLog2).toBe(7);
  });

  it('the bytes follow docs/FORMAT.md: descriptor, checkpoints equal to the states before entry j * G, entry bits', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 5 }), (seed, groupLog2) => {
        const t = randomTable(seed, 200, 4000);
        const bytes = encodeControlTable(t.blocks, { minSegment: t.minSegment, flags: t.flags, groupLog2 });
        // Read the descriptor by hand.
        let at = 0;
        const readUvarint = (): number => {
          let v = 0;
          for (let scale = 1; ; scale *= 128) {
            const b = bytes[at++]!;
            v += (b & 0x7f) * scale;
            if (!(b & 0x80)) return v;
          }
        };
        expect(readUvarint()).toBe(t.blocks.length);
        const k = [bytes[at++]!, bytes[at++]!, bytes[at++]!];
        for (const order of k) expect(order).toBeLessThanOrEqual(24);
        expect(readUvarint()).toBe(t.minSegment);
        expect(bytes[at++]).toBe(groupLog2);
        const width = bytes[at++]!;
        expect(width).toBeGreaterThanOrEqual(1);
        expect(width).toBeLessThanOrEqual(4);
        const bitsLength = readUvarint();
        const group = 2 ** groupLog2;
        const checkpoints = Math.max(0, Math.ceil(t.blocks.length / group) - 1);
        expect(at + checkpoints * 5 * width + bitsLength).toBe(bytes.length);
        // The states before each entry, computed from the spec (code lengths from egLength).
        const entries = expectedEntries(t, true);
        let bitPosition = 0;
        let oldPos = 0;
        let segmentKey = 0;
        let segmentNewStart = 0;
        const states = entries.map((e) => {
          const s = [bitPosition, oldPos, e.newStart, segmentKey, segmentNewStart];
          bitPosition += egLength(zigzag(e.oldStart - oldPos), k[0]!) + egLength(e.copyLen, k[1]!) + egLength(e.extraLen, k[2]!) + (e.copyLen >= t.minSegment ? 1 : 0);
          if (e.segment) {
            segmentKey = e.oldStart + 1;
            segmentNewStart = e.newStart;
          }
          oldPos = e.oldStart + e.copyLen;
          return s;
        });
        expect(bitsLength).toBe(Math.ceil(bitPosition / 8));
        for (let j = 1; j <= checkpoints; j++) {
          const fields = Array.from({ length: 5 }, (_, f) => {
            const from = at + ((j - 1) * 5 + f) * width;
            return bytes.subarray(from, from + width).reduceRight((v, b) => v * 256 + b, 0);
          });
          expect(fields, `checkpoint ${j}`).toEqual(states[j * group]);
        }
        // The entry bits decode to the blocks (the order of the fields and the flag bit).
        const stream = bytes.subarray(at + checkpoints * 5 * width);
        const r = new BitReader((i) => stream[i]!, stream.length);
        let pos = 0;
        for (const e of entries) {
          const z = r.eg(k[0]!);
          expect(z % 2 === 0 ? z / 2 : -(z + 1) / 2).toBe(e.oldStart - pos);
          expect(r.eg(k[1]!)).toBe(e.copyLen);
          expect(r.eg(k[2]!)).toBe(e.extraLen);
          if (e.copyLen >= t.minSegment) expect(r.bit() === 1).toBe(e.segment);
          pos = e.oldStart + e.copyLen;
        }
        expect(r.bitsLeft).toBeLessThan(8);
      }),
      { numRuns: 100 },
    );
  });

  it('an empty new image: a table of 0 entries', () => {
    for (const relocation of [false, true]) {
      const bytes = encodeControlTable([], relocation ? { minSegment: 32, flags: [] } : undefined);
      const table = parseAndCheck(bytes, { oldSize: 100, newSize: 0, relocation });
      expect(table.entryCount).toBe(0);
      expect([...table.entries()]).toEqual([]);
      if (relocation) expect(table.flashShift(50)).toBe(0);
    }
  });

  it('the encoder refuses segment flags the format cannot carry', () => {
    const blocks: Block[] = [
      { oldStart: 100, copyLen: 40, extraLen: 0 },
      { oldStart: 0, copyLen: 40, extraLen: 0 },
      { oldStart: 200, copyLen: 4, extraLen: 0 },
    ];
    expect(() => encodeControlTable(blocks, { minSegment: 32, flags: [true, true, false] })).toThrow(/segment 1 does not start after the previous segment/);
    expect(() => encodeControlTable([blocks[0]!, blocks[0]!], { minSegment: 32, flags: [true, true] })).toThrow(RangeError);
    expect(() => encodeControlTable(blocks, { minSegment: 32, flags: [false, false, true] })).toThrow(/block 2 is too short to be a segment/);
    expect(() => encodeControlTable(blocks, { minSegment: 32, flags: [false, true, false] })).not.toThrow();
  });
});

describe('flashShift through the checkpoints', () => {
  it('equals the linear reference (and the creator\'s flash map) at every offset of the old image', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 6 }), (seed, groupLog2) => {
        const t = randomTable(seed, 150, 2000);
        const table = parseAndCheck(encodeControlTable(t.blocks, { minSegment: t.minSegment, flags: t.flags, groupLog2 }), {
          oldSize: t.oldSize,
          newSize: t.newSize,
          relocation: true,
        });
        const creator = flashMapOf(t.blocks, t.flags);
        for (let o = 0; o <= t.oldSize + 2; o++) {
          const expected = referenceShift(t, o);
          expect(table.flashShift(o), `offset ${o}`).toBe(expected);
          expect(creator.shiftAt(o), `creator, offset ${o}`).toBe(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('with the default group and with one group of 2^16 entries, at every offset', () => {
    for (const [seed, groupLog2] of [[1, 7], [2, 7], [3, 16], [4, 16]] as const) {
      const t = randomTable(seed, 400, 1500);
      const table = parseAndCheck(encodeControlTable(t.blocks, { minSegment: t.minSegment, flags: t.flags, groupLog2 }), {
        oldSize: t.oldSize,
        newSize: t.newSize,
        relocation: true,
      });
      for (let o = 0; o <= t.oldSize; o++) expect(table.flashShift(o), `seed ${seed}, offset ${o}`).toBe(referenceShift(t, o));
    }
  });

  it('segments spread over many groups, with groups that hold none, and offsets before the first segment (shift 0)', () => {
    // 64 entries, a checkpoint every 4; segments only in entries 5, 6, 30 and 61.
    const blocks: Block[] = Array.from({ length: 64 }, (_, i) => ({ oldStart: 10 * i + 5, copyLen: 10, extraLen: i % 3 }));
    const flags = blocks.map((_, i) => [5, 6, 30, 61].includes(i));
    const t: RandomTable = { blocks, flags, minSegment: 8, oldSize: 700, newSize: blocks.reduce((n, b) => n + b.copyLen + b.extraLen, 0) };
    const table = parseAndCheck(encodeControlTable(blocks, { minSegment: 8, flags, groupLog2: 2 }), { oldSize: 700, newSize: t.newSize, relocation: true });
    expect(table.flashShift(0)).toBe(0);
    expect(table.flashShift(54)).toBe(0);
    for (let o = 0; o <= 700; o++) expect(table.flashShift(o), `offset ${o}`).toBe(referenceShift(t, o));
    expect(table.flashShift(55)).toBe(referenceShift(t, 55));
    expect(table.flashShift(55)).not.toBe(0);
  });
});

describe('ControlTable.check refuses', () => {
  /** Twelve valid entries of a relocated table over a 200-byte old image; 3 checkpoints (G = 4). */
  const valid: CraftEntry[] = Array.from({ length: 12 }, (_, i) => ({ seek: i === 0 ? 0 : 2, copy: 10 + (i % 3), extra: i % 2, flag: i % 3 === 0 }));
  const totals = (entries: readonly CraftEntry[]): { oldEnd: number; newSize: number } => {
    let pos = 0;
    let maxEnd = 0;
    let newSize = 0;
    for (const e of entries) {
      pos += e.seek + e.copy;
      maxEnd = Math.max(maxEnd, pos);
      newSize += e.copy + e.extra;
    }
    return { oldEnd: maxEnd, newSize };
  };
  const limits = { oldSize: 200, newSize: totals(valid).newSize, relocation: true };

  it('(the baseline: the independent encoder\'s valid table passes, with three checkpoints)', () => {
    const { bytes } = craftTable(valid, { relocation: RELOC });
    const table = parseAndCheck(bytes, limits);
    expect(table.entryCount).toBe(12);
    expect([...table.entries()].filter((e) => e.segment).length).toBe(4);
  });

  it('any checkpoint field that does not match the table', () => {
    for (let j = 0; j < 2; j++) {
      for (let f = 0; f < 5; f++) {
        const { bytes } = craftTable(valid, { relocation: { ...RELOC, width: 2 }, checkpoints: (cps) => void (cps[j]![f]! += 1) });
        refused(bytes, limits, new RegExp(`checkpoint ${j + 1} says`));
      }
    }
  });

  it('segments whose old starts do not strictly increase (equal or smaller), also across a checkpoint', () => {
    const equal = valid.map((e) => ({ ...e }));
    // Entry 3 is a segment at old start 39 (copy 10); entry 4, with a seek of -10, starts there again.
    equal[4] = { seek: -10, copy: 11, extra: 0, flag: true };
    refused(craftTable(equal, { relocation: RELOC }).bytes, { ...limits, newSize: totals(equal).newSize }, /segment at control entry 4 does not start after the previous segment/);
    const smaller = valid.map((e) => ({ ...e }));
    smaller[9] = { seek: -100, copy: 10, extra: 0, flag: true }; // entry 9 (group 2) starts before entry 6's segment
    refused(craftTable(smaller, { relocation: RELOC }).bytes, { ...limits, newSize: totals(smaller).newSize }, /segment at control entry 9 does not start after/);
    // The same entries without the flag: an entry may move backwards, only segments must increase.
    smaller[9] = { seek: -100, copy: 10, extra: 0, flag: false };
    expect(() => parseAndCheck(craftTable(smaller, { relocation: RELOC }).bytes, { ...limits, newSize: totals(smaller).newSize })).not.toThrow();
  });

  it('bits after the last entry: a whole byte more, or a padding bit that is not 0', () => {
    const { bytes } = craftTable(valid, { relocation: RELOC, trailingBytes: [0] });
    refused(bytes, limits, /bit stream has \d+ bits after its last entry/);
    const entries = valid.slice(0, 1).concat([{ seek: 0, copy: 7, extra: 0 }]); // 12 + 10 bits: 2 bits of padding
    const base = craftTable(entries);
    const plainLimits = { oldSize: 200, newSize: totals(entries).newSize, relocation: false };
    expect(() => parseAndCheck(base.bytes, plainLimits)).not.toThrow();
    const padded = craftTable(entries, { trailingBits: '1' });
    expect(padded.bytes.length).toBe(base.bytes.length); // the bit went into the padding
    refused(padded.bytes, plainLimits, /bits after its last entry/);
  });

  it('entries outside the images: before the old start, past the old end, past the new size', () => {
    refused(craftTable([{ seek: -1, copy: 5, extra: 0 }]).bytes, { oldSize: 10, newSize: 5, relocation: false }, /control entry 0 copies old bytes \[-1, 4\) outside the old image \(10 bytes\)/);
    refused(craftTable([{ seek: 6, copy: 5, extra: 0 }]).bytes, { oldSize: 10, newSize: 5, relocation: false }, /copies old bytes \[6, 11\) outside the old image/);
    // Seeks are relative: after a copy of [0, 4), a seek of -10 lands at -6.
    refused(craftTable([{ seek: 0, copy: 4, extra: 0 }, { seek: -10, copy: 2, extra: 0 }]).bytes, { oldSize: 10, newSize: 6, relocation: false }, /control entry 1 copies old bytes \[-6, -4\)/);
    refused(craftTable([{ seek: 0, copy: 4, extra: 3 }, { seek: 0, copy: 2, extra: 0 }]).bytes, { oldSize: 10, newSize: 8, relocation: false }, /control entry 1 runs past the new image size 8/);
  });

  it('an empty entry (copy and extra both 0)', () => {
    refused(craftTable([{ seek: 0, copy: 4, extra: 0 }, { seek: 3, copy: 0, extra: 0 }, { seek: 0, copy: 0, extra: 4 }]).bytes, { oldSize: 10, newSize: 8, relocation: false }, /control entry 1 is empty/);
  });

  it('a total that is not the new size', () => {
    refused(craftTable([{ seek: 0, copy: 4, extra: 0 }, { seek: 0, copy: 3, extra: 0 }]).bytes, { oldSize: 10, newSize: 8, relocation: false }, /describes 7 new bytes, the header says 8/);
    refused(craftTable(valid, { relocation: RELOC }).bytes, { ...limits, newSize: limits.newSize + 1 }, /the header says/);
  });

  it('a bit stream that ends in the middle of an entry, or an eg code with too many zeros', () => {
    const { bytes } = craftTable(valid, { relocation: RELOC, bitsLength: (n) => n - 1 });
    // One byte less of bits: the last byte becomes trailing garbage for parse, so cut it off too.
    refused(bytes.subarray(0, bytes.length - 1), limits, /ends in the middle of an entry|checkpoint/);
    const zeros = Uint8Array.from([...craftTable([]).bytes.subarray(0, 4), 5, 0, 0, 0, 0, 0]);
    zeros[0] = 1; // one entry, 5 bytes of zero bits
    refused(zeros, { oldSize: 10, newSize: 1, relocation: false }, /leading zeros/);
  });
});

describe('ControlTable.parse refuses', () => {
  const limits = { oldSize: 100, newSize: 50, relocation: true };
  const header = (count: number, k = [0, 0, 0], rest: number[] = [1, 2, 1, 0]): Uint8Array => Uint8Array.from([...uvarint(count), ...k, ...rest]);

  it('entry counts: 0 for a non-empty image, more than the new size, more than 2^20', () => {
    refused(header(0), limits, /0 control entries for a 50-byte image/);
    refused(header(51), limits, /51 control entries for a 50-byte image/);
    expect(MAX_TABLE_ENTRIES).toBe(2 ** 20);
    const big = { oldSize: 64 << 20, newSize: 64 << 20, relocation: false };
    expect(() => ControlTable.parse(Uint8Array.from([...uvarint(2 ** 20 + 1), 0, 0, 0, 0]), big)).toThrow(/1048577 control entries/);
    // Exactly 2^20 passes the count check (and then fails for want of entry bits, not for the count).
    expect(() => parseAndCheck(Uint8Array.from([...uvarint(2 ** 20), 0, 0, 0, 0]), big)).toThrow(/ends in the middle/);
  });

  it('an exp-Golomb order above 24, a group log2 outside 2..16, a checkpoint width outside 1..4', () => {
    refused(header(1, [25, 0, 0]), limits, /exp-Golomb order above 24/);
    refused(header(1, [0, 0, 25]), limits, /exp-Golomb order above 24/);
    refused(header(1, [0, 0, 0], [1, 1, 1, 0]), limits, /group log2 1 is outside 2\.\.16/);
    refused(header(1, [0, 0, 0], [1, 17, 1, 0]), limits, /group log2 17 is outside 2\.\.16/);
    refused(header(1, [0, 0, 0], [1, 2, 0, 0]), limits, /checkpoint width 0 is outside 1\.\.4/);
    refused(header(1, [0, 0, 0], [1, 2, 5, 0]), limits, /checkpoint width 5 is outside 1\.\.4/);
  });

  it('a table cut anywhere (InvalidInputError, never another error)', () => {
    const t = randomTable(5, 60, 1000);
    const bytes = encodeControlTable(t.blocks, { minSegment: t.minSegment, flags: t.flags, groupLog2: 2 });
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => parseAndCheck(bytes.subarray(0, cut), { oldSize: t.oldSize, newSize: t.newSize, relocation: true }), `cut ${cut}`).toThrow(InvalidInputError);
    }
  });
});

describe('SmallTable (table-first entries)', () => {
  /** Random blocks of at most 32 entries, as a table-first program carries them (copy field = 2 * copy + flag). */
  const feed = (t: RandomTable): SmallTable => {
    const small = new SmallTable({ oldSize: t.oldSize, newSize: t.newSize });
    let oldPos = 0;
    t.blocks.forEach((b, i) => {
      small.add(b.oldStart - oldPos, 2 * b.copyLen + (t.flags[i] ? 1 : 0), b.extraLen);
      oldPos = b.oldStart + b.copyLen;
    });
    small.finish();
    return small;
  };

  it('keeps the entries with their new starts and flags; flashShift equals the reference at every offset', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const raw = randomTable(seed, MAX_TABLE_FIRST_ENTRIES, 1500);
        // A segment needs a copy (a copy field of 1 is refused), whatever the min segment says.
        const t = { ...raw, flags: raw.flags.map((f, i) => f && raw.blocks[i]!.copyLen > 0) };
        const small = feed(t);
        expect(small.entries).toEqual(expectedEntries(t, true));
        for (let o = 0; o <= t.oldSize + 1; o++) expect(small.flashShift(o), `offset ${o}`).toBe(referenceShift(t, o));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses what a control table refuses, entry by entry', () => {
    const limits = { oldSize: 10, newSize: 8 };
    const add = (...entries: Array<[number, number, number]>): (() => void) => () => {
      const small = new SmallTable(limits);
      for (const [seek, copyField, extra] of entries) small.add(seek, copyField, extra);
      small.finish();
    };
    expect(add([0, 8, 4])).not.toThrow(); // copy 4 + extra 4
    expect(add([-1, 8, 4])).toThrow(/control entry 0 copies old bytes \[-1, 3\) outside the old image/);
    expect(add([7, 8, 4])).toThrow(/copies old bytes \[7, 11\)/);
    expect(add([0, 8, 0], [0, 0, 0], [0, 0, 4])).toThrow(/control entry 1 is empty/);
    expect(add([0, 8, 5])).toThrow(/control entry 0 runs past the new image size 8/);
    expect(add([0, 8, 3])).toThrow(/describes 7 new bytes, the header says 8/);
    // Segments: strictly increasing old starts, and a copy.
    expect(add([2, 5, 0], [-2, 5, 2])).toThrow(/control entry 1 is a segment that does not start after the previous segment/); // both at 2
    expect(add([4, 5, 0], [-4, 5, 2])).toThrow(/control entry 1 is a segment that does not start/); // 4, then 2
    expect(add([2, 5, 0], [-1, 5, 4])).not.toThrow(); // 2, then 3
    expect(add([2, 4, 0], [-4, 5, 4])).not.toThrow(); // the first segment may start before an entry that is not one
    expect(add([0, 1, 8])).toThrow(/control entry 0 is a segment/); // copy field 1: a segment without a copy
    for (const e of [add([-1, 8, 4]), add([0, 8, 3])]) expect(e).toThrow(InvalidInputError);
  });
});
