/**
 * Issue 14, resumable two-slot application in C: device/src/sd_resume.c (sd_patch_resume, sanitized, in the
 * -DSD_PATCH_WITH_INPLACE host build) writes the new image into a second slot of the flash model of
 * device/test/inplace_cli.c while power is cut at random operations and at every erase, record and first and
 * last write of every erase unit, with a second cut during every other resume, and must end with exactly the
 * new image every time. The TypeScript applier (src/inplace/two-slot.ts) and the C one share the progress
 * record: C resumes from the slot and cells a TypeScript run left at a cut and TypeScript from C's, and a unit
 * recorded as done but changed afterwards makes the final hash check fail.
 *
 * Corpus pairs (../shared/corpus) take SMARTDELTA_DEVICE_CORPUS_CUTS random cuts (default 12, as
 * test/device/inplace.test.ts); `SMARTDELTA_DEVICE_CORPUS_CUTS=200` is the full run recorded in
 * bench/INPLACE-RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePatch } from '../../src/container/patch-file.js';
import { MemoryFlash } from '../../src/inplace/flash.js';
import { encodeRecord, MemoryCells, ProgressJournal } from '../../src/inplace/progress.js';
import { applyTwoSlot } from '../../src/inplace/two-slot.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { ImageInput } from '../../src/types.js';
import { CutCells, CutClock, CutFlash, PowerCut, prng } from '../inplace/flash-model.js';
import { fixture, fixturePath, PAIRS, type Version } from '../pipeline/fixtures.js';
import { deviceDir, hostToolchainAvailable, onPath, pseudoRandomBytes, sharedDir, workBufferRuns } from './host-build.js';

const CORPUS_CUTS = Number(process.env.SMARTDELTA_DEVICE_CORPUS_CUTS ?? 12);
const corpus = path.join(sharedDir, 'corpus');
const ERASE_UNIT = 2048;
const WRITE_UNIT = 8;

describe.skipIf(!hostToolchainAvailable)('sd_patch_resume (C, sanitizers): two-slot patches under power cuts', () => {
  let dir = '';
  const driver = (args: string[]) =>
    spawnSync(path.join(dir, 'host-inplace', 'inplace_cli'), args, { encoding: 'utf8', timeout: 3_600_000 });
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-resume-'));
    const make = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${dir}`, 'CC=gcc', 'host-inplace'], { encoding: 'utf8' });
    if (make.status !== 0) throw new Error(`in-place host build failed:\n${make.stdout}${make.stderr}`);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function writePatch(name: string, oldImage: ImageInput, newImage: ImageInput): Promise<string> {
    const file = path.join(dir, `${name}.sdp`);
    writeFileSync(file, (await createPatch(oldImage, newImage)).bytes);
    return file;
  }
  const run = (from: Version, to: Version, patchFile: string, slot: Uint8Array, cells: Uint8Array) => {
    const [slotFile, cellsFile] = [path.join(dir, 'state-slot.bin'), path.join(dir, 'state-cells.bin')];
    writeFileSync(slotFile, slot);
    writeFileSync(cellsFile, cells);
    return driver([fixturePath(from, 'bin'), fixturePath(to, 'bin'), patchFile, '0', '1', '0', String(ERASE_UNIT), String(WRITE_UNIT), slotFile, cellsFile]);
  };

  async function campaign(name: string, oldFile: string, newFile: string, oldImage: ImageInput, newImage: ImageInput, cuts: number, boundaries: boolean): Promise<string> {
    const patchFile = await writePatch(name, oldImage, newImage);
    const r = driver([oldFile, newFile, patchFile, String(cuts), '20142', boundaries ? '1' : '0', String(ERASE_UNIT), String(WRITE_UNIT)]);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const m = /ops=(\d+) cuts=(\d+) second=(\d+) resumes=(\d+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    const [ops, done, second, resumes] = m!.slice(1).map(Number) as [number, number, number, number];
    const units = Math.ceil(newImage.data.length / ERASE_UNIT);
    // The clean run: one erase, one record and the writes of each unit, nothing else.
    expect(ops).toBe(2 * units + Math.ceil(newImage.data.length / WRITE_UNIT));
    // Boundaries: every erase, every record, and the first and last write of each unit.
    expect(done).toBe(cuts + (boundaries ? 4 * units - (newImage.data.length % ERASE_UNIT > 0 && newImage.data.length % ERASE_UNIT <= WRITE_UNIT ? 1 : 0) : 0));
    expect(resumes).toBeGreaterThanOrEqual(done);
    // Every other cut is followed by a second one, taken when the resume gets that far: some are, over many.
    if (cuts >= 10) expect(second).toBeGreaterThan(0);
    return r.stdout.trim();
  }

  it.each(PAIRS.map(([from, to]) => ({ from, to })))('fixtures $from -> $to: 200 random cuts plus every erase, record and first and last write of each unit', async ({ from, to }) => {
    const out = await campaign(`${from}-${to}`, fixturePath(from, 'bin'), fixturePath(to, 'bin'), fixture(from), fixture(to), 200, true);
    console.log(`C two-slot resume ${from} -> ${to}: ${out}`);
  }, 600_000);

  it('takes its work buffer to the byte: the minimum (the applier\'s and one write unit) is enough, a byte less is refused, spare RAM gives the same image', async () => {
    const patchFile = await writePatch('work-buffer', fixture('v1.0.0'), fixture('v2.0.0'));
    // One byte short: SD_PATCH_ERR_NO_MEMORY (-4); the minimum and 16 KiB more: the new image.
    expect(workBufferRuns(path.join(dir, 'host-inplace', 'inplace_cli'), [fixturePath('v1.0.0', 'bin'), fixturePath('v2.0.0', 'bin'), patchFile, '4', '3', '0', String(ERASE_UNIT), String(WRITE_UNIT)])).toEqual({ short: '65 result=clean run -4', fits: [0, 0] });
  }, 600_000);

  /** A TypeScript two-slot run cut at operation `cut`: the slot and the two cells it leaves (64 bytes). */
  async function cutInTypeScript(from: Version, to: Version, patchFile: string, cut: number, seed: number): Promise<{ slot: Uint8Array; cells: Uint8Array }> {
    const [oldImage, newImage] = [fixture(from), fixture(to)];
    const parsed = parsePatch(new Uint8Array(readFileSync(patchFile)));
    const slotSize = Math.ceil(newImage.data.length / ERASE_UNIT) * ERASE_UNIT;
    const clock = new CutClock(cut, prng(seed));
    const flash = new CutFlash({ slotSize, eraseUnit: ERASE_UNIT, writeUnit: WRITE_UNIT }, clock.randomBytes(slotSize), clock);
    const cells = new CutCells(clock);
    await expect(applyTwoSlot(oldImage.data, flash, parsed, cells)).rejects.toBeInstanceOf(PowerCut);
    const both = new Uint8Array(64);
    both.set(cells.cells[0]!, 0);
    both.set(cells.cells[1]!, 32);
    return { slot: flash.slot.slice(), cells: both };
  }

  it.each([
    ['v1.0.0', 'v2.0.0'],
    ['v1.1.0', 'v1.2.0'],
  ] as const)('%s -> %s: C resumes from the record and slot the TypeScript applier left at 24 random cuts', async (from, to) => {
    const patchFile = await writePatch(`ts-${from}-${to}`, fixture(from), fixture(to));
    const newImage = fixture(to).data;
    const total = 2 * Math.ceil(newImage.length / ERASE_UNIT) + Math.ceil(newImage.length / WRITE_UNIT);
    const random = prng(0x14b);
    let fromRecord = 0;
    for (let i = 0; i < 24; i++) {
      const { slot, cells } = await cutInTypeScript(from, to, patchFile, Math.floor(random() * total), 0x1400 + i);
      const r = run(from, to, patchFile, slot, cells);
      expect(r.status, `cut ${i}: ${r.stdout}${r.stderr}`).toBe(0);
      const m = /resumed=1 ops=(\d+) cells=([0-9a-f]{128})/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      // The C run picked up the TypeScript record when it did less than a whole run's flash work.
      if (Number(m![1]) < total) fromRecord++;
      // And the records C wrote read back in TypeScript: the newest says every unit is done.
      const cellsAfter = Buffer.from(m![2]!, 'hex');
      const journal = new ProgressJournal({ read: (c) => new Uint8Array(cellsAfter.subarray(32 * c, 32 * c + 32)), write: () => {} }, parsePatch(new Uint8Array(readFileSync(patchFile))).header.newSha256);
      expect(journal.load()).toMatchObject({ done: Math.ceil(newImage.length / ERASE_UNIT), scratchValid: false });
    }
    expect(fromRecord).toBeGreaterThan(0);
  }, 120_000);

  it.each([
    ['v1.0.0', 'v2.0.0'],
    ['v1.1.0', 'v1.2.0'],
  ] as const)('%s -> %s: TypeScript resumes from the record and slot the C applier left at 24 random cuts', async (from, to) => {
    const patchFile = await writePatch(`c-${from}-${to}`, fixture(from), fixture(to));
    const parsed = parsePatch(new Uint8Array(readFileSync(patchFile)));
    const [oldImage, newImage] = [fixture(from).data, fixture(to).data];
    const units = Math.ceil(newImage.length / ERASE_UNIT);
    const slotSize = units * ERASE_UNIT;
    const total = 2 * units + Math.ceil(newImage.length / WRITE_UNIT);
    const random = prng(0x14c);
    const [slotFile, cellsFile] = [path.join(dir, 'c-slot.bin'), path.join(dir, 'c-cells.bin')];
    let fromRecord = 0;
    for (let i = 0; i < 24; i++) {
      const cut = 1 + Math.floor(random() * (total - 1));
      writeFileSync(slotFile, pseudoRandomBytes(slotSize, 0x1500 + i));
      writeFileSync(cellsFile, new Uint8Array(64).fill(0xff));
      const r = driver([fixturePath(from, 'bin'), fixturePath(to, 'bin'), patchFile, String(cut), '1', '0', String(ERASE_UNIT), String(WRITE_UNIT), slotFile, cellsFile]);
      expect(r.stdout.trim(), r.stderr).toBe(`cut=${cut}`);
      const flash = new MemoryFlash({ slotSize, eraseUnit: ERASE_UNIT, writeUnit: WRITE_UNIT }, new Uint8Array(readFileSync(slotFile)));
      const cells = new MemoryCells();
      const cut64 = readFileSync(cellsFile);
      cells.cells[0]!.set(cut64.subarray(0, 32));
      cells.cells[1]!.set(cut64.subarray(32, 64));
      const outcome = await applyTwoSlot(oldImage, flash, parsed, cells);
      expect(Buffer.from(flash.slot.subarray(0, newImage.length)).equals(Buffer.from(newImage)), `cut ${cut}`).toBe(true);
      if (outcome.resumedAt > 0) fromRecord++;
    }
    expect(fromRecord).toBeGreaterThan(0);
  }, 120_000);

  it('a unit recorded as done and changed afterwards fails the final hash check: never a wrong image accepted', async () => {
    const [from, to] = ['v1.0.0', 'v2.0.0'] as const;
    const patchFile = await writePatch(`tamper-${from}-${to}`, fixture(from), fixture(to));
    const newImage = fixture(to).data;
    // Cut well after unit 0 was recorded (its erase, 256 writes and its record: operation 258 is in unit 1).
    const { slot, cells } = await cutInTypeScript(from, to, patchFile, 2 + ERASE_UNIT / WRITE_UNIT + 10, 7);
    expect(Buffer.from(slot.subarray(0, ERASE_UNIT)).equals(Buffer.from(newImage.subarray(0, ERASE_UNIT)))).toBe(true);
    slot[100] = slot[100]! ^ 0x01;
    const r = run(from, to, patchFile, slot, cells);
    expect(r.stdout.trim()).toBe('result=resume -5 bad=0'); // SD_PATCH_ERR_RESULT_HASH
    expect(r.status).toBe(65);
    // With both cells cleared (a new update) the same slot is rewritten from the start and ends exact.
    const again = run(from, to, patchFile, slot, new Uint8Array(64).fill(0xff));
    expect(again.status, again.stdout).toBe(0);
  }, 120_000);

  it('a record of the patch that says a scratch unit is valid (an in-place record) is refused by both appliers', async () => {
    const [from, to] = ['v1.0.0', 'v2.0.0'] as const;
    const patchFile = await writePatch(`state-${from}-${to}`, fixture(from), fixture(to));
    const parsed = parsePatch(new Uint8Array(readFileSync(patchFile)));
    const cells = new Uint8Array(64).fill(0xff);
    cells.set(encodeRecord(parsed.header.newSha256, 5, { done: 1, scratchValid: true, scratchCheck: new Uint8Array(8).fill(7) }), 32);
    const slotSize = Math.ceil(fixture(to).data.length / ERASE_UNIT) * ERASE_UNIT;
    const r = run(from, to, patchFile, new Uint8Array(slotSize).fill(0xff), cells);
    expect(r.stdout.trim()).toBe('result=resume -2 bad=0'); // SD_PATCH_ERR_CORRUPT
    const memory = new MemoryCells();
    memory.cells[1]!.set(cells.subarray(32));
    const flash = new MemoryFlash({ slotSize, eraseUnit: ERASE_UNIT, writeUnit: WRITE_UNIT }, new Uint8Array(0));
    await expect(applyTwoSlot(fixture(from).data, flash, parsed, memory)).rejects.toThrow(/not a two-slot record/);
  });

  it.skipIf(!onPath('arm-none-eabi-gcc'))('make cross-resume: builds cleanly for the Cortex-M4, keeps no static state, the default build within 8 KB', () => {
    const r = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${path.join(dir, 'cross')}`, 'cross-resume'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const linked = (build: string): number => Number(new RegExp(`/${build}/size_probe\\.elf: applier flash linked \\(--gc-sections\\) = (\\d+) bytes`).exec(r.stdout)?.[1]);
    const [plain, resume, both] = [linked('arm'), linked('arm-resume'), linked('arm-inplace-resume')];
    expect(plain, r.stdout).toBeLessThanOrEqual(8192);
    expect(resume).toBeGreaterThan(plain);
    expect(both).toBeGreaterThan(resume);
    const objects = [...r.stdout.matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+\S*\/(sd_resume|sd_progress)\.o$/gm)];
    expect(objects.map((m) => m[4])).toEqual(['sd_resume', 'sd_progress']);
    for (const m of objects) expect(Number(m[2]) + Number(m[3]), m[4]).toBe(0);
  }, 300_000);

  const pairs = [
    { name: 'pybv11', old: 'pybv11/v1.10/firmware1.bin', new: 'pybv11/1f5d945af-dirty/firmware1.bin', base: 0x0802_0000 },
    { name: 'shell', old: 'shell/old', new: 'shell/new', base: 0x0008_0000 },
    { name: 'synthesizer', old: 'synthesizer/1.bin', new: 'synthesizer/2.bin', base: 0x0008_0000 },
  ];
  it.skipIf(!existsSync(corpus)).each(pairs)(`corpus $name: ${CORPUS_CUTS} random cuts, 2 KiB erase units`, async (p) => {
    const load = (file: string): ImageInput => ({ data: new Uint8Array(readFileSync(path.join(corpus, file))), loadAddress: p.base });
    const out = await campaign(`corpus-${p.name}`, path.join(corpus, p.old), path.join(corpus, p.new), load(p.old), load(p.new), CORPUS_CUTS, false);
    console.log(`C two-slot resume ${p.name}: ${out}`);
  }, 3_600_000);
});
