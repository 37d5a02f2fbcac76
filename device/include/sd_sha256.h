/*
 * sd_sha256: streaming SHA-256 (FIPS 180-4), small code, no libc.
 */
#ifndef SD_SHA256_H
#define SD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SD_SHA256_DIGEST_SIZE 32u

typedef struct sd_sha256_ctx {
  uint32_t h[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
} sd_sha256_ctx;

void sd_sha256_init(sd_sha256_ctx *c);
void sd_sha256_update(sd_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; the context must be re-initialised before reuse. The
 * digest is written after the last use of c->block, so it may point into it. */
void sd_sha256_final(sd_sha256_ctx *c, uint8_t digest[SD_SHA256_DIGEST_SIZE]);
/* One call: init, update, final. */
void sd_sha256(const void *data, size_t len, uint8_t digest[SD_SHA256_DIGEST_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* SD_SHA256_H */
