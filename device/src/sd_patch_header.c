/*
 * Patch header: parsing and limits (docs/FORMAT.md, "Header"), the device RAM
 * figure ("Device RAM"), the file length and the base check ("Applying").
 */
#include <string.h>

#include "sd_patch_internal.h"

int sd_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t diff = 0;
  while (n-- > 0) diff |= (uint8_t)(*a++ ^ *b++);
  return diff == 0;
}

static void reader_fail(sd_reader *r, int err) {
  if (r->err == 0) r->err = err;
}

uint8_t sd_read_u8(sd_reader *r) {
  if (r->err) return 0;
  if (r->p == r->end) {
    reader_fail(r, r->short_err);
    return 0;
  }
  return *r->p++;
}

uint64_t sd_read_uvarint(sd_reader *r) {
  uint64_t v = 0;
  unsigned i;
  for (i = 0; i < 5u; i++) {
    uint8_t b = sd_read_u8(r);
    if (r->err) return 0;
    v |= (uint64_t)(b & 0x7Fu) << (7u * i);
    if ((b & 0x80u) == 0) {
      if (b == 0 && i > 0) break; /* not minimal */
      return v;
    }
  }
  reader_fail(r, SD_PATCH_ERR_CORRUPT);
  return 0;
}

/* Records err as the first error unless ok (docs/FORMAT.md order: the first
 * problem in the byte stream is the one reported, a shortage included). */
static void check(sd_reader *r, int ok, int err) {
  if (!ok) reader_fail(r, err);
}

/* Skips n bytes, returning where they start. */
static const uint8_t *read_skip(sd_reader *r, uint64_t n) {
  const uint8_t *at = r->p;
  if (r->err == 0 && n > (uint64_t)(r->end - r->p)) reader_fail(r, r->short_err);
  if (r->err == 0) r->p += n;
  return at;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF. */
static int utf8_valid(const uint8_t *s, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    static const uint32_t shortest[4] = {0, 0x80u, 0x800u, 0x10000u};
    uint32_t b = s[i++], cp, more, k;
    if (b < 0x80u) continue;
    more = b >= 0xF0u ? 3u : b >= 0xE0u ? 2u : 1u;
    if (b < 0xC2u || b > 0xF4u || n - i < more) return 0;
    cp = b & (0x3Fu >> more);
    for (k = 0; k < more; k++) {
      b = s[i++];
      if ((b & 0xC0u) != 0x80u) return 0;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < shortest[more] || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return 0;
  }
  return 1;
}

/* A uvarint that must not exceed limit (err otherwise). */
static uint32_t read_limited(sd_reader *r, uint64_t limit, int err) {
  uint64_t v = sd_read_uvarint(r);
  check(r, v <= limit, err);
  return (uint32_t)v;
}

static void read_bytes(sd_reader *r, uint8_t *out, unsigned n) {
  while (n-- > 0) *out++ = sd_read_u8(r);
}

/* A load address: address + size must not exceed 2^32. */
static uint32_t read_address(sd_reader *r, uint32_t size) {
  return read_limited(r, 0xFFFFFFFFu - (size > 0 ? size - 1u : 0u), SD_PATCH_ERR_CORRUPT);
}

int sd_patch_parse_header(const uint8_t *buf, size_t len, sd_patch_header *h, size_t *header_len) {
  sd_reader r;
  unsigned i, f;
  if ((buf == NULL && len > 0) || h == NULL || header_len == NULL) return SD_PATCH_ERR_PARAM;
  memset(h, 0, sizeof *h);
  *header_len = 0;
  r.p = buf;
  r.end = buf + len;
  r.err = 0;
  r.short_err = SD_PATCH_NEED_MORE;
  check(&r, sd_read_u8(&r) == 0x53u, SD_PATCH_ERR_CORRUPT); /* "SD" */
  check(&r, sd_read_u8(&r) == 0x44u, SD_PATCH_ERR_CORRUPT);
  /* Version 2 only; a version 1 file ("SDLT") has 'L' here. */
  check(&r, sd_read_u8(&r) == 2u, SD_PATCH_ERR_UNSUPPORTED);
  f = h->flags = sd_read_u8(&r);
  h->codec = (uint8_t)(f >> 6);
  h->transform = (uint8_t)((f >> 5) & 1u);
  check(&r, h->codec < 3u, SD_PATCH_ERR_UNSUPPORTED);
  h->old_size = read_limited(&r, SD_PATCH_MAX_IMAGE, SD_PATCH_ERR_CORRUPT);
  h->new_size = read_limited(&r, SD_PATCH_MAX_IMAGE, SD_PATCH_ERR_CORRUPT);
  h->old_address = read_address(&r, h->old_size);
  h->new_address = (f & SD_PATCH_FLAG_NEW_ADDRESS) ? read_address(&r, h->new_size) : h->old_address;
  /* An implied new address has the same limit. */
  check(&r, h->new_address <= 0xFFFFFFFFu - (h->new_size > 0 ? h->new_size - 1u : 0u), SD_PATCH_ERR_CORRUPT);
  read_bytes(&r, h->old_check, SD_PATCH_OLD_CHECK_SIZE);
  read_bytes(&r, h->new_sha256, 32);
  if (h->codec == SD_PATCH_CODEC_LZMA1) {
    unsigned props = sd_read_u8(&r);
    h->window_log2 = sd_read_u8(&r);
    h->lc = (uint8_t)(props % 9u);
    h->lp = (uint8_t)(props / 9u % 5u);
    h->pb = (uint8_t)(props / 45u);
    check(&r, props < 225u && h->window_log2 >= 8u && h->window_log2 <= 26u && h->lc + h->lp <= 4u,
          SD_PATCH_ERR_UNSUPPORTED);
  } else if (h->codec == SD_PATCH_CODEC_LZS) {
    /* docs/LZS.md: the parameter byte, then the program length (its unpacked size). */
    h->lzs_params = sd_read_u8(&r);
    check(&r, SD_LZS_PARAMS_VALID(h->lzs_params), SD_PATCH_ERR_UNSUPPORTED);
    h->program_length = read_limited(&r, 64u + 22u * (uint64_t)h->new_size, SD_PATCH_ERR_CORRUPT);
  }
  h->payload_length = read_limited(&r, 0xFFFFFFFFu, SD_PATCH_ERR_CORRUPT);
  /* The tables: the sectioned layout's control table, a relocated patch's recognizers and maps. */
  if (f & (SD_PATCH_FLAG_SECTIONED | SD_PATCH_FLAG_CORTEX_M))
    h->tables_length = read_limited(&r, SD_PATCH_MAX_TABLES, SD_PATCH_ERR_CORRUPT);
  for (i = 0; i < 2u && (f & SD_PATCH_FLAG_VERSIONS); i++) { /* version from, to */
    uint32_t n = read_limited(&r, SD_PATCH_MAX_VERSION, SD_PATCH_ERR_CORRUPT);
    const uint8_t *s = read_skip(&r, n);
    if (r.err == 0) check(&r, utf8_valid(s, n), SD_PATCH_ERR_CORRUPT);
    /* Offsets fit: the header is at most SD_PATCH_HEADER_MAX bytes. */
    if (i == 0) {
      h->version_from_offset = (uint8_t)(s - buf);
      h->version_from_length = (uint8_t)n;
    } else {
      h->version_to_offset = (uint8_t)(s - buf);
      h->version_to_length = (uint8_t)n;
    }
  }
  if (f & SD_PATCH_FLAG_COUNTER) h->security_counter = sd_read_uvarint(&r); /* below 2^35 */
  if (r.err) return r.err;
  h->header_length = (uint32_t)(r.p - buf);
  *header_len = h->header_length;
  return SD_PATCH_OK;
}

size_t sd_patch_work_required(const sd_patch_header *h, int streaming) {
  /* docs/FORMAT.md "Device RAM", in the work buffer's order: table-first entries, codec, tables. */
  size_t n = streaming ? h->tables_length : 0u;
  if ((h->flags & (SD_PATCH_FLAG_SECTIONED | SD_PATCH_FLAG_CORTEX_M)) == SD_PATCH_FLAG_CORTEX_M)
    n += SD_PATCH_TABLE_FIRST_RAM;
  if (h->codec == SD_PATCH_CODEC_LZMA1)
    n += 2u * SD_LZMA_PROBS_COUNT(h->lc, h->lp) + ((size_t)1u << h->window_log2);
  if (h->codec == SD_PATCH_CODEC_LZS) n += SD_LZS_WORK_SIZE(h->lzs_params, h->program_length);
  return n;
}

size_t sd_patch_ram_required(const sd_patch_header *h, int streaming) {
  return SD_PATCH_FIXED_STATE + sd_patch_work_required(h, streaming);
}

int sd_patch_check_size(const sd_patch_header *h, uint32_t patch_len, int *is_signed) {
  uint64_t body = (uint64_t)h->header_length + h->tables_length + h->payload_length;
  int trailer = patch_len == body + SD_PATCH_TRAILER_SIZE;
  if (is_signed != NULL) *is_signed = trailer;
  return patch_len == body || trailer ? SD_PATCH_OK : SD_PATCH_ERR_CORRUPT;
}

int sd_patch_check_base(const sd_patch_header *h, uint32_t old_len, sd_patch_read_fn read_old,
                        void *user) {
  sd_sha256_ctx sha;
  uint8_t piece[64];
  uint32_t at = 0;
  if (h == NULL || read_old == NULL) return SD_PATCH_ERR_PARAM;
  if (old_len != SD_PATCH_SIZE_UNKNOWN && old_len != h->old_size) return SD_PATCH_ERR_WRONG_BASE;
  sd_sha256_init(&sha);
  while (at < h->old_size) {
    uint32_t n = h->old_size - at < sizeof piece ? h->old_size - at : (uint32_t)sizeof piece;
    if (read_old(user, at, piece, n) != 0) return SD_PATCH_ERR_IO;
    sd_sha256_update(&sha, piece, n);
    at += n;
  }
  sd_sha256_final(&sha, piece);
  /* The old check: the first 8 bytes of the hash (docs/FORMAT.md, "The base check"). */
  return sd_equal(piece, h->old_check, SD_PATCH_OLD_CHECK_SIZE) ? SD_PATCH_OK : SD_PATCH_ERR_WRONG_BASE;
}
