/**
 * Issue 12, point 4: wrong files are refused by name or explained. A patch given as an image, a patch and an
 * image swapped in apply, identical images, a --base the vector table contradicts, fragments too large for
 * any LoRaWAN downlink.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOutputProblem, runCli } from '../hardening/cli-run.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-wrong-'));
const cwd = process.cwd();
beforeAll(async () => {
  for (const ext of ['bin', 'elf']) {
    copyFileSync(join(repo, `fixtures/build/v1.0.0/firmware.${ext}`), join(dir, `old.${ext}`));
    copyFileSync(join(repo, `fixtures/build/v1.1.0/firmware.${ext}`), join(dir, `new.${ext}`));
  }
  process.chdir(dir);
  expect((await runCli(['diff', 'old.elf', 'new.elf', '-o', 'update.sdp'])).code).toBe(0);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe('wrong files', () => {
  it('a patch given as the new image is refused by name, with no patch written', async () => {
    const run = await runCli(['diff', 'old.elf', 'update.sdp', '-o', 'nested.sdp']);
    expect(run.code).toBe(3);
    expect(errorOutputProblem(run)).toBeUndefined();
    expect(run.stderr).toMatch(/^error: update\.sdp is a smartdelta patch, not a firmware image \(new image expected\)$/m);
    expect(existsSync('nested.sdp')).toBe(false);
  });

  it('apply with the patch and the image swapped names both and the right order', async () => {
    const run = await runCli(['apply', 'update.sdp', 'old.elf', '-o', 'new-image.bin']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: old\.elf is not a smartdelta patch .*; update\.sdp is one: the order is "smartdelta apply <old image> <patch> -o <new image>"$/m);
  });

  it('identical old and new images: a warning, still exit 0', async () => {
    const run = await runCli(['diff', 'old.elf', 'old.bin', '-o', 'same.sdp', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).warnings).toEqual(['old.elf and old.bin are the same image: the patch changes nothing']);
  });

  it('a --base the vector table contradicts is warned about', async () => {
    const run = await runCli(['diff', 'old.bin', 'new.bin', '--base', '0x08004000', '-o', 'shifted.sdp']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: old\.bin: --base 0x08004000 disagrees with the vector table, which says 0x08000000/);
    const right = await runCli(['diff', 'old.bin', 'new.bin', '--base', '0x08000000', '-o', 'right.sdp']);
    expect(right.stderr).toBe('');
  });

  it('--frag-size above what any LoRaWAN downlink carries, without --region: a warning', async () => {
    const run = await runCli(['fragment', 'update.sdp', '--frag-size', '250', '-o', 'big.ndjson', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).warnings.join('\n')).toMatch(/250-byte fragments fit no LoRaWAN downlink: the largest DataFragment any region carries is 239 bytes/);
    const fits = await runCli(['fragment', 'update.sdp', '--frag-size', '239', '-o', 'fits.ndjson', '--json']);
    expect(JSON.parse(fits.stdout).warnings.join('\n')).not.toMatch(/fit no LoRaWAN/);
  });
});
