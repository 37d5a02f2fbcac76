/*
 * The progress record and flash hash shared by the resumable appliers
 * (sd_inplace.c, sd_resume.c; not part of the API). Layout: docs/DEVICE.md,
 * "Progress record", the same as src/inplace/progress.ts.
 */
#ifndef SD_PROGRESS_H
#define SD_PROGRESS_H

#include "sd_inplace.h"

#define SD_PROGRESS_CHECK 8u /* bytes of the scratch check */

/* Saves the record (done units; the scratch check, or NULL when the scratch
 * holds nothing) with sequence ++*seq, to cell *seq & 1. OK or IO. */
int sd_progress_save(const sd_inplace_io *io, const uint8_t id[8], uint32_t *seq, uint32_t done,
                     const uint8_t *check);
/* The newest valid record of patch id in the two cells: 1 found (*seq, *done,
 * *valid, check set), 0 none (nothing set), or IO. */
int sd_progress_load(const sd_inplace_io *io, const uint8_t id[8], uint32_t *seq, uint32_t *done,
                     uint8_t *valid, uint8_t check[SD_PROGRESS_CHECK]);
/* The payload of patch h fed to c (already initialised) from io->read_patch
 * in small pieces: IO when a read fails, else what sd_patch_feed returned. */
int sd_progress_feed(const sd_inplace_io *io, sd_patch_ctx *c, const sd_patch_header *h);
/* The write unit a resumable applier keeps in the caller's work buffer: its
 * last write_unit bytes (from a 4-byte aligned start when the buffer has the
 * room). The applier gets all before it, so spare RAM reaches its fast
 * lookups. NULL when the buffer holds less than the applier's minimum and the
 * unit. */
uint8_t *sd_progress_unit_buffer(const sd_patch_header *h, void *work, size_t work_size, uint32_t write_unit);
/* SHA-256 of the first len bytes of an area, read through io->read. OK or IO. */
int sd_progress_hash(const sd_inplace_io *io, int area, uint32_t len, uint8_t out[32]);

#endif /* SD_PROGRESS_H */
