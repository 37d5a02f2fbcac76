// Issue 13: CPU time and peak memory of the real CLI, one process per run (node start-up included), and the
// fleet: one patch per fixture release to the newest, one `diff` after another against `diff --fleet`.
// Each run is a child under /usr/bin/time -f "%e %U %S %M" (wall, user, system, peak RSS) when it is installed,
// else CPU from /proc/self/stat's children times (no RSS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURE_BASE, FIXTURE_VERSIONS } from './pairs.js';
import { BenchFailure } from './smartdelta.js';
import { median } from './stats.js';

/** Issue 13 "Done when": CPU seconds of `diff --arch auto`, start-up included; fleet time ratio; peak RSS. */
export const SPEED_TARGETS = {
  diffCpuSeconds: { pybv11: 0.5, shell: 0.4, synthesizer: 0.4 },
  fleetRatio: 0.6,
  createRssMB: 80,
  applyRssMB: 60,
};

/** detools, published in issue 13 (CPU s per diff, median of 3, Python start-up included; not run here). */
export const DETOOLS_CPU_SECONDS = {
  pybv11: { dataFormat: 0.51, plain: 0.39 },
  shell: { dataFormat: 0.32, plain: 0.28 },
  synthesizer: { dataFormat: 0.33, plain: 0.27 },
};

const TIME = '/usr/bin/time';

/** One child process: wall and CPU seconds, peak RSS in MB (undefined without /usr/bin/time). */
function runMeasured(argv, cwd) {
  if (existsSync(TIME)) {
    const child = spawnSync(TIME, ['-f', '%e %U %S %M', ...argv], { cwd, encoding: 'utf8' });
    if (child.status !== 0) throw new BenchFailure(`${argv.join(' ')} exited ${child.status}: ${child.stderr.trim()}`);
    const [wall, user, sys, rssKb] = child.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { wallS: wall, cpuS: user + sys, rssMB: rssKb / 1024 };
  }
  const start = performance.now();
  const child = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8' });
  if (child.status !== 0) throw new BenchFailure(`${argv.join(' ')} exited ${child.status}: ${child.stderr.trim()}`);
  return { wallS: (performance.now() - start) / 1000, cpuS: undefined, rssMB: undefined };
}

function medianOf(samples) {
  const pick = (key) => (samples.every((s) => s[key] !== undefined) ? median(samples.map((s) => s[key])) : undefined);
  return { wallS: pick('wallS'), cpuS: pick('cpuS'), rssMB: pick('rssMB'), cpuRuns: samples.map((s) => s.cpuS) };
}

function repeat(runs, argv, cwd) {
  return medianOf(Array.from({ length: runs }, () => runMeasured(argv, cwd)));
}

const hex = (n) => `0x${n.toString(16).padStart(8, '0')}`;

/** `diff` (default arch auto) and `apply` of each corpus pair; node alone and `--version` for scale. */
function measureCli(root, corpusPairs, runs, tmpDir) {
  const cli = path.join(root, 'bin', 'smartdelta.js');
  const node = process.execPath;
  const rows = [];
  rows.push({ what: 'node alone (`node -e 0`)', ...repeat(runs, [node, '-e', '0'], root) });
  rows.push({ what: '`smartdelta --version`', ...repeat(runs, [node, cli, '--version'], root) });
  const pairs = [];
  for (const pair of corpusPairs) {
    const patch = path.join(tmpDir, `${pair.id}-speed.sdp`);
    const out = path.join(tmpDir, `${pair.id}-speed.out`);
    const base = hex(pair.base);
    const diffArgv = [node, cli, 'diff', pair.old, pair.new, '--base', base, '-o', patch, '--force'];
    const applyArgv = [node, cli, 'apply', pair.old, patch, '--base', base, '-o', out, '--force'];
    const diff = repeat(runs, diffArgv, root);
    const apply = repeat(runs, applyArgv, root);
    if (!readFileSync(out).equals(readFileSync(pair.new))) throw new BenchFailure(`${pair.id}: the CLI round trip differs from the new image`);
    const show = (argv) => `node bin/smartdelta.js ${argv.slice(2).map((a) => (a.startsWith(tmpDir) ? path.basename(a) : path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}`;
    pairs.push({ id: pair.id, size: readFileSync(patch).length, diff, apply, diffCommand: show(diffArgv), applyCommand: show(applyArgv) });
  }
  return { rows, pairs };
}

/**
 * The four older fixture releases to the newest: `diff` once per old image (separate processes, as a CI
 * script without --fleet does), then `diff --fleet` with one thread and with the default (one per core).
 * Every fleet patch must equal the one `diff` made alone.
 */
function measureFleet(root, runs, tmpDir) {
  const cli = path.join(root, 'bin', 'smartdelta.js');
  const node = process.execPath;
  const file = (v) => path.join(root, 'fixtures', 'build', v, 'firmware.bin');
  const olds = FIXTURE_VERSIONS.slice(0, -1);
  const newest = FIXTURE_VERSIONS[FIXTURE_VERSIONS.length - 1];
  const base = hex(FIXTURE_BASE);
  const aloneDir = path.join(tmpDir, 'fleet-alone');
  mkdirSync(aloneDir, { recursive: true });
  const oneAfterAnother = medianOf(
    Array.from({ length: runs }, () => {
      const each = olds.map((v) => runMeasured([node, cli, 'diff', file(v), file(newest), '--base', base, '-o', path.join(aloneDir, `${v}-firmware.sdp`), '--force'], root));
      return { wallS: each.reduce((s, r) => s + r.wallS, 0), cpuS: each.every((r) => r.cpuS !== undefined) ? each.reduce((s, r) => s + r.cpuS, 0) : undefined, rssMB: Math.max(...each.map((r) => r.rssMB ?? 0)) };
    }),
  );
  const fleetRun = (jobs) => {
    const dir = path.join(tmpDir, `fleet-jobs-${jobs ?? 'default'}`);
    rmSync(dir, { recursive: true, force: true });
    const argv = [node, cli, 'diff', '--fleet', ...olds.map(file), '--to', file(newest), '--base', base, '-o', dir, '--force', ...(jobs ? ['--jobs', String(jobs)] : [])];
    const result = repeat(runs, argv, root);
    for (const name of readdirSync(aloneDir)) {
      if (!readFileSync(path.join(dir, name)).equals(readFileSync(path.join(aloneDir, name)))) throw new BenchFailure(`fleet: ${name} differs from the patch diff makes alone`);
    }
    return { ...result, command: `node bin/smartdelta.js ${argv.slice(2).map((a) => (a.startsWith(tmpDir) ? path.basename(a) : path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}` };
  };
  return { olds, newest, cores: os.availableParallelism(), oneAfterAnother, jobs1: fleetRun(1), parallel: fleetRun(undefined) };
}

export async function measureSpeed(root, corpusPairs, runs, tmpDir, loadLog) {
  const cli = await loadLog.time('issue 13: CLI CPU and memory', () => measureCli(root, corpusPairs, runs, tmpDir));
  const fleet = await loadLog.time('issue 13: fleet of the fixture releases', () => measureFleet(root, runs, tmpDir));
  return { runs, timeTool: existsSync(TIME) ? TIME : null, cli, fleet };
}

export function speedChecks(speed) {
  if (!speed) return [];
  const checks = [];
  for (const p of speed.cli.pairs) {
    const limit = SPEED_TARGETS.diffCpuSeconds[p.id];
    if (limit === undefined || p.diff.cpuS === undefined) continue;
    checks.push({ what: `${p.id}: \`diff\` (auto) CPU time, cold CLI, start-up included (issue 13)`, measured: `${p.diff.cpuS.toFixed(2)} s`, limit: `<= ${limit} s`, pass: p.diff.cpuS <= limit });
  }
  const pyb = speed.cli.pairs.find((p) => p.id === 'pybv11');
  if (pyb?.diff.rssMB !== undefined) {
    checks.push({ what: 'pybv11: `diff` peak RSS (issue 13)', measured: `${pyb.diff.rssMB.toFixed(1)} MB`, limit: `<= ${SPEED_TARGETS.createRssMB} MB`, pass: pyb.diff.rssMB <= SPEED_TARGETS.createRssMB });
    checks.push({ what: 'pybv11: `apply` peak RSS (issue 13)', measured: `${pyb.apply.rssMB.toFixed(1)} MB`, limit: `<= ${SPEED_TARGETS.applyRssMB} MB`, pass: pyb.apply.rssMB <= SPEED_TARGETS.applyRssMB });
  }
  const f = speed.fleet;
  const ratio = f.parallel.wallS / f.oneAfterAnother.wallS;
  checks.push({
    what: `fleet: ${f.olds.length} fixture releases to ${f.newest}, \`diff --fleet\` against one \`diff\` after another, wall time (issue 13)`,
    measured: `${f.parallel.wallS.toFixed(2)} s vs ${f.oneAfterAnother.wallS.toFixed(2)} s (${ratio.toFixed(2)}x)`,
    limit: `<= ${SPEED_TARGETS.fleetRatio}x`,
    pass: ratio <= SPEED_TARGETS.fleetRatio,
  });
  return checks;
}

const s2 = (x) => (x === undefined ? '-' : `${x.toFixed(2)} s`);
const mb = (x) => (x === undefined ? '-' : `${x.toFixed(1)} MB`);

export function renderSpeed(speed) {
  if (!speed) return [];
  const out = ['## Creation speed, fleets and memory (issue 13)', ''];
  out.push(
    `Each figure is the median of ${speed.runs} runs of the real CLI, one process per run, node start-up and module loading included, ` +
      `measured with \`${speed.timeTool ?? 'wall clock only'} -f "%e %U %S %M"\`: CPU is user + system of the process (all its threads), the fair ` +
      'figure on a shared machine; wall time depends on what else runs. detools figures are from issue 13 (CPU, median of 3, Python ' +
      'start-up included, measured on a 2-core machine); detools is not a dependency, so this bench does not run it: ' +
      '`bench/detools-speed.js` times both side by side from a scratch build of detools (DETOOLS-SPEED-RESULTS.md).',
    '',
    '| run | CPU (median) | wall (median) | peak RSS | detools `--data-format arm-cortex-m4` † | detools default † |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const r of speed.cli.rows) out.push(`| ${r.what} | ${s2(r.cpuS)} | ${s2(r.wallS)} | ${mb(r.rssMB)} | - | - |`);
  for (const p of speed.cli.pairs) {
    const d = DETOOLS_CPU_SECONDS[p.id];
    out.push(`| ${p.id}: \`diff\` (auto, ${p.size.toLocaleString('en-US')} B) | **${s2(p.diff.cpuS)}** | ${s2(p.diff.wallS)} | ${mb(p.diff.rssMB)} | ${d ? `${d.dataFormat.toFixed(2)} s` : '-'} | ${d ? `${d.plain.toFixed(2)} s` : '-'} |`);
    out.push(`| ${p.id}: \`apply\` | ${s2(p.apply.cpuS)} | ${s2(p.apply.wallS)} | ${mb(p.apply.rssMB)} | - | - |`);
  }
  out.push('', 'Commands: ' + speed.cli.pairs.map((p) => `\`${p.diffCommand}\`, \`${p.applyCommand}\``).join('; ') + '.', '');
  const f = speed.fleet;
  out.push(
    `Fleet: the ${f.olds.length} older fixture releases (${f.olds.join(', ')}) to ${f.newest}, on ${f.cores} cores. Every \`--fleet\` patch is ` +
      'compared byte for byte with the one `diff` made alone.',
    '',
    '| fleet | wall (median) | CPU (median) | peak RSS | wall / one after another |',
    '| --- | --- | --- | --- | --- |',
    `| one \`diff\` after another (${f.olds.length} processes) | ${s2(f.oneAfterAnother.wallS)} | ${s2(f.oneAfterAnother.cpuS)} | ${mb(f.oneAfterAnother.rssMB)} | 1.00 |`,
    `| \`diff --fleet ... --jobs 1\` | ${s2(f.jobs1.wallS)} | ${s2(f.jobs1.cpuS)} | ${mb(f.jobs1.rssMB)} | ${(f.jobs1.wallS / f.oneAfterAnother.wallS).toFixed(2)} |`,
    `| **\`diff --fleet ...\` (default: a thread per core)** | **${s2(f.parallel.wallS)}** | ${s2(f.parallel.cpuS)} | ${mb(f.parallel.rssMB)} | **${(f.parallel.wallS / f.oneAfterAnother.wallS).toFixed(2)}** |`,
    '',
    `Command: \`${f.parallel.command}\`.`,
    '',
  );
  return out;
}

/**
 * `node bench/run.js --speed-only`: measures this section alone and puts it into the committed results in
 * place of the last one (the section of RESULTS.md, its rows of the acceptance table, and results.json's
 * `speed`, its target rows and a `speedOnly` note with the date, commit and load), leaving every other figure
 * as the last full run wrote it. The section says it was measured apart.
 */
export async function updateSpeedOnly({ benchDir, root, corpusPairs, runs, tmpDir, loadLog, commit, loadAverageNow, busyLoad }) {
  const jsonFile = path.join(benchDir, 'results.json');
  const mdFile = path.join(benchDir, 'RESULTS.md');
  const results = JSON.parse(readFileSync(jsonFile, 'utf8'));
  const markdown = readFileSync(mdFile, 'utf8');
  const sectionAt = markdown.indexOf('## Creation speed, fleets and memory (issue 13)');
  if (sectionAt < 0) throw new BenchFailure('bench/RESULTS.md has no issue 13 section to replace: run the whole bench');
  const speed = await measureSpeed(root, corpusPairs, runs, tmpDir, loadLog);
  const busyBlocks = loadLog.blocks.filter((b) => b.busy);
  const checks = speedChecks(speed).map((c) => ({ ...c, indicative: busyBlocks.length > 0 }));
  const isSpeedCheck = (what) => what.endsWith('(issue 13)');
  const speedOnly = { date: new Date().toISOString(), commit, runs, loadBlocks: loadLog.blocks, loadAverageAtEnd: loadAverageNow(), busy: busyBlocks.length > 0 };
  const kept = results.targets.filter((t) => !isSpeedCheck(t.what));
  const updated = { ...results, speed, speedOnly, targets: [...kept, ...checks] };
  // The acceptance table: the issue 13 rows in place, re-rendered the way bench/lib/report.js renders them.
  const outcome = (t) => `${t.pass ? 'yes' : '**no**'}${t.indicative ? ' (machine busy: indicative)' : ''}`;
  let pending = [...checks];
  const lines = markdown.slice(0, sectionAt).split('\n').flatMap((line) => {
    const cells = line.split(' | ');
    if (!(line.startsWith('| ') && cells.length === 4 && isSpeedCheck(cells[0].slice(2)))) return [line];
    const rows = pending.map((t) => `| ${t.what} | ${t.measured} | ${t.limit} | ${outcome(t)} |`);
    pending = [];
    return rows;
  });
  const loads = loadLog.blocks.map((b) => `${b.name}: ${b.before.join(' / ')} before, ${b.after.join(' / ')} after`).join('; ');
  const note = [
    `Measured apart from the rest of this report by \`node bench/run.js --speed-only --runs ${runs}\` on ${speedOnly.date.slice(0, 16).replace('T', ' ')} UTC ` +
      `at commit ${commit ?? 'unknown'}; 1-minute / 5-minute / 15-minute load averages ${loads}` +
      (speedOnly.busy ? ` (**machine busy**: above ${busyLoad}; the CPU figures are inflated by the sharing, the sizes exact)` : '') + '.',
    '',
  ];
  const section = renderSpeed(speed);
  const text = `${lines.join('\n')}${[section[0], section[1], ...note, ...section.slice(2)].join('\n')}`;
  return { results: updated, markdown: text, speed };
}
