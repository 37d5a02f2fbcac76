/*
 * Mutation fuzzer for sd_lzma (run it under the sanitizers):
 *
 *   lzma_fuzz LC LP PB WINDOW SEED ITERATIONS IN
 *
 * Each iteration mutates the valid stream IN (bit flips, byte overwrites,
 * truncation, insertion, or pure noise), then decodes it twice: all input at
 * once, and in pseudo-random 1..N byte input/output chunks, with the size
 * unknown or known. Both runs must agree exactly (result, bytes consumed,
 * bytes produced, output), which checks that chunking never changes a result,
 * and the sanitizers check that corrupt data never reads or writes out of
 * bounds. Prints a summary of the result codes; exit 1 on disagreement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_lzma.h"

static uint32_t rng = 1;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

struct outcome {
  int code; /* final result; 4 = input ended before the stream did */
  size_t consumed, produced;
};

static uint16_t *probs;
static uint8_t *window;
static unsigned lc, lp, pb;
static uint32_t window_size;

static struct outcome decode(const uint8_t *in, size_t n, uint64_t size, int chunked, uint8_t *out,
                             size_t cap) {
  sd_lzma_dec d;
  struct outcome o = {0, 0, 0};
  int r = sd_lzma_init(&d, lc, lp, pb, probs, sd_lzma_probs_count(lc, lp), window, window_size, size);
  if (r != SD_LZMA_OK) { o.code = r; return o; }
  for (;;) {
    size_t in_n = n - o.consumed, out_n = cap - o.produced;
    if (chunked) {
      size_t a = 1 + next() % 13, b = 1 + next() % 300;
      if (a < in_n) in_n = a;
      if (b < out_n) out_n = b;
    }
    r = sd_lzma_decode(&d, in + o.consumed, &in_n, out + o.produced, &out_n);
    o.consumed += in_n;
    o.produced += out_n;
    if (r != SD_LZMA_OK) { o.code = r; return o; }
    if (in_n == 0 && out_n == 0 && o.consumed == n) {
      /* no progress with all input given: truncated, or output buffer full */
      o.code = o.produced == cap ? 7 : 4;
      return o;
    }
  }
}

int main(int argc, char **argv) {
  FILE *f;
  uint8_t *orig, *buf, *out1, *out2;
  size_t orig_len, cap, i, iterations;
  long sz;
  int counts[16] = {0};
  if (argc != 8) {
    fprintf(stderr, "usage: lzma_fuzz LC LP PB WINDOW SEED ITERATIONS IN\n");
    return 2;
  }
  lc = (unsigned)atoi(argv[1]);
  lp = (unsigned)atoi(argv[2]);
  pb = (unsigned)atoi(argv[3]);
  window_size = (uint32_t)strtoul(argv[4], NULL, 0);
  rng = (uint32_t)strtoul(argv[5], NULL, 0) | 1u;
  iterations = strtoul(argv[6], NULL, 0);
  f = fopen(argv[7], "rb");
  if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) return 2;
  orig_len = (size_t)sz;
  orig = malloc(orig_len);
  buf = malloc(orig_len + 64);
  if (!orig || !buf || fread(orig, 1, orig_len, f) != orig_len) return 2;
  fclose(f);
  cap = 64 * orig_len + 4096; /* corrupt streams may expand; the cap bounds them */
  out1 = malloc(cap);
  out2 = malloc(cap);
  probs = malloc(sd_lzma_probs_count(lc, lp) * sizeof *probs);
  window = malloc(window_size);
  if (!out1 || !out2 || !probs || !window) return 2;

  for (i = 0; i < iterations; i++) {
    size_t n = orig_len, k, edits = 1 + next() % 4;
    uint64_t size = SD_LZMA_SIZE_UNKNOWN;
    struct outcome a, b;
    memcpy(buf, orig, orig_len);
    switch (next() % 5) {
    case 0: for (k = 0; k < edits; k++) buf[next() % n] ^= (uint8_t)(1u << (next() % 8)); break;
    case 1: for (k = 0; k < edits; k++) buf[next() % n] = (uint8_t)next(); break;
    case 2: n = next() % orig_len; break;
    case 3: k = next() % n; memmove(buf + k + 1, buf + k, n - k); buf[k] = (uint8_t)next(); n++; break;
    default: for (k = 0; k < n; k++) buf[k] = (uint8_t)next(); if (next() & 1) buf[0] = 0; break;
    }
    if (next() & 1) size = next() % (2 * orig_len + 1); /* a plausible known size */
    a = decode(buf, n, size, 0, out1, cap);
    b = decode(buf, n, size, 1, out2, cap);
    if (a.code != b.code || a.consumed != b.consumed || a.produced != b.produced ||
        memcmp(out1, out2, a.produced) != 0) {
      fprintf(stderr, "iteration %lu: whole (%d, %lu in, %lu out) != chunked (%d, %lu in, %lu out)\n",
              (unsigned long)i, a.code, (unsigned long)a.consumed, (unsigned long)a.produced, b.code,
              (unsigned long)b.consumed, (unsigned long)b.produced);
      return 1;
    }
    counts[a.code + 8]++;
  }
  printf("{\"done\": %d, \"ok\": %d, \"err_data\": %d, \"truncated\": %d, \"full\": %d}\n",
         counts[SD_LZMA_DONE + 8], counts[SD_LZMA_OK + 8], counts[SD_LZMA_ERR_DATA + 8],
         counts[4 + 8], counts[7 + 8]);
  free(orig); free(buf); free(out1); free(out2); free(probs); free(window);
  return 0;
}
