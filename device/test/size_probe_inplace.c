/*
 * Cross-build probe for the in-place build (-DSD_PATCH_WITH_INPLACE): what a
 * bootloader links to apply two-slot patches (as size_probe.c) and in-place
 * patches with resume (sd_patch_apply_in_place). make cross-inplace links it
 * with --gc-sections beside size_probe.c, so the difference is what in-place
 * and resume cost in flash.
 */
#include "sd_inplace.h"

static sd_patch_ctx ctx;
static uint32_t work[1024];
static uint8_t patch[4096];

static int probe_read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return len == 0;
}

static int probe_write_new(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return len == 0;
}

static int probe_read_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return len == 0;
}

static int probe_f_read(void *user, int area, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return area + (len == 0);
}

static int probe_f_erase(void *user, int area, uint32_t unit) {
  (void)user;
  return area + (unit == 7u);
}

static int probe_f_write(void *user, int area, uint32_t offset, const uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return area + (len == 0);
}

static int probe_f_load(void *user, unsigned cell, uint8_t rec[SD_INPLACE_RECORD_SIZE]) {
  (void)user;
  (void)rec;
  return cell == 3u;
}

static int probe_f_save(void *user, unsigned cell, const uint8_t rec[SD_INPLACE_RECORD_SIZE]) {
  (void)user;
  (void)rec;
  return cell == 3u;
}

int probe(void);
int probe(void) {
  sd_patch_header h;
  size_t header_len, at;
  int rc = sd_patch_parse_header(patch, sizeof patch, &h, &header_len);
  int streaming = patch[0] & 1;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_size(&h, sizeof patch, NULL);
  if (rc == SD_PATCH_OK && h.in_place) {
    sd_inplace_io io = {probe_f_read, probe_f_erase, probe_f_write, probe_f_load, probe_f_save, probe_read_patch, NULL};
    return sd_patch_apply_in_place(&ctx, &h, work, sizeof work, &io);
  }
  if (rc == SD_PATCH_OK && sd_patch_ram_required(&h, streaming) > sizeof work + SD_PATCH_FIXED_STATE) rc = -4;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_base(&h, SD_PATCH_SIZE_UNKNOWN, probe_read_old, NULL);
  if (rc == SD_PATCH_OK)
    rc = sd_patch_init(&ctx, &h, work, sizeof work, probe_read_old, probe_write_new, streaming ? NULL : probe_read_patch, NULL);
  at = streaming ? header_len : header_len + h.tables_length;
  if (rc == SD_PATCH_OK) rc = sd_patch_feed(&ctx, patch + at, sizeof patch - at);
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(&ctx);
  return rc;
}
