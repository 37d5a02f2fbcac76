/*
 * The program parser (docs/FORMAT.md, "Layouts"): the decoded payload is
 * entry, data, entry, data... (interleaved) or the data of entry 0, 1...
 * (sectioned, the entries coming from the tables). Data = the copy's
 * differences (raw or sparse), then the extra literals.
 *
 * Copy blocks go through c->buf: old bytes are read into it, predicted in
 * place (relocation), turned into new bytes in place by adding differences,
 * and written from there. So there is no separate output buffer, and every
 * write_new call but the extra literals covers up to SD_PATCH_BUF bytes.
 *
 * The current block is c->seq's last entry: start, copy (its length),
 * new_start; its extra counts down as the literals are written.
 */
#include "sd_patch_internal.h"

/* Parser states; those before ST_COPY_RAW read a varint. */
enum {
  ST_TABLE_COUNT, /* table-first: the entry count, then the entries as SEEK, COPY_LEN, EXTRA_LEN */
  ST_SEEK,
  ST_COPY_LEN,
  ST_EXTRA_LEN,
  ST_SPARSE_ZEROS,
  ST_SPARSE_COUNT,
  ST_COPY_RAW,
  ST_SPARSE_BYTES,
  ST_EXTRA
};

static int status_rc(const sd_patch_ctx *c) {
  return -(int)c->status;
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
  uint32_t x = c->seq.start + c->copied;
  int rc = write_out(c, c->buf + (c->pending - c->buf_pos), x - c->pending);
  c->pending = x;
  return rc;
}

/* First predicted bytes of a copy block: where its scan starts and the
 * prefix run before that point (docs/FORMAT.md, "Predicted old bytes"). */
static int source_start(sd_patch_ctx *c) {
  uint32_t s = c->seq.start, p0, lo, q;
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
  uint32_t x = c->seq.start + c->copied, end = c->seq.start + c->seq.copy;
#ifdef SD_PATCH_WITH_INPLACE
  /* In place the block's part in this erase unit is a block of its own: it
   * ends at the unit boundary, and nothing past it (but an item's last 3
   * bytes) is read while the slot holds this unit's state. */
  if (c->unit) {
    uint32_t part = c->unit - c->seq.new_start % c->unit;
    if (c->seq.copy > part) end = c->seq.start + part;
  }
#endif
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
    if (c->scan != SD_SCAN_DONE) {
      sd_reloc_scan(c, end);
      if (c->status) return status_rc(c); /* a table lookup failed */
    }
  }
  return SD_PATCH_ERR_CORRUPT; /* not reached: a refill always makes progress */
}

/* Copies predicted bytes unchanged (a sparse zero run), or adds the
 * differences d to them in place (new byte = predicted + difference). */
static int copy_bytes(sd_patch_ctx *c, const uint8_t *d, uint32_t n) {
  while (n > 0) {
    uint32_t avail, i;
    uint8_t *p;
    int rc;
#ifdef SD_PATCH_WITH_INPLACE
    /* At a unit boundary the rest of the block starts as a block of its own,
     * after the bytes before it were handed over (the slot changes there). */
    if (c->unit && c->copied > 0 && (c->seq.new_start + c->copied) % c->unit == 0) {
      if (flush_copy(c) != SD_PATCH_OK) return SD_PATCH_ERR_IO;
      c->seq.start += c->copied;
      c->seq.new_start += c->copied;
      c->seq.copy -= c->copied;
      c->copied = 0;
      rc = source_start(c);
      if (rc) return rc;
    }
#endif
    rc = source_ready(c, &avail);
    if (rc) return rc;
    if (avail > n) avail = n;
    p = c->buf + (c->seq.start + c->copied - c->buf_pos);
    if (d != NULL) {
      for (i = 0; i < avail; i++) p[i] = (uint8_t)(p[i] + d[i]);
      d += avail;
    }
    c->copied += avail;
    n -= avail;
  }
  return SD_PATCH_OK;
}

/* Starts the block of c->seq's last entry. */
static int begin_block(sd_patch_ctx *c) {
  c->copied = 0;
  if (c->seq.copy > 0) {
    c->state = (c->mode & SD_MODE_SPARSE) ? ST_SPARSE_ZEROS : ST_COPY_RAW;
    return source_start(c);
  }
  c->state = ST_EXTRA; /* entries are never empty (sd_entry_step) */
  return SD_PATCH_OK;
}

/* The next block (the next table entry when sectioned or table-first), the
 * next interleaved entry, or the end: the program ends with the new image. */
int sd_program_start(sd_patch_ctx *c) {
  if (c->seq.new_pos == c->new_size) {
    c->state = SD_ST_DONE;
    return SD_PATCH_OK;
  }
  if (c->mode & SD_MODE_TABLE_FIRST) {
    uint32_t *e = c->tab.tf.entries + 3u * c->tab.tf.next;
    if (c->tab.tf.next++ == c->tab.tf.count) { /* before the entries */
      c->tab.tf.next = 0;
      c->state = ST_TABLE_COUNT;
      return SD_PATCH_OK;
    }
    c->seq.start = e[0];
    c->seq.copy = e[1] >> 1;
    c->seq.extra = e[2];
    c->seq.new_start = c->seq.new_pos;
    c->seq.new_pos += c->seq.copy + c->seq.extra;
  } else if (c->mode & SD_MODE_SECTIONED) {
    (void)sd_tables_entry(c, &c->seq);
  } else {
    c->state = ST_SEEK;
    return SD_PATCH_OK;
  }
  return c->status ? status_rc(c) : begin_block(c);
}

/* Table-first: entry c->tab.tf.next is read (c->seq.copy holds its copy
 * field); checked like a control table's entry, then kept. After the last,
 * the data of entry 0. */
static int table_entry(sd_patch_ctx *c) {
  uint32_t *e = c->tab.tf.entries + 3u * c->tab.tf.next, flag = c->seq.copy & 1u;
  e[1] = c->seq.copy;
  c->seq.copy >>= 1;
  sd_entry_step(c, &c->seq, c->seq.start);
  if (c->status) return status_rc(c);
  if (flag) { /* a segment: it copies, after the previous one's start */
    if (c->seq.copy == 0 || c->seq.start < c->tab.tf.key) return SD_PATCH_ERR_CORRUPT;
    c->tab.tf.key = c->seq.start + 1u;
  }
  e[0] = c->seq.start;
  e[2] = c->seq.extra;
  if (++c->tab.tf.next < c->tab.tf.count) {
    c->state = ST_SEEK;
    return SD_PATCH_OK;
  }
  if (c->seq.new_pos != c->new_size) return SD_PATCH_ERR_CORRUPT; /* the entries cover the new image */
  c->tab.tf.next = 0;
  c->seq.new_pos = 0;
  return sd_program_start(c);
}

static SD_INLINE int copy_done(sd_patch_ctx *c) {
  if (flush_copy(c) != SD_PATCH_OK) return SD_PATCH_ERR_IO;
  if (c->seq.extra > 0) {
    c->state = ST_EXTRA;
    return SD_PATCH_OK;
  }
  return sd_program_start(c);
}

static int varint_done(sd_patch_ctx *c, uint32_t v) {
  uint32_t left = c->seq.copy - c->copied;
  switch (c->state) {
  case ST_TABLE_COUNT:
    if (v - 1u >= SD_PATCH_TABLE_FIRST_MAX) return SD_PATCH_ERR_CORRUPT; /* 1 to 32 */
    c->tab.tf.count = v;
    break;
  case ST_SEEK:
    c->seq.start = v; /* the zigzag seek, until sd_entry_step */
    break;
  case ST_COPY_LEN:
    c->seq.copy = v;
    break;
  case ST_EXTRA_LEN: /* an entry is complete */
    c->seq.extra = v;
    if (c->mode & SD_MODE_TABLE_FIRST) return table_entry(c);
    sd_entry_step(c, &c->seq, c->seq.start);
    return c->status ? status_rc(c) : begin_block(c);
  case ST_SPARSE_ZEROS: { /* a run of zero differences */
    int rc;
    if (v > left) return SD_PATCH_ERR_CORRUPT;
    rc = copy_bytes(c, NULL, v);
    if (rc) return rc;
    if (c->copied == c->seq.copy) return copy_done(c);
    break;
  }
  default: /* ST_SPARSE_COUNT: that many difference bytes follow */
    if (v == 0 || v > left) return SD_PATCH_ERR_CORRUPT;
    c->varint = v; /* the run's bytes left; back to 0 when it ends */
    break;
  }
  c->state++; /* COUNT -> SEEK -> COPY_LEN -> EXTRA_LEN, ZEROS -> COUNT -> BYTES (via COPY_RAW + 1) */
  if (c->state == ST_COPY_RAW) c->state = ST_SPARSE_BYTES;
  return SD_PATCH_OK;
}

/* n data bytes of the current state. */
static int data_bytes(sd_patch_ctx *c, const uint8_t *d, uint32_t n) {
  int rc;
  if (c->state == ST_EXTRA) {
    rc = write_out(c, d, n);
    c->seq.extra -= n;
    return rc || c->seq.extra > 0 ? rc : sd_program_start(c);
  }
  rc = copy_bytes(c, d, n);
  if (rc) return rc;
  if (c->state == ST_SPARSE_BYTES) {
    c->varint -= n;
    if (c->varint > 0) return SD_PATCH_OK;
    if (c->copied < c->seq.copy) {
      c->state = ST_SPARSE_ZEROS;
      return SD_PATCH_OK;
    }
  }
  return c->copied == c->seq.copy ? copy_done(c) : SD_PATCH_OK;
}

int sd_program_push(sd_patch_ctx *c, const uint8_t *d, size_t len) {
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
    } else if (c->state >= SD_ST_DONE) {
      return SD_PATCH_ERR_CORRUPT; /* bytes after the end of the program */
    } else {
      uint32_t n = c->state == ST_EXTRA ? c->seq.extra
                   : c->state == ST_SPARSE_BYTES ? c->varint
                                                 : c->seq.copy - c->copied;
      if (n > len) n = (uint32_t)len;
      rc = data_bytes(c, d, n);
      d += n;
      len -= n;
    }
  }
  return rc;
}
