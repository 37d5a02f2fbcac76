/**
 * The WebAssembly kernel (src/delta/kernel.ts): its SA-IS (wasm/sais.c, behind buildSuffixArray) against the
 * JavaScript one (src/delta/sais.ts) and its matcher (wasm/match.c, behind matchBlocks) against the JavaScript
 * one (matchInJs), which they replaced step for step; and the committed module against a rebuild of its C
 * source (when clang is installed: scripts/build-wasm.sh --check).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suffixArrayByInducedSorting } from '../../src/delta/sais.js';
import { LARGE_SOURCE, matchBlocks, matchInJs } from '../../src/delta/match.js';
import { newKernel } from '../../src/delta/kernel.js';
import { buildSuffixArray, longestMatch } from '../../src/delta/suffix-array.js';
import { prng } from './helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const corpus = path.resolve(root, '../shared/corpus');
const hasClang = spawnSync('clang', ['--version']).status === 0 && spawnSync('wasm-ld', ['--version']).status === 0;

const same = (text: Uint8Array): void => {
  const wasm = buildSuffixArray(text);
  const js = suffixArrayByInducedSorting(text);
  expect(wasm.length).toBe(js.length);
  expect(Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength).equals(Buffer.from(js.buffer, js.byteOffset, js.byteLength))).toBe(true);
};

describe('buildSuffixArray (WebAssembly) equals the JavaScript SA-IS', () => {
  it('on small alphabets, random bytes and repeated words', () => {
    const smallAlphabet = fc
      .integer({ min: 1, max: 4 })
      .chain((size) => fc.array(fc.integer({ min: 0, max: size - 1 }), { maxLength: 3000 }))
      .map((values) => Uint8Array.from(values));
    const words = fc
      .tuple(fc.array(fc.uint8Array({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 2000 }))
      .map(([pieces, picks]) => Uint8Array.from(picks.flatMap((pick) => [...pieces[pick % pieces.length]!])));
    fc.assert(fc.property(fc.oneof(smallAlphabet, fc.uint8Array({ maxLength: 3000 }), words), same), { numRuns: 300 });
  });

  it('returns an array of its own (not a view into the kernel memory)', () => {
    const sa = buildSuffixArray(Uint8Array.from([3, 1, 2, 1, 2]));
    expect(sa.byteOffset).toBe(0);
    expect(sa.buffer.byteLength).toBe(5 * 4);
    expect([...sa]).toEqual([3, 1, 4, 2, 0]);
  });

  for (const [name, file] of [
    ['pybv11', 'pybv11/v1.10/firmware1.bin'],
    ['shell', 'shell/old'],
    ['synthesizer', 'synthesizer/1.bin'],
  ] as const) {
    it.skipIf(!existsSync(path.join(corpus, file)))(`on the ${name} corpus image`, () => {
      same(new Uint8Array(readFileSync(path.join(corpus, file))));
    });
  }
});

/** A target made from the source by edits, insertions, deletions and moved pieces, as firmware changes are. */
const sourceAndTarget = fc
  .tuple(
    fc.uint8Array({ maxLength: 3000 }),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.uint8Array({ maxLength: 12 })), { maxLength: 25 }),
    fc.integer({ min: 0, max: 12 }),
  )
  .map(([source, edits, minGain]) => {
    let target = [...source];
    for (const [where, cut, insert] of edits) {
      const at = target.length === 0 ? 0 : where % target.length;
      target = [...target.slice(0, at), ...insert, ...target.slice(at + cut)];
    }
    return { source, target: Uint8Array.from(target), minGain };
  });

const sameBlocks = (source: Uint8Array, target: Uint8Array, minGain?: number): void => {
  const options = minGain === undefined ? {} : { minGain };
  expect(matchBlocks(source, target, options)).toEqual(matchInJs(source, target, buildSuffixArray(source), minGain));
};

describe('matchBlocks (WebAssembly) equals the JavaScript matcher', () => {
  it('on edited copies, unrelated bytes and empty sides', () => {
    fc.assert(fc.property(sourceAndTarget, ({ source, target, minGain }) => sameBlocks(source, target, minGain)), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), fc.uint8Array({ maxLength: 500 }), (a, b) => sameBlocks(a, b)), { numRuns: 200 });
    sameBlocks(new Uint8Array(0), Uint8Array.from([1, 2, 3]));
    sameBlocks(Uint8Array.from([1, 2, 3]), new Uint8Array(0));
  });

  it('refuses a minimum gain it cannot pass to the kernel', () => {
    expect(() => matchBlocks(Uint8Array.from([1]), Uint8Array.from([1]), { minGain: 1.5 })).toThrow(/minGain/);
  });

  it('above LARGE_SOURCE, where the search stops at a good-enough match', () => {
    const rand = prng(13);
    const block = Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256));
    const source = Uint8Array.from({ length: LARGE_SOURCE + 50_000 }, (_, i) => block[i % 4096]! ^ (i % 65_536 === 0 ? 1 : 0));
    const target = source.slice(1000, 200_000);
    for (let e = 0; e < 200; e++) target[Math.floor(rand() * target.length)] = Math.floor(rand() * 256);
    sameBlocks(source, target);
  });

  for (const [name, from, to] of [
    ['pybv11', 'pybv11/v1.10/firmware1.bin', 'pybv11/1f5d945af-dirty/firmware1.bin'],
    ['shell', 'shell/old', 'shell/new'],
  ] as const) {
    it.skipIf(!existsSync(path.join(corpus, from)))(`on the ${name} corpus pair`, () => {
      sameBlocks(new Uint8Array(readFileSync(path.join(corpus, from))), new Uint8Array(readFileSync(path.join(corpus, to))));
    });
  }
});

/*
 * Inputs where the kernel's 2-byte prefix table has edges to get right: few distinct bytes (0x00 and 0xff make
 * the first and last pair keys), long runs, periodic data; targets built from slices of the text that run into
 * its end (a suffix of the text that is a prefix of the target sorts right before the target's bucket).
 */
const fewBytes = fc.array(fc.constantFrom(0, 1, 2, 0xfe, 0xff), { maxLength: 200 }).map((values) => Uint8Array.from(values));
const runs = fc
  .array(fc.tuple(fc.constantFrom(0, 1, 0x7f, 0xff), fc.integer({ min: 1, max: 40 })), { maxLength: 12 })
  .map((pieces) => Uint8Array.from(pieces.flatMap(([value, count]) => Array<number>(count).fill(value))));
const periodic = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 7 }), fc.integer({ min: 0, max: 300 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 }))
  .map(([unit, length, edits]) => {
    const text = Uint8Array.from({ length }, (_, i) => unit[i % unit.length]!);
    for (const [where, value] of edits) if (length > 0) text[where % length] = value;
    return text;
  });
const trickyText = fc.oneof(fewBytes, runs, periodic);
const trickyPair = fc
  .tuple(trickyText, trickyText, fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat({ max: 80 })), { minLength: 1, maxLength: 5 }))
  .map(([text, other, pieces]) => {
    const parts = pieces.map(([fromText, start, length]) => {
      const from = fromText ? text : other;
      const at = start % (from.length + 1);
      return from.subarray(at, at + length);
    });
    return { text, target: Uint8Array.from(parts.flatMap((part) => [...part])) };
  });
const endCases: [number[], number[]][] = [
  [[5], [5]],
  [[5], [5, 0]],
  [[5], [4, 0xff, 5]],
  [[0xff, 0xff], [0xff, 0xff, 0xff]],
  [[0, 0, 0], [0, 0, 0, 0, 1]],
  [[1, 2, 3, 0x10], [0x0f, 0xff, 0x10, 0x10, 0x0f, 0xff]],
  [[3, 0x10, 0x10], [0x10, 0x10, 0x10, 0x0f, 0xff, 0x10]],
  [[0xff, 0], [0xff, 0xff, 0, 0, 0xff]],
  [[7, 7, 7, 7], [7]],
  [[], [1, 2]],
  [[1, 2], []],
];

describe('buildSuffixArray (WebAssembly) equals the JavaScript SA-IS on tricky texts', () => {
  it('runs, periodic data, few distinct bytes, and lengths around the 32-bit words of the LMS bit set', () => {
    fc.assert(fc.property(trickyText, same), { numRuns: 400 });
    const rand = prng(21);
    for (const n of [1, 2, 31, 32, 33, 63, 64, 65, 95, 96, 97, 1000, 1023, 1024, 1025]) {
      same(new Uint8Array(n));
      same(Uint8Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 1 : 0)));
      same(Uint8Array.from({ length: n }, () => Math.floor(rand() * 3)));
      same(Uint8Array.from({ length: n }, (_, i) => 0xff - (i % 7)));
    }
    // Deep recursion: periodic data with rare edits, whose reduced strings repeat level after level.
    const periodic = Uint8Array.from({ length: 60_000 }, (_, i) => [3, 1, 4, 1, 5][i % 5]!);
    for (let e = 0; e < 30; e++) periodic[Math.floor(rand() * periodic.length)] = Math.floor(rand() * 6);
    same(periodic);
  });
});

/** The kernel's search at every target position, against the JavaScript longestMatch. */
const sameSearches = (text: Uint8Array, target: Uint8Array, goodEnough = Infinity): void => {
  const sa = buildSuffixArray(text);
  const kernel = newKernel();
  const n = text.length;
  const saAt = kernel.arrayAt(n);
  const targetAt = kernel.afterArray(n);
  const outAt = (targetAt + target.length + 7) & ~7;
  const heap = outAt + 8 * target.length;
  kernel.placeText(text, heap - targetAt + 4 * 65537 + 64);
  kernel.note = undefined;
  kernel.write(saAt, new Uint8Array(sa.buffer));
  kernel.write(targetAt, target);
  kernel.exports.longestMatches(kernel.textAt, n, saAt, targetAt, target.length, Math.min(goodEnough, 0x7fffffff), outAt, heap);
  const found = new Int32Array(kernel.exports.memory.buffer, outAt, 2 * target.length).slice();
  kernel.release();
  for (let at = 0; at < target.length; at++) {
    expect({ at, ...longestMatch(text, sa, target, at, goodEnough) }).toEqual({ at, position: found[2 * at], length: found[2 * at + 1] });
  }
};

describe('the kernel search (narrowed by 2-byte prefixes) equals longestMatch', () => {
  it('at every position, on runs, periodic data, few distinct bytes and image ends', () => {
    fc.assert(fc.property(trickyPair, ({ text, target }) => sameSearches(text, target)), { numRuns: 400 });
    for (const [text, target] of endCases) sameSearches(Uint8Array.from(text), Uint8Array.from(target));
    // Common prefixes that run over several 4-byte words (compared a word at a time) and end at every offset.
    for (const n of [3, 4, 5, 8, 9, 64, 65, 300]) {
      const text = Uint8Array.from({ length: n }, (_, i) => (i % 13 === 12 ? 9 : i % 3));
      sameSearches(text, text.map((v, i) => (i % 17 === 16 ? 7 : v)));
      sameSearches(text, text.subarray(1));
    }
  });

  it('with a good-enough bound, where the first suffix found that long is taken', () => {
    const bounds = fc.constantFrom(1, 2, 3, 4, 8, 20);
    fc.assert(fc.property(trickyPair, bounds, ({ text, target }, bound) => sameSearches(text, target, bound)), { numRuns: 400 });
    for (const [text, target] of endCases) for (const bound of [1, 2, 3]) sameSearches(Uint8Array.from(text), Uint8Array.from(target), bound);
  });

  it('and the kernel matcher equals the JavaScript one on these inputs', () => {
    const gains = fc.integer({ min: 0, max: 12 });
    fc.assert(fc.property(trickyPair, gains, ({ text, target }, minGain) => sameBlocks(text, target, minGain)), { numRuns: 300 });
    for (const [text, target] of endCases) sameBlocks(Uint8Array.from(text), Uint8Array.from(target));
  });
});

describe('a kernel instance reused with what it holds', () => {
  it('gives every match and array as a fresh one would, whatever came before', () => {
    // Texts of one length that differ in one byte (the last one too), so the kept array must be told apart.
    const rand = prng(5);
    const base = Uint8Array.from({ length: 400 }, () => Math.floor(rand() * 6));
    const texts = [base, base.slice(), base.map((v, i) => (i === 399 ? v + 1 : v)), base.map((v, i) => (i === 0 ? 0xff : v)), base.subarray(0, 399)];
    // Targets of one length too, so the kept blocks must be told apart by content.
    const targets = [base.slice(100), base.slice(50, 350), base.slice(0, 300).reverse(), base.map((v, i) => (i % 50 === 0 ? 0xff - v : v))];
    const step = fc.tuple(fc.constantFrom('match', 'array'), fc.nat({ max: texts.length - 1 }), fc.nat({ max: targets.length - 1 }), fc.constantFrom(0, 6));
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        for (const [kind, t, u, minGain] of steps) {
          const text = texts[t]!;
          if (kind === 'array') expect([...buildSuffixArray(text)]).toEqual([...suffixArrayByInducedSorting(text)]);
          else expect(matchBlocks(text, targets[u]!, { minGain })).toEqual(matchInJs(text, targets[u]!, suffixArrayByInducedSorting(text), minGain));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('returns blocks the caller may change without changing the next result', () => {
    const source = Uint8Array.from({ length: 300 }, (_, i) => i % 17);
    const target = source.slice(20);
    const first = matchBlocks(source, target);
    const expected = structuredClone(first);
    for (const block of first) block.copyLen = -1;
    expect(matchBlocks(source, target)).toEqual(expected);
  });
});

describe.skipIf(!hasClang)('the committed WebAssembly modules', () => {
  it('are what scripts/build-wasm.sh builds from wasm/*.c', () => {
    const run = spawnSync('bash', [path.join(root, 'scripts/build-wasm.sh'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
