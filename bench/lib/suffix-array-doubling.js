// The former suffix-array construction (prefix doubling, Manber and Myers) in plain JS, so bench/suffix-array.js
// can time it beside the SA-IS construction in dist/. Same algorithm as test/delta/suffix-array-doubling.ts.
export function buildSuffixArrayDoubling(text) {
  const n = text.length;
  const sa = new Int32Array(n);
  if (n === 0) return sa;
  let rank = new Int32Array(n);
  let nextRank = new Int32Array(n);
  const bySecondKey = new Int32Array(n);

  // Round 0: counting sort by the first byte.
  const byteCount = new Int32Array(257);
  for (let i = 0; i < n; i++) byteCount[text[i] + 1]++;
  for (let b = 0; b < 256; b++) byteCount[b + 1] += byteCount[b];
  for (let i = 0; i < n; i++) sa[byteCount[text[i]]++] = i;
  for (let i = 0; i < n; i++) rank[i] = text[i];

  const count = new Int32Array(Math.max(n, 256) + 1);
  for (let k = 1; ; k *= 2) {
    // Order by the second key rank[i + k]: suffixes without one come first, then in current order.
    let p = 0;
    for (let i = n - k; i < n; i++) bySecondKey[p++] = i;
    for (let j = 0; j < n; j++) if (sa[j] >= k) bySecondKey[p++] = sa[j] - k;

    // Stable counting sort by the first key rank[i].
    const keyLimit = Math.max(n, 256);
    count.fill(0, 0, keyLimit + 1);
    for (let i = 0; i < n; i++) count[rank[i] + 1]++;
    for (let r = 0; r < keyLimit; r++) count[r + 1] += count[r];
    for (let j = 0; j < n; j++) {
      const i = bySecondKey[j];
      sa[count[rank[i]]++] = i;
    }

    // New ranks: equal pairs (rank[i], rank[i + k]) share a rank.
    nextRank[sa[0]] = 0;
    let distinct = 1;
    for (let j = 1; j < n; j++) {
      const a = sa[j - 1];
      const b = sa[j];
      const same = rank[a] === rank[b] && (a + k < n ? rank[a + k] : -1) === (b + k < n ? rank[b + k] : -1);
      if (!same) distinct++;
      nextRank[b] = distinct - 1;
    }
    [rank, nextRank] = [nextRank, rank];
    if (distinct === n) break;
  }
  return sa;
}
