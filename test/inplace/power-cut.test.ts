/**
 * Issue 14: an in-place update survives a reset at any moment. On a flash model (./flash-model.ts), power is
 * cut at random operations (and, on the fixtures, at the first and last write of every erase unit and at
 * every erase); the run resumes from its progress record, sometimes with a second cut during the resume,
 * and must end with exactly the new image. No run that returns may leave another image in the slot.
 *
 * SMARTDELTA_CUTS sets the random cuts per pair (default 200); the corpus pairs (../shared/corpus, skipped
 * when absent) take SMARTDELTA_CORPUS_CUTS (default 24: each cut of pybv11 costs about two seconds of CPU
 * here, so `SMARTDELTA_CORPUS_CUTS=200` is the full run recorded in bench/INPLACE-RESULTS.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InPlaceGeometry } from '../../src/container/header.js';
import { parsePatch, type ParsedPatch } from '../../src/container/patch-file.js';
import { applyInPlace } from '../../src/inplace/apply.js';
import { applyTwoSlot } from '../../src/inplace/two-slot.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { ImageInput } from '../../src/types.js';
import { fixture, PAIRS as FIXTURE_PAIRS } from '../pipeline/fixtures.js';
import { CutCells, CutClock, CutFlash, PowerCut, prng } from './flash-model.js';

const CUTS = Number(process.env.SMARTDELTA_CUTS ?? 200);
const CORPUS_CUTS = Number(process.env.SMARTDELTA_CORPUS_CUTS ?? 24);
const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus');
const NEVER = Number.MAX_SAFE_INTEGER;

function geometryFor(oldImage: ImageInput, newImage: ImageInput, eraseUnit: number, writeUnit = 8): InPlaceGeometry {
  const largest = Math.max(oldImage.data.length, newImage.data.length);
  return { slotSize: Math.ceil(largest / eraseUnit) * eraseUnit, eraseUnit, writeUnit };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

interface CutStats {
  cuts: number;
  secondCuts: number;
  resumes: number;
}

/**
 * One update interrupted at `first`, then resumed (interrupted again at `second` operations into the resume,
 * if it gets that far) until it completes. Returns how many runs it took; fails the test on a wrong image.
 */
type Applier = (flash: CutFlash, parsed: ParsedPatch, cells: CutCells) => Promise<unknown>;
const inPlaceApplier: Applier = (flash, parsed, cells) => applyInPlace(flash, parsed, cells);

async function cutAndResume(
  parsed: ParsedPatch,
  g: InPlaceGeometry,
  initialSlot: Uint8Array,
  expected: Uint8Array,
  first: number,
  second: number,
  seed: number,
  apply: Applier = inPlaceApplier,
): Promise<{ runs: number; secondCut: boolean }> {
  const random = prng(seed);
  let clock = new CutClock(first, random);
  let flash = new CutFlash(g, initialSlot, clock);
  let cells = new CutCells(clock);
  let secondCut = false;
  for (let run = 1; run <= 4; run++) {
    try {
      await apply(flash, parsed, cells);
      // Returned: the final hash check passed, so the slot must hold exactly the new image.
      expect(same(flash.slot.subarray(0, expected.length), expected), `cut at ${first}/${second}: a wrong image passed`).toBe(true);
      return { runs: run, secondCut };
    } catch (err) {
      if (!(err instanceof PowerCut)) throw new Error(`cut at ${first} then ${second}, run ${run}: ${(err as Error).message}`);
      if (run === 2) secondCut = true;
    }
    clock = new CutClock(run === 1 ? second : NEVER, random);
    flash = flash.reboot(clock);
    cells = cells.reboot(clock);
  }
  throw new Error(`cut at ${first}/${second}: not complete after 4 runs`);
}

/** The operations of an uninterrupted run, logged. */
async function cleanRun(parsed: ParsedPatch, g: InPlaceGeometry, initialSlot: Uint8Array, expected: Uint8Array, apply: Applier = inPlaceApplier): Promise<CutClock> {
  const clock = new CutClock(NEVER, prng(1), true);
  const flash = new CutFlash(g, initialSlot, clock);
  await apply(flash, parsed, new CutCells(clock));
  expect(same(flash.slot.subarray(0, expected.length), expected)).toBe(true);
  return clock;
}

/** The first and last write into every slot unit, every erase, and the record writes next to them. */
function boundaryCuts(clock: CutClock): number[] {
  const cuts = new Set<number>();
  const firstWrite = new Map<string, number>();
  const lastWrite = new Map<string, number>();
  clock.log.forEach((op, i) => {
    if (op.kind === 'erase') cuts.add(i);
    if (op.kind === 'write') {
      const key = `${op.area}:${op.unit}`;
      if (!firstWrite.has(key)) firstWrite.set(key, i);
      lastWrite.set(key, i);
    }
    if (op.kind === 'record') cuts.add(i);
  });
  for (const i of [...firstWrite.values(), ...lastWrite.values()]) cuts.add(i);
  // Scratch writes restart with every unit: its first and last write of each unit too.
  clock.log.forEach((op, i) => {
    if (op.kind === 'write' && op.area === 'scratch' && (clock.log[i - 1]?.kind === 'erase' || clock.log[i + 1]?.kind === 'record')) cuts.add(i);
  });
  return [...cuts].sort((a, b) => a - b);
}

async function exercise(oldImage: ImageInput, newImage: ImageInput, eraseUnit: number, randomCuts: number, withBoundaries: boolean, seed: number): Promise<CutStats> {
  const g = geometryFor(oldImage, newImage, eraseUnit);
  const { bytes } = await createPatch(oldImage, newImage, { inPlace: g });
  const parsed = parsePatch(bytes);
  const clean = await cleanRun(parsed, g, oldImage.data, newImage.data);
  const total = clean.ops;
  const random = prng(seed);
  const points = Array.from({ length: randomCuts }, () => Math.floor(random() * total));
  if (withBoundaries) points.push(...boundaryCuts(clean));
  const stats: CutStats = { cuts: 0, secondCuts: 0, resumes: 0 };
  for (const [i, first] of points.entries()) {
    // Every other cut is followed by a second cut during the resume.
    const second = i % 2 === 0 ? Math.floor(random() * total) : NEVER;
    const { runs, secondCut } = await cutAndResume(parsed, g, oldImage.data, newImage.data, first, second, seed + i);
    stats.cuts++;
    stats.resumes += runs - 1;
    if (secondCut) stats.secondCuts++;
  }
  expect(stats.cuts).toBe(points.length);
  return stats;
}

describe('in-place updates survive power cuts (flash model)', () => {
  describe.each(FIXTURE_PAIRS.map(([from, to]) => ({ from, to })))('fixtures $from -> $to', ({ from, to }) => {
    it(`${CUTS} random cuts plus the first and last write of every unit, 2 KiB erase units`, async () => {
      const stats = await exercise(fixture(from), fixture(to), 2048, CUTS, true, 0x1400 + from.length + to.charCodeAt(3));
      expect(stats.resumes).toBeGreaterThanOrEqual(stats.cuts);
      expect(stats.secondCuts).toBeGreaterThan(0);
    }, 600_000);
  });

  it('a cut scratch unit that its record calls complete is refused, never copied into the slot', async () => {
    const [oldImage, newImage] = [fixture('v1.0.0'), fixture('v1.1.0')];
    const g = geometryFor(oldImage, newImage, 2048);
    const parsed = parsePatch((await createPatch(oldImage, newImage, { inPlace: g })).bytes);
    const clean = await cleanRun(parsed, g, oldImage.data, newImage.data);
    // Cut right after the first "scratch holds unit k" record, then damage one scratch byte.
    const afterRecord = clean.log.findIndex((op, i) => op.kind === 'record' && clean.log[i + 1]?.kind === 'erase' && clean.log[i + 1]?.area === 'slot');
    expect(afterRecord).toBeGreaterThan(0);
    const clock = new CutClock(afterRecord + 1, prng(3));
    const flash = new CutFlash(g, oldImage.data, clock);
    const cells = new CutCells(clock);
    await expect(applyInPlace(flash, parsed, cells)).rejects.toBeInstanceOf(PowerCut);
    const resumed = flash.reboot(new CutClock(NEVER, prng(4)));
    resumed.scratch[100] = resumed.scratch[100]! ^ 0x01;
    await expect(applyInPlace(resumed, parsed, cells.reboot(new CutClock(NEVER, prng(5))))).rejects.toThrow(/scratch unit does not match/);
  });
});

describe('stash windows (docs/FORMAT.md, "Stash windows") survive power cuts', () => {
  const [oldImage, newImage] = [fixture('v1.2.0'), fixture('v2.0.0')];
  const g = geometryFor(oldImage, newImage, 2048);

  it('v1.2.0 -> v2.0.0 at 2 KiB has a window, so the fixture cuts above cut its stash and its units', async () => {
    const parsed = parsePatch((await createPatch(oldImage, newImage, { inPlace: g })).bytes);
    expect(parsed.header.inPlace?.stash?.length).toBeGreaterThan(0);
    const clean = await cleanRun(parsed, g, oldImage.data, newImage.data);
    // The stash: the scratch erased, written once, recorded; then the window's units erased and written in the slot.
    const stashWrite = clean.log.findIndex((op, i) => op.kind === 'write' && op.area === 'scratch' && clean.log[i + 1]?.kind === 'record' && clean.log[i + 2]?.kind === 'erase' && clean.log[i + 2]?.area === 'slot' && clean.log[i + 3]?.kind === 'write' && clean.log[i + 3]?.area === 'slot');
    expect(stashWrite).toBeGreaterThan(0);
    const cuts = boundaryCuts(clean);
    for (const i of [stashWrite - 1, stashWrite, stashWrite + 1, stashWrite + 2, stashWrite + 3]) expect(cuts).toContain(i);
  });

  it('a damaged stash that its record calls complete is refused, never read into the slot', async () => {
    const parsed = parsePatch((await createPatch(oldImage, newImage, { inPlace: g })).bytes);
    const clean = await cleanRun(parsed, g, oldImage.data, newImage.data);
    const stashRecord = clean.log.findIndex((op, i) => op.kind === 'record' && clean.log[i - 1]?.area === 'scratch' && clean.log[i + 1]?.kind === 'erase' && clean.log[i + 1]?.area === 'slot' && clean.log[i + 2]?.area === 'slot');
    expect(stashRecord).toBeGreaterThan(0);
    const clock = new CutClock(stashRecord + 2, prng(6));
    const flash = new CutFlash(g, oldImage.data, clock);
    const cells = new CutCells(clock);
    await expect(applyInPlace(flash, parsed, cells)).rejects.toBeInstanceOf(PowerCut);
    const resumed = flash.reboot(new CutClock(NEVER, prng(7)));
    resumed.scratch[3] = resumed.scratch[3]! ^ 0x40;
    await expect(applyInPlace(resumed, parsed, cells.reboot(new CutClock(NEVER, prng(8))))).rejects.toThrow(/scratch unit does not match/);
  });
});

describe('two-slot updates resume too (flash model: the new image goes to a second slot)', () => {
  it.each([
    ['v1.0.0', 'v2.0.0'],
    ['v1.1.0', 'v1.2.0'],
  ] as const)(`%s -> %s: ${CUTS} random cuts, 2 KiB erase units`, async (from, to) => {
    const [oldImage, newImage] = [fixture(from), fixture(to)];
    const parsed = parsePatch((await createPatch(oldImage, newImage)).bytes);
    const g = geometryFor(newImage, newImage, 2048);
    const random = prng(0x2514);
    // The second slot holds whatever it held before: random bytes.
    const initial = new CutClock(NEVER, random).randomBytes(g.slotSize);
    const apply: Applier = (flash, p, cells) => applyTwoSlot(oldImage.data, flash, p, cells);
    const total = (await cleanRun(parsed, g, initial, newImage.data, apply)).ops;
    let secondCuts = 0;
    for (let i = 0; i < CUTS; i++) {
      const first = Math.floor(random() * total);
      const second = i % 2 === 0 ? Math.floor(random() * total) : NEVER;
      const r = await cutAndResume(parsed, g, initial, newImage.data, first, second, 0x2600 + i, apply);
      if (r.secondCut) secondCuts++;
    }
    expect(secondCuts).toBeGreaterThan(0);
  }, 600_000);
});

describe.skipIf(!existsSync(CORPUS))('in-place power cuts on the corpus (../shared/corpus)', () => {
  const pairs = [
    { name: 'pybv11', old: 'pybv11/v1.10/firmware1.bin', new: 'pybv11/1f5d945af-dirty/firmware1.bin', base: 0x0802_0000 },
    { name: 'shell', old: 'shell/old', new: 'shell/new', base: 0x0008_0000 },
    { name: 'synthesizer', old: 'synthesizer/1.bin', new: 'synthesizer/2.bin', base: 0x0008_0000 },
  ];
  const load = (file: string, base: number): ImageInput => ({ data: new Uint8Array(readFileSync(path.join(CORPUS, file))), loadAddress: base });
  it.each(pairs)(`$name: ${CORPUS_CUTS} random cuts, 16 KiB erase units`, async (p) => {
    const stats = await exercise(load(p.old, p.base), load(p.new, p.base), 16 * 1024, CORPUS_CUTS, false, 0x1401 + p.name.length);
    console.log(`power cuts ${p.name}: ${JSON.stringify(stats)}`);
    expect(stats.resumes).toBeGreaterThanOrEqual(stats.cuts);
  }, 3_600_000);

  // pybv11 at 2 KiB units has stash windows (units that swap content): cuts inside them, from each window's
  // stash to its last unit, with a second cut anywhere during every other resume.
  it(`pybv11: ${CORPUS_CUTS} cuts inside the stash windows, 2 KiB erase units`, async () => {
    const p = pairs[0]!;
    const [oldImage, newImage] = [load(p.old, p.base), load(p.new, p.base)];
    const g = geometryFor(oldImage, newImage, 2048);
    const parsed = parsePatch((await createPatch(oldImage, newImage, { inPlace: g })).bytes);
    const windows = parsed.header.inPlace?.stash ?? [];
    expect(windows.length).toBeGreaterThan(0);
    const clean = await cleanRun(parsed, g, oldImage.data, newImage.data);
    // A window's operations: from the scratch erase before its first unit's erase to its last unit's record.
    const spans: Array<[number, number]> = [];
    const slotErases = clean.log.flatMap((op, i) => (op.kind === 'erase' && op.area === 'slot' ? [i] : []));
    for (const w of windows) {
      const firstErase = slotErases[w.first]!;
      const afterLast = slotErases[w.first + w.count] ?? clean.ops;
      spans.push([firstErase - 3, afterLast]);
    }
    const inWindows = spans.flatMap(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k));
    const random = prng(0x14a);
    let secondCuts = 0;
    for (let i = 0; i < CORPUS_CUTS; i++) {
      const first = inWindows[Math.floor(random() * inWindows.length)]!;
      const second = i % 2 === 0 ? Math.floor(random() * clean.ops) : NEVER;
      if ((await cutAndResume(parsed, g, oldImage.data, newImage.data, first, second, 0x14b + i)).secondCut) secondCuts++;
    }
    console.log(`power cuts pybv11 2 KiB windows: ${JSON.stringify({ windows: windows.length, cuts: CORPUS_CUTS, secondCuts })}`);
  }, 3_600_000);
});
