/**
 * The Thumb instruction forms whose operand is a PC-relative offset (docs/THUMB2.md).
 * Section numbers are those of the ARMv7-M Architecture Reference Manual, DDI 0403E.b.
 */
export const ThumbKind = {
  /** Not a PC-relative form this module knows. */
  None: 0,
  /** A7.7.18 BL, encoding T1 (32-bit). */
  BL: 1,
  /** A7.7.12 B, encoding T4 (32-bit, unconditional). */
  BW: 2,
  /** A7.7.12 B, encoding T3 (32-bit, conditional). */
  BCondW: 3,
  /** A7.7.43 LDR (literal), encoding T1 (16-bit). */
  LdrLit16: 4,
  /** A7.7.43 LDR (literal), encoding T2 (32-bit). */
  LdrLit32: 5,
  /** A7.7.46 LDRB (literal), encoding T1 (32-bit). */
  LdrbLit: 6,
  /** A7.7.55 LDRH (literal), encoding T1 (32-bit). */
  LdrhLit: 7,
  /** A7.7.59 LDRSB (literal), encoding T1 (32-bit). */
  LdrsbLit: 8,
  /** A7.7.63 LDRSH (literal), encoding T1 (32-bit). */
  LdrshLit: 9,
  /** A7.7.50 LDRD (literal), encoding T1 (32-bit). */
  LdrdLit: 10,
  /** A7.7.7 ADR, encoding T1 (16-bit). */
  Adr16: 11,
  /** A7.7.7 ADR, encodings T2 (subtract) and T3 (add) (32-bit). */
  AdrW: 12,
  /** A7.7.12 B, encoding T1 (16-bit, conditional). */
  BCond16: 13,
  /** A7.7.12 B, encoding T2 (16-bit, unconditional). */
  B16: 14,
  /** A7.7.21 CBNZ, CBZ, encoding T1 (16-bit, forward only). */
  Cbz: 15,
} as const;
export type ThumbKind = (typeof ThumbKind)[keyof typeof ThumbKind];

/** Kinds that are branches: their target is instruction address + 4 + offset. */
export type BranchKind =
  | typeof ThumbKind.BL
  | typeof ThumbKind.BW
  | typeof ThumbKind.BCondW
  | typeof ThumbKind.BCond16
  | typeof ThumbKind.B16
  | typeof ThumbKind.Cbz;

const KIND_NAMES: readonly string[] = [
  'none', 'bl', 'b.w', 'b<c>.w', 'ldr', 'ldr.w', 'ldrb', 'ldrh', 'ldrsb', 'ldrsh', 'ldrd', 'adr', 'adr.w',
  'b<c>', 'b', 'cbz',
];

/** A short mnemonic for reports and test messages. */
export function thumbKindName(kind: ThumbKind): string {
  return KIND_NAMES[kind] ?? 'none';
}

/** True for the kinds that are encoded in one 16-bit halfword. */
export function isNarrowKind(kind: ThumbKind): boolean {
  return (
    kind === ThumbKind.LdrLit16 ||
    kind === ThumbKind.Adr16 ||
    kind === ThumbKind.BCond16 ||
    kind === ThumbKind.B16 ||
    kind === ThumbKind.Cbz
  );
}

/** True for branches (target = address + 4 + offset); the others address Align(PC, 4) + offset. */
export function isBranchKind(kind: ThumbKind): kind is BranchKind {
  return (
    kind === ThumbKind.BL ||
    kind === ThumbKind.BW ||
    kind === ThumbKind.BCondW ||
    kind === ThumbKind.BCond16 ||
    kind === ThumbKind.B16 ||
    kind === ThumbKind.Cbz
  );
}
