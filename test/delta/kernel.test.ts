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
import { buildSuffixArray } from '../../src/delta/suffix-array.js';
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

describe.skipIf(!hasClang)('the committed WebAssembly modules', () => {
  it('are what scripts/build-wasm.sh builds from wasm/*.c', () => {
    const run = spawnSync('bash', [path.join(root, 'scripts/build-wasm.sh'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
