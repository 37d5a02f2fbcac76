/** `smartdelta fragment`, `reassemble` and `simulate`, run as a user runs them (from the sources through tsx). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/lorawan/index.js';

const repo = resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-lorawan-'));
const file = (name: string): string => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smartdelta(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsxLoader, entry, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rng = createRng(12);
const payload = Uint8Array.from({ length: 20_000 }, () => Math.floor(rng() * 256));
writeFileSync(file('patch.bin'), payload);

describe('smartdelta fragment / reassemble / simulate', () => {
  it('fragment writes NDJSON and reports the session and campaign as JSON', () => {
    const run = smartdelta(['fragment', 'patch.bin', '--region', 'EU868', '--dr', '3', '--loss', '20%', '-o', 'f.ndjson', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { params: Record<string, unknown>; campaign: Record<string, number>; downlinks: number; setupHex: string };
    expect(report.params).toMatchObject({ fragSize: 112, nbFrag: 179, version: 1, mode: 'fec', region: 'EU868', dr: 3 });
    expect(report.campaign.timeOnAirPerFragmentMs).toBeCloseTo(676.9, 1);
    expect(report.campaign.dutyCycle).toBe(0.1);
    const lines = readFileSync(file('f.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(1 + report.downlinks);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'setup', hex: report.setupHex });
    // An existing output is not replaced without --force.
    const again = smartdelta(['fragment', 'patch.bin', '--region', 'EU868', '--dr', '3', '-o', 'f.ndjson']);
    expect(again.status).toBe(4);
    expect(again.stderr).toMatch(/exists; use --force/);
  });

  it('reassemble with 20 % dropped gives the file back and says what it checked', () => {
    const run = smartdelta(['reassemble', 'f.ndjson', '--drop', '20%', '--seed', '3', '-o', 'out.bin']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readFileSync(file('out.bin'))).toEqual(Buffer.from(payload));
    expect(run.stdout).toMatch(/ok +SHA-256 matches/);
    expect(run.stdout).toMatch(/TS004 v1 has no integrity check on air/);
  });

  it('reassemble exits 1 and writes nothing when there are not enough fragments', () => {
    const run = smartdelta(['reassemble', 'f.ndjson', '--drop', '60%', '-o', 'short.bin', '--json']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/not enough fragments: .* nothing written/);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, reason: 'not-enough-fragments' });
    expect(existsSync(file('short.bin'))).toBe(false);
  });

  it('v2 binary file with a GenAppKey: the MIC is checked on reassembly, and a wrong key fails', () => {
    const key = '2b7e151628aed2a6abf7158809cf4f3c';
    const made = smartdelta(['fragment', 'patch.bin', '--frag-size', '200', '--ts004', '2', '--gen-app-key', key, '--session-cnt', '5', '--format', 'binary', '-o', 'f.bin']);
    expect(made.status).toBe(0);
    const ok = smartdelta(['reassemble', 'f.bin', '--gen-app-key', key, '-o', 'v2.bin', '--json']);
    expect(ok.status).toBe(0);
    expect((JSON.parse(ok.stdout) as { checks: { name: string; detail: string }[] }).checks).toContainEqual({ name: 'mic', ok: true, detail: 'v2 data-block MIC matches' });
    const bad = smartdelta(['reassemble', 'f.bin', '--gen-app-key', key.replace('2b', '2c'), '-o', 'bad.bin']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/MIC does not match/);
  });

  it('device limits refuse up front (exit 2) naming the option to change', () => {
    const run = smartdelta(['fragment', 'patch.bin', '--region', 'EU868', '--dr', '0', '--device-max-frags', '100', '-o', 'x.ndjson']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--device-max-frags/);
    const lost = smartdelta(['fragment', 'patch.bin', '--frag-size', '48', '--loss', '30%', '--device-max-lost', '40', '-o', 'x.ndjson']);
    expect(lost.status).toBe(2);
    expect(lost.stderr).toMatch(/recovers at most 40 \(--device-max-lost\)/);
    expect(existsSync(file('x.ndjson'))).toBe(false);
  });

  it('simulate reports success rate and fragments needed, for random and bursty loss', () => {
    const random = smartdelta(['simulate', 'patch.bin', '--frag-size', '100', '--loss', '25%', '--trials', '50', '--json']);
    expect(random.status).toBe(0);
    const r = JSON.parse(random.stdout) as { simulation: { trials: number; successRate: number; dataVerified: boolean; codedSent: object }; lossModel: { kind: string } };
    expect(r.lossModel.kind).toBe('random');
    expect(r.simulation).toMatchObject({ trials: 50, dataVerified: true });
    expect(r.simulation.successRate).toBeGreaterThan(0.9);
    const bursty = smartdelta(['simulate', 'patch.bin', '--frag-size', '100', '--loss', '25%', '--burst', '8', '--trials', '50']);
    expect(bursty.status).toBe(0);
    expect(bursty.stdout).toMatch(/bursty loss \(mean burst 8\)/);
    expect(bursty.stdout).toMatch(/recommended/);
  });
});
