/**
 * Issue 12, points 1 and 6: the spinner on a real terminal. A pseudo-terminal (util-linux `script`) that reports
 * 0 columns made ora clear lines forever; NO_COLOR did not reach ora's frame color. Each run has a time limit
 * so a regression fails the test instead of hanging the suite.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-tty-'));
copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.elf'), join(dir, 'a.elf'));
copyFileSync(join(repo, 'fixtures/build/v1.1.0/firmware.elf'), join(dir, 'b.elf'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal of the given size; the command's exit code is echoed after it. */
function onTerminal(columns: number, args: string[], env: Record<string, string> = {}): { status: number | null; output: string; timedOut: boolean } {
  const command = [process.execPath, '--import', tsxLoader, entry, ...args].map(quote).join(' ');
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}; `).join('');
  const { CI: _ci, NO_COLOR: _nc, FORCE_COLOR: _fc, ...base } = process.env;
  const run = spawnSync('script', ['-qec', `stty cols ${columns} rows ${columns ? 30 : 0}; ${exports}${command}; echo "[exit $?]"`, '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...base, TERM: 'xterm-256color' },
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const code = /\[exit (\d+)\]/.exec(run.stdout);
  return { status: code ? Number(code[1]) : null, output: run.stdout, timedOut: run.error !== undefined };
}

describe.skipIf(!hasScript)('spinner on a pseudo-terminal', () => {
  it('diff finishes on a terminal of 0 columns, with no spinner output', () => {
    const run = onTerminal(0, ['diff', 'a.elf', 'b.elf', '-o', 'zero.sdp']);
    expect(run.timedOut).toBe(false);
    expect(run.status, run.output.slice(0, 400)).toBe(0);
    expect(run.output).not.toContain('\u001b[1A');
    expect(run.output.length).toBeLessThan(2000);
  });

  it('report finishes on a terminal of 0 columns', () => {
    const run = onTerminal(0, ['report', 'a.elf', 'b.elf', '--dr', '5']);
    expect(run.timedOut).toBe(false);
    expect(run.status, run.output.slice(0, 400)).toBe(0);
    expect(run.output).not.toContain('\u001b[1A');
  });

  it('a normal terminal shows the spinner, in color without NO_COLOR and without color with it', () => {
    const colored = onTerminal(100, ['diff', 'a.elf', 'b.elf', '-o', 'color.sdp']);
    expect(colored.status).toBe(0);
    expect(colored.output).toContain('creating patch');
    expect(colored.output).toContain('\u001b[36m');
    const plain = onTerminal(100, ['diff', 'a.elf', 'b.elf', '-o', 'plain.sdp'], { NO_COLOR: '1' });
    expect(plain.status).toBe(0);
    expect(plain.output).toContain('creating patch');
    expect(plain.output).not.toMatch(/\u001b\[3\dm/);
  });
});
