/*
 * SA-IS suffix sorting for WebAssembly: the same algorithm as src/delta/sais.ts (read that file's comments for
 * the why), giving the same array. Issue 13: compiled JavaScript pays its JIT warm-up on every run of the CLI
 * (the first SA-IS in a process costs several times the third), while WebAssembly is compiled once, ahead of
 * the first call, by V8's baseline compiler (Liftoff only: bin/smartdelta.js), which runs every branch and
 * pass as written. Hence, beyond sais.ts: types found in one branch-free pass that also counts the symbols,
 * LMS positions visited by the set bits of their bit set, LMS substrings compared by length first, and no
 * load-ahead pass on small texts (pybv11's array: 25 -> 14 ms of CPU). Built by scripts/build-wasm.sh into
 * src/delta/kernel-wasm.ts.
 *
 * No libc: memory is the module's own linear memory (exported). The caller puts the text at `text` and gets the
 * suffix array at `sa` (n 32-bit entries); scratch comes from a bump allocator above `heap`, grown on demand.
 */
#include <stdint.h>

#define EMPTY (-1)
#define BLOCK 256
/*
 * The induction scans load ahead (see src/delta/sais.ts) only on texts of 4 Mi symbols or more: Liftoff runs
 * the extra pass slowly enough that below that size, where text and array mostly stay in cache, it cost more
 * than it saved (issue 13, suffix array of pybv11's 318 KB image: 25 -> 20 ms of CPU; tiled firmware
 * 1 MiB: 76 -> 64 ms, 2 MiB: 152 -> 130; 4 MiB about even, 16 MiB 10% faster with it).
 */
#define PREFETCH_FROM (1 << 22)
#define PAGE 65536u

static uintptr_t heapTop;
static volatile int32_t prefetchSink;

/*
 * Zeroed scratch of `bytes` (4-byte aligned, so that successive calls are contiguous: ./match.c appends its
 * blocks this way); released by resetting heapTop to a mark.
 */
void *sdAllocate(uint32_t bytes) {
  uintptr_t at = (heapTop + 3u) & ~(uintptr_t)3u;
  uintptr_t end = at + bytes;
  uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * PAGE;
  if (end > have) {
    if (__builtin_wasm_memory_grow(0, (end - have + PAGE - 1) / PAGE) == (uintptr_t)-1) __builtin_trap();
  }
  heapTop = end;
  __builtin_memset((void *)at, 0, bytes);
  return (void *)at;
}

/* Frees everything allocated above `mark`. */
void sdRelease(uintptr_t mark) { heapTop = mark; }

static inline int isLms(const int32_t *lms, int32_t i) { return (lms[(uint32_t)i >> 5] & (1 << (i & 31))) != 0; }

typedef struct {
  int32_t *next;
  int32_t *counts;
  int32_t alphabet;
} Buckets;

static void toStarts(Buckets *b) {
  for (int32_t c = 0, sum = 0; c < b->alphabet; c++) {
    int32_t count = b->counts[c];
    b->next[c] = sum;
    sum += count;
  }
}

static void toEnds(Buckets *b) {
  for (int32_t c = 0, sum = 0; c < b->alphabet; c++) {
    sum += b->counts[c];
    b->next[c] = sum;
  }
}

/*
 * The distance from LMS position p to the next one, or 0 if there is none (its substring reaches the end: such
 * a substring equals no other). Two LMS substrings are equal when they have the same length and symbols.
 */
static int32_t lmsLength(const int32_t *lms, int32_t n, int32_t p) {
  int32_t i = p + 1, words = (int32_t)(((uint32_t)n + 31u) >> 5), w = i >> 5;
  if (w >= words) return 0;
  uint32_t bits = (uint32_t)lms[w] & (~0u << (i & 31));
  while (bits == 0) {
    if (++w >= words) return 0;
    bits = (uint32_t)lms[w];
  }
  return (w << 5 | (int32_t)__builtin_ctz(bits)) - p;
}

/* The level functions, once for the byte text and once for a reduced string of 32-bit names. */
#define LEVEL(T, SUFFIX) \
  static int32_t *findLms##SUFFIX(const T *s, int32_t n, int32_t *counts) { \
    uint32_t *lms = sdAllocate((((uint32_t)n + 31u) >> 5) * 4u); \
    uint32_t nextIsS = 0, word = 0; \
    T b = s[n - 1]; \
    counts[b]++; \
    for (int32_t i = n - 2; i >= 0; i--) { \
      T a = s[i]; \
      counts[a]++; \
      uint32_t isS = (uint32_t)(a < b) | ((uint32_t)(a == b) & nextIsS); \
      word |= (nextIsS & ~isS) << ((i + 1) & 31); \
      if (((i + 1) & 31) == 0) { \
        lms[(uint32_t)(i + 1) >> 5] = word; \
        word = 0; \
      } \
      nextIsS = isS; \
      b = a; \
    } \
    lms[0] = word; \
    return (int32_t *)lms; \
  } \
  static void induce##SUFFIX(const T *s, int32_t n, int32_t *sa, Buckets *b) { \
    int32_t *next = b->next; \
    int prefetch = n >= PREFETCH_FROM; \
    toStarts(b); \
    int32_t last = n - 1; \
    sa[next[s[last]]++] = last > 0 && s[last - 1] < s[last] ? ~last : last; \
    for (int32_t start = 0; start < n; start += BLOCK) { \
      int32_t end = n < start + BLOCK ? n : start + BLOCK; \
      if (prefetch) { \
        int32_t touched = 0; \
        for (int32_t k = start; k < end; k++) { int32_t i = sa[k]; if (i > 0) touched ^= (int32_t)s[i - 1]; } \
        prefetchSink ^= touched; \
      } \
      for (int32_t k = start; k < end; k++) { \
        int32_t i = sa[k]; \
        if (i <= 0) continue; \
        int32_t j = i - 1; \
        T symbol = s[j]; \
        sa[next[symbol]++] = j > 0 && s[j - 1] < symbol ? ~j : j; \
      } \
    } \
    toEnds(b); \
    for (int32_t end = n; end > 0; end -= BLOCK) { \
      int32_t start = end - BLOCK > 0 ? end - BLOCK : 0; \
      if (prefetch) { \
        int32_t touched = 0; \
        for (int32_t k = end - 1; k >= start; k--) { int32_t v = sa[k]; if (v < -1) touched ^= (int32_t)s[~v - 1]; } \
        prefetchSink ^= touched; \
      } \
      for (int32_t k = end - 1; k >= start; k--) { \
        int32_t v = sa[k]; \
        if (v >= 0) continue; \
        int32_t i = ~v; \
        sa[k] = i; \
        if (i == 0) continue; \
        int32_t j = i - 1; \
        T symbol = s[j]; \
        sa[--next[symbol]] = j > 0 && s[j - 1] <= symbol ? ~j : j; \
      } \
    } \
  } \
  /* LMS substrings from a and b, both `length` long (to the next LMS position, inclusive): equal symbols? */ \
  static int sameSymbols##SUFFIX(const T *s, int32_t a, int32_t b, int32_t length) { \
    for (int32_t d = 0; d <= length; d++) if (s[a + d] != s[b + d]) return 0; \
    return 1; \
  } \
  static int32_t name##SUFFIX(const T *s, int32_t n, const int32_t *lms, int32_t *sa, int32_t lmsCount) { \
    __builtin_memset(sa + lmsCount, 0xff, (uint32_t)(n - lmsCount) * 4u); /* EMPTY */ \
    int32_t name = -1, previous = -1, previousLength = 0; \
    for (int32_t k = 0; k < lmsCount; k++) { \
      int32_t p = sa[k]; \
      int32_t length = lmsLength(lms, n, p); \
      if (length == 0 || length != previousLength || !sameSymbols##SUFFIX(s, previous, p, length)) name++; \
      previous = p; \
      previousLength = length; \
      sa[lmsCount + (p >> 1)] = name; \
    } \
    int32_t w = n; \
    for (int32_t k = n - 1; k >= lmsCount; k--) { \
      int32_t v = sa[k]; \
      sa[w - 1] = v; /* slot w - 1 is k or one already moved */ \
      w -= v != EMPTY; \
    } \
    return name + 1; \
  }

LEVEL(uint8_t, Bytes)
LEVEL(int32_t, Names)

/* Runs `body` for each LMS position i in increasing order, a word of the bit set at a time. */
#define FOR_EACH_LMS(lms, n, i, body) \
  for (int32_t word = 0; word < (int32_t)(((uint32_t)(n) + 31u) >> 5); word++) { \
    for (uint32_t bits = (uint32_t)(lms)[word]; bits != 0; bits &= bits - 1) { \
      int32_t i = word << 5 | (int32_t)__builtin_ctz(bits); \
      body; \
    } \
  }

static int32_t gatherSortedLms(const int32_t *lms, int32_t *sa, int32_t n) {
  int32_t count = 0;
  for (int32_t k = 0; k < n; k++) {
    int32_t p = sa[k];
    sa[count] = p; /* count <= k: a slot already read */
    count += isLms(lms, p > 0 ? p : 0);
  }
  return count;
}

static void sortSuffixes(const void *text, int bytes, int32_t n, int32_t alphabet, int32_t *sa, int32_t *workspace, int32_t room);

#define SORT(T, SUFFIX) \
  static void sort##SUFFIX(const T *s, int32_t n, int32_t alphabet, int32_t *sa, int32_t *workspace, int32_t room) { \
    uintptr_t mark = heapTop; \
    Buckets b; \
    b.alphabet = alphabet; \
    b.counts = room >= alphabet ? workspace : sdAllocate((uint32_t)alphabet * 4u); \
    b.next = room >= 2 * alphabet ? workspace + alphabet : sdAllocate((uint32_t)alphabet * 4u); \
    __builtin_memset(b.counts, 0, (uint32_t)alphabet * 4u); \
    int32_t *lms = findLms##SUFFIX(s, n, b.counts); \
    __builtin_memset(sa, 0xff, (uint32_t)n * 4u); /* EMPTY */ \
    toEnds(&b); \
    FOR_EACH_LMS(lms, n, i, sa[--b.next[s[i]]] = i); \
    induce##SUFFIX(s, n, sa, &b); \
    int32_t lmsCount = gatherSortedLms(lms, sa, n); \
    int32_t nameCount = name##SUFFIX(s, n, lms, sa, lmsCount); \
    int32_t *reduced = sa + (n - lmsCount); \
    int32_t *reducedSa = sa; \
    if (nameCount < lmsCount) sortSuffixes(reduced, 0, lmsCount, nameCount, reducedSa, sa + lmsCount, n - 2 * lmsCount); \
    else for (int32_t i = 0; i < lmsCount; i++) reducedSa[reduced[i]] = i; \
    int32_t w = n - lmsCount; \
    FOR_EACH_LMS(lms, n, i, sa[w++] = i); \
    for (int32_t k = 0; k < lmsCount; k++) sa[k] = sa[n - lmsCount + sa[k]]; \
    __builtin_memset(sa + lmsCount, 0xff, (uint32_t)(n - lmsCount) * 4u); /* EMPTY */ \
    toEnds(&b); \
    for (int32_t k = lmsCount - 1; k >= 0; k--) { \
      int32_t p = sa[k]; \
      sa[k] = EMPTY; \
      sa[--b.next[s[p]]] = p; \
    } \
    induce##SUFFIX(s, n, sa, &b); \
    heapTop = mark; \
  }

SORT(uint8_t, Bytes)
SORT(int32_t, Names)

static void sortSuffixes(const void *text, int bytes, int32_t n, int32_t alphabet, int32_t *sa, int32_t *workspace, int32_t room) {
  if (bytes) sortBytes(text, n, alphabet, sa, workspace, room);
  else sortNames(text, n, alphabet, sa, workspace, room);
}

/*
 * The suffix array of the n bytes at `text`, written as n 32-bit entries at `sa`; scratch above `heap`.
 * Returns 0 (traps if memory cannot grow).
 */
__attribute__((export_name("suffixArray"))) int32_t suffixArray(const uint8_t *text, int32_t n, int32_t *sa, uintptr_t heap) {
  heapTop = heap;
  if (n > 0) sortSuffixes(text, 1, n, 256, sa, 0, 0);
  return 0;
}
