/*
 * sd_lzs: streaming decoder for codec 2 ("LZS", docs/LZS.md): LZ77 over a
 * 256 B..4 KiB window, coded with an adaptive binary range coder over 364
 * (or 620) probabilities. For devices that cannot afford LZMA's 5 KB of
 * probabilities. Written for smartdelta from docs/LZS.md; src/codec/lzs-*.ts
 * is the encoder and the reference decoder.
 *
 * - No dynamic allocation: the state lives in a caller-provided sd_lzs_dec and
 *   one caller-provided work area of sd_lzs_work_size() bytes (probabilities,
 *   then the window). It is declared uint16_t so that it is aligned for them.
 * - Input and output may come in chunks of any size (even 1 byte): the decoder
 *   suspends exactly where it runs out of either, so results never depend on
 *   the chunking.
 * - No libc at all (stdint.h/stddef.h only).
 *
 * RAM = sizeof(sd_lzs_dec) + sd_lzs_work_size(params, unpacked_size).
 */
#ifndef SD_LZS_H
#define SD_LZS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes, as sd_lzma's. */
#define SD_LZS_OK 0          /* progress made or blocked: give more input or output space */
#define SD_LZS_DONE 1        /* the declared size was produced and the stream ended cleanly */
#define SD_LZS_ERR_DATA (-1)  /* corrupt stream (sticky: every later call fails too) */
#define SD_LZS_ERR_PARAM (-2) /* bad parameter byte, work area too small or NULL
                                 (sd_lzs_decode keeps returning it after a failed init) */

/* The parameter byte: bits 0..2 = window log2 - 8 (0..4), bit 3 = literal
 * context (the XOR tree), bits 4..7 zero. */
#define SD_LZS_WINDOW_LOG2(params) (8u + ((unsigned)(params) & 7u))
#define SD_LZS_LITERAL_CONTEXT(params) (((unsigned)(params) >> 3) & 1u)
#define SD_LZS_PARAMS_VALID(params) ((unsigned)(params) < 16u && ((unsigned)(params) & 7u) <= 4u)

/* Probabilities: 108 fixed + 256 per literal tree. */
#define SD_LZS_PROBS_COUNT(params) (108u + (256u << SD_LZS_LITERAL_CONTEXT(params)))

/* Work area in bytes for a stream of unpacked_size bytes: 2 per probability,
 * then a window of min(2^w, unpacked_size) bytes (at least 1). For static
 * arrays: uint16_t work[(SD_LZS_WORK_SIZE(p, n) + 1) / 2]. */
#define SD_LZS_WINDOW_SIZE(params, unpacked_size)                                       \
  ((unpacked_size) == 0u ? 1u                                                         \
   : (uint32_t)(unpacked_size) < (1u << SD_LZS_WINDOW_LOG2(params)) ? (uint32_t)(unpacked_size) \
                                                                   : (1u << SD_LZS_WINDOW_LOG2(params)))
#define SD_LZS_WORK_SIZE(params, unpacked_size) \
  (2u * SD_LZS_PROBS_COUNT(params) + SD_LZS_WINDOW_SIZE(params, unpacked_size))

typedef struct sd_lzs_dec {
  uint16_t *probs;
  uint8_t *window;
  uint32_t win_size, win_pos;
  uint32_t produced;  /* bytes output so far */
  uint32_t remaining; /* bytes still to produce */
  uint32_t range, code;
  uint32_t rep;  /* distance of the last match */
  uint32_t val;  /* bit tree node, the value being assembled, or the copy distance */
  uint32_t len;  /* bytes still to copy */
  uint16_t base; /* probability base of the tree in progress */
  uint8_t limit_log2; /* the tree in progress ends at node 1 << limit_log2 */
  uint8_t count; /* direct bits (or init bytes) still to read; length prefix n */
  uint8_t step, next; /* where decoding resumes; continuation after a tree or direct bits */
  uint8_t state; /* 2 * kind of the last symbol + (the one before was not a literal) */
  uint8_t params;
  const uint8_t *in; /* the current call's buffers */
  uint8_t *out;
  size_t in_left, out_left;
} sd_lzs_dec;

/* Work area bytes for params and unpacked_size (0 when params is invalid). */
size_t sd_lzs_work_size(uint8_t params, uint32_t unpacked_size);

/* Prepares a decoder for a stream that must produce exactly unpacked_size
 * bytes. work must hold work_size >= sd_lzs_work_size(params, unpacked_size)
 * bytes; the rest is left alone. */
int sd_lzs_init(sd_lzs_dec *d, uint8_t params, uint32_t unpacked_size, uint16_t *work,
                size_t work_size);

/* Decodes from in[0 .. *in_len) into out[0 .. *out_len). On return *in_len and
 * *out_len hold the bytes consumed and produced. Returns SD_LZS_OK when it
 * needs more input or more output space, SD_LZS_DONE at the end of the stream
 * (input bytes after the end are left unconsumed; calling again with more
 * input then returns SD_LZS_ERR_DATA), or an error. A stream that stops
 * returning OK with all input consumed is truncated. */
int sd_lzs_decode(sd_lzs_dec *d, const uint8_t *in, size_t *in_len, uint8_t *out,
                  size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* SD_LZS_H */
