/* Internals shared by the sd_patch sources (not part of the API). */
#ifndef SD_PATCH_INTERNAL_H
#define SD_PATCH_INTERNAL_H

#include "sd_patch.h"

/* Bounds-checked reader of header and parameter bytes. Running out sets err
 * to short_err (NEED_MORE for the header, CORRUPT inside the parameters);
 * the first error sticks and later reads return 0. */
typedef struct sd_reader {
  const uint8_t *p, *end;
  int err, short_err;
} sd_reader;

uint8_t sd_read_u8(sd_reader *r);
/* memcmp(a, b, n) == 0 without libc. */
int sd_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* LEB128, at most 5 bytes, minimal encoding (docs/FORMAT.md, "Integers"). */
uint64_t sd_read_uvarint(sd_reader *r);

/* Cortex-M relocation parameters (docs/FORMAT.md, "Cortex-M relocation
 * parameters"). Writes the RAM map to ram when it is not NULL. */
typedef struct sd_value_map {
  uint32_t count;
  uint64_t end; /* valid in [first start, end) */
} sd_value_map;
typedef struct sd_reloc_params {
  uint8_t recognizers;
  uint32_t min_segment, flash_segments;
  sd_value_map ram, consts;
} sd_reloc_params;
/* Accepts at most ram_limit / const_limit segments and writes them to ram /
 * consts when those are not NULL. */
int sd_decode_reloc(const uint8_t *p, uint32_t len, sd_reloc_params *out, uint32_t ram_limit,
                    sd_patch_segment *ram, uint32_t const_limit, sd_patch_segment *consts);

/* Relocation predictor (sd_reloc.c). */
#define SD_SCAN_DONE 0xFFFFFFFFu
/* Predicts the items whose 4 bytes are in buf, from c->scan up to end. */
void sd_reloc_scan(sd_patch_ctx *c, uint32_t end);
/* Sorts the flash map by start, stable. */
void sd_reloc_sort(sd_patch_segment *a, uint32_t n);

/* Program modes (sd_patch_ctx.mode). */
#define SD_MODE_CONTROL_FIRST 0x01u
#define SD_MODE_SPARSE 0x02u
#define SD_MODE_RELOC 0x04u
#define SD_MODE_LZMA 0x08u

/* Recognizer bits (docs/FORMAT.md, "Cortex-M relocation parameters"). */
#define SD_REC_BL 0x01u
#define SD_REC_BW 0x02u
#define SD_REC_BCOND 0x04u
#define SD_REC_FLASH 0x08u
#define SD_REC_RAM 0x10u
#define SD_REC_CONST 0x20u
#define SD_REC_ALL 0x3Fu

#endif /* SD_PATCH_INTERNAL_H */
