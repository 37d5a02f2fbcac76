/** The golden patches in test/golden/ (see its README.md): they still apply, and re-creating them gives the same bytes. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { GOLDEN_CASES, infoFile, infoJson, patchFile } from '../golden/cases.js';
import { fixture } from './fixtures.js';

describe.each(GOLDEN_CASES)('golden $name', (c) => {
  const committed = (): Uint8Array => new Uint8Array(readFileSync(patchFile(c)));

  it('is committed with its info JSON', () => {
    expect(existsSync(patchFile(c)), `${patchFile(c)} missing: run npx tsx test/golden/regenerate.ts`).toBe(true);
    expect(existsSync(infoFile(c))).toBe(true);
  });

  it('the committed patch applies to the old fixture and gives the new one byte for byte', async () => {
    const result = await applyPatch(fixture(c.from).data, committed());
    expect(Buffer.from(result).equals(Buffer.from(fixture(c.to).data))).toBe(true);
  });

  it('info of the committed patch equals the committed JSON', () => {
    expect(infoJson(patchInfo(committed()))).toBe(readFileSync(infoFile(c), 'utf8'));
  });

  it('re-creating it gives the committed bytes (format and determinism pinned)', async () => {
    const { bytes } = await createPatch(fixture(c.from), fixture(c.to), c.options);
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(committed()).toString('hex'));
  });
});

describe('golden options', () => {
  const infos = (): Array<ReturnType<typeof patchInfo>> => GOLDEN_CASES.map((c) => JSON.parse(readFileSync(infoFile(c), 'utf8')) as ReturnType<typeof patchInfo>);

  it('cover both transforms in every layout they have, versions with a security counter, a window below the dictionary, a RAM map', () => {
    const all = infos();
    expect(all.every((i) => i.formatVersion === 2)).toBe(true);
    expect(new Set(all.map((i) => `${i.transform} ${i.program.layout}`))).toEqual(
      new Set(['plain interleaved', 'plain sectioned', 'cortex-m table-first', 'cortex-m sectioned']),
    );
    // The program is shorter than the 4 KiB dictionary asked for: the header declares the smaller window.
    expect(all.some((i) => i.versionTo === '1.2.0-ü' && i.securityCounter === 5 && i.lzma !== undefined && i.lzma.window < 4096)).toBe(true);
    expect(all.some((i) => i.program.layout === 'sectioned' && (i.relocation?.ramMapSegments ?? 0) > 0 && (i.relocation?.flashMapSegments ?? 0) > 0)).toBe(true);
  });

  it('an unsigned header without version strings is 53 to 60 bytes (docs/FORMAT.md, "Header"), in-place ones 8 to 35 more for 1 run', () => {
    const plainHeaders = infos().filter((x) => x.versionFrom === undefined && !x.signed);
    for (const i of plainHeaders.filter((x) => x.kind === 'two-slot')) {
      expect(i.headerSize).toBeGreaterThanOrEqual(53);
      expect(i.headerSize).toBeLessThanOrEqual(60);
    }
    const inPlace = plainHeaders.filter((x) => x.kind === 'in-place');
    expect(inPlace.length).toBeGreaterThan(0);
    for (const i of inPlace) {
      expect(i.inPlace?.writeOrderRuns).toBe(1);
      expect(i.headerSize).toBeGreaterThanOrEqual(53 + 8);
      expect(i.headerSize).toBeLessThanOrEqual(60 + 35);
    }
  });
});
