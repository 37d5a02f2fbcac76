import { suffixArrayByInducedSorting } from './sais.js';

/**
 * The suffix array of `text`: its suffix start positions in lexicographic order, a suffix that is a prefix of
 * another first. Built by SA-IS (./sais.ts) in O(n) time, with the 4n-byte result plus about n/8 bytes of
 * scratch. The array is unique, so any correct construction gives the same one: patches did not change when
 * SA-IS replaced prefix doubling (16 MB: 38 s random, 137 s repetitive; see bench/SA-RESULTS.md).
 */
export function buildSuffixArray(text: Uint8Array): Int32Array {
  return suffixArrayByInducedSorting(text);
}

/** Length of the common prefix of a[i..] and b[j..], counting at most `max` bytes. */
export function commonPrefix(a: Uint8Array, i: number, b: Uint8Array, j: number, max = Infinity): number {
  const limit = Math.min(a.length - i, b.length - j, max);
  let len = 0;
  while (len < limit && a[i + len] === b[j + len]) len++;
  return len;
}

/** Finds the longest prefix of target[at..] that occurs in text, by binary search over its suffix array. */
export function longestMatch(
  text: Uint8Array,
  sa: Int32Array,
  target: Uint8Array,
  at: number,
  goodEnough = Infinity,
): { position: number; length: number } {
  if (text.length === 0 || at >= target.length) return { position: 0, length: 0 };
  let lo = 0;
  let hi = sa.length - 1;
  let loLen = commonPrefix(text, sa[lo]!, target, at);
  let hiLen = commonPrefix(text, sa[hi]!, target, at);
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const s = sa[mid]!;
    // Suffixes between lo and hi share at least min(loLen, hiLen) bytes with the target.
    const skip = Math.min(loLen, hiLen);
    if (skip >= goodEnough) break;
    const len = skip + commonPrefix(text, s + skip, target, at + skip, goodEnough - skip);
    if (len >= goodEnough) return { position: s, length: len + commonPrefix(text, s + len, target, at + len) };
    const textEnded = s + len >= text.length;
    const targetEnded = at + len >= target.length;
    if (targetEnded || (!textEnded && text[s + len]! > target[at + len]!)) {
      hi = mid;
      hiLen = len;
    } else {
      lo = mid;
      loLen = len;
    }
  }
  if (loLen >= goodEnough || hiLen >= goodEnough) {
    // Stopped early: both ends share a good-enough prefix; extend the first one fully.
    const position = sa[loLen >= hiLen ? lo : hi]!;
    return { position, length: commonPrefix(text, position, target, at) };
  }
  return loLen >= hiLen ? { position: sa[lo]!, length: loLen } : { position: sa[hi]!, length: hiLen };
}
