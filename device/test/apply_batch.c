/*
 * Batch host driver for the differential fuzz (test/hardening/fuzz-differential.test.ts): applies many
 * patches in one process, as apply_cli does one, so that a mutation costs well under a millisecond of C
 * time instead of a process start.
 *
 *   apply_batch FILE
 *
 * FILE is a sequence of records, integers little-endian:
 *   'O' u32 length, bytes              the old image for the patches that follow
 *   'P' u32 seed, u8 mode, u32 length, bytes
 *       a patch to apply to the current old image; seed drives the header prefix and payload chunk
 *       sizes (0: all at once); mode bit 0 streaming (no read_patch), bit 1 run the signature check
 *       with a hook that prints the signed message and accepts.
 * Prints one line per patch:
 *   <result> <sha256 of the output written, or -> <bytes written> <ram or -> <microseconds> [<message hex>]
 * where result is ok, wrong-base, corrupt, unsupported, no-memory, result-hash, signature, io, param, or
 * "bad" when the library broke the driver's contract (write out of order, read outside the old image or
 * the tables, an error that is not sticky); the reason goes to stderr. Exit code 0 unless the file is
 * malformed (64). Built with -DSD_PATCH_WITH_INPLACE (apply_batch_inplace), an in-place patch is applied
 * with sd_patch_apply_in_place over a flash model without power cuts: a slot of the size the host models
 * (the old image, then 0xFF), one unit of scratch, two record cells; the output is the slot's first new_size
 * bytes. The default build reports such a patch as unsupported.
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c99 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sd_patch.h"
#include "sd_sha256.h"
#ifdef SD_PATCH_WITH_INPLACE
#include "sd_inplace.h"
#endif
#include "driver_io.h"

struct io {
  const uint8_t *old;
  size_t old_len;
  const uint8_t *patch;
  size_t patch_len;
  size_t tables_at, tables_end; /* where read_patch may read while applying */
  uint32_t written;
  sd_sha256_ctx sha;
  int bad;
};

static int read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  struct io *io = user;
  if (len == 0 || offset > io->old_len || len > io->old_len - offset) {
    fprintf(stderr, "read_old outside the old image: offset %lu, %lu bytes\n", (unsigned long)offset, (unsigned long)len);
    io->bad = 1;
    return -1;
  }
  memcpy(buf, io->old + offset, len);
  return 0;
}

static int read_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  struct io *io = user;
  if (offset > io->patch_len || len > io->patch_len - offset) return -1;
  if (io->tables_end > 0 && (len == 0 || offset < io->tables_at || offset + len > io->tables_end)) {
    fprintf(stderr, "read_patch outside the tables: offset %lu, %lu bytes\n", (unsigned long)offset, (unsigned long)len);
    io->bad = 1;
    return -1;
  }
  memcpy(buf, io->patch + offset, len);
  return 0;
}

static int write_new(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  struct io *io = user;
  if (len == 0 || offset != io->written) {
    fprintf(stderr, "write_new out of order: offset %lu (expected %lu), %lu bytes\n", (unsigned long)offset,
            (unsigned long)io->written, (unsigned long)len);
    io->bad = 1;
    return -1;
  }
  io->written += (uint32_t)len;
  sd_sha256_update(&io->sha, buf, len);
  return 0;
}

static uint8_t signed_message[SD_PATCH_MESSAGE_SIZE];
static int message_seen;

static int verify_hook(const uint8_t msg[SD_PATCH_MESSAGE_SIZE], const uint8_t sig[SD_PATCH_SIGNATURE_SIZE],
                       const uint8_t key_id[SD_PATCH_KEY_ID_SIZE], void *user) {
  (void)sig;
  (void)key_id;
  (void)user;
  memcpy(signed_message, msg, SD_PATCH_MESSAGE_SIZE);
  message_seen = 1;
  return 0;
}

static const char *result_name(int rc) {
  static const char *const names[] = {"ok", "wrong-base", "corrupt", "unsupported", "no-memory",
                                      "result-hash", "signature", "io", "param"};
  return rc <= 0 && rc >= -8 ? names[-rc] : "unknown";
}

#ifdef SD_PATCH_WITH_INPLACE
/* A flash model without cuts, as src/inplace/flash.ts's MemoryFlash: erase to 0xFF, write only erased bytes. */
struct slot_flash {
  uint8_t *slot, *scratch, cells[2][SD_INPLACE_RECORD_SIZE];
  uint32_t slot_size, erase, write_unit;
  struct io *io;
};

static uint8_t *area_of(struct slot_flash *f, int area, uint32_t *size) {
  *size = area == SD_INPLACE_SLOT ? f->slot_size : f->erase;
  return area == SD_INPLACE_SLOT ? f->slot : f->scratch;
}

static int f_read(void *user, int area, uint32_t offset, uint8_t *buf, size_t len) {
  struct slot_flash *f = user;
  uint32_t size;
  const uint8_t *base = area_of(f, area, &size);
  if (offset > size || len > size - offset) {
    fprintf(stderr, "flash read outside the area: offset %lu, %lu bytes\n", (unsigned long)offset, (unsigned long)len);
    f->io->bad = 1;
    return -1;
  }
  memcpy(buf, base + offset, len);
  return 0;
}

static int f_erase(void *user, int area, uint32_t unit) {
  struct slot_flash *f = user;
  uint32_t size;
  uint8_t *base = area_of(f, area, &size);
  if (unit >= size / f->erase) {
    fprintf(stderr, "erase of unit %lu outside the area\n", (unsigned long)unit);
    f->io->bad = 1;
    return -1;
  }
  memset(base + (size_t)unit * f->erase, 0xFF, f->erase);
  return 0;
}

static int f_write(void *user, int area, uint32_t offset, const uint8_t *buf, size_t len) {
  struct slot_flash *f = user;
  uint32_t size;
  uint8_t *base = area_of(f, area, &size);
  size_t i;
  if (offset % f->write_unit || len % f->write_unit || offset > size || len > size - offset) {
    fprintf(stderr, "flash write not of whole units inside the area: offset %lu, %lu bytes\n", (unsigned long)offset, (unsigned long)len);
    f->io->bad = 1;
    return -1;
  }
  for (i = 0; i < len; i++)
    if (base[offset + i] != 0xFF) {
      fprintf(stderr, "flash write over unerased bytes at %lu\n", (unsigned long)(offset + i));
      f->io->bad = 1;
      return -1;
    }
  memcpy(base + offset, buf, len);
  return 0;
}

static int f_load(void *user, unsigned cell, uint8_t record[SD_INPLACE_RECORD_SIZE]) {
  memcpy(record, ((struct slot_flash *)user)->cells[cell & 1u], SD_INPLACE_RECORD_SIZE);
  return 0;
}

static int f_save(void *user, unsigned cell, const uint8_t record[SD_INPLACE_RECORD_SIZE]) {
  memcpy(((struct slot_flash *)user)->cells[cell & 1u], record, SD_INPLACE_RECORD_SIZE);
  return 0;
}

static int f_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  struct io *io = ((struct slot_flash *)user)->io;
  if (offset > io->patch_len || len > io->patch_len - offset) return -1;
  memcpy(buf, io->patch + offset, len);
  return 0;
}

/* The slot the host models (src/inplace/apply.ts slotNeeded): whole erase units for the larger image. */
static int apply_in_place(struct io *io, const sd_patch_header *h) {
  struct slot_flash f;
  sd_inplace_io fio;
  sd_patch_ctx ctx;
  size_t work_size = sd_patch_work_required(h, 0) + h->write_unit;
  uint32_t units = (h->old_size > h->new_size ? h->old_size : h->new_size) / h->erase_unit;
  uint8_t *work;
  int rc;
  if ((uint64_t)units * h->erase_unit < (h->old_size > h->new_size ? h->old_size : h->new_size)) units++;
  memset(&f, 0xFF, sizeof f);
  f.slot_size = units * h->erase_unit;
  f.erase = h->erase_unit;
  f.write_unit = h->write_unit;
  f.io = io;
  f.slot = malloc(f.slot_size ? f.slot_size : 1u);
  f.scratch = malloc(f.erase);
  work = malloc(work_size); /* exact size: ASan sees any overrun */
  if (!f.slot || !f.scratch || !work) {
    free(f.slot);
    free(f.scratch);
    free(work);
    return SD_PATCH_ERR_PARAM;
  }
  memset(f.slot, 0xFF, f.slot_size);
  memcpy(f.slot, io->old, io->old_len); /* check_base held: old_len is old_size, within the slot */
  memset(f.scratch, 0xFF, f.erase);
  fio.read = f_read;
  fio.erase = f_erase;
  fio.write = f_write;
  fio.load_cell = f_load;
  fio.save_cell = f_save;
  fio.read_patch = f_patch;
  fio.user = &f;
  rc = sd_patch_apply_in_place(&ctx, h, work, work_size, &fio);
  if (rc == SD_PATCH_OK) {
    sd_sha256_update(&io->sha, f.slot, h->new_size);
    io->written = h->new_size;
  }
  free(f.slot);
  free(f.scratch);
  free(work);
  return rc;
}
#endif

/* The default build with the fast lookups (docs/DEVICE.md, "Fast lookups and the speed build"): odd seeds
 * give the work buffer this much spare RAM, so the fuzz also runs the lookups from pairs; the in-place
 * build keeps the exact size. */
#ifndef SD_PATCH_WITH_INPLACE
#define FAST_SPARE 16384u
#else
#define FAST_SPARE 0u
#endif

/* apply_cli's sequence: header from a random prefix, size, trailer type, signature, base, payload. */
static int apply(struct io *io, int streaming, int verify, long *ram) {
  sd_patch_header h;
  sd_patch_ctx ctx;
  size_t header_len, work_size, at, end, prefix;
  uint8_t *work;
  int rc, is_signed;

  size_t spare = rng_state & 1u ? FAST_SPARE : 0u;
  prefix = rng_state ? rng_next() % (io->patch_len + 1u) : io->patch_len;
  rc = sd_patch_parse_header(io->patch, prefix, &h, &header_len);
  if (rc == SD_PATCH_NEED_MORE) rc = sd_patch_parse_header(io->patch, io->patch_len, &h, &header_len);
  if (rc == SD_PATCH_NEED_MORE) return SD_PATCH_ERR_CORRUPT;
  if (rc) return rc;
  *ram = (long)sd_patch_ram_required(&h, streaming);
  if (io->patch_len > 0xFFFFFFFFu) return SD_PATCH_ERR_CORRUPT;
  rc = sd_patch_check_size(&h, (uint32_t)io->patch_len, &is_signed);
  if (rc) return rc;
  if (is_signed && io->patch[h.header_length + h.tables_length + h.payload_length] != SD_PATCH_SIGNATURE_ED25519)
    return SD_PATCH_ERR_CORRUPT;
  if (verify && is_signed) {
    rc = sd_patch_verify_stored(&h, (uint32_t)io->patch_len, read_patch, io, verify_hook, NULL);
    if (rc) return rc;
  }
  rc = sd_patch_check_base(&h, (uint32_t)io->old_len, read_old, io);
  if (rc) return rc;
#ifdef SD_PATCH_WITH_INPLACE
  if (h.in_place) return apply_in_place(io, &h);
#endif

  /* Exact size (ASan sees any overrun), or with spare RAM for the fast lookups (odd seeds, default build). */
  work_size = sd_patch_work_required(&h, streaming) + spare;
  work = malloc(work_size ? work_size : 1u);
  if (!work) return SD_PATCH_ERR_PARAM;
  io->tables_at = header_len;
  io->tables_end = header_len + h.tables_length;
  rc = sd_patch_init(&ctx, &h, work, work_size, read_old, write_new, streaming ? NULL : read_patch, io);
  at = streaming ? header_len : header_len + h.tables_length;
  end = header_len + h.tables_length + h.payload_length;
  while (rc == SD_PATCH_OK && at < end) {
    size_t n = rng_state ? chunk_log_uniform() : end - at;
    if (n > end - at) n = end - at;
    rc = sd_patch_feed(&ctx, io->patch + at, n);
    at += n;
  }
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(&ctx);
  if (rc != SD_PATCH_OK && rc != SD_PATCH_ERR_NO_MEMORY && sd_patch_finish(&ctx) != rc) {
    fprintf(stderr, "error %d is not sticky\n", rc);
    io->bad = 1;
  }
  free(work);
  return rc;
}

static uint32_t u32_at(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static long micros_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (long)(t1.tv_sec - t0->tv_sec) * 1000000L + (long)(t1.tv_nsec - t0->tv_nsec) / 1000L;
}

int main(int argc, char **argv) {
  size_t len, at = 0, old_len = 0;
  const uint8_t *old = NULL;
  uint8_t *file;
  if (argc != 2) {
    fprintf(stderr, "usage: apply_batch FILE\n");
    return 64;
  }
  file = read_file(argv[1], &len);
  if (!file) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 64;
  }
  while (at < len) {
    uint8_t kind = file[at];
    if (kind == 'O' && len - at >= 5 && u32_at(file + at + 1) <= len - at - 5) {
      old_len = u32_at(file + at + 1);
      old = file + at + 5;
      at += 5 + old_len;
    } else if (kind == 'P' && len - at >= 10 && u32_at(file + at + 6) <= len - at - 10) {
      struct io io;
      struct timespec t0;
      uint8_t digest[SD_SHA256_DIGEST_SIZE];
      uint8_t mode = file[at + 5], *copy;
      long ram = -1, us;
      int rc;
      unsigned i;
      memset(&io, 0, sizeof io);
      rng_state = u32_at(file + at + 1);
      io.old = old;
      io.old_len = old_len;
      io.patch_len = u32_at(file + at + 6);
      /* A copy of exactly the patch's size, so ASan sees a read past its end. */
      copy = malloc(io.patch_len ? io.patch_len : 1u);
      if (!copy) return 64;
      memcpy(copy, file + at + 10, io.patch_len);
      io.patch = copy;
      at += 10 + io.patch_len;
      sd_sha256_init(&io.sha);
      message_seen = 0;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      rc = apply(&io, mode & 1, mode & 2, &ram);
      us = micros_since(&t0);
      sd_sha256_final(&io.sha, digest);
      free(copy);
      printf("%s ", io.bad ? "bad" : result_name(rc));
      if (io.written > 0 || rc == SD_PATCH_OK) for (i = 0; i < SD_SHA256_DIGEST_SIZE; i++) printf("%02x", digest[i]);
      else printf("-");
      printf(" %lu ", (unsigned long)io.written);
      if (ram >= 0) printf("%ld", ram);
      else printf("-");
      printf(" %ld", us);
      if (message_seen) {
        printf(" ");
        for (i = 0; i < SD_PATCH_MESSAGE_SIZE; i++) printf("%02x", signed_message[i]);
      }
      printf("\n");
    } else {
      fprintf(stderr, "malformed batch record at byte %lu\n", (unsigned long)at);
      free(file);
      return 64;
    }
  }
  free(file);
  return 0;
}
