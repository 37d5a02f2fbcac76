/*
 * In-place application with resume (docs/DEVICE.md, "Single slot"): unit by
 * unit in the patch's write order, each unit built into the scratch unit,
 * recorded with its check, then copied over the slot's unit and recorded as
 * done. Every pass of the decoder starts from the payload's start and
 * discards the output below the unit it builds without reading the slot for
 * it (read_old answers zeros there). The same steps as src/inplace/apply.ts.
 */
#include <string.h>

#include "sd_inplace.h"
#include "sd_patch_internal.h"
#include "sd_progress.h"

#define PIECE 64u
#define CHECK 8u

typedef struct run {
  const sd_patch_header *h;
  const sd_inplace_io *io;
  uint8_t *pending;                /* one write unit of output */
  uint32_t from, to, position;     /* this pass: output kept in [from, to) */
  uint32_t filled, pending_len;    /* of the unit being built in the scratch */
  uint32_t done, seq;              /* units committed; the last record's sequence */
  int started, stop, err;
} run;

static int io_rc(int r) {
  return r ? SD_PATCH_ERR_IO : SD_PATCH_OK;
}

/* The k-th unit written (docs/FORMAT.md, "In-place patches": the runs). */
static int unit_at(run *r, uint32_t k, uint32_t *unit) {
  uint32_t at = r->h->runs_offset, i, v[2], j;
  for (i = 0; i < r->h->run_count; i++) {
    for (j = 0; j < 2u; j++) { /* first, 2 x count + downwards (checked by the parser) */
      uint8_t b;
      uint32_t shift = 0;
      v[j] = 0;
      do {
        if (r->io->read_patch(r->io->user, at++, &b, 1) != 0) return SD_PATCH_ERR_IO;
        v[j] |= (uint32_t)(b & 0x7Fu) << shift;
        shift += 7u;
      } while (b & 0x80u);
    }
    if (k < (v[1] >> 1)) {
      *unit = (v[1] & 1u) ? v[0] - k : v[0] + k;
      return SD_PATCH_OK;
    }
    k -= v[1] >> 1;
  }
  return SD_PATCH_ERR_CORRUPT;
}

/* Where a pass that starts at the k-th unit written stops: after the units
 * that follow it upwards in the slot. */
static int stretch_end(run *r, uint32_t k, uint32_t *end) {
  uint32_t u, next;
  int rc = unit_at(r, k, &u);
  while (rc == SD_PATCH_OK && k + 1u < r->h->units) {
    rc = unit_at(r, k + 1u, &next);
    if (rc || next != u + 1u) break;
    u = next;
    k++;
  }
  u = (u + 1u) * r->h->erase_unit;
  *end = u < r->h->new_size ? u : r->h->new_size;
  return rc;
}

/* SHA-256 of len bytes of an area (sd_progress.c, shared with the two-slot applier). */
static int hash_area(run *r, int area, uint32_t len, uint8_t out[32]) {
  return sd_progress_hash(r->io, area, len, out);
}

/* The record (docs/DEVICE.md, "Progress record"), to the cell of its sequence. */
static int save_record(run *r, uint32_t done, const uint8_t *check) {
  return sd_progress_save(r->io, r->h->new_sha256, &r->seq, done, check);
}

/* The newest valid record of this patch: 1 found (done, state, check), 0 none. */
static int load_record(run *r, uint8_t *valid, uint8_t check[CHECK]) {
  return sd_progress_load(r->io, r->h->new_sha256, &r->seq, &r->done, valid, check);
}

/* The scratch unit over unit `done` of the slot, then "done + 1". */
static int commit(run *r) {
  uint32_t unit, at, e = r->h->erase_unit, w = r->h->write_unit;
  int rc = unit_at(r, r->done, &unit);
  if (rc) return rc;
  if (r->io->erase(r->io->user, SD_INPLACE_SLOT, unit) != 0) return SD_PATCH_ERR_IO;
  for (at = 0; at < e; at += w) {
    if (r->io->read(r->io->user, SD_INPLACE_SCRATCH, at, r->pending, w) != 0 ||
        r->io->write(r->io->user, SD_INPLACE_SLOT, unit * e + at, r->pending, w) != 0)
      return SD_PATCH_ERR_IO;
  }
  rc = save_record(r, r->done + 1u, NULL);
  if (rc == SD_PATCH_OK) r->done++;
  return rc;
}

static int finish_unit(run *r) {
  uint8_t digest[32];
  int rc = hash_area(r, SD_INPLACE_SCRATCH, r->h->erase_unit, digest);
  r->started = 0;
  r->filled = 0;
  if (rc == SD_PATCH_OK) rc = save_record(r, r->done, digest);
  return rc ? rc : commit(r);
}

static int write_pending(run *r) {
  int rc = io_rc(r->io->write(r->io->user, SD_INPLACE_SCRATCH, r->filled, r->pending, r->h->write_unit));
  r->filled += r->h->write_unit;
  r->pending_len = 0;
  return rc;
}

/* Output bytes of the unit being built, into the scratch unit. */
static int build(run *r, const uint8_t *p, uint32_t n) {
  int rc = SD_PATCH_OK;
  while (n > 0 && rc == SD_PATCH_OK) {
    uint32_t k = r->h->write_unit - r->pending_len;
    if (!r->started) {
      if (r->io->erase(r->io->user, SD_INPLACE_SCRATCH, 0) != 0) return SD_PATCH_ERR_IO;
      r->started = 1;
    }
    if (k > n) k = n;
    memcpy(r->pending + r->pending_len, p, k);
    r->pending_len += k;
    p += k;
    n -= k;
    if (r->pending_len == r->h->write_unit) rc = write_pending(r);
    if (rc == SD_PATCH_OK && r->filled == r->h->erase_unit) rc = finish_unit(r);
  }
  return rc;
}

/* After a pass's last byte: a partly filled unit, padded with erased bytes. */
static int build_end(run *r) {
  int rc = SD_PATCH_OK;
  if (!r->started) return SD_PATCH_OK;
  if (r->pending_len > 0) {
    memset(r->pending + r->pending_len, 0xFF, r->h->write_unit - r->pending_len);
    rc = write_pending(r);
  }
  return rc ? rc : finish_unit(r);
}

static int read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  run *r = (run *)user;
  if (r->position < r->from) { /* output discarded: nothing is read */
    memset(buf, 0, len);
    return 0;
  }
  return r->io->read(r->io->user, SD_INPLACE_SLOT, offset, buf, len);
}

static int write_new(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  run *r = (run *)user;
  uint32_t start = r->position > r->from ? r->position : r->from, end = r->position + (uint32_t)len;
  (void)offset; /* the applier writes in order: offset is the position */
  if (end > r->to) end = r->to;
  if (start < end && (r->err = build(r, buf + (start - r->position), end - start)) != SD_PATCH_OK) return 1;
  r->position += (uint32_t)len;
  if (r->position >= r->to && r->to < r->h->new_size) {
    r->stop = 1; /* the unit is complete; the next lies elsewhere */
    return 1;
  }
  return 0;
}

static int read_slot(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  run *r = (run *)user;
  return r->io->read(r->io->user, SD_INPLACE_SLOT, offset, buf, len);
}

static int read_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  run *r = (run *)user;
  return r->io->read_patch(r->io->user, offset, buf, len);
}

/* One run of the decoder over the whole payload (dry: keeps nothing). */
static int pass(run *r, sd_patch_ctx *c, void *work, size_t work_size, int dry) {
  const sd_patch_header *h = r->h;
  uint8_t piece[PIECE];
  uint32_t at = h->header_length + h->tables_length, left = h->payload_length;
  int rc;
  r->position = 0;
  r->stop = 0;
  r->err = SD_PATCH_OK;
  if (dry) {
    r->from = r->to = h->new_size;
  } else {
    uint32_t unit;
    rc = unit_at(r, r->done, &unit);
    if (rc == SD_PATCH_OK) rc = stretch_end(r, r->done, &r->to);
    if (rc) return rc;
    r->from = unit * h->erase_unit;
  }
  rc = sd_patch_init(c, h, work, work_size, read_old, write_new, read_patch, r);
  while (rc == SD_PATCH_OK && left > 0) {
    uint32_t n = left < PIECE ? left : PIECE;
    if (r->io->read_patch(r->io->user, at, piece, n) != 0) return SD_PATCH_ERR_IO;
    rc = sd_patch_feed(c, piece, n);
    at += n;
    left -= n;
  }
  if (r->stop) return SD_PATCH_OK;
  if (r->err) return r->err;
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(c);
  /* The applier's hash covers the discarded output too: the slot's is checked at the end. */
  if (rc && rc != SD_PATCH_ERR_RESULT_HASH) return rc;
  return dry ? SD_PATCH_OK : build_end(r);
}

int sd_patch_apply_in_place(sd_patch_ctx *c, const sd_patch_header *h, void *work, size_t work_size,
                            const sd_inplace_io *io) {
  run r;
  uint8_t valid = 0, check[CHECK], digest[32];
  size_t need, pad;
  uint32_t end;
  int rc, found;
  if (c == NULL || h == NULL || io == NULL || io->read == NULL || io->erase == NULL || io->write == NULL ||
      io->load_cell == NULL || io->save_cell == NULL || io->read_patch == NULL || (work == NULL && work_size > 0))
    return SD_PATCH_ERR_PARAM;
  if (!h->in_place) return SD_PATCH_ERR_UNSUPPORTED;
  /* The work buffer: the applier's, then one write unit (from a 4-byte aligned start). */
  need = sd_patch_work_required(h, 0);
  pad = (size_t)(0u - (uintptr_t)work) & 3u;
  if (work_size < pad || work_size - pad < need + h->write_unit) return SD_PATCH_ERR_NO_MEMORY;
  memset(&r, 0, sizeof r);
  r.h = h;
  r.io = io;
  r.pending = (uint8_t *)work + pad + need;
  found = load_record(&r, &valid, check);
  if (found < 0) return found;
  if (found && r.done > h->units) return SD_PATCH_ERR_CORRUPT;
  if (!found) {
    rc = sd_patch_check_base(h, SD_PATCH_SIZE_UNKNOWN, read_slot, &r);
    if (rc) return rc;
    /* A first pass that would commit units before the program's end: a dry run checks the payload first. */
    if (h->units > 0) {
      rc = stretch_end(&r, 0, &end);
      if (rc == SD_PATCH_OK && end < h->new_size) rc = pass(&r, c, work, need + pad, 1);
      if (rc) return rc;
    }
  }
  if (found && valid) {
    rc = hash_area(&r, SD_INPLACE_SCRATCH, h->erase_unit, digest);
    if (rc) return rc;
    if (!sd_equal(digest, check, CHECK)) return SD_PATCH_ERR_CORRUPT; /* the scratch is not what was recorded */
    rc = commit(&r);
    if (rc) return rc;
  }
  while (r.done < h->units) {
    rc = pass(&r, c, work, need + pad, 0);
    if (rc) return rc;
  }
  rc = hash_area(&r, SD_INPLACE_SLOT, h->new_size, digest);
  if (rc) return rc;
  return sd_equal(digest, h->new_sha256, 32) ? SD_PATCH_OK : SD_PATCH_ERR_RESULT_HASH;
}
