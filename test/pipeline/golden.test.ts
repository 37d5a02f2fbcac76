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
  it('cover both transforms, versions, a security counter and a non-default dictionary', () => {
    const infos = GOLDEN_CASES.map((c) => JSON.parse(readFileSync(infoFile(c), 'utf8')) as ReturnType<typeof patchInfo>);
    expect(new Set(infos.map((i) => i.transform))).toEqual(new Set(['plain', 'cortex-m']));
    expect(infos.some((i) => i.versionTo === '1.2.0-ü' && i.securityCounter === 5 && i.lzma?.dictSize === 4096)).toBe(true);
  });
});
