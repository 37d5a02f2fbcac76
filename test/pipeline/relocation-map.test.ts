/** Address maps and relocation parameters (src/arch/cortex-m/address-map.ts, params.ts; docs/FORMAT.md). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countFlashSegments, deriveFlashMap, placeBlocks, ramShiftMap, ShiftMap, type ShiftSegment } from '../../src/arch/cortex-m/address-map.js';
import { decodeRelocationParams, encodeRelocationParams, MAX_RAM_SEGMENTS, RECOGNIZE_ALL, Recognize, type RelocationParams } from '../../src/arch/cortex-m/params.js';
import type { Block } from '../../src/delta/match.js';
import { ByteWriter } from '../../src/delta/varint.js';
import { InvalidInputError } from '../../src/errors.js';

/** docs/FORMAT.md: the shift of the last segment with start <= x, the first one's below all starts, 0 without. */
function naiveShift(segments: readonly ShiftSegment[], x: number): number {
  if (segments.length === 0) return 0;
  let shift = segments[0]!.shift;
  for (const s of segments) if (s.start <= x) shift = s.shift;
  return shift;
}

describe('ShiftMap', () => {
  const map = new ShiftMap([
    { start: 100, shift: 10 },
    { start: 200, shift: -20 },
    { start: 300, shift: 30 },
  ]);

  it('looks up the segment at or before an address, the first one below every start', () => {
    expect(map.size).toBe(3);
    expect([0, 99, 100, 150, 199, 200, 299, 300, 1e9].map((a) => map.shiftAt(a))).toEqual([10, 10, 10, 10, 10, -20, -20, 30, 30]);
    expect(new ShiftMap([]).shiftAt(12345)).toBe(0);
    expect(new ShiftMap([{ start: 5, shift: 7 }]).shiftAt(0)).toBe(7);
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
          for (const q of [...queries, ...segments.map((s) => s.start)]) expect(m.shiftAt(q)).toBe(naiveShift(segments, q));
        },
      ),
      { numRuns: 300 },
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

describe('deriveFlashMap', () => {
  it('places blocks in new order and keeps copies of at least minSegment bytes', () => {
    const table: Block[] = [
      { oldStart: 0, copyLen: 100, extraLen: 20 }, // new 0: shift 0
      { oldStart: 100, copyLen: 10, extraLen: 0 }, // new 120: too short
      { oldStart: 110, copyLen: 50, extraLen: 0 }, // new 130: shift 20
    ];
    expect(placeBlocks(table).map((b) => b.newStart)).toEqual([0, 120, 130]);
    expect(countFlashSegments(table, 32)).toBe(2);
    const map = deriveFlashMap(table, 32);
    expect(map.size).toBe(2);
    expect([0, 99, 100, 109, 110, 500].map((o) => map.shiftAt(o))).toEqual([0, 0, 0, 0, 20, 20]);
    expect(deriveFlashMap(table, 1).size).toBe(3);
    expect(deriveFlashMap(table, 1000).size).toBe(0);
  });

  it('sorts by old start with a stable sort: of equal starts, the later table entry wins', () => {
    const table: Block[] = [
      { oldStart: 500, copyLen: 40, extraLen: 0 }, // new 0:   shift -500
      { oldStart: 100, copyLen: 40, extraLen: 0 }, // new 40:  shift -60
      { oldStart: 100, copyLen: 40, extraLen: 0 }, // new 80:  shift -20
      { oldStart: 100, copyLen: 40, extraLen: 0 }, // new 120: shift 20
      { oldStart: 0, copyLen: 40, extraLen: 0 }, //   new 160: shift 160
    ];
    const map = deriveFlashMap(table, 32);
    expect(map.shiftAt(0)).toBe(160);
    expect(map.shiftAt(100)).toBe(20);
    expect(map.shiftAt(499)).toBe(20);
    expect(map.shiftAt(500)).toBe(-500);
  });

  it('equals the rule of docs/FORMAT.md on random tables', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ oldStart: fc.nat(2000), copyLen: fc.nat(100), extraLen: fc.nat(50) }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 100 }),
        (table, minSegment) => {
          const segments: ShiftSegment[] = [];
          let newStart = 0;
          for (const b of table) {
            if (b.copyLen >= minSegment) segments.push({ start: b.oldStart, shift: newStart - b.oldStart });
            newStart += b.copyLen + b.extraLen;
          }
          // Insertion sort: stable by construction.
          const sorted: ShiftSegment[] = [];
          for (const s of segments) {
            let i = sorted.length;
            while (i > 0 && sorted[i - 1]!.start > s.start) i--;
            sorted.splice(i, 0, s);
          }
          const map = deriveFlashMap(table, minSegment);
          expect(map.size).toBe(countFlashSegments(table, minSegment));
          for (let o = 0; o <= 2200; o += 37) expect(map.shiftAt(o)).toBe(naiveShift(sorted, o));
          for (const s of sorted) expect(map.shiftAt(s.start)).toBe(naiveShift(sorted, s.start));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A value map (RAM or constants): sorted starts, any shifts, an end at or after the last start. */
const valueMap = (maxStart: number) =>
  fc
    .record({
      starts: fc.uniqueArray(fc.integer({ min: 0, max: maxStart }), { maxLength: 20 }),
      shifts: fc.array(fc.integer({ min: -0x1000_0000, max: 0x1000_0000 }), { minLength: 20, maxLength: 20 }),
      span: fc.integer({ min: 0, max: 0xfff }),
    })
    .map(({ starts, shifts, span }) => {
      const sorted = [...starts].sort((a, b) => a - b);
      const segments = sorted.map((start, i) => ({ start, shift: shifts[i]! }));
      return { segments, end: segments.length ? sorted[sorted.length - 1]! + span : 0 };
    });

const relocationParams: fc.Arbitrary<RelocationParams> = fc
  .record({
    recognize: fc.integer({ min: 0, max: RECOGNIZE_ALL }),
    minSegment: fc.integer({ min: 0, max: 0xffff_ffff }),
    flashSegments: fc.integer({ min: 0, max: 0xffff_ffff }),
    ram: valueMap(0xffff_f000),
    constants: valueMap(0xffff),
  })
  // The constant map travels only with its recognizer bit; without it the decoder reports an empty one.
  .map((p) => (p.recognize & Recognize.constants ? p : { ...p, constants: { segments: [], end: 0 } }));

describe('relocation parameters', () => {
  it('decode(encode(p)) == p', () => {
    fc.assert(
      fc.property(relocationParams, (p) => {
        expect(decodeRelocationParams(encodeRelocationParams(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('a typical parameter block is a few bytes: 1f 20 <count> 00 for no RAM map', () => {
    const none = { segments: [], end: 0 };
    expect([...encodeRelocationParams({ recognize: 0x1f, minSegment: 32, flashSegments: 5, ram: none, constants: none })]).toEqual([0x1f, 0x20, 0x05, 0x00]);
    // With the constants recognizer, a (here empty) constant map follows the RAM map.
    expect([...encodeRelocationParams({ recognize: 0x3f, minSegment: 32, flashSegments: 5, ram: none, constants: none })]).toEqual([0x3f, 0x20, 0x05, 0x00, 0x00]);
    const withRam = encodeRelocationParams({ recognize: 0x1f, minSegment: 32, flashSegments: 5, ram: { segments: [{ start: 0x2000_0000, shift: 8 }], end: 0x2000_0100 }, constants: none });
    expect([...withRam]).toEqual([0x1f, 0x20, 0x05, 0x01, 0x80, 0x80, 0x80, 0x80, 0x02, 0x10, 0x80, 0x02]);
  });

  const raw = (write: (w: ByteWriter) => void): Uint8Array => {
    const w = new ByteWriter(16);
    write(w);
    return w.view().slice();
  };

  it('rejects unknown recognizer bits, too many RAM segments, trailing bytes, truncation, bad varints', () => {
    const bad = (bytes: Uint8Array, message: RegExp): void => {
      expect(() => decodeRelocationParams(bytes)).toThrow(InvalidInputError);
      expect(() => decodeRelocationParams(bytes)).toThrow(message);
    };
    bad(Uint8Array.of(RECOGNIZE_ALL + 1, 0x20, 0x00, 0x00), /unknown relocation recognizer flags/);
    bad(Uint8Array.of(0xff, 0x20, 0x00, 0x00), /unknown relocation recognizer flags/);
    bad(raw((w) => { w.byte(0x1f); w.uvarint(32); w.uvarint(0); w.uvarint(MAX_RAM_SEGMENTS + 1); }), /257 RAM map segments exceed the limit of 256/);
    bad(Uint8Array.of(0x1f, 0x20, 0x00, 0x00, 0x00), /1 unexpected trailing byte/);
    const full = encodeRelocationParams({
      recognize: RECOGNIZE_ALL, minSegment: 32, flashSegments: 300,
      ram: { segments: [{ start: 0x2000_0000, shift: -8 }, { start: 0x2000_0400, shift: 8 }], end: 0x2000_1000 },
      constants: { segments: [{ start: 0x100, shift: 2 }], end: 0x200 },
    });
    for (let cut = 0; cut < full.length; cut++) bad(full.subarray(0, cut), /relocation parameters is truncated/);
    bad(Uint8Array.of(0x1f, 0x80, 0x00, 0x00, 0x00), /minimum segment length at offset 1 is not a minimal varint/);
    // A start that sums past 2^32 - 1.
    bad(raw((w) => { w.byte(0x1f); w.uvarint(32); w.uvarint(0); w.uvarint(2); w.uvarint(0xffff_ffff); w.svarint(0); w.uvarint(1); w.svarint(0); w.uvarint(0); }), /segment 1 is out of the 32-bit/);
  });

  it('exactly 256 RAM segments are accepted', () => {
    const segments = Array.from({ length: MAX_RAM_SEGMENTS }, (_, i) => ({ start: 0x2000_0000 + 4 * i, shift: 4 }));
    const p = { recognize: 0x10, minSegment: 32, flashSegments: 0, ram: { segments, end: 0x2000_1000 }, constants: { segments: [], end: 0 } };
    expect(decodeRelocationParams(encodeRelocationParams(p))).toEqual(p);
  });
});
