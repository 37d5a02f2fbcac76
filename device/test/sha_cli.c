/*
 * Host test driver for sd_sha256: prints the SHA-256 of a file, hashing it in
 * pseudo-random chunk sizes.   sha_cli SEED MAX_CHUNK FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include "sd_sha256.h"

int main(int argc, char **argv) {
  FILE *f;
  uint8_t *buf, digest[SD_SHA256_DIGEST_SIZE];
  size_t len = 0, pos = 0, max;
  long size;
  uint32_t rng;
  sd_sha256_ctx c;
  unsigned i;

  if (argc != 4) { fprintf(stderr, "usage: sha_cli SEED MAX_CHUNK FILE\n"); return 1; }
  rng = (uint32_t)strtoul(argv[1], NULL, 0);
  if (rng == 0) rng = 1;
  max = strtoul(argv[2], NULL, 0);
  if (max == 0) max = 1;
  f = fopen(argv[3], "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    return 1;
  }
  buf = malloc((size_t)size + 1);
  if (!buf) return 1;
  len = fread(buf, 1, (size_t)size, f);
  fclose(f);
  sd_sha256_init(&c);
  while (pos < len) {
    size_t n;
    rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
    n = 1 + rng % max;
    if (n > len - pos) n = len - pos;
    sd_sha256_update(&c, buf + pos, n);
    pos += n;
  }
  sd_sha256_final(&c, digest);
  for (i = 0; i < SD_SHA256_DIGEST_SIZE; i++) printf("%02x", digest[i]);
  printf("\n");
  free(buf);
  return 0;
}
