/*
 * The applier's entry points (docs/FORMAT.md, "Applying"): init, feed,
 * finish, and the codec dispatch between the payload and the program parser.
 * In the streaming mode feed first copies the tables section into the work
 * buffer, and checks it when it is complete, before any payload byte.
 */
#include <string.h>

#include "sd_patch_internal.h"

/* docs/FORMAT.md "Device RAM": the context is the fixed state. */
#if UINTPTR_MAX <= 0xFFFFFFFFu
typedef char sd_patch_ctx_fits_fixed_state[sizeof(sd_patch_ctx) <= SD_PATCH_FIXED_STATE ? 1 : -1];
#endif

/* sd_patch_init copies six header words at once (old_size to tables_length, in the same order). */
typedef char sd_patch_header_words_match[offsetof(sd_patch_ctx, tables_length) - offsetof(sd_patch_ctx, old_size) ==
                                                 offsetof(sd_patch_header, tables_length) - offsetof(sd_patch_header, old_size)
                                             ? 1
                                             : -1];

/* After a successful finish the context answers every call with PARAM (a call out of order): the
 * status then holds that code, as an error would. */
#define STATUS_FINISHED ((uint8_t)-SD_PATCH_ERR_PARAM)

int sd_fail(sd_patch_ctx *c, int rc) {
  if (rc < 0 && c->status == 0) c->status = (uint8_t)-rc;
  return rc;
}

/* The tables are complete (or absent): check them, then the first block. */
static int start(sd_patch_ctx *c) {
  if (c->mode & (SD_MODE_SECTIONED | SD_MODE_RELOC)) sd_tables_check(c);
  return sd_fail(c, c->status ? -(int)c->status : sd_program_start(c));
}

int sd_patch_init(sd_patch_ctx *c, const sd_patch_header *h, void *work, size_t work_size,
                  sd_patch_read_fn read_old, sd_patch_write_fn write_new,
                  sd_patch_read_fn read_patch, void *user) {
  size_t need, pad;
  uint8_t *w = (uint8_t *)work;
  int streaming = read_patch == NULL, rc = SD_PATCH_ERR_PARAM;
  if (c == NULL) return SD_PATCH_ERR_PARAM;
  memset(c, 0, sizeof *c);
  /* Every failure below sticks (fail: the context's first error): feed and finish repeat it. */
  if (h == NULL || read_old == NULL || write_new == NULL || (work_size > 0 && work == NULL)) goto fail;
  need = sd_patch_work_required(h, streaming);
  pad = (size_t)(0u - (uintptr_t)work) & 3u;
  rc = SD_PATCH_ERR_NO_MEMORY;
  if (work_size < pad || work_size - pad < need) goto fail;
  w += pad;
  c->read_old = read_old;
  c->write_new = write_new;
  c->read_patch = read_patch;
  c->user = user;
  /* old_size, new_size, old_address, new_address, payload_length, tables_length: the same order in both */
  memcpy(&c->old_size, &h->old_size, 6u * sizeof(uint32_t));
  c->cache_offset = h->tables_length; /* the cache is empty */
  c->tables.offset = h->header_length;
  memcpy(c->new_sha256, h->new_sha256, 32);
#ifdef SD_PATCH_WITH_INPLACE
  if (h->in_place) c->unit = h->erase_unit;
#endif
  /* The header's flags bits 3 (sectioned), 4 (sparse), 5 (relocation) -> modes 0x01, 0x02, 0x04. */
  c->mode = (uint8_t)((h->flags >> 3) & 7u);
  if (c->mode == SD_MODE_RELOC || c->mode == (SD_MODE_RELOC | SD_MODE_SPARSE)) {
    c->mode |= SD_MODE_TABLE_FIRST; /* the entries come first in the program, kept at the work buffer's start */
    c->tab.tf.entries = (uint32_t *)(void *)w;
    w += SD_PATCH_TABLE_FIRST_RAM;
  }
  /* old - new does not fit 32 signed bits when its 32-bit difference has the
   * wrong sign: negative though old >= new, or not negative though old < new. */
  if (((h->old_address - h->new_address) >> 31) != (h->old_address < h->new_address))
    c->mode |= SD_MODE_FAR_BASES;
  sd_sha256_init(&c->sha);
  /* Work memory, in the order of sd_patch_work_required: table-first entries
   * (above), the codec's state (probabilities, an even count of 16-bit
   * words, then the window), the tables. */
#ifdef SD_PATCH_WITH_LZMA
  if (h->codec == SD_PATCH_CODEC_LZMA1) {
    uint32_t window = (uint32_t)1u << h->window_log2;
    size_t probs = SD_LZMA_PROBS_COUNT(h->lc, h->lp);
    /* The program's end, not a size, ends the stream: the end marker is mandatory. */
    rc = SD_PATCH_ERR_PARAM;
    if (sd_lzma_init(&c->dec.lzma, h->lc, h->lp, h->pb, (uint16_t *)(void *)w, probs, w + 2u * probs, window,
                     SD_LZMA_SIZE_UNKNOWN) != SD_LZMA_OK)
      goto fail;
    w += 2u * probs + window;
    c->mode |= SD_MODE_CODEC;
  }
#endif
#ifdef SD_PATCH_WITH_LZS
  if (h->codec == SD_PATCH_CODEC_LZS) {
    size_t n = SD_LZS_WORK_SIZE(h->lzs_params, h->program_length);
    rc = SD_PATCH_ERR_PARAM;
    if (sd_lzs_init(&c->dec.lzs, h->lzs_params, h->program_length, (uint16_t *)(void *)w, n) != SD_LZS_OK)
      goto fail;
    w += n;
    c->mode |= SD_MODE_CODEC | SD_MODE_LZS;
  }
#endif
  rc = SD_PATCH_ERR_UNSUPPORTED; /* a codec this build does not link */
  if (h->codec != SD_PATCH_CODEC_NONE && !(c->mode & SD_MODE_CODEC)) goto fail;
  /* Spare work RAM after the required bytes (4-byte aligned): room for the lookups' pairs. */
  need = (need + 3u) & ~(size_t)3u;
  if (work_size - pad >= need) {
    c->lk.pairs.at = (uint32_t *)(void *)((uint8_t *)work + pad + need);
    c->fs_shift = (uint32_t)((work_size - pad - need) / 8u);
  }
  if (streaming) {
    c->tables.copy = w;
    c->tables_left = h->tables_length;
    c->state = SD_ST_WAIT;
    if (c->tables_left > 0) return SD_PATCH_OK;
  }
  return start(c);
fail:
  c->status = (uint8_t)-rc; /* the context was zeroed: the first error */
  return rc;
}

/* Codec dispatch: the build's decoders (sd_lzma and sd_lzs share their result
 * codes: 0 OK, 1 DONE, negative errors). */
static int decode(sd_patch_ctx *c, const uint8_t *in, size_t *in_len, uint8_t *out, size_t *out_len) {
#if defined(SD_PATCH_WITH_LZMA) && defined(SD_PATCH_WITH_LZS)
  if (c->mode & SD_MODE_LZS) return sd_lzs_decode(&c->dec.lzs, in, in_len, out, out_len);
  return sd_lzma_decode(&c->dec.lzma, in, in_len, out, out_len);
#elif defined(SD_PATCH_WITH_LZS)
  return sd_lzs_decode(&c->dec.lzs, in, in_len, out, out_len);
#else
  return sd_lzma_decode(&c->dec.lzma, in, in_len, out, out_len);
#endif
}

/* Codecs 1 and 2: payload -> decoder -> program, SD_PATCH_LZ_OUT bytes at a
 * time. After the program's last byte the stream must end (LZMA: its end
 * marker; codec 2: the program length, then its end check), and its end must
 * end the payload. */
static int feed_codec(sd_patch_ctx *c, const uint8_t *data, size_t len) {
  while (!(c->mode & SD_MODE_CODEC_DONE)) {
    size_t in_len = len, out_len = SD_PATCH_LZ_OUT;
    int r = decode(c, data, &in_len, c->lz_out, &out_len), rc;
    data += in_len;
    len -= in_len;
    rc = sd_program_push(c, c->lz_out, out_len); /* output after the program's end: CORRUPT */
    if (rc) return rc;
    if (r == SD_LZMA_DONE) c->mode |= SD_MODE_CODEC_DONE;
    else if (r != SD_LZMA_OK) return SD_PATCH_ERR_CORRUPT;
    else if (out_len < SD_PATCH_LZ_OUT) break; /* all input used */
  }
  return len > 0 ? SD_PATCH_ERR_CORRUPT : SD_PATCH_OK; /* bytes after the stream's end */
}

int sd_patch_feed(sd_patch_ctx *c, const uint8_t *data, size_t len) {
  if (c == NULL || (data == NULL && len > 0)) return SD_PATCH_ERR_PARAM;
  if (c->status) return -(int)c->status;
  if (c->tables_left > 0) { /* streaming: the tables section comes first */
    size_t n = len < c->tables_left ? len : c->tables_left;
    memcpy(c->tables.copy + (c->tables_length - c->tables_left), data, n);
    c->tables_left -= (uint32_t)n;
    data += n;
    len -= n;
    if (c->tables_left == 0 && start(c) != SD_PATCH_OK) return -(int)c->status;
  }
  if (len > c->payload_left) return sd_fail(c, SD_PATCH_ERR_PARAM);
  c->payload_left -= (uint32_t)len;
  /* Codec dispatch (init refused any other codec). */
  if (c->mode & SD_MODE_CODEC) return sd_fail(c, feed_codec(c, data, len));
  return sd_fail(c, sd_program_push(c, data, len)); /* codec 0: the payload is the program */
}

int sd_patch_finish(sd_patch_ctx *c) {
  uint8_t digest[32];
  int rc = SD_PATCH_ERR_CORRUPT;
  if (c == NULL) return SD_PATCH_ERR_PARAM;
  if (c->status) return -(int)c->status;
  /* Not truncated (tables, payload, codec stream or program), and (docs/FORMAT.md, "Codec 1") no program
   * longer than an LZMA window below 4 KiB, which the host's decoder cannot tell from distances. The context
   * starts zeroed: without a codec the window size is 0 and the program length 0. */
  if (c->payload_left == 0 && (c->mode & (SD_MODE_CODEC | SD_MODE_CODEC_DONE)) != SD_MODE_CODEC && c->state == SD_ST_DONE
#ifdef SD_PATCH_WITH_LZMA
      && (
#ifdef SD_PATCH_WITH_LZS
             (c->mode & SD_MODE_LZS) ||
#endif
             c->dec.lzma.window_size >= 4096u || c->dec.lzma.total_pos <= c->dec.lzma.window_size)
#endif
  ) {
    sd_sha256_final(&c->sha, digest);
    rc = sd_equal(digest, c->new_sha256, 32) ? SD_PATCH_OK : SD_PATCH_ERR_RESULT_HASH;
  }
  /* (the status was 0) the first error, or finished */
  c->status = rc ? (uint8_t)-rc : STATUS_FINISHED;
  return rc;
}
