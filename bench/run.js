// npm run bench: patch size and create/apply time of smartdelta (plain, cortex-m, auto, and auto given the ELF
// files where a pair has them) side by side with the peers that run here, on the project's fixtures and on
// ../shared/corpus when present; cold CLI times; the device library's flash and RAM. Writes bench/RESULTS.md
// and bench/results.json (atomically). Usage: node bench/run.js [--runs N] [--skip-large] [--skip-speed]
// (default 5 timed runs per figure; --skip-speed leaves out issue 13's CLI CPU, memory and fleet section;
// --speed-only measures that section alone and puts it into the committed results in place of the last one)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { corpusPairs, fixturePairs, loadPair } from './lib/pairs.js';
import { detectPeers, measurePeer, PEER_IDS, peerVersions } from './lib/peers.js';
import { PUBLISHED_SIZES } from './lib/published.js';
import { BUSY_LOAD, createLoadLog, describeMachine, loadAverageNow } from './lib/machine.js';
import { measureDeviceFlash, measureDeviceRam } from './lib/device.js';
import { renderReport } from './lib/report.js';
import { measureLarge, renderLarge } from './lib/large.js';
import { ARCHES, AUTO_WITH_ELF, BenchFailure, coldCli, loadLibrary, measureArch, writeImages } from './lib/smartdelta.js';
import { sameBytes } from './lib/stats.js';
import { checkTargets } from './lib/targets.js';
import { budgetChecks, measureBudgets, renderBudgets } from './lib/budgets.js';
import { measureSpeed, renderSpeed, speedChecks, updateSpeedOnly } from './lib/speed.js';

const root = path.resolve(import.meta.dirname, '..');
const corpusDir = path.resolve(root, '../shared/corpus');
const REQUIRED = ['pipeline/create-patch.js', 'pipeline/apply.js', 'pipeline/info.js', 'image/index.js'];

function parseRuns(argv) {
  const at = argv.indexOf('--runs');
  if (at === -1) return 5;
  const runs = Number(argv[at + 1]);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    console.error(`bench: --runs must be an integer from 1 to 50, got "${argv[at + 1]}"`);
    process.exit(2);
  }
  return runs;
}

function checkBuild() {
  const missing = REQUIRED.filter((file) => !existsSync(path.join(root, 'dist', file)));
  if (missing.length > 0) {
    console.error(`bench: dist/ is missing or incomplete (no dist/${missing[0]}); run \`npm run build\` first`);
    process.exit(2);
  }
  const newest = (dir) => readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.ts') || f.endsWith('.js'))
    .reduce((latest, f) => Math.max(latest, statSync(path.join(dir, f)).mtimeMs), 0);
  if (newest(path.join(root, 'src')) > newest(path.join(root, 'dist'))) {
    console.warn('bench: warning: src/ has files newer than dist/; run `npm run build` to measure the current code');
  }
}

function otherBenches() {
  const notes = {
    'thumb2.js': 'throughput of the Thumb-2 sweep, decode and re-encode (`node bench/thumb2.js`)',
    'inplace.js': 'in-place patch sizes against two-slot ones at 2 KiB and 128 KiB erase units, results and power-cut runs in [INPLACE-RESULTS.md](INPLACE-RESULTS.md) (`node bench/inplace.js`)',
    'target.js': 'the device applier on an emulated Cortex-M4 (QEMU): instructions per apply, time at 80 MHz, stack measured there ([TARGET-RESULTS.md](TARGET-RESULTS.md), `node bench/target.js`), run separately',
    'fec.js': 'the LoRaWAN TS004 fragmentation / FEC bench (`node bench/fec.js`), run separately, not by `npm run bench`',
    'crafted.js': 'time and peak memory of the CLI on crafted ELF, Intel HEX, fragment and key inputs (`node bench/crafted.js`, results in [CRAFTED-RESULTS.md](CRAFTED-RESULTS.md))',
  };
  return readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js')
    .sort()
    .map((f) => ({ file: `bench/${f}`, link: f, note: notes[f] ?? `run separately with \`node bench/${f}\`` }));
}

/** The commit measured, and whether src/ had uncommitted changes (other work in progress) at the time. */
function gitCommit() {
  const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git(['status', '--porcelain', '--', 'src']).stdout.split('\n').filter(Boolean).map((line) => line.slice(3));
  return `${head.stdout.trim()}${dirty.length > 0 ? ` (uncommitted changes in the work tree: ${dirty.join(', ')})` : ''}`;
}

const formatMs = (t) => `${t < 10 ? t.toFixed(1) : Math.round(t)} ms`;

/** Every figure of one pair; also returns the default (auto) patch, which the device library applies. */
async function measurePair(lib, pair, runs, found, tmpDir, loadLog) {
  const images = loadPair(pair, lib);
  const files = { ...writeImages(images, tmpDir), patch: path.join(tmpDir, 'peer.patch'), out: path.join(tmpDir, 'peer.out') };
  files.old = files.oldFile;
  files.new = files.newFile;
  const describe = (file, image) => ({ file: path.relative(root, file), size: image.data.length, loadAddress: image.loadAddress });
  const result = { id: pair.id, group: pair.group, format: pair.format, old: describe(pair.old, images.old), new: describe(pair.new, images.new), smartdelta: {}, peers: {} };
  if (pair.format === 'elf') {
    const binOf = (file) => new Uint8Array(readFileSync(file.replace(/\.elf$/, '.bin')));
    result.elfSameAsBin = sameBytes(binOf(pair.old), images.old.data) && sameBytes(binOf(pair.new), images.new.data);
  }
  if (images.elf) result.elfFiles = pair.elf ? [pair.elf.old, pair.elf.new].map((f) => path.relative(root, f)) : 'the inputs';
  const variants = [...ARCHES.map((arch) => ({ key: arch, arch })), ...(images.elf ? [{ key: AUTO_WITH_ELF, arch: 'auto', elf: images.elf }] : [])];
  let autoPatch;
  await loadLog.time(`${pair.id}: smartdelta in-process`, async () => {
    for (const { key, arch, elf } of variants) {
      const { result: r, patch } = await measureArch(lib, pair.id, images, arch, runs, { elf });
      result.smartdelta[key] = r;
      if (key === 'auto') autoPatch = patch;
      console.log(`  smartdelta ${key.padEnd(8)} ${String(r.size).padStart(7)} B  create ${formatMs(r.createMs)}, apply ${formatMs(r.applyMs)}`);
    }
  });
  await loadLog.time(`${pair.id}: peers`, async () => {
    for (const id of PEER_IDS) {
      const r = await measurePeer(found, id, files, images.new.data, runs);
      result.peers[id] = r;
      if (r.missing) console.log(`  ${id.padEnd(19)} not installed`);
      else console.log(`  ${id.padEnd(19)} ${String(r.size).padStart(7)} B  create ${formatMs(r.createMs)}, apply ${formatMs(r.applyMs)}${r.roundTrip ? '' : '  ROUND TRIP FAILED'}`);
    }
  });
  result.budgets = await measureBudgets(lib, pair.id, images);
  if (pair.group === 'corpus') result.published = PUBLISHED_SIZES[pair.id];
  return { result, autoPatch, newData: images.new.data };
}

/** Flash of the cross build; RAM of the pybv11 default patch, by the C host driver and by patchInfo. */
function measureDevice(lib, pybv11, tmpDir) {
  const buildDir = path.join(tmpDir, 'device-build');
  const flash = measureDeviceFlash(root, buildDir);
  const ram = pybv11
    ? measureDeviceRam(root, buildDir, { oldFile: pybv11.pair.old, patch: pybv11.autoPatch, newData: pybv11.newData, patchInfoRam: lib.patchInfo(pybv11.autoPatch).deviceRam.total, tmpDir })
    : { measured: false, reason: 'not measured (../shared/corpus absent: no pybv11 patch)' };
  const show = (r) => (r.measured ? '' : ` ${r.reason}`);
  console.log(`device: flash ${flash.measured ? `${flash.applierText} B (linked ${flash.linkedText} B)` : show(flash)}; ` +
    `pybv11 RAM ${ram.measured ? `C ${ram.cRam} B, patchInfo ${ram.patchInfoRam} B, result=${ram.result}${ram.roundTrip ? ' (same bytes)' : ' (NOT the new image)'}` : show(ram)}`);
  return { flash, ram };
}

function writeAtomically(file, text) {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

async function main() {
  const argv = process.argv.slice(2);
  const runs = parseRuns(argv);
  checkBuild();
  if (argv.includes('--speed-only')) return speedOnly(runs);
  const started = performance.now();
  const machine = describeMachine();
  const lib = await loadLibrary(root);
  const found = detectPeers();
  const versions = peerVersions(found);
  const pairs = [...corpusPairs(corpusDir), ...fixturePairs(root)];
  if (!existsSync(corpusDir)) console.log(`bench: ${corpusDir} is absent; measuring the fixtures only`);

  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'smartdelta-bench-'));
  const loadLog = createLoadLog();
  try {
    // The cold CLI runs first, before this bench has raised the load average: the time checks use them.
    const coldPair = pairs.find((p) => p.id === 'pybv11') ?? pairs.find((p) => p.group === 'fixtures' && p.format === 'bin');
    const cold = { pair: coldPair.id, ...(await coldCli(root, coldPair, tmpDir, loadLog)) };
    console.log(`cold CLI (${cold.pair}, median of ${cold.runs}): diff ${formatMs(cold.diffMs)}, apply ${formatMs(cold.applyMs)}`);
    // Issue 13's CPU, memory and fleet figures: also cold processes, so also before the load of the rest.
    const speed = argv.includes('--skip-speed') ? undefined : await measureSpeed(root, pairs.filter((p) => p.group === 'corpus'), runs, tmpDir, loadLog);
    for (const p of speed?.cli.pairs ?? []) console.log(`issue 13: ${p.id} diff CPU ${p.diff.cpuS?.toFixed(2)} s, apply CPU ${p.apply.cpuS?.toFixed(2)} s`);
    if (speed) console.log(`issue 13: fleet wall ${speed.fleet.parallel.wallS.toFixed(2)} s, one after another ${speed.fleet.oneAfterAnother.wallS.toFixed(2)} s`);

    const measured = [];
    let pybv11;
    for (const pair of pairs) {
      console.log(`${pair.id}:`);
      const { result, autoPatch, newData } = await measurePair(lib, pair, runs, found, tmpDir, loadLog);
      measured.push(result);
      if (pair.id === 'pybv11') pybv11 = { pair, autoPatch, newData };
    }
    // The CLI loads dist/ afresh: a different size means dist/ was rebuilt while the bench ran.
    const inProcess = measured.find((p) => p.id === coldPair.id).smartdelta.auto.size;
    if (cold.size !== inProcess) {
      throw new BenchFailure(`the CLI made a ${cold.size}-byte patch for ${cold.pair}, the library ${inProcess} bytes in this run: was dist/ rebuilt meanwhile? Run the bench again`);
    }
    // After every timing block: compiling would load the machine under the timed runs.
    const device = measureDevice(lib, pybv11, tmpDir);
    const large = argv.includes('--skip-large') ? undefined : measureLarge();
    const busyBlocks = loadLog.blocks.filter((b) => b.busy);
    const busy = busyBlocks.length > 0;

    const peers = {};
    for (const id of PEER_IDS) {
      const sample = measured[0].peers[id];
      peers[id] = { version: sample.missing ? undefined : versions[id], invocation: sample.invocation };
    }
    const results = {
      command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
      script: ['node bench/run.js', ...argv].join(' '),
      commit: gitCommit(),
      date: new Date().toISOString(),
      runs,
      machine: { ...machine, loadAverageAtEnd: loadAverageNow() },
      durationSeconds: (performance.now() - started) / 1000,
      machineBusy: { busy, threshold: BUSY_LOAD, busyBlocks: busyBlocks.map((b) => b.name), blockCount: loadLog.blocks.length },
      loadBlocks: loadLog.blocks,
      peers,
      pairs: measured,
      coldCli: cold,
      device,
      large,
      speed,
      targets: [...checkTargets(measured, { coldCli: cold, device, busy }), ...budgetChecks(measured), ...speedChecks(speed)],
      otherBenches: otherBenches(),
    };
    writeAtomically(path.join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeAtomically(path.join(import.meta.dirname, 'RESULTS.md'), `${renderReport(results)}\n${renderBudgets(measured).join('\n')}\n\n${renderLarge(large).join('\n')}\n\n${renderSpeed(speed).join('\n')}`);
    console.log(`\nbench: wrote bench/RESULTS.md and bench/results.json in ${results.durationSeconds.toFixed(0)} s`);
    const missed = results.targets.filter((t) => t.pass === false && !t.goal);
    for (const t of missed) console.log(`bench: not met: ${t.what} (${t.measured}, limit ${t.limit})`);
    if (busy) {
      console.log(`bench: MACHINE BUSY: the 1-minute load average exceeded ${BUSY_LOAD} at the start of ${busyBlocks.length} of ` +
        `${loadLog.blocks.length} timing blocks (first: ${busyBlocks[0].name}, load ${busyBlocks[0].before[0]}); the times are indicative`);
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

async function speedOnly(runs) {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'smartdelta-bench-'));
  try {
    const { results, markdown, speed } = await updateSpeedOnly({
      benchDir: import.meta.dirname,
      root,
      corpusPairs: corpusPairs(corpusDir),
      runs,
      tmpDir,
      loadLog: createLoadLog(),
      commit: gitCommit(),
      loadAverageNow,
      busyLoad: BUSY_LOAD,
    });
    for (const p of speed.cli.pairs) console.log(`issue 13: ${p.id} diff CPU ${p.diff.cpuS?.toFixed(2)} s, apply CPU ${p.apply.cpuS?.toFixed(2)} s, apply RSS ${p.apply.rssMB?.toFixed(1)} MB`);
    writeAtomically(path.join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeAtomically(path.join(import.meta.dirname, 'RESULTS.md'), markdown);
    console.log('bench: wrote the issue 13 section of bench/RESULTS.md and bench/results.json');
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  if (error instanceof BenchFailure) {
    console.error(`bench: FAILED: ${error.message}`);
    process.exit(1);
  }
  throw error;
});
