/*
 * Resumable two-slot application (docs/DEVICE.md, "Resuming a two-slot
 * update"): the new image goes into the slot erase unit by erase unit, each
 * unit erased just before its first write, and the record "u + 1 units
 * done" is saved once unit u is written. A reset during an erase or a write
 * leaves the record at u: the unit is erased and written again. The old
 * image is never written, so a resumed run decodes from the start reading
 * it as the first run did, and discards the output below the resumed unit.
 * The same steps as src/inplace/two-slot.ts.
 */
#include <string.h>

#include "sd_resume.h"
#include "sd_patch_internal.h"
#include "sd_progress.h"

typedef struct two_slot {
  const sd_patch_header *h;
  const sd_resume_geometry *g;
  const sd_inplace_io *io;
  uint8_t *pending;              /* one write unit of output */
  uint32_t from, position;       /* output below from is in the slot already; output so far */
  uint32_t done, seq;            /* units recorded done; the last record's sequence */
  uint32_t filled, pending_len;  /* bytes written into unit `done`; bytes in pending */
  int err;                       /* a flash or record error inside new_write */
} two_slot;

static int old_read(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  const two_slot *t = (const two_slot *)user;
  return t->io->read(t->io->user, SD_RESUME_OLD, offset, buf, len);
}

static int patch_read(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  const two_slot *t = (const two_slot *)user;
  return t->io->read_patch(t->io->user, offset, buf, len);
}

/* Unit `done` is written: record it. */
static int unit_done(two_slot *t) {
  int rc = sd_progress_save(t->io, t->h->new_sha256, &t->seq, t->done + 1u, NULL);
  if (rc == SD_PATCH_OK) {
    t->done++;
    t->filled = 0;
  }
  return rc;
}

/* The pending write unit into unit `done`, erased first when it starts. */
static int flush(two_slot *t) {
  const sd_resume_geometry *g = t->g;
  if (t->filled == 0 && t->io->erase(t->io->user, SD_INPLACE_SLOT, t->done) != 0) return SD_PATCH_ERR_IO;
  if (t->io->write(t->io->user, SD_INPLACE_SLOT, t->done * g->erase_unit + t->filled, t->pending, g->write_unit) != 0)
    return SD_PATCH_ERR_IO;
  t->filled += g->write_unit;
  t->pending_len = 0;
  return t->filled == g->erase_unit ? unit_done(t) : SD_PATCH_OK;
}

static int new_write(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  two_slot *t = (two_slot *)user;
  uint32_t n = (uint32_t)len, skip = t->position < t->from ? t->from - t->position : 0;
  (void)offset; /* the applier writes in order: offset is the position */
  t->position += n;
  if (skip >= n) return 0;
  buf += skip;
  n -= skip;
  while (n > 0) {
    uint32_t k = t->g->write_unit - t->pending_len;
    if (k > n) k = n;
    memcpy(t->pending + t->pending_len, buf, k);
    t->pending_len += k;
    buf += k;
    n -= k;
    if (t->pending_len == t->g->write_unit && (t->err = flush(t)) != SD_PATCH_OK) return 1;
  }
  return 0;
}

/* The whole payload through the applier, then the last unit (padded with erased bytes) and its record. */
static int decode(two_slot *t, sd_patch_ctx *c, void *work, size_t work_size) {
  const sd_patch_header *h = t->h;
  int rc = sd_patch_init(c, h, work, work_size, old_read, new_write, patch_read, t);
  if (rc == SD_PATCH_OK) rc = sd_progress_feed(t->io, c, h);
  if (t->err) return t->err;
  /* The applier's own hash covers the discarded output too: the old image is intact, so it is exact. */
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(c);
  if (rc == SD_PATCH_OK && t->pending_len > 0) {
    memset(t->pending + t->pending_len, 0xFF, t->g->write_unit - t->pending_len);
    rc = flush(t);
  }
  if (rc == SD_PATCH_OK && t->filled > 0) rc = unit_done(t);
  return rc;
}

int sd_patch_apply_two_slot(sd_patch_ctx *c, const sd_patch_header *h, const sd_resume_geometry *g, void *work,
                            size_t work_size, const sd_inplace_io *io) {
  two_slot t;
  uint8_t valid = 0, check[SD_PROGRESS_CHECK], digest[32];
  size_t applier_size;
  uint32_t units;
  int rc, found;
  if (c == NULL || h == NULL || g == NULL || io == NULL || io->read == NULL || io->erase == NULL ||
      io->write == NULL || io->load_cell == NULL || io->save_cell == NULL || io->read_patch == NULL ||
      (work == NULL && work_size > 0) || g->write_unit == 0 || g->erase_unit == 0 ||
      g->erase_unit % g->write_unit != 0)
    return SD_PATCH_ERR_PARAM;
#ifdef SD_PATCH_WITH_INPLACE
  if (h->in_place) return SD_PATCH_ERR_UNSUPPORTED;
#endif
  units = h->new_size / g->erase_unit + (h->new_size % g->erase_unit != 0);
  if (units > g->slot_size / g->erase_unit) return SD_PATCH_ERR_UNSUPPORTED;
  memset(&t, 0, sizeof t);
  t.h = h;
  t.g = g;
  t.io = io;
  t.pending = sd_progress_unit_buffer(h, work, work_size, g->write_unit);
  if (t.pending == NULL) return SD_PATCH_ERR_NO_MEMORY;
  applier_size = (size_t)(t.pending - (uint8_t *)work);
  found = sd_progress_load(io, h->new_sha256, &t.seq, &t.done, &valid, check);
  if (found < 0) return found;
  if (found && (valid || t.done > units)) return SD_PATCH_ERR_CORRUPT; /* not a two-slot record of this patch */
  rc = sd_patch_check_base(h, SD_PATCH_SIZE_UNKNOWN, old_read, &t);
  if (rc) return rc;
  if (!found || t.done < units) {
    t.from = t.done * g->erase_unit;
    rc = decode(&t, c, work, applier_size);
    if (rc) return rc;
  }
  rc = sd_progress_hash(io, SD_INPLACE_SLOT, h->new_size, digest);
  if (rc) return rc;
  return sd_equal(digest, h->new_sha256, 32) ? SD_PATCH_OK : SD_PATCH_ERR_RESULT_HASH;
}

int sd_patch_resume(sd_patch_ctx *c, const sd_patch_header *h, const sd_resume_geometry *g, void *work,
                    size_t work_size, const sd_inplace_io *io) {
#ifdef SD_PATCH_WITH_INPLACE
  if (h != NULL && h->in_place) {
    if (g == NULL) return SD_PATCH_ERR_PARAM;
    if (g->erase_unit != h->erase_unit || g->write_unit != h->write_unit || g->slot_size < h->slot_size)
      return SD_PATCH_ERR_UNSUPPORTED;
    return sd_patch_apply_in_place(c, h, work, work_size, io);
  }
#endif
  return sd_patch_apply_two_slot(c, h, g, work, work_size, io);
}
