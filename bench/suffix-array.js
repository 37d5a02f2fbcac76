// Suffix-array construction time, SA-IS (dist/delta/suffix-array.js) beside the former prefix doubling
// (bench/lib/suffix-array-doubling.js), then the whole 16 MB pipeline (createPatch --arch none / auto and
// applyPatch) with wall time and peak RSS from /usr/bin/time -v. Appends a dated section to bench/SA-RESULTS.md.
//
//   npx tsc -p tsconfig.json && node bench/suffix-array.js [--runs N] [--skip-old] [--skip-e2e]
//   node bench/suffix-array.js --e2e none|auto     (one end-to-end run in this process; prints one JSON line)
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSuffixArrayDoubling } from './lib/suffix-array-doubling.js';

const root = path.resolve(import.meta.dirname, '..');
const corpusImage = path.resolve(root, '../shared/corpus/pybv11/v1.10/firmware1.bin');
const fixtureImage = path.join(root, 'fixtures/build/v2.0.0/firmware.bin');
const resultsFile = path.join(root, 'bench/SA-RESULTS.md');
const MiB = 1024 * 1024;

/** mulberry32: a seeded generator, so every run sorts the same texts. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function realImage() {
  const file = existsSync(corpusImage) ? corpusImage : fixtureImage;
  return { name: path.relative(path.resolve(root, '..'), file), data: new Uint8Array(readFileSync(file)) };
}

function tiled(image, size) {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += image.length) out.set(image.subarray(0, Math.min(image.length, size - at)), at);
  return out;
}

function randomBytes(size, seed) {
  const next = prng(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = next() & 0xff;
  return out;
}

/** A real image tiled to `size` bytes with one random byte edit per 8 KiB: long repeats, but not exact ones. */
function repetitive(image, size, seed) {
  const out = tiled(image, size);
  const next = prng(seed);
  for (let e = 0; e < size / 8192; e++) out[next() % size] = next() & 0xff;
  return out;
}

function texts() {
  const image = realImage();
  const small = existsSync(corpusImage)
    ? { name: `${image.name} (${image.data.length} bytes)`, data: image.data }
    : { name: `${image.name} tiled to 320 KiB`, data: tiled(image.data, 320 * 1024) };
  return [
    small,
    { name: '4 MiB random bytes', data: randomBytes(4 * MiB, 1) },
    { name: '16 MiB random bytes', data: randomBytes(16 * MiB, 2) },
    { name: `16 MiB ${image.name} tiled, 1 edit / 8 KiB`, data: repetitive(image.data, 16 * MiB, 3) },
  ];
}

function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Best wall and CPU time of `runs` calls (after one warm-up call for texts under 1 MiB). */
function time(build, text, runs) {
  if (text.length < MiB) build(text);
  let best = { wallMs: Infinity, cpuMs: Infinity };
  let result;
  for (let r = 0; r < runs; r++) {
    const wall0 = performance.now();
    const cpu0 = cpuMs();
    result = build(text);
    const wallMs = performance.now() - wall0;
    const cpu = cpuMs() - cpu0;
    if (wallMs < best.wallMs) best = { wallMs, cpuMs: cpu };
  }
  return { ...best, result };
}

function sameArray(a, b) {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function suffixArrayTable(runs, skipOld) {
  const { buildSuffixArray } = await import(path.join(root, 'dist/delta/suffix-array.js'));
  const rows = ['| text | SA-IS wall (CPU) | prefix doubling wall (CPU) | speed-up | same array |', '|---|---:|---:|---:|---|'];
  for (const { name, data } of texts()) {
    const sais = time(buildSuffixArray, data, runs);
    let old = '(skipped)';
    let speedUp = '';
    let same = '';
    if (!skipOld) {
      const doubling = time(buildSuffixArrayDoubling, data, 1);
      old = `${fmt(doubling.wallMs)} (${fmt(doubling.cpuMs)})`;
      speedUp = `${(doubling.wallMs / sais.wallMs).toFixed(1)}x`;
      same = sameArray(sais.result, doubling.result) ? 'yes' : '**NO**';
    }
    const row = `| ${name} | ${fmt(sais.wallMs)} (${fmt(sais.cpuMs)}) | ${old} | ${speedUp} | ${same} |`;
    console.log(row);
    rows.push(row);
  }
  return rows;
}

/** The 16 MiB pair: old = a real image tiled with edits, new = old with a 4 KiB insertion and 500 byte edits. */
function pair16M() {
  const old = repetitive(realImage().data, 16 * MiB, 4);
  const next = prng(5);
  const insertAt = next() % old.length;
  const inserted = randomBytes(4096, 6);
  const fresh = new Uint8Array(old.length + inserted.length);
  fresh.set(old.subarray(0, insertAt), 0);
  fresh.set(inserted, insertAt);
  fresh.set(old.subarray(insertAt), insertAt + inserted.length);
  for (let e = 0; e < 500; e++) fresh[next() % fresh.length] = next() & 0xff;
  return { old, fresh };
}

/** One end-to-end run in this process (called under /usr/bin/time -v by endToEndTable). */
async function endToEnd(arch) {
  const { createPatch } = await import(path.join(root, 'dist/pipeline/create-patch.js'));
  const { applyPatch } = await import(path.join(root, 'dist/pipeline/apply.js'));
  const { old, fresh } = pair16M();
  const loadAddress = 0x08000000;
  let t = performance.now();
  const { bytes } = await createPatch({ data: old, loadAddress }, { data: fresh, loadAddress }, { arch });
  const createMs = performance.now() - t;
  t = performance.now();
  const applied = await applyPatch(old, bytes);
  const applyMs = performance.now() - t;
  const roundTrip = sameArray(applied, fresh);
  console.log(JSON.stringify({ arch, patchBytes: bytes.length, createMs, applyMs, roundTrip }));
}

function endToEndTable() {
  const rows = [
    '| 16 MiB pair | patch bytes | createPatch | applyPatch | process wall | peak RSS | round trip |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const arch of ['none', 'auto']) {
    const run = spawnSync('/usr/bin/time', ['-v', process.execPath, import.meta.filename, '--e2e', arch], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`end-to-end --arch ${arch} failed:\n${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(run.stderr)?.[1];
    const row =
      `| --arch ${arch} | ${result.patchBytes} | ${fmt(result.createMs)} | ${fmt(result.applyMs)} | ${wall} | ` +
      `${(rssKb / 1024).toFixed(0)} MiB | ${result.roundTrip ? 'yes' : '**NO**'} |`;
    console.log(row);
    rows.push(row);
  }
  return rows;
}

async function main(argv) {
  const e2e = argv.indexOf('--e2e');
  if (e2e !== -1) return endToEnd(argv[e2e + 1]);
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt === -1 ? 3 : Number(argv[runsAt + 1]);
  if (!existsSync(path.join(root, 'dist/delta/suffix-array.js'))) {
    console.error('bench: no dist/delta/suffix-array.js; run `npx tsc -p tsconfig.json` first');
    process.exit(2);
  }
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const header = [
    '',
    `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}`,
    '',
    `Load average at start: ${load()}. SA-IS: best of ${runs} runs; prefix doubling: one run. Wall time, CPU time in brackets.`,
    '',
  ];
  const saRows = await suffixArrayTable(runs, argv.includes('--skip-old'));
  const e2eRows = argv.includes('--skip-e2e') ? [] : ['', 'End to end (`/usr/bin/time -v`, one process per row):', '', ...endToEndTable()];
  const footer = ['', `Load average at end: ${load()}.`];
  if (!existsSync(resultsFile)) appendFileSync(resultsFile, '# Suffix-array construction: SA-IS against prefix doubling\n\nWritten by `node bench/suffix-array.js`; each run appends a section.\n');
  appendFileSync(resultsFile, [...header, ...saRows, ...e2eRows, ...footer, ''].join('\n'));
  console.log(`appended to ${path.relative(root, resultsFile)}`);
}

await main(process.argv.slice(2));
