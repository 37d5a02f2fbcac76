/**
 * Value maps, the relocation's RAM and constant maps (src/delta/value-map.ts; docs/FORMAT.md, "RAM map and
 * constant map"): encode -> parse round trips on random maps, the bytes against the spec (descriptor,
 * checkpoints from independently computed code lengths, one map written out by hand), shiftAt through the
 * checkpoints against a linear reference at every covered value, and every refusal of parse on maps written by
 * an independent encoder (below) that breaks exactly one rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter, egLength, zigzag } from '../../src/delta/bits.js';
import { encodeValueMap, MAX_CONSTANT_SEGMENTS, MAX_RAM_SEGMENTS, StoredValueMap, type RamMap } from '../../src/delta/value-map.js';
import { InvalidInputError } from '../../src/errors.js';
import { prng } from './helpers.js';

/** A random map: strictly increasing starts, shifts of either sign, an end after the last start, all within 32 bits. */
function randomMap(seed: number, maxCount: number, smallSpan: boolean): RamMap {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const count = 1 + int(maxCount);
  const gap = (): number => 1 + (smallSpan ? int(rand() < 0.8 ? 8 : 60) : rand() < 0.5 ? int(64) : int(2 ** 22));
  const starts: number[] = [];
  let start = smallSpan ? int(2 ** 32 - 10_000) : rand() < 0.5 ? 0x2000_0000 + 4 * int(1024) : int(2 ** 20);
  for (let i = 0; i < count; i++) {
    if (i > 0) start += gap();
    starts.push(start);
  }
  const shiftOf = (): number => {
    const kind = rand();
    const magnitude = kind < 0.5 ? 4 * int(64) : kind < 0.8 ? int(2 ** 16) : int(2 ** 29);
    return rand() < 0.5 && magnitude > 0 ? -magnitude : magnitude;
  };
  const last = starts[starts.length - 1]!;
  const end = Math.min(2 ** 32, last + 1 + (smallSpan ? int(50) : int(2 ** 20)));
  return { segments: starts.map((s) => ({ start: s, shift: shiftOf() })), end };
}

/** shiftAt by its definition: the shift of the last record with start <= v. */
function referenceShift(map: RamMap, v: number): number {
  let shift = 0;
  for (const s of map.segments) if (s.start <= v) shift = s.shift;
  return shift;
}

function parsed(bytes: Uint8Array, offset = 0, what = 'RAM map', limit = MAX_RAM_SEGMENTS): StoredValueMap {
  const { map, end } = StoredValueMap.parse(bytes, offset, what, limit);
  expect(end).toBe(bytes.length);
  return map;
}

function refused(bytes: Uint8Array, message: RegExp, limit = MAX_RAM_SEGMENTS): void {
  expect(() => StoredValueMap.parse(bytes, 0, 'RAM map', limit)).toThrow(InvalidInputError);
  expect(() => StoredValueMap.parse(bytes, 0, 'RAM map', limit)).toThrow(message);
}

// ---------------------------------------------------------------------------------------------------------
// An independent encoder, written from docs/FORMAT.md, that can break one rule at a time

interface CraftRecord {
  /** Start minus the previous record's start (0 for the first). */
  delta: number;
  /** zigzag(shift). */
  z: number;
}

interface CraftOptions {
  base?: number;
  span?: number;
  count?: number;
  k?: [number, number];
  groupLog2?: number;
  width?: number;
  checkpoints?: (cps: number[][]) => void;
  trailingBits?: string;
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

function craftMap(records: readonly CraftRecord[], options: CraftOptions = {}): Uint8Array {
  const k = options.k ?? [2, 4];
  const groupLog2 = options.groupLog2 ?? 2;
  const bits = new BitWriter();
  const cps: number[][] = [];
  let start = 0;
  records.forEach((r, i) => {
    start += r.delta;
    if (i > 0 && i % 2 ** groupLog2 === 0) cps.push([bits.position, start]);
    bits.eg(r.delta, k[0]);
    bits.eg(r.z, k[1]);
  });
  for (const b of options.trailingBits ?? '') bits.bit(b === '1' ? 1 : 0);
  const stream = [...bits.finish(), ...(options.trailingBytes ?? [])];
  options.checkpoints?.(cps);
  const width = options.width ?? 2;
  return Uint8Array.from([
    ...uvarint(options.count ?? records.length),
    ...uvarint(options.base ?? 0x2000_0000),
    ...uvarint(options.span ?? 0x1000),
    k[0],
    k[1],
    groupLog2,
    width,
    ...uvarint(options.bitsLength ? options.bitsLength(stream.length) : stream.length),
    ...cps.flatMap(([position, s]) => [...le(position!, width), ...le(s!, width)]),
    ...stream,
  ]);
}

/** Ten valid records 16 bytes apart (a checkpoint every 4: two of them). */
const valid: CraftRecord[] = Array.from({ length: 10 }, (_, i) => ({ delta: i === 0 ? 0 : 16, z: zigzag(i % 2 ? 4 * i : -4 * i) }));

// ---------------------------------------------------------------------------------------------------------

describe('encodeValueMap -> StoredValueMap round trips', () => {
  it('random maps: count, range and records come back; parse ends where the map ends', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), (seed, smallSpan) => {
        const map = randomMap(seed, 200, smallSpan);
        const stored = parsed(encodeValueMap(map));
        expect(stored.count).toBe(map.segments.length);
        expect(stored.start).toBe(map.segments[0]!.start);
        expect(stored.end).toBe(map.end);
        expect(stored.toRamMap()).toEqual(map);
      }),
      { numRuns: 300 },
    );
  });

  it('parses at an offset inside a larger tables section and reports where the map ends', () => {
    const map = randomMap(3, 40, false);
    const bytes = encodeValueMap(map);
    const section = Uint8Array.from([0xaa, 0xbb, 0xcc, ...bytes, 0x11, 0x22]);
    const { map: stored, end } = StoredValueMap.parse(section, 3, 'constant map', MAX_CONSTANT_SEGMENTS);
    expect(end).toBe(3 + bytes.length);
    expect(stored.toRamMap()).toEqual(map);
  });

  it('an empty map is one byte (count 0), covers nothing and needs no recognizer-specific handling', () => {
    const bytes = encodeValueMap({ segments: [], end: 0 });
    expect([...bytes]).toEqual([0]);
    const stored = parsed(bytes);
    expect(stored.count).toBe(0);
    expect([0, 1, 0x2000_0000, 2 ** 32 - 1].some((v) => stored.covers(v))).toBe(false);
  });

  it('exactly 256 RAM records and 1024 constant records are accepted', () => {
    for (const [limit, what] of [[MAX_RAM_SEGMENTS, 'RAM map'], [MAX_CONSTANT_SEGMENTS, 'constant map']] as const) {
      const map: RamMap = { segments: Array.from({ length: limit }, (_, i) => ({ start: 0x2000_0000 + 4 * i, shift: i % 7 })), end: 0x2000_0000 + 4 * limit };
      const stored = parsed(encodeValueMap(map), 0, what, limit);
      expect(stored.toRamMap()).toEqual(map);
      for (let i = 0; i < limit; i++) expect(stored.shiftAt(0x2000_0000 + 4 * i + (i % 4))).toBe(i % 7);
    }
    expect([MAX_RAM_SEGMENTS, MAX_CONSTANT_SEGMENTS]).toEqual([256, 1024]);
  });
});

describe('the bytes of a value map (docs/FORMAT.md)', () => {
  it('one RAM record written out by hand', () => {
    // count 1; base 0x20000000 (80 80 80 80 02); span 0x100 (80 02); k start 0 (the one delta is 0);
    // k shift 3 (zigzag(8) = 16: eg(3) is 6 bits, eg(2) and eg(4) 7); group log2 4; width 2 (span 256 needs
    // 2 bytes); 1 byte of bits: eg(0) of 0 = 1, eg(3) of 16 = 0 11000, padded: 1011 0000.
    const bytes = encodeValueMap({ segments: [{ start: 0x2000_0000, shift: 8 }], end: 0x2000_0100 });
    expect([...bytes]).toEqual([0x01, 0x80, 0x80, 0x80, 0x80, 0x02, 0x80, 0x02, 0x00, 0x03, 0x04, 0x02, 0x01, 0xb0]);
  });

  it('descriptor, checkpoints (bit position and start - base of record j * G) and bit lengths, on random maps', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const map = randomMap(seed, 120, seed % 2 === 0);
        const bytes = encodeValueMap(map);
        let at = 0;
        const readUvarint = (): number => {
          let v = 0;
          for (let scale = 1; ; scale *= 128) {
            const b = bytes[at++]!;
            v += (b & 0x7f) * scale;
            if (!(b & 0x80)) return v;
          }
        };
        const n = map.segments.length;
        const base = map.segments[0]!.start;
        expect(readUvarint()).toBe(n);
        expect(readUvarint()).toBe(base);
        expect(readUvarint()).toBe(map.end - base);
        const [kStart, kShift, groupLog2, width] = [bytes[at++]!, bytes[at++]!, bytes[at++]!, bytes[at++]!];
        expect(kStart).toBeLessThanOrEqual(24);
        expect(kShift).toBeLessThanOrEqual(24);
        expect(groupLog2).toBeGreaterThanOrEqual(2);
        expect(groupLog2).toBeLessThanOrEqual(16);
        expect(width).toBeGreaterThanOrEqual(1);
        expect(width).toBeLessThanOrEqual(4);
        const bitsLength = readUvarint();
        const group = 2 ** groupLog2;
        const checkpoints = Math.ceil(n / group) - 1;
        expect(at + checkpoints * 2 * width + bitsLength).toBe(bytes.length);
        let position = 0;
        const positions = map.segments.map((s, i) => {
          const p = position;
          position += egLength(i === 0 ? 0 : s.start - map.segments[i - 1]!.start, kStart) + egLength(zigzag(s.shift), kShift);
          return p;
        });
        expect(bitsLength).toBe(Math.ceil(position / 8));
        for (let j = 1; j <= checkpoints; j++) {
          const field = (f: number): number => bytes.subarray(at + ((j - 1) * 2 + f) * width, at + ((j - 1) * 2 + f + 1) * width).reduceRight((v, b) => v * 256 + b, 0);
          expect([field(0), field(1)], `checkpoint ${j}`).toEqual([positions[j * group], map.segments[j * group]!.start - base]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('shiftAt through the checkpoints', () => {
  it('equals the linear reference at every covered value of small maps, and covers exactly [base, base + span)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const map = randomMap(seed, 120, true);
        const stored = parsed(encodeValueMap(map));
        const base = map.segments[0]!.start;
        expect(stored.covers(base - 1)).toBe(false);
        expect(stored.covers(map.end)).toBe(false);
        for (let v = base; v < map.end; v++) {
          expect(stored.covers(v)).toBe(true);
          expect(stored.shiftAt(v), `value 0x${v.toString(16)}`).toBe(referenceShift(map, v));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('equals the linear reference at every record start, its neighbours and random values of large maps', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 50 }), (seed, fractions) => {
        const map = randomMap(seed, 250, false);
        const stored = parsed(encodeValueMap(map));
        const base = map.segments[0]!.start;
        const values = [base, map.end - 1, ...map.segments.flatMap((s) => [s.start - 1, s.start, s.start + 1]), ...fractions.map((f) => base + Math.floor(f * (map.end - base)))];
        for (const v of values.filter((x) => x >= base && x < map.end)) expect(stored.shiftAt(v), `value ${v}`).toBe(referenceShift(map, v));
      }),
      { numRuns: 150 },
    );
  });
});

describe('StoredValueMap.parse refuses', () => {
  it('(the baseline: the independent encoder\'s map parses and gives its records)', () => {
    const stored = parsed(craftMap(valid));
    expect(stored.toRamMap().segments.map((s) => s.start - 0x2000_0000)).toEqual(valid.map((_, i) => 16 * i));
    expect(stored.shiftAt(0x2000_0000 + 16 * 9 + 3)).toBe(36);
  });

  it('more records than the map allows', () => {
    refused(craftMap(valid, { count: MAX_RAM_SEGMENTS + 1 }), /257 RAM map segments exceed the limit of 256/);
    expect(() => StoredValueMap.parse(craftMap(valid, { count: 1025 }), 0, 'constant map', MAX_CONSTANT_SEGMENTS)).toThrow(/1025 constant map segments exceed the limit of 1024/);
  });

  it('a range that is empty or not within 32-bit values', () => {
    refused(craftMap(valid, { span: 0 }), /is not a range of 32-bit values/);
    refused(craftMap(valid, { base: 2 ** 32 - 100, span: 101 }), /is not a range of 32-bit values/);
    expect(() => parsed(craftMap(valid, { base: 2 ** 32 - 200, span: 200 }))).not.toThrow();
  });

  it('an exp-Golomb order above 24, a group log2 outside 2..16, a checkpoint width outside 1..4', () => {
    refused(craftMap(valid.slice(0, 1), { k: [25, 4] }), /exp-Golomb order above 24/);
    refused(craftMap(valid.slice(0, 1), { k: [2, 25] }), /exp-Golomb order above 24/);
    for (const groupLog2 of [1, 17]) refused(craftMap(valid.slice(0, 1), { groupLog2 }), new RegExp(`group log2 ${groupLog2}\\b.*(out of range|outside 2\\.\\.16)`));
    for (const width of [0, 5]) refused(craftMap(valid.slice(0, 1), { width }), new RegExp(`checkpoint width ${width} (is )?(out of range|outside 1\\.\\.4)`));
  });

  it('a checkpoint that does not match its record (bit position or start)', () => {
    for (let j = 0; j < 2; j++) {
      for (let f = 0; f < 2; f++) refused(craftMap(valid, { checkpoints: (cps) => void (cps[j]![f]! += 1) }), new RegExp(`checkpoint ${j + 1} does not match record ${4 * (j + 1)}`));
    }
  });

  it('record starts that do not strictly increase from 0, or reach the span', () => {
    refused(craftMap([{ delta: 4, z: 0 }, ...valid.slice(1)]), /record 0 does not start/);
    const repeated = valid.map((r) => ({ ...r }));
    repeated[6] = { delta: 0, z: 2 };
    refused(craftMap(repeated), /record 6 does not start after the previous one/);
    refused(craftMap(valid, { span: 16 * 9 }), /record 9 starts past the map's end/);
    expect(() => parsed(craftMap(valid, { span: 16 * 9 + 1 }))).not.toThrow();
  });

  it('bits after the last record: a whole byte more, or a padding bit that is not 0', () => {
    refused(craftMap(valid, { trailingBytes: [0] }), /bits after (the|its) last (record|entry)/);
    const records = valid.slice(0, 2); // 8 + 12 bits: 4 bits of padding
    expect(records.reduce((n, r) => n + egLength(r.delta, 2) + egLength(r.z, 4), 0)).toBe(20);
    const plain = craftMap(records);
    const padded = craftMap(records, { trailingBits: '1' });
    expect(padded.length, 'the bit goes into the padding of the last byte').toBe(plain.length);
    expect(() => parsed(plain)).not.toThrow();
    refused(padded, /bits after (the|its) last (record|entry)/);
  });

  it('record bits cut short, or an eg code with too many zeros', () => {
    // One byte of bits less (the last byte always holds bits of record 9), the map's end moved with it.
    const short = craftMap(valid, { bitsLength: (n) => n - 1 });
    refused(short.subarray(0, short.length - 1), /ends in the middle/);
    const zeros = Uint8Array.from([1, 0, 0x80, 0x20, 2, 4, 2, 2, 5, 0, 0, 0, 0, 0]);
    refused(zeros, /leading zeros/);
  });

  it('a map cut anywhere (InvalidInputError, never another error)', () => {
    const bytes = encodeValueMap(randomMap(9, 80, false));
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => StoredValueMap.parse(bytes.subarray(0, cut), 0, 'RAM map', MAX_RAM_SEGMENTS), `cut ${cut}`).toThrow(InvalidInputError);
    }
  });
});
