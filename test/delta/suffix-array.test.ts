/** Suffix array (prefix doubling) against a naive sort, and longestMatch against brute force. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuffixArray, commonPrefix, longestMatch } from '../../src/delta/suffix-array.js';

function naiveSuffixArray(text: Uint8Array): number[] {
  const compare = (a: number, b: number): number => {
    const n = commonPrefix(text, a, text, b);
    if (a + n === text.length) return -1; // a proper prefix sorts first
    if (b + n === text.length) return 1;
    return text[a + n]! - text[b + n]!;
  };
  return Array.from({ length: text.length }, (_, i) => i).sort(compare);
}

function bruteLongest(text: Uint8Array, target: Uint8Array, at: number): number {
  let best = 0;
  for (let s = 0; s < text.length; s++) best = Math.max(best, commonPrefix(text, s, target, at));
  return best;
}

/** Random bytes, small alphabets (many ties), and periodic texts (long repeats: many doubling rounds). */
const texts = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 300 }).map((a) => Uint8Array.from(a)),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 100 }), fc.uint8Array({ maxLength: 5 }))
    .map(([unit, times, tail]) => Uint8Array.from([...Array.from({ length: times }, () => [...unit]).flat(), ...tail])),
);

describe('buildSuffixArray', () => {
  it('edge cases: empty, one byte, all equal bytes, descending', () => {
    expect([...buildSuffixArray(new Uint8Array(0))]).toEqual([]);
    expect([...buildSuffixArray(Uint8Array.of(7))]).toEqual([0]);
    expect([...buildSuffixArray(new Uint8Array(6).fill(0xff))]).toEqual([5, 4, 3, 2, 1, 0]);
    expect([...buildSuffixArray(Uint8Array.of(3, 2, 1, 0))]).toEqual([3, 2, 1, 0]);
    // "banana"
    expect([...buildSuffixArray(new TextEncoder().encode('banana'))]).toEqual([5, 3, 1, 0, 4, 2]);
  });

  it('equals a naive sort of the suffixes on random and repetitive inputs', () => {
    fc.assert(
      fc.property(texts, (text) => {
        expect([...buildSuffixArray(text)]).toEqual(naiveSuffixArray(text));
      }),
      { numRuns: 400 },
    );
  });

  it('handles a long run (17 doubling rounds) and stays a permutation in order', () => {
    const text = new Uint8Array(70_000).fill(0xff);
    text[40_000] = 0;
    const sa = buildSuffixArray(text);
    const seen = new Uint8Array(text.length);
    for (const i of sa) seen[i] = 1;
    expect(seen.every((x) => x === 1)).toBe(true);
    for (let j = 1; j < sa.length; j += 997) {
      const a = sa[j - 1]!;
      const b = sa[j]!;
      const n = commonPrefix(text, a, text, b);
      // a sorts before b: a is a prefix of b, or the first differing byte is smaller.
      expect(a + n === text.length || (b + n < text.length && text[a + n]! < text[b + n]!)).toBe(true);
    }
  });
});

describe('longestMatch', () => {
  it('finds a longest match of target[at..] in the text (length equals brute force, position really matches)', () => {
    fc.assert(
      fc.property(texts, texts, fc.nat(), (text, target, pick) => {
        const sa = buildSuffixArray(text);
        const at = target.length === 0 ? 0 : pick % (target.length + 1);
        const found = longestMatch(text, sa, target, at);
        expect(found.length).toBe(bruteLongest(text, target, at));
        if (found.length > 0) expect(commonPrefix(text, found.position, target, at)).toBeGreaterThanOrEqual(found.length);
      }),
      { numRuns: 400 },
    );
  });

  it('targets built from pieces of the text find their pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(), fc.nat(), (text, a, b) => {
        const start = a % text.length;
        const end = start + 1 + (b % (text.length - start));
        const target = Uint8Array.from([...text.subarray(start, end), 0x5a]);
        const found = longestMatch(text, buildSuffixArray(text), target, 0);
        expect(found.length).toBeGreaterThanOrEqual(end - start);
        expect(found.length).toBe(bruteLongest(text, target, 0));
      }),
    );
  });

  it('empty text or position past the target gives length 0', () => {
    expect(longestMatch(new Uint8Array(0), new Int32Array(0), Uint8Array.of(1), 0)).toEqual({ position: 0, length: 0 });
    const text = Uint8Array.of(1, 2, 3);
    expect(longestMatch(text, buildSuffixArray(text), Uint8Array.of(1), 1).length).toBe(0);
  });
});

describe('longestMatch with a good-enough bound', () => {
  it('returns a match at least as long as the bound (or the longest, when shorter), and a real one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(), fc.integer({ min: 1, max: 40 }), (bytes, seed, bound) => {
        const text = bytes.map((b) => b & 3);
        const target = text.slice(seed % text.length);
        const sa = buildSuffixArray(text);
        const exact = longestMatch(text, sa, target, 0);
        const bounded = longestMatch(text, sa, target, 0, bound);
        expect(bounded.length).toBeGreaterThanOrEqual(Math.min(bound, exact.length));
        for (let i = 0; i < bounded.length; i++) expect(text[bounded.position + i]).toBe(target[i]);
      }),
      { numRuns: 200 },
    );
  });
});
