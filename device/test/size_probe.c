/*
 * Cross-build probe for the flash budget: what a bootloader links to apply
 * patches without signature checks (make cross links it with --gc-sections;
 * memcpy/memset come from the toolchain's libc and are counted apart).
 * With -DPROBE_RESUME it also applies or resumes a stored patch through
 * sd_patch_resume (a two-slot patch; with -DSD_PATCH_WITH_INPLACE an in-place
 * patch too): make cross-resume. With -DPROBE_IN_PLACE_ONLY (and
 * -DSD_PATCH_WITH_INPLACE) sd_patch_apply_in_place instead: make
 * cross-inplace, in place without two-slot resume. Every function of the
 * probe is named probe*, which the Makefile's count leaves out.
 */
#include "sd_patch.h"
#if defined(PROBE_IN_PLACE_ONLY)
#include "sd_inplace.h"
#elif defined(PROBE_RESUME)
#include "sd_resume.h"
#endif

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

#if defined(PROBE_RESUME) || defined(PROBE_IN_PLACE_ONLY)
static int probe_read(void *user, int area, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return area + (len == 0);
}

static int probe_erase(void *user, int area, uint32_t unit) {
  (void)user;
  return area + (unit == 7u);
}

static int probe_write(void *user, int area, uint32_t offset, const uint8_t *buf, size_t len) {
  (void)user;
  (void)offset;
  (void)buf;
  return area + (len == 0);
}

static int probe_load(void *user, unsigned cell, uint8_t rec[SD_INPLACE_RECORD_SIZE]) {
  (void)user;
  (void)rec;
  return cell == 3u;
}

static int probe_save(void *user, unsigned cell, const uint8_t rec[SD_INPLACE_RECORD_SIZE]) {
  (void)user;
  (void)rec;
  return cell == 3u;
}
#endif

int probe(void);
int probe(void) {
  sd_patch_header h;
  size_t header_len, at;
  int rc = sd_patch_parse_header(patch, sizeof patch, &h, &header_len);
  /* Stored mode when the patch came to flash, streaming mode otherwise. */
  int streaming = patch[0] & 1;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_size(&h, sizeof patch, NULL);
#if defined(PROBE_IN_PLACE_ONLY)
  if (rc == SD_PATCH_OK && h.in_place) {
    sd_inplace_io io = {probe_read, probe_erase, probe_write, probe_load, probe_save, probe_read_patch, NULL};
    return sd_patch_apply_in_place(&ctx, &h, work, sizeof work, &io);
  }
#elif defined(PROBE_RESUME)
  if (rc == SD_PATCH_OK && !streaming) {
    sd_inplace_io io = {probe_read, probe_erase, probe_write, probe_load, probe_save, probe_read_patch, NULL};
    sd_resume_geometry geometry = {256u * 1024u, 2048u, 8u};
    return sd_patch_resume(&ctx, &h, &geometry, work, sizeof work, &io);
  }
#endif
  if (rc == SD_PATCH_OK && sd_patch_ram_required(&h, streaming) > sizeof work + SD_PATCH_FIXED_STATE) rc = -4;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_base(&h, SD_PATCH_SIZE_UNKNOWN, probe_read_old, NULL);
  if (rc == SD_PATCH_OK)
    rc = sd_patch_init(&ctx, &h, work, sizeof work, probe_read_old, probe_write_new, streaming ? NULL : probe_read_patch, NULL);
  at = streaming ? header_len : header_len + h.tables_length;
  if (rc == SD_PATCH_OK) rc = sd_patch_feed(&ctx, patch + at, sizeof patch - at);
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(&ctx);
  return rc;
}
