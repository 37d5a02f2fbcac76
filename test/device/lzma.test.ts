/**
 * The device-side LZMA decoder (device/src/sd_lzma.c, docs/DEVICE.md) against the project's own raw LZMA1
 * encoder (src/codec/lzma.ts, i.e. liblzma through lzma-native's binding): byte-exact output for any input and output
 * chunking, and a clean result code (never a crash, a sanitizer report or a hang) for broken streams.
 * Skips when gcc or make is not on PATH.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressLzma, type LzmaParams } from '../../src/codec/lzma.js';
import { buildHostTools, hostToolchainAvailable, pseudoRandomBytes, sharedDir, type HostBuild } from './host-build.js';

/** lzma_cli exit codes (device/test/lzma_cli.c). */
const EXIT = { ok: 0, param: 2, data: 3, truncated: 4, trailing: 5 } as const;

interface Chunking {
  seed: number;
  maxIn: number;
  maxOut: number;
}
const WHOLE: Chunking = { seed: 0, maxIn: 0, maxOut: 0 };
const BYTE_BY_BYTE: Chunking = { seed: 11, maxIn: 1, maxOut: 1 };
const MIXED: Chunking = { seed: 12, maxIn: 23, maxOut: 500 };

function textLike(length: number, seed: number): Uint8Array {
  const words = ['reset', 'flash', 'sector', 'erase', 'the', 'a', 'of', 'boot', 'image', 'slot', 'patch', 'ok\n'];
  const noise = pseudoRandomBytes(length, seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const word = words[noise[i % length]! % words.length]!;
    parts.push(word);
    size += word.length + 1;
  }
  return new TextEncoder().encode(parts.join(' ').slice(0, length));
}

describe.skipIf(!hostToolchainAvailable)('device LZMA decoder (host build, sanitizers on)', () => {
  let build: HostBuild;
  let counter = 0;

  beforeAll(() => {
    build = buildHostTools();
  });
  afterAll(() => build?.cleanup());

  function tempFile(data: Uint8Array): string {
    const file = path.join(build.dir, `stream-${counter++}.bin`);
    writeFileSync(file, data);
    return file;
  }

  /** Decodes with device/test/lzma_cli; returns the exit status and the output (when it succeeded). */
  function decode(
    stream: Uint8Array | string,
    p: LzmaParams,
    opts: { chunking?: Chunking; size?: number; window?: number } = {},
  ): { status: number | null; output?: Uint8Array; stderr: string } {
    const input = typeof stream === 'string' ? stream : tempFile(stream);
    const output = path.join(build.dir, `out-${counter++}.bin`);
    const c = opts.chunking ?? WHOLE;
    const args = [p.lc, p.lp, p.pb, opts.window ?? p.dictSize, opts.size ?? '-', c.seed, c.maxIn, c.maxOut, input, output];
    const r = build.run('lzma_cli', args.map(String));
    return { status: r.status, output: r.status === 0 ? readFileSync(output) : undefined, stderr: r.stderr };
  }

  function expectRoundTrip(data: Uint8Array, stream: Uint8Array, p: LzmaParams, chunkings: Chunking[]): void {
    const file = tempFile(stream);
    for (const chunking of chunkings) {
      const r = decode(file, p, { chunking });
      expect(r.stderr).toBe('');
      expect(r.status, `chunking ${JSON.stringify(chunking)}`).toBe(EXIT.ok);
      expect(Buffer.compare(r.output!, data), `chunking ${JSON.stringify(chunking)}`).toBe(0);
    }
    const known = decode(file, p, { chunking: MIXED, size: data.length });
    expect(known.status, 'known unpacked size').toBe(EXIT.ok);
    expect(Buffer.compare(known.output!, data)).toBe(0);
  }

  const params: LzmaParams[] = [
    { lc: 3, lp: 0, pb: 2, dictSize: 4096 },
    { lc: 0, lp: 2, pb: 2, dictSize: 65536 },
    { lc: 3, lp: 0, pb: 2, dictSize: 1 << 20 },
    { lc: 1, lp: 3, pb: 4, dictSize: 16384 },
    { lc: 4, lp: 0, pb: 0, dictSize: 1 << 18 },
    { lc: 2, lp: 2, pb: 1, dictSize: 8192 },
  ];
  const inputs: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    'one byte': Uint8Array.of(0x42),
    'random 48 KiB': pseudoRandomBytes(48 * 1024, 7),
    'zeros 96 KiB': new Uint8Array(96 * 1024),
    'text 64 KiB': textLike(64 * 1024, 3),
  };

  const label = (p: LzmaParams): string => `lc=${p.lc} lp=${p.lp} pb=${p.pb} dictSize=${p.dictSize}`;
  describe.each(params.map((p) => [label(p), p] as const))('%s', (_label, p) => {
    it.each(Object.keys(inputs))('round-trips %s in whole, 1-byte and mixed chunks', async (name) => {
      const data = inputs[name]!;
      expectRoundTrip(data, await compressLzma(data, p), p, [WHOLE, BYTE_BY_BYTE, MIXED]);
    });
  });

  describe('crafted streams liblzma never writes (device/test/lzma_craft.c)', () => {
    const p: LzmaParams = { lc: 3, lp: 0, pb: 2, dictSize: 4096 };
    function craft(symbols: string[], q: LzmaParams = p): string {
      const file = path.join(build.dir, `craft-${counter++}.bin`);
      const r = build.run('lzma_craft', [q.lc, q.lp, q.pb, file, ...symbols].map(String));
      expect(r.status, r.stderr).toBe(0);
      return file;
    }
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);

    it('finishes without an end marker when the size is known, consuming the stream exactly', () => {
      const file = craft(['L61', 'L62', 'L63']);
      const r = decode(file, p, { size: 3, chunking: BYTE_BY_BYTE });
      expect(r.status).toBe(EXIT.ok);
      expect(Buffer.compare(r.output!, text('abc'))).toBe(0);
      expect(decode(file, p).status, 'no marker, size unknown').toBe(EXIT.truncated);
      expect(decode(file, p, { size: 2 }).status, 'a literal past the declared size').toBe(EXIT.data);
      const withTrailing = new Uint8Array([...readFileSync(file), 0]);
      expect(decode(withTrailing, p, { size: 3 }).status).toBe(EXIT.trailing);
    });

    it('accepts a match reaching the first byte and rejects one reaching before it', () => {
      const ok = decode(craft(['L61', 'L62', 'M5:1', 'E']), p, { chunking: BYTE_BY_BYTE });
      expect(ok.status).toBe(EXIT.ok);
      expect(Buffer.compare(ok.output!, text('abababa'))).toBe(0);
      expect(decode(craft(['L61', 'M2:1', 'E']), p).status).toBe(EXIT.data);
      expect(decode(craft(['M2:0', 'E']), p).status, 'a match on empty output').toBe(EXIT.data);
    });

    it('decodes lc/lp/pb combinations beyond liblzma LZMA1 (lc + lp > 4)', () => {
      for (const q of [
        { lc: 8, lp: 4, pb: 4, dictSize: 4096 },
        { lc: 0, lp: 4, pb: 0, dictSize: 4096 },
        { lc: 5, lp: 1, pb: 3, dictSize: 4096 },
      ]) {
        const r = decode(craft(['L00', 'Lff', 'L80', 'L7f', 'M9:3', 'E'], q), q, { chunking: BYTE_BY_BYTE });
        expect(r.status, JSON.stringify(q)).toBe(EXIT.ok);
        expect([...r.output!]).toEqual([0, 0xff, 0x80, 0x7f, 0, 0xff, 0x80, 0x7f, 0, 0xff, 0x80, 0x7f, 0]);
      }
    });
  });

  const corpus = path.join(sharedDir, 'corpus');
  describe.skipIf(!existsSync(corpus))('real firmware from the shared corpus', () => {
    const images = ['pybv11/1f5d945af-dirty/firmware1.bin', 'shell/new', 'synthesizer/2.bin'];
    it.each(images)('round-trips %s', async (image) => {
      const data = readFileSync(path.join(corpus, image));
      const dictParams: LzmaParams[] = image.startsWith('pybv11')
        ? [{ lc: 3, lp: 0, pb: 2, dictSize: 1 << 20 }, { lc: 0, lp: 2, pb: 2, dictSize: 1 << 16 }]
        : [{ lc: 0, lp: 2, pb: 2, dictSize: 4096 }];
      for (const p of dictParams) expectRoundTrip(data, await compressLzma(data, p), p, [WHOLE, BYTE_BY_BYTE]);
    });
  });

  describe('broken streams give a result code, never a crash or a hang', () => {
    const p: LzmaParams = { lc: 3, lp: 0, pb: 2, dictSize: 1 << 16 };
    const data = textLike(40 * 1024, 9);
    let stream: Uint8Array;
    beforeAll(async () => {
      // A plain Uint8Array copy: Buffer#slice would return views, and the tests below mutate copies.
      stream = new Uint8Array(await compressLzma(data, p));
    });

    it('reports truncation at any cut point, with or without a known size', () => {
      for (const cut of [0, 1, 4, 5, 6, 100, stream.length >> 1, stream.length - 5, stream.length - 1]) {
        const file = tempFile(stream.subarray(0, cut));
        expect(decode(file, p, { chunking: MIXED }).status, `cut at ${cut}`).toBe(EXIT.truncated);
        expect(decode(file, p, { size: data.length }).status, `cut at ${cut}, known size`).toBe(EXIT.truncated);
      }
    });

    it('rejects a bad first byte, a wrong declared size, bytes after the end and bad parameters', () => {
      const badFirst = stream.slice();
      badFirst[0] = 1;
      expect(decode(badFirst, p).status).toBe(EXIT.data);
      expect(decode(stream, p, { size: data.length - 1 }).status).toBe(EXIT.data);
      expect(decode(stream, p, { size: data.length + 1 }).status).toBe(EXIT.data);
      const trailing = new Uint8Array(stream.length + 1);
      trailing.set(stream);
      expect(decode(trailing, p).status).toBe(EXIT.trailing);
      expect(decode(stream, { ...p, lp: 5 }).status).toBe(EXIT.param);
      expect(decode(stream, p, { window: 0 }).status).toBe(EXIT.param);
    });

    it('uses exactly the window it is given: the longest distance fits, one byte less does not', async () => {
      // A random 1000-byte block repeated: the encoder can only match it at distance 1000.
      const period = 1000;
      const block = pseudoRandomBytes(period, 5);
      const repeated = new Uint8Array(period * 5);
      for (let i = 0; i < 5; i++) repeated.set(block, i * period);
      const q: LzmaParams = { lc: 3, lp: 0, pb: 2, dictSize: 4096 };
      const file = tempFile(await compressLzma(repeated, q));
      for (const window of [period, period + 1, 1 << 20]) {
        const r = decode(file, q, { window, chunking: MIXED });
        expect(r.status, `window ${window}`).toBe(EXIT.ok);
        expect(Buffer.compare(r.output!, repeated)).toBe(0);
      }
      expect(decode(file, q, { window: period - 1 }).status).toBe(EXIT.data);
    });

    it('rejects matches that reach beyond the window or before the start', () => {
      // The stream was made with a 64 KiB dictionary: text repeats far back, so a 1 KiB window must refuse it.
      expect(decode(stream, p, { window: 1024 }).status).toBe(EXIT.data);
      // A stream whose first symbol is a match: distances before the start of the output.
      expect(decode(Uint8Array.of(0, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff), p).status).toBe(EXIT.data);
    });

    it('detects bit flips across the stream', () => {
      for (let i = 0; i < 24; i++) {
        const pos = 1 + Math.floor(((stream.length - 2) * i) / 23);
        const flipped = stream.slice();
        flipped[pos]! ^= 1 << (i % 8);
        const r = decode(flipped, p, { chunking: MIXED });
        expect([EXIT.data, EXIT.truncated, EXIT.trailing], `flip at ${pos}: ${r.stderr}`).toContain(r.status);
      }
    });

    it('agrees with itself under any chunking on hundreds of mutated streams (lzma_fuzz)', () => {
      const small = tempFile(stream.subarray(0));
      for (const [lc, lp, pb, window, seed] of [
        [3, 0, 2, 1 << 16, 1],
        [0, 2, 2, 4096, 2],
      ]) {
        const r = build.run('lzma_fuzz', [lc, lp, pb, window, seed, 150, small].map(String), 60_000);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ done: expect.any(Number) });
      }
    });
  });
});
