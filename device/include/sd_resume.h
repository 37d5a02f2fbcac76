/*
 * sd_resume: resumable application of a two-slot patch (docs/DEVICE.md,
 * "Resuming a two-slot update"), and sd_patch_resume, the one entry point for
 * both kinds of patch. The old image stays in its slot; the new image is
 * written erase unit by erase unit into the other slot, and after each unit
 * the progress record of sd_inplace (the same 32 bytes, the same two cells)
 * says how many units are done. After a reset the same call continues from
 * the record: the decoder runs again from the payload's start, its output
 * below the first unit not done is discarded, and at the end the slot's
 * first new_size bytes must hash to the new SHA-256.
 *
 * The flash callbacks are sd_inplace_io's: for a two-slot patch, area
 * SD_INPLACE_SLOT is the slot the new image goes to, SD_RESUME_OLD the old
 * image's slot (only ever read), SD_INPLACE_SCRATCH is not used. The default
 * build links none of this; sd_resume.c and sd_progress.c need no build flag
 * (sd_patch_resume applies in-place patches too when built with
 * -DSD_PATCH_WITH_INPLACE, with sd_inplace.c).
 *
 * RAM: an sd_patch_ctx and a work buffer of sd_patch_work_required(h, 0) +
 * write_unit bytes, as sd_patch_apply_in_place.
 */
#ifndef SD_RESUME_H
#define SD_RESUME_H

#include "sd_inplace.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SD_RESUME_OLD 2 /* two-slot: the old image's slot, read only */

/* The flash the new image is written to. */
typedef struct sd_resume_geometry {
  uint32_t slot_size;  /* bytes of the slot (SD_INPLACE_SLOT) */
  uint32_t erase_unit; /* bytes erased at once, a multiple of write_unit */
  uint32_t write_unit; /* bytes written at once */
} sd_resume_geometry;

/* Applies or resumes (from the newest valid record of this patch in the
 * cells) the two-slot patch h into the slot. The old image is checked
 * (sd_patch_check_base) at every start. Returns SD_PATCH_OK only when the
 * slot's first new_size bytes hash to the new SHA-256. Errors: the sd_patch
 * codes (WRONG_BASE, IO when a callback fails, CORRUPT also for a record that
 * cannot be this patch's, UNSUPPORTED for an in-place patch or an image
 * larger than the slot's whole erase units, PARAM for a geometry whose erase
 * unit is not a non-zero multiple of a non-zero write unit). work: at least
 * sd_patch_work_required(h, 0) + g->write_unit bytes. */
int sd_patch_apply_two_slot(sd_patch_ctx *c, const sd_patch_header *h, const sd_resume_geometry *g, void *work,
                            size_t work_size, const sd_inplace_io *io);

/* Applies or resumes a patch of either kind: an in-place patch (built with
 * -DSD_PATCH_WITH_INPLACE) through sd_patch_apply_in_place once g matches the
 * geometry it was made for (erase and write unit equal, slot at least its
 * slot size; else UNSUPPORTED), a two-slot patch through
 * sd_patch_apply_two_slot. */
int sd_patch_resume(sd_patch_ctx *c, const sd_patch_header *h, const sd_resume_geometry *g, void *work,
                    size_t work_size, const sd_inplace_io *io);

#ifdef __cplusplus
}
#endif

#endif /* SD_RESUME_H */
