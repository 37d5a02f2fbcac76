/** `smartdelta report`, run as a user runs it (from the sources through tsx): pair, --patch, --html, --fleet. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleetReport, type FleetReport, type PairReport } from '../../src/report/index.js';
import { fixture, fixturePath, repo, VERSIONS } from './fixtures.js';

const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-report-'));
const file = (name: string): string => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smartdelta(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsxLoader, entry, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const v = (version: string): string => fixturePath(version);
const BASE = ['--base', '0x08000000'];

describe('smartdelta report', () => {
  it('with --patch: every size equals a real file, and the HTML is written once without --force', () => {
    const given = file('given.sdp');
    const plain = file('plain.sdp');
    expect(smartdelta(['diff', v('1.0.0'), v('1.1.0'), ...BASE, '-o', given, '--version-to', '1.1.0']).status).toBe(0);
    expect(smartdelta(['diff', v('1.0.0'), v('1.1.0'), ...BASE, '--arch', 'none', '-o', plain]).status).toBe(0);
    const run = smartdelta(['report', v('1.0.0'), v('1.1.0'), ...BASE, '--patch', given, '--dr', '0,3-5', '--html', 'r.html', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as PairReport & { schema: string; output: string };
    const size = (kind: string): number => doc.deliverables.find((d) => d.kind === kind)!.size;
    expect(size('raw')).toBe(statSync(v('1.1.0')).size);
    expect(size('patch')).toBe(statSync(given).size);
    expect(size('plain')).toBe(statSync(plain).size);
    expect(doc.delta).toBe('patch');
    expect(doc.rows.map((r) => r.dr)).toEqual([0, 3, 4, 5]);
    expect(doc.output).toBe('r.html');
    expect(readFileSync(file('r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);

    const again = smartdelta(['report', v('1.0.0'), v('1.1.0'), ...BASE, '--patch', given, '--html', 'r.html']);
    expect(again.status).toBe(4);
    expect(again.stderr).toMatch(/exists; use --force/);
    expect(smartdelta(['report', v('1.0.0'), v('1.1.0'), ...BASE, '--patch', given, '--dr', '5', '--html', 'r.html', '--force']).status).toBe(0);
  });

  it('prints the table on stdout, without colors when not on a terminal', () => {
    const run = smartdelta(['report', v('1.2.0'), v('2.0.0'), ...BASE, '--region', 'US915']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^smartdelta report: /);
    expect(run.stdout).toMatch(/^DR13 SF7\/500 +239 +98\.6 ms/m);
    expect(run.stdout).not.toMatch(/\u001b\[/);
  });

  it('refuses a patch made for another upgrade (exit 1) and bad command lines (exit 2)', () => {
    const wrong = smartdelta(['report', v('1.0.1'), v('1.1.0'), ...BASE, '--patch', file('given.sdp')]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: (the patch applies to|wrong base image)/m);
    const usage: Array<[string[], RegExp]> = [
      [['report', v('1.0.0')], /needs <old> and <new>/],
      [['report', '--fleet', v('1.0.0')], /--fleet <images...> and --to <image> go together/],
      [['report', v('1.0.0'), v('1.1.0'), '--dr', '5-3'], /--dr range 5-3 runs backwards/],
      // Checked before any patch is built, in the fleet as in a pair.
      [['report', '--fleet', v('1.0.0'), v('1.1.0'), '--to', v('2.0.0'), '--region', 'CN470', '--dr', '0'], /CN470 DR0 cannot carry a downlink frame/],
    ];
    for (const [args, message] of usage) {
      const run = smartdelta(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });

  it('--fleet over the fixture releases: one entry per deployed version, the same figures from the worker pool', async () => {
    const deployed = VERSIONS.slice(0, -1);
    const run = smartdelta(['report', '--fleet', ...deployed.map(v), '--to', v('2.0.0'), ...BASE, '--dr', '0,5', '--jobs', '2', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as FleetReport;
    expect(doc.kind).toBe('fleet');
    expect(doc.entries.map((e) => e.old.name)).toEqual(deployed.map(v));
    expect(doc.to.size).toBe(statSync(v('2.0.0')).size);
    const inThread = await buildFleetReport(deployed.map(fixture), fixture('2.0.0'), { drs: [0, 5], workers: 1 });
    doc.entries.forEach((e, i) => {
      expect(e.deliverables).toEqual(inThread.entries[i]!.deliverables);
      expect(e.rows).toEqual(inThread.entries[i]!.rows);
    });
  });

  it('the worker pool hands an error back with its exit code and stops', () => {
    // Through the library (options the CLI would refuse): the failure happens inside the workers.
    const script = `
      import { buildFleetReport } from ${JSON.stringify(pathToFileURL(join(repo, 'src/report/index.ts')).href)};
      import { fixture } from ${JSON.stringify(pathToFileURL(join(repo, 'test/report/fixtures.ts')).href)};
      try {
        await buildFleetReport([fixture('1.0.0'), fixture('1.1.0')], fixture('2.0.0'), { drs: [5], redundancy: -1, workers: 2 });
        console.log('no error');
      } catch (err) {
        console.log(JSON.stringify({ name: err.name, exitCode: err.exitCode, message: err.message }));
      }`;
    const r = spawnSync(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    // Exits by itself (no worker left running), well before the timeout.
    expect([r.status, r.signal]).toEqual([0, null]);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'UsageError', exitCode: 2, message: 'redundancy must be a non-negative number of coded fragments, got -1' });
  });
});
