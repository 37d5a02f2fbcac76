/**
 * Issue 14, the C side: device/src/sd_inplace.c (built with -DSD_PATCH_WITH_INPLACE, sanitized) applies the
 * in-place patches the TypeScript creator makes, on the flash model of device/test/inplace_cli.c, with power
 * cut at random operations and at every erase and the first and last write of every unit, a second cut during
 * every other resume, and ends with exactly the new image every time. The default build refuses an in-place
 * patch as an unsupported format version.
 *
 * Corpus pairs (../shared/corpus) take SMARTDELTA_DEVICE_CORPUS_CUTS random cuts (default 12; each costs about
 * half a second of CPU under the sanitizers): the full run of 200 is recorded in bench/INPLACE-RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePatch } from '../../src/container/patch-file.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { ImageInput } from '../../src/types.js';
import { fixture, fixturePath, PAIRS } from '../pipeline/fixtures.js';
import { buildHostTools, deviceDir, hostToolchainAvailable, sharedDir, type HostBuild, workBufferRuns } from './host-build.js';

const CORPUS_CUTS = Number(process.env.SMARTDELTA_DEVICE_CORPUS_CUTS ?? 12);
const corpus = path.join(sharedDir, 'corpus');

describe.skipIf(!hostToolchainAvailable)('sd_inplace (C, sanitizers) under power cuts', () => {
  let dir = '';
  let tools: HostBuild | undefined;
  const driver = (): string => path.join(dir, 'host-inplace', 'inplace_cli');
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-inplace-'));
    const make = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${dir}`, 'CC=gcc', 'host-inplace'], { encoding: 'utf8' });
    if (make.status !== 0) throw new Error(`in-place host build failed:\n${make.stdout}${make.stderr}`);
    tools = buildHostTools();
  }, 300_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    tools?.cleanup();
  });

  async function run(
    name: string, oldFile: string, newFile: string, oldImage: ImageInput, newImage: ImageInput, eraseUnit: number, cuts: number, boundaries: boolean,
    range?: (patch: Uint8Array) => string,
  ): Promise<string> {
    const largest = Math.max(oldImage.data.length, newImage.data.length);
    const inPlace = { slotSize: Math.ceil(largest / eraseUnit) * eraseUnit, eraseUnit, writeUnit: 8 };
    const patchFile = path.join(dir, `${name}.sdp`);
    const patch = (await createPatch(oldImage, newImage, { inPlace })).bytes;
    writeFileSync(patchFile, patch);
    const r = spawnSync(driver(), [oldFile, newFile, patchFile, String(cuts), '20141', boundaries ? '1' : '0', ...(range ? [range(patch)] : [])], { encoding: 'utf8', timeout: 3_600_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const m = /ops=(\d+) cuts=(\d+) second=(\d+) resumes=(\d+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThanOrEqual(cuts);
    // Every other cut is followed by a second one, taken when the resume gets that far: some are, over many.
    if (cuts >= 10) expect(Number(m![3])).toBeGreaterThan(0);
    return r.stdout.trim();
  }

  it.each(PAIRS.map(([from, to]) => ({ from, to })))('fixtures $from -> $to: 200 random cuts plus every erase and the first and last write of each unit', async ({ from, to }) => {
    const out = await run(`${from}-${to}`, fixturePath(from, 'bin'), fixturePath(to, 'bin'), fixture(from), fixture(to), 2048, 200, true);
    console.log(`C in-place ${from} -> ${to}: ${out}`);
  }, 600_000);

  it('takes its work buffer to the byte: the minimum (the applier\'s and one write unit) is enough, a byte less is refused, spare RAM gives the same image', async () => {
    const [oldImage, newImage] = [fixture('v1.0.0'), fixture('v2.0.0')];
    const inPlace = { slotSize: Math.ceil(Math.max(oldImage.data.length, newImage.data.length) / 2048) * 2048, eraseUnit: 2048, writeUnit: 8 };
    const patchFile = path.join(dir, 'work-buffer.sdp');
    writeFileSync(patchFile, (await createPatch(oldImage, newImage, { inPlace })).bytes);
    // One byte short: SD_PATCH_ERR_NO_MEMORY (-4); the minimum and 16 KiB more: the new image.
    expect(workBufferRuns(driver(), [fixturePath('v1.0.0', 'bin'), fixturePath('v2.0.0', 'bin'), patchFile, '4', '3', '0'])).toEqual({ short: '65 result=clean run -4', fits: [0, 0] });
  }, 600_000);

  it('the default build (without -DSD_PATCH_WITH_INPLACE) refuses an in-place patch as unsupported', async () => {
    const patchFile = path.join(dir, 'refused.sdp');
    const [oldImage, newImage] = [fixture('v1.0.0'), fixture('v1.1.0')];
    writeFileSync(patchFile, (await createPatch(oldImage, newImage, { inPlace: { slotSize: 18432, eraseUnit: 2048, writeUnit: 8 } })).bytes);
    const r = tools!.run('apply_cli', [fixturePath('v1.0.0', 'bin'), patchFile, path.join(dir, 'refused.bin')]);
    expect(r.status, r.stdout).toBe(3);
    expect(existsSync(path.join(dir, 'refused.bin'))).toBe(false);
  });

  const pairs = [
    { name: 'pybv11', old: 'pybv11/v1.10/firmware1.bin', new: 'pybv11/1f5d945af-dirty/firmware1.bin', base: 0x0802_0000 },
    { name: 'shell', old: 'shell/old', new: 'shell/new', base: 0x0008_0000 },
    { name: 'synthesizer', old: 'synthesizer/1.bin', new: 'synthesizer/2.bin', base: 0x0008_0000 },
  ];
  it.skipIf(!existsSync(corpus)).each(pairs)(`corpus $name: ${CORPUS_CUTS} random cuts, 16 KiB erase units`, async (p) => {
    const load = (file: string): ImageInput => ({ data: new Uint8Array(readFileSync(path.join(corpus, file))), loadAddress: p.base });
    const out = await run(p.name, path.join(corpus, p.old), path.join(corpus, p.new), load(p.old), load(p.new), 16 * 1024, CORPUS_CUTS, false);
    console.log(`C in-place ${p.name}: ${out.split('\n')[0]}`);
  }, 3_600_000);

  // pybv11 at 2 KiB units has stash windows: every erase and first and last write inside each window (from
  // the unit before it, whose commit the stash follows, to its last unit) in the full run
  // (SMARTDELTA_DEVICE_CORPUS_CUTS >= 100), and random cuts there always.
  it.skipIf(!existsSync(corpus))(`corpus pybv11, 2 KiB erase units: cuts inside every stash window`, async () => {
    const p = pairs[0]!;
    const load = (file: string): ImageInput => ({ data: new Uint8Array(readFileSync(path.join(corpus, file))), loadAddress: p.base });
    const files = [path.join(corpus, p.old), path.join(corpus, p.new)] as const;
    const clean = await run('pybv11-2k', ...files, load(p.old), load(p.new), 2048, 0, false);
    const erases = /erases=([\d,]+)/.exec(clean)![1]!.split(',').map(Number);
    const windows = parsePatch(readFileSync(path.join(dir, 'pybv11-2k.sdp'))).header.inPlace?.stash ?? [];
    expect(windows.length).toBeGreaterThan(0);
    for (const [i, w] of windows.entries()) {
      const range = `${erases[w.first - 1] ?? 0}:${erases[w.first + w.count] ?? erases[erases.length - 1]! + 1}`;
      const out = await run('pybv11-2k', ...files, load(p.old), load(p.new), 2048, Math.max(2, Math.round(CORPUS_CUTS / (2 * windows.length))), CORPUS_CUTS >= 100, () => range);
      console.log(`C in-place pybv11 2 KiB, window ${i} (${w.count} units, ops ${range}): ${out.split('\n')[0]}`);
    }
  }, 3_600_000);
});
