/** One Intel HEX record line (Intel "Hexadecimal Object File Format Specification", Rev. A, 1988). */
import { InvalidInputError } from '../errors.js';
import { hexByte } from './describe.js';

export interface HexRecord {
  type: number;
  /** The 16-bit LOAD OFFSET field. */
  offset: number;
  /** The data field; a view into a scratch buffer that the next record overwrites. */
  data: Uint8Array;
}

const COLON = 0x3a;
/** Byte count, 2 offset bytes, type, up to 255 data bytes, checksum. */
export const MAX_RECORD_BYTES = 260;

/** 0..15 for an ASCII hex digit, -1 otherwise (a table: this runs twice per byte of a HEX file). */
const DIGIT_VALUE = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let c = 0; c < 256; c++) {
    if (c >= 0x30 && c <= 0x39) table[c] = c - 0x30;
    const lower = c | 0x20;
    if (lower >= 0x61 && lower <= 0x66) table[c] = lower - 0x61 + 10;
  }
  return table;
})();

function printable(c: number): string {
  return c >= 0x21 && c <= 0x7e ? `'${String.fromCharCode(c)}'` : `byte ${hexByte(c)}`;
}

/**
 * Decode the record in text[start, end) (trailing whitespace already removed) into `scratch`,
 * which must hold MAX_RECORD_BYTES bytes. Checks the mark, digits, length and checksum.
 */
export function decodeRecord(text: Uint8Array, start: number, end: number, line: number, scratch: Uint8Array): HexRecord {
  if (text[start] !== COLON) {
    throw new InvalidInputError(`line ${line}: a record must start with ':', found ${printable(text[start]!)}`);
  }
  const digits = end - start - 1;
  if (digits % 2 !== 0) throw new InvalidInputError(`line ${line}: odd number of hex digits (${digits})`);
  const length = digits / 2;
  if (length > MAX_RECORD_BYTES) {
    throw new InvalidInputError(`line ${line}: record too long (${length} bytes, at most ${MAX_RECORD_BYTES})`);
  }
  for (let i = 0; i < length; i++) {
    const at = start + 1 + 2 * i;
    const hi = DIGIT_VALUE[text[at]!]!;
    const lo = DIGIT_VALUE[text[at + 1]!]!;
    if (hi < 0 || lo < 0) {
      const bad = hi < 0 ? at : at + 1;
      throw new InvalidInputError(`line ${line}: invalid hex digit ${printable(text[bad]!)} at column ${bad - start + 1}`);
    }
    scratch[i] = (hi << 4) | lo;
  }
  if (length < 5) {
    throw new InvalidInputError(`line ${line}: record too short (${length} bytes, a record has at least 5)`);
  }
  const count = scratch[0]!;
  if (count !== length - 5) {
    throw new InvalidInputError(
      `line ${line}: byte count ${hexByte(count)} (${count}) does not match the ${length - 5} data bytes present`,
    );
  }
  let sum = 0;
  for (let i = 0; i < length - 1; i++) sum += scratch[i]!;
  const expected = -sum & 0xff;
  const actual = scratch[length - 1]!;
  if (actual !== expected) {
    throw new InvalidInputError(`line ${line}: checksum ${hexByte(actual)}, expected ${hexByte(expected)}`);
  }
  return { type: scratch[3]!, offset: (scratch[1]! << 8) | scratch[2]!, data: scratch.subarray(4, 4 + count) };
}
