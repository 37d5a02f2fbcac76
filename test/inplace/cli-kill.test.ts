/**
 * Issue 14: `apply` of an in-place patch killed with SIGKILL at random moments, 50 times, never leaves a file
 * under the output name unless it is the complete new image (the CLI writes a temporary file and renames it,
 * docs/CLI.md "Output files"; SIGKILL cannot be caught, so a temporary file may stay behind, never the output).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { prng } from './flash-model.js';

const REPO = join(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/smartdelta.js');
const built = existsSync(join(REPO, 'dist/cli/main.js'));
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!built)('SIGKILL during apply of an in-place patch', () => {
  it('50 kills at random moments: the output is absent or exactly the new image', async () => {
    // A 1 MiB image whose second half moved down by 3 KiB and with a byte changed every 2 KiB.
    const random = prng(0x5d14);
    const old = new Uint8Array(1024 * 1024).map(() => Math.floor(random() * 256));
    const neu = new Uint8Array(old.length);
    neu.set(old.subarray(0, 512 * 1024));
    neu.set(old.subarray(512 * 1024 + 3072), 512 * 1024);
    for (let i = 0; i < neu.length; i += 2048) neu[i] = neu[i]! ^ 0x5a;
    const { bytes } = await createPatch({ data: old, loadAddress: 0 }, { data: neu, loadAddress: 0 }, { arch: 'none', inPlace: { slotSize: 1024 * 1024, eraseUnit: 16 * 1024, writeUnit: 8 } });
    writeFileSync(join(dir, 'old.bin'), old);
    writeFileSync(join(dir, 'patch.sdp'), bytes);
    // One whole run, timed, so the kills spread over start-up, the work and the write.
    const started = process.hrtime.bigint();
    const whole = spawnSync(process.execPath, [CLI, 'apply', join(dir, 'old.bin'), join(dir, 'patch.sdp'), '-o', join(dir, 'whole.bin')], { encoding: 'utf8' });
    const wholeMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(whole.status, whole.stderr).toBe(0);
    expect(Buffer.from(readFileSync(join(dir, 'whole.bin'))).equals(Buffer.from(neu))).toBe(true);
    let absent = 0;
    for (let i = 0; i < 50; i++) {
      const out = join(dir, `out-${i}.bin`);
      const child = spawn(process.execPath, [CLI, 'apply', join(dir, 'old.bin'), join(dir, 'patch.sdp'), '-o', out], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, random() * wholeMs * 1.1));
      child.kill('SIGKILL');
      await exited;
      if (!existsSync(out)) absent++;
      else expect(Buffer.from(readFileSync(out)).equals(Buffer.from(neu)), `run ${i}: a partial output`).toBe(true);
    }
    console.log(`SIGKILL x50 (one run ${wholeMs.toFixed(0)} ms): ${absent} left no output, ${50 - absent} had finished`);
    expect(absent).toBeGreaterThan(10);
  }, 600_000);
});
