/**
 * Issue 12, point 3: with --json every command prints exactly one JSON document on stdout, on success and on
 * failure, and that document validates against the published schema (docs/schema/output.schema.json).
 * Runs the CLI in this process (test/hardening/cli-run.ts) from a scratch folder with the fixtures.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../hardening/cli-run.js';
import { validate } from './json-schema.js';

const repo = resolve(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(join(repo, 'docs/schema/output.schema.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-json-'));
const cwd = process.cwd();

beforeAll(() => {
  copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.elf'), join(dir, 'old.elf'));
  copyFileSync(join(repo, 'fixtures/build/v1.1.0/firmware.elf'), join(dir, 'new.elf'));
  copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.bin'), join(dir, 'old.bin'));
  writeFileSync(join(dir, 'garbage.sdp'), 'not a patch at all');
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs with --json; checks the one-document contract and the schema; returns the document. */
async function json(args: string[], exitCode: number): Promise<Record<string, any>> {
  const run: CliRun = await runCli([...args, '--json']);
  expect(run.code, `${args.join(' ')}\n${run.stderr}\n${run.stdout}`).toBe(exitCode);
  const document = JSON.parse(run.stdout) as Record<string, any>;
  expect(validate(schema, document), `${args.join(' ')}: ${run.stdout}`).toEqual([]);
  expect(document.exitCode).toBe(exitCode);
  expect(document.ok).toBe(exitCode === 0);
  if (exitCode !== 0) expect(run.stderr).toContain(document.error.message);
  return document;
}

// In order: later commands use the files earlier ones write.
describe('--json on success and on failure, against docs/schema/output.schema.json', () => {
  it('diff', async () => {
    const ok = await json(['diff', 'old.elf', 'new.elf', '-o', 'update.sdp', '--version-to', '1.1.0'], 0);
    expect(ok).toMatchObject({ command: 'diff', output: 'update.sdp', patch: { versionTo: '1.1.0', keyId: null, securityCounter: null } });
    expect(ok.size).toBe(ok.patch.patchSize);
    expect((await json(['diff', 'old.elf', 'new.elf', '-o', 'x.sdp', '--arch', 'arm'], 2)).error.code).toBe('usage');
    expect((await json(['diff', 'missing.elf', 'new.elf', '-o', 'x.sdp'], 4)).error.code).toBe('io');
  });

  it('keygen, getpub and sign', async () => {
    const key = await json(['keygen', '-o', 'release.pem', '--pub-out', 'release.pub.pem'], 0);
    expect(key.output).toBe('release.pem');
    expect((await json(['keygen', '-o', 'release.pem'], 4)).error.code).toBe('io');
    const printed = await json(['getpub', '-k', 'release.pem', '-e', 'hex'], 0);
    expect(printed).toMatchObject({ output: null, size: null, keyId: key.keyId, text: `${key.publicKey}\n` });
    expect((await json(['getpub', '-k', 'release.pem', '-o', 'k.c', '-e', 'c'], 0)).text).toBeNull();
    await json(['getpub', '-k', 'nothing.pem'], 4);
    expect(await json(['sign', 'update.sdp', '-k', 'release.pem', '-o', 'signed.sdp'], 0)).toMatchObject({ output: 'signed.sdp', keyId: key.keyId, replacedKeyId: null, message: null });
    expect((await json(['sign', 'update.sdp', '--pub', 'release.pub.pem', '--emit-message', '-'], 0)).message).toMatch(/^[0-9a-f]{118}$/);
    await json(['sign', 'update.sdp'], 2);
  });

  it('apply, info and verify, with full hashes', async () => {
    const applied = await json(['apply', 'old.elf', 'signed.sdp', '-o', 'new.bin', '--pub', 'release.pub.pem'], 0);
    expect(applied).toMatchObject({ output: 'new.bin', signatureVerified: true });
    expect(applied.sha256).toBe(applied.patch.new.sha256);
    expect((await json(['apply', 'new.elf', 'update.sdp', '-o', 'wrong.bin'], 1)).error.code).toBe('check-failed');
    expect((await json(['info', 'signed.sdp'], 0)).patch.signed).toBe(true);
    expect((await json(['info', 'garbage.sdp'], 3)).error.code).toBe('invalid-input');
    const verified = await json(['verify', 'signed.sdp', '--pub', 'release.pub.pem', '--old', 'old.elf', '--new', 'new.bin'], 0);
    // Format v2 keeps the first 8 bytes of the base image's SHA-256; verify reports the full hashes of the images.
    expect(verified.images.old.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(verified.patch.old.sha256Prefix).toMatch(/^[0-9a-f]{16}$/);
    expect(verified.images.old.sha256.slice(0, 16)).toBe(verified.patch.old.sha256Prefix);
    expect(verified.images.new.sha256).toBe(verified.patch.new.sha256);
    const failed = await json(['verify', 'update.sdp', '--pub', 'release.pub.pem'], 1);
    expect(failed.checks.find((c: { name: string }) => c.name === 'signature-block').ok).toBe(false);
    expect((await json(['verify', 'garbage.sdp', '--pub', 'release.pub.pem'], 1)).patch).toBeNull();
  });

  it('fragment, reassemble and simulate', async () => {
    const fragmented = await json(['fragment', 'signed.sdp', '--region', 'EU868', '--dr', '5', '-o', 'f.ndjson'], 0);
    expect(fragmented.params).toMatchObject({ region: 'EU868', mic: null, sessionCnt: null });
    expect((await json(['fragment', 'signed.sdp', '-o', 'g.ndjson', '--region', 'XX999', '--dr', '5'], 2)).error.code).toBe('usage');
    const whole = await json(['reassemble', 'f.ndjson', '-o', 'back.sdp'], 0);
    expect(whole.checks.map((c: { name: string }) => c.name)).toContain('sha256');
    expect(readFileSync('back.sdp')).toEqual(readFileSync('signed.sdp'));
    const short = await json(['reassemble', 'f.ndjson', '-o', 'none.sdp', '--drop', '95%'], 1);
    expect(short.reason).toBe('not-enough-fragments');
    expect((await json(['simulate', 'signed.sdp', '--region', 'EU868', '--dr', '5', '--loss', '20%', '--trials', '20'], 0)).simulation.trials).toBe(20);
    await json(['simulate', 'signed.sdp', '--region', 'EU868', '--dr', '5', '--trials', 'many'], 2);
    const gated = await json(['simulate', 'signed.sdp', '--frag-size', '20', '--loss', '50%', '--redundancy', '1', '--trials', '20', '--min-success', '100%'], 1);
    expect(gated).toMatchObject({ minSuccess: 1, error: { code: 'check-failed' } });
  });

  it('report', async () => {
    const pair = await json(['report', 'old.elf', 'new.elf', '--dr', '5', '--html', 'r.html'], 0);
    expect(pair).toMatchObject({ kind: 'pair', output: 'r.html' });
    await json(['report', 'old.elf'], 2);
  });

  it('parse errors and an unknown command', async () => {
    expect((await json(['diff', 'old.elf', 'new.elf', '--ouput', 'x.sdp'], 2)).error.message).toMatch(/unknown option '--ouput'.*--output/);
    expect((await json(['frobnicate'], 2)).command).toBeNull();
  });
});
