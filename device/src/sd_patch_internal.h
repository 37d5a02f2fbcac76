/* Internals shared by the sd_patch sources (not part of the API). */
#ifndef SD_PATCH_INTERNAL_H
#define SD_PATCH_INTERNAL_H

#include "sd_patch.h"

/* Bounds-checked reader of header bytes. Running out sets err to
 * SD_PATCH_NEED_MORE and reads 0; the first error sticks (reads go on, but
 * the parse reports err). */
typedef struct sd_reader {
  const uint8_t *p, *end;
  int err;
} sd_reader;

uint8_t sd_read_u8(sd_reader *r);
/* memcmp(a, b, n) == 0 without libc. */
int sd_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* Records rc (< 0) as the context's sticky error unless one is there; returns rc. */
int sd_fail(sd_patch_ctx *c, int rc);

/* Tables section (sd_patch_tables.c). Errors go to c->status (sd_fail);
 * reads after an error return 0, so callers check c->status once. */
/* Checks the whole tables section once (docs/FORMAT.md "Applying", step 4):
 * recognizers, control table (leaving c->seq before entry 0), value maps. */
void sd_tables_check(sd_patch_ctx *c);
/* Applies an entry (zigzag seek z, k->copy, k->extra) to cursor k, checking
 * it against the images; sets k->start and k->new_start. */
void sd_entry_step(sd_patch_ctx *c, sd_patch_cursor *k, uint32_t z);
/* Decodes the control entry at cursor k and steps; returns its segment flag. */
uint32_t sd_tables_entry(sd_patch_ctx *c, sd_patch_cursor *k);
/* flashShift(o) (docs/FORMAT.md, "Checkpoints"; table-first: the entries in RAM). */
uint32_t sd_flash_shift(sd_patch_ctx *c, uint32_t o);
/* A RAM or constant map: 1 and *word = v + shift(v) when the map covers v. */
int sd_map_value(sd_patch_ctx *c, const sd_patch_vmap *m, uint32_t v, uint32_t *word);

/* Program parser (sd_patch_program.c). */
/* Starts the program: the first block, or the end of an empty one. */
int sd_program_start(sd_patch_ctx *c);
/* Program bytes in any chunking. */
int sd_program_push(sd_patch_ctx *c, const uint8_t *d, size_t len);
#define SD_ST_DONE 9u  /* sd_patch_ctx.state: the program is complete */
#define SD_ST_WAIT 10u /* the tables are not checked yet */

/* Relocation predictor (sd_reloc.c). */
#define SD_SCAN_DONE 0xFFFFFFFFu
/* Predicts the items whose 4 bytes are in buf, from c->scan up to end. */
void sd_reloc_scan(sd_patch_ctx *c, uint32_t end);

/* Forces inlining of a small static function where that was measured to
 * save flash at -Os: GCC keeps functions called once out of line in this
 * build (-fno-inline-functions-called-once, for readable stack figures) and
 * misjudges a few called twice. */
#ifdef __GNUC__
#define SD_INLINE inline __attribute__((always_inline))
#else
#define SD_INLINE inline
#endif
/* Keeps a small function called from two places out of line where inlining it was measured to
 * cost flash. */
#ifdef __GNUC__
#define SD_NOINLINE __attribute__((noinline))
#else
#define SD_NOINLINE
#endif

/* Modes (sd_patch_ctx.mode). */
#define SD_MODE_SECTIONED 0x01u
#define SD_MODE_SPARSE 0x02u
#define SD_MODE_RELOC 0x04u
#define SD_MODE_CODEC 0x08u      /* codec 1 or 2: the payload goes through a decoder */
#define SD_MODE_CODEC_DONE 0x10u /* its stream ended */
#define SD_MODE_FAR_BASES 0x20u  /* old - new load address does not fit 32 signed bits */
#define SD_MODE_LZS 0x40u        /* codec 2 (else codec 1) */
#define SD_MODE_TABLE_FIRST 0x80u /* relocation, sectioned flag clear */

/* The codecs this build links (docs/DEVICE.md, "Codecs"): -DSD_PATCH_WITH_LZMA
 * and/or -DSD_PATCH_WITH_LZS; neither means LZMA only. */
#if !defined(SD_PATCH_WITH_LZMA) && !defined(SD_PATCH_WITH_LZS)
#define SD_PATCH_WITH_LZMA 1
#endif

/* Recognizer bits (docs/FORMAT.md, "Header"). */
#define SD_REC_BL 0x01u
#define SD_REC_BW 0x02u
#define SD_REC_BCOND 0x04u
#define SD_REC_FLASH 0x08u
#define SD_REC_RAM 0x10u
#define SD_REC_CONST 0x20u
#define SD_REC_ALL 0x3Fu
/* Not in a patch: set in c->recognizers when the lookups answer from c->lk.pairs. */
#define SD_REC_PAIRS 0x80u /* (the top bit: sd_patch_fast_lookups shifts it down) */

#endif /* SD_PATCH_INTERNAL_H */
