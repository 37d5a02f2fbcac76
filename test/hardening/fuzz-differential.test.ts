/**
 * Differential fuzz of the TypeScript and the C applier (issue 16; the rules in ./differential.ts): the same
 * mutants of the seed patches go to applyPatch and, in batches, to the sanitized C driver
 * device/test/apply_batch.c, which runs while the TypeScript side works. The driver built with in-place
 * support (-DSD_PATCH_WITH_INPLACE) is compared with the TypeScript applier on every mutant; the default build
 * must print the same line, except "unsupported" for a patch whose header is in-place. Any disagreement on the verdict, any
 * accepted image that is not the promised one, a RAM figure or signed message that differs, a contract break,
 * a sanitizer report, or a case over the time bound fails, with the mutant saved to a file.
 *
 * `npm test`: 3,000 mutants from a fixed seed. `npm run fuzz`: 25,000 x SMARTDELTA_FUZZ_SCALE (1,000,000 at
 * the default scale of 40) from a fresh seed, printed; SMARTDELTA_DIFF_MUTATIONS and SMARTDELTA_DIFF_SEED set
 * the count and the seed directly (to replay a failure, or to run the differential part alone);
 * SMARTDELTA_DIFF_PROGRESS names a file that gets one line per batch of 2,000 compared mutants.
 * Skips when gcc or make is absent.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ed25519PrivateKey } from '../../src/crypto/keys.js';
import { buildHostTools, hostToolchainAvailable, type HostBuild } from '../device/host-build.js';
import { Codec } from '../../src/container/header.js';
import { disagreement, makeMutant, Rng, runBatch, runTs, withHashFixed, type CResult, type Mutant, type TsResult } from './differential.js';
import { sha256 } from '../../src/crypto/hash.js';
import { controlTableOf, patchWith, rawPatchOf, rawTablesOf, writeTables } from './malformed-inputs.js';
import { CASE_LIMIT_MS, FUZZ_SCALE, FuzzTally } from './harness.js';
import { buildPatchSeeds, type PatchSeed } from './patch-seeds.js';

const MUTANTS = Number(process.env.SMARTDELTA_DIFF_MUTATIONS ?? (FUZZ_SCALE > 1 ? 25_000 * FUZZ_SCALE : 3000));
const SEED = Number(process.env.SMARTDELTA_DIFF_SEED ?? (FUZZ_SCALE > 1 ? Math.floor(Math.random() * 2 ** 31) : 0x5d_2026));
const BATCH = 2000;
/** The vitest worker's resident memory may not pass this (the TypeScript side's memory bound). */
const RSS_LIMIT = 1024 * 1024 * 1024;

const tally = new FuzzTally('fuzz-differential');
let build: HostBuild;
let seeds: PatchSeed[] = [];
let key: Ed25519PrivateKey;

describe.skipIf(!hostToolchainAvailable)('differential fuzz: the TypeScript and the C applier', () => {
  beforeAll(async () => {
    build = buildHostTools(['apply_batch', 'host-inplace/apply_batch', 'lzma_craft']);
    ({ seeds, key } = await buildPatchSeeds());
  }, 300_000);
  afterAll(() => {
    tally.flush();
    build?.cleanup();
  });

  async function compare(mutants: Mutant[], batchNo: number, stats: Map<string, number>): Promise<void> {
    const file = path.join(build.dir, `batch-${batchNo % 2}.bin`);
    const timeoutMs = Math.max(120_000, mutants.length * CASE_LIMIT_MS);
    const c = runBatch(path.join(build.dir, 'host-inplace', 'apply_batch'), file, mutants, timeoutMs);
    const ts: TsResult[] = [];
    for (const m of mutants) ts.push(await runTs(m.seed.old, m.bytes));
    const { lines, stderr, status, signal } = await c;
    const defaultBuild = await runBatch(path.join(build.dir, 'host', 'apply_batch'), file, mutants, timeoutMs);
    const fail = (i: number, why: string): never => {
      const saved = path.join(build.dir, `..`, `smartdelta-differential-${process.pid}-${batchNo}-${i}.patch`);
      if (i >= 0) writeFileSync(saved, mutants[i]!.bytes);
      throw new Error(`differential fuzz (seed ${SEED}, batch ${batchNo}${i >= 0 ? `, mutant ${i}: ${mutants[i]!.how}, saved to ${saved}` : ''}): ${why}`);
    };
    if (stderr !== '' || status !== 0 || signal !== null) fail(lines.length < mutants.length ? lines.length : -1, `C driver status ${status} ${signal ?? ''}, stderr:\n${stderr}`);
    if (lines.length !== mutants.length) fail(-1, `C driver printed ${lines.length} results for ${mutants.length} patches`);
    if (defaultBuild.stderr !== '' || defaultBuild.status !== 0 || defaultBuild.signal !== null || defaultBuild.lines.length !== mutants.length) {
      fail(-1, `default C build: status ${defaultBuild.status} ${defaultBuild.signal ?? ''}, ${defaultBuild.lines.length} results, stderr:\n${defaultBuild.stderr}`);
    }
    for (const [i, m] of mutants.entries()) {
      const why = disagreement(m, ts[i]!, lines[i]!, CASE_LIMIT_MS);
      if (why) fail(i, why);
      const builds = buildsDisagree(m, lines[i]!, defaultBuild.lines[i]!);
      if (builds) fail(i, builds);
      const label = `${ts[i]!.verdict}${m.how.includes('hash fixed') ? ' (hash fixed)' : ''}`;
      stats.set(label, (stats.get(label) ?? 0) + 1);
    }
    tally.add('differential', mutants.length);
    const rss = process.memoryUsage().rss;
    if (rss > RSS_LIMIT) fail(-1, `the TypeScript side holds ${(rss / 2 ** 20).toFixed(0)} MiB (limit ${RSS_LIMIT / 2 ** 20} MiB)`);
  }

  /** The default build reads what the in-place build reads, in-place patches aside (it has no applier for them). */
  function buildsDisagree(m: Mutant, inPlaceBuild: CResult, defaultBuild: CResult): string | undefined {
    // What a failed apply had written before it stopped may differ (the in-place build buffers differently)
    const fields = inPlaceBuild.result === 'ok' ? (['result', 'sha', 'written', 'ram', 'message'] as const) : (['result', 'ram', 'message'] as const);
    const same = fields.every((k) => inPlaceBuild[k] === defaultBuild[k]);
    if (same) return undefined;
    // Bit 7 of the version byte announces the header extension (docs/FORMAT.md): the default build stops there
    const extended = m.bytes.length > 2 && m.bytes[0] === 0x53 && m.bytes[1] === 0x44 && (m.bytes[2]! & 0x80) !== 0;
    if (defaultBuild.result === 'unsupported' && extended) return undefined;
    return `default C build ${defaultBuild.result} ${defaultBuild.sha ?? '-'}, in-place build ${inPlaceBuild.result} ${inPlaceBuild.sha ?? '-'}`;
  }

  it('both appliers give the seed images from the unmutated seeds, in every mode', async () => {
    const rng = new Rng(1);
    const mutants: Mutant[] = seeds.flatMap((seed) => [0, 1, 2, 3].map((mode) => ({ seed, bytes: seed.bytes, how: `${seed.name} unmutated`, chunkSeed: rng.u32() || 1, mode })));
    const stats = new Map<string, number>();
    await compare(mutants, 0, stats);
    expect(stats.get('ok')).toBe(mutants.length);
  }, 120_000);

  it('issue 16, point 1: a value map that ends at 2^32 and an LZMA payload without its end marker get one verdict', async () => {
    const cases: Mutant[] = [];
    const rng = new Rng(16);
    // (a) The constant map's end moved to exactly 2^32 (base + span), the result hash following the image.
    for (const seed of seeds.filter((s) => s.name.startsWith('sectioned relocated checkpoints') && s.name.endsWith('none'))) {
      const { tables } = rawTablesOf(seed.bytes);
      tables.constants!.span = 2 ** 32 - (tables.constants!.base as number);
      const moved = await withHashFixed(seed.old, patchWith(seed.bytes, {}, { tables: writeTables(tables) }));
      expect(moved, seed.name).toBeDefined();
      for (const mode of [0, 1]) cases.push({ seed, bytes: moved!, how: `${seed.name}: constant map ending at 2^32`, chunkSeed: rng.u32(), mode });
    }
    // (b) The program of a codec-none seed as raw LZMA literals, with and without the end marker.
    const seed = seeds.find((s) => s.name === 'small interleaved raw none')!;
    const { payload } = rawPatchOf(seed.bytes);
    for (const marker of [true, false]) {
      const file = path.join(build.dir, `literals-${marker}.lzma`);
      const symbols = [...payload].map((b) => `L${b.toString(16).padStart(2, '0')}`);
      const r = build.run('lzma_craft', ['3', '0', '2', file, ...symbols, ...(marker ? ['E'] : [])]);
      expect(r.status, r.stderr).toBe(0);
      const bytes = patchWith(seed.bytes, { codec: Codec.lzma1, lzma: [93, 12] }, { payload: readFileSync(file) });
      cases.push({ seed, bytes, how: `LZMA literals ${marker ? 'with' : 'without'} the end marker`, chunkSeed: rng.u32(), mode: 0 });
    }
    const stats = new Map<string, number>();
    await compare(cases, 0, stats);
    const verdicts = await Promise.all(cases.map((c) => runTs(c.seed.old, c.bytes)));
    expect(verdicts.map((v) => v.verdict)).toEqual([...cases.slice(0, -2).map(() => 'ok'), 'ok', 'invalid']);
  }, 120_000);

  it('issue 16, point 3: 2^16 one-byte flash segments apply on both sides within the case bound (the C flash map was an insertion sort)', async () => {
    const seed = seeds.find((s) => s.name === 'fixture sectioned relocated none')!;
    const size = 2 ** 16;
    const old = new Uint8Array(size).map((_, i) => (i * 13) & 0x7f); // no word looks like a flash pointer
    const { tables } = rawTablesOf(seed.bytes);
    const control = { ...tables.control!, minSegment: 1, groupLog2: 10, width: 4 }; // checkpoints every 1,024 entries, 32-bit fields
    tables.control = controlTableOf(Array.from({ length: size }, () => ({ seek: 0, copy: 1, extra: 0, segment: true })), control);
    const digest = sha256(old);
    const program = new Uint8Array(size).fill(1); // sparse: a run of one unchanged byte per entry
    const patch = patchWith(seed.bytes, { oldSize: size, newSize: size, oldCheck: digest.slice(0, 8), newSha: digest }, { tables: writeTables(tables), payload: program });
    const fixed = (await withHashFixed(old, patch)) ?? patch;
    const big = { ...seed, name: "2^16 segments", old, new: old };
    const stats = new Map<string, number>();
    await compare([0, 1].map((mode) => ({ seed: big, bytes: fixed, how: "2^16 one-byte segments", chunkSeed: 7 + mode, mode })), 0, stats);
    expect(stats.get('ok'), 'both sides apply it').toBe(2);
  }, 300_000);

  it(`${MUTANTS} mutants: same verdict, same image, same RAM figure and signed message, within the bounds`, async () => {
    const rng = new Rng(SEED);
    const stats = new Map<string, number>();
    const generate = async (n: number): Promise<Mutant[]> => {
      const out: Mutant[] = [];
      for (let i = 0; i < n; i++) out.push(await makeMutant(rng, seeds, key));
      return out;
    };
    const started = performance.now();
    let done = 0;
    let next = await generate(Math.min(BATCH, MUTANTS));
    for (let batchNo = 1; done < MUTANTS; batchNo++) {
      const current = next;
      done += current.length;
      // The C driver runs this batch while the TypeScript side applies it.
      await compare(current, batchNo, stats);
      // A long run can be followed (and, stopped early, still counted) in SMARTDELTA_DIFF_PROGRESS.
      if (process.env.SMARTDELTA_DIFF_PROGRESS) {
        const summary = [...stats].sort().map(([k, v]) => `${k} ${v}`).join(', ');
        appendFileSync(process.env.SMARTDELTA_DIFF_PROGRESS, `${new Date().toISOString()} seed ${SEED}: ${done} mutants agree (${summary})\n`);
      }
      next = done < MUTANTS ? await generate(Math.min(BATCH, MUTANTS - done)) : [];
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const summary = [...stats].sort().map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(`differential fuzz: ${done} mutants from seed ${SEED} in ${seconds} s: ${summary}\n`);
    // The structure-aware mutations must reach the applier: some mutants are accepted by both sides.
    expect(stats.get('ok (hash fixed)') ?? 0).toBeGreaterThan(done / 50);
  }, 4 * 60 * 60 * 1000);
});
