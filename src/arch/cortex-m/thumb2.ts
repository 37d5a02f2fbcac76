/**
 * Thumb-2 instructions whose operand is PC-relative, as one interface over absolute addresses:
 * classify a halfword (pair), read the address it refers to, re-encode it to refer to another.
 * Relocation needs nothing more: "this instruction at A refers to T; after the move, refer to T'".
 * All functions are pure and allocation-free; docs/THUMB2.md lists the forms and their layouts.
 */
import { isThumb32Prefix, NO_ENCODING } from './halfwords.js';
import {
  branch16Offset,
  branch32Offset,
  classifyBranch16,
  classifyBranch32,
  encodeBranch16,
  encodeBranch32,
} from './thumb2-branch.js';
import { isBranchKind, ThumbKind } from './thumb2-kind.js';
import {
  alignedPc,
  classifyLiteral16,
  classifyLiteral32,
  encodeLiteral16,
  encodeLiteral32,
  literal16Offset,
  literal32Offset,
} from './thumb2-literal.js';

export * from './halfwords.js';
export * from './thumb2-kind.js';
export * from './thumb2-branch.js';
export * from './thumb2-literal.js';

/**
 * The PC-relative kind of the instruction starting with `hw1`; `hw2` (the next halfword) is read only
 * when hw1 starts a 32-bit instruction (isThumb32Prefix). Returns ThumbKind.None for anything else.
 */
export function classifyThumb(hw1: number, hw2: number): ThumbKind {
  if (isThumb32Prefix(hw1)) {
    const branch = classifyBranch32(hw1, hw2);
    return branch !== ThumbKind.None ? branch : classifyLiteral32(hw1, hw2);
  }
  const branch = classifyBranch16(hw1);
  return branch !== ThumbKind.None ? branch : classifyLiteral16(hw1);
}

/**
 * The offset field of an instruction of the given kind, in bytes: for branches imm32 relative to
 * address + 4, for loads and ADR the signed offset from Align(address + 4, 4).
 */
export function pcRelativeOffset(kind: ThumbKind, hw1: number, hw2: number): number {
  switch (kind) {
    case ThumbKind.BL:
    case ThumbKind.BW:
    case ThumbKind.BCondW:
      return branch32Offset(hw1, hw2);
    case ThumbKind.BCond16:
    case ThumbKind.B16:
    case ThumbKind.Cbz:
      return branch16Offset(kind, hw1);
    case ThumbKind.LdrLit16:
    case ThumbKind.Adr16:
      return literal16Offset(hw1);
    case ThumbKind.None:
      return 0;
    default:
      return literal32Offset(kind, hw1, hw2);
  }
}

/** The base an offset is added to: address + 4 for branches, Align(address + 4, 4) otherwise. */
export function pcRelativeBase(kind: ThumbKind, address: number): number {
  return isBranchKind(kind) ? (address + 4) >>> 0 : alignedPc(address);
}

/** The absolute address (mod 2^32) the instruction at `address` branches to, loads from or computes. */
export function pcRelativeTarget(kind: ThumbKind, address: number, hw1: number, hw2: number): number {
  return (pcRelativeBase(kind, address) + pcRelativeOffset(kind, hw1, hw2)) >>> 0;
}

/**
 * Re-encodes the instruction so it refers to `offset` (same meaning as pcRelativeOffset). Returns
 * `hw1 << 16 | hw2` for 32-bit kinds, the halfword for 16-bit kinds (isNarrowKind), or NO_ENCODING.
 */
export function encodePcRelative(kind: ThumbKind, hw1: number, hw2: number, offset: number): number {
  switch (kind) {
    case ThumbKind.BL:
    case ThumbKind.BW:
    case ThumbKind.BCondW:
      return encodeBranch32(hw1, hw2, offset);
    case ThumbKind.BCond16:
    case ThumbKind.B16:
    case ThumbKind.Cbz:
      return encodeBranch16(kind, hw1, offset);
    case ThumbKind.LdrLit16:
    case ThumbKind.Adr16:
      return encodeLiteral16(hw1, offset);
    case ThumbKind.None:
      return NO_ENCODING;
    default:
      return encodeLiteral32(kind, hw1, hw2, offset);
  }
}

/** Re-encodes the instruction at `address` so it refers to absolute `target` (see encodePcRelative). */
export function encodePcRelativeTarget(
  kind: ThumbKind,
  address: number,
  hw1: number,
  hw2: number,
  target: number,
): number {
  // `| 0` takes the difference mod 2^32 as a signed value, matching the hardware's wrap-around.
  const offset = (target - pcRelativeBase(kind, address)) | 0;
  return encodePcRelative(kind, hw1, hw2, offset);
}

/**
 * The address an LDR (literal) at `address` loads from (16-bit T1 when hw2 is absent or hw1 is not a
 * 32-bit prefix, 32-bit T2 otherwise), or undefined when hw1 (hw2) is not an LDR (literal).
 */
export function ldrLiteralAddress(address: number, hw1: number, hw2?: number): number | undefined {
  const kind = classifyThumb(hw1, hw2 ?? 0);
  if (kind !== ThumbKind.LdrLit16 && (kind !== ThumbKind.LdrLit32 || hw2 === undefined)) return undefined;
  return pcRelativeTarget(kind, address, hw1, hw2 ?? 0);
}
