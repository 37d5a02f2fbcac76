/** The three renderings of one model: the JSON shape, the aligned text table, and a self-contained HTML page. */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFleetReport, buildPairReport, renderHtml, renderText, reportJson, REPORT_SCHEMA, type FleetReport, type PairReport, type Painter } from '../../src/report/index.js';
import { fixture } from './fixtures.js';

let pair: PairReport;
let fleet: FleetReport;

beforeAll(async () => {
  pair = await buildPairReport(fixture('1.0.0'), fixture('1.1.0'));
  fleet = await buildFleetReport([fixture('1.1.0'), fixture('1.2.0')], fixture('2.0.0'), { drs: [0, 5], workers: 1 });
});

describe('JSON', () => {
  it('is one document with every figure, and survives a round trip unchanged', () => {
    const doc = JSON.parse(JSON.stringify(reportJson(pair))) as Record<string, unknown>;
    expect(doc.schema).toBe(REPORT_SCHEMA);
    expect(Object.keys(doc).sort()).toEqual(['applyRam', 'campaign', 'changeMaps', 'delta', 'deliverables', 'kind', 'new', 'notes', 'old', 'rows', 'schema', 'skipped'].sort());
    expect(doc).toEqual({ schema: REPORT_SCHEMA, ...pair });
    const row = (doc.rows as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(row)).toEqual(expect.arrayContaining(['dr', 'fragSize', 'timeOnAirPerFragmentMs', 'figures', 'saving', 'savingVsRaw']));
    const figures = row.figures as Array<Record<string, unknown>>;
    expect(figures).toHaveLength(pair.deliverables.length);
    expect(Object.keys(figures[0]!)).toEqual(
      expect.arrayContaining(['kind', 'dataSize', 'nbFrag', 'redundancy', 'downlinks', 'totalAirtimeMs', 'campaignDurationMs', 'decoder']),
    );
    expect(JSON.stringify(doc)).not.toMatch(/null|NaN|Infinity/);
  });

  it('a fleet has one entry per deployed version, in order', () => {
    const doc = JSON.parse(JSON.stringify(reportJson(fleet))) as FleetReport;
    expect(doc.kind).toBe('fleet');
    expect(doc.entries.map((e) => e.old.name)).toEqual(['v1.1.0', 'v1.2.0']);
    expect(doc.entries.every((e) => e.new.sha256 === doc.to.sha256)).toBe(true);
  });
});

describe('text', () => {
  it('aligns the data-rate table: every row as wide as its header, numbers right-aligned', () => {
    const lines = renderText(pair).split('\n');
    const header = lines.findIndex((l) => l.startsWith('data rate'));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 1 + pair.rows.length);
    expect(rows.map((l) => l.slice(0, 3))).toEqual(pair.rows.map((r) => 'DR' + String(r.dr)));
    // The last column (decoder RAM) is right-aligned, so every row ends where the header ends.
    for (const row of rows) expect(row.length).toBe(lines[header]!.length);
    const sizes = lines.slice(lines.findIndex((l) => l.startsWith('what')));
    for (const d of pair.deliverables) {
      const line = sizes.find((l) => l.startsWith(d.label))!;
      expect(line.split(/\s{2,}/).slice(0, 3)).toEqual([d.label, d.size.toLocaleString('en-US'), d.ratio.toFixed(2)]);
    }
  });

  it('has no escape codes without a painter, and paints through the painter', () => {
    expect(renderText(pair)).not.toMatch(/\u001b\[/);
    const marks: Painter = { bold: (s) => `<b>${s}</b>`, dim: (s) => s, good: (s) => `<g>${s}</g>`, warn: (s) => s };
    const painted = renderText(pair, marks);
    expect(painted).toMatch(/<b>smartdelta report: v1.0.0 -> v1.1.0<\/b>/);
    expect(painted).toMatch(/<g>sent<\/g>/);
  });

  it('the fleet view lists every deployed version and the full image', () => {
    const text = renderText(fleet);
    for (const e of fleet.entries) expect(text).toContain(`delta from ${e.old.name}`);
    expect(text).toContain('full image, LZMA');
  });
});

describe('HTML', () => {
  const bars = (html: string, id: string): number => {
    const svg = new RegExp(`<svg id="${id}"[^>]*data-bars="(\\d+)"[^>]*>([\\s\\S]*?)</svg>`).exec(html);
    expect(svg, id).not.toBeNull();
    const drawn = (svg![2]!.match(/<rect class="bar/g) ?? []).length;
    expect(drawn).toBe(Number(svg![1]));
    return drawn;
  };

  it('draws the bars the model implies', () => {
    const html = renderHtml(pair);
    expect(bars(html, 'pair-sizes')).toBe(pair.deliverables.length);
    expect(bars(html, 'pair-airtime')).toBe(pair.rows.length * (pair.deliverables.length - 1));
    expect(bars(html, 'pair-changes')).toBe(pair.changeMaps.reduce((n, m) => n + m.bytes.length, 0));
  });

  it('is self-contained: no external resource, and a policy that forbids any', () => {
    const html = renderHtml(pair);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    expect(html).not.toMatch(/<link|<img|src=|url\(|@import/i);
    // The only URL is the SVG namespace, which is a name, not a fetch.
    expect(html.match(/https?:\/\/[^"\s]*/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('escapes file names', async () => {
    const report = await buildPairReport({ ...fixture('1.2.0'), name: '<b>&"x"' }, fixture('2.0.0'), { drs: [5] });
    const html = renderHtml(report);
    expect(html).not.toContain('<b>&"x"');
    expect(html).toContain('&#60;b&#62;&#38;&#34;x&#34;');
  });

  it('a fleet page has a summary chart and the sections of every deployed version', () => {
    const html = renderHtml(fleet);
    expect(bars(html, 'fleet-sizes')).toBe(fleet.entries.reduce((n, e) => n + e.deliverables.length - 1, 0));
    fleet.entries.forEach((e, i) => {
      expect(bars(html, `v${i}-sizes`)).toBe(e.deliverables.length);
      expect(bars(html, `v${i}-airtime`)).toBe(2 * (e.deliverables.length - 1));
    });
  });
});
