import { newKernel } from './kernel.js';

/**
 * The suffix array of `text`: its suffix start positions in lexicographic order, a suffix that is a prefix of
 * another first. Built by SA-IS in O(n) time: wasm/sais.c, the same steps as ./sais.ts, compiled to WebAssembly
 * (./kernel.ts; issue 13: shell's first array cost about 100 ms of CPU in JavaScript, mostly JIT warm-up, and
 * about 10 in WebAssembly). The array is unique, so any correct construction gives the same one: patches did
 * not change when SA-IS replaced prefix doubling (see bench/SA-RESULTS.md), nor when WebAssembly replaced
 * JavaScript. The kernel needs the text, the 4n-byte array and about n/4 bytes of scratch.
 */
export function buildSuffixArray(text: Uint8Array): Int32Array {
  const n = text.length;
  if (n === 0) return new Int32Array(0);
  const kernel = newKernel();
  const at = kernel.arrayAt(n);
  // Scratch follows the array, over a previous match's target: placeText forgets that match when text is new.
  if (!kernel.placeText(text, (n >>> 2) + 4096)) {
    kernel.exports.suffixArray(kernel.textAt, n, at, kernel.afterArray(n));
    kernel.arrayBuilt();
  }
  // A copy: a view would keep the kernel's whole memory alive and give callers a buffer that is not the array's.
  const sa = new Int32Array(kernel.exports.memory.buffer, at, n).slice();
  kernel.release();
  return sa;
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
