/**
 * Corrupt and truncated patches (issue 2: "a truncated or corrupted patch exits 3"): applyPatch must fail with
 * InvalidInputError (or CheckFailedError when the damage hits the base image precondition), or, when the
 * damage does not change the result (an unsigned patch has no checksum over fields that do not influence the
 * output: a plain patch's load addresses, an interleaved entry count, a min segment that yields the same map),
 * return exactly the new image. Never wrong bytes, never another exception type (the CLI would call it an
 * internal error).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckFailedError, InvalidInputError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import type { ImageInput } from '../../src/pipeline/create.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { fixture } from './fixtures.js';

let old: ImageInput;
let target: ImageInput;
const patches: Record<string, Uint8Array> = {};

beforeAll(async () => {
  old = fixture('v1.0.1');
  target = fixture('v1.1.0');
  patches.plain = (await createPatch(old, target, { arch: 'none' })).bytes;
  patches.cortexM = (await createPatch(old, target, { arch: 'cortex-m', versionFrom: '1.0.1', versionTo: '1.1.0', securityCounter: 3 })).bytes;
});

async function outcome(patch: Uint8Array): Promise<string> {
  try {
    const result = await applyPatch(old.data, patch);
    return Buffer.from(result).equals(Buffer.from(target.data)) ? 'applied' : 'WRONG OUTPUT';
  } catch (err) {
    if (err instanceof InvalidInputError) return 'invalid';
    if (err instanceof CheckFailedError) return 'check';
    return `other: ${(err as Error).name}: ${(err as Error).message}`;
  }
}

describe.each(['plain', 'cortexM'])('%s patch', (name) => {
  it('truncated at any length: InvalidInputError', async () => {
    const patch = patches[name]!;
    const cuts = new Set([0, 1, 4, 5, 40, 80, patchInfo(patch).headerSize - 1, patchInfo(patch).headerSize, patch.length - 1]);
    for (let cut = 0; cut < patch.length; cut += 7) cuts.add(cut);
    for (const cut of cuts) expect(await outcome(patch.subarray(0, cut)), `cut at ${cut}`).toBe('invalid');
  });

  it('one flipped byte anywhere: InvalidInputError or CheckFailedError or the exact new image, never another error', async () => {
    const patch = patches[name]!;
    const { headerSize } = patchInfo(patch);
    const seen: Record<string, number> = {};
    for (let at = 0; at < patch.length; at++) {
      const bad = patch.slice();
      bad[at]! ^= at < headerSize ? 0x01 : 0xff;
      const result = await outcome(bad);
      seen[result] = (seen[result] ?? 0) + 1;
      expect(['invalid', 'check', 'applied'], `byte ${at} of ${patch.length} (header ${headerSize}): ${result}`).toContain(result);
      // Every payload byte matters: the LZMA stream or the program breaks, or the SHA-256 check catches it.
      if (at >= headerSize) expect(result, `payload byte ${at}`).toBe('invalid');
    }
    expect(seen.invalid).toBeGreaterThan(patch.length * 0.8);
  });

  it('extra bytes after the payload: InvalidInputError', async () => {
    const patch = patches[name]!;
    expect(await outcome(Uint8Array.from([...patch, 0]))).toBe('invalid');
    expect(await outcome(Uint8Array.from([...patch, ...new Uint8Array(72)]))).toBe('invalid');
  });
});
