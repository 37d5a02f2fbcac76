/*
 * Host test driver for sd_lzs: decodes a codec 2 stream, feeding input and
 * output space in pseudo-random chunk sizes.
 *
 *   lzs_cli PARAMS SIZE WORK SEED MAX_IN MAX_OUT IN OUT [REPEAT]
 *     PARAMS   the parameter byte (window log2 - 8, literal context << 3)
 *     SIZE     unpacked size
 *     WORK     work area bytes, or - for exactly sd_lzs_work_size(PARAMS, SIZE)
 *              (allocated to the byte, so the sanitizers see any overrun)
 *     SEED     chunk size generator seed; 0 = whole input, large output chunks
 *     MAX_IN   largest input chunk (1 = byte by byte)
 *     MAX_OUT  largest output chunk
 *     REPEAT   decode REPEAT times and print throughput to stderr
 *   lzs_cli sizes   prints sizeof(sd_lzs_dec) and the work sizes
 *   lzs_cli batch PARAMS SIZE SEED MAX_IN MAX_OUT IN...
 *            decodes each IN (exact work area), prints one exit code per line,
 *            and writes IN.out when it succeeded (one process for many streams)
 *
 * Exit codes: 0 ok, 1 usage/io, 2 SD_LZS_ERR_PARAM, 3 SD_LZS_ERR_DATA,
 * 4 truncated (input ended before the end of the stream), 5 data after the
 * end, 6 decoder stalled (a bug).
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sd_lzs.h"
#include "driver_io.h"

struct params {
  uint8_t params;
  uint32_t size;
  size_t work; /* (size_t)-1: exactly sd_lzs_work_size */
  uint32_t seed;
  size_t max_in, max_out;
};

/* Returns the exit code; *out and *out_len receive the decoded bytes. */
static int decode_all(const struct params *p, const uint8_t *in, size_t in_size, uint8_t **out,
                      size_t *out_len) {
  sd_lzs_dec d;
  size_t work_size = p->work == (size_t)-1 ? sd_lzs_work_size(p->params, p->size) : p->work;
  uint16_t *work = malloc(work_size ? work_size : 1);
  size_t cap = 1 << 16, ip = 0, op = 0;
  uint8_t *buf = malloc(cap);
  int r, code = 0, stalls = 0;

  rng_state = p->seed ? p->seed : 1;
  if (!work || !buf) { code = 1; goto out; }
  r = sd_lzs_init(&d, p->params, p->size, work, work_size);
  if (r != SD_LZS_OK) { /* and decode must keep refusing */
    size_t none_in = 0, none_out = 0;
    code = sd_lzs_decode(&d, in, &none_in, buf, &none_out) == SD_LZS_ERR_PARAM ? 2 : 6;
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
    r = sd_lzs_decode(&d, in + ip, &in_n, buf + op, &out_n);
    ip += in_n;
    op += out_n;
    if (r == SD_LZS_ERR_PARAM) { code = 2; break; }
    if (r == SD_LZS_ERR_DATA) { code = 3; break; }
    if (r == SD_LZS_DONE) { code = ip < in_size ? 5 : 0; break; }
    if (in_n || out_n) { stalls = 0; continue; }
    if (ip == in_size) { code = 4; break; }
    if (++stalls > 1000) { code = 6; break; }
  }
  if (code == 0 && op != p->size) code = 6; /* DONE must mean the declared size */
out:
  free(work);
  *out = buf;
  *out_len = op;
  return code;
}

static int print_sizes(void) {
  unsigned w;
  printf("{\"sizeof_sd_lzs_dec\": %u, \"work_bytes\": {", (unsigned)sizeof(sd_lzs_dec));
  for (w = 0; w <= 4; w++)
    printf("%s\"w%u\": [%u, %u]", w ? ", " : "", w + 8u, (unsigned)sd_lzs_work_size((uint8_t)w, UINT32_MAX),
           (unsigned)sd_lzs_work_size((uint8_t)(w | 8u), UINT32_MAX));
  printf("}}\n");
  return 0;
}

static int write_file(const char *path, const uint8_t *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  return 0;
}

static int run_batch(int argc, char **argv) {
  struct params p;
  int i;
  if (argc < 8) {
    fprintf(stderr, "usage: lzs_cli batch PARAMS SIZE SEED MAX_IN MAX_OUT IN...\n");
    return 1;
  }
  p.params = (uint8_t)strtoul(argv[2], NULL, 0);
  p.size = (uint32_t)strtoul(argv[3], NULL, 0);
  p.work = (size_t)-1;
  p.seed = (uint32_t)strtoul(argv[4], NULL, 0);
  p.max_in = strtoul(argv[5], NULL, 0);
  p.max_out = strtoul(argv[6], NULL, 0);
  for (i = 7; i < argc; i++) {
    size_t in_size, out_len;
    uint8_t *in = read_file(argv[i], &in_size), *out = NULL;
    char name[4096];
    int code = 1;
    if (in) code = decode_all(&p, in, in_size, &out, &out_len);
    if (code == 0 && snprintf(name, sizeof name, "%s.out", argv[i]) < (int)sizeof name)
      code = write_file(name, out, out_len);
    printf("%d\n", code);
    free(in);
    free(out);
  }
  return 0;
}

int main(int argc, char **argv) {
  struct params p;
  uint8_t *in, *out = NULL;
  size_t in_size, out_len = 0;
  int code, repeat = 1, i;

  if (argc == 2 && strcmp(argv[1], "sizes") == 0) return print_sizes();
  if (argc > 1 && strcmp(argv[1], "batch") == 0) return run_batch(argc, argv);
  if (argc != 9 && argc != 10) {
    fprintf(stderr, "usage: lzs_cli PARAMS SIZE WORK|- SEED MAX_IN MAX_OUT IN OUT [REPEAT]\n");
    return 1;
  }
  p.params = (uint8_t)strtoul(argv[1], NULL, 0);
  p.size = (uint32_t)strtoul(argv[2], NULL, 0);
  p.work = strcmp(argv[3], "-") == 0 ? (size_t)-1 : strtoul(argv[3], NULL, 0);
  p.seed = (uint32_t)strtoul(argv[4], NULL, 0);
  p.max_in = strtoul(argv[5], NULL, 0);
  p.max_out = strtoul(argv[6], NULL, 0);
  if (argc == 10) repeat = atoi(argv[9]);
  in = read_file(argv[7], &in_size);
  if (!in) { fprintf(stderr, "cannot read %s\n", argv[7]); return 1; }

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
    if (argc == 10 && code == 0)
      fprintf(stderr, "decoded %lu bytes x %d in %.3f s: %.1f MB/s\n", (unsigned long)out_len,
              repeat, secs, (double)out_len * repeat / secs / 1e6);
  }
  free(in);
  if (code == 0) {
    code = write_file(argv[8], out, out_len);
  } else {
    fprintf(stderr, "lzs_cli: exit %d after %lu output bytes\n", code, (unsigned long)out_len);
  }
  free(out);
  return code;
}
