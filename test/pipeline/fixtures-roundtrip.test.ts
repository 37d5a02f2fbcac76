/**
 * Issue 2 and 4 "done when" on the project's fixtures: diff then apply gives the new image byte for byte for
 * every pair, from .bin, .hex and .elf, in every --arch mode; the same inputs give the same bytes; auto is
 * never larger than plain. (Pointer-aware strictly smaller than plain: BUG-fixture-pointer-aware-size.test.ts.)
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckFailedError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { Arch, ImageInput } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { FIXTURE_BASE, fixture, FORMATS, PAIRS, VERSIONS, type Format, type Version } from './fixtures.js';

const ARCHES: readonly Arch[] = ['none', 'cortex-m', 'auto'];
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const images = new Map<string, ImageInput>();
const image = (v: Version, f: Format): ImageInput => images.get(`${v}.${f}`)!;
/** Patches made from the .bin inputs, reused across tests. */
const patches = new Map<string, Uint8Array>();
const patchOf = (from: Version, to: Version, arch: Arch): Uint8Array => patches.get(`${from}>${to}:${arch}`)!;

beforeAll(async () => {
  for (const v of VERSIONS) for (const f of FORMATS) images.set(`${v}.${f}`, fixture(v, f));
  for (const [from, to] of PAIRS) {
    for (const arch of ARCHES) {
      patches.set(`${from}>${to}:${arch}`, (await createPatch(image(from, 'bin'), image(to, 'bin'), { arch })).bytes);
    }
  }
});

describe('fixture images', () => {
  it('.bin, .hex and .elf load to the same image at 0x08000000', () => {
    for (const v of VERSIONS) {
      const bin = image(v, 'bin');
      expect(bin.loadAddress).toBe(FIXTURE_BASE);
      for (const f of ['hex', 'elf'] as const) {
        expect(image(v, f).loadAddress).toBe(FIXTURE_BASE);
        expect(same(image(v, f).data, bin.data), `${v}.${f}`).toBe(true);
      }
    }
  });
});

describe.each(PAIRS)('%s -> %s', (from, to) => {
  it.each(ARCHES)('--arch %s: applying the patch gives the new image byte for byte', async (arch) => {
    const result = await applyPatch(image(from, 'bin').data, patchOf(from, to, arch));
    expect(same(result, image(to, 'bin').data)).toBe(true);
  });

  it.each(FORMATS.filter((f) => f !== 'bin'))('from .%s inputs: the same patch bytes as from .bin, for every --arch, and it applies', async (format) => {
    for (const arch of ARCHES) {
      const created = await createPatch(image(from, format), image(to, format), { arch });
      expect(same(created.bytes, patchOf(from, to, arch)), arch).toBe(true);
      expect(same(await applyPatch(image(from, format).data, created.bytes), image(to, format).data)).toBe(true);
    }
  });

  it('is deterministic: creating again gives identical bytes', async () => {
    for (const arch of ['cortex-m', 'auto'] as const) {
      const again = await createPatch(image(from, 'bin'), image(to, 'bin'), { arch });
      expect(same(again.bytes, patchOf(from, to, arch)), arch).toBe(true);
    }
  });

  it('--arch auto is never larger than plain, and picks one of the two', () => {
    const auto = patchOf(from, to, 'auto');
    const plain = patchOf(from, to, 'none');
    const aware = patchOf(from, to, 'cortex-m');
    expect(auto.length).toBeLessThanOrEqual(plain.length);
    expect(auto.length).toBe(Math.min(plain.length, aware.length));
    expect(patchInfo(plain).transform).toBe('plain');
    expect(patchInfo(aware).transform).toBe('cortex-m');
  });

  it('refuses every other fixture version as the base image (CheckFailedError, nothing returned)', async () => {
    for (const other of VERSIONS.filter((v) => v !== from)) {
      await expect(applyPatch(image(other, 'bin').data, patchOf(from, to, 'auto'))).rejects.toThrow(CheckFailedError);
    }
    await expect(applyPatch(image(from, 'bin').data.subarray(1), patchOf(from, to, 'none'))).rejects.toThrow(/wrong base image/);
  });
});

describe('patch header contents', () => {
  it('records sizes, addresses, hashes, versions and the security counter; info reports them', async () => {
    const created = await createPatch(image('v1.0.0', 'bin'), image('v1.1.0', 'bin'), {
      arch: 'cortex-m',
      versionFrom: '1.0.0',
      versionTo: '1.1.0',
      securityCounter: 42,
      dictSize: 4096,
    });
    const info = patchInfo(created.bytes);
    expect(info).toMatchObject({
      formatVersion: 2,
      patchSize: created.bytes.length,
      signed: false,
      old: { size: image('v1.0.0', 'bin').data.length, loadAddress: FIXTURE_BASE },
      new: { size: image('v1.1.0', 'bin').data.length, loadAddress: FIXTURE_BASE },
      versionFrom: '1.0.0',
      versionTo: '1.1.0',
      securityCounter: 42,
      transform: 'cortex-m',
      codec: 'lzma1',
    });
    // header || tables || payload; a relocated patch always has tables (its recognizer byte at least).
    expect(info.headerSize + info.tablesSize + info.payloadSize).toBe(info.patchSize);
    expect(info.tablesSize).toBeGreaterThan(0);
    expect(info.relocation).toBeDefined();
    // The 8-byte base check and the full SHA-256 of the result.
    expect(info.old.sha256Prefix).toBe(createHash('sha256').update(image('v1.0.0', 'bin').data).digest('hex').slice(0, 16));
    expect(info.new.sha256).toBe(createHash('sha256').update(image('v1.1.0', 'bin').data).digest('hex'));
    // The window the decoder keeps: at most the dictionary asked for, and what the device RAM counts.
    expect(info.lzma!.window).toBeLessThanOrEqual(4096);
    expect(info.deviceRam.codecWindow).toBe(info.lzma!.window);
    expect(info.deviceRam.total).toBe(info.deviceRam.fixedState + info.deviceRam.codecModel + info.deviceRam.codecWindow + info.deviceRam.smallTable);
    expect(info.ratio).toBeCloseTo(info.new.size / info.patchSize, 10);
    expect(same(await applyPatch(image('v1.0.0', 'bin').data, created.bytes), image('v1.1.0', 'bin').data)).toBe(true);
  });

  it('an identical pair gives a tiny patch that applies', async () => {
    for (const arch of ARCHES) {
      const created = await createPatch(image('v1.2.0', 'bin'), image('v1.2.0', 'bin'), { arch });
      expect(created.bytes.length).toBeLessThan(150);
      expect(same(await applyPatch(image('v1.2.0', 'bin').data, created.bytes), image('v1.2.0', 'bin').data)).toBe(true);
    }
  });
});
