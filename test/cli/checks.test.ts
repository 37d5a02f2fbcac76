/**
 * Issue 12, point 7: the checks a user expects. apply --min-counter; apply of a signed patch without --pub says
 * the signature went unchecked; verify --pub takes the key as hex, and without --pub says where the checks of
 * an unsigned patch are; sign -k with a public key says so without a file-mode warning first.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOutputProblem, runCli } from '../hardening/cli-run.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-checks-'));
const cwd = process.cwd();
beforeAll(async () => {
  copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.elf'), join(dir, 'old.elf'));
  copyFileSync(join(repo, 'fixtures/build/v1.1.0/firmware.elf'), join(dir, 'new.elf'));
  process.chdir(dir);
  expect((await runCli(['keygen', '-o', 'k.pem', '--pub-out', 'k.pub.pem'])).code).toBe(0);
  expect((await runCli(['diff', 'old.elf', 'new.elf', '-o', 'counted.sdp', '--security-counter', '9', '-k', 'k.pem'])).code).toBe(0);
  expect((await runCli(['diff', 'old.elf', 'new.elf', '-o', 'plain.sdp'])).code).toBe(0);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe('apply', () => {
  it('--min-counter refuses a rollback and a patch without a counter, before writing anything', async () => {
    const low = await runCli(['apply', 'old.elf', 'counted.sdp', '-o', 'a.bin', '--pub', 'k.pub.pem', '--min-counter', '10']);
    expect(low.code).toBe(1);
    expect(errorOutputProblem(low)).toBeUndefined();
    expect(low.stderr).toMatch(/security counter 9 is below the minimum 10/);
    const none = await runCli(['apply', 'old.elf', 'plain.sdp', '-o', 'b.bin', '--min-counter', '0']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/the patch has no security counter/);
    expect((await runCli(['apply', 'old.elf', 'counted.sdp', '-o', 'c.bin', '--pub', 'k.pub.pem', '--min-counter', '9'])).code).toBe(0);
  });

  it('a signed patch applied without --pub: a warning that the signature was not checked', async () => {
    const run = await runCli(['apply', 'old.elf', 'counted.sdp', '-o', 'd.bin']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: counted\.sdp is signed \(key id [0-9a-f]{16}\) but its signature was not checked; give --pub/);
    const json = await runCli(['apply', 'old.elf', 'counted.sdp', '-o', 'e.bin', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ signatureVerified: false, warnings: [expect.stringMatching(/signature was not checked/)] });
    expect((await runCli(['apply', 'old.elf', 'plain.sdp', '-o', 'f.bin'])).stderr).toBe('');
  });
});

describe('verify and sign', () => {
  it('verify --pub accepts the key as 64 hex digits', async () => {
    const hex = (await runCli(['getpub', '-k', 'k.pub.pem', '-e', 'hex'])).stdout.trim();
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    const run = await runCli(['verify', 'counted.sdp', '--pub', hex, '--old', 'old.elf', '--min-counter', '9']);
    expect(run.code, run.stderr).toBe(0);
    expect((await runCli(['keygen', '-o', 'other.pem'])).code).toBe(0);
    const other = (await runCli(['getpub', '-k', 'other.pem', '-e', 'hex'])).stdout.trim();
    expect((await runCli(['verify', 'counted.sdp', '--pub', other])).code).toBe(1);
  });

  it('verify without --pub runs the checks of an unsigned patch (base, result, counter), and needs one of them', async () => {
    const ok = await runCli(['verify', 'plain.sdp', '--old', 'old.elf', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const names = JSON.parse(ok.stdout).checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(['format', 'base-image', 'result']);
    const rollback = await runCli(['verify', 'plain.sdp', '--min-counter', '1']);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/security-counter/);
    const nothing = await runCli(['verify', 'plain.sdp']);
    expect(nothing.code).toBe(2);
    expect(errorOutputProblem(nothing)).toBeUndefined();
    expect(nothing.stderr).toMatch(/verify needs --pub <key> to check the signature, or --old, --new or --min-counter/);
  });

  it.skipIf(process.platform === 'win32')('sign -k with a public key: one error, no file-mode warning', async () => {
    chmodSync('k.pub.pem', 0o644);
    const run = await runCli(['sign', 'plain.sdp', '-k', 'k.pub.pem', '-o', 'signed.sdp']);
    expect(run.code).toBe(3);
    expect(run.stderr).not.toMatch(/warning/);
    expect(errorOutputProblem(run)).toBeUndefined();
    expect(run.stderr).toMatch(/public key/);
  });
});
