/*
 * sd_patch: applies smartdelta patches (docs/FORMAT.md, format version 2) on a
 * microcontroller.
 *
 * - No dynamic allocation and no libc beyond memcpy/memset. State: one
 *   sd_patch_ctx (at most SD_PATCH_FIXED_STATE bytes on a 32-bit target) plus
 *   one caller-provided work buffer for the codec (LZMA probabilities and
 *   window) and, in the streaming mode only, a copy of the tables section.
 *   Nothing grows with the image or the number of control entries.
 * - The old image is read at random through read_old (it lives in flash);
 *   the new image is written strictly in order through write_new.
 * - Sectioned patches: the control table and value maps are read at random
 *   where the patch is stored, through read_patch ("stored" mode), or, when
 *   read_patch is NULL ("streaming" mode), from the copy that sd_patch_feed
 *   keeps in the work buffer as the tables section streams by.
 * - Plain and Cortex-M relocation; interleaved, sectioned and table-first
 *   layouts; raw and sparse differences; codec none, raw LZMA1 and codec 2
 *   (sd_lzs), the decoders the build selects (-DSD_PATCH_WITH_LZMA, the
 *   default, and/or -DSD_PATCH_WITH_LZS; docs/DEVICE.md "Codecs").
 *
 * Typical use (docs/DEVICE.md, "Integrating into a bootloader"):
 *
 *   sd_patch_parse_header(first_bytes, n, &h, &header_len);
 *   sd_patch_check_size(&h, patch_len, &is_signed);          // optional
 *   sd_patch_verify_stored(&h, patch_len, read_patch, ...);  // if signed
 *   sd_patch_check_base(&h, old_len, read_old, user);        // precondition
 *   sd_patch_init(&ctx, &h, work, sizeof work, read_old, write_new, read_patch, user);
 *   stored:    feed the payload (file bytes from header_len + tables_length)
 *   streaming: feed the file bytes from header_len on (tables, then payload)
 *   sd_patch_finish(&ctx);                                    // postcondition
 */
#ifndef SD_PATCH_H
#define SD_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "sd_lzma.h"
#include "sd_lzs.h"
#include "sd_sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. Every failure is negative; errors of the applier are sticky. */
#define SD_PATCH_OK 0
#define SD_PATCH_NEED_MORE 1             /* parse_header: the header continues past the bytes given */
#define SD_PATCH_ERR_WRONG_BASE (-1)     /* the old image is not the patch's base (size or SHA-256) */
#define SD_PATCH_ERR_CORRUPT (-2)        /* bad header, bad program, LZMA error, truncated or extended */
#define SD_PATCH_ERR_UNSUPPORTED (-3)    /* format version, flags, transform, codec or parameters */
#define SD_PATCH_ERR_NO_MEMORY (-4)      /* work buffer smaller than sd_patch_work_required() */
#define SD_PATCH_ERR_RESULT_HASH (-5)    /* the new image's SHA-256 differs from the header's */
#define SD_PATCH_ERR_SIGNATURE (-6)      /* no signature, or the verify hook rejected it */
#define SD_PATCH_ERR_IO (-7)             /* read_old, write_new or read_patch returned non-zero */
#define SD_PATCH_ERR_PARAM (-8)          /* API misuse: NULL pointer, call out of order, too many bytes */

/* docs/FORMAT.md "Device RAM": the context and its small buffers. Also
 * DEVICE_FIXED_STATE in src/pipeline/ram.ts. */
#define SD_PATCH_FIXED_STATE 512u
/* Format limits (docs/FORMAT.md, "Header" and "Tables"). */
#define SD_PATCH_MAX_ENTRIES (1u << 20)
#define SD_PATCH_MAX_IMAGE (64u * 1024u * 1024u)
#define SD_PATCH_MAX_TABLES (1u << 24)
#define SD_PATCH_MAX_RAM_SEGMENTS 256u
#define SD_PATCH_MAX_CONST_SEGMENTS 1024u
#define SD_PATCH_MAX_VERSION 64u
/* The longest header: 4 + 4 x 5 (sizes, addresses) + 8 + 32 + 6 (codec 2:
 * parameter byte, program length) + 2 x 5 (lengths) + 2 x 65 (versions) + 5
 * (counter). */
#ifndef SD_PATCH_WITH_INPLACE
#define SD_PATCH_HEADER_MAX 215u
#else
/* In-place patches add the extension byte, the geometry (3 x 5), the
 * write order (5 + 32 runs x 10) and the stash length (5; the stash windows
 * themselves end the header but are not parsed here): docs/FORMAT.md,
 * "In-place patches", "Stash windows". */
#define SD_PATCH_HEADER_MAX (215u + 1u + 15u + 5u + SD_PATCH_MAX_RUNS * 10u + 5u)
#define SD_PATCH_MAX_RUNS 32u
#define SD_PATCH_MAX_STASH (1u << 18) /* bytes of stash windows */
#endif
/* A table-first program's entries (docs/FORMAT.md, "Layouts"): at most 32,
 * kept in the work buffer as 3 words each (old start, copy field, extra). */
#define SD_PATCH_TABLE_FIRST_MAX 32u
#define SD_PATCH_TABLE_FIRST_RAM (SD_PATCH_TABLE_FIRST_MAX * 12u)

/* Header flags (docs/FORMAT.md, "Header"). */
#define SD_PATCH_FLAG_VERSIONS 0x01u
#define SD_PATCH_FLAG_COUNTER 0x02u
#define SD_PATCH_FLAG_NEW_ADDRESS 0x04u
#define SD_PATCH_FLAG_SECTIONED 0x08u
#define SD_PATCH_FLAG_SPARSE 0x10u
#define SD_PATCH_FLAG_CORTEX_M 0x20u
#define SD_PATCH_TRANSFORM_PLAIN 0u
#define SD_PATCH_TRANSFORM_CORTEX_M 1u
#define SD_PATCH_CODEC_NONE 0u
#define SD_PATCH_CODEC_LZMA1 1u
#define SD_PATCH_CODEC_LZS 2u /* small LZ (docs/LZS.md) */

/* Signature trailer (docs/FORMAT.md, "Signature trailer"). */
#define SD_PATCH_TRAILER_SIZE 73u
#define SD_PATCH_SIGNATURE_ED25519 1u
#define SD_PATCH_KEY_ID_SIZE 8u
#define SD_PATCH_SIGNATURE_SIZE 64u
#define SD_PATCH_MESSAGE_SIZE 59u
#define SD_PATCH_OLD_CHECK_SIZE 8u

/* Callbacks return 0 on success; anything else stops with SD_PATCH_ERR_IO.
 * Offsets are image (or patch file) offsets, not addresses. */
typedef int (*sd_patch_read_fn)(void *user, uint32_t offset, uint8_t *buf, size_t len);
typedef int (*sd_patch_write_fn)(void *user, uint32_t offset, const uint8_t *buf, size_t len);
/* Signature hook: return 0 when sig is a valid Ed25519 signature of the
 * 59-byte msg by the key whose id is key_id (and that key is trusted). */
typedef int (*sd_patch_verify_fn)(const uint8_t msg[SD_PATCH_MESSAGE_SIZE],
                                  const uint8_t sig[SD_PATCH_SIGNATURE_SIZE],
                                  const uint8_t key_id[SD_PATCH_KEY_ID_SIZE], void *user);

typedef struct sd_patch_header {
  /* (The byte fields first: Thumb-2 has 16-bit byte loads only for offsets below 32.) */
  uint8_t flags;            /* the header's flags byte (SD_PATCH_FLAG_*) */
  uint8_t transform, codec; /* from flags */
  uint8_t lc, lp, pb, window_log2; /* codec 1 only */
  uint8_t lzs_params;       /* codec 2 only: its parameter byte */
  /* Optional fields (flags): versions as offsets into the header bytes. */
  uint8_t version_from_offset, version_to_offset;
  uint8_t version_from_length, version_to_length;
  uint8_t old_check[SD_PATCH_OLD_CHECK_SIZE]; /* first bytes of SHA-256(old image) */
  uint8_t new_sha256[32];
  uint32_t old_size, new_size;
  uint32_t old_address, new_address; /* load addresses */
  uint32_t payload_length;  /* bytes of payload, after the tables */
  uint32_t tables_length;   /* bytes of the tables section (sectioned or relocated), else 0 */
  uint32_t program_length;  /* codec 2 only: the decoded payload's length */
  uint32_t header_length;   /* bytes of the header: the tables start there */
  uint64_t security_counter;
#ifdef SD_PATCH_WITH_INPLACE
  /* In-place patches (docs/FORMAT.md, "In-place patches"); in_place 0 otherwise. */
  uint32_t slot_size, erase_unit, write_unit;
  uint32_t units;        /* erase units of the new image */
  uint16_t runs_offset;  /* the write order's first run, in the header bytes */
  uint8_t run_count, in_place;
  /* The stash windows: stash_length bytes at stash_offset, the header's
   * last bytes (0 without them); checked by sd_patch_apply_in_place. */
  uint32_t stash_offset, stash_length;
#endif
} sd_patch_header;

/* A position in the control table (docs/FORMAT.md, "Control table"): the
 * state before the next entry, and the last entry decoded. */
typedef struct sd_patch_cursor {
  uint32_t bit; /* bit offset in the tables section */
  uint32_t old_pos, new_pos;
  uint32_t start, new_start, copy, extra; /* the last entry */
} sd_patch_cursor;

/* A RAM or constant map (docs/FORMAT.md, "RAM map and constant map"): its
 * record bits in the tables section, searched there through the checkpoints
 * that precede them. */
typedef struct sd_patch_vmap {
  uint32_t bits, end;  /* the record bits: bit offsets [bits, end) in the tables */
  uint32_t base, last; /* values base..last are mapped */
  uint16_t count;      /* records; 0: the map matches no value */
  uint8_t order[2];    /* exp-Golomb orders: start, shift */
  uint8_t group_log2, cp_width;
} sd_patch_vmap;

#ifndef SD_PATCH_WITH_INPLACE
#define SD_PATCH_BUF 40u    /* old image bytes, predicted and turned into new bytes in place */
#else
#define SD_PATCH_BUF 36u    /* 4 bytes fewer pay for the erase unit: the context stays in its 512 bytes */
#endif
#define SD_PATCH_LZ_OUT 16u /* decompressed program bytes per decoder call */
#define SD_PATCH_TCACHE 8u  /* tables bytes read at once through read_patch */

/* The applier's state. Treat as opaque. (Field order matters for code size:
 * Thumb-2 has 16-bit loads and stores only for small offsets.) */
typedef struct sd_patch_ctx {
  uint8_t state, status, mode, recognizers;
  uint8_t varint_bytes, buf_len, run, group_log2;
  uint8_t cp_width, order[3]; /* exp-Golomb orders: seek, copy, extra */
  /* A varint being accumulated; in a sparse literal run, the bytes left. */
  uint32_t varint;
  /* The entry being applied; while an interleaved entry is read, start holds
   * its zigzag seek; extra counts down as the literals are written. */
  sd_patch_cursor seq;
  uint32_t copied;
  uint32_t written; /* new bytes handed to write_new */
  /* predicted old bytes: buf holds old[buf_pos, buf_pos + buf_len) */
  uint32_t buf_pos, scan, pending;
  uint32_t old_size, new_size, old_address, new_address;
  uint32_t payload_left, tables_length; /* (the header's order: sd_patch_init copies them) */
  uint32_t tables_left;
  union {
    /* sectioned: the control table in the tables section */
    struct { uint32_t min_segment, cp_count, bits_start, bits_end; } sec;
    /* table-first: the entries in the work buffer (old start, 2 x copy +
     * segment flag, extra); count, the next to apply, the segment key */
    struct { uint32_t *entries; uint32_t count, next, key; } tf;
  } tab;
  /* Lookups (flashShift, the value maps). Without spare work RAM, the last
   * flashShift (fs_shift) is valid for o in [one.lo, one.hi). With it (the
   * work buffer passed to init larger than required: docs/DEVICE.md, "Fast
   * lookups"), the check stores every map record and segment there as
   * (start, shift) pairs, searched by bisection: pairs.n of them, at pairs.at;
   * fs_shift holds their room while the tables are checked. */
  union {
    struct { uint32_t lo, hi; } one;
    struct { uint32_t *at; uint32_t n; } pairs;
  } lk;
  uint32_t fs_shift; /* (beside lk, below offset 128: 16-bit loads) */
  /* cache = tables[cache_offset, + SD_PATCH_TCACHE) clipped to the tables;
   * tables_length when it holds nothing */
  uint32_t cache_offset;
  union {
    uint8_t *copy;   /* streaming mode: the tables' copy in the work buffer */
    uint32_t offset; /* stored mode: where they are in the patch file */
  } tables;
  void *user;
  sd_patch_read_fn read_old, read_patch;
  sd_patch_write_fn write_new;
#ifdef SD_PATCH_WITH_INPLACE
  /* In-place patches: the erase unit; a copy block is predicted in parts cut
   * at the new image's unit boundaries (docs/FORMAT.md, "In-place patches"). */
  uint32_t unit;
#endif
  sd_patch_vmap ram, consts; /* (after the often used words: reached through pointers) */
  uint8_t new_sha256[32];
  uint8_t cache[SD_PATCH_TCACHE];
  uint8_t buf[SD_PATCH_BUF];
  uint8_t lz_out[SD_PATCH_LZ_OUT];
  union { /* the codec's decoder (a build links one or both: docs/DEVICE.md) */
    sd_lzma_dec lzma;
    sd_lzs_dec lzs;
  } dec;
  sd_sha256_ctx sha; /* of the new image, as written */
} sd_patch_ctx;

/* Parses and validates the header at the start of a patch (buf holds the
 * first len bytes of the file). On SD_PATCH_OK, *header_len is the header's
 * size (the tables, then the payload, start there). SD_PATCH_NEED_MORE: call
 * again with more bytes (at most SD_PATCH_HEADER_MAX are ever needed); with
 * the whole file in buf it means the file is truncated. Errors: CORRUPT,
 * UNSUPPORTED. h keeps no pointer into buf. */
int sd_patch_parse_header(const uint8_t *buf, size_t len, sd_patch_header *h, size_t *header_len);

/* docs/FORMAT.md "Device RAM": SD_PATCH_FIXED_STATE + codec state (LZMA
 * probabilities + 2^window) + in the streaming mode (streaming != 0) the
 * tables length. The same figure as `smartdelta info`. */
size_t sd_patch_ram_required(const sd_patch_header *h, int streaming);
/* The work buffer sd_patch_init needs: the above minus the fixed state. */
size_t sd_patch_work_required(const sd_patch_header *h, int streaming);

/* Checks a stored patch's total length: header + tables + payload, plus
 * nothing or a 73-byte signature trailer (*is_signed, may be NULL). */
int sd_patch_check_size(const sd_patch_header *h, uint32_t patch_len, int *is_signed);

/* The precondition: the old image has the patch's old size and its SHA-256
 * starts with the old check. old_len is the installed image's size when
 * known (SD_PATCH_SIZE_UNKNOWN: only the first old_size bytes are hashed).
 * OK, WRONG_BASE or IO. */
#define SD_PATCH_SIZE_UNKNOWN 0xFFFFFFFFu
int sd_patch_check_base(const sd_patch_header *h, uint32_t old_len, sd_patch_read_fn read_old,
                        void *user);

/* Prepares the applier. work: at least sd_patch_work_required(h, read_patch
 * == NULL) bytes, used from its first 4-byte aligned address; h may be
 * discarded afterwards. read_patch reads the stored patch file (the tables
 * are at h->header_length); NULL selects the streaming mode, where
 * sd_patch_feed gets the tables before the payload. In the stored mode a
 * sectioned patch's tables are checked here, completely, before anything is
 * written (docs/FORMAT.md "Applying", step 4); in the streaming mode, when
 * their last byte is fed. Callbacks get user. */
int sd_patch_init(sd_patch_ctx *c, const sd_patch_header *h, void *work, size_t work_size,
                  sd_patch_read_fn read_old, sd_patch_write_fn write_new,
                  sd_patch_read_fn read_patch, void *user);

/* Feeds the next len bytes in any chunking: stored mode, the payload;
 * streaming mode, the tables section then the payload (the file from the end
 * of the header on). Never the signature trailer. The new image is written
 * as the program allows. OK, or a sticky error. */
int sd_patch_feed(sd_patch_ctx *c, const uint8_t *data, size_t len);

/* After the last payload byte: checks that the payload, the program and the
 * codec stream are complete, and the new image's SHA-256. Only SD_PATCH_OK
 * means the written image may be used. */
int sd_patch_finish(sd_patch_ctx *c);

/* Fast lookups (docs/DEVICE.md, "Fast lookups"): a work buffer larger than
 * sd_patch_work_required (rounded up to 4) by 8 bytes per flash segment and
 * map record (`smartdelta info`: "fast lookups") lets the tables check keep
 * them there, and the lookups answer from RAM by bisection. 1 when they do
 * (once the tables are checked), else 0. */
int sd_patch_fast_lookups(const sd_patch_ctx *c);

/* Signature verification (docs/FORMAT.md, "Signature trailer"). Streaming:
 * init, then update with the patch file's bytes from offset 0 in any
 * chunking (header, tables, payload, trailer), then final, which builds the 59-byte
 * message and calls verify. Returns OK, SIGNATURE (unsigned patch or
 * rejected) or CORRUPT (length or signature type wrong). */
typedef struct sd_patch_sig {
  sd_sha256_ctx sha;
  uint32_t body_length, seen;
  uint8_t trailer[SD_PATCH_TRAILER_SIZE];
} sd_patch_sig;
void sd_patch_sig_init(sd_patch_sig *s, const sd_patch_header *h);
void sd_patch_sig_update(sd_patch_sig *s, const uint8_t *data, size_t len);
int sd_patch_sig_final(sd_patch_sig *s, sd_patch_verify_fn verify, void *verify_user);
/* One pass over a stored patch of patch_len bytes read through read_patch:
 * sd_patch_check_size, then the above (about 240 bytes of stack on a Cortex-M4,
 * the hook's own not counted). */
int sd_patch_verify_stored(const sd_patch_header *h, uint32_t patch_len, sd_patch_read_fn read_patch,
                           void *read_user, sd_patch_verify_fn verify, void *verify_user);

#ifdef __cplusplus
}
#endif

#endif /* SD_PATCH_H */
