/**
 * Library callers pass Node Buffers straight from readFileSync. Buffer#slice is a view, not a copy, so any
 * internal "copy" made with .slice() would write into the caller's image (found by the device helper:
 * predictWholeImage did exactly that, and the patch then recorded a wrong old check).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { parsePatch } from '../../src/container/patch-file.js';

const fixture = (v: string): Buffer => readFileSync(join(import.meta.dirname, '../../fixtures/build', v, 'firmware.bin'));

describe('Buffer inputs', () => {
  it('createPatch and applyPatch leave Buffer inputs untouched and give the right image', async () => {
    const oldBuf = fixture('v1.0.1');
    const newBuf = fixture('v1.1.0');
    const oldCopy = Buffer.from(oldBuf);
    const newCopy = Buffer.from(newBuf);
    const { bytes } = await createPatch({ data: oldBuf, loadAddress: 0x0800_0000 }, { data: newBuf, loadAddress: 0x0800_0000 }, { arch: 'cortex-m' });
    expect(oldBuf.equals(oldCopy)).toBe(true);
    expect(newBuf.equals(newCopy)).toBe(true);
    const patchBuf = Buffer.from(bytes);
    const result = await applyPatch(oldBuf, patchBuf);
    expect(Buffer.from(result).equals(newCopy)).toBe(true);
    expect(oldBuf.equals(oldCopy)).toBe(true);
  });

  it('parsed header fields (the old check and the new SHA-256) do not alias the patch buffer', async () => {
    const oldImage = fixture('v1.0.0');
    const newImage = fixture('v1.0.1');
    const { bytes } = await createPatch({ data: oldImage, loadAddress: 0x0800_0000 }, { data: newImage, loadAddress: 0x0800_0000 });
    const patchBuf = Buffer.from(bytes);
    const { header } = parsePatch(patchBuf);
    // The base check is the first 8 bytes of SHA-256(old image); the result check the whole SHA-256.
    expect(Buffer.from(header.oldCheck).equals(createHash('sha256').update(oldImage).digest().subarray(0, 8))).toBe(true);
    expect(Buffer.from(header.newSha256).equals(createHash('sha256').update(newImage).digest())).toBe(true);
    const before = { oldCheck: Buffer.from(header.oldCheck), newSha256: Buffer.from(header.newSha256) };
    patchBuf.fill(0);
    expect(Buffer.from(header.oldCheck).equals(before.oldCheck)).toBe(true);
    expect(Buffer.from(header.newSha256).equals(before.newSha256)).toBe(true);
  });
});
