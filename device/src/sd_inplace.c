/*
 * In-place application with resume (docs/DEVICE.md, "Single slot"): unit by
 * unit in the patch's write order, each unit built into the scratch unit,
 * recorded with its check, then copied over the slot's unit and recorded as
 * done. Every pass of the decoder starts from the payload's start and
 * discards the output below the unit it builds without reading the slot for
 * it (read_old answers zeros there). The same steps as src/inplace/apply.ts.
 *
 * A stash window (docs/FORMAT.md, "Stash windows") saves old ranges in the
 * scratch unit, recorded with their check, before any of its units is erased;
 * its units are then erased and written directly, and read_old answers the
 * stashed ranges from the scratch and the unit being written as erased.
 */
#include <string.h>

#include "sd_inplace.h"
#include "sd_patch_internal.h"
#include "sd_progress.h"

#define CHECK 8u

typedef struct run {
  const sd_patch_header *h;
  const sd_inplace_io *io;
  uint8_t *pending;                /* one write unit of output */
  uint32_t from, to, position;     /* this pass: output kept in [from, to) */
  uint32_t filled, pending_len;    /* of the unit being built in the scratch */
  uint32_t done, seq;              /* units committed; the last record's sequence */
  int started, stop, err;
  /* The window the unit `done` is in (win_count 0: none), its ranges in the patch, the stash's check. */
  uint32_t win_first, win_count, win_ranges, win_range_count;
  int in_win;      /* the unit `done` is in the window above */
  int stash_ready; /* the scratch holds that window's stash, recorded */
  uint8_t stash_check[CHECK];
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

static int find_window(run *r, uint32_t k, int check);

/* Where a pass that starts at the k-th unit written stops: after the units
 * that follow it upwards in the slot, and before a stash window's start (its
 * stash is written between passes). Leaves r's window as found for k + 1. */
static int stretch_end(run *r, uint32_t k, uint32_t *end) {
  uint32_t u, next;
  int rc = unit_at(r, k, &u);
  while (rc == SD_PATCH_OK && k + 1u < r->h->units) {
    rc = unit_at(r, k + 1u, &next);
    if (rc || next != u + 1u || (rc = find_window(r, k + 1u, 0)) != SD_PATCH_OK || (r->win_count && r->win_first == k + 1u)) break;
    u = next;
    k++;
  }
  u = (u + 1u) * r->h->erase_unit;
  *end = u < r->h->new_size ? u : r->h->new_size;
  return rc;
}

/* A uvarint of the patch at *at, by the header's rule (docs/FORMAT.md,
 * "Integers"): at most 5 bytes, minimal, below 2^32. */
static int patch_uvarint(run *r, uint32_t *at, uint32_t *v) {
  uint8_t b;
  uint32_t shift;
  *v = 0;
  for (shift = 0; shift < 35u; shift += 7u) {
    if (r->io->read_patch(r->io->user, (*at)++, &b, 1) != 0) return SD_PATCH_ERR_IO;
    *v |= (uint32_t)(b & 0x7Fu) << shift;
    if (b < 0x80u) return (b == 0 && shift > 0) || (shift == 28u && b > 0x0Fu) ? SD_PATCH_ERR_CORRUPT : SD_PATCH_OK;
  }
  return SD_PATCH_ERR_CORRUPT;
}

/* Finds the window of the k-th unit written (win_count 0 when none). With
 * check set, also checks every window against the rules of src/inplace/
 * stash.ts (stashProblem): windows follow each other, 2 to 8 units inside the
 * order, 1 to 1024 increasing ranges inside the old image, each inside one
 * unit of its window, at most one erase unit in all, and exactly the stash's
 * length of bytes. */
static int find_window(run *r, uint32_t k, int check) {
  const sd_patch_header *h = r->h;
  uint32_t at = h->stash_offset, n, i, j, end = 0, first, count, ranges, start, len, total, prev, unit, u;
  int rc;
  r->win_count = 0;
  if (h->stash_length == 0) return SD_PATCH_OK;
  if ((rc = patch_uvarint(r, &at, &n)) != SD_PATCH_OK) return rc;
  if (n < 1u || n > 32u) return SD_PATCH_ERR_CORRUPT;
  for (i = 0; i < n; i++) {
    if ((rc = patch_uvarint(r, &at, &first)) || (rc = patch_uvarint(r, &at, &count)) || (rc = patch_uvarint(r, &at, &ranges))) return rc;
    if (first > h->units - end || count < 2u || count > 8u || count > h->units - end - first || ranges < 1u || ranges > 1024u)
      return SD_PATCH_ERR_CORRUPT;
    first += end;
    end = first + count;
    if (k >= first && k < end) {
      r->win_first = first;
      r->win_count = count;
      r->win_ranges = at;
      r->win_range_count = ranges;
      if (!check) return SD_PATCH_OK;
    }
    for (j = 0, total = 0, prev = 0; j < ranges; j++) {
      if ((rc = patch_uvarint(r, &at, &start)) || (rc = patch_uvarint(r, &at, &len))) return rc;
      if (!check) continue;
      if (start > h->old_size - prev || len < 1u || len > h->old_size - prev - start) return SD_PATCH_ERR_CORRUPT;
      start += prev;
      prev = start + len;
      unit = start / h->erase_unit;
      total += len;
      if ((prev - 1u) / h->erase_unit != unit || total > h->erase_unit) return SD_PATCH_ERR_CORRUPT;
      for (u = 0; u < count; u++) { /* the range's unit is one of the window's */
        uint32_t w;
        if ((rc = unit_at(r, first + u, &w)) != SD_PATCH_OK) return rc;
        if (w == unit) break;
      }
      if (u == count) return SD_PATCH_ERR_CORRUPT;
    }
  }
  return check && at != h->stash_offset + h->stash_length ? SD_PATCH_ERR_CORRUPT : SD_PATCH_OK;
}

/* in_win (and the window) for the unit `done`; the window is looked up
 * again only when done leaves the one found. */
static int locate(run *r) {
  int rc = SD_PATCH_OK;
  if (r->win_count == 0 || r->done < r->win_first || r->done >= r->win_first + r->win_count)
    rc = r->done < r->h->units ? find_window(r, r->done, 0) : (r->win_count = 0, SD_PATCH_OK);
  r->in_win = r->win_count && r->done >= r->win_first && r->done < r->win_first + r->win_count;
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
  return rc ? rc : locate(r);
}

/* The pending write unit to an area at base + filled. */
static int flush(run *r, int area, uint32_t base) {
  int rc = io_rc(r->io->write(r->io->user, area, base + r->filled, r->pending, r->h->write_unit));
  r->filled += r->h->write_unit;
  r->pending_len = 0;
  return rc;
}

/* The pending write unit to the unit being built: the scratch, or the
 * slot's own unit in a window. */
static int write_pending(run *r) {
  uint32_t unit = 0;
  int rc = r->in_win ? unit_at(r, r->done, &unit) : SD_PATCH_OK;
  return rc ? rc : flush(r, r->in_win ? SD_INPLACE_SLOT : SD_INPLACE_SCRATCH, unit * r->h->erase_unit);
}

/* A window's start: its stash into the scratch unit (the ranges one after
 * the other, read from the slot, whose window units are all still old),
 * padded with erased bytes, then recorded with its check. */
static int enter(run *r) {
  uint32_t at, j, start = 0, len, prev = 0, n;
  uint8_t digest[32];
  int rc = locate(r);
  if (rc || !r->in_win || r->done != r->win_first || r->stash_ready) return rc;
  if (r->io->erase(r->io->user, SD_INPLACE_SCRATCH, 0) != 0) return SD_PATCH_ERR_IO;
  r->filled = 0;
  r->pending_len = 0;
  at = r->win_ranges;
  for (j = 0; j < r->win_range_count; j++) {
    if ((rc = patch_uvarint(r, &at, &start)) || (rc = patch_uvarint(r, &at, &len))) return rc;
    start += prev;
    prev = start + len;
    while (len > 0) {
      n = r->h->write_unit - r->pending_len;
      if (n > len) n = len;
      if (r->io->read(r->io->user, SD_INPLACE_SLOT, start, r->pending + r->pending_len, n) != 0) return SD_PATCH_ERR_IO;
      r->pending_len += n;
      start += n;
      len -= n;
      if (r->pending_len == r->h->write_unit && (rc = flush(r, SD_INPLACE_SCRATCH, 0)) != SD_PATCH_OK) return rc;
    }
  }
  if (r->pending_len > 0) {
    memset(r->pending + r->pending_len, 0xFF, r->h->write_unit - r->pending_len);
    if ((rc = flush(r, SD_INPLACE_SCRATCH, 0)) != SD_PATCH_OK) return rc;
  }
  r->filled = 0;
  r->pending_len = 0;
  rc = hash_area(r, SD_INPLACE_SCRATCH, r->h->erase_unit, digest);
  if (rc) return rc;
  memcpy(r->stash_check, digest, CHECK);
  rc = save_record(r, r->done, r->stash_check);
  r->stash_ready = rc == SD_PATCH_OK;
  return rc;
}

static int finish_unit(run *r) {
  uint8_t digest[32];
  int rc, same;
  r->started = 0;
  r->filled = 0;
  if (r->in_win) { /* written in the slot: done, the stash still valid for the window's next unit */
    same = r->done + 1u < r->win_first + r->win_count;
    r->stash_ready = same;
    rc = save_record(r, r->done + 1u, same ? r->stash_check : NULL);
    if (rc == SD_PATCH_OK) r->done++;
    return rc ? rc : locate(r);
  }
  rc = hash_area(r, SD_INPLACE_SCRATCH, r->h->erase_unit, digest);
  if (rc == SD_PATCH_OK) rc = save_record(r, r->done, digest);
  return rc ? rc : commit(r);
}

/* Output bytes of the unit being built, into the scratch unit. */
static int build(run *r, const uint8_t *p, uint32_t n) {
  int rc = SD_PATCH_OK;
  while (n > 0 && rc == SD_PATCH_OK) {
    uint32_t k = r->h->write_unit - r->pending_len;
    if (!r->started) {
      uint32_t unit = 0;
      if (r->in_win && (rc = unit_at(r, r->done, &unit)) != SD_PATCH_OK) return rc;
      if (r->io->erase(r->io->user, r->in_win ? SD_INPLACE_SLOT : SD_INPLACE_SCRATCH, unit) != 0) return SD_PATCH_ERR_IO;
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

/* Inside a window: the stashed ranges from the scratch, the unit being
 * written as erased, the rest from the slot (docs/FORMAT.md). */
static int read_in_window(run *r, uint32_t offset, uint8_t *buf, uint32_t len) {
  uint32_t at = r->win_ranges, j, start, n, prev = 0, stashed = 0, e = r->h->erase_unit, unit, end = offset + len, p;
  int rc = unit_at(r, r->done, &unit);
  if (rc) return 1;
  /* The slot, with the unit being written as erased bytes. */
  for (p = offset; p < end; p = n) {
    n = (p / e + 1u) * e < end ? (p / e + 1u) * e : end;
    if (p / e == unit) memset(buf + (p - offset), 0xFF, n - p);
    else if (r->io->read(r->io->user, SD_INPLACE_SLOT, p, buf + (p - offset), n - p) != 0) return 1;
  }
  /* Then the ranges that overlap [offset, end), from the scratch. */
  for (j = 0; j < r->win_range_count && prev < end; j++) {
    if (patch_uvarint(r, &at, &start) || patch_uvarint(r, &at, &n)) return 1;
    start += prev;
    prev = start + n;
    if (prev > offset && start < end) {
      uint32_t a = start > offset ? start : offset, b = prev < end ? prev : end;
      if (r->io->read(r->io->user, SD_INPLACE_SCRATCH, stashed + (a - start), buf + (a - offset), b - a) != 0) return 1;
    }
    stashed += n;
  }
  return 0;
}

static int read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  run *r = (run *)user;
  if (r->position < r->from) { /* output discarded: nothing is read */
    memset(buf, 0, len);
    return 0;
  }
  if (r->in_win) return read_in_window(r, offset, buf, (uint32_t)len);
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
    if (rc == SD_PATCH_OK) rc = locate(r);
    if (rc) return rc;
    r->from = unit * h->erase_unit;
  }
  rc = sd_patch_init(c, h, work, work_size, read_old, write_new, read_patch, r);
  if (rc == SD_PATCH_OK) rc = sd_progress_feed(r->io, c, h);
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
  size_t applier_size;
  uint32_t end;
  int rc, found;
  if (c == NULL || h == NULL || io == NULL || io->read == NULL || io->erase == NULL || io->write == NULL ||
      io->load_cell == NULL || io->save_cell == NULL || io->read_patch == NULL || (work == NULL && work_size > 0))
    return SD_PATCH_ERR_PARAM;
  if (!h->in_place) return SD_PATCH_ERR_UNSUPPORTED;
  memset(&r, 0, sizeof r);
  r.h = h;
  r.io = io;
  r.pending = sd_progress_unit_buffer(h, work, work_size, h->write_unit);
  if (r.pending == NULL) return SD_PATCH_ERR_NO_MEMORY;
  applier_size = (size_t)(r.pending - (uint8_t *)work);
  /* The stash windows are checked before anything else, as the TypeScript reader checks them with the header. */
  if (h->stash_length && (rc = find_window(&r, h->units, 1)) != SD_PATCH_OK) return rc;
  found = load_record(&r, &valid, check);
  if (found < 0) return found;
  if (found && r.done > h->units) return SD_PATCH_ERR_CORRUPT;
  if (!found) {
    rc = sd_patch_check_base(h, SD_PATCH_SIZE_UNKNOWN, read_slot, &r);
    if (rc) return rc;
    /* A first pass that would commit units before the program's end: a dry run checks the payload first. */
    if (h->units > 0) {
      rc = stretch_end(&r, 0, &end);
      if (rc == SD_PATCH_OK && end < h->new_size) rc = pass(&r, c, work, applier_size, 1);
      if (rc) return rc;
    }
  }
  if ((rc = locate(&r)) != SD_PATCH_OK) return rc;
  if (found && valid) {
    rc = hash_area(&r, SD_INPLACE_SCRATCH, h->erase_unit, digest);
    if (rc) return rc;
    if (!sd_equal(digest, check, CHECK)) return SD_PATCH_ERR_CORRUPT; /* the scratch is not what was recorded */
    /* In a window the scratch holds its stash; elsewhere the unit built, still to be committed. */
    if (r.in_win) {
      memcpy(r.stash_check, check, CHECK);
      r.stash_ready = 1;
    } else if ((rc = commit(&r)) != SD_PATCH_OK) {
      return rc;
    }
  } else if (r.in_win && r.done != r.win_first) {
    return SD_PATCH_ERR_CORRUPT; /* inside a window without its stash */
  }
  while (r.done < h->units) { /* passes end before a window: its stash is written here */
    rc = enter(&r);
    if (rc == SD_PATCH_OK) rc = pass(&r, c, work, applier_size, 0);
    if (rc) return rc;
  }
  rc = hash_area(&r, SD_INPLACE_SLOT, h->new_size, digest);
  if (rc) return rc;
  return sd_equal(digest, h->new_sha256, 32) ? SD_PATCH_OK : SD_PATCH_ERR_RESULT_HASH;
}
