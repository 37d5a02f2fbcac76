/**
 * Runs the device library on emulated Cortex-M targets (device/target/harness.c, built by `make -C device
 * target`): QEMU mps2-an386 (Cortex-M4) and microbit (Cortex-M0, 16 KB of RAM), semihosting for the files,
 * -icount shift=0 so that the harness's SysTick counts instructions. Used by target.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deviceDir, onPath } from './host-build.js';

export const targetToolsAvailable = onPath('qemu-system-arm') && onPath('arm-none-eabi-gcc') && onPath('make');

/**
 * m4: newlib's memcpy; m4-trap: alignment-safe memcpy/memset, for runs with the unaligned trap on; m4-fast: the
 * speed build (device/Makefile FAST_FLAGS: unrolled SHA-256, the value maps' range check; the fast lookups are in every build).
 */
export type TargetElf = 'm4' | 'm4-trap' | 'm4-fast' | 'm0';
const MACHINE: Record<TargetElf, string> = { m4: 'mps2-an386', 'm4-trap': 'mps2-an386', 'm4-fast': 'mps2-an386', m0: 'microbit' };

export interface TargetRun {
  /** key=value lines the harness printed (numbers where they are numbers). */
  values: Record<string, string>;
  exitCode: number | null;
  output: string;
}

export function buildTargets(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-target-'));
  const make = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${dir}`, 'target'], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(`device target build failed:\n${make.stdout}${make.stderr}`);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The QEMU command line for one apply (also printed by bench/target.js). */
export function qemuArgs(elfFile: string, elf: TargetElf, args: readonly string[]): string[] {
  for (const a of args) if (/[\s,]/.test(a)) throw new Error(`harness argument with a space or comma: ${a}`);
  return [
    '-M', MACHINE[elf], '-nographic', '-monitor', 'none', '-serial', 'none',
    '-icount', 'shift=0,align=off,sleep=off',
    '-semihosting-config', `enable=on,target=native,${['harness', ...args].map((a) => `arg=${a}`).join(',')}`,
    '-kernel', elfFile,
  ];
}

/** Runs the harness: OLD PATCH OUT SEED FLAGS [MESSAGE] (device/target/harness.c). */
export function runOnTarget(buildDir: string, elf: TargetElf, args: readonly string[], timeoutMs = 60_000): Promise<TargetRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-arm', qemuArgs(path.join(buildDir, 'target', `${elf}.elf`), elf, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const values: Record<string, string> = {};
      for (const m of output.matchAll(/^(\w+)=(\S*)$/gm)) values[m[1]!] = m[2]!;
      resolve({ values, exitCode: code, output });
    });
  });
}

/** Runs jobs with at most `limit` at a time (the machine's cores are shared). */
export async function inParallel<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
