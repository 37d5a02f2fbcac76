/*
 * Host test driver for sd_inplace and sd_resume (built with
 * -DSD_PATCH_WITH_INPLACE): a flash model with power cuts, as
 * test/inplace/flash-model.ts.
 *
 *   inplace_cli OLD NEW PATCH CUTS SEED [BOUNDARIES [LO:HI | ERASE WRITE [SLOT CELLS]]]
 *
 * Applies the in-place PATCH over OLD in a modelled slot (erase units and
 * write units of the patch's geometry, erased state 0xFF, a scratch unit and
 * two 32-byte record cells) through sd_patch_resume; a two-slot PATCH goes to
 * a second slot of ERASE-byte erase units and WRITE-byte write units (the new
 * image's size rounded up to units, holding pseudo-random bytes at first),
 * OLD staying in a read-only slot of its own. SLOT and CELLS (two-slot only):
 * files holding that second slot and the two cells as another applier (the
 * TypeScript one) left them after a cut; the driver then resumes once from
 * them without a cut, and must end with NEW ("resumed=1 ops=<n> cells=<the
 * two cells in hex>"), or, when CUTS is not 0, cuts power at operation CUTS
 * (from 0) of that run and writes the slot and cells it leaves back to SLOT
 * and CELLS ("cut=<CUTS>"; a run that ends before that operation resumes as
 * without a cut). Otherwise it
 * applies once without a cut, counting its flash and record
 * operations; then CUTS times cuts power at a random operation (and also at
 * every erase and at the first and last write into every unit of the clean
 * run, unless BOUNDARIES is 0), which leaves the unit, write unit or cell it touched with random
 * bytes; every second time cuts again during the resume; then resumes until
 * the run returns. A run that returns OK must leave exactly NEW in the slot.
 * LO:HI keeps the cuts (random and boundary ones) to the clean run's
 * operations LO to HI - 1 (a stash window, say: docs/FORMAT.md).
 * Prints "ops=<clean run's operations> cuts=<n> second=<n> resumes=<n>",
 * then "erases=<operation of each slot erase of the clean run, in order>".
 * The work buffer is exactly the minimum (sd_patch_work_required and one write
 * unit), or that plus the environment's INPLACE_CLI_SPARE bytes (-1: one short).
 * Exit: 0 ok; 65 a run failed otherwise than by the cut; 66 a wrong image
 * passed the final check; 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_inplace.h"
#include "sd_resume.h"
#include "driver_io.h"

enum { OP_ERASE = 1, OP_WRITE = 2, OP_RECORD = 3 };

struct flash {
  uint8_t *slot, *scratch, cells[2][32];
  uint32_t slot_size, erase, write_unit;
  const uint8_t *patch;
  size_t patch_len;
  unsigned long ops, cut_at; /* the operation that loses power */
  int dead;
  uint8_t *log_kind;   /* clean run: per operation, kind and (unit + 1, 0 for scratch/record) */
  uint32_t *log_unit;
  unsigned long log_cap;
  int bad;
  int two_slot;          /* the patch is two-slot: slot is the new image's slot */
  const uint8_t *old;    /* two-slot: the old image's slot (SD_RESUME_OLD), read only */
  size_t old_len;
  uint8_t *initial;      /* two-slot: the new slot's bytes before the update */
};

static void randomize(uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) p[i] = (uint8_t)rng_next();
}

/* Counts an operation; 1 when power fails during it. */
static int tick(struct flash *f, int kind, uint32_t unit) {
  if (f->log_kind && f->ops < f->log_cap) {
    f->log_kind[f->ops] = (uint8_t)kind;
    f->log_unit[f->ops] = unit;
  }
  return f->ops++ == f->cut_at;
}

static int f_read(void *user, int area, uint32_t offset, uint8_t *buf, size_t len) {
  struct flash *f = user;
  uint32_t size = area == SD_INPLACE_SLOT ? f->slot_size : f->erase;
  if (f->dead) return -1;
  if (area == SD_RESUME_OLD || (f->two_slot && area != SD_INPLACE_SLOT)) {
    if (area != SD_RESUME_OLD || !f->two_slot || offset > f->old_len || len > f->old_len - offset) {
      f->bad = 1;
      return -1;
    }
    memcpy(buf, f->old + offset, len);
    return 0;
  }
  if (offset > size || len > size - offset) {
    f->bad = 1;
    return -1;
  }
  memcpy(buf, (area == SD_INPLACE_SLOT ? f->slot : f->scratch) + offset, len);
  return 0;
}

static int f_erase(void *user, int area, uint32_t unit) {
  struct flash *f = user;
  uint8_t *base = area == SD_INPLACE_SLOT ? f->slot : f->scratch;
  if (f->dead) return -1;
  if ((area == SD_INPLACE_SLOT && (unit + 1u) * f->erase > f->slot_size) || (area != SD_INPLACE_SLOT && unit != 0) ||
      (area != SD_INPLACE_SLOT && (f->two_slot || area != SD_INPLACE_SCRATCH))) {
    f->bad = 1;
    return -1;
  }
  if (tick(f, OP_ERASE, area == SD_INPLACE_SLOT ? unit + 1u : 0)) {
    randomize(base + unit * f->erase, f->erase);
    f->dead = 1;
    return -1;
  }
  memset(base + unit * f->erase, 0xFF, f->erase);
  return 0;
}

static int f_write(void *user, int area, uint32_t offset, const uint8_t *buf, size_t len) {
  struct flash *f = user;
  uint8_t *base = area == SD_INPLACE_SLOT ? f->slot : f->scratch;
  uint32_t size = area == SD_INPLACE_SLOT ? f->slot_size : f->erase;
  size_t i, units = len / f->write_unit, torn;
  if (f->dead) return -1;
  if (offset % f->write_unit || len % f->write_unit || offset > size || len > size - offset ||
      (area != SD_INPLACE_SLOT && (f->two_slot || area != SD_INPLACE_SCRATCH))) {
    f->bad = 1;
    return -1;
  }
  for (i = 0; i < len; i++)
    if (base[offset + i] != 0xFF) { /* written twice without an erase */
      f->bad = 1;
      return -1;
    }
  if (tick(f, OP_WRITE, area == SD_INPLACE_SLOT ? offset / f->erase + 1u : 0)) {
    torn = units ? rng_next() % units : 0;
    memcpy(base + offset, buf, torn * f->write_unit);
    randomize(base + offset + torn * f->write_unit, f->write_unit);
    f->dead = 1;
    return -1;
  }
  memcpy(base + offset, buf, len);
  return 0;
}

static int f_load(void *user, unsigned cell, uint8_t rec[32]) {
  struct flash *f = user;
  if (f->dead) return -1;
  memcpy(rec, f->cells[cell & 1u], 32);
  return 0;
}

static int f_save(void *user, unsigned cell, const uint8_t rec[32]) {
  struct flash *f = user;
  unsigned i;
  if (f->dead) return -1;
  if (tick(f, OP_RECORD, 0)) {
    for (i = 0; i < 32u; i++) {
      uint32_t x = rng_next() % 10u;
      if (x < 4u) f->cells[cell & 1u][i] = rec[i];
      else if (x < 6u) f->cells[cell & 1u][i] = (uint8_t)rng_next();
    }
    f->dead = 1;
    return -1;
  }
  memcpy(f->cells[cell & 1u], rec, 32);
  return 0;
}

static int f_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  struct flash *f = user;
  if (offset > f->patch_len || len > f->patch_len - offset) {
    f->bad = 1;
    return -1;
  }
  memcpy(buf, f->patch + offset, len);
  return 0;
}

static sd_patch_ctx ctx;
static sd_resume_geometry geometry;

/* One run (until it returns); the flash keeps its state. */
static int run_once(struct flash *f, const sd_patch_header *h, uint8_t *work, size_t work_size, unsigned long cut_at) {
  sd_inplace_io io;
  io.read = f_read;
  io.erase = f_erase;
  io.write = f_write;
  io.load_cell = f_load;
  io.save_cell = f_save;
  io.read_patch = f_patch;
  io.user = f;
  f->ops = 0;
  f->cut_at = cut_at;
  f->dead = 0;
  return sd_patch_resume(&ctx, h, &geometry, work, work_size, &io);
}

static void reset(struct flash *f, const uint8_t *old, size_t old_len) {
  memset(f->slot, 0xFF, f->slot_size);
  if (f->two_slot) memcpy(f->slot, f->initial, f->slot_size);
  else memcpy(f->slot, old, old_len);
  memset(f->scratch, 0xFF, f->erase);
  memset(f->cells, 0xFF, sizeof f->cells);
}

int main(int argc, char **argv) {
  size_t old_len, new_len, header_len, work_size;
  uint8_t *old, *neu, *patch, *work = NULL;
  sd_patch_header h;
  struct flash f;
  unsigned long total, i, n_cuts, cuts = 0, second = 0, resumes = 0, *points = NULL, n_points = 0, lo = 0, hi = 0, *erases = NULL, n_erases = 0;
  int rc, status = 0;
  long spare;
  char *colon;
  if (argc < 6 || argc > 11 || argc == 10) {
    fprintf(stderr, "usage: inplace_cli OLD NEW PATCH CUTS SEED [BOUNDARIES [LO:HI | ERASE WRITE [SLOT CELLS]]]\n");
    return 64;
  }
  old = read_file(argv[1], &old_len);
  neu = read_file(argv[2], &new_len);
  memset(&f, 0, sizeof f);
  patch = read_file(argv[3], &f.patch_len);
  f.patch = patch;
  n_cuts = strtoul(argv[4], NULL, 10);
  rng_state = (uint32_t)strtoul(argv[5], NULL, 10) | 1u;
  if (!old || !neu || !patch) return 64;
  rc = sd_patch_parse_header(patch, f.patch_len, &h, &header_len);
  if (rc != SD_PATCH_OK || (!h.in_place && argc < 9) || h.new_size != new_len) {
    printf("result=header %d\n", rc);
    status = 65;
    goto done;
  }
  if (h.in_place) {
    geometry.slot_size = h.slot_size;
    geometry.erase_unit = h.erase_unit;
    geometry.write_unit = h.write_unit;
  } else { /* two-slot: the new slot is the new image rounded up to erase units */
    geometry.erase_unit = (uint32_t)strtoul(argv[7], NULL, 10);
    geometry.write_unit = (uint32_t)strtoul(argv[8], NULL, 10);
    if (geometry.erase_unit == 0 || geometry.write_unit == 0 || geometry.erase_unit % geometry.write_unit) return 64;
    geometry.slot_size = ((uint32_t)new_len + geometry.erase_unit - 1u) / geometry.erase_unit * geometry.erase_unit;
    if (geometry.slot_size == 0) geometry.slot_size = geometry.erase_unit;
    f.two_slot = 1;
    f.old = old;
    f.old_len = old_len;
  }
  f.slot_size = geometry.slot_size;
  f.erase = geometry.erase_unit;
  f.write_unit = geometry.write_unit;
  f.slot = malloc(f.slot_size);
  f.scratch = malloc(f.erase);
  if (f.two_slot) { /* what the slot held before: anything */
    f.initial = malloc(f.slot_size);
    randomize(f.initial, f.slot_size);
  }
  /* The applier's minimum and one write unit (malloc aligns it), plus INPLACE_CLI_SPARE bytes (may be -1). */
  spare = getenv("INPLACE_CLI_SPARE") ? strtol(getenv("INPLACE_CLI_SPARE"), NULL, 10) : 0;
  work_size = (size_t)((long)(sd_patch_work_required(&h, 0) + geometry.write_unit) + spare);
  work = malloc(work_size);
  if (argc == 11) { /* resume from another applier's slot and cells */
    size_t slot_len, cells_len;
    uint8_t *slot = read_file(argv[9], &slot_len), *cells = read_file(argv[10], &cells_len);
    if (!f.two_slot || !slot || !cells || slot_len != f.slot_size || cells_len != sizeof f.cells) return 64;
    reset(&f, old, old_len);
    memcpy(f.slot, slot, slot_len);
    memcpy(f.cells, cells, cells_len);
    rc = run_once(&f, &h, work, work_size, n_cuts ? n_cuts : (unsigned long)-1);
    if (n_cuts && rc == SD_PATCH_ERR_IO && f.dead && !f.bad) { /* cut: the state goes back to the files */
      FILE *out = fopen(argv[9], "wb");
      int ok = out && fwrite(f.slot, 1, f.slot_size, out) == f.slot_size;
      if (out && fclose(out) != 0) ok = 0;
      out = fopen(argv[10], "wb");
      ok = ok && out && fwrite(f.cells, 1, sizeof f.cells, out) == sizeof f.cells;
      if (out && fclose(out) != 0) ok = 0;
      printf("cut=%lu\n", n_cuts);
      status = ok ? 0 : 64;
    } else if (rc != SD_PATCH_OK || f.bad || memcmp(f.slot, neu, new_len) != 0) {
      printf("result=resume %d bad=%d\n", rc, f.bad);
      status = rc == SD_PATCH_OK && !f.bad ? 66 : 65;
    } else {
      unsigned k;
      printf("resumed=1 ops=%lu cells=", f.ops); /* the records, for the other applier to read */
      for (k = 0; k < sizeof f.cells; k++) printf("%02x", f.cells[k / 32u][k % 32u]);
      printf("\n");
    }
    free(slot);
    free(cells);
    points = NULL;
    goto done;
  }
  /* The clean run, logged. */
  f.log_cap = 1u << 22;
  f.log_kind = malloc(f.log_cap);
  f.log_unit = malloc(f.log_cap * sizeof *f.log_unit);
  reset(&f, old, old_len);
  rc = run_once(&f, &h, work, work_size, (unsigned long)-1);
  if (rc != SD_PATCH_OK || f.bad || memcmp(f.slot, neu, new_len) != 0) {
    printf("result=clean run %d bad=%d\n", rc, f.bad);
    status = 65;
    goto done;
  }
  total = f.ops;
  hi = total;
  if (argc == 8) {
    lo = strtoul(argv[7], &colon, 10);
    if (*colon == ':') hi = strtoul(colon + 1, NULL, 10);
    if (*colon != ':' || lo >= hi || hi > total) return 64;
  }
  /* Cut points: random ones, then every erase and the first and last write into each slot unit. */
  points = malloc((n_cuts + total) * sizeof *points);
  for (i = 0; i < n_cuts; i++) points[n_points++] = lo + rng_next() % (hi - lo);
  for (i = lo; i < hi && i < f.log_cap && (argc < 7 || strtoul(argv[6], NULL, 10) != 0); i++) {
    int kind = f.log_kind[i];
    uint32_t unit = f.log_unit[i];
    int first = kind == OP_WRITE && (i == 0 || f.log_kind[i - 1] != OP_WRITE || f.log_unit[i - 1] != unit);
    int last = kind == OP_WRITE && (i + 1 >= total || f.log_kind[i + 1] != OP_WRITE || f.log_unit[i + 1] != unit);
    if (kind == OP_ERASE || first || last || (f.two_slot && kind == OP_RECORD)) points[n_points++] = i;
  }
  /* The clean run's slot erases, one per unit in write order, printed at the end. */
  erases = malloc((total + 1u) * sizeof *erases);
  for (i = 0; i < total && i < f.log_cap; i++)
    if (f.log_kind[i] == OP_ERASE && f.log_unit[i] != 0) erases[n_erases++] = i;
  free(f.log_kind);
  f.log_kind = NULL; /* no more logging */
  for (i = 0; i < n_points; i++) {
    int run;
    reset(&f, old, old_len);
    rc = run_once(&f, &h, work, work_size, points[i]);
    for (run = 1; rc != SD_PATCH_OK && run < 4; run++) {
      if (rc != SD_PATCH_ERR_IO || !f.dead || f.bad) {
        printf("result=cut %lu run %d: %d bad=%d\n", points[i], run, rc, f.bad);
        status = 65;
        goto done;
      }
      if (run == 2) second++;
      resumes++;
      rc = run_once(&f, &h, work, work_size, run == 1 && i % 2u == 0 ? rng_next() % total : (unsigned long)-1);
    }
    if (rc != SD_PATCH_OK || f.bad) {
      printf("result=cut %lu: %d after resumes bad=%d\n", points[i], rc, f.bad);
      status = 65;
      goto done;
    }
    if (memcmp(f.slot, neu, new_len) != 0) {
      printf("result=WRONG IMAGE PASSED at cut %lu\n", points[i]);
      status = 66;
      goto done;
    }
    cuts++;
  }
  printf("ops=%lu cuts=%lu second=%lu resumes=%lu\nerases=", total, cuts, second, resumes);
  for (i = 0; i < n_erases; i++) printf(i ? ",%lu" : "%lu", erases[i]);
  printf("\n");
done:
  free(erases);
  free(points);
  free(f.log_kind);
  free(f.log_unit);
  free(work);
  free(f.slot);
  free(f.scratch);
  free(f.initial);
  free(old);
  free(neu);
  free(patch);
  return status;
}
