/** LEB128 / zigzag varints (docs/FORMAT.md, "Integers"): round trips and every rejection the reader owes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, uvarintLength } from '../../src/delta/varint.js';
import { InvalidInputError } from '../../src/errors.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const s32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });

function encode(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(1); // smallest capacity: every write exercises growth
  write(w);
  return w.view().slice();
}

describe('uvarint', () => {
  it('known encodings', () => {
    expect([...encode((w) => w.uvarint(0))]).toEqual([0x00]);
    expect([...encode((w) => w.uvarint(1))]).toEqual([0x01]);
    expect([...encode((w) => w.uvarint(127))]).toEqual([0x7f]);
    expect([...encode((w) => w.uvarint(128))]).toEqual([0x80, 0x01]);
    expect([...encode((w) => w.uvarint(300))]).toEqual([0xac, 0x02]);
    expect([...encode((w) => w.uvarint(0xffff_ffff))]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('round trips every 32-bit value and uvarintLength matches the bytes written', () => {
    fc.assert(
      fc.property(u32, (v) => {
        const bytes = encode((w) => w.uvarint(v));
        expect(bytes.length).toBe(uvarintLength(v));
        const r = new ByteReader(bytes, 'test');
        expect(r.uvarint('v')).toBe(v);
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('round trips sequences of mixed fields', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), s32), { maxLength: 50 }), (fields) => {
        const bytes = encode((w) => fields.forEach(([signed, v]) => (signed ? w.svarint(v) : w.uvarint(Math.abs(v)))));
        const r = new ByteReader(bytes, 'test');
        for (const [signed, v] of fields) expect(signed ? r.svarint('s') : r.uvarint('u')).toBe(signed ? v : Math.abs(v));
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('the writer refuses negative, fractional and unsafe values', () => {
    const w = new ByteWriter();
    expect(() => w.uvarint(-1)).toThrow(RangeError);
    expect(() => w.uvarint(1.5)).toThrow(RangeError);
    expect(() => w.uvarint(2 ** 53)).toThrow(RangeError);
  });

  it('rejects a non-minimal encoding (a last byte of 0x00 after other bytes), naming field and offset', () => {
    for (const bytes of [[0x80, 0x00], [0x81, 0x00], [0xff, 0x80, 0x00], [0x80, 0x80, 0x80, 0x80, 0x00]]) {
      const r = new ByteReader(Uint8Array.from([0x07, ...bytes]), 'header');
      r.byte('first');
      expect(() => r.uvarint('old size')).toThrow(InvalidInputError);
      const r2 = new ByteReader(Uint8Array.from([0x07, ...bytes]), 'header');
      r2.byte('first');
      expect(() => r2.uvarint('old size')).toThrow(/header: old size at offset 1 is not a minimal varint/);
    }
    // A single 0x00 is the minimal encoding of 0.
    expect(new ByteReader(Uint8Array.of(0), 't').uvarint('z')).toBe(0);
  });

  it('rejects an encoding longer than 5 bytes (or the given limit)', () => {
    const six = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    expect(() => new ByteReader(six, 'program').uvarint('len')).toThrow(/longer than 5 bytes/);
    expect(() => new ByteReader(Uint8Array.of(0x80, 0x80, 0x01), 't').uvarint('len', 2)).toThrow(InvalidInputError);
    // Five bytes hold up to 2^35 - 1, but every field of the format is below 2^32 (docs/FORMAT.md).
    expect(new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 't').uvarint('max')).toBe(2 ** 32 - 1);
    expect(() => new ByteReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), 't').uvarint('big')).toThrow(/big at offset 0 exceeds 32 bits/);
  });

  it('rejects a truncated encoding at every cut, as InvalidInputError naming the field', () => {
    fc.assert(
      fc.property(fc.integer({ min: 128, max: 0xffff_ffff }), (v) => {
        const bytes = encode((w) => w.uvarint(v));
        for (let cut = 0; cut < bytes.length; cut++) {
          const r = new ByteReader(bytes.subarray(0, cut), 'patch header');
          expect(() => r.uvarint('new size')).toThrow(/patch header is truncated: new size/);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('svarint (zigzag)', () => {
  it('known encodings: 0, -1, 1, -2, 2 -> 0, 1, 2, 3, 4', () => {
    expect([0, -1, 1, -2, 2].map((v) => encode((w) => w.svarint(v))[0])).toEqual([0, 1, 2, 3, 4]);
    expect([...encode((w) => w.svarint(-0x8000_0000))]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('round trips every 32-bit signed value', () => {
    fc.assert(
      fc.property(s32, (v) => {
        const r = new ByteReader(encode((w) => w.svarint(v)), 't');
        expect(r.svarint('v')).toBe(v);
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ByteReader', () => {
  it('byte and bytes check bounds and report the field, offset and what is left', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3), 'relocation parameters');
    expect(r.byte('a')).toBe(1);
    expect([...r.bytes(2, 'b')]).toEqual([2, 3]);
    expect(() => r.byte('c')).toThrow('relocation parameters is truncated: c at offset 3 needs 1 byte(s), 0 left');
    const r2 = new ByteReader(Uint8Array.of(1, 2, 3), 'x');
    expect(() => r2.bytes(4, 'hash')).toThrow(/hash at offset 0 needs 4 byte\(s\), 3 left/);
  });
});
