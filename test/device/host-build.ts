/**
 * Builds the device library's host test drivers (device/Makefile, target `host`: gcc with
 * -Wall -Wextra -Werror -pedantic and -fsanitize=address,undefined) into a temporary folder, and runs them.
 * Tests that use it skip when gcc or make is not on PATH.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const deviceDir = path.join(repoRoot, 'device');
/** Shared reference material beside the repository (absent in a fresh clone). */
export const sharedDir = path.resolve(repoRoot, '../shared');

export function onPath(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

export const hostToolchainAvailable = onPath('gcc') && onPath('make');

export interface HostBuild {
  dir: string;
  /** Runs build/host/<tool> with the given arguments; never throws on a non-zero exit. */
  run(tool: string, args: readonly string[], timeoutMs?: number): SpawnSyncReturns<string>;
  cleanup(): void;
}

/** Builds the `host` target, or only the named drivers (e.g. ['apply_batch'], or 'host-inplace/apply_batch' for another build folder). */
export function buildHostTools(only?: readonly string[]): HostBuild {
  const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-device-'));
  const targets = only ? only.map((tool) => path.join(dir, tool.includes('/') ? tool : path.join('host', tool))) : ['host'];
  const make = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${dir}`, 'CC=gcc', ...targets], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(`device host build failed:\n${make.stdout}${make.stderr}`);
  return {
    dir,
    run: (tool, args, timeoutMs = 30_000) =>
      spawnSync(path.join(dir, 'host', tool), args, {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
      }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * device/test/inplace_cli's work buffer to the byte (INPLACE_CLI_SPARE bytes over the minimum): the exit
 * status and result line one byte short, and the exit statuses with the minimum and with 16 KiB to spare.
 */
export function workBufferRuns(driver: string, args: readonly string[]): { short: string; fits: (number | null)[] } {
  const run = (spare: number) =>
    spawnSync(driver, args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, INPLACE_CLI_SPARE: String(spare) } });
  const short = run(-1);
  return { short: `${short.status} ${/result=\S+ \S+ -?\d+/.exec(short.stdout)?.[0] ?? short.stdout}`, fits: [run(0).status, run(16384).status] };
}
