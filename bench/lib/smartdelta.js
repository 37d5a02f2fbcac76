// smartdelta measured in-process through the compiled library (dist/), plus one cold CLI run for honesty.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sameBytes, timeRuns } from './stats.js';

export const ARCHES = ['none', 'cortex-m', 'auto'];

export class BenchFailure extends Error {}

/** Imported only after the build check, so a missing dist/ gives a clear message rather than a stack trace. */
export async function loadLibrary(root) {
  const dist = (file) => path.join(root, 'dist', file);
  const [{ createPatch }, { applyPatch }, { patchInfo }, { loadImage }] = await Promise.all([
    import(dist('pipeline/create-patch.js')),
    import(dist('pipeline/apply.js')),
    import(dist('pipeline/info.js')),
    import(dist('image/index.js')),
  ]);
  return { createPatch, applyPatch, patchInfo, loadImage };
}

/**
 * One arch on one pair: the patch (unsigned, whole file), create and apply medians after a warm-up run, and a
 * byte-for-byte check of the round trip. Every timed create must give the same bytes (determinism).
 */
export async function measureArch(lib, pairId, images, arch, runs) {
  let first;
  const create = async () => {
    const { bytes } = await lib.createPatch(images.old, images.new, { arch });
    if (first !== undefined && !sameBytes(bytes, first)) throw new BenchFailure(`${pairId} --arch ${arch}: two runs gave different patch bytes`);
    first ??= bytes;
    return bytes;
  };
  const created = await timeRuns(create, { runs, warmup: 1 });
  const patch = created.result;

  const applied = await timeRuns(() => lib.applyPatch(images.old.data, patch), { runs, warmup: 1 });
  if (!sameBytes(applied.result, images.new.data)) {
    throw new BenchFailure(`${pairId} --arch ${arch}: applying the patch did not reproduce the new image byte for byte`);
  }
  const info = lib.patchInfo(patch);
  return {
    tool: `smartdelta ${arch}`,
    arch,
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
}

/**
 * A cold start of the real CLI (node start-up, module loading, file I/O included), run once: the figure a user
 * sees, beside the warm in-process medians.
 */
export function coldCli(root, pair, tmpDir) {
  const cli = path.join(root, 'bin', 'smartdelta.js');
  const patchFile = path.join(tmpDir, `${pair.id}-cli.sdp`);
  const outFile = path.join(tmpDir, `${pair.id}-cli.out`);
  const base = `0x${pair.base.toString(16)}`;
  const diffArgs = ['diff', pair.old, pair.new, '--base', base, '-o', patchFile, '--force', '--json'];
  const applyArgs = ['apply', pair.old, patchFile, '--base', base, '-o', outFile, '--force', '--json'];
  const run = (args) => {
    const start = performance.now();
    const child = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    const ms = performance.now() - start;
    if (child.status !== 0) throw new BenchFailure(`smartdelta ${args[0]} exited ${child.status}: ${child.stderr.trim()}`);
    return ms;
  };
  const diffMs = run(diffArgs);
  const applyMs = run(applyArgs);
  if (!readFileSync(outFile).equals(readFileSync(pair.new))) throw new BenchFailure(`${pair.id}: the CLI round trip differs from the new image`);
  const show = (args) => `node bin/smartdelta.js ${args.map((a) => (a.startsWith(tmpDir) ? path.basename(a) : path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}`;
  return { diffMs, applyMs, size: readFileSync(patchFile).length, diffCommand: show(diffArgs), applyCommand: show(applyArgs) };
}

export function writeImages(images, dir) {
  const oldFile = path.join(dir, 'old.bin');
  const newFile = path.join(dir, 'new.bin');
  writeFileSync(oldFile, images.old.data);
  writeFileSync(newFile, images.new.data);
  return { oldFile, newFile };
}
