/*
 * Cross-build probe for the flash budget: what a bootloader links to apply
 * patches without signature checks (make cross links it with --gc-sections;
 * memcpy/memset come from the toolchain's libc and are counted).
 */
#include "sd_patch.h"

static sd_patch_ctx ctx;
static uint32_t work[1024];
static uint8_t patch[4096];

static int read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return len == 0;
}

static int write_new(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return len == 0;
}

static int read_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return len == 0;
}

int probe(void);
int probe(void) {
  sd_patch_header h;
  size_t header_len, at;
  int rc = sd_patch_parse_header(patch, sizeof patch, &h, &header_len);
  /* Stored mode when the patch came to flash, streaming mode otherwise. */
  int streaming = patch[0] & 1;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_size(&h, sizeof patch, NULL);
  if (rc == SD_PATCH_OK && sd_patch_ram_required(&h, streaming) > sizeof work + SD_PATCH_FIXED_STATE) rc = -4;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_base(&h, SD_PATCH_SIZE_UNKNOWN, read_old, NULL);
  if (rc == SD_PATCH_OK)
    rc = sd_patch_init(&ctx, &h, work, sizeof work, read_old, write_new, streaming ? NULL : read_patch, NULL);
  at = streaming ? header_len : header_len + h.tables_length;
  if (rc == SD_PATCH_OK) rc = sd_patch_feed(&ctx, patch + at, sizeof patch - at);
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(&ctx);
  return rc;
}
