/**
 * The device-side codec 2 decoder (device/src/sd_lzs.c) against the TypeScript encoder and reference decoder
 * (src/codec/lzs*.ts): byte-identical output for any chunking, the same verdict on broken streams, and the
 * work area size the TypeScript RAM figure announces (allocated to the byte, under ASan).
 * Skips when gcc or make is not on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressSmall, decompressSmall, smallLzParamsByte, smallLzRamBytes, type SmallLzParams } from '../../src/codec/lzs.js';
import { InvalidInputError } from '../../src/errors.js';
import { craftStream } from '../codec/lzs-craft.js';
import { programFiles, PROGRAMS_DIR } from '../codec/lzs-programs.js';
import { buildHostTools, deviceDir, hostToolchainAvailable, onPath, pseudoRandomBytes, type HostBuild } from './host-build.js';

/** lzs_cli exit codes (device/test/lzs_cli.c). */
const EXIT = { ok: 0, param: 2, data: 3, truncated: 4, trailing: 5 } as const;

interface Chunking {
  seed: number;
  maxIn: number;
  maxOut: number;
}
const WHOLE: Chunking = { seed: 0, maxIn: 0, maxOut: 0 };
const BYTE_BY_BYTE: Chunking = { seed: 11, maxIn: 1, maxOut: 1 };
const MIXED: Chunking = { seed: 12, maxIn: 23, maxOut: 500 };

const DEFAULT: SmallLzParams = { windowLog2: 10, literalContext: 1 };
const SETTINGS: SmallLzParams[] = [DEFAULT, { windowLog2: 8, literalContext: 0 }, { windowLog2: 11, literalContext: 0 }, { windowLog2: 12, literalContext: 1 }];

/** What the TypeScript decoder makes of a stream, as an lzs_cli exit code. */
function referenceVerdict(stream: Uint8Array, p: SmallLzParams, size: number): { status: number; output?: Uint8Array } {
  try {
    return { status: EXIT.ok, output: decompressSmall(stream, p, size) };
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    expect(err.message).toMatch(/^corrupt patch: /);
    if (/truncated/.test(err.message)) return { status: EXIT.truncated };
    if (/after the end/.test(err.message)) return { status: EXIT.trailing };
    return { status: EXIT.data };
  }
}

function repeated(unit: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = unit[i % unit.length]!;
  return out;
}

describe.skipIf(!hostToolchainAvailable)('device codec 2 decoder (host build, sanitizers on)', () => {
  let build: HostBuild;
  let counter = 0;

  beforeAll(() => {
    build = buildHostTools();
  });
  afterAll(() => build?.cleanup());

  function tempFile(data: Uint8Array): string {
    const file = path.join(build.dir, `lzs-${counter++}.bin`);
    writeFileSync(file, data);
    return file;
  }

  /** Decodes with device/test/lzs_cli; returns the exit status and the output (when it succeeded). */
  function decode(
    stream: Uint8Array | string,
    p: SmallLzParams | number,
    size: number,
    opts: { chunking?: Chunking; work?: number } = {},
  ): { status: number | null; output?: Uint8Array; stderr: string } {
    const input = typeof stream === 'string' ? stream : tempFile(stream);
    const output = path.join(build.dir, `lzs-out-${counter++}.bin`);
    const c = opts.chunking ?? WHOLE;
    const paramsByte = typeof p === 'number' ? p : smallLzParamsByte(p);
    const args = [paramsByte, size, opts.work ?? '-', c.seed, c.maxIn, c.maxOut, input, output];
    const r = build.run('lzs_cli', args.map(String));
    return { status: r.status, output: r.status === 0 ? readFileSync(output) : undefined, stderr: r.stderr };
  }

  function expectRoundTrip(data: Uint8Array, p: SmallLzParams, chunkings: Chunking[]): void {
    const file = tempFile(compressSmall(data, p));
    for (const chunking of chunkings) {
      const r = decode(file, p, data.length, { chunking });
      const label = `${JSON.stringify(p)} chunking ${JSON.stringify(chunking)}`;
      expect(r.stderr, label).toBe('');
      expect(r.status, label).toBe(EXIT.ok);
      expect(Buffer.compare(r.output!, data), label).toBe(0);
    }
  }

  it('allocates exactly what smallLzRamBytes announces, and no more is needed', () => {
    const sizes = JSON.parse(build.run('lzs_cli', ['sizes']).stdout) as { sizeof_sd_lzs_dec: number; work_bytes: Record<string, [number, number]> };
    for (let w = 8; w <= 12; w++) {
      expect(sizes.work_bytes[`w${w}`]).toEqual([0, 1].map((literalContext) => smallLzRamBytes({ windowLog2: w, literalContext })));
    }
    expect(sizes.sizeof_sd_lzs_dec).toBeLessThanOrEqual(96);
    const data = repeated(pseudoRandomBytes(900, 6), 5000);
    const stream = compressSmall(data, DEFAULT);
    expect(decode(stream, DEFAULT, data.length, { work: smallLzRamBytes(DEFAULT, data.length) }).status).toBe(EXIT.ok);
    expect(decode(stream, DEFAULT, data.length, { work: smallLzRamBytes(DEFAULT, data.length) - 1 }).status).toBe(EXIT.param);
    const small = pseudoRandomBytes(300, 1);
    const q: SmallLzParams = { windowLog2: 12, literalContext: 0 };
    expect(decode(compressSmall(small, q), q, 300, { work: smallLzRamBytes(q, 300), chunking: MIXED }).status, 'window = unpacked size').toBe(EXIT.ok);
  });

  describe.skipIf(programFiles.length === 0)('delta programs in /work/programs', () => {
    it.each(programFiles)('%s decodes byte-identically, whole, byte by byte and in mixed chunks', (file) => {
      const data = readFileSync(path.join(PROGRAMS_DIR, file));
      for (const p of SETTINGS) expectRoundTrip(data, p, p === DEFAULT ? [WHOLE, BYTE_BY_BYTE, MIXED] : [WHOLE, MIXED]);
    });
  });

  const inputs: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    'one byte': Uint8Array.of(0x42),
    'random 48 KiB': pseudoRandomBytes(48 * 1024, 7),
    'zeros 96 KiB': new Uint8Array(96 * 1024),
    'period 1000': repeated(pseudoRandomBytes(1000, 3), 20_000),
    'period 5000 (beyond every window)': repeated(pseudoRandomBytes(5000, 4), 16_000),
  };
  it.each(Object.keys(inputs))('%s decodes byte-identically for every setting', (name) => {
    for (const p of SETTINGS) expectRoundTrip(inputs[name]!, p, [WHOLE, MIXED]);
  });

  describe('broken streams: the same verdict as the TypeScript decoder', () => {
    const p: SmallLzParams = { windowLog2: 9, literalContext: 1 };
    const data = repeated(pseudoRandomBytes(400, 9), 6000);
    let stream: Uint8Array;
    beforeAll(() => {
      stream = compressSmall(data, p);
    });

    function expectSameVerdict(s: Uint8Array, size: number, label: string, chunking = MIXED): number {
      const ref = referenceVerdict(s, p, size);
      const r = decode(s, p, size, { chunking });
      expect(r.stderr.includes('Sanitizer'), `${label}: ${r.stderr}`).toBe(false);
      expect(r.status, label).toBe(ref.status);
      if (ref.output) expect(Buffer.compare(r.output!, ref.output), label).toBe(0);
      return ref.status;
    }

    it('truncation at any cut point, bytes after the end, wrong sizes', () => {
      for (const cut of [0, 1, 3, 4, 5, 50, stream.length >> 1, stream.length - 2, stream.length - 1]) {
        expect(expectSameVerdict(stream.subarray(0, cut), data.length, `cut at ${cut}`), `cut at ${cut}`).toBe(EXIT.truncated);
      }
      const longer = new Uint8Array(stream.length + 3);
      longer.set(stream);
      expect(expectSameVerdict(longer, data.length, 'trailing')).toBe(EXIT.trailing);
      for (const size of [0, 1, data.length - 1, data.length + 1]) expectSameVerdict(stream, size, `size ${size}`);
    });

    it('crafted streams: matches before the start, beyond the window, past the declared size', () => {
      const q: SmallLzParams = { windowLog2: 8, literalContext: 0 };
      const far = Array.from({ length: 300 }, (_, i) => ({ lit: (i * 7) & 0xff }));
      const cases: Array<[string, Uint8Array, number, number]> = [
        ['distance = window', craftStream(q, [...far, { match: [3, 256] }]), 303, EXIT.ok],
        ['distance = window + 1', craftStream(q, [...far, { match: [3, 257] }]), 303, EXIT.data],
        ['match before the start', craftStream(q, [{ lit: 1 }, { match: [2, 2] }]), 3, EXIT.data],
        ['match past the size', craftStream(q, [{ lit: 1 }, { match: [4, 1] }]), 4, EXIT.data],
        ['rep past the size', craftStream(q, [{ lit: 1 }, { rep: 9 }]), 9, EXIT.data],
        ['rep at the start distance', craftStream(q, [{ lit: 5 }, { rep: 9 }]), 10, EXIT.ok],
        ['code not ending at zero', Uint8Array.of(0, 0, 0, 1), 0, EXIT.data],
        ['an invalid first code', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0), 1, EXIT.data],
      ];
      for (const [label, s, size, status] of cases) {
        const ref = referenceVerdict(s, q, size);
        expect(ref.status, `TypeScript: ${label}`).toBe(status);
        const r = decode(s, q, size, { chunking: BYTE_BY_BYTE });
        expect(r.status, `C: ${label}`).toBe(status);
        if (ref.output) expect(Buffer.compare(r.output!, ref.output)).toBe(0);
      }
    });

    it('bad parameters', () => {
      for (const bad of [0x05, 0x07, 0x10, 0xff]) expect(decode(stream, bad, data.length).status, `params 0x${bad.toString(16)}`).toBe(EXIT.param);
    });

    it('agrees on hundreds of mutated streams (flips, changed, inserted and deleted bytes), never crashing', () => {
      const noise = pseudoRandomBytes(4 * 600, 77);
      const mutants: Uint8Array[] = [];
      for (let i = 0; i < 600; i++) {
        const pos = (noise[4 * i]! | (noise[4 * i + 1]! << 8)) % stream.length;
        const value = noise[4 * i + 2]!;
        const s = stream.slice();
        if (i % 4 === 0) s[pos]! ^= 1 << (value % 8);
        if (i % 4 === 1) s[pos] = value;
        if (i % 4 === 2) mutants.push(new Uint8Array([...stream.subarray(0, pos), value, ...stream.subarray(pos)]));
        else if (i % 4 === 3) mutants.push(new Uint8Array([...stream.subarray(0, pos), ...stream.subarray(pos + 1)]));
        else mutants.push(s);
      }
      const files = mutants.map((m) => tempFile(m));
      const c = MIXED;
      const r = build.run('lzs_cli', ['batch', smallLzParamsByte(p), data.length, c.seed, c.maxIn, c.maxOut, ...files].map(String), 120_000);
      expect(r.stderr.includes('Sanitizer'), r.stderr).toBe(false);
      expect(r.status).toBe(0);
      const statuses = r.stdout.trim().split('\n').map(Number);
      expect(statuses).toHaveLength(mutants.length);
      const verdicts = new Map<number, number>();
      mutants.forEach((m, i) => {
        const ref = referenceVerdict(m, p, data.length);
        expect(statuses[i], `mutant ${i}`).toBe(ref.status);
        if (ref.output) expect(Buffer.compare(readFileSync(`${files[i]}.out`), ref.output), `mutant ${i}`).toBe(0);
        verdicts.set(ref.status, (verdicts.get(ref.status) ?? 0) + 1);
      });
      expect(verdicts.get(EXIT.data)).toBeGreaterThan(150);
    });
  });
});

describe.skipIf(!(onPath('arm-none-eabi-gcc') && onPath('make')))('device codec 2 decoder, Cortex-M4 cross build', () => {
  it('fits 1.2 KB of flash with no static state, and a small struct', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-lzs-cross-'));
    try {
      const r = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${dir}`, 'cross'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const line = /lzs decoder flash \(.*\) = (\d+) bytes, data\+bss = (\d+)/.exec(r.stdout);
      expect(line, r.stdout).toBeTruthy();
      expect(Number(line![1])).toBeLessThanOrEqual(1228);
      expect(Number(line![2])).toBe(0);
      expect(Number(/sizeof_sd_lzs_dec = (\d+) bytes/.exec(r.stdout)?.[1])).toBeLessThanOrEqual(96);
      // -fstack-usage: no function of the decoder takes more than 32 bytes of frame.
      const frames = [...r.stdout.matchAll(/^src\/sd_lzs\.c:\d+:\d+:(\w+)\t(\d+)\t/gm)].map((m) => Number(m[2]));
      expect(frames.length).toBeGreaterThanOrEqual(4);
      expect(Math.max(...frames)).toBeLessThanOrEqual(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
