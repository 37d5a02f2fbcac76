/**
 * Corrupt and truncated patches (issue 2: "a truncated or corrupted patch exits 3"): applyPatch must fail with
 * InvalidInputError (or CheckFailedError when the damage hits the base image precondition), or, when the
 * damage does not change the result (an unsigned patch has no checksum over fields that do not influence the
 * output: a plain patch's new load address, a version string, the security counter; in the tables a checkpoint
 * width without checkpoints, a min segment that flags the same entries, a value map record no pointer falls in),
 * return exactly the new image. Never wrong bytes, never another exception type (the CLI would call it an
 * internal error). Every payload byte matters.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckFailedError, InvalidInputError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { ImageInput } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { fixture } from './fixtures.js';

interface Subject {
  old: ImageInput;
  target: ImageInput;
  bytes: Uint8Array;
}

const patches: Record<string, Subject> = {};

beforeAll(async () => {
  const old = fixture('v1.0.1');
  const target = fixture('v1.1.0');
  patches.plain = { old, target, bytes: (await createPatch(old, target, { arch: 'none' })).bytes };
  patches.cortexM = { old, target, bytes: (await createPatch(old, target, { arch: 'cortex-m', versionFrom: '1.0.1', versionTo: '1.1.0', securityCounter: 3 })).bytes };
  // A sectioned relocated patch: a bit-coded control table with segment flags and a RAM map in the tables.
  const [from, to] = [fixture('v1.0.0'), fixture('v2.0.0')];
  patches.sectioned = { old: from, target: to, bytes: (await createPatch(from, to, { arch: 'cortex-m' })).bytes };
});

async function outcome(s: Subject, patch: Uint8Array): Promise<string> {
  try {
    const result = await applyPatch(s.old.data, patch);
    return Buffer.from(result).equals(Buffer.from(s.target.data)) ? 'applied' : 'WRONG OUTPUT';
  } catch (err) {
    if (err instanceof InvalidInputError) return 'invalid';
    if (err instanceof CheckFailedError) return 'check';
    return `other: ${(err as Error).name}: ${(err as Error).message}`;
  }
}

describe.each(['plain', 'cortexM', 'sectioned'])('%s patch', (name) => {
  it('is the layout it stands for, and applies unchanged', async () => {
    const s = patches[name]!;
    const info = patchInfo(s.bytes);
    const layouts: Record<string, string> = { plain: info.program.layout, cortexM: 'table-first', sectioned: 'sectioned' };
    expect(info.program.layout).toBe(layouts[name]);
    if (name !== 'plain') expect(info.tablesSize).toBeGreaterThan(0);
    expect(await outcome(s, s.bytes)).toBe('applied');
  });

  it('truncated at any length: InvalidInputError', async () => {
    const s = patches[name]!;
    const { headerSize, tablesSize } = patchInfo(s.bytes);
    const cuts = new Set([0, 1, 2, 3, 4, 5, 40, headerSize - 1, headerSize, headerSize + tablesSize - 1, headerSize + tablesSize, s.bytes.length - 1]);
    for (let cut = 0; cut < s.bytes.length; cut += 7) cuts.add(cut);
    for (const cut of cuts) expect(await outcome(s, s.bytes.subarray(0, cut)), `cut at ${cut}`).toBe('invalid');
  });

  it('one flipped byte anywhere: InvalidInputError or CheckFailedError or the exact new image, never another error', async () => {
    const s = patches[name]!;
    const { headerSize, tablesSize } = patchInfo(s.bytes);
    const seen: Record<string, number> = {};
    const tables: Record<string, number> = {};
    for (let at = 0; at < s.bytes.length; at++) {
      const bad = s.bytes.slice();
      bad[at]! ^= at < headerSize ? 0x01 : 0xff;
      const result = await outcome(s, bad);
      seen[result] = (seen[result] ?? 0) + 1;
      expect(['invalid', 'check', 'applied'], `byte ${at} of ${s.bytes.length} (header ${headerSize}, tables ${tablesSize}): ${result}`).toContain(result);
      // Every payload byte matters: the codec or the program breaks, or the SHA-256 check catches it. A tables
      // byte either fails a check of the tables, the program or the result, or changes nothing the applier uses.
      if (at >= headerSize + tablesSize) expect(result, `payload byte ${at}`).toBe('invalid');
      else if (at >= headerSize) {
        expect(['invalid', 'applied'], `tables byte ${at}`).toContain(result);
        tables[result] = (tables[result] ?? 0) + 1;
      }
    }
    expect(seen.invalid).toBeGreaterThan(s.bytes.length * 0.8);
    if (tablesSize > 0) expect(tables.invalid ?? 0, JSON.stringify(tables)).toBeGreaterThanOrEqual(tablesSize * 0.9);
  });

  it('extra bytes after the payload: InvalidInputError', async () => {
    const s = patches[name]!;
    expect(await outcome(s, Uint8Array.from([...s.bytes, 0]))).toBe('invalid');
    expect(await outcome(s, Uint8Array.from([...s.bytes, ...new Uint8Array(72)]))).toBe('invalid');
  });
});
