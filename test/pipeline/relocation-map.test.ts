/**
 * Address maps and the relocation's tables (src/arch/cortex-m/address-map.ts, src/container/tables.ts;
 * docs/FORMAT.md "Segments", "Tables", "RAM map and constant map"): the shift maps, the choice of flash map
 * segments (flagged control entries with increasing old starts), and the tables section with its recognizer
 * byte and value maps, down to the applier reading the same flash map as the creator used.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flashMapOf, placeBlocks, ramShiftMap, segmentFlags, ShiftMap, type ShiftSegment } from '../../src/arch/cortex-m/address-map.js';
import { MAX_RAM_SEGMENTS, RECOGNIZE_ALL, Recognize } from '../../src/arch/cortex-m/params.js';
import { blocksFlashMap, planCortexMRounds } from '../../src/arch/cortex-m/plan.js';
import { Codec, Transform, type PatchHeader } from '../../src/container/header.js';
import { encodeTables, parseTables } from '../../src/container/tables.js';
import { encodeControlTable } from '../../src/delta/control-table.js';
import type { Block } from '../../src/delta/match.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { encodeValueMap, type RamMap } from '../../src/delta/value-map.js';
import { InvalidInputError } from '../../src/errors.js';
import type { RelocationPlan } from '../../src/types.js';
import { layOut, randomInsert, randomProgram, RAM_BASE } from './synth-firmware.js';

/** docs/FORMAT.md: the shift of the last segment with start <= x; 0 below the first one, and without segments. */
function naiveShift(segments: readonly ShiftSegment[], x: number): number {
  let shift = 0;
  for (const s of segments) if (s.start <= x) shift = s.shift;
  return shift;
}

describe('ShiftMap', () => {
  const map = new ShiftMap([
    { start: 100, shift: 10 },
    { start: 200, shift: -20 },
    { start: 300, shift: 30 },
  ]);

  it('looks up the segment at or before an address; below the first one nothing moves (0)', () => {
    expect(map.size).toBe(3);
    expect([0, 99, 100, 150, 199, 200, 299, 300, 1e9].map((a) => map.shiftAt(a))).toEqual([0, 0, 10, 10, 10, -20, -20, 30, 30]);
    expect(new ShiftMap([]).shiftAt(12345)).toBe(0);
    expect(new ShiftMap([{ start: 5, shift: 7 }]).shiftAt(4)).toBe(0);
    expect(new ShiftMap([{ start: 5, shift: 7 }]).shiftAt(5)).toBe(7);
  });

  it('with equal starts, the last segment wins', () => {
    const tie = new ShiftMap([
      { start: 0, shift: 1 },
      { start: 50, shift: 2 },
      { start: 50, shift: 3 },
      { start: 50, shift: 4 },
      { start: 90, shift: 5 },
    ]);
    expect(tie.shiftAt(50)).toBe(4);
    expect(tie.shiftAt(89)).toBe(4);
    expect(tie.shiftAt(49)).toBe(1);
  });

  it('equals a linear scan on random sorted segments (32-bit addresses)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 0xffff_ffff }), shift: fc.integer({ min: -1e6, max: 1e6 }) }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 1, maxLength: 20 }),
        (raw, queries) => {
          const segments = [...raw].sort((a, b) => a.start - b.start);
          const m = new ShiftMap(segments);
          for (const q of [...queries, ...segments.flatMap((s) => [s.start - 1, s.start])]) expect(m.shiftAt(q)).toBe(naiveShift(segments, q));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('long maps (searched through their bucket index) and forward lookups equal a linear scan', () => {
    // Clustered starts with ties, as a flash map of many blocks has, over small and 32-bit spans.
    const segmentsArb = fc
      .tuple(fc.integer({ min: 0, max: 0xffff_0000 }), fc.integer({ min: 0, max: 20 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: -1e6, max: 1e6 })), { minLength: 16, maxLength: 300 }))
      .map(([low, spanBits, raw]) =>
        raw.map(([at, shift]) => ({ start: low + (at % 2 ** spanBits) * (at % 3 === 0 ? 1 : 0x10), shift })).sort((a, b) => a.start - b.start),
      );
    fc.assert(
      fc.property(segmentsArb, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (segments, raw) => {
        const m = new ShiftMap(segments);
        const first = segments[0]!.start;
        const last = segments[segments.length - 1]!.start;
        const queries = [...raw.map((r) => first - 2 + (r % (last - first + 4))), ...segments.flatMap((s) => [s.start - 1, s.start, s.start + 1])];
        for (const q of queries) expect(m.shiftAt(q)).toBe(naiveShift(segments, q));
        const forward = m.forward();
        for (const q of [...queries].sort((a, b) => a - b)) expect(forward.shiftAt(q)).toBe(naiveShift(segments, q));
      }),
      { numRuns: 200 },
    );
  });

  it('ramShiftMap: valid range [first start, end), empty without segments', () => {
    expect(ramShiftMap({ segments: [], end: 0 })).toMatchObject({ start: 0, end: 0 });
    const r = ramShiftMap({ segments: [{ start: 0x2000_0100, shift: 8 }, { start: 0x2000_0400, shift: 16 }], end: 0x2000_0800 });
    expect(r.start).toBe(0x2000_0100);
    expect(r.end).toBe(0x2000_0800);
    expect(r.map.shiftAt(0x2000_0500)).toBe(16);
  });
});

/** The weight (copied bytes) of the best subsequence of eligible blocks with strictly increasing old starts, by O(n^2) dynamic programming. */
function bestIncreasingWeight(blocks: readonly Block[], minSegment: number): number {
  const eligible = blocks.filter((b) => b.copyLen >= minSegment);
  const best = eligible.map((b) => b.copyLen);
  for (let j = 0; j < eligible.length; j++) {
    for (let i = 0; i < j; i++) if (eligible[i]!.oldStart < eligible[j]!.oldStart) best[j] = Math.max(best[j]!, best[i]! + eligible[j]!.copyLen);
  }
  return Math.max(0, ...best);
}

describe('flash map segments', () => {
  it('placeBlocks gives each block its new start', () => {
    const table: Block[] = [
      { oldStart: 0, copyLen: 100, extraLen: 20 },
      { oldStart: 100, copyLen: 10, extraLen: 0 },
      { oldStart: 110, copyLen: 50, extraLen: 0 },
    ];
    expect(placeBlocks(table).map((b) => b.newStart)).toEqual([0, 120, 130]);
  });

  it('segmentFlags keeps copies of at least minSegment bytes; flashMapOf maps their old starts, 0 before the first', () => {
    const table: Block[] = [
      { oldStart: 0, copyLen: 100, extraLen: 20 }, // new 0: shift 0
      { oldStart: 100, copyLen: 10, extraLen: 0 }, // new 120: too short
      { oldStart: 110, copyLen: 50, extraLen: 0 }, // new 130: shift 20
    ];
    const flags = segmentFlags(table, 32);
    expect(flags).toEqual([true, false, true]);
    const map = flashMapOf(table, flags);
    expect(map.size).toBe(2);
    expect([0, 99, 100, 109, 110, 500].map((o) => map.shiftAt(o))).toEqual([0, 0, 0, 0, 20, 20]);
    expect(segmentFlags(table, 1)).toEqual([true, true, true]);
    expect(segmentFlags(table, 1000)).toEqual([false, false, false]);
    expect(flashMapOf(table, [false, false, false]).shiftAt(500)).toBe(0);
    // A first segment that does not start at 0: offsets before it do not move.
    const late: Block[] = [{ oldStart: 40, copyLen: 60, extraLen: 0 }];
    expect([0, 39, 40].map((o) => flashMapOf(late, segmentFlags(late, 32)).shiftAt(o))).toEqual([0, 0, -40]);
  });

  it('blocks that move against the order of the rest are left out: the segments keep increasing old starts', () => {
    const table: Block[] = [
      { oldStart: 500, copyLen: 40, extraLen: 0 }, // new 0
      { oldStart: 100, copyLen: 40, extraLen: 0 }, // new 40
      { oldStart: 100, copyLen: 40, extraLen: 0 }, // new 80: the same start again
      { oldStart: 140, copyLen: 40, extraLen: 0 }, // new 120
      { oldStart: 0, copyLen: 40, extraLen: 0 }, //   new 160
    ];
    const flags = segmentFlags(table, 32);
    const starts = table.filter((_, i) => flags[i]).map((b) => b.oldStart);
    expect(starts).toEqual([100, 140]);
    // One of the two copies of [100, 140) (same weight); the map takes the new start of the one flagged.
    expect(flags[1]).not.toBe(flags[2]);
    const map = flashMapOf(table, flags);
    expect(map.shiftAt(0)).toBe(0);
    expect(map.shiftAt(100)).toBe((flags[1] ? 40 : 80) - 100);
    expect(map.shiftAt(140)).toBe(120 - 140);
    expect(map.shiftAt(600)).toBe(120 - 140);
  });

  it('on random tables: valid flags (long enough, strictly increasing starts) of the largest weight, and flashMapOf is the rule of docs/FORMAT.md', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ oldStart: fc.nat(2000), copyLen: fc.nat(100), extraLen: fc.nat(50) }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 100 }),
        (table, minSegment) => {
          const flags = segmentFlags(table, minSegment);
          expect(flags.length).toBe(table.length);
          let last = -1;
          let weight = 0;
          table.forEach((b, i) => {
            if (!flags[i]) return;
            expect(b.copyLen).toBeGreaterThanOrEqual(minSegment);
            expect(b.oldStart).toBeGreaterThan(last);
            last = b.oldStart;
            weight += b.copyLen;
          });
          expect(weight).toBe(bestIncreasingWeight(table, minSegment));
          const segments = placeBlocks(table)
            .filter((_, i) => flags[i])
            .map((b) => ({ start: b.oldStart, shift: b.newStart - b.oldStart }));
          const map = flashMapOf(table, flags);
          for (let o = 0; o <= 2200; o += 37) expect(map.shiftAt(o)).toBe(naiveShift(segments, o));
          for (const s of segments) expect(map.shiftAt(s.start)).toBe(naiveShift(segments, s.start));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// The tables section

const NO_MAP: RamMap = { segments: [], end: 0 };

function headerFor(layout: Layout, transform: Transform, oldSize: number, newSize: number, tablesLength: number): PatchHeader {
  return {
    oldSize, newSize, oldLoadAddress: 0x0800_0000, newLoadAddress: 0x0800_0000,
    oldCheck: new Uint8Array(8), newSha256: new Uint8Array(32),
    transform, layout, diffCoding: DiffCoding.sparse, codec: Codec.none, payloadLength: 0, tablesLength,
  };
}

/** A relocation plan over `blocks` with the given recognizers and maps. */
function plan(blocks: readonly Block[], recognize: number, ram: RamMap = NO_MAP, constants: RamMap = NO_MAP): RelocationPlan {
  return { recognize, minSegment: 32, segmentFlags: segmentFlags(blocks, 32), ram, constants };
}

const blocks: Block[] = [
  { oldStart: 0, copyLen: 400, extraLen: 16 },
  { oldStart: 420, copyLen: 300, extraLen: 0 },
  { oldStart: 730, copyLen: 20, extraLen: 4 },
  { oldStart: 760, copyLen: 200, extraLen: 0 },
];
const OLD_SIZE = 1000;
const NEW_SIZE = blocks.reduce((n, b) => n + b.copyLen + b.extraLen, 0);
const RAM: RamMap = { segments: [{ start: 0x2000_0000, shift: 0 }, { start: 0x2000_0400, shift: 8 }, { start: 0x2000_2000, shift: -4 }], end: 0x2000_8000 };
const CONSTANTS: RamMap = { segments: [{ start: 0x100, shift: 1 }, { start: 0x180, shift: 2 }], end: 0x200 };

function parsed(layout: Layout, transform: Transform, tables: Uint8Array) {
  return parseTables(headerFor(layout, transform, OLD_SIZE, NEW_SIZE, tables.length), tables);
}

describe('the tables section', () => {
  it('sectioned relocated: recognizer byte, control table, RAM map, constant map, in that order and nothing else', () => {
    const reloc = plan(blocks, RECOGNIZE_ALL, RAM, CONSTANTS);
    const tables = encodeTables(blocks, reloc);
    const control = encodeControlTable(blocks, { minSegment: 32, flags: reloc.segmentFlags });
    expect([...tables]).toEqual([RECOGNIZE_ALL, ...control, ...encodeValueMap(RAM), ...encodeValueMap(CONSTANTS)]);
    const t = parsed(Layout.sectioned, Transform.cortexM, tables);
    expect(t.recognize).toBe(RECOGNIZE_ALL);
    expect([...t.control!.entries()].map(({ oldStart, copyLen, extraLen }) => ({ oldStart, copyLen, extraLen }))).toEqual(blocks);
    expect([...t.control!.entries()].map((e) => e.segment)).toEqual(reloc.segmentFlags);
    expect(t.ram.toRamMap()).toEqual(RAM);
    expect(t.constants.toRamMap()).toEqual(CONSTANTS);
    for (let o = 0; o <= OLD_SIZE; o++) expect(t.control!.flashShift(o)).toBe(flashMapOf(blocks, reloc.segmentFlags).shiftAt(o));
    const lookup = t.control!.segmentLookup();
    for (let o = 0; o <= OLD_SIZE; o++) expect(lookup(o)).toBe(flashMapOf(blocks, reloc.segmentFlags).shiftAt(o));
  });

  it('each value map travels only with its recognizer bit (RAM 0x10, constants 0x20)', () => {
    const withoutValues = RECOGNIZE_ALL & ~Recognize.ramPointers & ~Recognize.constants;
    for (const recognize of [withoutValues, withoutValues | Recognize.ramPointers, withoutValues | Recognize.constants, RECOGNIZE_ALL]) {
      const tables = encodeTables(blocks, plan(blocks, recognize, RAM, CONSTANTS));
      const expectedLength =
        1 + encodeControlTable(blocks, { minSegment: 32, flags: segmentFlags(blocks, 32) }).length +
        (recognize & Recognize.ramPointers ? encodeValueMap(RAM).length : 0) +
        (recognize & Recognize.constants ? encodeValueMap(CONSTANTS).length : 0);
      expect(tables.length, `recognize 0x${recognize.toString(16)}`).toBe(expectedLength);
      const t = parsed(Layout.sectioned, Transform.cortexM, tables);
      expect(t.ram.count).toBe(recognize & Recognize.ramPointers ? RAM.segments.length : 0);
      expect(t.constants.count).toBe(recognize & Recognize.constants ? CONSTANTS.segments.length : 0);
      // An absent map matches no value.
      if (!(recognize & Recognize.ramPointers)) expect(t.ram.covers(0x2000_0400)).toBe(false);
    }
  });

  it('table-first: the recognizer byte and the value maps only (the entries are in the program)', () => {
    const tables = encodeTables(blocks, plan(blocks, 0x1f, RAM), false);
    expect([...tables]).toEqual([0x1f, ...encodeValueMap(RAM)]);
    const t = parsed(Layout.tableFirst, Transform.cortexM, tables);
    expect(t.control).toBeUndefined();
    expect(t.ram.toRamMap()).toEqual(RAM);
    // The smallest: the recognizers of the branches and flash pointers, no map at all.
    expect([...encodeTables(blocks, plan(blocks, 0x0f), false)]).toEqual([0x0f]);
    expect([...encodeTables(blocks, plan(blocks, 0x1f), false)]).toEqual([0x1f, 0x00]); // an empty RAM map: its count
  });

  it('sectioned plain: the control table alone, without a recognizer byte or segment flags', () => {
    const tables = encodeTables(blocks, undefined);
    expect([...tables]).toEqual([...encodeControlTable(blocks)]);
    const t = parsed(Layout.sectioned, Transform.plain, tables);
    expect(t.recognize).toBe(0);
    expect([...t.control!.entries()].every((e) => !e.segment)).toBe(true);
  });

  it('refuses unknown recognizer bits, a missing recognizer byte, trailing bytes, and tables cut anywhere', () => {
    const good = encodeTables(blocks, plan(blocks, RECOGNIZE_ALL, RAM, CONSTANTS));
    const bad = (layout: Layout, tables: Uint8Array, message: RegExp): void => {
      expect(() => parsed(layout, Transform.cortexM, tables)).toThrow(InvalidInputError);
      expect(() => parsed(layout, Transform.cortexM, tables)).toThrow(message);
    };
    for (const recognize of [0x40, 0x80, 0xff]) bad(Layout.sectioned, Uint8Array.from([recognize, ...good.subarray(1)]), /unknown relocation recognizer (flags|bits)/);
    bad(Layout.tableFirst, new Uint8Array(0), /the tables section has no recognizer byte/);
    bad(Layout.sectioned, Uint8Array.from([...good, 0]), /1 unexpected trailing byte/);
    bad(Layout.tableFirst, Uint8Array.of(0x0f, 0x00, 0x00), /2 unexpected trailing byte/);
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => parsed(Layout.sectioned, Transform.cortexM, good.subarray(0, cut)), `cut ${cut}`).toThrow(InvalidInputError);
    }
  });

  it(`refuses a RAM map of more than ${MAX_RAM_SEGMENTS} records; exactly ${MAX_RAM_SEGMENTS} are accepted`, () => {
    const records = (n: number): RamMap => ({ segments: Array.from({ length: n }, (_, i) => ({ start: RAM_BASE + 4 * i, shift: 4 })), end: RAM_BASE + 0x1000 });
    const ok = encodeTables(blocks, plan(blocks, 0x10, records(MAX_RAM_SEGMENTS)), false);
    expect(parsed(Layout.tableFirst, Transform.cortexM, ok).ram.count).toBe(MAX_RAM_SEGMENTS);
    const over = encodeTables(blocks, plan(blocks, 0x10, records(MAX_RAM_SEGMENTS + 1)), false);
    expect(() => parsed(Layout.tableFirst, Transform.cortexM, over)).toThrow(/257 RAM map segments exceed the limit of 256/);
  });
});

describe('creator and applier agree on the flash map', () => {
  it('the control table written for a synthetic firmware pair gives the creator\'s flash map at every offset', () => {
    for (const seed of [1, 2, 3]) {
      const program = randomProgram(seed, 1500);
      const old = layOut(program);
      const target = layOut(program, { insertAt: 300 + 100 * seed, insert: randomInsert(seed, 200), ramSplit: RAM_BASE + 0x800, ramShift: 8 });
      const plans = planCortexMRounds({ data: old, loadAddress: program.base }, { data: target, loadAddress: program.base });
      for (const p of plans) {
        const relocation = p.relocation!;
        const creator = blocksFlashMap(p.blocks, relocation.minSegment);
        expect(relocation.segmentFlags).toEqual(creator.flags);
        const tables = encodeTables(p.blocks, relocation);
        const t = parseTables(headerFor(Layout.sectioned, Transform.cortexM, old.length, target.length, tables.length), tables);
        expect(t.ram.toRamMap()).toEqual(relocation.recognize & Recognize.ramPointers ? relocation.ram : NO_MAP);
        const lookup = t.control!.segmentLookup();
        for (let o = 0; o <= old.length; o++) {
          if (t.control!.flashShift(o) !== creator.map.shiftAt(o)) expect(t.control!.flashShift(o), `seed ${seed}, offset ${o}`).toBe(creator.map.shiftAt(o));
          // The host's segment list answers as the device's checkpoint search does.
          if (lookup(o) !== creator.map.shiftAt(o)) expect(lookup(o), `segmentLookup, seed ${seed}, offset ${o}`).toBe(creator.map.shiftAt(o));
        }
      }
    }
  });
});
