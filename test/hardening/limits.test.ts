/**
 * Resource limits (issue 7, docs/SECURITY.md "Limits"): sizes a file declares are checked against the real
 * input and the documented maximums before anything is allocated, and work stops as soon as a declared size
 * is exceeded.
 */
import { describe, expect, it } from 'vitest';
import { compressLzma, decompressLzma, type LzmaParams } from '../../src/codec/lzma.js';
import { InvalidInputError } from '../../src/errors.js';

const lzmaParams: LzmaParams = { lc: 3, lp: 0, pb: 2, dictSize: 1 << 16 };

describe('LZMA decompression stops at the declared size', () => {
  it('pulls no further payload pieces once the output passes the cap, and delivers nothing after the error', async () => {
    const bomb = await compressLzma(new Uint8Array(1 << 20), lzmaParams); // 1 MiB of zeros in ~220 bytes
    const pieceSize = 8;
    const total = Math.ceil(bomb.length / pieceSize);
    let pulled = 0;
    const pieces = function* (): Generator<Uint8Array> {
      for (let i = 0; i < bomb.length; i += pieceSize) {
        pulled++;
        yield bomb.subarray(i, i + pieceSize);
      }
    };
    let deliveredAfterError = 0;
    let failed = false;
    const run = decompressLzma(pieces(), lzmaParams, 1000, () => {
      if (failed) deliveredAfterError++;
    });
    await expect(run).rejects.toThrow(InvalidInputError);
    failed = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(deliveredAfterError).toBe(0);
    // Before the fix every piece was written at once and decoded in the background after the error.
    expect(pulled).toBeLessThan(total / 2);
  });
});
