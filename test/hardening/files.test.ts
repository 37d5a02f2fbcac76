/**
 * Output files (issue 7, docs/SECURITY.md "Files"): written to a temporary file and renamed, all or nothing
 * for commands with several outputs, never through a prepared temporary path, and nothing left behind by a
 * failed or interrupted run.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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

describe('--force replaces regular files only (issue 16: it replaced devices, FIFOs and symlinks)', () => {
  // Through symlinks and a FIFO in a temporary folder only: a regression must never touch /dev itself.
  const fifo = join(dir, 'fifo');
  const cases: Array<[string, () => string, RegExp]> = [
    ['a FIFO', () => fifo, /is a FIFO, not a regular file; --force replaces only regular files/],
    ['a symlink to a character device (/dev/null)', () => link('to-null', '/dev/null'), /is a symbolic link \(to a character device; give the path it points to\), not a regular file/],
    ['a symlink to a FIFO', () => link('to-fifo', fifo), /is a symbolic link \(to a FIFO; give the path it points to\)/],
    ['a symlink to a regular file (/dev/stdout is one when stdout is a file)', () => link('to-file', join(dir, 'target.bin')), /is a symbolic link \(to a regular file; give the path it points to\)/],
    ['a dangling symlink', () => link('dangling', join(dir, 'nothing-here')), /is a symbolic link \(to nothing; give the path it points to\)/],
  ];
  function link(name: string, target: string): string {
    const at = join(dir, name);
    rmSync(at, { force: true });
    symlinkSync(target, at);
    return at;
  }
  for (const [what, make, message] of cases) {
    it.skipIf(process.platform === 'win32')(`refuses ${what}, with exit 4 before any work, and leaves it as it was`, async () => {
      if (!existsSync(fifo)) execFileSync('mkfifo', [fifo]);
      writeFileSync(join(dir, 'target.bin'), 'keep');
      const output = make();
      const before = lstatSync(output);
      const run = await runCli(['keygen', '-o', output, '--force']);
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toMatch(new RegExp(`^error: output ${output.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ${message.source}`));
      expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      const after = lstatSync(output);
      expect([after.mode, after.ino]).toEqual([before.mode, before.ino]);
      expect(readFileSync(join(dir, 'target.bin'), 'utf8')).toBe('keep');
    });
  }
});
