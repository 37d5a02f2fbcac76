/**
 * Issue 2 and 4 on the real firmware pairs of ../shared/corpus (skipped when absent): round trips for plain and
 * auto patches from the bare .bin images with their load address, and the size limits, header included.
 * Patches are created once per file (pybv11 takes a second or two each).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { lzmaProbabilityCount } from '../../src/codec/lzma.js';
import type { Arch, ImageInput } from '../../src/pipeline/create-patch.js';
import { DEFAULT_DICT_SIZE } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus');

interface Pair {
  name: string;
  old: string;
  new: string;
  base: number;
  /** Issue 4: unsigned auto patch, header included, no ELF. */
  autoLimit: number;
  /** Issue 2: plain patches no larger than detools' bsdiff + lzma. */
  plainLimit: number;
}

const PAIRS: Pair[] = [
  { name: 'pybv11', old: 'pybv11/v1.10/firmware1.bin', new: 'pybv11/1f5d945af-dirty/firmware1.bin', base: 0x0802_0000, autoLimit: 20_000, plainLimit: 36_417 },
  { name: 'shell', old: 'shell/old', new: 'shell/new', base: 0x0008_0000, autoLimit: 400, plainLimit: 1_742 },
  { name: 'synthesizer', old: 'synthesizer/1.bin', new: 'synthesizer/2.bin', base: 0x0008_0000, autoLimit: 300, plainLimit: 1_121 },
];

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe.skipIf(!existsSync(CORPUS))('corpus pairs (../shared/corpus)', () => {
  const load = (file: string, base: number): ImageInput => ({ data: new Uint8Array(readFileSync(path.join(CORPUS, file))), loadAddress: base });
  const images = new Map<string, { old: ImageInput; new: ImageInput }>();
  const patches = new Map<string, Uint8Array>();

  beforeAll(async () => {
    for (const pair of PAIRS) {
      const pairImages = { old: load(pair.old, pair.base), new: load(pair.new, pair.base) };
      images.set(pair.name, pairImages);
      for (const arch of ['none', 'auto'] as const) {
        patches.set(`${pair.name}:${arch}`, (await createPatch(pairImages.old, pairImages.new, { arch })).bytes);
      }
    }
  }, 120_000);

  describe.each(PAIRS)('$name', (pair) => {
    it.each(['none', 'auto'] as Arch[])('--arch %s round-trips byte for byte', async (arch) => {
      const { old, new: target } = images.get(pair.name)!;
      expect(same(await applyPatch(old.data, patches.get(`${pair.name}:${arch}`)!), target.data)).toBe(true);
    });

    it(`--arch auto (pointer-aware, no ELF) is at most ${pair.autoLimit} bytes with its header`, () => {
      const bytes = patches.get(`${pair.name}:auto`)!;
      expect(patchInfo(bytes).transform).toBe('cortex-m');
      expect(bytes.length).toBeLessThanOrEqual(pair.autoLimit);
    });

    it(`plain (--arch none) is no larger than detools' bsdiff + lzma (${pair.plainLimit} bytes)`, () => {
      const bytes = patches.get(`${pair.name}:none`)!;
      expect(patchInfo(bytes).transform).toBe('plain');
      expect(bytes.length).toBeLessThanOrEqual(pair.plainLimit);
    });

    it('device RAM is the fixed state and the codec (docs/FORMAT.md "Device RAM"): nothing grows with the entries or the maps', () => {
      for (const arch of ['none', 'auto'] as const) {
        const info = patchInfo(patches.get(`${pair.name}:${arch}`)!);
        const ram = info.deviceRam;
        expect(info.codec).toBe('lzma1');
        expect(ram.fixedState).toBe(512);
        expect(ram.codecModel).toBe(2 * lzmaProbabilityCount(info.lzma!));
        expect(ram.codecWindow).toBe(info.lzma!.window);
        expect(ram.codecWindow).toBeLessThanOrEqual(DEFAULT_DICT_SIZE);
        expect(ram.smallTable).toBe(info.program.layout === 'table-first' ? 384 : 0);
        expect(ram.total).toBe(ram.fixedState + ram.codecModel + ram.codecWindow + ram.smallTable);
        // Only a device that applies the patch as it arrives keeps the tables.
        expect(ram.streamingTotal).toBe(ram.total + info.tablesSize);
      }
    });

    it('auto is never larger than plain', () => {
      expect(patches.get(`${pair.name}:auto`)!.length).toBeLessThanOrEqual(patches.get(`${pair.name}:none`)!.length);
    });
  });

  it('a corpus patch refuses the other pair\'s old image', async () => {
    await expect(applyPatch(images.get('synthesizer')!.old.data, patches.get('shell:auto')!)).rejects.toThrow(/wrong base image/);
  });
});
