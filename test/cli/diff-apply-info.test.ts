/**
 * `smartdelta diff`, `apply` and `info`, run as a user runs them (from the sources through tsx): the happy
 * path with --json, and the issue 2 conventions: exit codes, one clear error line without a stack trace, no
 * partial or replaced output files.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader } from '../../src/container/header.js';
import { uvarintLength } from '../../src/delta/varint.js';
import { patchJson } from '../../src/cli/json.js';
import { GOLDEN_CASES, infoFile, patchFile } from '../golden/cases.js';

const repo = resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-diff-'));
const file = (name: string): string => join(dir, name);
const fixtureFile = (version: string, ext = 'bin'): string => join(repo, 'fixtures/build', version, `firmware.${ext}`);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously, so independent runs can overlap. */
function smartdelta(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, entry, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** An error run: the exit code, one "error:" line on stderr matching `message`, no stack trace, nothing on stdout. */
function expectError(run: Run, status: number, message: RegExp): void {
  expect(run.status, run.stderr).toBe(status);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.stdout).toBe('');
}

/** Files in the work directory: an aborted command must leave no output and no temporary file behind. */
const listing = (): string[] => readdirSync(dir).sort();

let diffRun: Run;
let patch: Uint8Array;

beforeAll(async () => {
  copyFileSync(fixtureFile('v1.0.0'), file('old.bin'));
  copyFileSync(fixtureFile('v1.1.0'), file('new.bin'));
  diffRun = await smartdelta(['diff', 'old.bin', 'new.bin', '-o', 'update.sdp', '--json', '--version-from', '1.0.0', '--version-to', '1.1.0', '--security-counter', '9']);
  patch = new Uint8Array(readFileSync(file('update.sdp')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('happy path with --json', () => {
  it('diff writes the patch and prints exactly one JSON document (nothing on stderr)', () => {
    expect(diffRun.stderr).toBe('');
    expect(diffRun.status).toBe(0);
    const report = JSON.parse(diffRun.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ command: 'diff', ok: true, output: 'update.sdp', size: patch.length });
    expect(report.patch).toMatchObject({ patchSize: patch.length, transform: 'cortex-m', versionFrom: '1.0.0', versionTo: '1.1.0', securityCounter: 9 });
    expect((report.patch as { deviceRam: { total: number } }).deviceRam.total).toBeGreaterThan(0);
  });

  it('info --json prints the same figures as diff --json; apply --json reproduces the new image', async () => {
    const [info, apply] = await Promise.all([smartdelta(['info', 'update.sdp', '--json']), smartdelta(['apply', 'old.bin', 'update.sdp', '-o', 'out.bin', '--json'])]);
    expect(info.stderr).toBe('');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ command: 'info', output: null, input: 'update.sdp', patch: JSON.parse(diffRun.stdout).patch });

    expect(apply.stderr).toBe('');
    expect(apply.status).toBe(0);
    expect(JSON.parse(apply.stdout)).toMatchObject({ output: 'out.bin', size: statSync(file('new.bin')).size, signatureVerified: false });
    expect(readFileSync(file('out.bin')).equals(readFileSync(file('new.bin')))).toBe(true);
  });

  it('info without --json: short human lines, exit 0', async () => {
    const info = await smartdelta(['info', 'update.sdp']);
    expect(info.status).toBe(0);
    expect(info.stderr).toBe('');
    expect(info.stdout).toMatch(/^patch\s+\d/m);
    expect(info.stdout).toMatch(/device RAM/);
    expect(info.stdout).toMatch(/versions\s+1\.0\.0 -> 1\.1\.0/);
  });

  it('.hex and .elf inputs give the same patch as .bin; info --json of a golden patch equals its committed JSON', async () => {
    const golden = GOLDEN_CASES.find((c) => c.options.arch === 'cortex-m' && c.from === 'v1.0.0' && c.to === 'v1.1.0')!;
    const [fromElf, goldenInfo] = await Promise.all([
      smartdelta(['diff', fixtureFile('v1.0.0', 'elf'), fixtureFile('v1.1.0', 'elf'), '-o', 'elf.sdp', '--arch', 'cortex-m']),
      smartdelta(['info', patchFile(golden), '--json']),
    ]);
    expect(fromElf.status, fromElf.stderr).toBe(0);
    expect(readFileSync(file('elf.sdp')).equals(readFileSync(patchFile(golden)))).toBe(true);
    expect(goldenInfo.status).toBe(0);
    expect(JSON.parse(goldenInfo.stdout).patch).toEqual(patchJson(JSON.parse(readFileSync(infoFile(golden), 'utf8'))));
  });
});

describe('errors', () => {
  it('apply with the wrong old image exits 1 with a clear message and writes no file', async () => {
    copyFileSync(fixtureFile('v1.0.1'), file('wrong.bin'));
    const before = listing();
    const run = await smartdelta(['apply', 'wrong.bin', 'update.sdp', '-o', 'never.bin']);
    // The header keeps the first 8 bytes of the old image's SHA-256 (docs/FORMAT.md, "The base check").
    expectError(run, 1, /^error: wrong base image: the patch needs \d+ bytes whose SHA-256 starts [0-9a-f]{16}, got \d+ bytes with SHA-256 [0-9a-f]{64}\n$/);
    expect(listing()).toEqual(before);
  });

  it('a truncated patch, a flipped tables byte, a flipped payload byte and a flipped header byte exit 3 and write no file', async () => {
    const { header, length: headerLength } = decodeHeader(patch);
    // The new image's SHA-256 follows magic, version, flags, the sizes, the old address (and the new one when it
    // differs) and the 8-byte old check (docs/FORMAT.md, "Header").
    const addresses = header.newLoadAddress === header.oldLoadAddress ? [header.oldLoadAddress] : [header.oldLoadAddress, header.newLoadAddress];
    const newHashAt = 4 + [header.oldSize, header.newSize, ...addresses].reduce((n, v) => n + uvarintLength(v), 0) + 8;
    expect([...patch.subarray(newHashAt, newHashAt + 32)]).toEqual([...header.newSha256]);
    // This relocated patch has tables (the recognizer byte first) between header and payload.
    expect(header.tablesLength).toBeGreaterThan(0);
    const payloadAt = headerLength + header.tablesLength;
    expect(payloadAt + header.payloadLength).toBe(patch.length);
    const damaged: Record<string, Uint8Array> = {
      'truncated.sdp': patch.subarray(0, patch.length - 10),
      'tables.sdp': patch.slice(),
      'payload.sdp': patch.slice(),
      'new-hash.sdp': patch.slice(),
    };
    damaged['tables.sdp']![headerLength]! ^= 0xc0; // recognizer bits the format does not define
    damaged['payload.sdp']![payloadAt + (header.payloadLength >> 1)]! ^= 0xff;
    damaged['new-hash.sdp']![newHashAt + 5]! ^= 0x01;
    for (const [name, bytes] of Object.entries(damaged)) writeFileSync(file(name), bytes);
    const before = listing();
    const [truncated, tables, payload, newHash] = await Promise.all(Object.keys(damaged).map((name) => smartdelta(['apply', 'old.bin', name, '-o', `${name}.out`])));
    expectError(truncated!, 3, new RegExp(`^error: patch is truncated: the header declares ${header.tablesLength} bytes of tables and a ${header.payloadLength}-byte payload`));
    expectError(tables!, 3, /^error: (corrupt patch: )?unknown relocation recognizer (flags|bits) 0x/);
    expectError(payload!, 3, /^error: corrupt patch/);
    expectError(newHash!, 3, /^error: corrupt patch: the result's SHA-256 [0-9a-f]{64} differs from the expected/);
    expect(listing()).toEqual(before);
  });

  it('an existing output without --force exits 4 and leaves the file unchanged; --force replaces it', async () => {
    writeFileSync(file('taken.bin'), 'keep me');
    writeFileSync(file('taken.sdp'), 'keep me too');
    const [apply, diff] = await Promise.all([
      smartdelta(['apply', 'old.bin', 'update.sdp', '-o', 'taken.bin']),
      smartdelta(['diff', 'old.bin', 'new.bin', '-o', 'taken.sdp']),
    ]);
    expectError(apply, 4, /^error: output taken\.bin exists; use --force to replace it\n$/);
    expectError(diff, 4, /^error: output taken\.sdp exists; use --force to replace it\n$/);
    expect(readFileSync(file('taken.bin'), 'utf8')).toBe('keep me');
    expect(readFileSync(file('taken.sdp'), 'utf8')).toBe('keep me too');
    const forced = await smartdelta(['apply', 'old.bin', 'update.sdp', '-o', 'taken.bin', '--force']);
    expect(forced.status).toBe(0);
    expect(readFileSync(file('taken.bin')).equals(readFileSync(file('new.bin')))).toBe(true);
  });

  it('an output equal to an input exits 2 (even with --force) and the input is untouched', async () => {
    const oldBefore = readFileSync(file('old.bin'));
    const [apply, diff] = await Promise.all([
      smartdelta(['apply', 'old.bin', 'update.sdp', '-o', './old.bin', '--force']),
      smartdelta(['diff', 'old.bin', 'new.bin', '-o', join(dir, 'new.bin'), '--force']),
    ]);
    expectError(apply, 2, /^error: output \.\/old\.bin is also an input/);
    expectError(diff, 2, /is also an input/);
    expect(readFileSync(file('old.bin')).equals(oldBefore)).toBe(true);
    expect(readFileSync(file('new.bin')).equals(readFileSync(fixtureFile('v1.1.0')))).toBe(true);
  });

  it('usage errors exit 2: an unknown option, a bad --arch', async () => {
    const [unknown, arch] = await Promise.all([
      smartdelta(['apply', 'old.bin', 'update.sdp', '-o', 'x.bin', '--frobnicate']),
      smartdelta(['diff', 'old.bin', 'new.bin', '-o', 'x.sdp', '--arch', 'x86']),
    ]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(unknown.stderr).not.toMatch(/^\s+at /m);
    expect(unknown.stdout).toBe('');
    expectError(arch, 2, /^error: --arch must be one of auto, cortex-m, none, got "x86"/);
    expect(existsSync(file('x.sdp')) || existsSync(file('x.bin'))).toBe(false);
  });

  it('a missing input file exits 4 and names it', async () => {
    const [diff, apply] = await Promise.all([
      smartdelta(['diff', 'missing.bin', 'new.bin', '-o', 'm.sdp']),
      smartdelta(['apply', 'old.bin', 'missing.sdp', '-o', 'm.bin']),
    ]);
    expectError(diff, 4, /^error: cannot read old image missing\.bin: no such file or directory\n$/);
    expectError(apply, 4, /^error: cannot read patch missing\.sdp: no such file or directory\n$/);
    expect(existsSync(file('m.sdp')) || existsSync(file('m.bin'))).toBe(false);
  });

  it('info on a file that is not a patch exits 3 with "not a smartdelta patch"', async () => {
    const firmware = await smartdelta(['info', 'old.bin']);
    expectError(firmware, 3, /^error: old\.bin is not a smartdelta patch \(it does not start with "SD"\)\n$/);
    // A format version 1 patch is named as such.
    writeFileSync(file('v1.sdp'), Uint8Array.from([...new TextEncoder().encode('SDLT'), 1, ...new Array(120).fill(0)]));
    const v1 = await smartdelta(['info', 'v1.sdp']);
    expectError(v1, 3, /^error: a format version 1 patch \("SDLT"\); this tool reads version 2: create it again\n$/);
  });
});
