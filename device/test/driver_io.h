/*
 * What the host test drivers share (the drivers in test/; not part of the library): the
 * pseudo-random chunk sizes that feed a decoder in odd pieces, and reading a
 * whole file. Functions are static inline so a driver that uses only some of
 * them builds without warnings.
 */
#ifndef SD_DRIVER_IO_H
#define SD_DRIVER_IO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* xorshift32: never seed with 0 (the sequence would stay 0). */
static uint32_t rng_state = 1;

static inline uint32_t rng_next(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* 1 to max bytes, favouring tiny chunks and sometimes the largest. */
static inline size_t chunk_upto(size_t max) {
  if (max <= 1) return 1;
  switch (rng_next() % 4u) {
  case 0: return 1;
  case 1: return max;
  default: return 1 + rng_next() % max;
  }
}

/* Log-uniform chunk sizes from 1 to 4096 bytes. */
static inline size_t chunk_log_uniform(void) {
  uint32_t bits = rng_next() % 13u;
  return 1u + rng_next() % (1u << bits);
}

/* The whole file in a malloc'd buffer (*len its size), or NULL. */
static inline uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0, got;
  if (!f) return NULL;
  do {
    if (n == cap) {
      uint8_t *nb;
      cap = cap ? cap * 2 : 65536;
      nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  fclose(f);
  *len = n;
  return buf;
}

#endif /* SD_DRIVER_IO_H */
