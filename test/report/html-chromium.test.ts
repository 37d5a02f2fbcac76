/**
 * The HTML report in a real browser (Debian's `chromium`, headless; skipped when it is not on PATH): it loads
 * without console messages, its self-check finds every chart drawn with the bars it declares, and a
 * screenshot is a real picture.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPairReport, renderHtml, type PairReport } from '../../src/report/index.js';
import { fixture } from './fixtures.js';

const hasChromium = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-report-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let profiles = 0;
function chromium(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = join(dir, `profile-${profiles++}`);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const r = spawnSync('chromium', [...flags, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe.skipIf(!hasChromium)('HTML report in headless Chromium', () => {
  let report: PairReport;
  let url: string;

  beforeAll(async () => {
    report = await buildPairReport(fixture('1.0.0'), fixture('2.0.0'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report));
    url = pathToFileURL(file).href;
  });

  it('loads without console messages and every chart is drawn with the bars it declares', () => {
    const run = chromium(['--enable-logging=stderr', '--v=0', '--dump-dom', url]);
    expect(run.status).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.includes(':CONSOLE'))).toEqual([]);
    const body = /<body([^>]*)>/.exec(run.stdout)?.[1] ?? '';
    expect(body).toContain('data-problems=""');
    expect(body).toContain('data-ok="yes"');
    expect(body).toContain('data-charts="3"');
    const drawn = (id: string): number => {
      const svg = new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(run.stdout);
      return (svg?.[0].match(/<rect class="bar/g) ?? []).length;
    };
    expect(drawn('pair-sizes')).toBe(4);
    expect(drawn('pair-airtime')).toBe(report.rows.length * 3);
    expect(drawn('pair-changes')).toBe(report.changeMaps.reduce((n, m) => n + m.bytes.length, 0));
  });

  it('takes a screenshot that is a real picture', () => {
    const png = join(dir, 'report.png');
    const run = chromium([`--screenshot=${png}`, '--window-size=1200,2000', url]);
    expect(run.status).toBe(0);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1200, 2000]);
    // A blank page compresses to a few KB; text, bars and tables do not.
    expect(statSync(png).size).toBeGreaterThan(60_000);
  });
});
