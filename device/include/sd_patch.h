/*
 * sd_patch: applies smartdelta patches (docs/FORMAT.md) on a microcontroller.
 *
 * - No dynamic allocation and no libc beyond memcpy/memset. State: one
 *   sd_patch_ctx (at most SD_PATCH_FIXED_STATE bytes on a 32-bit target) plus
 *   one caller-provided work buffer for the tables whose sizes the patch
 *   declares (LZMA probabilities and window, control table, address maps).
 * - The old image is read at random through read_old (it lives in flash);
 *   the payload is fed in chunks of any size as it arrives; the new image is
 *   written strictly in order through write_new, in pieces of any size.
 * - Plain and Cortex-M relocation patches (transform 1), interleaved and
 *   control-first programs, raw and sparse differences, codec none and raw
 *   LZMA1.
 *
 * Typical use (docs/DEVICE.md, "Integrating into a bootloader"):
 *
 *   sd_patch_parse_header(first_bytes, n, &h, &header_len);   // the header
 *   sd_patch_check_size(&h, patch_len, &is_signed);          // optional
 *   sd_patch_verify_stored(&h, patch_len, read_patch, ...);  // if signed
 *   sd_patch_check_base(&h, old_len, read_old, user);        // precondition
 *   sd_patch_init(&ctx, &h, work, sizeof work, read_old, write_new, user);
 *   for each payload chunk: sd_patch_feed(&ctx, chunk, len);
 *   sd_patch_finish(&ctx);                                    // postcondition
 */
#ifndef SD_PATCH_H
#define SD_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "sd_lzma.h"
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

/* docs/FORMAT.md, "Device RAM": the context and its small buffers. Also
 * DEVICE_FIXED_STATE in src/pipeline/ram.ts. */
#define SD_PATCH_FIXED_STATE 512u
/* Most control entries a patch may declare (MAX_CONTROL_ENTRIES in src/container/header.ts). */
#define SD_PATCH_MAX_ENTRIES (1u << 20)
/* The longest possible header: 6 + 4 x 5 (sizes, addresses) + 64 + 1 + 2 + 4096
 * (parameters) + 1 + 2 x 5 + 3 + 5 + 2 x 65 (versions) + 5 (counter). */
#define SD_PATCH_HEADER_MAX 4343u
#define SD_PATCH_MAX_IMAGE (64u * 1024u * 1024u)
#define SD_PATCH_MAX_PARAMS 4096u
#define SD_PATCH_MAX_RAM_SEGMENTS 256u
#define SD_PATCH_MAX_CONST_SEGMENTS 1024u
#define SD_PATCH_MAX_VERSION 64u

/* Header values (docs/FORMAT.md, "Header"). */
#define SD_PATCH_FLAG_VERSIONS 0x01u
#define SD_PATCH_FLAG_COUNTER 0x02u
#define SD_PATCH_TRANSFORM_PLAIN 0u
#define SD_PATCH_TRANSFORM_CORTEX_M 1u
#define SD_PATCH_PROGRAM_CONTROL_FIRST 0x01u
#define SD_PATCH_PROGRAM_SPARSE 0x02u
#define SD_PATCH_CODEC_NONE 0u
#define SD_PATCH_CODEC_LZMA1 1u

/* Signature trailer (docs/FORMAT.md, "Signature trailer"). */
#define SD_PATCH_TRAILER_SIZE 73u
#define SD_PATCH_SIGNATURE_ED25519 1u
#define SD_PATCH_KEY_ID_SIZE 8u
#define SD_PATCH_SIGNATURE_SIZE 64u
#define SD_PATCH_MESSAGE_SIZE 59u

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
  uint32_t old_size, new_size;
  uint32_t old_address, new_address; /* load addresses */
  uint8_t old_sha256[32], new_sha256[32];
  uint32_t entry_count;    /* N control entries */
  uint32_t program_length; /* bytes of the decompressed delta program */
  uint32_t payload_length; /* bytes after the header (before any signature trailer) */
  uint32_t header_length;  /* bytes of the header itself */
  uint8_t flags, transform, program_flags, codec;
  uint8_t lc, lp, pb, dict_log2; /* codec 1 only */
  /* Transform 1 (Cortex-M relocation) parameters. */
  uint8_t recognizers;
  uint32_t min_segment;    /* saturated at 0xFFFFFFFF */
  uint32_t flash_segments; /* flash map segments the control table yields */
  uint32_t ram_segments;   /* R */
  uint32_t const_segments; /* C (recognizer 0x20 only) */
  /* Points into the buffer given to sd_patch_parse_header: keep that buffer
   * until sd_patch_init has returned (it decodes the RAM map from here). */
  const uint8_t *transform_params;
  uint32_t transform_params_length;
  /* Optional fields (flags): versions as offsets into the header bytes. */
  uint16_t version_from_offset, version_to_offset;
  uint8_t version_from_length, version_to_length;
  uint64_t security_counter;
} sd_patch_header;

/* One control table entry and one address map segment (work memory). */
typedef struct sd_patch_block {
  uint32_t old_start, copy_len, extra_len;
} sd_patch_block;
typedef struct sd_patch_segment {
  uint32_t start, shift; /* shift added modulo 2^32 */
} sd_patch_segment;

#define SD_PATCH_BUF 64u   /* old image bytes, predicted and turned into new bytes in place */
#define SD_PATCH_LZ_OUT 32u /* decompressed program bytes per decoder call */

/* The applier's state. Treat as opaque. (Field order matters for code size:
 * Thumb-2 has 16-bit loads and stores only for small offsets.) */
typedef struct sd_patch_ctx {
  uint8_t state, status, mode, recognizers;
  uint8_t varint_bytes, lzma_done, buf_len, run;
  uint8_t far_bases; /* old - new load address does not fit 32 signed bits */
  uint16_t ram_count, const_count;
  /* program parser */
  uint32_t varint;   /* value being accumulated */
  uint32_t entry[3]; /* zigzag seek, copy length, extra length being read */
  uint32_t entries;  /* control entries read (control-first), then block index */
  uint32_t old_pos;  /* old position after the last entry */
  uint32_t new_pos;  /* new bytes covered by the blocks begun so far */
  uint32_t written;  /* new bytes handed to write_new */
  /* current block */
  uint32_t blk_old, blk_len, blk_new, copied, run_left, extra_left;
  /* predicted old bytes: buf holds old[buf_pos, buf_pos + buf_len) */
  uint32_t buf_pos, scan, pending;
  uint32_t old_size, new_size, old_address, new_address;
  uint32_t entry_count, payload_left;
  uint32_t min_segment, flash_count;
  uint32_t ram_last, const_last; /* maps valid in [first start, last] */
  sd_patch_read_fn read_old;
  sd_patch_write_fn write_new;
  void *user;
  sd_patch_block *table;    /* control-first: N entries */
  sd_patch_segment *flash;  /* flash map, sorted by start */
  sd_patch_segment *ram;    /* RAM map, sorted by start */
  sd_patch_segment *consts; /* constant map, sorted by start */
  uint8_t new_sha256[32];
  uint8_t buf[SD_PATCH_BUF];
  uint8_t lz_out[SD_PATCH_LZ_OUT];
  sd_lzma_dec lzma;
  sd_sha256_ctx sha; /* of the new image, as written */
} sd_patch_ctx;

/* Parses and validates the header at the start of a patch (buf holds the
 * first len bytes of the file). On SD_PATCH_OK, *header_len is the header's
 * size (the payload starts there). SD_PATCH_NEED_MORE: call again with more
 * bytes (at most SD_PATCH_HEADER_MAX are ever needed); with the whole file
 * in buf it means the file is truncated. Errors: CORRUPT, UNSUPPORTED. */
int sd_patch_parse_header(const uint8_t *buf, size_t len, sd_patch_header *h, size_t *header_len);

/* docs/FORMAT.md "Device RAM": SD_PATCH_FIXED_STATE + LZMA probabilities +
 * LZMA window + control table + flash map + RAM map, in bytes. The same
 * figure as `smartdelta info` (deviceRam.total). */
size_t sd_patch_ram_required(const sd_patch_header *h);
/* The work buffer sd_patch_init needs: the above minus the fixed state. */
size_t sd_patch_work_required(const sd_patch_header *h);

/* Checks a stored patch's total length: header + payload, plus nothing or a
 * 73-byte signature trailer (*is_signed, may be NULL). CORRUPT otherwise. */
int sd_patch_check_size(const sd_patch_header *h, uint32_t patch_len, int *is_signed);

/* The precondition: the old image has the patch's old size and SHA-256.
 * old_len is the installed image's size when known (SD_PATCH_SIZE_UNKNOWN:
 * only the first old_size bytes are hashed). Reads old_size bytes in small
 * pieces; about 200 bytes of stack. OK, WRONG_BASE or IO. */
#define SD_PATCH_SIZE_UNKNOWN 0xFFFFFFFFu
int sd_patch_check_base(const sd_patch_header *h, uint32_t old_len, sd_patch_read_fn read_old,
                        void *user);

/* Prepares the applier. work: at least sd_patch_work_required(h) bytes; it
 * is used from its first 4-byte aligned address. h->transform_params must
 * still be valid; h itself may be discarded afterwards. Callbacks get user. */
int sd_patch_init(sd_patch_ctx *c, const sd_patch_header *h, void *work, size_t work_size,
                  sd_patch_read_fn read_old, sd_patch_write_fn write_new, void *user);

/* Feeds the next len payload bytes (the bytes after the header, in any
 * chunking; never the signature trailer). The new image is written as the
 * program allows. OK, or a sticky error. */
int sd_patch_feed(sd_patch_ctx *c, const uint8_t *data, size_t len);

/* After the last payload byte: checks that the payload, the decompressed
 * program and the new image are complete, and the new image's SHA-256.
 * Only SD_PATCH_OK means the written image may be used. */
int sd_patch_finish(sd_patch_ctx *c);

/* Signature verification (docs/FORMAT.md, "Signature trailer"). Streaming:
 * init, then update with the patch file's bytes from offset 0 in any
 * chunking (header, payload, trailer), then final, which builds the 59-byte
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
 * sd_patch_check_size, then the above (about 300 bytes of stack). */
int sd_patch_verify_stored(const sd_patch_header *h, uint32_t patch_len, sd_patch_read_fn read_patch,
                           void *read_user, sd_patch_verify_fn verify, void *verify_user);

#ifdef __cplusplus
}
#endif

#endif /* SD_PATCH_H */
