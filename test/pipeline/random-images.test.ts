/**
 * Issue 2 "done when": property tests on random images with insertions, deletions and scattered edits round-trip
 * byte for byte, for plain and pointer-aware patches; the same inputs give the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decompressLzma } from '../../src/codec/lzma.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { maxProgramLength } from '../../src/delta/program.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { CreateOptions, ImageInput } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { editedCopy, prng } from '../delta/helpers.js';
import { layOut, randomProgram } from './synth-firmware.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** 1-20 KB: random bytes, low-entropy data, or synthetic Thumb code (so the relocation recognisers fire). */
const baseImages = fc.tuple(fc.integer(), fc.integer({ min: 1024, max: 20 * 1024 }), fc.constantFrom('random', 'runs', 'code')).map(([seed, size, kind]) => {
  const rand = prng(seed);
  if (kind === 'code') return layOut(randomProgram(seed, size >> 1)).subarray(0, size);
  if (kind === 'runs') return Uint8Array.from({ length: size }, (_, i) => ((i >> 6) * 37 + (rand() < 0.05 ? Math.floor(rand() * 256) : 0)) & 0xff);
  return Uint8Array.from({ length: size }, () => Math.floor(rand() * 256));
});

describe('random images with insertions, deletions and scattered edits', () => {
  it('round-trip for --arch none and --arch cortex-m, with every codec (LZMA, codec 2, none under a tight --max-ram)', async () => {
    const codecs: ReadonlyArray<[string, CreateOptions]> = [['lzma', {}], ['small-lz', { codec: 'small-lz' }], ['none', { maxDeviceRam: 900 }]];
    await fc.assert(
      fc.asyncProperty(baseImages, fc.integer(), fc.integer({ min: 1, max: 12 }), fc.constantFrom(0x0800_0000, 0x0008_0000, 0), fc.constantFrom(...codecs), async (data, seed, edits, base, [codec, options]) => {
        const old: ImageInput = { data, loadAddress: base };
        const target: ImageInput = { data: editedCopy(data, seed, edits), loadAddress: base };
        for (const arch of ['none', 'cortex-m'] as const) {
          const patch = await createPatch(old, target, { arch, ...options });
          const info = patchInfo(patch.bytes);
          if (codec === 'small-lz') expect(info.codec).toBe('small-lz');
          if (codec === 'none') expect(info.deviceRam.total).toBeLessThanOrEqual(900);
          expect(same(await applyPatch(old.data, patch.bytes), target.data), `${arch} ${codec} ${info.program.layout}`).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('edge sizes: empty old, empty new, one byte, unrelated images', async () => {
    const rand = prng(5);
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    const cases: Array<[Uint8Array, Uint8Array]> = [
      [new Uint8Array(0), bytes(100)],
      [bytes(100), new Uint8Array(0)],
      [new Uint8Array(0), new Uint8Array(0)],
      [Uint8Array.of(1), Uint8Array.of(2)],
      [bytes(3000), bytes(5000)],
    ];
    for (const [a, b] of cases) {
      for (const arch of ['none', 'cortex-m', 'auto'] as const) {
        const patch = await createPatch({ data: a, loadAddress: 0x0800_0000 }, { data: b, loadAddress: 0x0800_0000 }, { arch });
        expect(same(await applyPatch(a, patch.bytes), b), `${a.length} -> ${b.length} ${arch}`).toBe(true);
      }
    }
  });

  it('an LZMA window below 4 KiB is declared only for a program that fits in it (docs/FORMAT.md "Codec 1"), and the patch applies', async () => {
    for (let seed = 0; seed < 8; seed++) {
      const rand = prng(seed);
      const data = Uint8Array.from({ length: 7000 }, () => Math.floor(rand() * 256));
      const target = editedCopy(data, seed, 1 + (seed % 12));
      for (const arch of ['none', 'cortex-m', 'auto'] as const) {
        const { bytes } = await createPatch({ data, loadAddress: 0x0800_0000 }, { data: target, loadAddress: 0x0800_0000 }, { arch });
        const { header, payload } = parsePatch(bytes);
        if (header.lzma && header.lzma.dictSize < 4096) {
          let programLength = 0;
          await decompressLzma([payload], header.lzma, maxProgramLength(header.newSize), (chunk) => (programLength += chunk.length));
          expect(programLength, `seed ${seed}, --arch ${arch}: a ${header.lzma.dictSize}-byte window`).toBeLessThanOrEqual(header.lzma.dictSize);
        }
        expect(same(await applyPatch(data, bytes), target), `seed ${seed}, --arch ${arch}`).toBe(true);
      }
    }
  });

  it('the same inputs always give the same patch bytes', async () => {
    await fc.assert(
      fc.asyncProperty(baseImages, fc.integer(), async (data, seed) => {
        const old = { data, loadAddress: 0x0800_0000 };
        const target = { data: editedCopy(data, seed), loadAddress: 0x0800_0000 };
        const first = await createPatch(old, target, { arch: 'auto' });
        const second = await createPatch({ data: data.slice(), loadAddress: 0x0800_0000 }, { data: target.data.slice(), loadAddress: 0x0800_0000 }, { arch: 'auto' });
        expect(same(first.bytes, second.bytes)).toBe(true);
      }),
      { numRuns: 5 },
    );
  });
});
