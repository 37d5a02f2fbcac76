/**
 * `smartdelta diff --fleet <olds...> --to <new> -o <dir>` (issue 13), run from the sources: one patch per
 * deployed image, each byte for byte what `diff` makes alone, the --json document in the published schema,
 * and the usage errors of the fleet form.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetPatchNames } from '../../src/cli/commands/diff-fleet.js';
import { validate } from './json-schema.js';

const repo = resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-fleet-'));
const fixtureFile = (version: string): string => join(repo, 'fixtures/build', version, 'firmware.bin');
const BASE = ['--base', '0x08000000'];
const schema = JSON.parse(readFileSync(join(repo, 'docs/schema/output.schema.json'), 'utf8')) as Record<string, unknown>;

function smartdelta(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', tsxLoader, entry, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diff --fleet', () => {
  it('writes one patch per deployed image, each what diff makes alone, and lists them in --json', () => {
    const olds = ['v1.1.0', 'v1.2.0'].map(fixtureFile);
    const run = smartdelta(['diff', '--fleet', ...olds, '--to', fixtureFile('v2.0.0'), ...BASE, '-o', 'out', '--jobs', '2', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { output: string; size: number; patches: Array<{ old: string; output: string; size: number }> };
    expect(validate(schema, doc)).toEqual([]);
    expect(doc.patches.map((p) => p.old)).toEqual(olds);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['v1.1.0-firmware.sdp', 'v1.2.0-firmware.sdp']);
    for (const [i, old] of olds.entries()) {
      const alone = smartdelta(['diff', old, fixtureFile('v2.0.0'), ...BASE, '-o', `alone-${i}.sdp`]);
      expect(alone.status, alone.stderr).toBe(0);
      expect(readFileSync(join(dir, doc.patches[i]!.output)).equals(readFileSync(join(dir, `alone-${i}.sdp`)))).toBe(true);
    }
    expect(doc.size).toBe(doc.patches.reduce((sum, p) => sum + p.size, 0));
  }, 120_000);

  it.each([
    [['--fleet', 'a.bin', '-o', 'x'], /--fleet <images\.\.\.> and --to <image> go together/],
    [['a.bin', 'b.bin', '--fleet', 'c.bin', '--to', 'd.bin', '-o', 'x'], /either <old> <new> or --fleet/],
    [['a.bin', 'b.bin', '--jobs', '2', '-o', 'x.sdp'], /--jobs goes with --fleet/],
    [['--fleet', 'a.bin', '--to', 'b.bin', '--version-from', '1', '-o', 'x'], /--version-from names one old image/],
    [['--fleet', 'a.bin', 'a.bin', '--to', 'b.bin', '-o', 'x'], /--fleet lists a\.bin twice/],
  ])('usage error: %j', (args, message) => {
    const run = smartdelta(['diff', ...args]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a patch that exists before doing any work, and writes none', () => {
    mkdirSync(join(dir, 'existing'));
    writeFileSync(join(dir, 'existing', 'v1.2.0-firmware.sdp'), 'kept');
    const again = smartdelta(['diff', '--fleet', fixtureFile('v1.1.0'), fixtureFile('v1.2.0'), '--to', fixtureFile('v2.0.0'), ...BASE, '-o', join(dir, 'existing')]);
    expect(again.status).toBe(4);
    expect(again.stderr).toMatch(/v1\.2\.0-firmware\.sdp exists; use --force/);
    expect(existsSync(join(dir, 'existing', 'v1.1.0-firmware.sdp'))).toBe(false);
    expect(readFileSync(join(dir, 'existing', 'v1.2.0-firmware.sdp'), 'utf8')).toBe('kept');
  }, 60_000);
});

describe('fleetPatchNames', () => {
  it('uses the file name, and the folders above it where names would clash', () => {
    expect(fleetPatchNames(['a/v1.bin', 'b/v2.hex'])).toEqual(['v1.sdp', 'v2.sdp']);
    expect(fleetPatchNames(['r/1.0/fw.bin', 'r/1.1/fw.bin'])).toEqual(['1.0-fw.sdp', '1.1-fw.sdp']);
  });
});
