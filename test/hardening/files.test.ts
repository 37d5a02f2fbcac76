/**
 * Output files (issue 7, docs/SECURITY.md "Files"): written to a temporary file and renamed, all or nothing
 * for commands with several outputs, never through a prepared temporary path, and nothing left behind by a
 * failed or interrupted run.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOutputFile, writeOutputFiles } from '../../src/cli/files.js';
import { IoError } from '../../src/errors.js';
import { runCli } from './cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'smartdelta-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writing outputs', () => {
  it('keygen whose public key cannot be written leaves no private key behind (it did)', async () => {
    const key = join(dir, 'k1.pem');
    const run = await runCli(['keygen', '-o', key, '--pub-out', join(dir, 'missing-dir', 'k1.pub.pem')]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error: cannot write .*missing-dir\/k1\.pub\.pem: no such file or directory\n$/);
    expect(existsSync(key)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('several outputs: a failure on the last one removes the temporary files of the others', () => {
    const a = join(dir, 'a.bin');
    expect(() => writeOutputFiles([{ path: a, data: 'a' }, { path: join(dir, 'nope', 'b.bin'), data: 'b' }])).toThrow(IoError);
    expect(existsSync(a)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('the temporary file is created exclusively: a symlink planted at its path is not followed (it was)', () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const out = join(dir, 'secret.pem');
    symlinkSync(victim, join(dir, `.secret.pem.${process.pid}.tmp`));
    writeOutputFile(out, 'PRIVATE', { mode: 0o600 });
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(out).isSymbolicLink()).toBe(false);
    expect(readFileSync(out, 'utf8')).toBe('PRIVATE');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('main() can be called many times without piling up stream listeners (it added two per call)', async () => {
    await runCli(['--version']);
    const before = process.stdout.listenerCount('error');
    for (let i = 0; i < 12; i++) await runCli(['--version']);
    expect(process.stdout.listenerCount('error')).toBe(before);
  });
});

describe('an output that is a directory', () => {
  it('is refused before any work, even with --force, so keygen writes neither key (it wrote the private key)', async () => {
    const key = join(dir, 'k2.pem');
    const run = await runCli(['keygen', '-o', key, '--pub-out', dir, '--force']);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`error: output ${dir} is a directory\n`);
    expect(existsSync(key)).toBe(false);
  });
});

describe('reading inputs', () => {
  it.skipIf(!existsSync('/dev/zero'))('a never-ending input such as /dev/zero is refused at 512 MiB (it was read until memory ran out)', async () => {
    const run = await runCli(['info', '/dev/zero']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('error: patch /dev/zero is larger than 512 MiB, more than any input needs (is it the right file?)\n');
  });

  it('a directory as input is an I/O error naming it', async () => {
    const run = await runCli(['info', dir]);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`error: cannot read patch ${dir}: is a directory\n`);
  });
});
