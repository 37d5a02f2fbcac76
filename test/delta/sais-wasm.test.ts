/**
 * The WebAssembly SA-IS (wasm/sais.c, behind buildSuffixArray) against the JavaScript one (src/delta/sais.ts),
 * which it replaced step for step, and the committed module against a rebuild of its C source (when clang is
 * installed: scripts/build-wasm.sh --check).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suffixArrayByInducedSorting } from '../../src/delta/sais.js';
import { buildSuffixArray } from '../../src/delta/suffix-array.js';

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

describe.skipIf(!hasClang)('the committed WebAssembly modules', () => {
  it('are what scripts/build-wasm.sh builds from wasm/*.c', () => {
    const run = spawnSync('bash', [path.join(root, 'scripts/build-wasm.sh'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
