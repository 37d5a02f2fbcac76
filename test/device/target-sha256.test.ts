/**
 * The device SHA-256 on the instruction sets it is for (issue 17): the harness's SHA mode (device/target/harness.c,
 * flag h) hashes a file's bytes with the library as built for the target and prints the digests; node:crypto
 * recomputes them. On the Cortex-M4 builds that is the Thumb-2 assembly compression (device/src/sd_sha256.c), on
 * the Cortex-M0 the portable C. Lengths 0..200 at the four alignments, a long input at each alignment, and the
 * same bytes fed in odd-sized chunks; the M4 again with the unaligned-access trap on. Skips without
 * qemu-system-arm, arm-none-eabi-gcc or make.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes } from './host-build.js';
import { buildTargets, runOnTarget, targetToolsAvailable, type TargetElf } from './target-run.js';

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** What the harness prints for this input (see sha_checks in device/target/harness.c). */
function expected(data: Uint8Array): Record<string, string> {
  const all = createHash('sha256');
  for (let a = 0; a < 4; a++) for (let n = 0; n <= 200; n++) all.update(sha256(data.subarray(a, a + n)));
  const out: Record<string, string> = { sha_small: all.digest('hex'), sha_chunked: sha256(data.subarray(1)).toString('hex') };
  for (let a = 0; a < 4; a++) out[`sha_large${a}`] = sha256(data.subarray(a, data.length - 3 + a)).toString('hex');
  return out;
}

describe.skipIf(!targetToolsAvailable)('device SHA-256 on emulated Cortex-M4 and Cortex-M0 (QEMU)', () => {
  let build: { dir: string; cleanup(): void };
  let tmp: string;

  beforeAll(() => {
    build = buildTargets();
    tmp = mkdtempSync(path.join(tmpdir(), 'smartdelta-target-sha-'));
  }, 120_000);

  afterAll(() => {
    build?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // m4: the default build; m4-trap: with the unaligned trap on; m4-fast: the speed build; m0: the portable C (always traps).
  it.each([
    ['m4', 'h', 6007, 1],
    ['m4-trap', 'ht', 6007, 2],
    ['m4-fast', 'h', 4099, 3],
    ['m0', 'ht', 4099, 4],
  ] as [TargetElf, string, number, number][])('%s (flags %s) matches node:crypto', async (elf, flags, length, seed) => {
    const data = pseudoRandomBytes(length, seed);
    const file = path.join(tmp, `${elf}.bin`);
    writeFileSync(file, data);
    const run = await runOnTarget(build.dir, elf, [file, 'unused', 'unused', String(seed), flags]);
    expect(run.exitCode, run.output).toBe(0);
    expect(run.values.ccr_unalign_trp, run.output).toBe(flags.includes('t') ? '1' : '0');
    expect(run.values.bad, run.output).toBe('0');
    for (const [key, digest] of Object.entries(expected(data))) expect(run.values[key], `${elf} ${key}`).toBe(digest);
    expect(Number(run.values.stack_sha), run.output).toBeGreaterThan(0);
    expect(Number(run.values.stack_sha), run.output).toBeLessThanOrEqual(512);
  }, 60_000);
});
