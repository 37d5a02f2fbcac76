/**
 * The format v2 header (docs/FORMAT.md, "Header"): round trip over every field, the flags byte and the length
 * computed from the spec, the hand-written layout, and every rejection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Codec, decodeHeader, encodeHeader, FORMAT_VERSION, MAGIC, MAX_TABLES_LENGTH, OLD_CHECK_LENGTH, Transform, type PatchHeader } from '../../src/container/header.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { ByteWriter, uvarintLength } from '../../src/delta/varint.js';
import { InvalidInputError } from '../../src/errors.js';

const MiB64 = 64 * 1024 * 1024;

/** Valid LZMA parameter sets: lc + lp <= 4, pb <= 4, a window of 2^8..2^26. */
const lzmaParams = fc
  .record({ lc: fc.integer({ min: 0, max: 4 }), lp: fc.integer({ min: 0, max: 4 }), pb: fc.integer({ min: 0, max: 4 }), log2: fc.integer({ min: 8, max: 26 }) })
  .filter((p) => p.lc + p.lp <= 4)
  .map(({ lc, lp, pb, log2 }) => ({ lc, lp, pb, dictSize: 2 ** log2 }));

/** Codec 2's parameters: a window of 2^8..2^12, literal context 0 or 1. */
const smallLzParams = fc.record({ windowLog2: fc.integer({ min: 8, max: 12 }), literalContext: fc.integer({ min: 0, max: 1 }) });

/** A version string of at most 64 UTF-8 bytes (multi-byte characters included). */
const versionString = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => new TextEncoder().encode(s).length <= 64);

const headers: fc.Arbitrary<PatchHeader> = fc
  .record({
    oldSize: fc.integer({ min: 0, max: MiB64 }),
    newSize: fc.integer({ min: 0, max: MiB64 }),
    oldAddr: fc.integer({ min: 0, max: 0xffff_ffff }),
    newAddr: fc.integer({ min: 0, max: 0xffff_ffff }),
    sameAddress: fc.boolean(),
    oldCheck: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    newSha256: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    transform: fc.constantFrom(Transform.plain, Transform.cortexM),
    sectioned: fc.boolean(),
    diffCoding: fc.constantFrom(DiffCoding.raw, DiffCoding.sparse),
    codec: fc.constantFrom(Codec.none, Codec.lzma1, Codec.smallLz),
    lzma: lzmaParams,
    smallLz: smallLzParams,
    programFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    payloadLength: fc.integer({ min: 0, max: 0xffff_ffff }),
    tablesLength: fc.integer({ min: 0, max: MAX_TABLES_LENGTH }),
    versions: fc.option(fc.tuple(versionString, versionString), { nil: undefined }),
    securityCounter: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
  })
  .map((r) => {
    const oldLoadAddress = Math.min(r.oldAddr, 2 ** 32 - r.oldSize);
    const h: PatchHeader = {
      oldSize: r.oldSize,
      newSize: r.newSize,
      // Keep address + size within 2^32.
      oldLoadAddress,
      newLoadAddress: r.sameAddress && oldLoadAddress + r.newSize <= 2 ** 32 ? oldLoadAddress : Math.min(r.newAddr, 2 ** 32 - r.newSize),
      oldCheck: r.oldCheck,
      newSha256: r.newSha256,
      transform: r.transform,
      layout: r.sectioned ? Layout.sectioned : r.transform === Transform.cortexM ? Layout.tableFirst : Layout.interleaved,
      diffCoding: r.diffCoding,
      codec: r.codec,
      payloadLength: r.payloadLength,
      // The tables length travels only with the sectioned layout or the relocation transform.
      tablesLength: r.sectioned || r.transform === Transform.cortexM ? r.tablesLength : 0,
    };
    if (r.codec === Codec.lzma1) h.lzma = r.lzma;
    if (r.codec === Codec.smallLz) h.smallLz = { params: r.smallLz, programLength: Math.floor(r.programFraction * (64 + 22 * r.newSize)) };
    if (r.versions) [h.versionFrom, h.versionTo] = r.versions;
    if (r.securityCounter !== undefined) h.securityCounter = r.securityCounter;
    return h;
  });

/** The flags byte of docs/FORMAT.md, computed from the fields. */
function expectedFlags(h: PatchHeader): number {
  return (
    (h.versionFrom !== undefined || h.versionTo !== undefined ? 0x01 : 0) |
    (h.securityCounter !== undefined ? 0x02 : 0) |
    (h.newLoadAddress !== h.oldLoadAddress ? 0x04 : 0) |
    (h.layout === Layout.sectioned ? 0x08 : 0) |
    (h.diffCoding === DiffCoding.sparse ? 0x10 : 0) |
    (h.transform === Transform.cortexM ? 0x20 : 0) |
    (h.codec << 6)
  );
}

/** The header's length, field by field from the table of docs/FORMAT.md. */
function expectedLength(h: PatchHeader): number {
  const utf8 = (s: string | undefined): number => {
    const n = new TextEncoder().encode(s ?? '').length;
    return uvarintLength(n) + n;
  };
  const versions = h.versionFrom !== undefined || h.versionTo !== undefined;
  return (
    2 + 1 + 1 +
    uvarintLength(h.oldSize) + uvarintLength(h.newSize) + uvarintLength(h.oldLoadAddress) +
    (h.newLoadAddress !== h.oldLoadAddress ? uvarintLength(h.newLoadAddress) : 0) +
    8 + 32 +
    (h.codec === Codec.lzma1 ? 2 : h.codec === Codec.smallLz ? 1 + uvarintLength(h.smallLz!.programLength) : 0) +
    uvarintLength(h.payloadLength) +
    (h.layout === Layout.sectioned || h.transform === Transform.cortexM ? uvarintLength(h.tablesLength) : 0) +
    (versions ? utf8(h.versionFrom) + utf8(h.versionTo) : 0) +
    (h.securityCounter !== undefined ? uvarintLength(h.securityCounter) : 0)
  );
}

/** A valid header with every optional field, for the rejection tests: relocated, sectioned, sparse, LZMA. */
const sample: PatchHeader = {
  oldSize: 16152,
  newSize: 16396,
  oldLoadAddress: 0x0800_0000,
  newLoadAddress: 0x0800_4000,
  oldCheck: new Uint8Array(8).fill(0xaa),
  newSha256: new Uint8Array(32).fill(0xbb),
  transform: Transform.cortexM,
  layout: Layout.sectioned,
  diffCoding: DiffCoding.sparse,
  codec: Codec.lzma1,
  lzma: { lc: 0, lp: 2, pb: 2, dictSize: 16384 },
  payloadLength: 300,
  tablesLength: 120,
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
  field('version', (w) => w.byte(2));
  // versions, counter, new address, sectioned, sparse, relocation; codec 1 in bits 6-7
  field('flags', (w) => w.byte(0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | (1 << 6)));
  field('oldSize', (w) => w.uvarint(sample.oldSize));
  field('newSize', (w) => w.uvarint(sample.newSize));
  field('oldAddr', (w) => w.uvarint(sample.oldLoadAddress));
  field('newAddr', (w) => w.uvarint(sample.newLoadAddress));
  field('oldCheck', (w) => w.bytes(sample.oldCheck));
  field('newSha', (w) => w.bytes(sample.newSha256));
  field('props', (w) => w.byte((2 * 5 + 2) * 9 + 0));
  field('window', (w) => w.byte(14));
  field('payload', (w) => w.uvarint(300));
  field('tables', (w) => w.uvarint(120));
  field('versionFrom', (w) => { w.uvarint(5); w.bytes(new TextEncoder().encode('1.0.0')); });
  field('versionTo', (w) => { const b = new TextEncoder().encode('1.1.0-ü'); w.uvarint(b.length); w.bytes(b); });
  field('counter', (w) => w.uvarint(7));
  return w.view().slice();
}

/** The sample with codec 2 instead of LZMA: its parameter byte and program length replace LZMA's two bytes. */
function rawSmallLzHeader(params: (w: ByteWriter) => void, programLength: (w: ByteWriter) => void): Uint8Array {
  return rawHeader({
    flags: (w) => w.byte(0x3f | (2 << 6)),
    props: params,
    window: programLength,
  });
}

function rejected(bytes: Uint8Array, message: RegExp): void {
  expect(() => decodeHeader(bytes)).toThrow(InvalidInputError);
  expect(() => decodeHeader(bytes)).toThrow(message);
}

describe('header round trip', () => {
  it('decode(encode(h)) == h over every field; the flags byte and the length follow docs/FORMAT.md', () => {
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 8 }), (h, after) => {
        const bytes = encodeHeader(h);
        expect([...bytes.subarray(0, 4)]).toEqual([0x53, 0x44, 0x02, expectedFlags(h)]);
        expect(bytes.length).toBe(expectedLength(h));
        // The two images' checks sit right after the addresses.
        const checkAt = 4 + uvarintLength(h.oldSize) + uvarintLength(h.newSize) + uvarintLength(h.oldLoadAddress) + (h.newLoadAddress !== h.oldLoadAddress ? uvarintLength(h.newLoadAddress) : 0);
        expect([...bytes.subarray(checkAt, checkAt + 8)]).toEqual([...h.oldCheck]);
        expect([...bytes.subarray(checkAt + 8, checkAt + 40)]).toEqual([...h.newSha256]);
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
      { numRuns: 1000 },
    );
  });

  it('the hand-written layout of docs/FORMAT.md is exactly what encodeHeader writes', () => {
    expect(encodeHeader(sample)).toEqual(rawHeader());
    expect(decodeHeader(rawHeader()).header).toEqual(sample);
    const smallLz = { ...sample, codec: Codec.smallLz, smallLz: { params: { windowLog2: 10, literalContext: 1 }, programLength: 5000 } } as PatchHeader;
    delete smallLz.lzma;
    // Codec 2: parameter byte (window log2 - 8) | literal context << 3 = 0x0a, then the program length.
    const raw = rawSmallLzHeader((w) => w.byte(0x0a), (w) => w.uvarint(5000));
    expect(encodeHeader(smallLz)).toEqual(raw);
    expect(decodeHeader(raw).header).toEqual(smallLz);
  });

  it('a minimal header (plain, interleaved, no codec, nothing optional) is 48 bytes: magic, version, flags, 3 varints, the checks, the payload length', () => {
    const h: PatchHeader = {
      oldSize: 0, newSize: 0, oldLoadAddress: 0, newLoadAddress: 0,
      oldCheck: new Uint8Array(8).fill(1), newSha256: new Uint8Array(32).fill(2),
      transform: Transform.plain, layout: Layout.interleaved, diffCoding: DiffCoding.raw, codec: Codec.none,
      payloadLength: 0, tablesLength: 0,
    };
    expect([...encodeHeader(h)]).toEqual([0x53, 0x44, 0x02, 0x00, 0, 0, 0, ...new Array(8).fill(1), ...new Array(32).fill(2), 0]);
    // Relocation adds the tables length; the two hashes are 40 of the bytes whatever the options.
    expect(encodeHeader({ ...h, transform: Transform.cortexM, layout: Layout.tableFirst }).length).toBe(49);
    expect(OLD_CHECK_LENGTH).toBe(8);
    expect(FORMAT_VERSION).toBe(2);
  });

  it('the layout bit: sectioned when set; when clear, interleaved for plain patches and table-first for relocated ones', () => {
    const plain = { ...sample, transform: Transform.plain } as PatchHeader;
    expect(decodeHeader(encodeHeader({ ...plain, layout: Layout.interleaved })).header.layout).toBe(Layout.interleaved);
    expect(decodeHeader(encodeHeader({ ...plain, layout: Layout.sectioned })).header.layout).toBe(Layout.sectioned);
    expect(decodeHeader(encodeHeader({ ...sample, layout: Layout.tableFirst })).header.layout).toBe(Layout.tableFirst);
    expect(decodeHeader(rawHeader({ flags: (w) => w.byte(0x7f & ~0x08) })).header.layout).toBe(Layout.tableFirst);
    // A plain interleaved patch has no tables length field: the header is one byte shorter than a sectioned one.
    expect(encodeHeader({ ...plain, layout: Layout.interleaved, tablesLength: 0 }).length).toBe(encodeHeader({ ...plain, layout: Layout.sectioned }).length - 1);
  });

  it('keeps a version string byte for byte, a leading byte-order mark included', () => {
    // A UTF-8 decoder drops a leading U+FEFF by default; the header must give back what was written
    const h = { ...sample, versionFrom: '\uFEFF1.0', versionTo: '\uFEFF' };
    expect(decodeHeader(encodeHeader(h)).header.versionFrom).toBe('\uFEFF1.0');
    expect(decodeHeader(encodeHeader(h)).header.versionTo).toBe('\uFEFF');
  });

  it('refuses to write what it could not read back: a layout the transform does not have, a wrong check length, missing codec parameters', () => {
    expect(() => encodeHeader({ ...sample, transform: Transform.plain, layout: Layout.tableFirst })).toThrow(/layout 2 is not available with transform 0/);
    expect(() => encodeHeader({ ...sample, layout: Layout.interleaved })).toThrow(RangeError);
    expect(() => encodeHeader({ ...sample, oldCheck: new Uint8Array(32) })).toThrow(/the old check is 8 bytes/);
    expect(() => encodeHeader({ ...sample, versionFrom: 'x'.repeat(65) })).toThrow(RangeError);
    const noLzma = { ...sample };
    delete noLzma.lzma;
    expect(() => encodeHeader(noLzma)).toThrow(/LZMA parameters missing/);
    expect(() => encodeHeader({ ...noLzma, codec: Codec.smallLz })).toThrow(/small LZ parameters missing/);
    expect(() => encodeHeader({ ...noLzma, codec: Codec.smallLz, smallLz: { params: { windowLog2: 13, literalContext: 0 }, programLength: 1 } })).toThrow(RangeError);
  });

  it('refuses to write an LZMA window that is not a power of two, or a security counter above 32 bits', () => {
    // The header stores log2 of the window and a 32-bit counter: either value would come back as another one
    // (a window of 2^11 for 3000) or not at all (the reader refuses the counter).
    expect(() => encodeHeader({ ...sample, lzma: { ...sample.lzma!, dictSize: 3000 } })).toThrow(RangeError);
    expect(() => encodeHeader({ ...sample, lzma: { ...sample.lzma!, dictSize: 2 ** 7 } })).toThrow(RangeError);
    expect(() => encodeHeader({ ...sample, lzma: { ...sample.lzma!, dictSize: 2 ** 27 } })).toThrow(RangeError);
    expect(() => encodeHeader({ ...sample, securityCounter: -1 })).toThrow(RangeError);
    expect(decodeHeader(encodeHeader({ ...sample, lzma: { ...sample.lzma!, dictSize: 2 ** 8 }, securityCounter: 2 ** 32 - 1 })).header).toMatchObject({ lzma: { dictSize: 256 }, securityCounter: 2 ** 32 - 1 });
    expect(() => encodeHeader({ ...sample, securityCounter: 2 ** 32 })).toThrow(RangeError);
  });
});

describe('header rejections', () => {
  it('bad magic: "not a smartdelta patch"', () => {
    rejected(rawHeader({ magic: (w) => w.bytes(Uint8Array.of(0x53, 0x45)) }), /not a smartdelta patch \(bad magic; expected "SD"\)/);
    rejected(new TextEncoder().encode('hello world, this is not a patch'), /not a smartdelta patch/);
  });

  it('a version 1 patch ("SDLT") is named as such', () => {
    const v1 = Uint8Array.from([...new TextEncoder().encode('SDLT'), 0x01, 0x00, ...new Array(90).fill(0)]);
    rejected(v1, /a format version 1 patch \("SDLT"\); this tool reads version 2: create it again/);
  });

  it('another format version', () => {
    for (const version of [0, 1, 3, 0x4c]) rejected(rawHeader({ version: (w) => w.byte(version) }), new RegExp(`unsupported patch format version ${version} \\(this tool reads version 2\\)`));
  });

  it('codec 3 (every other flags byte is defined)', () => {
    rejected(rawHeader({ flags: (w) => w.byte(0xff) }), /unknown codec id 3/);
    rejected(rawHeader({ flags: (w) => w.byte(0xc0) }), /unknown codec id 3/);
    // Every flags byte with codec 0..2 either decodes or fails for a reason other than its flags.
    for (let flags = 0; flags < 0xc0; flags++) {
      try {
        const { header } = decodeHeader(rawHeader({ flags: (w) => w.byte(flags) }));
        expect(header.transform).toBe(flags & 0x20 ? Transform.cortexM : Transform.plain);
        expect(header.diffCoding).toBe(flags & 0x10 ? DiffCoding.sparse : DiffCoding.raw);
        expect(header.codec).toBe(flags >> 6);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).not.toMatch(/codec id|flags/);
      }
    }
  });

  it('sizes over 64 MiB', () => {
    rejected(rawHeader({ oldSize: (w) => w.uvarint(MiB64 + 1) }), /old image size 67108865 exceeds the limit of 67108864 bytes/);
    rejected(rawHeader({ newSize: (w) => w.uvarint(MiB64 + 1) }), /new image size 67108865 exceeds/);
    // Exactly 64 MiB is allowed (then the load address must leave room).
    expect(() => decodeHeader(rawHeader({ oldSize: (w) => w.uvarint(MiB64) }))).not.toThrow();
  });

  it('load address + size beyond 2^32, and an address field above 32 bits', () => {
    rejected(rawHeader({ oldAddr: (w) => w.uvarint(2 ** 32 - 100) }), /old image at 0xffffff9c \(16152 bytes\) does not fit a 32-bit address space/);
    rejected(rawHeader({ newAddr: (w) => w.uvarint(2 ** 32 - 1) }), /new image at 0xffffffff \(16396 bytes\) does not fit a 32-bit address space/);
    rejected(rawHeader({ newAddr: (w) => w.uvarint(2 ** 32) }), /new load address at offset \d+ exceeds 32 bits/);
    expect(() => decodeHeader(rawHeader({ oldAddr: (w) => w.uvarint(2 ** 32 - sample.oldSize) }))).not.toThrow();
  });

  it('LZMA properties: byte >= 225, lc + lp > 4', () => {
    rejected(rawHeader({ props: (w) => w.byte(225) }), /LZMA properties byte 225 is out of range/);
    rejected(rawHeader({ props: (w) => w.byte(5) }), /lc \+ lp = 5 exceeds 4/); // lc 5, lp 0
    expect(decodeHeader(rawHeader({ props: (w) => w.byte(4 * 45 + 4 * 9 + 0) })).header.lzma).toEqual({ lc: 0, lp: 4, pb: 4, dictSize: 16384 });
    rejected(rawHeader({ props: (w) => w.byte((0 * 5 + 1) * 9 + 4) }), /lc \+ lp = 5 exceeds 4/);
    rejected(rawHeader({ props: (w) => w.byte((0 * 5 + 4) * 9 + 8) }), /lc \+ lp = 12 exceeds 4/);
  });

  it('an LZMA window outside 2^8..2^26', () => {
    rejected(rawHeader({ window: (w) => w.byte(7) }), /LZMA window 2\^7 is out of range \(2\^8\.\.2\^26\)/);
    rejected(rawHeader({ window: (w) => w.byte(27) }), /LZMA window 2\^27 is out of range/);
    for (const log2 of [8, 12, 26]) expect(decodeHeader(rawHeader({ window: (w) => w.byte(log2) })).header.lzma!.dictSize).toBe(2 ** log2);
  });

  it('codec 2: an invalid parameter byte, an implausible program length', () => {
    const length = (w: ByteWriter): void => w.uvarint(100);
    rejected(rawSmallLzHeader((w) => w.byte(0x10), length), /LZS parameter byte 0x10 is invalid/);
    rejected(rawSmallLzHeader((w) => w.byte(0x05), length), /LZS parameter byte 0x5 is invalid/); // window 2^13
    for (const b of [0x00, 0x04, 0x08, 0x0c]) expect(() => decodeHeader(rawSmallLzHeader((w) => w.byte(b), length))).not.toThrow();
    const bound = 64 + 22 * sample.newSize;
    rejected(rawSmallLzHeader((w) => w.byte(0x0a), (w) => w.uvarint(bound + 1)), new RegExp(`a ${bound + 1}-byte program is implausible for a 16396-byte image`));
    expect(decodeHeader(rawSmallLzHeader((w) => w.byte(0x0a), (w) => w.uvarint(bound))).header.smallLz).toEqual({ params: { windowLog2: 10, literalContext: 1 }, programLength: bound });
  });

  it('a tables length above 2^24', () => {
    rejected(rawHeader({ tables: (w) => w.uvarint(MAX_TABLES_LENGTH + 1) }), /tables of 16777217 bytes exceed the limit of 16777216/);
    expect(decodeHeader(rawHeader({ tables: (w) => w.uvarint(MAX_TABLES_LENGTH) })).header.tablesLength).toBe(2 ** 24);
  });

  it('version strings: longer than 64 bytes, or not UTF-8', () => {
    rejected(rawHeader({ versionFrom: (w) => { w.uvarint(65); w.bytes(new Uint8Array(65).fill(0x41)); } }), /version-from string of 65 bytes exceeds 64/);
    rejected(rawHeader({ versionTo: (w) => { w.uvarint(2); w.bytes(Uint8Array.of(0xc3, 0x28)); } }), /version-to string is not valid UTF-8/);
    rejected(rawHeader({ versionFrom: (w) => { w.uvarint(1); w.byte(0xff); } }), /version-from string is not valid UTF-8/);
    // An overlong encoding of '/' and a lone surrogate (ED A0 80) are not UTF-8 either.
    rejected(rawHeader({ versionFrom: (w) => { w.uvarint(2); w.bytes(Uint8Array.of(0xc0, 0xaf)); } }), /not valid UTF-8/);
    rejected(rawHeader({ versionTo: (w) => { w.uvarint(3); w.bytes(Uint8Array.of(0xed, 0xa0, 0x80)); } }), /not valid UTF-8/);
  });

  it('a security counter above 32 bits', () => {
    rejected(rawHeader({ counter: (w) => w.uvarint(2 ** 32) }), /security counter at offset \d+ exceeds 32 bits/);
    expect(decodeHeader(rawHeader({ counter: (w) => w.uvarint(2 ** 32 - 1) })).header.securityCounter).toBe(2 ** 32 - 1);
  });

  it('non-minimal, over-long or above-32-bit varints in any field', () => {
    rejected(rawHeader({ oldSize: (w) => w.bytes(Uint8Array.of(0x80, 0x00)) }), /old size at offset 4 is not a minimal varint/);
    rejected(rawHeader({ payload: (w) => w.bytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)) }), /payload length .* longer than 5 bytes/);
    rejected(rawHeader({ payload: (w) => w.uvarint(2 ** 32) }), /payload length at offset \d+ exceeds 32 bits/);
    rejected(rawHeader({ tables: (w) => w.bytes(Uint8Array.of(0xf8, 0x00)) }), /tables length at offset \d+ is not a minimal varint/);
  });

  it('truncation at every offset, as InvalidInputError (never a RangeError or a wrong header)', () => {
    const full = rawHeader();
    expect(decodeHeader(full).length).toBe(full.length);
    for (let cut = 0; cut < full.length; cut++) rejected(full.subarray(0, cut), /truncated/);
    const plain = encodeHeader({ ...sample, transform: Transform.plain, layout: Layout.interleaved, codec: Codec.none, lzma: undefined as never, tablesLength: 0 });
    for (let cut = 0; cut < plain.length; cut++) rejected(plain.subarray(0, cut), /truncated/);
  });

  it('any single corrupted byte either decodes or fails with InvalidInputError', () => {
    for (const full of [rawHeader(), rawSmallLzHeader((w) => w.byte(0x0a), (w) => w.uvarint(5000))]) {
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
    }
  });
});
