/**
 * Issue 12, point 8: defaults that agree. simulate plans for 10 % loss without --loss, as fragment and report
 * do; simulate --min-success gates a pipeline; "-o -" is stdout in every command, as in sign --emit-message.
 * (report keeps its EU868 default region: a report is airtime figures; documented in its --help.)
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../hardening/cli-run.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-defaults-'));
const cwd = process.cwd();
beforeAll(async () => {
  copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.elf'), join(dir, 'old.elf'));
  copyFileSync(join(repo, 'fixtures/build/v2.0.0/firmware.elf'), join(dir, 'new.elf'));
  process.chdir(dir);
  expect((await runCli(['diff', 'old.elf', 'new.elf', '-o', 'p.sdp'])).code).toBe(0);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe('loss and success defaults', () => {
  it('simulate without --loss simulates and plans 10 %, the loss fragment plans for', async () => {
    const simulated = JSON.parse((await runCli(['simulate', 'p.sdp', '--frag-size', '50', '--trials', '20', '--json'])).stdout);
    const fragmented = JSON.parse((await runCli(['fragment', 'p.sdp', '--frag-size', '50', '-o', 'f.ndjson', '--json'])).stdout);
    expect(simulated.lossModel.loss).toBe(0.1);
    expect(simulated.params.loss).toBe(0.1);
    expect(fragmented.params.loss).toBe(0.1);
    expect(simulated.params.redundancy).toBe(fragmented.params.redundancy);
  });

  it('simulate --min-success sets the exit code, and the failure document still has the figures', async () => {
    const args = ['simulate', 'p.sdp', '--frag-size', '50', '--loss', '40%', '--redundancy', '2', '--trials', '30'];
    const failed = await runCli([...args, '--min-success', '99%', '--json']);
    expect(failed.code).toBe(1);
    const document = JSON.parse(failed.stdout);
    expect(document).toMatchObject({ ok: false, minSuccess: 0.99, error: { code: 'check-failed' } });
    expect(document.simulation.successRate).toBeLessThan(0.99);
    expect(failed.stderr).toMatch(/success rate .* is below --min-success 99/);
    expect((await runCli([...args, '--min-success', '0%'])).code).toBe(0);
    expect((await runCli([...args, '--min-success', 'most'])).code).toBe(2);
  });
});

describe('-o - is stdout', () => {
  it('fragment -o - prints the NDJSON and its summary goes to stderr; reassemble reads it back', async () => {
    const run = await runCli(['fragment', 'p.sdp', '--frag-size', '50', '-o', '-']);
    expect(run.code).toBe(0);
    expect(existsSync('-')).toBe(false);
    const lines = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(lines[0]!.kind).toBe('setup');
    expect(run.stderr).toMatch(/FragSessionSetupReq/);
    writeFileSync('piped.ndjson', run.stdout);
    expect((await runCli(['reassemble', 'piped.ndjson', '-o', 'back.sdp'])).code).toBe(0);
    expect(readFileSync('back.sdp')).toEqual(readFileSync('p.sdp'));
  });

  it('-o - with --json, and a private key to stdout, are usage errors', async () => {
    const json = await runCli(['fragment', 'p.sdp', '--frag-size', '50', '-o', '-', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.message).toMatch(/-o - writes the output to stdout, where --json prints its document/);
    const key = await runCli(['keygen', '-o', '-']);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/a private key is never printed/);
  });
});
