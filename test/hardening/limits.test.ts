/**
 * Resource limits (issue 7, docs/SECURITY.md "Limits"): sizes a file declares are checked against the real
 * input and the documented maximums before anything is allocated, and work stops as soon as a declared size
 * is exceeded.
 */
import { describe, expect, it } from 'vitest';
import { compressLzma, decompressLzma, type LzmaParams } from '../../src/codec/lzma.js';
import { compressSmall, SmallLzDecoder } from '../../src/codec/lzs.js';
import { Codec, encodeHeader, MAX_IMAGE_SIZE, OLD_CHECK_LENGTH, Transform, type PatchHeader } from '../../src/container/header.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { encodeTables } from '../../src/container/tables.js';
import { ProgramApplier } from '../../src/delta/apply.js';
import { SmallTable } from '../../src/delta/control-table.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { InvalidInputError } from '../../src/errors.js';
import { parseIntelHex } from '../../src/image/intel-hex.js';
import { parseFragmentFile, reassemble } from '../../src/lorawan/index.js';
import { applyPatch, prepareApplier, ResultBuffer } from '../../src/pipeline/apply.js';
import { sha256 } from '../../src/crypto/hash.js';

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

/** A patch header, tables and program, written without the encoder's checks. */
function craftPatch(fields: Partial<PatchHeader> & { program: Uint8Array; old: Uint8Array; tables?: Uint8Array }): Uint8Array {
  const { program, old, tables = new Uint8Array(0), ...overrides } = fields;
  const header: PatchHeader = {
    oldSize: old.length,
    newSize: 64,
    oldLoadAddress: 0,
    newLoadAddress: 0,
    oldCheck: sha256(old).slice(0, OLD_CHECK_LENGTH),
    newSha256: new Uint8Array(32),
    transform: Transform.plain,
    layout: Layout.interleaved,
    diffCoding: DiffCoding.raw,
    codec: Codec.none,
    payloadLength: program.length,
    tablesLength: tables.length,
    ...overrides,
  };
  const head = encodeHeader(header);
  return Uint8Array.from([...head, ...tables, ...program]);
}

describe('applying allocates what the program really produces, not what the header declares', () => {
  it('a 64 MiB new size with a program that breaks after a few bytes is refused without a 64 MiB buffer', async () => {
    const old = new Uint8Array(16).fill(7);
    // Interleaved entry: seek 0, copy 16, extra 0, then 16 difference bytes; then a copy outside the old image.
    const program = Uint8Array.from([0, 16, 0, ...new Array(16).fill(0), 0, 0x7f, 0]);
    const patch = craftPatch({ old, newSize: MAX_IMAGE_SIZE, program });
    expect(patch.length).toBeLessThan(150);
    const before = process.memoryUsage().arrayBuffers;
    await expect(applyPatch(old, patch)).rejects.toThrow(/control entry 1 copies old bytes \[16, 143\) outside the old image/);
    // Before the fix the applier allocated the declared 64 MiB at once.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('the result buffer grows with the output, never past the declared size', () => {
    const result = new ResultBuffer(100_000);
    result.append(new Uint8Array(10).fill(1));
    expect(result.capacity).toBe(64 * 1024);
    result.append(new Uint8Array(70_000).fill(2));
    expect(result.capacity).toBe(100_000);
    result.append(new Uint8Array(29_990).fill(3));
    const bytes = result.bytes();
    expect(bytes.length).toBe(100_000);
    expect([bytes[0], bytes[10], bytes[70_010], bytes[99_999]]).toEqual([1, 2, 3, 3]);
    expect(() => result.append(Uint8Array.of(4))).toThrow(InvalidInputError);
  });

  it('a codec 2 header that declares a 1 GB program costs its window (at most 4 KiB), not the program', async () => {
    const old = new Uint8Array(16).fill(7);
    const params = { windowLog2: 12, literalContext: 1 };
    // 64 KiB of zeros: the program's first entry (seek 0, copy 0, extra 0) is empty.
    const stream = compressSmall(new Uint8Array(1 << 16), params);
    const patch = craftPatch({ old, newSize: MAX_IMAGE_SIZE, codec: Codec.smallLz, smallLz: { params, programLength: 1_000_000_000 }, program: stream });
    const before = process.memoryUsage().arrayBuffers;
    await expect(applyPatch(old, patch)).rejects.toThrow('corrupt patch: control entry 0 is empty');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('the codec 2 decoder stops at the declared program length: a 64 KiB stream declared as 1,000 bytes delivers 1,000 at most', () => {
    const params = { windowLog2: 10, literalContext: 0 };
    const stream = compressSmall(new Uint8Array(1 << 16).fill(0x55), params);
    let delivered = 0;
    const decoder = new SmallLzDecoder(params, 1000, (piece) => {
      delivered += piece.length;
    });
    expect(() => decoder.push(stream)).toThrow(/^corrupt patch: LZS stream: a \d+-byte match passes the declared size 1000$/);
    expect(delivered).toBeLessThanOrEqual(1000);
    // The decoder stays failed: no further input is decoded.
    expect(() => decoder.push(stream)).toThrow(InvalidInputError);
    expect(() => decoder.finish()).toThrow(InvalidInputError);
  });
});

describe('the tables are checked in full before anything is applied', () => {
  it('a control table whose last entry runs past the new size is refused before the first byte is produced', () => {
    const old = Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff);
    const blocks = Array.from({ length: 300 }, (_, i) => ({ oldStart: (i * 13) % 4000, copyLen: 10, extraLen: 0 }));
    blocks[299] = { oldStart: 0, copyLen: 10, extraLen: 1 };
    const tables = encodeTables(blocks, undefined);
    const patch = craftPatch({ old, newSize: 3000, layout: Layout.sectioned, tables, program: new Uint8Array(3001) });
    let produced = 0;
    expect(() => prepareApplier(old, parsePatch(patch), (chunk) => { produced += chunk.length; })).toThrow(
      'corrupt patch: control entry 299 runs past the new image size 3000',
    );
    expect(produced).toBe(0);
  });
});

describe('the table-first table is checked as it arrives', () => {
  it('an entry that takes the table past the new size is refused at once, not after all the declared entries', () => {
    const chunks: Uint8Array[] = [];
    const applier = new ProgramApplier(
      { layout: Layout.tableFirst, diffCoding: DiffCoding.raw, oldSize: 16, newSize: 10, smallTable: new SmallTable({ oldSize: 16, newSize: 10 }) },
      plainSource(new Uint8Array(16)),
      (c) => chunks.push(c),
    );
    // 11 entries declared; entries (seek 0, copy 8, extra 0) and (seek -8, copy 8, extra 0): 16 bytes for a 10-byte image.
    expect(() => applier.push(Uint8Array.of(11, 0, 16, 0, 15, 16, 0))).toThrow('corrupt patch: control entry 1 runs past the new image size 10');
    expect(chunks).toEqual([]);
  });
});

describe('declared sizes of images and fragment sessions', () => {
  const hexRecord = (type: number, offset: number, data: number[]): string => {
    const body = [data.length, offset >> 8, offset & 0xff, type, ...data];
    return `:${[...body, -body.reduce((a, b) => a + b, 0) & 0xff].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  };

  it('an Intel HEX file whose two bytes lie 4 GiB apart is refused before the image is allocated', () => {
    const text = [hexRecord(4, 0, [0x00, 0x00]), hexRecord(0, 0, [1]), hexRecord(4, 0, [0xff, 0xff]), hexRecord(0, 0xffff, [2]), hexRecord(1, 0, [])].join('\n');
    const before = process.memoryUsage().arrayBuffers;
    expect(() => parseIntelHex(new TextEncoder().encode(text))).toThrow('Intel HEX data would span 0x100000000 bytes, more than 64 MiB: from 0x00000000 (line 2) to 0xFFFFFFFF (line 4)');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('a 60-byte fragment file that declares the largest TS004 session costs a few MiB, not more', () => {
    // NbFrag 16383, FragSize 255: a 4 MiB block; one fragment present.
    const setup = '02' + '00' + 'ff3f' + 'ff' + '00' + '00' + '00000000';
    const fragment = '08' + '0100' + 'ab'.repeat(255);
    const parsed = parseFragmentFile(new TextEncoder().encode(`${setup}\n${fragment}\n`));
    expect(parsed.setup).toMatchObject({ nbFrag: 16383, fragSize: 255 });
    const before = process.memoryUsage().arrayBuffers;
    const result = reassemble(parsed.fragments, { nbFrag: 16383, fragSize: 255, padding: 0, version: parsed.version });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toBe('not-enough-fragments');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
