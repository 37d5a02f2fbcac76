/** Small regressions found while hardening the parsers (issue 7); each names what used to happen. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UsageError } from '../../src/errors.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { compressLzma, decompressLzma } from '../../src/codec/lzma.js';
import { fragmentFile, parseFragmentFile, serializeSession } from '../../src/lorawan/index.js';

describe('fragment files', () => {
  const session = fragmentFile(new Uint8Array(100).fill(5), { fragSize: 20, redundancy: 2 });
  const lines = new TextDecoder().decode(serializeSession(session, 'ndjson')).trimEnd().split('\n');

  it('an NDJSON "fport" that is not a byte value is invalid input (it was accepted: 1.5, -1, 1e308)', () => {
    for (const fport of [1.5, -1, 256, 1e308]) {
      const bad = [lines[0]!.replace('"fport":201', `"fport":${fport}`), ...lines.slice(1)].join('\n');
      expect(() => parseFragmentFile(new TextEncoder().encode(bad), 'f.ndjson')).toThrow(InvalidInputError);
      expect(() => parseFragmentFile(new TextEncoder().encode(bad), 'f.ndjson')).toThrow('f.ndjson line 1: "fport" must be an integer from 0 to 255');
    }
    expect(parseFragmentFile(new TextEncoder().encode(lines.join('\n'))).fport).toBe(201);
  });
});

describe('createPatch options that the header cannot hold', () => {
  const image = { data: new Uint8Array(64).fill(1), loadAddress: 0 };
  const other = { data: new Uint8Array(64).fill(2), loadAddress: 0 };

  it('a version string over 64 bytes is a usage error (it was an internal RangeError from the encoder)', async () => {
    await expect(createPatch(image, other, { versionFrom: 'x'.repeat(65) })).rejects.toThrow(UsageError);
    await expect(createPatch(image, other, { versionTo: 'ü'.repeat(33) })).rejects.toThrow('--version-to is 66 bytes of UTF-8; the limit is 64');
    expect(parsePatch((await createPatch(image, other, { versionTo: 'ü'.repeat(32) })).bytes).header.versionTo).toBe('ü'.repeat(32));
  });

  it('a security counter above 32 bits is a usage error (it wrote a varint the reader refuses)', async () => {
    await expect(createPatch(image, other, { securityCounter: 2 ** 40 })).rejects.toThrow('the security counter must be an integer from 0 to 4294967295, got 1099511627776');
    await expect(createPatch(image, other, { securityCounter: -1 })).rejects.toThrow(UsageError);
  });

  it('a dictionary that is not a power of two, or LZMA parameters the reader refuses, are usage errors', async () => {
    await expect(createPatch(image, other, { dictSize: 5000 })).rejects.toThrow('the LZMA dictionary must be a power of two from 4 KiB to 64 MiB, got 5000');
    await expect(createPatch(image, other, { lzma: { lc: 4, lp: 2, pb: 0 } })).rejects.toThrow(UsageError);
  });
});

describe('LZMA payloads', () => {
  const params = { lc: 0, lp: 2, pb: 2, dictSize: 1 << 14 };
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

  it('bytes after the end marker are corrupt, in the same piece or a later one (they were ignored; the device refuses them)', async () => {
    const packed = await compressLzma(data, params);
    for (const [extra, piece] of [[[0], 4096], [[1, 2, 3], 4096], [new Array(50).fill(0x55), packed.length], [new Array(9).fill(0), packed.length]] as const) {
      const input = Uint8Array.from([...packed, ...extra]);
      const pieces = Array.from({ length: Math.ceil(input.length / piece) }, (_, i) => input.subarray(i * piece, (i + 1) * piece));
      await expect(decompressLzma(pieces, params, data.length, () => {})).rejects.toThrow(
        `corrupt patch: ${extra.length} payload byte(s) after the end of the LZMA stream (offset ${packed.length})`,
      );
    }
    expect(await decompressLzma([packed], params, data.length, () => {})).toBe(data.length);
  });
});
