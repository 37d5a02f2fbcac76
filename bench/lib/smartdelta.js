// smartdelta measured in-process through the compiled library (dist/), and cold runs of the real CLI.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median, sameBytes, timeRuns } from './stats.js';

export const ARCHES = ['none', 'cortex-m', 'auto'];
/** The key of the default arch given the pair's ELF files (createPatch options oldElf / newElf). */
export const AUTO_WITH_ELF = 'auto+elf';
/** Cold CLI runs per figure: the acceptance checks use their median. */
export const COLD_RUNS = 5;

export class BenchFailure extends Error {}

/** Imported only after the build check, so a missing dist/ gives a clear message rather than a stack trace. */
export async function loadLibrary(root) {
  const dist = (file) => path.join(root, 'dist', file);
  const [{ createPatch }, { applyPatch }, { patchInfo }, { loadImage, parseElf }] = await Promise.all([
    import(dist('pipeline/create-patch.js')),
    import(dist('pipeline/apply.js')),
    import(dist('pipeline/info.js')),
    import(dist('image/index.js')),
  ]);
  return { createPatch, applyPatch, patchInfo, loadImage, parseElf };
}

/**
 * One arch on one pair: the patch (unsigned, whole file), create and apply medians after a warm-up run, and a
 * byte-for-byte check of the round trip. Every timed create must give the same bytes (determinism).
 * With `elf` ({old, new} ElfInfo) the ELF files go to createPatch as `oldElf` / `newElf`, as the CLI's
 * --old-elf / --new-elf do. Returns the figures and the patch itself.
 */
export async function measureArch(lib, pairId, images, arch, runs, { elf } = {}) {
  const what = `${pairId} --arch ${arch}${elf ? ' with ELF files' : ''}`;
  const options = elf ? { arch, oldElf: elf.old, newElf: elf.new } : { arch };
  let first;
  const create = async () => {
    const { bytes } = await lib.createPatch(images.old, images.new, options);
    if (first !== undefined && !sameBytes(bytes, first)) throw new BenchFailure(`${what}: two runs gave different patch bytes`);
    first ??= bytes;
    return bytes;
  };
  const created = await timeRuns(create, { runs, warmup: 1 });
  const patch = created.result;

  const applied = await timeRuns(() => lib.applyPatch(images.old.data, patch), { runs, warmup: 1 });
  if (!sameBytes(applied.result, images.new.data)) {
    throw new BenchFailure(`${what}: applying the patch did not reproduce the new image byte for byte`);
  }
  const info = lib.patchInfo(patch);
  const result = {
    tool: `smartdelta ${arch}${elf ? ' + ELF' : ''}`,
    arch,
    elf: Boolean(elf),
    size: patch.length,
    headerSize: info.headerSize,
    transform: info.transform,
    ratio: images.new.data.length / patch.length,
    createMs: created.medianMs,
    applyMs: applied.medianMs,
    createTimesMs: created.times,
    applyTimesMs: applied.times,
    createCpuMs: created.cpuMedianMs,
    applyCpuMs: applied.cpuMedianMs,
    deviceRam: info.deviceRam.total,
    roundTrip: true,
  };
  return { result, patch };
}

const CLOCK_TICKS = (() => {
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout);
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/**
 * CPU time (user + system, ms) of this process's waited-for children, from /proc/self/stat (cutime, cstime:
 * fields 16 and 17, counted after the parenthesised command name); undefined off Linux.
 */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * Cold starts of the real CLI (node start-up, module loading, file I/O included), `runs` of each verb, default
 * arch: the figure a user waits for, and the one comparable with detools' published times, which include
 * Python's start-up (../shared/reference/peers.md, section A). `loadLog` records the load around each block.
 */
export async function coldCli(root, pair, tmpDir, loadLog, runs = COLD_RUNS) {
  const cli = path.join(root, 'bin', 'smartdelta.js');
  const patchFile = path.join(tmpDir, `${pair.id}-cli.sdp`);
  const outFile = path.join(tmpDir, `${pair.id}-cli.out`);
  const base = `0x${pair.base.toString(16).padStart(8, '0')}`;
  const diffArgs = ['diff', pair.old, pair.new, '--base', base, '-o', patchFile, '--force', '--json'];
  const applyArgs = ['apply', pair.old, patchFile, '--base', base, '-o', outFile, '--force', '--json'];
  const cpuTimes = { diff: [], apply: [] };
  const runOnce = (args) => {
    const cpuStart = childrenCpuMs();
    const start = performance.now();
    const child = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    const ms = performance.now() - start;
    if (child.status !== 0) throw new BenchFailure(`smartdelta ${args[0]} exited ${child.status}: ${child.stderr.trim()}`);
    if (cpuStart !== undefined) cpuTimes[args[0]].push(childrenCpuMs() - cpuStart);
    return ms;
  };
  let firstPatch;
  const diff = () => {
    const ms = runOnce(diffArgs);
    const patch = readFileSync(patchFile);
    if (firstPatch !== undefined && !patch.equals(firstPatch)) throw new BenchFailure(`${pair.id}: two CLI runs gave different patch bytes`);
    firstPatch ??= patch;
    return ms;
  };
  const diffTimesMs = await loadLog.time(`${pair.id}: CLI diff, ${runs} cold runs`, () => Array.from({ length: runs }, diff));
  const applyTimesMs = await loadLog.time(`${pair.id}: CLI apply, ${runs} cold runs`, () => Array.from({ length: runs }, () => runOnce(applyArgs)));
  if (!readFileSync(outFile).equals(readFileSync(pair.new))) throw new BenchFailure(`${pair.id}: the CLI round trip differs from the new image`);
  const show = (args) => `node bin/smartdelta.js ${args.map((a) => (a.startsWith(tmpDir) ? path.basename(a) : path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}`;
  return {
    runs,
    diffMs: median(diffTimesMs),
    applyMs: median(applyTimesMs),
    diffTimesMs,
    applyTimesMs,
    // CPU of the CLI process, all its threads (10 ms resolution): steadier than wall time on a busy machine.
    diffCpuMs: cpuTimes.diff.length === runs ? median(cpuTimes.diff) : undefined,
    applyCpuMs: cpuTimes.apply.length === runs ? median(cpuTimes.apply) : undefined,
    size: firstPatch.length,
    diffCommand: show(diffArgs),
    applyCommand: show(applyArgs),
  };
}

export function writeImages(images, dir) {
  const oldFile = path.join(dir, 'old.bin');
  const newFile = path.join(dir, 'new.bin');
  writeFileSync(oldFile, images.old.data);
  writeFileSync(newFile, images.new.data);
  return { oldFile, newFile };
}
