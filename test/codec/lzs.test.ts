/** Codec 2 (src/codec/lzs*.ts, docs/LZS.md): round trips, streaming, the strict end rules, sizes. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compressSmall,
  decompressSmall,
  DEFAULT_SMALL_LZ_PARAMS,
  SmallLzDecoder,
  smallLzModelBytes,
  smallLzParamsByte,
  smallLzParamsFromByte,
  smallLzRamBytes,
  type SmallLzParams,
} from '../../src/codec/lzs.js';
import { InvalidInputError } from '../../src/errors.js';
import { pseudoRandomBytes } from '../device/host-build.js';
import { craftStream } from './lzs-craft.js';
import { programFiles, PROGRAMS_DIR } from './lzs-programs.js';

const ALL_PARAMS: SmallLzParams[] = [8, 9, 10, 11, 12].flatMap((windowLog2) => [0, 1].map((literalContext) => ({ windowLog2, literalContext })));

/** Decodes in pieces of the given sizes (cycled), collecting the output. */
function decodePieces(stream: Uint8Array, p: SmallLzParams, size: number, pieceSizes: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const decoder = new SmallLzDecoder(p, size, (piece) => parts.push(piece));
  for (let at = 0, k = 0; at < stream.length; k++) {
    const n = pieceSizes[k % pieceSizes.length]!;
    decoder.push(stream.subarray(at, at + n));
    at += n;
  }
  expect(decoder.finish()).toBe(size);
  return Buffer.concat(parts);
}

function expectCorrupt(fn: () => unknown, what?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  expect((caught as Error).message).toMatch(/^corrupt patch: /);
  if (what) expect((caught as Error).message).toMatch(what);
}

function repeated(unit: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = unit[i % unit.length]!;
  return out;
}

const samples: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'one byte': Uint8Array.of(0x42),
  'two bytes': Uint8Array.of(7, 7),
  'random 20 KiB': pseudoRandomBytes(20 * 1024, 3),
  'zeros 70 KiB': new Uint8Array(70 * 1024),
  'period 3': repeated(Uint8Array.of(1, 2, 3), 5000),
  'period 1000, 6 times': repeated(pseudoRandomBytes(1000, 9), 6000),
  'period 5000 (beyond every window)': repeated(pseudoRandomBytes(5000, 4), 12000),
};

describe('codec 2 round trips', () => {
  it.each(Object.keys(samples))('%s, every window and literal context', (name) => {
    const data = samples[name]!;
    for (const p of ALL_PARAMS) {
      const stream = compressSmall(data, p);
      expect(Buffer.compare(decompressSmall(stream, p, data.length), data), JSON.stringify(p)).toBe(0);
    }
  });

  it('has a small fixed overhead: 4 bytes for nothing, at most 5 for one byte', () => {
    expect(compressSmall(new Uint8Array(0), DEFAULT_SMALL_LZ_PARAMS)).toEqual(new Uint8Array(4));
    for (const b of [0, 0x42, 0xff]) expect(compressSmall(Uint8Array.of(b), DEFAULT_SMALL_LZ_PARAMS).length).toBeLessThanOrEqual(5);
  });

  it('compresses repeats to almost nothing, random data with < 2 % expansion (the cost of fast adaptation)', () => {
    expect(compressSmall(samples['zeros 70 KiB']!, DEFAULT_SMALL_LZ_PARAMS).length).toBeLessThan(200);
    const random = samples['random 20 KiB']!;
    expect(compressSmall(random, DEFAULT_SMALL_LZ_PARAMS).length).toBeLessThan(random.length * 1.02);
  });

  it('is deterministic and encodes 80 KB in well under 2 s', () => {
    const words = new TextEncoder().encode('flash sector erase boot image slot patch ok ');
    const data = new Uint8Array(80_000);
    const noise = pseudoRandomBytes(data.length, 5);
    for (let i = 0; i < data.length; i++) data[i] = noise[i]! < 40 ? noise[i]! : words[(i * 7 + (noise[i]! >> 5)) % words.length]!;
    const t0 = performance.now();
    const a = compressSmall(data, { windowLog2: 12, literalContext: 1 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(compressSmall(data, { windowLog2: 12, literalContext: 1 })).toEqual(a);
  });

  it('round-trips random and repetitive data for random parameters and piece sizes (property)', () => {
    const payloads = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 }))
        .map(([unit, n]) => repeated(unit, unit.length * n)),
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { maxLength: 2000 }).map((a) => Uint8Array.from(a)),
    );
    const params = fc.record({ windowLog2: fc.integer({ min: 8, max: 12 }), literalContext: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(payloads, params, fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }), (data, p, pieces) => {
        const stream = compressSmall(data, p);
        expect(Buffer.compare(decodePieces(stream, p, data.length, pieces), data)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  describe.skipIf(programFiles.length === 0)('delta programs in /work/programs', () => {
    it.each(programFiles)('%s: every setting round-trips, one-shot and in random pieces', (file) => {
      const data = readFileSync(path.join(PROGRAMS_DIR, file));
      for (const p of ALL_PARAMS) {
        const stream = compressSmall(data, p);
        expect(Buffer.compare(decompressSmall(stream, p, data.length), data), JSON.stringify(p)).toBe(0);
        if (p.windowLog2 === DEFAULT_SMALL_LZ_PARAMS.windowLog2) {
          expect(Buffer.compare(decodePieces(stream, p, data.length, [1, 7, 300, 2, 4096]), data)).toBe(0);
        }
      }
    });

    it('meets the size goals: pybv11.reloc <= 19,500 bytes, shell.reloc <= 200 (default parameters)', () => {
      const size = (name: string): number => compressSmall(readFileSync(path.join(PROGRAMS_DIR, name)), DEFAULT_SMALL_LZ_PARAMS).length;
      if (programFiles.includes('pybv11.reloc.prog')) expect(size('pybv11.reloc.prog')).toBeLessThanOrEqual(19_500);
      if (programFiles.includes('shell.reloc.prog')) expect(size('shell.reloc.prog')).toBeLessThanOrEqual(200);
    });
  });
});

describe('codec 2 streaming', () => {
  const data = repeated(pseudoRandomBytes(700, 2), 9000);
  const p: SmallLzParams = { windowLog2: 10, literalContext: 1 };
  const stream = compressSmall(data, p);

  it('gives the same output for any piece sizes, empty pieces included', () => {
    for (const pieces of [[1], [2, 3], [0, 5, 0, 1], [stream.length]]) {
      expect(Buffer.compare(decodePieces(stream, p, data.length, pieces), data), JSON.stringify(pieces)).toBe(0);
    }
  });

  it('knows when the stream ended, and takes empty pieces after it', () => {
    const decoder = new SmallLzDecoder(p, data.length, () => {});
    decoder.push(stream.subarray(0, stream.length - 1));
    expect(decoder.done).toBe(false);
    decoder.push(stream.subarray(stream.length - 1));
    expect(decoder.done).toBe(true);
    decoder.push(new Uint8Array(0));
    expect(decoder.finish()).toBe(data.length);
  });

  it('hands output over in pieces of at most 4 KiB, each as soon as its input arrived', () => {
    const sizes: number[] = [];
    const decoder = new SmallLzDecoder(p, data.length, (piece) => sizes.push(piece.length));
    decoder.push(stream.subarray(0, stream.length >> 1));
    const half = sizes.reduce((a, b) => a + b, 0);
    expect(half).toBeGreaterThan(0);
    decoder.push(stream.subarray(stream.length >> 1));
    decoder.finish();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
  });
});

describe('codec 2 refuses inconsistent streams', () => {
  const p: SmallLzParams = { windowLog2: 9, literalContext: 1 };
  const data = repeated(pseudoRandomBytes(300, 8), 4000);
  const stream = compressSmall(data, p);

  it('refuses a stream cut anywhere, with "truncated"', () => {
    for (let cut = 0; cut < stream.length; cut += cut < 40 ? 1 : 17) {
      expectCorrupt(() => decompressSmall(stream.subarray(0, cut), p, data.length), /truncated/);
    }
  });

  it('refuses bytes after the end, in the same piece or a later one', () => {
    const longer = new Uint8Array(stream.length + 1);
    longer.set(stream);
    expectCorrupt(() => decompressSmall(longer, p, data.length), /1 byte\(s\) after the end/);
    const decoder = new SmallLzDecoder(p, data.length, () => {});
    decoder.push(stream);
    expectCorrupt(() => decoder.push(Uint8Array.of(0)), /after the end/);
    expectCorrupt(() => decoder.finish(), /after the end/); // the failure is sticky
    expectCorrupt(() => decompressSmall(Uint8Array.of(0, 0, 0, 0, 0), p, 0), /after the end/);
  });

  it('refuses a wrong declared size', () => {
    expectCorrupt(() => decompressSmall(stream, p, data.length - 1));
    expectCorrupt(() => decompressSmall(stream, p, data.length + 1));
    expectCorrupt(() => decompressSmall(stream, p, 0));
  });

  it('refuses a range coder that does not end at zero, and flipped bits anywhere', () => {
    expectCorrupt(() => decompressSmall(Uint8Array.of(0, 0, 0, 1), p, 0), /does not end at zero/);
    for (let i = 0; i < 64; i++) {
      const pos = Math.floor(((stream.length - 1) * i) / 63);
      const flipped = stream.slice();
      flipped[pos]! ^= 1 << (i % 8);
      expectCorrupt(() => decompressSmall(flipped, p, data.length));
    }
  });

  it('refuses matches before the output start, beyond the window and past the declared size', () => {
    const q: SmallLzParams = { windowLog2: 8, literalContext: 0 };
    const ok = craftStream(q, [{ lit: 1 }, { lit: 2 }, { match: [5, 2] }, { rep: 2 }]);
    expect([...decompressSmall(ok, q, 9)]).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1]);
    expectCorrupt(() => decompressSmall(craftStream(q, [{ lit: 1 }, { match: [2, 2] }]), q, 3), /before the start/);
    const far = Array.from({ length: 300 }, (_, i) => ({ lit: i & 0xff }));
    const farOk = craftStream(q, [...far, { match: [2, 256] }]);
    expect(decompressSmall(farOk, q, 302).subarray(300)).toEqual(Uint8Array.of(44, 45));
    expectCorrupt(() => decompressSmall(craftStream(q, [...far, { match: [2, 257] }]), q, 302), /beyond the 2\^8 window/);
    expectCorrupt(() => decompressSmall(craftStream(q, [{ lit: 1 }, { match: [4, 1] }]), q, 4), /passes the declared size/);
    expectCorrupt(() => decompressSmall(craftStream(q, [{ lit: 1 }, { rep: 3 }]), q, 3), /passes the declared size/);
  });

  it('refuses bad parameters', () => {
    expect(() => compressSmall(new Uint8Array(1), { windowLog2: 13, literalContext: 0 })).toThrow(RangeError);
    expect(() => new SmallLzDecoder({ windowLog2: 10, literalContext: 2 }, 1, () => {})).toThrow(RangeError);
    for (const b of [0x05, 0x07, 0x10, 0x80]) expect(() => smallLzParamsFromByte(b)).toThrow(InvalidInputError);
  });
});

describe('codec 2 parameters and RAM', () => {
  it('codes the parameters in one byte', () => {
    for (const p of ALL_PARAMS) expect(smallLzParamsFromByte(smallLzParamsByte(p))).toEqual(p);
    expect(smallLzParamsByte(DEFAULT_SMALL_LZ_PARAMS)).toBe(0x0a);
  });

  it('counts the decoder RAM: 2 bytes per probability plus min(2^w, unpacked size)', () => {
    expect(smallLzModelBytes({ windowLog2: 8, literalContext: 0 })).toBe(728);
    expect(smallLzModelBytes({ windowLog2: 12, literalContext: 1 })).toBe(1240);
    expect(smallLzRamBytes({ windowLog2: 10, literalContext: 1 })).toBe(1240 + 1024);
    expect(smallLzRamBytes({ windowLog2: 10, literalContext: 1 }, 209)).toBe(1240 + 209);
    expect(smallLzRamBytes({ windowLog2: 11, literalContext: 0 }, 0)).toBe(728 + 1);
  });
});
