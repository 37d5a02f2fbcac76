/**
 * Little-endian halfword access and the packing used by the Thumb-2 encoders.
 *
 * A 32-bit Thumb instruction is stored as two halfwords, first halfword at the lower address, each
 * little-endian (ARMv7-M ARM A5.1 "Thumb instruction set encoding"). The encoders return both halves
 * packed in one number, `hw1 << 16 | hw2` (unsigned), so the hot path allocates nothing; a 16-bit
 * instruction is returned as its single halfword. NO_ENCODING (-1) means "not encodable".
 */

/** Returned by the encoders when the offset is out of range or misaligned for the form. */
export const NO_ENCODING = -1;

export function readU16LE(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}

export function writeU16LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
}

/** Packs the two halfwords of a 32-bit instruction as `hw1 << 16 | hw2`, unsigned. */
export function packHalfwords(hw1: number, hw2: number): number {
  return ((hw1 << 16) | (hw2 & 0xffff)) >>> 0;
}

export function firstHalfword(packed: number): number {
  return packed >>> 16;
}

export function secondHalfword(packed: number): number {
  return packed & 0xffff;
}

/** Reads the 32-bit instruction at `offset` as `hw1 << 16 | hw2`. */
export function readThumb32(bytes: Uint8Array, offset: number): number {
  return packHalfwords(readU16LE(bytes, offset), readU16LE(bytes, offset + 2));
}

/** Writes a packed 32-bit instruction (`hw1 << 16 | hw2`) at `offset`, hw1 first. */
export function writeThumb32(bytes: Uint8Array, offset: number, packed: number): void {
  writeU16LE(bytes, offset, packed >>> 16);
  writeU16LE(bytes, offset + 2, packed & 0xffff);
}

/**
 * True when `hw` is the first halfword of a 32-bit instruction: bits [15:11] are 0b11101, 0b11110 or
 * 0b11111 (A5.1). Every other halfword is a complete 16-bit instruction.
 */
export function isThumb32Prefix(hw: number): boolean {
  return (hw & 0xf800) >= 0xe800;
}

/**
 * A plain Uint8Array over the same memory: loops over images stay monomorphic (and subarray() makes no Node
 * Buffer) when callers pass Buffers, which are a subclass.
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
