/*
 * The matcher for WebAssembly: src/delta/match.ts's matchBlocks and src/delta/suffix-array.ts's longestMatch,
 * step for step (read those files for the why), over a suffix array built in the same memory by ./sais.c.
 * Issue 13: in JavaScript the three matches of a `diff --arch auto` paid their JIT warm-up on every run. The
 * search skips, without reading memory, the steps that land outside the target's 2-byte prefix range
 * (longestMatchInPairs: same steps and result, 18 -> 6 probes per search on pybv11).
 * Blocks are written as (oldStart, copyLen, extraLen) triples from `out` upwards, growing memory as needed;
 * empty copies are merged by the caller.
 */
#include <stdint.h>

void *sdAllocate(uint32_t bytes);
void sdRelease(uintptr_t mark);
int32_t suffixArray(const uint8_t *text, int32_t n, int32_t *sa, uintptr_t heap);

static inline int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

static inline uint32_t load32(const uint8_t *p) {
  uint32_t word;
  __builtin_memcpy(&word, p, 4);
  return word;
}

static int32_t commonPrefix(const uint8_t *a, int32_t aLen, int32_t i, const uint8_t *b, int32_t bLen, int32_t j, int32_t max) {
  int32_t limit = min32(min32(aLen - i, bLen - j), max);
  int32_t len = 0;
  /* Four bytes at a time while they agree (WebAssembly loads need no alignment), then byte by byte. */
  while (len + 4 <= limit && load32(a + i + len) == load32(b + j + len)) len += 4;
  while (len < limit && a[i + len] == b[j + len]) len++;
  return len;
}

#define UNLIMITED 0x7fffffff

/*
 * The binary search over sa for the longest prefix of target[at..] in text, where sa[first .. end) holds the
 * suffixes known to share the target's first `known` bytes. A middle before that range is a smaller suffix and
 * moves lo, one after it moves hi, without reading memory; their common prefix, unknown (-1) until the end, is
 * shorter than `known` (see longestMatchInPairs). With the whole array as the range and known = 0 this is the
 * plain search, longestMatch.
 */
static int32_t searchInRange(const uint8_t *text, int32_t textLen, const int32_t *sa, const uint8_t *target, int32_t targetLen, int32_t at,
                             int32_t goodEnough, int32_t first, int32_t end, int32_t known, int32_t *position) {
  int32_t lo = 0, hi = textLen - 1, loLen = -1, hiLen = -1;
  if (lo >= first && lo < end) loLen = known + commonPrefix(text, textLen, sa[lo] + known, target, targetLen, at + known, UNLIMITED);
  if (hi >= first && hi < end) hiLen = known + commonPrefix(text, textLen, sa[hi] + known, target, targetLen, at + known, UNLIMITED);
  while (hi - lo > 1) {
    int32_t mid = (int32_t)(((uint32_t)lo + (uint32_t)hi) >> 1);
    if (mid < first) {
      lo = mid;
      loLen = -1;
      continue;
    }
    if (mid >= end) {
      hi = mid;
      hiLen = -1;
      continue;
    }
    int32_t s = sa[mid];
    int32_t skip = min32(loLen, hiLen);
    if (skip >= goodEnough) break;
    if (skip < known) skip = known;
    int32_t len = skip + commonPrefix(text, textLen, s + skip, target, targetLen, at + skip, goodEnough - skip);
    if (len >= goodEnough) {
      *position = s;
      return len + commonPrefix(text, textLen, s + len, target, targetLen, at + len, UNLIMITED);
    }
    int textEnded = s + len >= textLen;
    int targetEnded = at + len >= targetLen;
    if (targetEnded || (!textEnded && text[s + len] > target[at + len])) {
      hi = mid;
      hiLen = len;
    } else {
      lo = mid;
      loLen = len;
    }
  }
  if (loLen < 0) loLen = commonPrefix(text, textLen, sa[lo], target, targetLen, at, UNLIMITED);
  if (hiLen < 0) hiLen = commonPrefix(text, textLen, sa[hi], target, targetLen, at, UNLIMITED);
  if (loLen >= goodEnough || hiLen >= goodEnough) {
    int32_t p = sa[loLen >= hiLen ? lo : hi];
    *position = p;
    return commonPrefix(text, textLen, p, target, targetLen, at, UNLIMITED);
  }
  *position = sa[loLen >= hiLen ? lo : hi];
  return loLen >= hiLen ? loLen : hiLen;
}

/* longestMatch: the position and length of the longest prefix of target[at..] in text (binary search over sa). */
static int32_t longestMatch(const uint8_t *text, int32_t textLen, const int32_t *sa, const uint8_t *target, int32_t targetLen,
                            int32_t at, int32_t goodEnough, int32_t *position) {
  *position = 0;
  if (textLen == 0 || at >= targetLen) return 0;
  return searchInRange(text, textLen, sa, target, targetLen, at, goodEnough, 0, textLen, 0, position);
}

/*
 * The suffix-array range of every 2-byte prefix: suffixes starting with bytes (a, b) are at
 * sa[starts[k] .. starts[k + 1]) with k = a << 8 | b, except that the 1-byte suffix text[n - 1] (which sorts
 * right before the suffixes starting with its byte and two more) is counted into the start of its byte's first
 * pair, key lastKey: so the range of key lastKey - 1 ends one earlier. From the byte counts, O(n + 65536).
 */
#define PAIRS 65536
static int32_t *pairStarts(const uint8_t *text, int32_t textLen, int32_t *lastKey) {
  int32_t *starts = sdAllocate((PAIRS + 1) * 4);
  for (int32_t i = 0; i + 1 < textLen; i++) starts[(int32_t)text[i] << 8 | text[i + 1]]++;
  *lastKey = (int32_t)text[textLen - 1] << 8;
  for (int32_t k = 0, sum = 0; k <= PAIRS; k++) {
    if (k == *lastKey) sum++;
    int32_t count = k < PAIRS ? starts[k] : 0;
    starts[k] = sum;
    sum += count;
  }
  return starts;
}

/*
 * longestMatch with the same steps and result, but the steps whose middle falls outside the range of the
 * target's first two bytes cost no memory access. The full search probes from lo = 0, hi = textLen - 1; a
 * middle before the range is a smaller suffix (its first two bytes are smaller, or it is the 1-byte suffix,
 * a prefix of the target), so it moves lo; one after the range moves hi. Such a suffix shares at most 1 byte
 * with the target, so its loLen/hiLen is left unknown (-1) until the end: it is below goodEnough (> 2), so the
 * full search would not have stopped on it, and as a skip it only shortens the next comparison, where 2
 * bytes are known to agree inside the range anyway. Each length computed is the exact common prefix, as in
 * the full search, so every decision, the stop at goodEnough and the final pair (lo, hi) are the same.
 */
static int32_t longestMatchInPairs(const uint8_t *text, int32_t textLen, const int32_t *sa, const int32_t *starts, int32_t lastKey,
                                   const uint8_t *target, int32_t targetLen, int32_t at, int32_t goodEnough, int32_t *position) {
  if (textLen == 0 || at + 1 >= targetLen || goodEnough <= 2) return longestMatch(text, textLen, sa, target, targetLen, at, goodEnough, position);
  *position = 0;
  int32_t key = (int32_t)target[at] << 8 | target[at + 1];
  int32_t first = starts[key], end = starts[key + 1] - (key + 1 == lastKey);
  return searchInRange(text, textLen, sa, target, targetLen, at, goodEnough, first, end, 2, position);
}

static int32_t *out;
static int32_t outCount;

static void push(int32_t oldStart, int32_t copyLen, int32_t extraLen) {
  int32_t *slot = sdAllocate(12);
  slot[0] = oldStart;
  slot[1] = copyLen;
  slot[2] = extraLen;
  outCount++;
}

#define AGREES(s, t) ((s) >= 0 && (s) < sourceLen && source[s] == target[t])

/*
 * Builds the suffix array of source at `sa` (scratch from `heap`), unless `arrayReady` says it is there already
 * (from an earlier call on the same source), then matches target against it. Returns the number of blocks;
 * they are at the address blocksAt() returns.
 */
__attribute__((export_name("matchBlocks"))) int32_t matchBlocks(const uint8_t *source, int32_t sourceLen, const uint8_t *target,
                                                                 int32_t targetLen, int32_t *sa, uintptr_t heap, int32_t minGain,
                                                                 int32_t goodEnough, int32_t arrayReady) {
  if (arrayReady) sdRelease(heap);
  else suffixArray(source, sourceLen, sa, heap);
  int32_t lastKey = 0;
  const int32_t *starts = sourceLen > 0 ? pairStarts(source, sourceLen, &lastKey) : 0;
  out = sdAllocate(0);
  outCount = 0;
  int32_t scan = 0, matchLen = 0, matchPos = 0, lastScan = 0, lastPos = 0, lastOffset = 0;
  while (scan < targetLen) {
    int32_t oldScore = 0;
    int32_t scored = (scan += matchLen);
    for (; scan < targetLen; scan++) {
      matchLen = longestMatchInPairs(source, sourceLen, sa, starts, lastKey, target, targetLen, scan, goodEnough, &matchPos);
      for (; scored < scan + matchLen; scored++) if (AGREES(scored + lastOffset, scored)) oldScore++;
      if ((matchLen == oldScore && matchLen != 0) || matchLen > oldScore + minGain) break;
      if (AGREES(scan + lastOffset, scan)) oldScore--;
    }
    if (matchLen == oldScore && scan != targetLen) continue;

    int32_t forwardLen = 0;
    for (int32_t i = 0, same = 0, best = 0; lastScan + i < scan && lastPos + i < sourceLen;) {
      if (source[lastPos + i] == target[lastScan + i]) same++;
      i++;
      if (same * 2 - i > best * 2 - forwardLen) {
        best = same;
        forwardLen = i;
      }
    }
    int32_t backwardLen = 0;
    if (scan < targetLen) {
      for (int32_t i = 1, same = 0, best = 0; scan >= lastScan + i && matchPos >= i; i++) {
        if (source[matchPos - i] == target[scan - i]) same++;
        if (same * 2 - i > best * 2 - backwardLen) {
          best = same;
          backwardLen = i;
        }
      }
    }
    if (lastScan + forwardLen > scan - backwardLen) {
      int32_t overlap = lastScan + forwardLen - (scan - backwardLen);
      int32_t score = 0, bestScore = 0, split = 0;
      for (int32_t i = 0; i < overlap; i++) {
        int32_t t = lastScan + forwardLen - overlap + i;
        if (target[t] == source[lastPos + forwardLen - overlap + i]) score++;
        if (target[t] == source[matchPos - backwardLen + i]) score--;
        if (score > bestScore) {
          bestScore = score;
          split = i + 1;
        }
      }
      forwardLen += split - overlap;
      backwardLen -= split;
    }

    int32_t extraLen = scan - backwardLen - (lastScan + forwardLen);
    if (forwardLen > 0 || extraLen > 0) push(lastPos, forwardLen, extraLen);
    lastScan = scan - backwardLen;
    lastPos = matchPos - backwardLen;
    lastOffset = matchPos - scan;
  }
  return outCount;
}

/*
 * For tests: longestMatchInPairs at every position of target over a suffix array already at `sa`, written as
 * (position, length) pairs from `out` (2 * targetLen entries); scratch from `heap`.
 */
__attribute__((export_name("longestMatches"))) void longestMatches(const uint8_t *text, int32_t textLen, const int32_t *sa, const uint8_t *target,
                                                                    int32_t targetLen, int32_t goodEnough, int32_t *out, uintptr_t heap) {
  sdRelease(heap);
  int32_t lastKey = 0;
  const int32_t *starts = textLen > 0 ? pairStarts(text, textLen, &lastKey) : 0;
  for (int32_t at = 0; at < targetLen; at++) {
    out[2 * at + 1] = longestMatchInPairs(text, textLen, sa, starts, lastKey, target, targetLen, at, goodEnough, &out[2 * at]);
  }
}

__attribute__((export_name("blocksAt"))) int32_t *blocksAt(void) { return out; }
