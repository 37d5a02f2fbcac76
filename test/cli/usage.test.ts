/**
 * Issue 12, point 5: usage errors come before file checks, a mistyped option is named with a suggestion, and
 * every error (commander's parse errors included) is one line on stderr.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOutputProblem, runCli } from '../hardening/cli-run.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-usage-'));
const cwd = process.cwd();
beforeAll(() => {
  copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.elf'), join(dir, 'old.elf'));
  copyFileSync(join(repo, 'fixtures/build/v1.1.0/firmware.elf'), join(dir, 'new.elf'));
  for (const name of ['exists.sdp', 'exists.ndjson', 'exists.html']) writeFileSync(join(dir, name), 'already here');
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

async function usage(args: string[], message: RegExp): Promise<void> {
  const run = await runCli(args);
  expect(run.code, run.stderr).toBe(2);
  expect(errorOutputProblem(run)).toBeUndefined();
  expect(run.stderr).toMatch(message);
}

describe('order of checks: a usage error wins over an existing output or a missing input', () => {
  it('fragment: a bad --region or --dr with an existing output', async () => {
    await usage(['fragment', 'exists.sdp', '--region', 'EU686', '--dr', '5', '-o', 'exists.ndjson'], /unknown region "EU686"/);
    await usage(['fragment', 'exists.sdp', '--region', 'EU868', '--dr', '9', '-o', 'exists.ndjson'], /EU868 has no downlink data rate DR9/);
    await usage(['fragment', 'missing.sdp', '--region', 'EU868', '--dr', '5', '--frag-index', '7', '-o', 'exists.ndjson'], /--frag-index/);
  });

  it('reassemble, report, diff', async () => {
    await usage(['reassemble', 'missing.ndjson', '-o', 'exists.sdp', '--drop', 'half'], /--drop/);
    await usage(['reassemble', 'missing.ndjson', '-o', 'exists.sdp', '--gen-app-key', '12'], /--gen-app-key/);
    await usage(['report', 'old.elf', 'new.elf', '--region', 'XX', '--html', 'exists.html'], /unknown region "XX"/);
    await usage(['report', 'missing.elf', 'new.elf', '--jobs', '0'], /--jobs/);
    await usage(['diff', 'missing.elf', 'new.elf', '-o', 'exists.sdp', '--old-elf', 'old.elf'], /--old-elf and --new-elf go together/);
  });
});

describe('parse errors', () => {
  it('a mistyped required option is named, with the right one suggested, on one line', async () => {
    await usage(['diff', 'old.elf', 'new.elf', '--ouput', 'x.sdp'], /^error: unknown option '--ouput' \(Did you mean --output\?\) \(run "smartdelta diff --help" for usage\)\n$/);
  });

  it('a missing required option, a missing argument, an unknown command: one line each', async () => {
    await usage(['diff', 'old.elf', 'new.elf'], /^error: required option '-o, --output <patch>' not specified/);
    await usage(['apply', 'old.elf'], /^error: missing required argument 'patch'/);
    await usage(['dif', 'old.elf'], /^error: unknown command 'dif' \(Did you mean diff\?\)/);
    await usage(['diff', 'old.elf', 'new.elf', '-o', 'x.sdp', '--arch'], /^error: option '--arch <arch>' argument missing/);
  });
});
