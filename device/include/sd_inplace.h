/*
 * sd_inplace: applies an in-place patch over the old image in its own slot,
 * with one erase unit of scratch flash, resumable after a reset at any
 * moment (docs/DEVICE.md, "Single slot"; docs/FORMAT.md, "In-place
 * patches"). Built with -DSD_PATCH_WITH_INPLACE (sd_patch.c and the header
 * parser then read in-place patches too); the default build has none of it.
 *
 * The patch is read where it is stored (read_patch); the payload is decoded
 * once per pass (docs/DEVICE.md). RAM: an sd_patch_ctx (SD_PATCH_FIXED_STATE),
 * the work buffer sd_patch_work_required(h, 0) + h->write_unit, and at most
 * 608 bytes of stack above sd_patch_feed's (Cortex-M4 -Os, -fstack-usage:
 * apply 176 + pass 120 + write_new 40 + finish_unit 40 + commit 48 +
 * save_record 184; read_old inside a stash window: 32 + 64 + unit_at 56).
 * Patches with stash windows (docs/FORMAT.md) read them where the patch is
 * stored: no RAM for them.
 */
#ifndef SD_INPLACE_H
#define SD_INPLACE_H

#include "sd_patch.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SD_INPLACE_RECORD_SIZE 32u
#define SD_INPLACE_SLOT 0
#define SD_INPLACE_SCRATCH 1

/* The integrator's flash and record callbacks; each returns 0 on success.
 * read: bytes of the slot or of the scratch unit (area SD_INPLACE_SLOT or
 * SD_INPLACE_SCRATCH) as they are now; erase: one erase unit of the area to
 * 0xFF (the scratch has unit 0 only); write: whole write units of erased
 * flash at a write-unit-aligned offset. Record cells 0 and 1 hold 32 bytes
 * each: load_cell returns what the cell holds (anything after a torn write),
 * save_cell writes a record (erasing first if the medium needs it). */
typedef struct sd_inplace_io {
  int (*read)(void *user, int area, uint32_t offset, uint8_t *buf, size_t len);
  int (*erase)(void *user, int area, uint32_t unit);
  int (*write)(void *user, int area, uint32_t offset, const uint8_t *buf, size_t len);
  int (*load_cell)(void *user, unsigned cell, uint8_t record[SD_INPLACE_RECORD_SIZE]);
  int (*save_cell)(void *user, unsigned cell, const uint8_t record[SD_INPLACE_RECORD_SIZE]);
  sd_patch_read_fn read_patch;
  void *user;
} sd_inplace_io;

/* Applies or resumes (from the newest valid record of this patch in the
 * cells) the in-place patch h, whose geometry must be the flash's. Returns
 * SD_PATCH_OK only when the slot's first new_size bytes hash to the new
 * SHA-256. Errors: the sd_patch codes (WRONG_BASE on a fresh start with
 * another image, IO when a callback fails, CORRUPT also for a scratch unit
 * that does not match its record, UNSUPPORTED for a two-slot patch).
 * c: an applier context for the passes; work: at least
 * sd_patch_work_required(h, 0) + h->write_unit bytes. */
int sd_patch_apply_in_place(sd_patch_ctx *c, const sd_patch_header *h, void *work, size_t work_size,
                            const sd_inplace_io *io);

#ifdef __cplusplus
}
#endif

#endif /* SD_INPLACE_H */
