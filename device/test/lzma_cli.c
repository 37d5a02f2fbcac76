/*
 * Host test driver for sd_lzma: decodes a raw LZMA1 file, feeding input and
 * output space in pseudo-random chunk sizes.
 *
 *   lzma_cli LC LP PB WINDOW SIZE SEED MAX_IN MAX_OUT IN OUT [REPEAT]
 *     SIZE     unpacked size, or - when unknown (end marker mandatory)
 *     SEED     chunk size generator seed; 0 = whole input, large output chunks
 *     MAX_IN   largest input chunk (1 = byte by byte)
 *     MAX_OUT  largest output chunk
 *     REPEAT   decode REPEAT times and print throughput to stderr
 *   lzma_cli sizes   prints sizeof(sd_lzma_dec) and the probability counts
 *
 * Exit codes: 0 ok, 1 usage/io, 2 SD_LZMA_ERR_PARAM, 3 SD_LZMA_ERR_DATA,
 * 4 truncated (input ended before the end of the stream), 5 data after the
 * end, 6 decoder stalled (a bug).
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sd_lzma.h"
#include "driver_io.h"

struct params {
  unsigned lc, lp, pb;
  uint32_t window;
  uint64_t size;
  uint32_t seed;
  size_t max_in, max_out;
};

/* Returns the exit code; *out and *out_len receive the decoded bytes. */
static int decode_all(const struct params *p, const uint8_t *in, size_t in_size, uint8_t **out,
                      size_t *out_len) {
  sd_lzma_dec d;
  size_t nprobs = sd_lzma_probs_count(p->lc, p->lp);
  uint16_t *probs = malloc((nprobs ? nprobs : 1) * sizeof *probs);
  uint8_t *window = malloc(p->window ? p->window : 1);
  size_t cap = 1 << 16, ip = 0, op = 0;
  uint8_t *buf = malloc(cap);
  int r, code = 0, stalls = 0;

  rng_state = p->seed ? p->seed : 1;
  if (!probs || !window || !buf) { code = 1; goto out; }
  r = sd_lzma_init(&d, p->lc, p->lp, p->pb, probs, nprobs, window, p->window, p->size);
  if (r != SD_LZMA_OK) { /* and decode must keep refusing */
    size_t none_in = 0, none_out = 0;
    code = sd_lzma_decode(&d, in, &none_in, buf, &none_out) == SD_LZMA_ERR_PARAM ? 2 : 6;
    goto out;
  }
  for (;;) {
    size_t in_n = in_size - ip, out_n;
    if (p->seed && in_n > 0) { size_t c = chunk_upto(p->max_in); if (c < in_n) in_n = c; }
    out_n = p->seed ? chunk_upto(p->max_out) : cap / 2;
    if (cap - op < out_n) {
      uint8_t *nb;
      while (cap - op < out_n) cap *= 2;
      nb = realloc(buf, cap);
      if (!nb) { code = 1; goto out; }
      buf = nb;
    }
    r = sd_lzma_decode(&d, in + ip, &in_n, buf + op, &out_n);
    ip += in_n;
    op += out_n;
    if (r == SD_LZMA_ERR_PARAM) { code = 2; break; }
    if (r == SD_LZMA_ERR_DATA) { code = 3; break; }
    if (r == SD_LZMA_DONE) { code = ip < in_size ? 5 : 0; break; }
    if (in_n || out_n) { stalls = 0; continue; }
    if (ip == in_size) { code = 4; break; }
    if (++stalls > 1000) { code = 6; break; }
  }
out:
  free(probs);
  free(window);
  *out = buf;
  *out_len = op;
  return code;
}

static int print_sizes(void) {
  unsigned s;
  printf("{\"sizeof_sd_lzma_dec\": %u, \"probs_bytes\": [", (unsigned)sizeof(sd_lzma_dec));
  for (s = 0; s <= 4; s++)
    printf("%s%u", s ? ", " : "", (unsigned)(2 * sd_lzma_probs_count(s, 0)));
  printf("]}\n");
  return 0;
}

int main(int argc, char **argv) {
  struct params p;
  uint8_t *in, *out = NULL;
  size_t in_size, out_len = 0;
  int code, repeat = 1, i;
  FILE *f;

  if (argc == 2 && strcmp(argv[1], "sizes") == 0) return print_sizes();
  if (argc != 11 && argc != 12) {
    fprintf(stderr, "usage: lzma_cli LC LP PB WINDOW SIZE|- SEED MAX_IN MAX_OUT IN OUT [REPEAT]\n");
    return 1;
  }
  p.lc = (unsigned)strtoul(argv[1], NULL, 0);
  p.lp = (unsigned)strtoul(argv[2], NULL, 0);
  p.pb = (unsigned)strtoul(argv[3], NULL, 0);
  p.window = (uint32_t)strtoul(argv[4], NULL, 0);
  p.size = strcmp(argv[5], "-") == 0 ? SD_LZMA_SIZE_UNKNOWN : strtoull(argv[5], NULL, 0);
  p.seed = (uint32_t)strtoul(argv[6], NULL, 0);
  p.max_in = strtoul(argv[7], NULL, 0);
  p.max_out = strtoul(argv[8], NULL, 0);
  if (argc == 12) repeat = atoi(argv[11]);
  in = read_file(argv[9], &in_size);
  if (!in) { fprintf(stderr, "cannot read %s\n", argv[9]); return 1; }

  {
    struct timespec t0, t1;
    double secs;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    code = 0;
    for (i = 0; i < repeat && code == 0; i++) {
      free(out);
      code = decode_all(&p, in, in_size, &out, &out_len);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (argc == 12 && code == 0)
      fprintf(stderr, "decoded %lu bytes x %d in %.3f s: %.1f MB/s\n", (unsigned long)out_len,
              repeat, secs, (double)out_len * repeat / secs / 1e6);
  }
  free(in);
  if (code == 0) {
    f = fopen(argv[10], "wb");
    if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f) != 0) {
      fprintf(stderr, "cannot write %s\n", argv[10]);
      code = 1;
    }
  } else {
    fprintf(stderr, "lzma_cli: exit %d after %lu output bytes\n", code, (unsigned long)out_len);
  }
  free(out);
  return code;
}
