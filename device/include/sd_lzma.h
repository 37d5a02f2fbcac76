/*
 * sd_lzma: streaming decoder for raw LZMA1 streams (no header), as written by
 * liblzma's raw encoder with FILTER_LZMA1. Written for smartdelta from the
 * LZMA format description (LZMA SDK, lzma-specification.txt).
 *
 * - No dynamic allocation: all state lives in a caller-provided sd_lzma_dec,
 *   a caller-provided probability array (sd_lzma_probs_count() entries) and a
 *   caller-provided dictionary window (a circular buffer of window_size bytes).
 * - Input may arrive in chunks of any size (even 1 byte) and output space may
 *   be given in chunks of any size: the decoder suspends exactly at the byte
 *   where it runs out of either, so results never depend on the chunking.
 * - No libc at all (stdint.h/stddef.h only).
 *
 * RAM = sizeof(sd_lzma_dec) + 2 * sd_lzma_probs_count(lc, lp) + window_size.
 */
#ifndef SD_LZMA_H
#define SD_LZMA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes of sd_lzma_init / sd_lzma_decode. */
#define SD_LZMA_OK 0         /* progress made or blocked: give more input or output space */
#define SD_LZMA_DONE 1       /* end marker decoded, or the declared unpacked size reached */
#define SD_LZMA_ERR_DATA (-1)  /* corrupt stream (sticky: every later call fails too) */
#define SD_LZMA_ERR_PARAM (-2) /* bad lc/lp/pb, too few probabilities, no window
                                  (sd_lzma_decode keeps returning it after a failed init) */

/* Pass as unpacked_size when the stream ends with an end marker only. */
#define SD_LZMA_SIZE_UNKNOWN UINT64_MAX

/* Format limits (lzma-specification.txt "LZMA properties"). liblzma's LZMA1
 * encoder additionally keeps lc + lp <= 4. */
#define SD_LZMA_LC_MAX 8u
#define SD_LZMA_LP_MAX 4u
#define SD_LZMA_PB_MAX 4u

/* 1846 fixed probabilities + 0x300 per literal coder (2^(lc+lp) coders). */
#define SD_LZMA_PROBS_COUNT(lc, lp) (1846u + ((size_t)0x300u << ((lc) + (lp))))

typedef struct sd_lzma_dec {
  /* (Field order matters for code size: Thumb-2 has 16-bit loads and stores
   * only for small offsets, so the byte fields come first.) */
  /* LZMA state machine */
  uint8_t step;       /* where decoding resumes */
  uint8_t next_step;  /* continuation after a bit tree */
  uint8_t lzma_state; /* 0..11 */
  uint8_t is_match;   /* 1: simple match (distance follows), 0: rep match */
  uint8_t match_byte; /* for matched literals */
  uint8_t init_left;  /* range coder init bytes still to read */
  uint8_t direct_left;
  uint8_t len_add;
  uint8_t tree_bit_index; /* bit tree in progress: bits decoded */
  /* configuration */
  uint8_t lc, lp_mask, pb_mask;
  uint8_t size_known;
  uint8_t matched;    /* a literal's bits so far agree with match_byte's */
  uint16_t len_probs; /* offset of the current length coder */

  /* range decoder */
  uint32_t range, code;

  /* bit tree in progress */
  uint32_t tree_base;
  uint32_t tree_sym;
  uint32_t tree_limit;

  uint32_t rep[4];
  uint32_t dist; /* in ST_COPY, the bytes back to copy from (speed build: 0 for a parked literal) */
  uint32_t len;
  uint32_t copy_left;

  /* dictionary window */
  uint32_t win_pos;   /* next write index in window */
  uint32_t win_fill;  /* valid bytes in window (saturates at window_size) */
  uint32_t total_pos; /* bytes produced, modulo 2^32 (only low bits used) */

  /* current call's buffers */
  const uint8_t *in, *in_end;
  uint8_t *out, *out_end;

  /* configuration */
  uint16_t *probs;
  uint8_t *window;
  uint32_t window_size;
  uint64_t remaining; /* bytes still to produce; from 2^64 - 1 when the size is unknown, so never 0 */
} sd_lzma_dec;

/* Number of uint16_t probabilities needed for lc/lp (0 when out of range). */
size_t sd_lzma_probs_count(unsigned lc, unsigned lp);

/* Splits an LZMA properties byte ((pb * 5 + lp) * 9 + lc, "LZMA properties")
 * into lc/lp/pb. Returns SD_LZMA_OK or SD_LZMA_ERR_PARAM. Inline: the patch
 * applier reads the header's byte itself, so only a caller of the decoder on
 * its own pays for this. */
static inline int sd_lzma_props_decode(uint8_t props, unsigned *lc, unsigned *lp, unsigned *pb) {
  unsigned v = props;
  if (v >= 9u * 5u * 5u) return SD_LZMA_ERR_PARAM;
  *lc = v % 9u;
  v /= 9u;
  *lp = v % 5u;
  *pb = v / 5u;
  return SD_LZMA_OK;
}

/* Prepares a decoder. probs must hold probs_count >= sd_lzma_probs_count(lc, lp)
 * entries; window must hold window_size >= 1 bytes and should be at least the
 * encoder's dictSize (a match reaching further back is reported as corrupt).
 * unpacked_size: exact output size, or SD_LZMA_SIZE_UNKNOWN (then the end
 * marker is mandatory). With a known size the stream may end with or without
 * the marker. */
int sd_lzma_init(sd_lzma_dec *d, unsigned lc, unsigned lp, unsigned pb, uint16_t *probs,
                 size_t probs_count, uint8_t *window, uint32_t window_size,
                 uint64_t unpacked_size);

/* Decodes from in[0 .. *in_len) into out[0 .. *out_len). On return *in_len and
 * *out_len hold the bytes consumed and produced. Returns SD_LZMA_OK when it
 * needs more input or more output space, SD_LZMA_DONE at the end of the
 * stream (input bytes after the end are left unconsumed; calling again with
 * more input then returns SD_LZMA_ERR_DATA), or an error. A stream that
 * stops returning OK with all input consumed is truncated. */
int sd_lzma_decode(sd_lzma_dec *d, const uint8_t *in, size_t *in_len, uint8_t *out,
                   size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* SD_LZMA_H */
