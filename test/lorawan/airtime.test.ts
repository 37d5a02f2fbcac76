/**
 * Region tables and time on air against the reference table (lorawan-ts004.md section 6.2), read from the
 * reference itself: every region and data rate, N, N repeater, max FragSize and ToA to 0.1 ms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  REGION_NAMES,
  campaignEstimate,
  downlinkTimeOnAirMs,
  fuotaDutyCycle,
  getDataRate,
  getRegion,
  listRegions,
  maxFragmentSize,
  maxFrmPayload,
  timeOnAirMs,
} from '../../src/lorawan/index.js';

const referencePath = resolve(import.meta.dirname, '../../../shared/reference/lorawan-ts004.md');

interface Row {
  regions: string[];
  dr: number;
  n: number | null;
  nRepeater: number | null;
  fragSize: number | null;
  toa: number | null;
  dwell?: { n: number | null; nRepeater: number | null; fragSize: number | null; toa: number | null };
}

/** First number of a cell ("115 (dwell: 11)" → 115), and the number in parentheses if any. */
function cell(text: string): { value: number | null; dwell: number | null | undefined } {
  const main = /^\s*(\d+(?:\.\d+)?)/.exec(text);
  const paren = /\(([^)]*)\)/.exec(text);
  let dwell: number | null | undefined;
  if (paren) dwell = /n\/a/.test(paren[1]!) ? null : Number(/(\d+(?:\.\d+)?)/.exec(paren[1]!)?.[1]);
  return { value: main ? Number(main[1]) : null, dwell };
}

/** The section 6.2 table rows that carry numbers (the "as EU868" rows are expanded by the test). */
function referenceRows(): Row[] {
  const text = readFileSync(referencePath, 'utf8');
  const section = text.slice(text.indexOf('### 6.2'), text.indexOf('### 6.3'));
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 7 || !/^\d+$/.test(cells[1]!)) continue;
    const [region, dr, , n, nRep, frag, toa] = cells as [string, string, string, string, string, string, string];
    const regions = region.replace(/\(.*\)/, '').split('/').map((r) => r.trim());
    const cn = cell(n);
    const cr = cell(nRep);
    const cf = cell(frag);
    const ct = cell(toa);
    const row: Row = { regions, dr: Number(dr), n: cn.value, nRepeater: cr.value, fragSize: cf.value, toa: ct.value };
    if (cn.dwell !== undefined) row.dwell = { n: cn.dwell, nRepeater: cr.dwell ?? cn.dwell, fragSize: cf.dwell ?? (cn.dwell === null ? null : cn.dwell - 3), toa: ct.dwell ?? ct.value };
    rows.push(row);
  }
  return rows;
}

describe.skipIf(!existsSync(referencePath))('reference table 6.2', () => {
  // vitest runs a skipped describe's body too, to list its tests: read nothing when the files are absent.
  if (!existsSync(referencePath)) return;
  const rows = referenceRows();

  it('the table was found and parsed (every region, 30 numeric rows)', () => {
    expect(rows.length).toBe(30);
    const regions = new Set(rows.flatMap((r) => r.regions));
    expect([...regions].sort()).toEqual(['AS923', 'AU915', 'CN470', 'EU868', 'US915']);
  });

  // IN865 and KR920 rows say "as EU868 DR0–5" (IN865 adds "DR7 FSK 242/222"): check them against EU868 rows.
  const expanded = (): Row[] => {
    const text = readFileSync(referencePath, 'utf8');
    expect(text).toMatch(/\| IN865 \| 0–5 \| as EU868 DR0–5 \(DR6 RFU, DR7 FSK 242\/222\)/);
    expect(text).toMatch(/\| KR920 \| 0–5 \| as EU868 DR0–5/);
    const eu = rows.filter((r) => r.regions.includes('EU868'));
    const asEu = eu.filter((r) => r.dr <= 5).map((r) => ({ ...r, regions: ['IN865', 'KR920'] }));
    return [...rows, ...asEu, { ...eu.find((r) => r.dr === 7)!, regions: ['IN865'] }];
  };

  it('N, N repeater, max FragSize and time on air of a full fragment, to 0.1 ms, for every region and DR', () => {
    let checked = 0;
    for (const row of expanded()) {
      for (const region of row.regions) {
        const where = `${region} DR${row.dr}`;
        if (row.n === null) {
          expect(() => maxFrmPayload(region, row.dr), where).toThrow(/cannot carry/);
          continue;
        }
        expect(maxFrmPayload(region, row.dr), where).toBe(row.n);
        expect(maxFrmPayload(region, row.dr, { repeater: true }), where).toBe(row.nRepeater);
        expect(maxFragmentSize(region, row.dr), where).toBe(row.fragSize);
        if (row.toa !== null) {
          expect(Math.abs(downlinkTimeOnAirMs(region, row.dr, row.n) - row.toa), where).toBeLessThanOrEqual(0.05 + 1e-9);
          checked++;
        } else {
          expect(getDataRate(region, row.dr).modulation, where).toBe('FSK');
        }
        if (row.dwell) {
          const d = row.dwell;
          if (d.n === null) {
            expect(() => maxFrmPayload(region, row.dr, { dwellTime: true }), `${where} dwell`).toThrow(/dwell time/);
          } else {
            expect(maxFrmPayload(region, row.dr, { dwellTime: true }), `${where} dwell`).toBe(d.n);
            expect(maxFrmPayload(region, row.dr, { dwellTime: true, repeater: true }), `${where} dwell`).toBe(d.nRepeater);
            expect(maxFragmentSize(region, row.dr, { dwellTime: true }), `${where} dwell`).toBe(d.fragSize);
            expect(Math.abs(downlinkTimeOnAirMs(region, row.dr, d.n) - d.toa!), `${where} dwell`).toBeLessThanOrEqual(0.05 + 1e-9);
          }
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it('every data rate in the library appears in the reference table', () => {
    const listed = new Set(expanded().flatMap((r) => r.regions.map((region) => `${region} DR${r.dr}`)));
    for (const region of listRegions()) for (const rate of region.dataRates) expect(listed.has(`${region.name} DR${rate.dr}`), `${region.name} DR${rate.dr}`).toBe(true);
  });
});

describe('time on air', () => {
  it('matches the reference check: SF7/125, 10 bytes, CRC on → 41.216 ms', () => {
    expect(timeOnAirMs(10, 7, 125, { crc: true })).toBeCloseTo(41.216, 6);
  });

  it('applies low-data-rate optimisation exactly for SF11/SF12 at 125 kHz and SF12 at 250 kHz', () => {
    // With DE the payload symbols are counted over 4·(SF − 2): forcing it changes the airtime.
    for (const [sf, bw, on] of [[12, 125, true], [11, 125, true], [10, 125, false], [12, 250, true], [11, 250, false], [12, 500, false]] as const) {
      expect(timeOnAirMs(64, sf, bw) === timeOnAirMs(64, sf, bw, { lowDataRateOptimize: true }), `SF${sf}/${bw}`).toBe(on);
    }
  });

  it('SF5/SF6 use the SX126x variant (12-symbol minimum preamble, +6.25 symbols)', () => {
    const tsym = 2 ** 6 / 125;
    expect(timeOnAirMs(0, 6, 125)).toBeCloseTo((12 + 6.25 + 8 + Math.ceil((0 - 24 + 20) / 24) * 5) * tsym, 9);
  });

  it('refuses impossible inputs with usage errors', () => {
    expect(() => timeOnAirMs(256, 7, 125)).toThrow(/0..255/);
    expect(() => timeOnAirMs(10, 13, 125)).toThrow(/spreading factor/);
  });
});

describe('regions and duty cycle', () => {
  it('looks regions up case-insensitively and lists the known ones on error', () => {
    expect(getRegion('eu868').name).toBe('EU868');
    expect(() => getRegion('XX915')).toThrow(/known regions: EU868/);
    expect(() => getDataRate('US915', 0)).toThrow(/downlink DRs: 8, 9/);
    expect(REGION_NAMES.length).toBe(7);
  });

  it('EU868 FUOTA downlinks use sub-band P at 10 %; the reference budget examples hold', () => {
    expect(fuotaDutyCycle('EU868')).toMatchObject({ name: 'P', dutyCycle: 0.1 });
    const perHour = (dr: number): number => campaignEstimate(1000, { region: 'EU868', dr }).fragmentsPerHour;
    expect(Math.floor(perHour(0))).toBe(128); // reference: 129 frags/h at DR0 (48 B), 360 s / 2.7935 s
    expect(Math.round(perHour(2))).toBe(515);
    expect(Math.round(perHour(3))).toBe(532);
    expect(Math.round(perHour(5))).toBe(913);
  });

  it('a 320 KB image at EU868 DR0 takes about 5 hours of airtime and over two days at 10 %', () => {
    const c = campaignEstimate(320 * 1024, { region: 'EU868', dr: 0 });
    expect(c.nbFrag).toBe(6827);
    expect(c.totalAirtimeMs / 3_600_000).toBeCloseTo(5.3, 1);
    expect(c.campaignDurationMs / 86_400_000).toBeGreaterThan(2);
  });

  it('regions without a duty cycle report the airtime as the campaign duration', () => {
    const c = campaignEstimate(10_000, { region: 'US915', dr: 10, redundancy: 5 });
    expect(c.dutyCycle).toBeNull();
    expect(c.campaignDurationMs).toBe(c.totalAirtimeMs);
    expect(c.downlinks).toBe(c.nbFrag + 5);
  });
});
