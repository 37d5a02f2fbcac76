/**
 * Issue 15: `package --transport http-range` picks the smallest part count that fits a device buffer, refuses
 * a plan past the part limit, and its CRC-32s and SHA-256 match independent computations (zlib.crc32,
 * node:crypto) for the fixture patches.
 */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckFailedError } from '../../src/errors.js';
import { choosePartSize, DEFAULT_MAX_PARTS, formatRangePlan, parseRangeHeader, planHttpRange } from '../../src/delivery/http-range.js';
import { signedPatchesToNewest, type SignedRelease } from './signed-fixtures.js';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
let releases: SignedRelease[];

beforeAll(async () => {
  ({ releases } = await signedPatchesToNewest());
});

describe('part size', () => {
  it('is the smallest part count whose parts fit the buffer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 1, max: 70_000 }), (size, buffer) => {
        fc.pre(Math.ceil(size / buffer) <= DEFAULT_MAX_PARTS);
        const partSize = choosePartSize(size, { deviceBuffer: buffer });
        const count = Math.ceil(size / partSize);
        expect(partSize).toBeLessThanOrEqual(buffer);
        // One part fewer cannot hold the file in parts that fit the buffer.
        expect((count - 1) * buffer).toBeLessThan(size);
        expect(count).toBeLessThanOrEqual(DEFAULT_MAX_PARTS);
        // Spread evenly: the last part is less than `count` bytes shorter than the others.
        expect(partSize - (size - (count - 1) * partSize)).toBeLessThan(count);
      }),
    );
  });

  it('refuses when even buffer-sized parts exceed 19,999 parts, and accepts the largest file that fits', () => {
    expect(DEFAULT_MAX_PARTS).toBe(19_999);
    expect(choosePartSize(19_999 * 512, { deviceBuffer: 512 })).toBe(512);
    expect(() => choosePartSize(19_999 * 512 + 1, { deviceBuffer: 512 })).toThrow(CheckFailedError);
    expect(() => choosePartSize(19_999 * 512 + 1, { deviceBuffer: 512 })).toThrow(
      '10239489 bytes in even parts as large as the 512-byte device buffer need 20000 parts, more than the 19999 a download may have; parts (and a device buffer) of at least 513 bytes are needed',
    );
    expect(() => choosePartSize(2581, { deviceBuffer: 10, maxParts: 100 })).toThrow(/need 259 parts, more than the 100/);
    expect(choosePartSize(2581, { partSize: 100 })).toBe(100);
  });
});

describe('plans of the signed fixture patches', () => {
  it('cover each file exactly, with CRC-32s from zlib.crc32 and the SHA-256 from node:crypto', () => {
    for (const { from, patch } of releases) {
      for (const buffer of [64, 500, 1024, patch.length, patch.length * 2]) {
        const plan = planHttpRange(patch, { deviceBuffer: buffer });
        expect(plan.parts.length, `${from} buffer ${buffer}`).toBe(Math.ceil(patch.length / buffer));
        expect(plan.sha256).toBe(createHash('sha256').update(patch).digest('hex'));
        expect(plan.size).toBe(patch.length);
        let next = 0;
        for (const part of plan.parts) {
          expect(part.start).toBe(next);
          expect(part.size).toBe(part.end - part.start + 1);
          expect(part.size).toBeLessThanOrEqual(buffer);
          const body = patch.subarray(part.start, part.end + 1);
          if (zlibCrc32) expect(part.crc32).toBe(zlibCrc32(body).toString(16).padStart(8, '0'));
          next = part.end + 1;
        }
        expect(next).toBe(patch.length);
      }
    }
  });

  it('lists one line per part after the file line', () => {
    const plan = planHttpRange(releases[0]!.patch, { deviceBuffer: 1024 });
    const lines = formatRangePlan(plan, 'p.sdp').trimEnd().split('\n');
    expect(lines[0]).toBe(`file p.sdp size ${plan.size} sha256 ${plan.sha256} parts ${plan.parts.length} part-size ${plan.partSize}`);
    expect(lines.slice(1)).toEqual(plan.parts.map((p) => `part ${p.index} bytes=${p.start}-${p.end} size ${p.size} crc32 ${p.crc32}`));
  });
});

describe('Range header', () => {
  it('reads one byte range, suffix and open ranges, and refuses what a device client should not send', () => {
    expect(parseRangeHeader(undefined, 100)).toEqual({ kind: 'whole' });
    expect(parseRangeHeader('bytes=0-9', 100)).toEqual({ kind: 'range', start: 0, end: 9 });
    expect(parseRangeHeader('bytes=90-', 100)).toEqual({ kind: 'range', start: 90, end: 99 });
    expect(parseRangeHeader('bytes=-10', 100)).toEqual({ kind: 'range', start: 90, end: 99 });
    expect(parseRangeHeader('bytes=95-200', 100)).toEqual({ kind: 'range', start: 95, end: 99 });
    expect(parseRangeHeader('bytes=100-', 100).kind).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=0-1,5-6', 100).kind).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=-0', 100).kind).toBe('unsatisfiable');
    // Not a byte range, or an invalid one: ignored (RFC 9110), the whole file.
    expect(parseRangeHeader('items=0-1', 100)).toEqual({ kind: 'whole' });
    expect(parseRangeHeader('bytes=9-3', 100)).toEqual({ kind: 'whole' });
  });
});
