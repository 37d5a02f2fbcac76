/**
 * Suffix array by prefix doubling with radix sorting (Manber and Myers): O(n log n) time, four Int32Arrays
 * of memory. Rounds stop as soon as every rank is distinct, so the round count follows the longest repeat
 * in the image (a 100 KB run of 0xFF needs 17 rounds), not its size.
 */
export function buildSuffixArray(text: Uint8Array): Int32Array {
  const n = text.length;
  const sa = new Int32Array(n);
  if (n === 0) return sa;
  let rank = new Int32Array(n);
  let nextRank = new Int32Array(n);
  const bySecondKey = new Int32Array(n);

  // Round 0: counting sort by the first byte.
  const byteCount = new Int32Array(257);
  for (let i = 0; i < n; i++) byteCount[text[i]! + 1]!++;
  for (let b = 0; b < 256; b++) byteCount[b + 1]! += byteCount[b]!;
  for (let i = 0; i < n; i++) sa[byteCount[text[i]!]!++] = i;
  for (let i = 0; i < n; i++) rank[i] = text[i]!;

  const count = new Int32Array(Math.max(n, 256) + 1);
  for (let k = 1; ; k *= 2) {
    // Order by the second key rank[i + k]: suffixes without one come first, then in current order.
    let p = 0;
    for (let i = n - k; i < n; i++) bySecondKey[p++] = i;
    for (let j = 0; j < n; j++) if (sa[j]! >= k) bySecondKey[p++] = sa[j]! - k;

    // Stable counting sort by the first key rank[i].
    const keyLimit = Math.max(n, 256);
    count.fill(0, 0, keyLimit + 1);
    for (let i = 0; i < n; i++) count[rank[i]! + 1]!++;
    for (let r = 0; r < keyLimit; r++) count[r + 1]! += count[r]!;
    for (let j = 0; j < n; j++) {
      const i = bySecondKey[j]!;
      sa[count[rank[i]!]!++] = i;
    }

    // New ranks: equal pairs (rank[i], rank[i + k]) share a rank.
    nextRank[sa[0]!] = 0;
    let distinct = 1;
    for (let j = 1; j < n; j++) {
      const a = sa[j - 1]!;
      const b = sa[j]!;
      const same = rank[a] === rank[b] && (a + k < n ? rank[a + k] : -1) === (b + k < n ? rank[b + k] : -1);
      if (!same) distinct++;
      nextRank[b] = distinct - 1;
    }
    [rank, nextRank] = [nextRank, rank];
    if (distinct === n) break;
  }
  return sa;
}

/** Length of the common prefix of a[i..] and b[j..]. */
export function commonPrefix(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  const limit = Math.min(a.length - i, b.length - j);
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
    const len = skip + commonPrefix(text, s + skip, target, at + skip);
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
  return loLen >= hiLen ? { position: sa[lo]!, length: loLen } : { position: sa[hi]!, length: hiLen };
}
