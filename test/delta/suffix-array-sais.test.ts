/**
 * SA-IS suffix sorting (src/delta/sais.ts, behind buildSuffixArray) against a naive sort of the suffixes and
 * against the former prefix-doubling construction, on inputs that drive its recursion hard: small alphabets,
 * runs, periodic and Fibonacci strings (many equal LMS substrings, so many levels of reduced strings).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuffixArray } from '../../src/delta/suffix-array.js';
import { prng } from './helpers.js';
import { buildSuffixArrayDoubling } from './suffix-array-doubling.js';

const shared = path.resolve(import.meta.dirname, '../../../shared');
const corpusImage = path.join(shared, 'corpus/pybv11/v1.10/firmware1.bin');

/** Suffix start positions sorted by a byte-wise comparison; a suffix that is a prefix of another comes first. */
function naiveSuffixArray(text: Uint8Array): number[] {
  const compare = (a: number, b: number): number => {
    while (a < text.length && b < text.length) {
      if (text[a] !== text[b]) return text[a]! - text[b]!;
      a++;
      b++;
    }
    return a === text.length ? -1 : 1;
  };
  return Array.from({ length: text.length }, (_, i) => i).sort(compare);
}

/**
 * Checks that sa is a permutation whose neighbours are in order (every `stride`-th pair: on repetitive texts
 * the common prefixes of neighbours are long, and the equality with prefix doubling checks the rest).
 */
function expectSuffixArray(text: Uint8Array, sa: Int32Array, stride = 1): void {
  expect(sa.length).toBe(text.length);
  const seen = new Uint8Array(text.length);
  for (const p of sa) seen[p]!++;
  expect(seen.every((count) => count === 1)).toBe(true);
  for (let k = 1; k < sa.length; k += stride) {
    let a = sa[k - 1]!;
    let b = sa[k]!;
    while (b < text.length && text[a] === text[b]) {
      a++;
      b++;
    }
    if (!(b < text.length && (a === text.length || text[a]! < text[b]!))) {
      throw new Error(`suffixes ${sa[k - 1]} and ${sa[k]} at ranks ${k - 1} and ${k} are out of order`);
    }
  }
}

const bytes = (values: number[]): Uint8Array => Uint8Array.from(values);
const smallAlphabet = fc
  .integer({ min: 1, max: 4 })
  .chain((size) => fc.array(fc.integer({ min: 0, max: size - 1 }), { maxLength: 400 }))
  .map(bytes);
const runs = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 60 })), { maxLength: 8 })
  .map((parts) => bytes(parts.flatMap(([value, length]) => Array<number>(length).fill(value))));
const periodic = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 7 }),
    fc.integer({ min: 1, max: 80 }),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }),
  )
  .map(([unit, times, tail]) => bytes([...Array.from({ length: times }, () => unit).flat(), ...tail]));
const anyText = fc.oneof(smallAlphabet, fc.uint8Array({ maxLength: 400 }), runs, periodic);
/** Longer texts made of a few short random words: many equal LMS substrings that differ just past their end. */
const wordSoup = fc
  .tuple(
    fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
    fc.array(fc.nat(), { maxLength: 1500 }),
  )
  .map(([words, picks]) => bytes(picks.flatMap((pick) => words[pick % words.length]!)));

/** The Fibonacci word over {a, b}: the classic input with the most equal LMS substrings at every level. */
function fibonacciWord(length: number): Uint8Array {
  let previous = 'a';
  let current = 'ab';
  while (current.length < length) [previous, current] = [current, current + previous];
  return new TextEncoder().encode(current.slice(0, length));
}

/** A deterministic text of `length` bytes drawn from `alphabet` symbols. */
function randomText(length: number, alphabet: number, seed: number): Uint8Array {
  const rand = prng(seed);
  return Uint8Array.from({ length }, () => Math.floor(rand() * alphabet));
}

describe('buildSuffixArray (SA-IS) against a naive suffix sort', () => {
  it('empty and one-byte texts', () => {
    expect([...buildSuffixArray(new Uint8Array(0))]).toEqual([]);
    for (const value of [0, 1, 0x7f, 0xff]) expect([...buildSuffixArray(bytes([value]))]).toEqual([0]);
  });

  it('two-byte texts, all orders', () => {
    expect([...buildSuffixArray(bytes([1, 2]))]).toEqual([0, 1]);
    expect([...buildSuffixArray(bytes([2, 1]))]).toEqual([1, 0]);
    expect([...buildSuffixArray(bytes([5, 5]))]).toEqual([1, 0]);
  });

  it('runs of one byte sort shortest first, whatever the byte', () => {
    for (const value of [0, 0x41, 0xff]) {
      const text = new Uint8Array(300).fill(value);
      expect([...buildSuffixArray(text)]).toEqual(Array.from({ length: 300 }, (_, k) => 299 - k));
    }
  });

  it('small alphabets, random bytes, runs and periodic strings', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect([...buildSuffixArray(text)]).toEqual(naiveSuffixArray(text));
      }),
      { numRuns: 600 },
    );
  });

  it('longer texts of repeated short words and small alphabets equal prefix doubling', () => {
    const longSmallAlphabet = fc
      .integer({ min: 1, max: 4 })
      .chain((size) => fc.array(fc.integer({ min: 0, max: size - 1 }), { maxLength: 5000 }))
      .map(bytes);
    fc.assert(
      fc.property(fc.oneof(wordSoup, longSmallAlphabet), (text) => {
        expect([...buildSuffixArray(text)]).toEqual([...buildSuffixArrayDoubling(text)]);
      }),
      { numRuns: 400 },
    );
  });

  it('Fibonacci words of every length up to 300 (deep recursion)', () => {
    for (let length = 1; length <= 300; length++) {
      const text = fibonacciWord(length);
      expect([...buildSuffixArray(text)], `length ${length}`).toEqual(naiveSuffixArray(text));
    }
  });
});

describe('buildSuffixArray (SA-IS) against prefix doubling on larger texts', () => {
  const cases: [string, () => Uint8Array, number][] = [
    // name, text, stride of the neighbour order check
    ['random bytes, 64 KiB', () => randomText(1 << 16, 256, 1), 1],
    ['two symbols, 64 KiB', () => randomText(1 << 16, 2, 2), 1],
    ['four symbols, 64 KiB', () => randomText(1 << 16, 4, 3), 1],
    ['Fibonacci word, 100 000 bytes', () => fibonacciWord(100_000), 997],
    ['0xff run with one zero, 70 000 bytes', () => new Uint8Array(70_000).fill(0xff).fill(0, 40_000, 40_001), 997],
    [
      'a 1 KiB block tiled 60 times with 30 edits',
      () => {
        const block = randomText(1024, 256, 4);
        const text = Uint8Array.from({ length: 60 * 1024 }, (_, i) => block[i % 1024]!);
        const rand = prng(5);
        for (let e = 0; e < 30; e++) text[Math.floor(rand() * text.length)] = Math.floor(rand() * 256);
        return text;
      },
      97,
    ],
  ];
  for (const [name, make, stride] of cases) {
    it(name, () => {
      const text = make();
      const sa = buildSuffixArray(text);
      expectSuffixArray(text, sa, stride);
      expect(Buffer.from(sa.buffer).equals(Buffer.from(buildSuffixArrayDoubling(text).buffer))).toBe(true);
    });
  }

  it('the order check itself rejects a swapped pair', () => {
    const text = randomText(1000, 4, 6);
    const sa = buildSuffixArray(text);
    [sa[10], sa[11]] = [sa[11]!, sa[10]!];
    expect(() => expectSuffixArray(text, sa)).toThrow(/out of order/);
  });
});

describe.skipIf(!existsSync(corpusImage))('buildSuffixArray (SA-IS) on the pybv11 corpus image', () => {
  it('equals the prefix-doubling suffix array byte for byte', () => {
    const image = new Uint8Array(readFileSync(corpusImage));
    const sa = buildSuffixArray(image);
    expectSuffixArray(image, sa, 7);
    expect(Buffer.from(sa.buffer).equals(Buffer.from(buildSuffixArrayDoubling(image).buffer))).toBe(true);
  });
});
