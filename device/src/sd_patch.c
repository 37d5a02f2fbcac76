/*
 * The streaming applier (docs/FORMAT.md, "Payload and codec", "Delta
 * program", "Applying"): payload -> LZMA decoder -> program parser -> copy
 * blocks (predicted old bytes + differences) and extra blocks -> write_new.
 *
 * Copy blocks go through c->buf: old bytes are read into it, predicted in
 * place (relocation), turned into new bytes in place by adding differences,
 * and written from there. So there is no separate output buffer, and every
 * write_new call but the extra literals covers up to SD_PATCH_BUF bytes.
 */
#include <string.h>

#include "sd_patch_internal.h"

/* docs/FORMAT.md "Device RAM": the context is the fixed state. */
#if UINTPTR_MAX <= 0xFFFFFFFFu
typedef char sd_patch_ctx_fits_fixed_state[sizeof(sd_patch_ctx) <= SD_PATCH_FIXED_STATE ? 1 : -1];
#endif

/* Parser states; those before ST_COPY_RAW read a varint. */
enum {
  ST_SEEK,
  ST_COPY_LEN,
  ST_EXTRA_LEN,
  ST_SPARSE_ZEROS,
  ST_SPARSE_COUNT,
  ST_COPY_RAW,
  ST_SPARSE_BYTES,
  ST_EXTRA,
  ST_BLOCK_END, /* transient: the block has no data left */
  ST_DONE
};

#define STATUS_FINISHED 0x80u

static int fail(sd_patch_ctx *c, int rc) {
  if (rc < 0 && c->status == 0) c->status = (uint8_t)-rc;
  return rc;
}

static int write_out(sd_patch_ctx *c, const uint8_t *p, uint32_t n) {
  if (n == 0) return SD_PATCH_OK;
  if (c->write_new(c->user, c->written, p, n) != 0) return SD_PATCH_ERR_IO;
  sd_sha256_update(&c->sha, p, n);
  c->written += n;
  return SD_PATCH_OK;
}

/* Writes the finished new bytes of the copy block still in buf. */
static int flush_copy(sd_patch_ctx *c) {
  uint32_t x = c->blk_old + c->copied;
  int rc = write_out(c, c->buf + (c->pending - c->buf_pos), x - c->pending);
  c->pending = x;
  return rc;
}

/* First predicted bytes of a copy block: where its scan starts and the
 * prefix run before that point (docs/FORMAT.md, "Predicted old bytes"). */
static int source_start(sd_patch_ctx *c) {
  uint32_t s = c->blk_old, p0, lo, q;
  c->pending = s;
  c->buf_len = 0;
  if (!(c->mode & SD_MODE_RELOC)) {
    c->buf_pos = s;
    c->scan = SD_SCAN_DONE;
    return SD_PATCH_OK;
  }
  p0 = s >= 4u ? (s - 4u) & ~1u : 0u;
  lo = p0 >= 32u ? p0 - 32u : 0u;
  if (p0 > lo && c->read_old(c->user, lo, c->buf, p0 - lo) != 0) return SD_PATCH_ERR_IO;
  c->run = 0;
  for (q = p0 - lo; q >= 2u && c->buf[q - 1u] >= 0xE8u; q -= 2u) c->run++;
  c->buf_pos = c->scan = p0;
  return SD_PATCH_OK;
}

/* Makes predicted bytes available at the copy position; *avail: how many
 * follow contiguously in buf. Predicted bytes are final below the scan. */
static int source_ready(sd_patch_ctx *c, uint32_t *avail) {
  uint32_t x = c->blk_old + c->copied, end = c->blk_old + c->blk_len;
  uint32_t buf_end = c->buf_pos + c->buf_len, limit, from, want, n;
  int pass;
  for (pass = 0; pass < 2; pass++) {
    limit = buf_end < end ? buf_end : end;
    if (c->scan < limit) limit = c->scan;
    if (x < limit) {
      *avail = limit - x;
      return SD_PATCH_OK;
    }
    if (pass > 0) break;
    if (flush_copy(c) != SD_PATCH_OK) return SD_PATCH_ERR_IO;
    /* Read on from the scan position (its bytes are still the old ones). */
    from = c->scan < x ? c->scan : x;
    c->buf_pos = from;
    want = end;
    if (c->mode & SD_MODE_RELOC) want = end + 3u < c->old_size ? end + 3u : c->old_size;
    n = want - from < SD_PATCH_BUF ? want - from : SD_PATCH_BUF;
    if (c->read_old(c->user, from, c->buf, n) != 0) return SD_PATCH_ERR_IO;
    c->buf_len = (uint8_t)n;
    buf_end = from + n;
    if (c->scan != SD_SCAN_DONE) sd_reloc_scan(c, end);
  }
  return SD_PATCH_ERR_CORRUPT; /* not reached: a refill always makes progress */
}

/* Copies predicted bytes unchanged (a sparse zero run). */
static int copy_predicted(sd_patch_ctx *c, uint32_t n) {
  while (n > 0) {
    uint32_t avail;
    int rc = source_ready(c, &avail);
    if (rc) return rc;
    if (avail > n) avail = n;
    c->copied += avail;
    n -= avail;
  }
  return SD_PATCH_OK;
}

/* New byte = predicted byte + difference, in place. */
static int add_differences(sd_patch_ctx *c, const uint8_t *d, uint32_t n) {
  while (n > 0) {
    uint32_t avail, i;
    uint8_t *p;
    int rc = source_ready(c, &avail);
    if (rc) return rc;
    if (avail > n) avail = n;
    p = c->buf + (c->blk_old + c->copied - c->buf_pos);
    for (i = 0; i < avail; i++) p[i] = (uint8_t)(p[i] + d[i]);
    c->copied += avail;
    d += avail;
    n -= avail;
  }
  return SD_PATCH_OK;
}

static int begin_block(sd_patch_ctx *c, uint32_t old_start, uint32_t copy_len, uint32_t extra_len) {
  if ((uint64_t)c->new_pos + copy_len + extra_len > c->new_size) return SD_PATCH_ERR_CORRUPT;
  c->blk_old = old_start;
  c->blk_len = copy_len;
  c->blk_new = c->new_pos;
  c->copied = 0;
  c->extra_left = extra_len;
  c->new_pos += copy_len + extra_len;
  if (copy_len > 0) {
    c->state = (c->mode & SD_MODE_SPARSE) ? ST_SPARSE_ZEROS : ST_COPY_RAW;
    return source_start(c);
  }
  c->state = extra_len > 0 ? ST_EXTRA : ST_BLOCK_END;
  return SD_PATCH_OK;
}

/* The block has no data left: the next block, skipping empty ones (a loop,
 * not recursion), or the end of the program. */
static int next_block(sd_patch_ctx *c) {
  while (c->mode & SD_MODE_CONTROL_FIRST) {
    const sd_patch_block *b;
    int rc;
    if (c->entries == c->entry_count) {
      c->state = ST_DONE;
      return SD_PATCH_OK;
    }
    b = &c->table[c->entries++];
    rc = begin_block(c, b->old_start, b->copy_len, b->extra_len);
    if (rc || c->state != ST_BLOCK_END) return rc;
  }
  c->state = c->new_pos == c->new_size ? ST_DONE : ST_SEEK;
  return SD_PATCH_OK;
}

static int copy_done(sd_patch_ctx *c) {
  if (flush_copy(c) != SD_PATCH_OK) return SD_PATCH_ERR_IO;
  if (c->extra_left > 0) {
    c->state = ST_EXTRA;
    return SD_PATCH_OK;
  }
  return next_block(c);
}

/* The whole control table is read: check it, derive the flash map
 * (docs/FORMAT.md, "Flash map"), start the first block. */
static int table_done(sd_patch_ctx *c) {
  uint64_t total = 0;
  uint32_t i, segments = 0;
  for (i = 0; i < c->entry_count; i++) {
    const sd_patch_block *b = &c->table[i];
    if (c->mode & SD_MODE_RELOC && b->copy_len >= c->min_segment) {
      if (segments == c->flash_count) return SD_PATCH_ERR_CORRUPT;
      c->flash[segments].start = b->old_start;
      c->flash[segments].shift = (uint32_t)total - b->old_start; /* new start - old start */
      segments++;
    }
    total += (uint64_t)b->copy_len + b->extra_len;
  }
  if (total != c->new_size || segments != c->flash_count) return SD_PATCH_ERR_CORRUPT;
  sd_reloc_sort(c->flash, segments);
  c->entries = 0;
  return next_block(c);
}

/* A control entry is complete (docs/FORMAT.md, "Delta program"). */
static int entry_done(sd_patch_ctx *c) {
  /* seek: zigzag, so z odd moves back (z + 1) / 2, z even forward z / 2 */
  uint32_t z = c->entry[0], half = z >> 1, start, copy_len = c->entry[1];
  if (z & 1u) {
    if (half >= c->old_pos) return SD_PATCH_ERR_CORRUPT;
    start = c->old_pos - half - 1u;
  } else {
    if (half > c->old_size - c->old_pos) return SD_PATCH_ERR_CORRUPT;
    start = c->old_pos + half;
  }
  if (copy_len > c->old_size - start) return SD_PATCH_ERR_CORRUPT;
  c->old_pos = start + copy_len;
  if (!(c->mode & SD_MODE_CONTROL_FIRST)) {
    int rc;
    /* The declared count bounds the work in the interleaved layout too. */
    if (c->entries >= c->entry_count) return SD_PATCH_ERR_CORRUPT;
    c->entries++;
    rc = begin_block(c, start, copy_len, c->entry[2]);
    return rc || c->state != ST_BLOCK_END ? rc : next_block(c);
  }
  if (c->entries >= c->entry_count) return SD_PATCH_ERR_CORRUPT;
  c->table[c->entries].old_start = start;
  c->table[c->entries].copy_len = copy_len;
  c->table[c->entries].extra_len = c->entry[2];
  if (++c->entries < c->entry_count) {
    c->state = ST_SEEK;
    return SD_PATCH_OK;
  }
  return table_done(c);
}

static int varint_done(sd_patch_ctx *c, uint32_t v) {
  uint32_t left = c->blk_len - c->copied;
  int rc;
  switch (c->state) {
  case ST_SEEK:
  case ST_COPY_LEN:
    c->entry[c->state] = v;
    c->state++;
    return SD_PATCH_OK;
  case ST_EXTRA_LEN:
    c->entry[2] = v;
    return entry_done(c);
  case ST_SPARSE_ZEROS: /* a run of zero differences */
    if (v > left) return SD_PATCH_ERR_CORRUPT;
    rc = copy_predicted(c, v);
    if (rc) return rc;
    if (c->copied == c->blk_len) return copy_done(c);
    c->state = ST_SPARSE_COUNT;
    return SD_PATCH_OK;
  default: /* ST_SPARSE_COUNT: that many difference bytes follow */
    if (v == 0 || v > left) return SD_PATCH_ERR_CORRUPT;
    c->run_left = v;
    c->state = ST_SPARSE_BYTES;
    return SD_PATCH_OK;
  }
}

/* Data bytes of the current state; returns how many were used via *used. */
static int data_bytes(sd_patch_ctx *c, const uint8_t *d, uint32_t n) {
  int rc;
  if (c->state == ST_EXTRA) {
    rc = write_out(c, d, n);
    c->extra_left -= n;
    return rc || c->extra_left > 0 ? rc : next_block(c);
  }
  rc = add_differences(c, d, n);
  if (rc) return rc;
  if (c->state == ST_SPARSE_BYTES) {
    c->run_left -= n;
    if (c->run_left > 0) return SD_PATCH_OK;
    if (c->copied < c->blk_len) {
      c->state = ST_SPARSE_ZEROS;
      return SD_PATCH_OK;
    }
  }
  return c->copied == c->blk_len ? copy_done(c) : SD_PATCH_OK;
}

/* Program bytes in any chunking. */
static int push_program(sd_patch_ctx *c, const uint8_t *d, size_t len) {
  int rc = SD_PATCH_OK;
  while (len > 0 && rc == SD_PATCH_OK) {
    if (c->state < ST_COPY_RAW) {
      uint8_t b = *d++;
      len--;
      /* At most 5 bytes and 32 bits: the 5th byte carries 4 bits and ends it;
       * minimal: a last byte 0 after others is an error (docs/FORMAT.md, "Integers"). */
      if ((c->varint_bytes == 4u && (b & 0xF0u)) || (b == 0 && c->varint_bytes > 0))
        return SD_PATCH_ERR_CORRUPT;
      c->varint |= (uint32_t)(b & 0x7Fu) << (7u * c->varint_bytes);
      if (b & 0x80u) {
        c->varint_bytes++;
      } else {
        uint32_t v = c->varint;
        c->varint = 0;
        c->varint_bytes = 0;
        rc = varint_done(c, v);
      }
    } else if (c->state == ST_DONE) {
      return SD_PATCH_ERR_CORRUPT; /* bytes after the end of the program */
    } else {
      uint32_t n = c->state == ST_EXTRA ? c->extra_left
                   : c->state == ST_SPARSE_BYTES ? c->run_left
                                                 : c->blk_len - c->copied;
      if (n > len) n = (uint32_t)len;
      rc = data_bytes(c, d, n);
      d += n;
      len -= n;
    }
  }
  return rc;
}

int sd_patch_init(sd_patch_ctx *c, const sd_patch_header *h, void *work, size_t work_size,
                  sd_patch_read_fn read_old, sd_patch_write_fn write_new, void *user) {
  size_t need, pad;
  uint8_t *w = (uint8_t *)work;
  if (c == NULL) return SD_PATCH_ERR_PARAM;
  memset(c, 0, sizeof *c);
  c->status = (uint8_t)-SD_PATCH_ERR_PARAM;
  if (h == NULL || read_old == NULL || write_new == NULL || (work == NULL && work_size > 0))
    return SD_PATCH_ERR_PARAM;
  need = sd_patch_work_required(h);
  pad = (size_t)(0u - (uintptr_t)work) & 3u;
  if (work_size < pad || work_size - pad < need) {
    c->status = (uint8_t)-SD_PATCH_ERR_NO_MEMORY;
    return SD_PATCH_ERR_NO_MEMORY;
  }
  w += pad;
  c->read_old = read_old;
  c->write_new = write_new;
  c->user = user;
  c->old_size = h->old_size;
  c->new_size = h->new_size;
  c->old_address = h->old_address;
  c->new_address = h->new_address;
  c->entry_count = h->entry_count;
  c->payload_left = h->payload_length;
  memcpy(c->new_sha256, h->new_sha256, 32);
  c->mode = (uint8_t)(h->program_flags & (SD_MODE_CONTROL_FIRST | SD_MODE_SPARSE));
  /* Work memory, in the order of the RAM formula; every part stays 4-aligned
   * (probabilities are 2 x an even count) but the window, which comes last. */
  if (c->mode & SD_MODE_CONTROL_FIRST) {
    c->table = (sd_patch_block *)(void *)w;
    w += (size_t)h->entry_count * sizeof(sd_patch_block);
  }
  if (h->transform == SD_PATCH_TRANSFORM_CORTEX_M) {
    sd_reloc_params p;
    int rc;
    c->mode |= SD_MODE_RELOC;
    c->flash = (sd_patch_segment *)(void *)w;
    w += (size_t)h->flash_segments * sizeof(sd_patch_segment);
    c->ram = (sd_patch_segment *)(void *)w;
    w += (size_t)h->ram_segments * sizeof(sd_patch_segment);
    c->consts = (sd_patch_segment *)(void *)w;
    w += (size_t)h->const_segments * sizeof(sd_patch_segment);
    /* The limits keep the maps inside the memory sized from h even if
     * h->transform_params no longer holds the parameters. */
    rc = sd_decode_reloc(h->transform_params, h->transform_params_length, &p, h->ram_segments, c->ram,
                         h->const_segments, c->consts);
    if (rc) return SD_PATCH_ERR_PARAM;
    c->recognizers = p.recognizers;
    c->min_segment = p.min_segment;
    c->flash_count = h->flash_segments;
    c->far_bases = (uint8_t)(h->old_address >= h->new_address ? h->old_address - h->new_address > 0x7FFFFFFFu
                                                               : h->new_address - h->old_address > 0x80000000u);
    /* A map whose end is 0 holds no value: leave it out. */
    c->ram_count = (uint16_t)(p.ram.end > 0 ? p.ram.count : 0u);
    c->ram_last = (uint32_t)(p.ram.end - 1u);
    c->const_count = (uint16_t)(p.consts.end > 0 ? p.consts.count : 0u);
    c->const_last = (uint32_t)(p.consts.end - 1u);
  }
  if (h->codec == SD_PATCH_CODEC_LZMA1) {
    size_t probs = SD_LZMA_PROBS_COUNT(h->lc, h->lp);
    uint32_t window = (uint32_t)1u << h->dict_log2;
    if (h->program_length < window) window = h->program_length;
    c->mode |= SD_MODE_LZMA;
    /* An empty program needs no window; the decoder wants one byte anyway. */
    if (sd_lzma_init(&c->lzma, h->lc, h->lp, h->pb, (uint16_t *)(void *)w, probs,
                     window ? w + 2u * probs : c->buf, window ? window : 1u,
                     h->program_length) != SD_LZMA_OK)
      return SD_PATCH_ERR_PARAM;
  }
  sd_sha256_init(&c->sha);
  c->state = ST_SEEK;
  if (c->new_size == 0 && (!(c->mode & SD_MODE_CONTROL_FIRST) || c->entry_count == 0))
    c->state = ST_DONE;
  c->status = 0;
  return SD_PATCH_OK;
}

static int status_code(const sd_patch_ctx *c) {
  return c->status == STATUS_FINISHED ? SD_PATCH_ERR_PARAM : -(int)c->status;
}

int sd_patch_feed(sd_patch_ctx *c, const uint8_t *data, size_t len) {
  if (c == NULL || (data == NULL && len > 0)) return SD_PATCH_ERR_PARAM;
  if (c->status) return status_code(c);
  if (len > c->payload_left) return fail(c, SD_PATCH_ERR_PARAM);
  c->payload_left -= (uint32_t)len;
  if (!(c->mode & SD_MODE_LZMA)) return fail(c, push_program(c, data, len));
  while (!c->lzma_done) {
    size_t in_len = len, out_len = SD_PATCH_LZ_OUT;
    int r = sd_lzma_decode(&c->lzma, data, &in_len, c->lz_out, &out_len), rc;
    data += in_len;
    len -= in_len;
    rc = push_program(c, c->lz_out, out_len);
    if (rc) return fail(c, rc);
    if (r == SD_LZMA_DONE) c->lzma_done = 1;
    else if (r != SD_LZMA_OK) return fail(c, SD_PATCH_ERR_CORRUPT);
    else if (out_len < SD_PATCH_LZ_OUT) break; /* all input used */
  }
  /* Payload bytes after the end of the LZMA stream. */
  return len > 0 ? fail(c, SD_PATCH_ERR_CORRUPT) : SD_PATCH_OK;
}

int sd_patch_finish(sd_patch_ctx *c) {
  uint8_t digest[32];
  if (c == NULL) return SD_PATCH_ERR_PARAM;
  if (c->status) return status_code(c);
  /* Truncated payload, LZMA stream or program. */
  if (c->payload_left > 0 || ((c->mode & SD_MODE_LZMA) && !c->lzma_done) ||
      c->state != ST_DONE)
    return fail(c, SD_PATCH_ERR_CORRUPT);
  sd_sha256_final(&c->sha, digest);
  if (!sd_equal(digest, c->new_sha256, 32)) return fail(c, SD_PATCH_ERR_RESULT_HASH);
  c->status = STATUS_FINISHED;
  return SD_PATCH_OK;
}
