/** CRC-32 (src/delivery/crc32.ts) against published check values and node's zlib.crc32, an independent implementation. */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from '../../src/delivery/crc32.js';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('gives the published check values', () => {
    // CRC-32/ISO-HDLC: check value of "123456789" (the CRC catalogue), and two well-known strings.
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Hex(ascii('The quick brown fox jumps over the lazy dog'))).toBe('414fa339');
    expect(crc32Hex(new Uint8Array([0]))).toBe('d202ef8d');
  });

  it('continues over pieces as over the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const at = Math.min(cut, data.length);
        expect(crc32(data.subarray(at), crc32(data.subarray(0, at)))).toBe(crc32(data));
      }),
    );
  });

  it.skipIf(zlibCrc32 === undefined)('matches zlib.crc32 (later Node 20.x, 22.2+) on random data', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        expect(crc32(data)).toBe(zlibCrc32!(data));
      }),
    );
  });
});
