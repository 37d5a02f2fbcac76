/** The patch header (docs/FORMAT.md, "Header"): round trip over every field, and every rejection. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Codec, decodeHeader, encodeHeader, MAGIC, MAX_CONTROL_ENTRIES, Transform, type PatchHeader } from '../../src/container/header.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { ByteWriter } from '../../src/delta/varint.js';
import { InvalidInputError } from '../../src/errors.js';

const MiB64 = 64 * 1024 * 1024;

/** Valid LZMA parameter sets: lc + lp <= 4, pb <= 4, dictionary 2^12..2^26. */
const lzmaParams = fc
  .record({ lc: fc.integer({ min: 0, max: 4 }), lp: fc.integer({ min: 0, max: 4 }), pb: fc.integer({ min: 0, max: 4 }), log2: fc.integer({ min: 12, max: 26 }) })
  .filter((p) => p.lc + p.lp <= 4)
  .map(({ lc, lp, pb, log2 }) => ({ lc, lp, pb, dictSize: 2 ** log2 }));

/** A version string of at most 64 UTF-8 bytes (multi-byte characters included). */
const versionString = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => new TextEncoder().encode(s).length <= 64);

const headers: fc.Arbitrary<PatchHeader> = fc
  .record({
    oldSize: fc.integer({ min: 0, max: MiB64 }),
    newSize: fc.integer({ min: 0, max: MiB64 }),
    oldAddr: fc.integer({ min: 0, max: 0xffff_ffff }),
    newAddr: fc.integer({ min: 0, max: 0xffff_ffff }),
    oldSha256: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    newSha256: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    transform: fc.constantFrom(Transform.plain, Transform.cortexM),
    transformParams: fc.uint8Array({ maxLength: 300 }),
    layout: fc.constantFrom(Layout.interleaved, Layout.controlFirst),
    diffCoding: fc.constantFrom(DiffCoding.raw, DiffCoding.sparse),
    entryFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    programFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    lzma: fc.option(lzmaParams, { nil: undefined }),
    payloadLength: fc.integer({ min: 0, max: 0xffff_ffff }),
    versions: fc.option(fc.tuple(versionString, versionString), { nil: undefined }),
    securityCounter: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
  })
  .map((r) => {
    const entryCount = Math.min(MAX_CONTROL_ENTRIES, Math.floor(r.entryFraction * (r.newSize + 1)));
    const programLimit = 2 * r.newSize + 16 * entryCount + 64;
    const h: PatchHeader = {
      oldSize: r.oldSize,
      newSize: r.newSize,
      // Keep address + size within 2^32.
      oldLoadAddress: Math.min(r.oldAddr, 2 ** 32 - r.oldSize),
      newLoadAddress: Math.min(r.newAddr, 2 ** 32 - r.newSize),
      oldSha256: r.oldSha256,
      newSha256: r.newSha256,
      transform: r.transform,
      transformParams: r.transformParams,
      layout: r.layout,
      diffCoding: r.diffCoding,
      entryCount,
      programLength: Math.floor(r.programFraction * programLimit),
      codec: r.lzma ? Codec.lzma1 : Codec.none,
      payloadLength: r.payloadLength,
    };
    if (r.lzma) h.lzma = r.lzma;
    if (r.versions) [h.versionFrom, h.versionTo] = r.versions;
    if (r.securityCounter !== undefined) h.securityCounter = r.securityCounter;
    return h;
  });

/** A valid header with every optional field, for the rejection tests. */
const sample: PatchHeader = {
  oldSize: 16152,
  newSize: 16396,
  oldLoadAddress: 0x0800_0000,
  newLoadAddress: 0x0800_0000,
  oldSha256: new Uint8Array(32).fill(0xaa),
  newSha256: new Uint8Array(32).fill(0xbb),
  transform: Transform.cortexM,
  transformParams: Uint8Array.of(0x1f, 0x20, 0x05, 0x00),
  layout: Layout.controlFirst,
  diffCoding: DiffCoding.sparse,
  entryCount: 12,
  programLength: 900,
  codec: Codec.lzma1,
  lzma: { lc: 0, lp: 2, pb: 2, dictSize: 16384 },
  payloadLength: 300,
  versionFrom: '1.0.0',
  versionTo: '1.1.0-ü',
  securityCounter: 7,
};

/**
 * The header written field by field (the layout of docs/FORMAT.md), so each field can be replaced with a bad
 * value; `patch` overrides raw field encodings by name.
 */
function rawHeader(patch: Partial<Record<string, (w: ByteWriter) => void>> = {}): Uint8Array {
  const w = new ByteWriter(64);
  const field = (name: string, write: (w: ByteWriter) => void): void => (patch[name] ?? write)(w);
  field('magic', (w) => w.bytes(MAGIC));
  field('version', (w) => w.byte(1));
  field('flags', (w) => w.byte(0x03));
  field('oldSize', (w) => w.uvarint(sample.oldSize));
  field('newSize', (w) => w.uvarint(sample.newSize));
  field('oldAddr', (w) => w.uvarint(sample.oldLoadAddress));
  field('newAddr', (w) => w.uvarint(sample.newLoadAddress));
  field('oldSha', (w) => w.bytes(sample.oldSha256));
  field('newSha', (w) => w.bytes(sample.newSha256));
  field('transform', (w) => w.byte(1));
  field('params', (w) => { w.uvarint(4); w.bytes(sample.transformParams); });
  field('program', (w) => w.byte(0x03));
  field('entries', (w) => w.uvarint(12));
  field('programLength', (w) => w.uvarint(900));
  field('codec', (w) => w.byte(1));
  field('props', (w) => w.byte((2 * 5 + 2) * 9 + 0));
  field('dict', (w) => w.byte(14));
  field('payload', (w) => w.uvarint(300));
  field('versionFrom', (w) => { w.uvarint(5); w.bytes(new TextEncoder().encode('1.0.0')); });
  field('versionTo', (w) => { const b = new TextEncoder().encode('1.1.0-ü'); w.uvarint(b.length); w.bytes(b); });
  field('counter', (w) => w.uvarint(7));
  return w.view().slice();
}

function rejected(bytes: Uint8Array, message: RegExp): void {
  expect(() => decodeHeader(bytes)).toThrow(InvalidInputError);
  expect(() => decodeHeader(bytes)).toThrow(message);
}

describe('header round trip', () => {
  it('decode(encode(h)) == h over every field, and the length is the whole encoding', () => {
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 8 }), (h, after) => {
        const bytes = encodeHeader(h);
        const { header, length } = decodeHeader(Uint8Array.from([...bytes, ...after]));
        expect(length).toBe(bytes.length);
        const expected = { ...h };
        // Versions travel as a pair: one given means both fields are present (the other empty).
        if (h.versionFrom !== undefined || h.versionTo !== undefined) {
          expected.versionFrom = h.versionFrom ?? '';
          expected.versionTo = h.versionTo ?? '';
        }
        expect(header).toEqual(expected);
        expect(encodeHeader(header)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('the hand-written layout of docs/FORMAT.md is exactly what encodeHeader writes', () => {
    expect(encodeHeader(sample)).toEqual(rawHeader());
    expect(decodeHeader(rawHeader()).header).toEqual(sample);
  });

  it('a minimal header (plain, no codec, no options) is 4+1+1+4*1+64+1+1+1+1+1+1+1 = 81 bytes', () => {
    const h: PatchHeader = { ...sample, oldSize: 0, newSize: 0, oldLoadAddress: 0, newLoadAddress: 0, transform: Transform.plain, transformParams: new Uint8Array(0), entryCount: 0, programLength: 0, codec: Codec.none, payloadLength: 0 };
    delete h.lzma;
    delete h.versionFrom;
    delete h.versionTo;
    delete h.securityCounter;
    expect(encodeHeader(h).length).toBe(81);
  });

  it('refuses to write what it could not read back', () => {
    expect(() => encodeHeader({ ...sample, versionFrom: 'x'.repeat(65) })).toThrow(RangeError);
    expect(() => encodeHeader({ ...sample, lzma: { ...sample.lzma!, dictSize: 3000 } })).toThrow(RangeError);
    const noLzma = { ...sample };
    delete noLzma.lzma;
    expect(() => encodeHeader(noLzma)).toThrow(/LZMA parameters missing/);
  });
});

describe('header rejections', () => {
  it('bad magic: "not a smartdelta patch"', () => {
    rejected(rawHeader({ magic: (w) => w.bytes(Uint8Array.of(0x53, 0x44, 0x4c, 0x55)) }), /not a smartdelta patch/);
    rejected(new TextEncoder().encode('hello world, this is not a patch'), /not a smartdelta patch/);
  });

  it('another format version', () => {
    rejected(rawHeader({ version: (w) => w.byte(2) }), /unsupported patch format version 2/);
    rejected(rawHeader({ version: (w) => w.byte(0) }), /unsupported patch format version 0/);
  });

  it('unknown flag bits', () => {
    for (const flags of [0x04, 0x80, 0x07]) rejected(rawHeader({ flags: (w) => w.byte(flags) }), /unknown header flags/);
  });

  it('sizes over 64 MiB', () => {
    rejected(rawHeader({ oldSize: (w) => w.uvarint(MiB64 + 1) }), /old image size 67108865 exceeds/);
    rejected(rawHeader({ newSize: (w) => w.uvarint(MiB64 + 1) }), /new image size 67108865 exceeds/);
    // Exactly 64 MiB is allowed (then the load address must leave room).
    expect(() => decodeHeader(rawHeader({ oldSize: (w) => w.uvarint(MiB64) }))).not.toThrow();
  });

  it('load address + size beyond 2^32', () => {
    rejected(rawHeader({ oldAddr: (w) => w.uvarint(2 ** 32 - 100) }), /old image at 0xffffff9c \(16152 bytes\) does not fit/);
    rejected(rawHeader({ newAddr: (w) => w.uvarint(2 ** 33) }), /new image .* does not fit a 32-bit address space/);
    expect(() => decodeHeader(rawHeader({ oldAddr: (w) => w.uvarint(2 ** 32 - sample.oldSize) }))).not.toThrow();
  });

  it('an unknown transform, and transform parameters over 4096 bytes', () => {
    rejected(rawHeader({ transform: (w) => w.byte(2) }), /unknown transform id 2/);
    rejected(rawHeader({ params: (w) => { w.uvarint(4097); w.bytes(new Uint8Array(4097)); } }), /transform parameters of 4097 bytes exceed the limit of 4096/);
  });

  it('unknown program flags', () => {
    rejected(rawHeader({ program: (w) => w.byte(0x04) }), /unknown program flags 0x4/);
  });

  it('an implausible entry count or program length', () => {
    rejected(rawHeader({ entries: (w) => w.uvarint(sample.newSize + 2) }), /implausible/);
    rejected(rawHeader({ programLength: (w) => w.uvarint(2 * sample.newSize + 16 * 12 + 65) }), /declared program \(12 entries, 33049 bytes\) is implausible/);
    expect(() => decodeHeader(rawHeader({ entries: (w) => w.uvarint(sample.newSize + 1) }))).not.toThrow();
    expect(() => decodeHeader(rawHeader({ programLength: (w) => w.uvarint(2 * sample.newSize + 16 * 12 + 64) }))).not.toThrow();
  });

  it('an unknown codec', () => {
    rejected(rawHeader({ codec: (w) => w.byte(2) }), /unknown codec id 2/);
  });

  it('LZMA properties: byte >= 225, lc + lp > 4', () => {
    rejected(rawHeader({ props: (w) => w.byte(225) }), /LZMA properties byte 225 is out of range/);
    rejected(rawHeader({ props: (w) => w.byte(5) }), /lc \+ lp = 5 exceeds 4/); // lc 5, lp 0
    expect(decodeHeader(rawHeader({ props: (w) => w.byte(4 * 45 + 4 * 9 + 0) })).header.lzma).toEqual({ lc: 0, lp: 4, pb: 4, dictSize: 16384 });
    rejected(rawHeader({ props: (w) => w.byte((0 * 5 + 1) * 9 + 4) }), /lc \+ lp = 5 exceeds 4/);
    rejected(rawHeader({ props: (w) => w.byte((0 * 5 + 4) * 9 + 8) }), /lc \+ lp = 12 exceeds 4/);
  });

  it('LZMA dictionary outside 2^12..2^26', () => {
    rejected(rawHeader({ dict: (w) => w.byte(11) }), /LZMA dictionary 2\^11 is out of range/);
    rejected(rawHeader({ dict: (w) => w.byte(27) }), /LZMA dictionary 2\^27 is out of range/);
    for (const log2 of [12, 26]) expect(decodeHeader(rawHeader({ dict: (w) => w.byte(log2) })).header.lzma!.dictSize).toBe(2 ** log2);
  });

  it('version strings: longer than 64 bytes, or not UTF-8', () => {
    rejected(rawHeader({ versionFrom: (w) => { w.uvarint(65); w.bytes(new Uint8Array(65).fill(0x41)); } }), /version-from string of 65 bytes exceeds 64/);
    rejected(rawHeader({ versionTo: (w) => { w.uvarint(2); w.bytes(Uint8Array.of(0xc3, 0x28)); } }), /version-to string is not valid UTF-8/);
    rejected(rawHeader({ versionFrom: (w) => { w.uvarint(1); w.byte(0xff); } }), /version-from string is not valid UTF-8/);
    // An overlong encoding of '/' and a lone surrogate (ED A0 80) are not UTF-8 either.
    rejected(rawHeader({ versionFrom: (w) => { w.uvarint(2); w.bytes(Uint8Array.of(0xc0, 0xaf)); } }), /not valid UTF-8/);
    rejected(rawHeader({ versionTo: (w) => { w.uvarint(3); w.bytes(Uint8Array.of(0xed, 0xa0, 0x80)); } }), /not valid UTF-8/);
  });

  it('non-minimal or over-long varints in any field', () => {
    rejected(rawHeader({ oldSize: (w) => w.bytes(Uint8Array.of(0x80, 0x00)) }), /old size at offset 6 is not a minimal varint/);
    rejected(rawHeader({ payload: (w) => w.bytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)) }), /payload length .* longer than 5 bytes/);
  });

  it('truncation at every offset, as InvalidInputError (never a RangeError or a wrong header)', () => {
    const full = rawHeader();
    expect(decodeHeader(full).length).toBe(full.length);
    for (let cut = 0; cut < full.length; cut++) rejected(full.subarray(0, cut), /truncated|not a smartdelta patch/);
    const plain = encodeHeader({ ...sample, transform: Transform.plain, transformParams: new Uint8Array(0), codec: Codec.none, lzma: undefined as never });
    for (let cut = 0; cut < plain.length; cut++) rejected(plain.subarray(0, cut), /truncated|not a smartdelta patch/);
  });

  it('any single corrupted byte either decodes or fails with InvalidInputError', () => {
    const full = rawHeader();
    fc.assert(
      fc.property(fc.nat(full.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = full.slice();
        bad[at]! ^= xor;
        try {
          decodeHeader(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidInputError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('control entry limit', () => {
  it('refuses a header that declares more than 2^20 control entries', async () => {
    const { createPatch } = await import('../../src/pipeline/create-patch.js');
    const image = { data: new Uint8Array(4 << 20).fill(7), loadAddress: 0 };
    const bytes = encodeHeader({ ...decodeHeader((await createPatch(image, image, { arch: 'none' })).bytes).header, entryCount: MAX_CONTROL_ENTRIES + 1 });
    expect(() => decodeHeader(bytes)).toThrow(/1048577 control entries exceed the limit of 1048576/);
  });
});
