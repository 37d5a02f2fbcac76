/**
 * Linear sweep over a Thumb code region: step 4 bytes over each 32-bit instruction (first halfword
 * with bits [15:11] = 111xx except 11100, A5.1) and 2 over each 16-bit one, and report the PC-relative
 * forms found. Data inside code (literal pools, tables) can desynchronise the sweep briefly; it
 * resynchronises within a few halfwords in practice, and a wrong guess only costs patch bytes.
 */
import { isThumb32Prefix, readU16LE } from './halfwords.js';
import { classifyThumb } from './thumb2.js';
import { ThumbKind } from './thumb2-kind.js';

/** Called for each PC-relative instruction; `offset` is its byte offset in the swept array. */
export type ThumbVisitor = (kind: ThumbKind, offset: number, hw1: number, hw2: number) => void;

/**
 * Sweeps bytes[start, end) (start even) and calls `visit` for every PC-relative form; returns how
 * many were found. A 32-bit prefix in the last halfword of the range is ignored.
 */
export function sweepThumb(bytes: Uint8Array, visit: ThumbVisitor, start = 0, end = bytes.length): number {
  let found = 0;
  let offset = start;
  while (offset + 2 <= end) {
    const hw1 = readU16LE(bytes, offset);
    if (isThumb32Prefix(hw1)) {
      if (offset + 4 > end) break;
      const hw2 = readU16LE(bytes, offset + 2);
      const kind = classifyThumb(hw1, hw2);
      if (kind !== ThumbKind.None) {
        visit(kind, offset, hw1, hw2);
        found++;
      }
      offset += 4;
    } else {
      const kind = classifyThumb(hw1, 0);
      if (kind !== ThumbKind.None) {
        visit(kind, offset, hw1, 0);
        found++;
      }
      offset += 2;
    }
  }
  return found;
}
