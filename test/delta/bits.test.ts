/**
 * Bit streams and exponential-Golomb codes (src/delta/bits.ts; docs/FORMAT.md, "Integers and bits"): eg(k)
 * against its definition, written with BigInt so no floating-point log2 is trusted, the limits of writer and
 * reader, and round trips of mixed streams read back from any recorded position (what a checkpoint does).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, bestEgOrder, egLength, MAX_EG_ORDER, unzigzag, zigzag } from '../../src/delta/bits.js';
import { InvalidInputError } from '../../src/errors.js';

/** eg(k) of v as a string of '0'/'1', straight from the definition: n - k zeros, then the n + 1 bits of x. */
function egReference(v: number, k: number): string {
  const x = BigInt(v) + (1n << BigInt(k));
  const binary = x.toString(2); // n + 1 digits, the first one a 1
  const n = binary.length - 1;
  return '0'.repeat(n - k) + binary;
}

/** The bits of a finished stream, most significant bit of byte 0 first. */
function bitString(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
}

function readerOf(bytes: Uint8Array, position = 0): BitReader {
  return new BitReader((i) => {
    if (i < 0 || i >= bytes.length) throw new RangeError(`byte ${i} read outside the stream`);
    return bytes[i]!;
  }, bytes.length, position);
}

/** A stream from a string of '0'/'1' (padded with zeros to whole bytes). */
function streamOf(bits: string): Uint8Array {
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  return Uint8Array.from({ length: padded.length / 8 }, (_, i) => parseInt(padded.slice(8 * i, 8 * i + 8), 2));
}

/** The largest value BitWriter.eg writes with order k: it keeps values below 2^31 - 2^k. */
const writerMax = (k: number): number => 2 ** 31 - 2 ** k - 1;

/** Values where eg(k) changes length: around every power of two of x = v + 2^k, plus the ends. */
function interestingValues(k: number): number[] {
  const values = new Set<number>([0, 1, 2, 3, writerMax(k)]);
  for (let m = k; m <= 31; m++) {
    for (const x of [2 ** m - 1, 2 ** m, 2 ** m + 1]) {
      const v = x - 2 ** k;
      if (v >= 0 && v <= writerMax(k)) values.add(v);
    }
  }
  return [...values].sort((a, b) => a - b);
}

describe('zigzag', () => {
  it('maps v >= 0 to 2v and v < 0 to -2v - 1, and unzigzag inverts it', () => {
    expect([0, -1, 1, -2, 2, -3].map(zigzag)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([0, 1, 2, 3, 4, 5].map(unzigzag)).toEqual([0, -1, 1, -2, 2, -3]);
    expect(zigzag(2 ** 30 - 1)).toBe(2 ** 31 - 2);
    expect(zigzag(-(2 ** 30))).toBe(2 ** 31 - 1);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        const z = zigzag(v);
        expect(z).toBe(v >= 0 ? 2 * v : -2 * v - 1);
        expect(unzigzag(z)).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('eg(k) against the definition', () => {
  it('small values of order 0, 1 and 3, written out by hand', () => {
    // order 0: 0 -> 1, 1 -> 010, 2 -> 011, 3 -> 00100, 6 -> 00111, 7 -> 0001000
    const order0: Array<[number, string]> = [[0, '1'], [1, '010'], [2, '011'], [3, '00100'], [6, '00111'], [7, '0001000']];
    // order 1: 0 -> 10, 1 -> 11, 2 -> 0100, 5 -> 0111, 6 -> 001000
    const order1: Array<[number, string]> = [[0, '10'], [1, '11'], [2, '0100'], [5, '0111'], [6, '001000']];
    // order 3: 16 -> x = 24 = 11000, n = 4: one zero, then 11000
    const order3: Array<[number, string]> = [[0, '1000'], [7, '1111'], [8, '010000'], [16, '011000']];
    for (const [k, table] of [[0, order0], [1, order1], [3, order3]] as const) {
      for (const [v, code] of table) {
        expect(egReference(v, k), `reference eg(${k}) of ${v}`).toBe(code);
        const w = new BitWriter();
        w.eg(v, k);
        expect(w.position).toBe(code.length);
        expect(bitString(w.finish())).toBe(code.padEnd(Math.ceil(code.length / 8) * 8, '0'));
      }
    }
  });

  it('BitWriter.eg writes exactly the reference bits, egLength counts them, BitReader.eg reads the value back (every k, every length boundary)', () => {
    for (let k = 0; k <= MAX_EG_ORDER; k++) {
      for (const v of interestingValues(k)) {
        const code = egReference(v, k);
        const w = new BitWriter();
        w.eg(v, k);
        expect(w.position, `eg(${k}) of ${v}`).toBe(code.length);
        expect(egLength(v, k), `egLength(${v}, ${k})`).toBe(code.length);
        const bytes = w.finish();
        expect(bitString(bytes).slice(0, code.length), `eg(${k}) of ${v}`).toBe(code);
        expect(bitString(bytes).slice(code.length)).toMatch(/^0*$/);
        const r = readerOf(bytes);
        expect(r.eg(k), `read eg(${k}) of ${v}`).toBe(v);
        expect(r.position).toBe(code.length);
      }
    }
  });

  it('random values and orders: writer, egLength and reader agree with the reference', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_EG_ORDER }), fc.double({ min: 0, max: 1, noNaN: true }), (k, fraction) => {
        const v = Math.floor(fraction * writerMax(k));
        const code = egReference(v, k);
        const w = new BitWriter();
        w.eg(v, k);
        expect(bitString(w.finish()).slice(0, code.length)).toBe(code);
        expect(egLength(v, k)).toBe(code.length);
        expect(readerOf(w.finish()).eg(k)).toBe(v);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('eg(k) limits', () => {
  it('the writer refuses negative, fractional and too large values', () => {
    for (let k = 0; k <= MAX_EG_ORDER; k++) {
      const w = new BitWriter();
      expect(() => w.eg(-1, k)).toThrow(RangeError);
      expect(() => w.eg(1.5, k)).toThrow(RangeError);
      expect(() => w.eg(writerMax(k) + 1, k)).toThrow(RangeError);
      expect(() => w.eg(2 ** 32, k)).toThrow(RangeError);
      expect(w.position, 'a refused value writes nothing').toBe(0);
      w.eg(writerMax(k), k);
      // The largest value has 30 - k leading zeros: within the reader's limit of 31 - k.
      expect(w.position).toBe(2 * 30 + 1 - k);
    }
  });

  it(`the reader accepts at most 31 - k leading zeros (then z + k further bits), and refuses more`, () => {
    for (let k = 0; k <= MAX_EG_ORDER; k++) {
      const z = 31 - k;
      // The most zeros allowed: v = 2^(z+k) + b - 2^k with b the z + k bits after the 1.
      const b = 0b101; // low bits of the tail
      const tail = b.toString(2).padStart(z + k, '0');
      const longest = readerOf(streamOf(`${'0'.repeat(z)}1${tail}`));
      expect(longest.eg(k), `k ${k}`).toBe(2 ** 31 + b - 2 ** k);
      expect(longest.position).toBe(z + 1 + z + k);
      // One zero more is corrupt, whatever follows.
      const tooMany = readerOf(streamOf(`${'0'.repeat(z + 1)}1${'0'.repeat(40)}`));
      expect(() => tooMany.eg(k)).toThrow(InvalidInputError);
      expect(() => readerOf(streamOf(`${'0'.repeat(z + 1)}1${'0'.repeat(40)}`)).eg(k)).toThrow(new RegExp(`more than ${31 - k} leading zeros`));
    }
  });

  it('a code cut by the end of the stream is refused as corrupt (zeros, or the bits after the 1)', () => {
    for (const bits of ['', '0', '0000000', '00000001', '000001', '0000001']) {
      const stream = streamOf(bits);
      // streamOf pads with zeros: only codes that need more bits than the whole bytes give are cut.
      const r = readerOf(stream);
      expect(() => r.eg(0), JSON.stringify(bits)).toThrow(InvalidInputError);
    }
    expect(() => readerOf(new Uint8Array(0)).eg(3)).toThrow(/ends in the middle/);
    expect(() => readerOf(new Uint8Array(0)).bit()).toThrow(InvalidInputError);
  });

  it('MAX_EG_ORDER is 24 (docs/FORMAT.md: 0 <= k <= 24)', () => {
    expect(MAX_EG_ORDER).toBe(24);
  });
});

describe('BitWriter and BitReader', () => {
  it('bits go most significant first; finish pads the last byte with zeros', () => {
    const w = new BitWriter();
    w.bit(1);
    expect([...w.finish()]).toEqual([0x80]);
    w.bits(0b0110011, 7); // completes the first byte
    w.bits(0b101, 3);
    expect(w.position).toBe(11);
    expect([...w.finish()]).toEqual([0b10110011, 0b10100000]);
    const empty = new BitWriter();
    expect(empty.finish().length).toBe(0);
  });

  it('bits(value, count) round-trips every width up to 32', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 32 }), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 40 }), (fields) => {
        const w = new BitWriter();
        const values = fields.map(([count, f]) => [count, Math.floor(f * (2 ** count - 1))] as const);
        for (const [count, value] of values) w.bits(value, count);
        const bytes = w.finish();
        expect(bytes.length).toBe(Math.ceil(w.position / 8));
        const r = readerOf(bytes);
        for (const [count, value] of values) expect(r.bits(count)).toBe(value);
        expect(r.bitsLeft).toBe(bytes.length * 8 - w.position);
      }),
      { numRuns: 500 },
    );
  });

  it('mixed streams round-trip, and a reader started at any recorded position reads the same value from there', () => {
    const item = fc.oneof(
      fc.record({ kind: fc.constant('eg' as const), k: fc.integer({ min: 0, max: MAX_EG_ORDER }), f: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('bit' as const), k: fc.constant(0), f: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 60 }), fc.boolean(), (items, smallValues) => {
        const w = new BitWriter();
        const written = items.map((it) => {
          const max = it.kind === 'bit' ? 1 : smallValues ? Math.min(300, writerMax(it.k)) : writerMax(it.k);
          const value = it.kind === 'bit' ? (it.f < 0.5 ? 0 : 1) : Math.floor(it.f * max);
          const position = w.position;
          if (it.kind === 'eg') w.eg(value, it.k);
          else w.bit(value);
          return { ...it, value, position };
        });
        const end = w.position;
        const bytes = w.finish();
        const sequential = readerOf(bytes);
        for (const it of written) {
          expect(sequential.position).toBe(it.position);
          expect(it.kind === 'eg' ? sequential.eg(it.k) : sequential.bit()).toBe(it.value);
        }
        expect(sequential.position).toBe(end);
        // What follows the last code: fewer than 8 bits, all zero.
        expect(sequential.bitsLeft).toBeLessThan(8);
        expect(sequential.bits(sequential.bitsLeft)).toBe(0);
        for (const it of written) {
          const jump = readerOf(bytes, it.position);
          expect(it.kind === 'eg' ? jump.eg(it.k) : jump.bit()).toBe(it.value);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('bestEgOrder', () => {
  it('picks the order with the fewest bits in total, the smallest one on a tie', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(20), fc.nat(5000), fc.integer({ min: 0, max: 2 ** 26 })), { maxLength: 50 }), (values) => {
        const cost = (k: number): number => values.reduce((n, v) => n + egReference(v, k).length, 0);
        const best = bestEgOrder(values);
        expect(best).toBeGreaterThanOrEqual(0);
        expect(best).toBeLessThanOrEqual(MAX_EG_ORDER);
        for (let k = 0; k <= MAX_EG_ORDER; k++) {
          if (k < best) expect(cost(k), `k ${k} < best ${best}`).toBeGreaterThan(cost(best));
          else expect(cost(k)).toBeGreaterThanOrEqual(cost(best));
        }
      }),
      { numRuns: 300 },
    );
    expect(bestEgOrder([])).toBe(0);
    expect(bestEgOrder([2 ** 40, 3])).toBe(bestEgOrderByDefinition([2 ** 40, 3]));
    expect(bestEgOrder([0, 0, 0])).toBe(0);
    // 1000..1020: order 10 spends 11 bits on each (x = v + 1024 < 2048), orders 9 and 11 spend 12.
    expect(bestEgOrder([1000, 1001, 1020])).toBe(10);
  });
});

/** The order with the fewest bits, trying each order on each value (floor(log2) through BigInt, not floats). */
function bestEgOrderByDefinition(values: readonly number[]): number {
  const bitLength = (x: bigint): number => x.toString(2).length;
  let best = 0;
  let bestBits = Infinity;
  for (let k = 0; k <= MAX_EG_ORDER; k++) {
    const bits = values.reduce((n, v) => n + 2 * (bitLength(BigInt(v) + (1n << BigInt(k))) - 1) + 1 - k, 0);
    if (bits < bestBits) {
      bestBits = bits;
      best = k;
    }
  }
  return best;
}

describe('bestEgOrder against trying every order', () => {
  it('the same order for values of every bit length, runs of leading ones included, below and above 2^32', () => {
    // All-ones and power-of-two neighbours are where floor(log2(v + 2^k)) steps; the rest is random.
    const boundary = fc.integer({ min: 1, max: 40 }).chain((b) => fc.constantFrom(2 ** b - 1, 2 ** b, 2 ** b + 1, 2 ** b - 2 ** Math.floor(b / 2), 2 ** b - 3));
    const value = fc.oneof(fc.nat(20), fc.nat(70_000), fc.integer({ min: 0, max: 2 ** 32 - 1 }), boundary);
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), (values) => {
        expect(bestEgOrder(values)).toBe(bestEgOrderByDefinition(values));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('egLength', () => {
  it('is 2 floor(log2(v + 2^k)) + 1 - k at every power-of-two boundary, below and above 2^32', () => {
    const values = [0, 1, 2, 3];
    for (let n = 2; n <= 40; n++) values.push(2 ** n - 2, 2 ** n - 1, 2 ** n, 2 ** n + 1);
    for (let k = 0; k <= MAX_EG_ORDER; k++) {
      for (const v of values) expect(egLength(v, k), `v ${v}, k ${k}`).toBe(2 * Math.floor(Math.log2(v + 2 ** k)) + 1 - k);
    }
  });

  it('counts the bits BitWriter writes for eg(k)', () => {
    for (const k of [0, 3, 24]) {
      for (const v of [0, 1, 77, 2 ** 20 + 5, 2 ** 31 - 2 ** 24 - 1]) {
        const writer = new BitWriter();
        writer.eg(v, k);
        expect(writer.position, `v ${v}, k ${k}`).toBe(egLength(v, k));
      }
    }
  });
});
