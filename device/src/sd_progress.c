/*
 * The progress record (docs/DEVICE.md, "Progress record"): 32 bytes written
 * alternately to two cells, so a write torn by a reset spoils one cell and
 * the other keeps the record before it. Shared by the in-place and the
 * two-slot resumable appliers; the same bytes as src/inplace/progress.ts.
 */
#include <string.h>

#include "sd_progress.h"
#include "sd_patch_internal.h"

#define PIECE 64u
#define CHECKED 28u /* the record's bytes covered by its own check */

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p) {
  return p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void record_check(const uint8_t *rec, uint8_t digest[32]) {
  sd_sha256_ctx sha;
  sd_sha256_init(&sha);
  sd_sha256_update(&sha, rec, CHECKED);
  sd_sha256_final(&sha, digest);
}

int sd_progress_save(const sd_inplace_io *io, const uint8_t id[8], uint32_t *seq, uint32_t done,
                     const uint8_t *check) {
  uint8_t rec[SD_INPLACE_RECORD_SIZE], digest[32];
  memset(rec, 0, sizeof rec);
  rec[0] = 0x53u; /* "SR" */
  rec[1] = 0x52u;
  memcpy(rec + 2, id, 8);
  put32(rec + 10, ++*seq);
  put32(rec + 14, done);
  if (check != NULL) {
    rec[18] = 1;
    memcpy(rec + 19, check, SD_PROGRESS_CHECK);
  }
  record_check(rec, digest);
  memcpy(rec + CHECKED, digest, 4);
  return io->save_cell(io->user, *seq & 1u, rec) ? SD_PATCH_ERR_IO : SD_PATCH_OK;
}

int sd_progress_load(const sd_inplace_io *io, const uint8_t id[8], uint32_t *seq, uint32_t *done,
                     uint8_t *valid, uint8_t check[SD_PROGRESS_CHECK]) {
  uint8_t rec[SD_INPLACE_RECORD_SIZE], digest[32];
  unsigned cell;
  int found = 0;
  for (cell = 0; cell < 2u; cell++) {
    uint32_t s;
    if (io->load_cell(io->user, cell, rec) != 0) return SD_PATCH_ERR_IO;
    record_check(rec, digest);
    if (rec[0] != 0x53u || rec[1] != 0x52u || !sd_equal(rec + 2, id, 8) || rec[18] > 1u || rec[27] != 0 ||
        !sd_equal(rec + CHECKED, digest, 4))
      continue;
    s = get32(rec + 10);
    /* newer: ahead by less than 2^31 (wrap-around) */
    if (found && (s - *seq == 0 || s - *seq >= 0x80000000u)) continue;
    found = 1;
    *seq = s;
    *done = get32(rec + 14);
    *valid = rec[18];
    memcpy(check, rec + 19, SD_PROGRESS_CHECK);
  }
  return found;
}

uint8_t *sd_progress_unit_buffer(const sd_patch_header *h, void *work, size_t work_size, uint32_t write_unit) {
  size_t need = sd_patch_work_required(h, 0), pad = (size_t)(0u - (uintptr_t)work) & 3u;
  uint8_t *unit, *aligned;
  if (work == NULL || work_size < pad || work_size - pad < need + write_unit) return NULL;
  unit = (uint8_t *)work + work_size - write_unit;
  aligned = (uint8_t *)((uintptr_t)unit & ~(uintptr_t)3u);
  return aligned >= (uint8_t *)work + pad + need ? aligned : unit;
}

int sd_progress_feed(const sd_inplace_io *io, sd_patch_ctx *c, const sd_patch_header *h) {
  uint8_t piece[PIECE];
  uint32_t at = h->header_length + h->tables_length, left = h->payload_length;
  int rc = SD_PATCH_OK;
  while (rc == SD_PATCH_OK && left > 0) {
    uint32_t n = left < PIECE ? left : PIECE;
    if (io->read_patch(io->user, at, piece, n) != 0) return SD_PATCH_ERR_IO;
    rc = sd_patch_feed(c, piece, n);
    at += n;
    left -= n;
  }
  return rc;
}

int sd_progress_hash(const sd_inplace_io *io, int area, uint32_t len, uint8_t out[32]) {
  sd_sha256_ctx sha;
  uint8_t piece[PIECE];
  uint32_t at = 0;
  sd_sha256_init(&sha);
  while (at < len) {
    uint32_t n = len - at < PIECE ? len - at : PIECE;
    if (io->read(io->user, area, at, piece, n) != 0) return SD_PATCH_ERR_IO;
    sd_sha256_update(&sha, piece, n);
    at += n;
  }
  sd_sha256_final(&sha, out);
  return SD_PATCH_OK;
}
