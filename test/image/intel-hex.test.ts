import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIntelHex } from '../../src/image/index.js';
import { type HexChunk, hexRecord, hexText, pattern, writeIntelHex } from './helpers.js';

describe('parseIntelHex', () => {
  it('joins records into one image and fills gaps with 0x00, like the ELF loader', () => {
    const text = hexText([
      hexRecord(4, 0, [0x08, 0x00]),
      hexRecord(0, 0x0000, [1, 2, 3, 4]),
      hexRecord(0, 0x0008, [5, 6]),
      hexRecord(5, 0, [0x08, 0x00, 0x01, 0x09]),
      ':00000001FF',
    ]);
    expect(parseIntelHex(text)).toEqual({
      loadAddress: 0x0800_0000,
      data: Uint8Array.from([1, 2, 3, 4, 0, 0, 0, 0, 5, 6]),
      startAddress: 0x0800_0109,
    });
    expect(parseIntelHex(text, { gapFill: 0xff }).data[5]).toBe(0xff);
  });

  it('accepts CRLF, trailing whitespace, lower-case digits and blank lines', () => {
    const lines = [hexRecord(0, 0x0100, [0xab, 0xcd]).toLowerCase() + ' \t', '', hexRecord(0, 0x0102, [0xef]), ':00000001FF  '];
    const parsed = parseIntelHex(hexText(lines, '\r\n'));
    expect(parsed.loadAddress).toBe(0x100);
    expect(parsed.data).toEqual(Uint8Array.from([0xab, 0xcd, 0xef]));
    expect(parsed.startAddress).toBeUndefined();
  });

  it('accepts a last line without newline', () => {
    const text = new TextEncoder().encode(`${hexRecord(0, 0, [7])}\n:00000001FF`);
    expect(parseIntelHex(text).data).toEqual(Uint8Array.of(7));
  });

  it('uses extended segment addresses (type 02) and a start segment address (type 03)', () => {
    const text = hexText([
      hexRecord(2, 0, [0x10, 0x00]), // SBA 0x10000
      hexRecord(0, 0x0010, [1, 2]),
      hexRecord(3, 0, [0x12, 0x34, 0x00, 0x05]), // CS 0x1234, IP 0x0005
      ':00000001FF',
    ]);
    const parsed = parseIntelHex(text);
    expect(parsed.loadAddress).toBe(0x10010);
    expect(parsed.data).toEqual(Uint8Array.of(1, 2));
    expect(parsed.startAddress).toBe(0x12345);
  });

  it('wraps a data record at the end of its 64 KiB segment (type 02), per the specification', () => {
    const text = hexText([hexRecord(2, 0, [0x10, 0x00]), hexRecord(0, 0xfffe, [1, 2, 3, 4]), ':00000001FF']);
    const parsed = parseIntelHex(text);
    // 1, 2 at 0x1FFFE-0x1FFFF; 3, 4 wrap to 0x10000-0x10001.
    expect(parsed.loadAddress).toBe(0x10000);
    expect(parsed.data.length).toBe(0x10000);
    expect(parsed.data.subarray(0, 2)).toEqual(Uint8Array.of(3, 4));
    expect(parsed.data.subarray(0xfffe)).toEqual(Uint8Array.of(1, 2));
  });

  it('continues past 64 KiB in linear mode (type 04)', () => {
    const text = hexText([hexRecord(4, 0, [0x08, 0x00]), hexRecord(0, 0xfffe, [1, 2, 3, 4]), ':00000001FF']);
    expect(parseIntelHex(text)).toMatchObject({ loadAddress: 0x0800_fffe, data: Uint8Array.of(1, 2, 3, 4) });
  });

  it('round-trips a generated file with several records per line size', () => {
    const chunks: HexChunk[] = [
      { address: 0x0800_0000, bytes: pattern(1000, 1) },
      { address: 0x0801_fff0, bytes: pattern(0x40, 2) },
    ];
    const parsed = parseIntelHex(writeIntelHex(chunks, { recordSize: 32, startLinear: 0x0800_0101 }));
    expect(parsed.loadAddress).toBe(0x0800_0000);
    expect(parsed.data.length).toBe(0x2_0030);
    expect(parsed.data.subarray(0, 1000)).toEqual(chunks[0]!.bytes);
    expect(parsed.data.subarray(0x1_fff0)).toEqual(chunks[1]!.bytes);
    expect(parsed.data[1000]).toBe(0);
    expect(parsed.startAddress).toBe(0x0800_0101);
  });
});

/** Non-overlapping chunks in address order, separated by random gaps, from a random base. */
const imageArbitrary = fc
  .record({
    base: fc.integer({ min: 0, max: 0xffff_0000 }),
    pieces: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 0x3_0000 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    recordSize: fc.integer({ min: 1, max: 255 }),
    eol: fc.constantFrom('\n', '\r\n'),
    lowerCase: fc.boolean(),
    trailingSpace: fc.constantFrom('', ' ', '\t '),
  })
  .map(({ base, pieces, ...style }) => {
    const chunks: HexChunk[] = [];
    let address = base;
    for (const piece of pieces) {
      address += chunks.length ? piece.gap : 0;
      chunks.push({ address, bytes: piece.bytes });
      address += piece.bytes.length;
    }
    return { chunks, style };
  })
  .filter(({ chunks }) => {
    const last = chunks[chunks.length - 1]!;
    return last.address + last.bytes.length <= 2 ** 32;
  });

describe('parseIntelHex property', () => {
  it('any image written as HEX reads back with the same bytes, address and 0xFF gaps (gapFill 0xFF)', () => {
    fc.assert(
      fc.property(imageArbitrary, ({ chunks, style }) => {
        const parsed = parseIntelHex(writeIntelHex(chunks, style), { gapFill: 0xff });
        const start = chunks[0]!.address;
        const last = chunks[chunks.length - 1]!;
        const expected = new Uint8Array(last.address + last.bytes.length - start).fill(0xff);
        for (const c of chunks) expected.set(c.bytes, c.address - start);
        expect(parsed.loadAddress).toBe(start);
        expect(Buffer.from(parsed.data).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('segment-addressed files (type 02) below 1 MiB read back the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xf_0000 }), fc.uint8Array({ minLength: 1, maxLength: 2000 }), (address, bytes) => {
        const parsed = parseIntelHex(writeIntelHex([{ address, bytes }], { segmented: true }));
        expect(parsed.loadAddress).toBe(address);
        expect(parsed.data).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });
});
