/**
 * Issue 12, point 2: one build, one image. The .bin, .hex and .elf of a build load as the same bytes (gaps
 * between sections read 0x00 in all three), --gap-fill chooses another fill, and a wrong-base error says
 * when the images differ only in gap bytes.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOutputProblem, runCli } from '../hardening/cli-run.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-gaps-'));
const cwd = process.cwd();
beforeAll(() => {
  for (const ext of ['bin', 'hex', 'elf']) {
    copyFileSync(join(repo, `fixtures/build/v1.0.0/firmware.${ext}`), join(dir, `old.${ext}`));
    copyFileSync(join(repo, `fixtures/build/v1.1.0/firmware.${ext}`), join(dir, `new.${ext}`));
  }
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe('gap fill through the CLI', () => {
  it('a patch made from the .elf applies to the .hex and the .bin of the same build, and diff gives one patch from any of them', async () => {
    expect((await runCli(['diff', 'old.elf', 'new.elf', '-o', 'elf.sdp'])).code).toBe(0);
    expect((await runCli(['diff', 'old.hex', 'new.hex', '-o', 'hex.sdp'])).code).toBe(0);
    expect((await runCli(['diff', 'old.hex', 'new.elf', '-o', 'mixed.sdp'])).code).toBe(0);
    expect(readFileSync('hex.sdp')).toEqual(readFileSync('elf.sdp'));
    expect(readFileSync('mixed.sdp')).toEqual(readFileSync('elf.sdp'));
    for (const old of ['old.hex', 'old.bin', 'old.elf']) {
      const run = await runCli(['apply', old, 'elf.sdp', '-o', `from-${old}.bin`]);
      expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(`from-${old}.bin`)).toEqual(readFileSync('new.bin'));
    }
  });

  it('--gap-fill 0xff models erased flash; the wrong-base error then names the fill that matches', async () => {
    expect((await runCli(['diff', 'old.hex', 'new.hex', '--gap-fill', '0xff', '-o', 'erased.sdp'])).code).toBe(0);
    expect(readFileSync('erased.sdp')).not.toEqual(readFileSync('elf.sdp'));
    const wrong = await runCli(['apply', 'old.elf', 'erased.sdp', '-o', 'never.bin']);
    expect(wrong.code).toBe(1);
    expect(errorOutputProblem(wrong)).toBeUndefined();
    expect(wrong.stderr).toMatch(/^error: wrong base image: .*old\.elf differs from it only in gap bytes .* matches with --gap-fill 0xff/);
    expect((await runCli(['keygen', '-o', 'k.pem', '--pub-out', 'k.pub.pem'])).code).toBe(0);
    expect((await runCli(['sign', 'erased.sdp', '-k', 'k.pem', '-o', 'signed.sdp'])).code).toBe(0);
    const verify = await runCli(['verify', 'signed.sdp', '--pub', 'k.pub.pem', '--old', 'old.hex']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/base-image check: .* matches with --gap-fill 0xff/);
    const right = await runCli(['apply', 'old.elf', 'erased.sdp', '--gap-fill', '255', '-o', 'erased.bin']);
    expect(right.code, right.stderr).toBe(0);
  });

  it('a .bin has no gaps to fill: no hint, and a bad --gap-fill is a usage error', async () => {
    const wrong = await runCli(['apply', 'old.bin', 'erased.sdp', '-o', 'never.bin']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toMatch(/gap/);
    const bad = await runCli(['apply', 'old.hex', 'erased.sdp', '--gap-fill', '256', '-o', 'never.bin']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--gap-fill must be an integer from 0 to 255/);
  });
});
