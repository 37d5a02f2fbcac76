/**
 * PC-relative loads and ADR: the operand is an offset from Align(PC, 4), PC = instruction address + 4
 * (ARMv7-M ARM A7.7.43 LDR (literal), A7.7.46 LDRB, A7.7.55 LDRH, A7.7.59 LDRSB, A7.7.63 LDRSH,
 * A7.7.50 LDRD (literal), A7.7.7 ADR; layouts in docs/THUMB2.md). Offsets here are signed byte
 * offsets from Align(PC, 4); encoders keep Rt/Rd and return NO_ENCODING when out of range.
 */
import { NO_ENCODING, packHalfwords } from './halfwords.js';
import { ThumbKind } from './thumb2-kind.js';

export type Literal16Kind = typeof ThumbKind.LdrLit16 | typeof ThumbKind.Adr16;
export type Literal32Kind =
  | typeof ThumbKind.LdrLit32
  | typeof ThumbKind.LdrbLit
  | typeof ThumbKind.LdrhLit
  | typeof ThumbKind.LdrsbLit
  | typeof ThumbKind.LdrshLit
  | typeof ThumbKind.LdrdLit
  | typeof ThumbKind.AdrW;

/** LDR (literal) T1 = 01001 Rt imm8, ADR T1 = 10100 Rd imm8; both add imm8 * 4. */
export function classifyLiteral16(hw: number): typeof ThumbKind.None | Literal16Kind {
  const top = hw & 0xf800;
  if (top === 0x4800) return ThumbKind.LdrLit16;
  if (top === 0xa000) return ThumbKind.Adr16;
  return ThumbKind.None;
}

/**
 * The 32-bit literal forms. hw1 with the U bit (bit 7) cleared:
 * 0xF85F LDR.W, 0xF81F LDRB, 0xF83F LDRH, 0xF91F LDRSB, 0xF93F LDRSH (hw2 = Rt imm12; for the
 * byte/halfword loads Rt = 1111 is PLD/PLI or a hint instead, so not matched),
 * 0xE95F LDRD (P=1 W=0; hw2 = Rt Rt2 imm8, offset imm8 * 4),
 * ADR T3 (add) hw1 = 11110 i 10000 0 1111, T2 (subtract) hw1 = 11110 i 10101 0 1111, hw2 = 0 imm3 Rd imm8.
 */
export function classifyLiteral32(hw1: number, hw2: number): typeof ThumbKind.None | Literal32Kind {
  switch (hw1 & 0xff7f) {
    case 0xf85f:
      return ThumbKind.LdrLit32;
    case 0xe95f:
      return ThumbKind.LdrdLit;
    case 0xf81f:
      return (hw2 & 0xf000) === 0xf000 ? ThumbKind.None : ThumbKind.LdrbLit;
    case 0xf83f:
      return (hw2 & 0xf000) === 0xf000 ? ThumbKind.None : ThumbKind.LdrhLit;
    case 0xf91f:
      return (hw2 & 0xf000) === 0xf000 ? ThumbKind.None : ThumbKind.LdrsbLit;
    case 0xf93f:
      return (hw2 & 0xf000) === 0xf000 ? ThumbKind.None : ThumbKind.LdrshLit;
  }
  const adr = hw1 & 0xfbff;
  if ((adr === 0xf20f || adr === 0xf2af) && (hw2 & 0x8000) === 0) return ThumbKind.AdrW;
  return ThumbKind.None;
}

/** Offset from Align(PC, 4) of a 16-bit literal form: imm8 * 4. */
export function literal16Offset(hw: number): number {
  return (hw & 0xff) << 2;
}

/** Re-encodes a 16-bit literal form (LDR T1 / ADR T1); offset must be a multiple of 4 in 0..1020. */
export function encodeLiteral16(hw: number, offset: number): number {
  if (offset < 0 || offset > 1020 || (offset & 3) !== 0) return NO_ENCODING;
  return (hw & 0xff00) | (offset >> 2);
}

/** Signed offset from Align(PC, 4) of a 32-bit literal form of the given kind. */
export function literal32Offset(kind: ThumbKind, hw1: number, hw2: number): number {
  if (kind === ThumbKind.AdrW) {
    const imm12 = ((hw1 & 0x0400) << 1) | ((hw2 >> 4) & 0x0700) | (hw2 & 0xff);
    return (hw1 & 0x00a0) === 0x00a0 ? -imm12 : imm12;
  }
  const magnitude = kind === ThumbKind.LdrdLit ? (hw2 & 0xff) << 2 : hw2 & 0xfff;
  return hw1 & 0x0080 ? magnitude : -magnitude;
}

/**
 * Re-encodes a 32-bit literal form with a new offset from Align(PC, 4): the sign goes to U (or to
 * ADR's add/subtract form); a zero offset keeps the template's sign so encode(decode(x)) == x.
 * Returns `hw1 << 16 | hw2` or NO_ENCODING.
 */
export function encodeLiteral32(kind: ThumbKind, hw1: number, hw2: number, offset: number): number {
  const negative = offset < 0 || (offset === 0 && literal32IsSubtract(kind, hw1));
  const magnitude = negative ? -offset : offset;
  if (kind === ThumbKind.AdrW) {
    if (magnitude > 0xfff) return NO_ENCODING;
    const form = negative ? 0xf2af : 0xf20f;
    return packHalfwords(
      form | ((magnitude >> 1) & 0x0400),
      (hw2 & 0x0f00) | ((magnitude << 4) & 0x7000) | (magnitude & 0xff),
    );
  }
  const u = negative ? 0 : 0x0080;
  if (kind === ThumbKind.LdrdLit) {
    if (magnitude > 1020 || (magnitude & 3) !== 0) return NO_ENCODING;
    return packHalfwords((hw1 & 0xff7f) | u, (hw2 & 0xff00) | (magnitude >> 2));
  }
  if (magnitude > 0xfff) return NO_ENCODING;
  return packHalfwords((hw1 & 0xff7f) | u, (hw2 & 0xf000) | magnitude);
}

function literal32IsSubtract(kind: ThumbKind, hw1: number): boolean {
  if (kind === ThumbKind.AdrW) return (hw1 & 0x00a0) === 0x00a0;
  return (hw1 & 0x0080) === 0;
}

/** Align(PC, 4) for the instruction at `address` (PC reads as address + 4), as an unsigned address. */
export function alignedPc(address: number): number {
  const pc = address + 4;
  return (pc - (pc & 3)) >>> 0;
}
