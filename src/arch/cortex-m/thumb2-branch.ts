/**
 * PC-relative branches: decode the offset, re-encode a new one (ARMv7-M ARM A7.7.12 B, A7.7.18 BL,
 * A7.7.21 CBNZ/CBZ; layouts in docs/THUMB2.md). Offsets are imm32 in bytes, relative to the
 * instruction address + 4. Encoders keep every bit that is not part of the offset (cond, Rn, the
 * BL/B distinction) and return NO_ENCODING when the offset is odd or out of range.
 */
import { NO_ENCODING, packHalfwords } from './halfwords.js';
import { ThumbKind } from './thumb2-kind.js';

/** BL and B.W (T4) reach -16 MiB .. +16 MiB - 2; B<c>.W (T3) reaches -1 MiB .. +1 MiB - 2. */
export const BRANCH24_MIN = -0x100_0000;
export const BRANCH24_MAX = 0xff_fffe;
export const BRANCH20_MIN = -0x10_0000;
export const BRANCH20_MAX = 0x0f_fffe;

/**
 * Which 32-bit branch hw1:hw2 is: BL (T1), B.W (T4), B<c>.W (T3) or 0. hw1 = 11110 S ..., hw2 = 1 x ? x:
 * bits 14 and 12 of hw2 select BL (11), B T4 (01), B T3 (00); 10 is BLX (not in ARMv7-M). A T3 with
 * cond = 111x is not a branch (A5.3.4: MSR, MRS, hints and other control instructions live there).
 */
export function classifyBranch32(
  hw1: number,
  hw2: number,
): typeof ThumbKind.None | typeof ThumbKind.BL | typeof ThumbKind.BW | typeof ThumbKind.BCondW {
  if ((hw1 & 0xf800) !== 0xf000 || (hw2 & 0x8000) === 0) return ThumbKind.None;
  switch (hw2 & 0x5000) {
    case 0x5000:
      return ThumbKind.BL;
    case 0x1000:
      return ThumbKind.BW;
    case 0x0000:
      return (hw1 & 0x0380) === 0x0380 ? ThumbKind.None : ThumbKind.BCondW;
    default:
      return ThumbKind.None;
  }
}

/**
 * imm32 of a BL, B.W or B<c>.W (classify first). hw2 bit 12 tells the layouts apart:
 * BL / B T4: SignExtend(S:I1:I2:imm10:imm11:'0'), I1 = NOT(J1 XOR S), I2 = NOT(J2 XOR S);
 * B T3:      SignExtend(S:J2:J1:imm6:imm11:'0').
 */
export function branch32Offset(hw1: number, hw2: number): number {
  const s = (hw1 >> 10) & 1;
  const j1 = (hw2 >> 13) & 1;
  const j2 = (hw2 >> 11) & 1;
  const imm11 = hw2 & 0x7ff;
  if (hw2 & 0x1000) {
    const i1 = (j1 ^ s) ^ 1;
    const i2 = (j2 ^ s) ^ 1;
    const raw = (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | (imm11 << 1);
    return (raw << 7) >> 7;
  }
  const raw = (s << 20) | (j2 << 19) | (j1 << 18) | ((hw1 & 0x3f) << 12) | (imm11 << 1);
  return (raw << 11) >> 11;
}

/**
 * Re-encodes a BL / B.W / B<c>.W with a new imm32, keeping the template's kind and cond.
 * Returns `hw1 << 16 | hw2` or NO_ENCODING (odd offset, or out of range for the form).
 */
export function encodeBranch32(hw1: number, hw2: number, imm32: number): number {
  if (imm32 & 1) return NO_ENCODING;
  if (hw2 & 0x1000) {
    if (imm32 < BRANCH24_MIN || imm32 > BRANCH24_MAX) return NO_ENCODING;
    const s = (imm32 >> 24) & 1;
    const j1 = ((imm32 >> 23) & 1) ^ s ^ 1;
    const j2 = ((imm32 >> 22) & 1) ^ s ^ 1;
    return packHalfwords(
      (hw1 & 0xf800) | (s << 10) | ((imm32 >> 12) & 0x3ff),
      (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | ((imm32 >> 1) & 0x7ff),
    );
  }
  if (imm32 < BRANCH20_MIN || imm32 > BRANCH20_MAX) return NO_ENCODING;
  const s = (imm32 >> 20) & 1;
  const j2 = (imm32 >> 19) & 1;
  const j1 = (imm32 >> 18) & 1;
  return packHalfwords(
    (hw1 & 0xfbc0) | (s << 10) | ((imm32 >> 12) & 0x3f),
    (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | ((imm32 >> 1) & 0x7ff),
  );
}

/**
 * Which 16-bit branch hw is: B<c> (T1, 1101 cond imm8, cond not 111x: 1110 is UDF, 1111 is SVC),
 * B (T2, 11100 imm11), CBZ/CBNZ (1011 op 0 i 1 imm5 Rn), or 0.
 */
export function classifyBranch16(
  hw: number,
): typeof ThumbKind.None | typeof ThumbKind.BCond16 | typeof ThumbKind.B16 | typeof ThumbKind.Cbz {
  if ((hw & 0xf000) === 0xd000) return (hw & 0x0e00) === 0x0e00 ? ThumbKind.None : ThumbKind.BCond16;
  if ((hw & 0xf800) === 0xe000) return ThumbKind.B16;
  if ((hw & 0xf500) === 0xb100) return ThumbKind.Cbz;
  return ThumbKind.None;
}

/** imm32 of a 16-bit branch of the given kind (from classifyBranch16). */
export function branch16Offset(kind: ThumbKind, hw: number): number {
  switch (kind) {
    case ThumbKind.BCond16:
      return ((hw & 0xff) << 24) >> 23; // SignExtend(imm8:'0')
    case ThumbKind.B16:
      return ((hw & 0x7ff) << 21) >> 20; // SignExtend(imm11:'0')
    default:
      return (((hw >> 9) & 1) << 6) | (((hw >> 3) & 0x1f) << 1); // ZeroExtend(i:imm5:'0')
  }
}

/** Re-encodes a 16-bit branch with a new imm32; returns the halfword or NO_ENCODING. */
export function encodeBranch16(kind: ThumbKind, hw: number, imm32: number): number {
  if (imm32 & 1) return NO_ENCODING;
  switch (kind) {
    case ThumbKind.BCond16:
      if (imm32 < -256 || imm32 > 254) return NO_ENCODING;
      return (hw & 0xff00) | ((imm32 >> 1) & 0xff);
    case ThumbKind.B16:
      if (imm32 < -2048 || imm32 > 2046) return NO_ENCODING;
      return (hw & 0xf800) | ((imm32 >> 1) & 0x7ff);
    case ThumbKind.Cbz:
      if (imm32 < 0 || imm32 > 126) return NO_ENCODING;
      return (hw & 0xfd07) | ((imm32 >> 6) << 9) | (((imm32 >> 1) & 0x1f) << 3);
    default:
      return NO_ENCODING;
  }
}
