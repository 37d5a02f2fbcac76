/**
 * Suffix sorting by induced sorting, SA-IS (Nong, Zhang and Chan, "Two Efficient Algorithms for Linear Time
 * Suffix Array Construction", IEEE Trans. Computers 2011): O(n) time. A suffix is S-type when it is smaller
 * than the suffix after it, L-type when larger; an LMS position is an S-type one right after an L-type one.
 *  1. Sort the LMS substrings (LMS position to next LMS position) by one induced-sorting pass.
 *  2. Name them by rank; the names in text order form a reduced string of at most n/2 symbols whose suffix
 *     order is the order of the LMS suffixes. Sort it directly when the names are distinct, else recursively.
 *  3. Seed the buckets with the sorted LMS suffixes and induce the order of all the others.
 * The text ends with a virtual sentinel smaller than every symbol, so a suffix that is a prefix of another
 * sorts first. Each level halves the text, so recursion is at most log2(n) levels deep (26 for 64 MiB).
 * Memory: the suffix array itself holds the reduced string and its suffix array, and its free middle holds the
 * reduced level's bucket counters when they fit; each level adds one bit per symbol (its LMS positions).
 * Symbol types are never stored: the induction scans derive them from the symbols (see induceFromLms).
 */

/** A level's text: the input bytes, or the reduced string of LMS-substring names (a view into the suffix array). */
type Text = Uint8Array | Int32Array;

const EMPTY = -1;

/**
 * The scans read symbols at random places, one cache miss each. They go block by block: a first pass over a
 * block only loads what the second will need (independent loads the CPU overlaps, unlike the real pass whose
 * writes wait on each load), so the real pass mostly hits the cache. Loads may be stale (an entry that the
 * block itself is about to write): that only costs a miss. Their xor goes to `prefetchSink` so that the
 * compiler keeps them. Blocks of 64..256 entries measured best among 64..4096 (16 MB: 20-30% less CPU time).
 */
const BLOCK = 256;
let prefetchSink = 0;

/** The suffix array of `text` (byte alphabet). */
export function suffixArrayByInducedSorting(text: Uint8Array): Int32Array {
  const sa = new Int32Array(text.length);
  if (text.length > 0) sortSuffixes(text, text.length, 256, sa);
  return sa;
}

/**
 * Fills sa[0..n) with the suffix array of s[0..n), whose symbols are below `alphabet` (paper, Fig. 1 SA-IS).
 * `workspace` is scratch memory nobody else uses meanwhile, for the bucket counters if they fit.
 */
function sortSuffixes(s: Text, n: number, alphabet: number, sa: Int32Array, workspace?: Int32Array): void {
  const lms = findLmsPositions(s, n);
  const buckets = new Buckets(s, n, alphabet, workspace);

  // Stage 1: LMS positions at their bucket ends, in any order; induction sorts them as LMS substrings.
  sa.fill(EMPTY, 0, n);
  buckets.toEnds();
  for (let i = 1; i < n; i++) if (isLms(lms, i)) sa[--buckets.next[s[i]!]!] = i;
  induceFromLms(s, n, sa, buckets);
  const lmsCount = gatherSortedLms(lms, sa, n);
  const nameCount = nameLmsSubstrings(s, n, lms, sa, lmsCount);

  // Stage 2: order the LMS suffixes through the suffix array of the reduced string. lmsCount <= n/2, so
  // the reduced suffix array (front) and string (back) do not overlap; the middle is free meanwhile.
  const reduced = sa.subarray(n - lmsCount, n);
  const reducedSa = sa.subarray(0, lmsCount);
  const middle = sa.subarray(lmsCount, n - lmsCount);
  if (nameCount < lmsCount) sortSuffixes(reduced, lmsCount, nameCount, reducedSa, middle);
  else for (let i = 0; i < lmsCount; i++) reducedSa[reduced[i]!] = i;

  // Stage 3: reduced ranks back to text positions, then seed the bucket ends with them in sorted order.
  let w = n - lmsCount;
  for (let i = 1; i < n; i++) if (isLms(lms, i)) sa[w++] = i;
  for (let k = 0; k < lmsCount; k++) sa[k] = sa[n - lmsCount + sa[k]!]!;
  sa.fill(EMPTY, lmsCount, n);
  buckets.toEnds();
  // The k-th LMS suffix lands at or right of k: at least k smaller suffixes precede it.
  for (let end = lmsCount; end > 0; end -= BLOCK) {
    const start = Math.max(0, end - BLOCK);
    let touched = 0;
    for (let k = end - 1; k >= start; k--) touched ^= s[sa[k]!]!;
    prefetchSink ^= touched;
    for (let k = end - 1; k >= start; k--) {
      const p = sa[k]!;
      sa[k] = EMPTY;
      sa[--buckets.next[s[p]!]!] = p;
    }
  }
  induceFromLms(s, n, sa, buckets);
}

/**
 * A bit set of the LMS positions, by a right-to-left type scan: the last suffix is L-type (the sentinel after
 * it is smaller), suffix i is S-type when s[i] < s[i+1], or when they are equal and suffix i+1 is S-type.
 * One bit per position (not a type byte) keeps the random look-ups of gatherSortedLms in cache.
 */
function findLmsPositions(s: Text, n: number): Int32Array {
  const lms = new Int32Array((n + 31) >>> 5);
  let nextIsS = false;
  for (let i = n - 2; i >= 0; i--) {
    const a = s[i]!;
    const b = s[i + 1]!;
    const isS: boolean = a < b || (a === b && nextIsS);
    if (nextIsS && !isS) lms[(i + 1) >>> 5]! |= 1 << ((i + 1) & 31);
    nextIsS = isS;
  }
  return lms;
}

function isLms(lms: Int32Array, i: number): boolean {
  return (lms[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/**
 * Bucket pointers per symbol: the bucket of c holds the suffixes starting with c. The symbol counts are kept
 * (recounting a reduced string of millions of symbols costs a random access per symbol, six times a level).
 */
class Buckets {
  readonly next: Int32Array;
  private readonly counts: Int32Array;

  constructor(s: Text, n: number, alphabet: number, workspace?: Int32Array) {
    const room = workspace?.length ?? 0;
    this.counts = room >= alphabet ? workspace!.subarray(0, alphabet) : new Int32Array(alphabet);
    this.next = room >= 2 * alphabet ? workspace!.subarray(alphabet, 2 * alphabet) : new Int32Array(alphabet);
    const counts = this.counts.fill(0);
    for (let i = 0; i < n; i++) counts[s[i]!]!++;
  }

  /** next[c] = first slot of bucket c (L-type suffixes fill buckets from the front). */
  toStarts(): void {
    this.next.set(this.counts);
    const next = this.next;
    for (let c = 0, sum = 0; c < next.length; c++) {
      const count = next[c]!;
      next[c] = sum;
      sum += count;
    }
  }

  /** next[c] = one past the last slot of bucket c (S-type suffixes fill buckets from the back). */
  toEnds(): void {
    this.next.set(this.counts);
    const next = this.next;
    for (let c = 0, sum = 0; c < next.length; c++) {
      sum += next[c]!;
      next[c] = sum;
    }
  }
}

/**
 * Induced sorting (paper, Section 2.2): a left-to-right scan places each L-type suffix i-1 after suffix i is
 * placed, at the front of its bucket; a right-to-left scan then places each S-type suffix i-1 at the back.
 * The virtual sentinel comes first and places suffix n-1. Both scans prefetch block by block (see BLOCK).
 *
 * Each scan reads s[i-1] at a random place only for suffixes that really induce one: when a suffix j is
 * placed, s[j-1] is next to the s[j] just read, so the type of j-1 is decided then and stored as the sign of
 * the entry (~j: "j-1 is S-type"). The left scan induces from the unmarked entries: LMS seeds (always after an
 * L-type suffix) and L-type suffixes after an L-type one. The right scan induces from the marked entries, L- or
 * S-type, and clears every mark as it passes, so the array ends with plain positions.
 */
function induceFromLms(s: Text, n: number, sa: Int32Array, buckets: Buckets): void {
  const next = buckets.next;
  buckets.toStarts();
  const last = n - 1;
  sa[next[s[last]!]!++] = last > 0 && s[last - 1]! < s[last]! ? ~last : last;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let touched = 0;
    for (let k = start; k < end; k++) {
      const i = sa[k]!;
      if (i > 0) touched ^= s[i - 1]!;
    }
    prefetchSink ^= touched;
    for (let k = start; k < end; k++) {
      const i = sa[k]!;
      if (i <= 0) continue; // empty, position 0, or marked: nothing L-type before it
      const j = i - 1;
      const symbol = s[j]!;
      sa[next[symbol]!++] = j > 0 && s[j - 1]! < symbol ? ~j : j;
    }
  }
  buckets.toEnds();
  for (let end = n; end > 0; end -= BLOCK) {
    const start = Math.max(0, end - BLOCK);
    let touched = 0;
    for (let k = end - 1; k >= start; k--) {
      const v = sa[k]!;
      if (v < -1) touched ^= s[~v - 1]!;
    }
    prefetchSink ^= touched;
    for (let k = end - 1; k >= start; k--) {
      const v = sa[k]!;
      if (v >= 0) continue; // nothing S-type before it
      const i = ~v;
      sa[k] = i;
      if (i === 0) continue;
      const j = i - 1;
      const symbol = s[j]!;
      sa[--next[symbol]!] = j > 0 && s[j - 1]! <= symbol ? ~j : j;
    }
  }
}

/** Moves the LMS positions, in their sorted order, to the front of sa; returns how many there are. */
function gatherSortedLms(lms: Int32Array, sa: Int32Array, n: number): number {
  let count = 0;
  for (let k = 0; k < n; k++) {
    const p = sa[k]!;
    if (p > 0 && isLms(lms, p)) sa[count++] = p;
  }
  return count;
}

/**
 * Names the sorted LMS substrings (equal substrings, equal names) and leaves the reduced string, the names
 * in text order, in sa[n - lmsCount..n). Returns the number of distinct names. LMS positions are at least
 * two apart, so slot lmsCount + p/2 is free and distinct for each LMS position p.
 */
function nameLmsSubstrings(s: Text, n: number, lms: Int32Array, sa: Int32Array, lmsCount: number): number {
  sa.fill(EMPTY, lmsCount, n);
  let name = -1;
  let previous = -1;
  for (let start = 0; start < lmsCount; start += BLOCK) {
    const end = Math.min(lmsCount, start + BLOCK);
    let touched = 0;
    for (let k = start; k < end; k++) touched ^= s[sa[k]!]! ^ sa[lmsCount + (sa[k]! >> 1)]!;
    prefetchSink ^= touched;
    for (let k = start; k < end; k++) {
      const p = sa[k]!;
      if (previous < 0 || !sameLmsSubstring(s, n, lms, previous, p)) name++;
      previous = p;
      sa[lmsCount + (p >> 1)] = name;
    }
  }
  let w = n;
  for (let k = n - 1; k >= lmsCount; k--) if (sa[k]! !== EMPTY) sa[--w] = sa[k]!;
  return name + 1;
}

/**
 * Whether the LMS substrings at a and b (each up to the next LMS position, inclusive) are equal. Equal
 * symbols up to LMS ends at the same distance also mean equal types: types follow from the symbols
 * backwards from the S-type end. The substring that reaches the sentinel equals no other.
 */
function sameLmsSubstring(s: Text, n: number, lms: Int32Array, a: number, b: number): boolean {
  if (s[a] !== s[b]) return false;
  for (let d = 1; a + d < n && b + d < n; d++) {
    if (s[a + d] !== s[b + d]) return false;
    const endA = isLms(lms, a + d);
    if (endA !== isLms(lms, b + d)) return false;
    if (endA) return true;
  }
  return false;
}
