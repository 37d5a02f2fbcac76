/** Raw LZMA1 payload codec (src/codec/lzma.ts): round trips, the inflation cap, corrupt streams. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressLzma, decompressLzma, dictLog2, lzmaParamsFromBytes, lzmaProbabilityCount, lzmaPropsByte, type LzmaParams } from '../../src/codec/lzma.js';
import { InvalidInputError } from '../../src/errors.js';

const params: LzmaParams = { lc: 0, lp: 2, pb: 2, dictSize: 16384 };

async function decompressAll(input: Uint8Array, p: LzmaParams, maxOutput: number, piece = 4096): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const pieces = function* (): Generator<Uint8Array> {
    for (let i = 0; i < input.length; i += piece) yield input.subarray(i, i + piece);
  };
  const produced = await decompressLzma(pieces(), p, maxOutput, (chunk) => parts.push(chunk.slice()));
  const out = Buffer.concat(parts);
  expect(produced).toBe(out.length);
  return out;
}

/** Compressible data: runs, repeats and noise. */
const payloads = fc.oneof(
  fc.uint8Array({ maxLength: 5000 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 400 })).map(([unit, n]) => Uint8Array.from(Array.from({ length: n }, () => [...unit]).flat())),
);
const validParams = fc
  .record({ lc: fc.integer({ min: 0, max: 4 }), lp: fc.integer({ min: 0, max: 4 }), pb: fc.integer({ min: 0, max: 4 }), log2: fc.integer({ min: 12, max: 20 }) })
  .filter((p) => p.lc + p.lp <= 4)
  .map(({ log2, ...rest }) => ({ ...rest, dictSize: 2 ** log2 }));

describe('raw LZMA1', () => {
  it('compress -> decompress round trips, for every parameter set and input piece size', async () => {
    await fc.assert(
      fc.asyncProperty(payloads, validParams, fc.integer({ min: 1, max: 5000 }), async (data, p, piece) => {
        const packed = await compressLzma(data, p);
        const unpacked = await decompressAll(packed, p, data.length, piece);
        expect(Buffer.from(unpacked).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('is deterministic: the same input and parameters give the same bytes', async () => {
    const data = Uint8Array.from({ length: 20_000 }, (_, i) => (i * i) >>> 3);
    expect(await compressLzma(data, params)).toEqual(await compressLzma(data, params));
  });

  it('compresses an empty input to a stream that decodes to nothing', async () => {
    const packed = await compressLzma(new Uint8Array(0), params);
    expect(packed.length).toBeGreaterThan(0); // the end marker
    expect((await decompressAll(packed, params, 0)).length).toBe(0);
  });

  it('stops with InvalidInputError as soon as the output would pass maxOutput', async () => {
    const data = new Uint8Array(100_000).fill(0x41);
    const packed = await compressLzma(data, params);
    await expect(decompressAll(packed, params, 99_999)).rejects.toThrow(InvalidInputError);
    await expect(decompressAll(packed, params, 10)).rejects.toThrow(/inflates past its declared 10 bytes/);
    expect((await decompressAll(packed, params, 100_000)).length).toBe(100_000);
  });

  it('a corrupt or truncated stream fails with InvalidInputError or decodes to different bytes, never hangs', async () => {
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i % 17) * (i % 5));
    const packed = await compressLzma(data, params);
    const outcomes = new Set<string>();
    for (const at of [0, 1, 5, Math.floor(packed.length / 2), packed.length - 1]) {
      const bad = packed.slice();
      bad[at]! ^= 0xff;
      try {
        const out = await decompressAll(bad, params, data.length);
        expect(Buffer.from(out).equals(Buffer.from(data))).toBe(false);
        outcomes.add('different');
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        outcomes.add('error');
      }
    }
    expect(outcomes.has('error')).toBe(true);
    // Truncated: no end marker. Either an error or fewer bytes than declared (the caller checks the count).
    try {
      const out = await decompressAll(packed.subarray(0, packed.length >> 1), params, data.length);
      expect(out.length).toBeLessThan(data.length);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
    }
  });
});

describe('LZMA parameters', () => {
  it('properties byte (pb * 5 + lp) * 9 + lc round trips for every valid set', () => {
    for (let pb = 0; pb <= 4; pb++)
      for (let lp = 0; lp <= 4; lp++)
        for (let lc = 0; lc + lp <= 4; lc++) {
          const byte = lzmaPropsByte({ lc, lp, pb, dictSize: 4096 });
          expect(byte).toBe((pb * 5 + lp) * 9 + lc);
          expect(lzmaParamsFromBytes(byte, 12)).toEqual({ lc, lp, pb, dictSize: 4096 });
        }
    expect(lzmaPropsByte({ lc: 3, lp: 0, pb: 2, dictSize: 1 })).toBe(0x5d); // the classic .lzma default
  });

  it('dictLog2 accepts powers of two from 4 KiB to 64 MiB only', () => {
    expect(dictLog2(4096)).toBe(12);
    expect(dictLog2(64 * 1024 * 1024)).toBe(26);
    for (const bad of [2048, 3000, 128 * 1024 * 1024, 0, -4096]) expect(() => dictLog2(bad)).toThrow(RangeError);
  });

  it('probability count is 1846 + 0x300 << (lc + lp)', () => {
    expect(lzmaProbabilityCount({ lc: 0, lp: 0 })).toBe(1846 + 768);
    expect(lzmaProbabilityCount({ lc: 3, lp: 0 })).toBe(1846 + 6144);
    expect(lzmaProbabilityCount({ lc: 0, lp: 4 })).toBe(1846 + 12288);
  });
});
