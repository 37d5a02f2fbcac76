import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BRANCH20_MAX,
  BRANCH20_MIN,
  BRANCH24_MAX,
  BRANCH24_MIN,
  branch32Offset,
  classifyThumb,
  encodeBranch32,
  encodePcRelative,
  encodePcRelativeTarget,
  isNarrowKind,
  isThumb32Prefix,
  NO_ENCODING,
  packHalfwords,
  pcRelativeOffset,
  pcRelativeTarget,
  ThumbKind,
} from '../../src/arch/cortex-m/thumb2.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const evenIn = (min: number, max: number) => fc.integer({ min: min / 2, max: max / 2 }).map((half) => half * 2);

/** Templates: every bit random except those that fix the form (A7.7.12, A7.7.18). */
const blPair = fc.tuple(u16, u16).map(([a, b]) => [0xf000 | (a & 0x07ff), 0xd000 | (b & 0x2fff)] as const);
const bwPair = fc.tuple(u16, u16).map(([a, b]) => [0xf000 | (a & 0x07ff), 0x9000 | (b & 0x2fff)] as const);
const bcondPair = fc
  .tuple(fc.integer({ min: 0, max: 13 }), u16, u16)
  .map(([cond, a, b]) => [0xf000 | (cond << 6) | (a & 0x043f), 0x8000 | (b & 0x2fff)] as const);

function unpack(packed: number): [number, number] {
  return [packed >>> 16, packed & 0xffff];
}

describe('32-bit branches: decode(encode(x)) == x', () => {
  const forms = [
    ['BL', ThumbKind.BL, blPair, BRANCH24_MIN, BRANCH24_MAX],
    ['B.W', ThumbKind.BW, bwPair, BRANCH24_MIN, BRANCH24_MAX],
    ['B<c>.W', ThumbKind.BCondW, bcondPair, BRANCH20_MIN, BRANCH20_MAX],
  ] as const;

  for (const [name, kind, pairs, min, max] of forms) {
    it(`${name}: every even offset in range, random template and cond`, () => {
      fc.assert(
        fc.property(pairs, evenIn(min, max), ([hw1, hw2], imm32) => {
          const encoded = encodeBranch32(hw1, hw2, imm32);
          expect(encoded).not.toBe(NO_ENCODING);
          const [e1, e2] = unpack(encoded);
          expect(classifyThumb(e1, e2)).toBe(kind);
          expect(branch32Offset(e1, e2)).toBe(imm32);
          // Only offset bits changed: putting the template's offset back restores the template.
          expect(encodeBranch32(e1, e2, branch32Offset(hw1, hw2))).toBe(packHalfwords(hw1, hw2));
        }),
        { numRuns: 5000 },
      );
    });

    it(`${name}: out-of-range and odd offsets are refused`, () => {
      const outside = fc.oneof(evenIn(max + 2, 0x7fff_fffe), evenIn(-0x8000_0000, min - 2));
      fc.assert(
        fc.property(pairs, outside, ([hw1, hw2], imm32) => {
          expect(encodeBranch32(hw1, hw2, imm32)).toBe(NO_ENCODING);
          expect(encodeBranch32(hw1, hw2, (imm32 >> 8) | 1)).toBe(NO_ENCODING);
        }),
      );
    });
  }

  it('B<c>.W: exhaustively over its 2^20 offsets', () => {
    for (let imm32 = BRANCH20_MIN; imm32 <= BRANCH20_MAX; imm32 += 2) {
      const encoded = encodeBranch32(0xf2c0, 0x8000, imm32);
      if (branch32Offset(encoded >>> 16, encoded & 0xffff) !== imm32) {
        expect.fail(`B<c>.W offset ${imm32} does not round-trip`);
      }
    }
  });
});

describe('encode(decode(instruction)) == instruction', () => {
  it('for every 16-bit halfword that is a PC-relative form', () => {
    let forms = 0;
    for (let hw = 0; hw <= 0xffff; hw++) {
      if (isThumb32Prefix(hw)) continue;
      const kind = classifyThumb(hw, 0);
      if (kind === ThumbKind.None) continue;
      forms++;
      if (encodePcRelative(kind, hw, 0, pcRelativeOffset(kind, hw, 0)) !== hw) {
        expect.fail(`halfword 0x${hw.toString(16)} does not round-trip`);
      }
    }
    // LDR T1, ADR T1 (2 x 2^11), B<c> T1 (14 x 2^8), B T2 (2^11), CBZ/CBNZ (2^10)
    expect(forms).toBe(2 * 2048 + 14 * 256 + 2048 + 1024);
  });

  it('for random 32-bit pairs that classify as a PC-relative form', () => {
    const prefix = fc.integer({ min: 0xe800, max: 0xffff });
    fc.assert(
      fc.property(prefix, u16, (hw1, hw2) => {
        const kind = classifyThumb(hw1, hw2);
        if (kind === ThumbKind.None) return;
        expect(encodePcRelative(kind, hw1, hw2, pcRelativeOffset(kind, hw1, hw2))).toBe(packHalfwords(hw1, hw2));
      }),
      { numRuns: 20000 },
    );
  });

  it('for each form built from random fields, at random addresses, through the absolute target', () => {
    const literal = (fixed: number, rtNot15: boolean) =>
      fc.tuple(u16, u16).map(([a, b]) => {
        const hw2 = rtNot15 && (b & 0xf000) === 0xf000 ? b & 0x7fff : b;
        return [fixed | (a & 0x0080), hw2] as const;
      });
    const adrW = fc
      .tuple(fc.boolean(), u16, u16)
      .map(([sub, a, b]) => [(sub ? 0xf2af : 0xf20f) | (a & 0x0400), b & 0x7fff] as const);
    const narrow = (fixed: number, mask: number) => u16.map((a) => [fixed | (a & mask), 0] as const);
    const forms = fc.oneof(
      blPair, bwPair, bcondPair,
      literal(0xf85f, false), literal(0xf81f, true), literal(0xf83f, true), literal(0xf91f, true),
      literal(0xf93f, true), literal(0xe95f, false), adrW,
      narrow(0x4800, 0x07ff), narrow(0xa000, 0x07ff), narrow(0xe000, 0x07ff), narrow(0xb100, 0x0aff),
      fc.tuple(fc.integer({ min: 0, max: 13 }), u16).map(([c, a]) => [0xd000 | (c << 8) | (a & 0xff), 0] as const),
    );
    const address = fc.integer({ min: 0, max: 0x7fff_ffff }).map((half) => half * 2);
    fc.assert(
      fc.property(forms, address, ([hw1, hw2], addr) => {
        const kind = classifyThumb(hw1, hw2);
        expect(kind).not.toBe(ThumbKind.None);
        const target = pcRelativeTarget(kind, addr, hw1, hw2);
        const expected = isNarrowKind(kind) ? hw1 : packHalfwords(hw1, hw2);
        expect(encodePcRelativeTarget(kind, addr, hw1, hw2, target)).toBe(expected);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('literal forms: decode(encode(x)) == x', () => {
  const forms = [
    ['LDR.W', 0xf8df, 0x3000, -4095, 4095, 1],
    ['LDRSH', 0xf9bf, 0x3000, -4095, 4095, 1],
    ['LDRD', 0xe9df, 0x2300, -1020, 1020, 4],
    ['ADR.W', 0xf20f, 0x0500, -4095, 4095, 1],
    ['LDR', 0x4800, 0, 0, 1020, 4],
    ['ADR', 0xa000, 0, 0, 1020, 4],
  ] as const;
  for (const [name, hw1, hw2, min, max, step] of forms) {
    it(`${name}: every offset in range`, () => {
      const kind = classifyThumb(hw1, hw2);
      for (let offset = min; offset <= max; offset += step) {
        const encoded = encodePcRelative(kind, hw1, hw2, offset);
        const [e1, e2] = isNarrowKind(kind) ? [encoded, 0] : unpack(encoded);
        if (classifyThumb(e1, e2) !== kind || pcRelativeOffset(kind, e1, e2) !== offset) {
          expect.fail(`${name} offset ${offset} does not round-trip`);
        }
      }
    });
  }
});
