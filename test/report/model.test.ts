/**
 * The report model: every figure follows from the real bytes and the LoRaWAN model (sizes are byte lengths,
 * ratios follow, airtime from the time-on-air model, checked against the reference table), and the change
 * map counts what the patch really carries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressLzma } from '../../src/codec/lzma.js';
import { CheckFailedError, UsageError } from '../../src/errors.js';
import { downlinkTimeOnAirMs, maxFragmentSize, planRedundancy } from '../../src/lorawan/index.js';
import { createPatch, DEFAULT_DICT_SIZE } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { buildPairReport, fleetWorkers, POOL_MIN_IMAGE_SIZE, ts004DecoderRam, type PairReport } from '../../src/report/index.js';
import { fixture } from './fixtures.js';

const referencePath = resolve(import.meta.dirname, '../../../shared/reference/lorawan-ts004.md');

describe('pair report v1.0.0 -> v1.1.0, EU868', () => {
  const oldImage = fixture('1.0.0');
  const newImage = fixture('1.1.0');
  let report: PairReport;
  let plain: Uint8Array;
  let pointerAware: Uint8Array;

  beforeAll(async () => {
    report = await buildPairReport(oldImage, newImage);
    plain = (await createPatch(oldImage, newImage, { arch: 'none' })).bytes;
    pointerAware = (await createPatch(oldImage, newImage, { arch: 'cortex-m' })).bytes;
  });

  const get = (kind: string) => report.deliverables.find((d) => d.kind === kind)!;

  it('sizes are the byte lengths of the real images and patches', () => {
    expect(report.deliverables.map((d) => d.kind)).toEqual(['raw', 'compressed', 'plain', 'pointer-aware']);
    expect(get('raw').size).toBe(newImage.data.length);
    expect(get('plain').size).toBe(plain.length);
    expect(get('pointer-aware').size).toBe(pointerAware.length);
    expect(report.new.size).toBe(16_396);
    expect(report.old.size).toBe(16_152);
  });

  it('the full image is compressed with the delta sent settings and the dictionary asked for, and its size is the real length', async () => {
    const sent = report.deliverables.find((d) => d.sent)!;
    const compressed = get('compressed');
    // The delta's lc/lp/pb; its window is the program's (format v2 declares a window below 4 KiB for a short
    // program), the full image gets the dictionary `diff` would use (DEFAULT_DICT_SIZE here).
    const { lc, lp, pb, dictSize: window } = sent.patch!.lzma!;
    expect(window).toBeLessThanOrEqual(DEFAULT_DICT_SIZE);
    expect(compressed.lzma).toEqual({ lc, lp, pb, dictSize: DEFAULT_DICT_SIZE });
    expect(compressed.size).toBe((await compressLzma(newImage.data, compressed.lzma!)).length);
  });

  it('ratios are new image size / size, and the delta sent is the smaller delta', () => {
    for (const d of report.deliverables) expect(d.ratio).toBe(newImage.data.length / d.size);
    const smaller = plain.length <= pointerAware.length ? 'plain' : 'pointer-aware';
    expect(report.delta).toBe(smaller);
    expect(report.deliverables.filter((d) => d.sent).map((d) => d.kind)).toEqual([smaller]);
  });

  it('apply RAM is the delta header figure', () => {
    const bytes = report.delta === 'plain' ? plain : pointerAware;
    expect(report.applyRam).toEqual(patchInfo(bytes).deviceRam);
  });

  it('reports every EU868 downlink data rate, each row following the LoRaWAN model', () => {
    expect(report.rows.map((r) => r.dr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(report.campaign).toMatchObject({ region: 'EU868', band: 'P', dutyCycle: 0.1, redundancy: 'auto', loss: 0.1, confidence: 0.99 });
    const sentAt = report.deliverables.findIndex((d) => d.sent);
    for (const row of report.rows) {
      expect(row.fragSize).toBe(maxFragmentSize('EU868', row.dr));
      const toa = downlinkTimeOnAirMs('EU868', row.dr, 3 + row.fragSize);
      expect(row.timeOnAirPerFragmentMs).toBeCloseTo(toa, 9);
      row.figures.forEach((f, i) => {
        const size = report.deliverables[i]!.size;
        expect(f.dataSize).toBe(size);
        expect(f.nbFrag).toBe(Math.ceil(size / row.fragSize));
        expect(f.padding).toBe(f.nbFrag * row.fragSize - size);
        expect(f.redundancy).toBe(planRedundancy(f.nbFrag, 0.1, 0.99));
        expect(f.downlinks).toBe(f.nbFrag + f.redundancy);
        expect(f.totalAirtimeMs).toBeCloseTo(f.downlinks * toa, 6);
        expect(f.campaignDurationMs).toBeCloseTo(f.totalAirtimeMs / 0.1, 6);
      });
      const full = row.figures[1]!;
      const delta = row.figures[sentAt]!;
      expect(row.saving.airtimeMs).toBeCloseTo(full.totalAirtimeMs - delta.totalAirtimeMs, 6);
      expect(row.saving.durationMs).toBeCloseTo(full.campaignDurationMs - delta.campaignDurationMs, 6);
      expect(row.saving.airtimeFraction).toBeCloseTo(1 - delta.totalAirtimeMs / full.totalAirtimeMs, 9);
      expect(row.savingVsRaw.airtimeMs).toBeCloseTo(row.figures[0]!.totalAirtimeMs - delta.totalAirtimeMs, 6);
      expect(row.airtimeEstimate).toBe(row.dr === 7);
    }
  });

  it('time on air per fragment matches the reference table (lorawan-ts004.md section 6.2)', () => {
    // Typed from the reference, section 6.2, column "ToA full frag (ms)", EU868 DR0..DR6.
    const reference = [2793.5, 1478.7, 698.4, 676.9, 696.8, 394.5, 197.2];
    const rows = report.rows.filter((r) => r.dr <= 6);
    expect(rows.map((r) => Number(r.timeOnAirPerFragmentMs.toFixed(1)))).toEqual(reference);
  });

  it('decoder RAM is sized for M fragments and min(M, coded fragments) losses', () => {
    for (const row of report.rows) {
      for (const f of row.figures) {
        expect(f.decoder).toEqual(ts004DecoderRam(f.nbFrag, row.fragSize, Math.min(f.nbFrag, f.redundancy)));
        expect(f.decoder.storage).toBe(f.nbFrag * row.fragSize);
      }
    }
  });

  it('change maps cover the new image and add up', () => {
    expect(report.changeMaps.map((m) => m.kind)).toEqual(['plain', 'pointer-aware']);
    for (const m of report.changeMaps) {
      const sum = (a: number[]): number => a.reduce((s, x) => s + x, 0);
      expect(sum(m.bytes)).toBe(newImage.data.length);
      expect(sum(m.differing)).toBe(m.totals.differing);
      expect(sum(m.literal)).toBe(m.totals.literal);
      expect(m.totals.copied + m.totals.literal).toBe(newImage.data.length);
      expect(m.bytes.length).toBeLessThanOrEqual(128);
    }
  });
});

describe.skipIf(!existsSync(referencePath))('against the reference file itself', () => {
  it('EU868 rows of table 6.2 give the same ToA as the report', async () => {
    const text = readFileSync(referencePath, 'utf8');
    const rows = [...text.matchAll(/^\| EU868 \| (\d) \| SF\d+\/\d+ \| \d+ \| \d+ \| (\d+) \| ([\d.]+) \|$/gm)];
    expect(rows.length).toBe(7);
    const report = await buildPairReport(fixture('1.2.0'), fixture('2.0.0'), { drs: rows.map((r) => Number(r[1])) });
    rows.forEach((r, i) => {
      expect(report.rows[i]!.fragSize).toBe(Number(r[2]));
      expect(report.rows[i]!.timeOnAirPerFragmentMs.toFixed(1)).toBe(r[3]);
    });
  });
});

describe('options', () => {
  const oldImage = fixture('1.2.0');
  const newImage = fixture('2.0.0');

  it('--dr, a percentage redundancy, and another region', async () => {
    const report = await buildPairReport(oldImage, newImage, { region: 'us915', drs: [8, 13], redundancy: { percent: 20 } });
    expect(report.campaign).toMatchObject({ region: 'US915', dutyCycle: null });
    expect(report.rows.map((r) => [r.dr, r.fragSize])).toEqual([[8, 50], [13, 239]]);
    for (const row of report.rows) {
      for (const f of row.figures) {
        expect(f.redundancy).toBe(Math.ceil(f.nbFrag * 0.2));
        // No duty-cycle limit: the campaign lasts its airtime.
        expect(f.campaignDurationMs).toBe(f.totalAirtimeMs);
      }
    }
  });

  it('no redundancy: the decoder needs no matrix', async () => {
    const report = await buildPairReport(oldImage, newImage, { drs: [5], redundancy: 0 });
    for (const f of report.rows[0]!.figures) expect(f.decoder).toMatchObject({ maxLost: 0, matrix: 0 });
  });

  it('leaves out, with the reason, the data rates that cannot carry a frame; refuses them when asked for', async () => {
    const report = await buildPairReport(oldImage, newImage, { region: 'CN470' });
    expect(report.skipped).toEqual([{ dr: 0, reason: 'cannot carry a downlink frame' }]);
    expect(report.rows.map((r) => r.dr)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await expect(buildPairReport(oldImage, newImage, { region: 'CN470', drs: [0] })).rejects.toThrow(UsageError);
  });

  it('--patch: reports on the given bytes, still shows plain, and refuses a patch for another upgrade', async () => {
    const given = (await createPatch(oldImage, newImage, { arch: 'auto', versionFrom: '1.2.0', versionTo: '2.0.0' })).bytes;
    const report = await buildPairReport(oldImage, newImage, { patch: given, drs: [5] });
    expect(report.deliverables.map((d) => d.kind)).toEqual(['raw', 'compressed', 'plain', 'patch']);
    expect(report.delta).toBe('patch');
    expect(report.deliverables[3]).toMatchObject({ size: given.length, sent: true });
    expect(report.changeMaps.map((m) => m.kind)).toEqual(['plain', 'patch']);
    await expect(buildPairReport(fixture('1.0.0'), newImage, { patch: given })).rejects.toThrow(CheckFailedError);
    await expect(buildPairReport(oldImage, fixture('1.1.0'), { patch: given })).rejects.toThrow(CheckFailedError);
  });

  it('--patch with an in-place patch: traced with the in-place algorithm (its copies read the slot), its flash shown', async () => {
    const inPlace = { slotSize: 20480, eraseUnit: 2048, writeUnit: 8 };
    const given = (await createPatch(oldImage, newImage, { arch: 'cortex-m', inPlace })).bytes;
    const report = await buildPairReport(oldImage, newImage, { patch: given, drs: [5] });
    expect(report.deliverables[3]?.patch?.inPlace).toMatchObject({ ...inPlace, scratchSize: 2048, progressRecord: 64 });
    const map = report.changeMaps.find((m) => m.kind === 'patch')!;
    expect(map.newSize).toBe(newImage.data.length);
    // The change map's bytes add up to the new image: every byte was traced, none twice.
    expect(map.bytes.reduce((a, b) => a + b, 0)).toBe(newImage.data.length);
  });
});

describe('decoder RAM model', () => {
  it('matches the worked example of the reference (section 2.4): NB 1000, R 300', () => {
    const ram = ts004DecoderRam(1000, 50, 300);
    expect([ram.matrix, ram.missingIndex, ram.pivotBitmap]).toEqual([11_400, 2_000, 38]);
    expect(ram.stack).toBe((1000 >> 3) + 1 + 50 + 2 * 38);
    expect(ram.ram).toBe(11_400 + 2_000 + 38 + ram.stack);
    expect(ram.storage).toBe(50_000);
  });
});

describe('change map', () => {
  const base = fixture('1.0.0');

  it('finds exactly the bytes that were changed', async () => {
    const data = base.data.slice();
    for (let i = 8000; i < 8010; i++) data[i] = data[i]! ^ 0xa5;
    const report = await buildPairReport(base, { ...base, name: 'edited', data }, { drs: [5] });
    const plainMap = report.changeMaps.find((m) => m.kind === 'plain')!;
    const carried = plainMap.differing.map((d, i) => d + plainMap.literal[i]!);
    expect(plainMap.totals.differing + plainMap.totals.literal).toBe(10);
    const cells = carried.flatMap((c, i) => (c > 0 ? [i] : []));
    const first = Math.floor(8000 / plainMap.cellSize);
    const last = Math.floor(8009 / plainMap.cellSize);
    expect(cells.every((i) => i >= first && i <= last)).toBe(true);
  });

  it('an unchanged image carries nothing', async () => {
    const report = await buildPairReport(base, { ...base, name: 'same' }, { drs: [5] });
    for (const m of report.changeMaps) expect(m.totals).toEqual({ copied: base.data.length, differing: 0, literal: 0 });
  });
});

describe('fleet pool size', () => {
  it('one thread for small images or a single pair, else one per core up to the number of pairs', () => {
    expect(fleetWorkers(18_568, 4, 2)).toBe(1);
    expect(fleetWorkers(POOL_MIN_IMAGE_SIZE, 1, 2)).toBe(1);
    expect(fleetWorkers(POOL_MIN_IMAGE_SIZE, 4, 2)).toBe(2);
    expect(fleetWorkers(320_000, 3, 8)).toBe(3);
    expect(fleetWorkers(320_000, 3, 1)).toBe(1);
  });
});
