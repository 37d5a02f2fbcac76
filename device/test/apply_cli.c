/*
 * Host test driver for sd_patch: applies a patch file to an old image as a
 * bootloader would, feeding the payload in pseudo-random chunk sizes.
 *
 *   apply_cli OLD PATCH OUT [SEED] [-s] [-w WORK_BYTES] [-k accept|reject]
 *     SEED   chunk size generator (0 or absent: the whole payload at once)
 *     -s     streaming mode: no read_patch; the tables are fed before the
 *            payload, in the same random chunks (default: stored mode, the
 *            tables read at random through read_patch, which must stay
 *            inside the tables section)
 *     -w     work buffer size (default: exactly sd_patch_work_required)
 *     -k     a "key is configured": run the signature check with a test hook
 *            that prints the signed message and accepts or rejects it
 *   apply_cli sizes   prints sizeof(sd_patch_ctx) and sizeof(sd_patch_header)
 *
 * Prints "ram=<sd_patch_ram_required for the mode>" once the header parsed, then
 * "result=<name>". OUT appears only on success (written to OUT.tmp, renamed).
 * Exit code: 0 ok, else -result (1 wrong base, 2 corrupt, 3 unsupported,
 * 4 no memory, 5 result hash, 6 signature, 7 io, 8 param), 64 usage, 65 a
 * driver check failed (non-sequential write, read outside the old image).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_patch.h"
#include "driver_io.h"

struct io {
  const uint8_t *old;
  size_t old_len;
  const uint8_t *patch;
  size_t patch_len;
  FILE *out;
  size_t tables_at, tables_end; /* where read_patch may read while applying */
  uint32_t expect_offset;
  int bad; /* a contract violation by the library */
};

static int read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  struct io *io = user;
  if (len == 0 || offset > io->old_len || len > io->old_len - offset) {
    fprintf(stderr, "read_old outside the old image: offset %lu, %lu bytes\n", (unsigned long)offset,
            (unsigned long)len);
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
    fprintf(stderr, "read_patch outside the tables: offset %lu, %lu bytes\n", (unsigned long)offset,
            (unsigned long)len);
    io->bad = 1;
    return -1;
  }
  memcpy(buf, io->patch + offset, len);
  return 0;
}

static int write_new(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  struct io *io = user;
  if (len == 0 || offset != io->expect_offset) {
    fprintf(stderr, "write_new out of order: offset %lu (expected %lu), %lu bytes\n",
            (unsigned long)offset, (unsigned long)io->expect_offset, (unsigned long)len);
    io->bad = 1;
    return -1;
  }
  io->expect_offset += (uint32_t)len;
  return fwrite(buf, 1, len, io->out) == len ? 0 : -1;
}

static int hook_accepts;

static int verify_hook(const uint8_t msg[SD_PATCH_MESSAGE_SIZE], const uint8_t sig[SD_PATCH_SIGNATURE_SIZE],
                       const uint8_t key_id[SD_PATCH_KEY_ID_SIZE], void *user) {
  unsigned i;
  (void)user;
  printf("message=");
  for (i = 0; i < SD_PATCH_MESSAGE_SIZE; i++) printf("%02x", msg[i]);
  printf("\nsignature=");
  for (i = 0; i < SD_PATCH_SIGNATURE_SIZE; i++) printf("%02x", sig[i]);
  printf("\nkey_id=");
  for (i = 0; i < SD_PATCH_KEY_ID_SIZE; i++) printf("%02x", key_id[i]);
  printf("\n");
  return hook_accepts ? 0 : 1;
}

static const char *result_name(int rc) {
  static const char *const names[] = {"ok", "wrong-base", "corrupt", "unsupported", "no-memory",
                                      "result-hash", "signature", "io", "param"};
  return rc <= 0 && rc >= -8 ? names[-rc] : "unknown";
}

/* Header, size, signature and base checks, then the payload in chunks. */
static int apply(struct io *io, size_t work_override, int key_mode, int streaming, int *ram_printed) {
  sd_patch_header h;
  sd_patch_ctx ctx;
  size_t header_len, work_size, at, end, prefix;
  uint8_t *work;
  int rc, is_signed;

  /* The header from a first read of random length, as a device would. */
  prefix = rng_state ? rng_next() % (io->patch_len + 1u) : io->patch_len;
  rc = sd_patch_parse_header(io->patch, prefix, &h, &header_len);
  if (rc == SD_PATCH_NEED_MORE) rc = sd_patch_parse_header(io->patch, io->patch_len, &h, &header_len);
  if (rc == SD_PATCH_NEED_MORE) return SD_PATCH_ERR_CORRUPT; /* the file ends inside the header */
  if (rc) return rc;
  printf("ram=%lu\n", (unsigned long)sd_patch_ram_required(&h, streaming));
  *ram_printed = 1;
  if (io->patch_len > 0xFFFFFFFFu) return SD_PATCH_ERR_CORRUPT;
  rc = sd_patch_check_size(&h, (uint32_t)io->patch_len, &is_signed);
  if (rc) return rc;
  /* Like the CLI, an unknown signature type is corrupt even when unchecked. */
  if (is_signed && io->patch[h.header_length + h.tables_length + h.payload_length] != SD_PATCH_SIGNATURE_ED25519)
    return SD_PATCH_ERR_CORRUPT;
  if (key_mode >= 0) {
    hook_accepts = key_mode;
    rc = sd_patch_verify_stored(&h, (uint32_t)io->patch_len, read_patch, io, verify_hook, NULL);
    if (rc) return rc;
  }
  rc = sd_patch_check_base(&h, (uint32_t)io->old_len, read_old, io);
  if (rc) return rc;

  work_size = work_override != (size_t)-1 ? work_override : sd_patch_work_required(&h, streaming);
  work = malloc(work_size ? work_size : 1u); /* exact size: ASan sees any overrun */
  if (!work) return SD_PATCH_ERR_PARAM;
  /* From here on the library reads the patch only inside the tables section. */
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
  if (rc == SD_PATCH_OK) printf("lookups=%s\n", sd_patch_fast_lookups(&ctx) ? "pairs" : "tables");
  /* Errors are sticky: another call must give the same code. */
  if (rc != SD_PATCH_OK && rc != SD_PATCH_ERR_NO_MEMORY && sd_patch_finish(&ctx) != rc) {
    fprintf(stderr, "error %d is not sticky\n", rc);
    io->bad = 1;
  }
  free(work);
  return rc;
}

int main(int argc, char **argv) {
  struct io io;
  char tmp[4096];
  size_t work_override = (size_t)-1;
  int key_mode = -1, streaming = 0, rc, i, ram_printed = 0;
  uint8_t *old, *patch;

  if (argc == 2 && strcmp(argv[1], "sizes") == 0) {
    printf("sizeof_sd_patch_ctx=%lu\nsizeof_sd_patch_header=%lu\nfixed_state=%u\n",
           (unsigned long)sizeof(sd_patch_ctx), (unsigned long)sizeof(sd_patch_header),
           SD_PATCH_FIXED_STATE);
    return 0;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: apply_cli OLD PATCH OUT [SEED] [-s] [-w WORK_BYTES] [-k accept|reject]\n");
    return 64;
  }
  rng_state = 0;
  for (i = 4; i < argc; i++) {
    if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) work_override = strtoul(argv[++i], NULL, 0);
    else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc) key_mode = strcmp(argv[++i], "accept") == 0;
    else if (strcmp(argv[i], "-s") == 0) streaming = 1;
    else if (i == 4) rng_state = (uint32_t)strtoul(argv[i], NULL, 0);
    else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 64; }
  }
  memset(&io, 0, sizeof io);
  old = read_file(argv[1], &io.old_len);
  patch = read_file(argv[2], &io.patch_len);
  if (!old || !patch || strlen(argv[3]) + 5 > sizeof tmp) {
    fprintf(stderr, "cannot read the inputs\n");
    free(old);
    free(patch);
    return 64;
  }
  io.old = old;
  io.patch = patch;
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[3]);
  io.out = fopen(tmp, "wb");
  if (!io.out) { fprintf(stderr, "cannot write %s\n", tmp); free(old); free(patch); return 64; }
  rc = apply(&io, work_override, key_mode, streaming, &ram_printed);
  if (fclose(io.out) != 0 && rc == SD_PATCH_OK) rc = SD_PATCH_ERR_IO;
  if (rc == SD_PATCH_OK && rename(tmp, argv[3]) != 0) rc = SD_PATCH_ERR_IO;
  if (rc != SD_PATCH_OK) remove(tmp); /* never leave a wrong image behind */
  if (!ram_printed) printf("ram=-\n");
  printf("result=%s\n", result_name(rc));
  free(old);
  free(patch);
  if (io.bad) return 65;
  return -rc;
}
