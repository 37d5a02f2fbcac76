/*
 * Patch header: parsing and limits (docs/FORMAT.md, "Header"), the device RAM
 * figure ("Device RAM"), the file length and the base check ("Applying").
 */
#include <string.h>

#include "sd_patch_internal.h"

/* The parse reads old_check and new_sha256 at once, and indexes the version fields (from, to). */
typedef char sd_patch_header_layout[offsetof(sd_patch_header, new_sha256) ==
                                            offsetof(sd_patch_header, old_check) + SD_PATCH_OLD_CHECK_SIZE &&
                                        offsetof(sd_patch_header, version_to_offset) ==
                                            offsetof(sd_patch_header, version_from_offset) + 1u &&
                                        offsetof(sd_patch_header, version_to_length) ==
                                            offsetof(sd_patch_header, version_from_length) + 1u
                                    ? 1
                                    : -1];

int sd_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t diff = 0;
  while (n-- > 0) diff |= (uint8_t)(*a++ ^ *b++);
  return diff == 0;
}

static void reader_fail(sd_reader *r, int err) {
  if (r->err == 0) r->err = err;
}

uint8_t sd_read_u8(sd_reader *r) {
  if (r->p == r->end) {
    reader_fail(r, SD_PATCH_NEED_MORE);
    return 0;
  }
  return *r->p++;
}

/* A uvarint (docs/FORMAT.md, "Integers"): at most 5 bytes, minimal, below
 * 2^32 (the 5th byte carries 4 bits), not above limit (CORRUPT otherwise; its
 * value is returned all the same). 32-bit arithmetic only. */
static uint32_t read_limited(sd_reader *r, uint32_t limit) {
  uint32_t v = 0, b, shift;
  for (shift = 0; shift < 35u; shift += 7u) {
    b = sd_read_u8(r); /* 0 when short: ends the loop */
    v |= (b & 0x7Fu) << shift;
    if (b < 0x80u) {
      if ((b == 0 && shift > 0) || (shift == 28u && b > 0x0Fu)) break;
      if (v > limit) reader_fail(r, SD_PATCH_ERR_CORRUPT);
      return v;
    }
  }
  reader_fail(r, SD_PATCH_ERR_CORRUPT);
  return 0;
}
#define read_uvarint(r) read_limited(r, 0xFFFFFFFFu)

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF.
 * A sequence of 1 + more bytes must code at least 2^(5 * more + 1): 0x800 and
 * 0x10000 for 3 and 4 bytes (2 bytes: the lead byte 0xC2 or more does it). */
static int utf8_valid(const uint8_t *s, uint32_t n) {
  uint32_t more = 0, cp = 0, least = 0, b;
  while (n-- > 0) {
    b = *s++;
    if (more > 0) { /* a continuation byte */
      if ((b & 0xC0u) != 0x80u) return 0;
      cp = (cp << 6) | (b & 0x3Fu);
      if (--more == 0 && (cp < least || cp > 0x10FFFFu || cp - 0xD800u < 0x800u)) return 0;
    } else if (b >= 0x80u) {
      more = 1u + (b >= 0xE0u) + (b >= 0xF0u);
      if (b < 0xC2u || b > 0xF4u) return 0;
      cp = b & (0x3Fu >> more);
      least = 1u << (5u * more + 1u);
    }
  }
  return more == 0;
}

static void read_bytes(sd_reader *r, uint8_t *out, unsigned n) {
  while (n-- > 0) *out++ = sd_read_u8(r);
}

/* The largest load address of an image of size bytes: address + size must
 * not exceed 2^32 (0 - size, or 2^32 - 1 for an empty image). */
static uint32_t address_limit(uint32_t size) {
  return 0u - size - (size == 0);
}

#ifdef SD_PATCH_WITH_INPLACE
/* The geometry and the write order (docs/FORMAT.md, "In-place patches"):
 * the slot holds both images in whole erase units, the write unit is a power
 * of two dividing the erase unit, and the runs write each unit once. */
static int read_in_place(sd_reader *r, sd_patch_header *h, const uint8_t *buf) {
  uint32_t lo[SD_PATCH_MAX_RUNS], hi[SD_PATCH_MAX_RUNS], i, j, total = 0, e, w;
  h->slot_size = read_limited(r, SD_PATCH_MAX_IMAGE);
  e = h->erase_unit = read_limited(r, SD_PATCH_MAX_IMAGE);
  w = h->write_unit = read_limited(r, 4096u);
  if (r->err || e < 256u || w == 0 || (w & (w - 1u)) || e % w || h->slot_size % e || h->slot_size < h->old_size ||
      h->slot_size < h->new_size)
    return SD_PATCH_ERR_CORRUPT;
  h->units = (h->new_size + e - 1u) / e;
  h->run_count = (uint8_t)read_limited(r, SD_PATCH_MAX_RUNS);
  h->runs_offset = (uint16_t)(r->p - buf);
  if (h->run_count > h->units) return SD_PATCH_ERR_CORRUPT;
  for (i = 0; i < h->run_count; i++) {
    uint32_t first = read_limited(r, h->units), field = read_uvarint(r), count = field >> 1;
    /* [lo, hi]: the units of the run, inside [0, units) */
    if (count == 0 || first >= h->units) return SD_PATCH_ERR_CORRUPT;
    if (field & 1u) {
      if (count > first + 1u) return SD_PATCH_ERR_CORRUPT;
      lo[i] = first - (count - 1u);
      hi[i] = first;
    } else {
      if (count > h->units - first) return SD_PATCH_ERR_CORRUPT;
      lo[i] = first;
      hi[i] = first + count - 1u;
    }
    for (j = 0; j < i; j++)
      if (lo[i] <= hi[j] && lo[j] <= hi[i]) return SD_PATCH_ERR_CORRUPT; /* a unit written twice */
    total += count;
  }
  /* Extension bit 1: the stash windows' length; they end the header. */
  if (h->in_place & 2u) {
    h->stash_length = read_limited(r, SD_PATCH_MAX_STASH);
    if (h->stash_length == 0) return SD_PATCH_ERR_CORRUPT;
  }
  return r->err || total != h->units ? SD_PATCH_ERR_CORRUPT : SD_PATCH_OK;
}
#endif

/* On the first failed check the parse stops: a shortage or a bad varint
 * before it (r.err) is reported first, being earlier in the byte stream. */
#define REQUIRE(ok, label) \
  do {                     \
    if (!(ok)) goto label; \
  } while (0)

int sd_patch_parse_header(const uint8_t *buf, size_t len, sd_patch_header *h, size_t *header_len) {
  sd_reader r;
  unsigned i, f, props;
  int err = SD_PATCH_ERR_UNSUPPORTED;
  if ((buf == NULL && len > 0) || h == NULL || header_len == NULL) return SD_PATCH_ERR_PARAM;
  memset(h, 0, sizeof *h);
  *header_len = 0;
  r.p = buf;
  r.end = buf + len;
  r.err = 0;
  /* "SD", then version 2 only (a version 1 file, "SDLT", has 'L' there). */
  REQUIRE(sd_read_u8(&r) == 0x53u && sd_read_u8(&r) == 0x44u, corrupt);
#ifndef SD_PATCH_WITH_INPLACE
  REQUIRE(sd_read_u8(&r) == 2u, fail);
  f = h->flags = sd_read_u8(&r);
#else
  /* Bit 7 of the version byte: an extension byte follows the flags: bit 0
   * "in place", bit 1 "with stash windows" (in_place keeps both). */
  i = sd_read_u8(&r);
  REQUIRE((i & 0x7Fu) == 2u, fail);
  f = h->flags = sd_read_u8(&r);
  if (i & 0x80u) {
    i = sd_read_u8(&r);
    REQUIRE(i == 1u || i == 3u, fail);
    h->in_place = (uint8_t)i;
  }
#endif
  h->codec = (uint8_t)(f >> 6);
  h->transform = (uint8_t)((f >> 5) & 1u);
  REQUIRE(h->codec < 3u, fail);
  h->old_size = read_limited(&r, SD_PATCH_MAX_IMAGE);
  h->new_size = read_limited(&r, SD_PATCH_MAX_IMAGE);
  h->old_address = read_limited(&r, address_limit(h->old_size));
  /* An implied new address has the same limit. */
  h->new_address = (f & SD_PATCH_FLAG_NEW_ADDRESS) ? read_uvarint(&r) : h->old_address;
  REQUIRE(h->new_address <= address_limit(h->new_size), corrupt);
  read_bytes(&r, (uint8_t *)h + offsetof(sd_patch_header, old_check), SD_PATCH_OLD_CHECK_SIZE + 32u); /* and new_sha256 */
  if (h->codec == SD_PATCH_CODEC_LZMA1) {
    props = sd_read_u8(&r);
    h->window_log2 = sd_read_u8(&r);
    h->lc = (uint8_t)(props % 9u); /* props = (pb * 5 + lp) * 9 + lc */
    props /= 9u;
    h->lp = (uint8_t)(props % 5u);
    h->pb = (uint8_t)(props / 5u);
    REQUIRE(props < 25u && h->window_log2 - 8u <= 18u && h->lc + h->lp <= 4u, fail);
  } else if (h->codec == SD_PATCH_CODEC_LZS) {
    /* docs/LZS.md: the parameter byte, then the program length (its unpacked
     * size; the limit is below 2^31 as new_size is at most 2^26). */
    h->lzs_params = sd_read_u8(&r);
    REQUIRE(SD_LZS_PARAMS_VALID(h->lzs_params), fail);
    h->program_length = read_limited(&r, 64u + 22u * h->new_size);
  }
  h->payload_length = read_uvarint(&r);
  /* The tables: the sectioned layout's control table, a relocated patch's recognizers and maps. */
  if (f & (SD_PATCH_FLAG_SECTIONED | SD_PATCH_FLAG_CORTEX_M))
    h->tables_length = read_limited(&r, SD_PATCH_MAX_TABLES);
#ifdef SD_PATCH_WITH_INPLACE
  if (h->in_place && read_in_place(&r, h, buf) != SD_PATCH_OK) goto corrupt;
#endif
  for (i = 0; i < 2u && (f & SD_PATCH_FLAG_VERSIONS); i++) { /* version from, to */
    uint32_t n = read_limited(&r, SD_PATCH_MAX_VERSION);
    const uint8_t *s = r.p;
    err = SD_PATCH_NEED_MORE;
    REQUIRE((size_t)(r.end - r.p) >= n, fail);
    r.p += n;
    REQUIRE(utf8_valid(s, n), corrupt);
    /* Offsets fit: the header is at most SD_PATCH_HEADER_MAX bytes. */
    ((uint8_t *)h + offsetof(sd_patch_header, version_from_offset))[i] = (uint8_t)(s - buf); /* then _to_ */
    ((uint8_t *)h + offsetof(sd_patch_header, version_from_length))[i] = (uint8_t)n;
  }
  if (f & SD_PATCH_FLAG_COUNTER) h->security_counter = read_uvarint(&r);
  if (r.err) return r.err;
  h->header_length = (uint32_t)(r.p - buf);
#ifdef SD_PATCH_WITH_INPLACE
  h->stash_offset = h->stash_length ? h->header_length : 0u;
  h->header_length += h->stash_length;
#endif
  *header_len = h->header_length;
  return SD_PATCH_OK;
corrupt:
  err = SD_PATCH_ERR_CORRUPT;
fail:
  return r.err ? r.err : err;
}

size_t sd_patch_work_required(const sd_patch_header *h, int streaming) {
  /* docs/FORMAT.md "Device RAM", in the work buffer's order: table-first entries, codec, tables. */
  size_t n = streaming ? h->tables_length : 0u;
  if ((h->flags & (SD_PATCH_FLAG_SECTIONED | SD_PATCH_FLAG_CORTEX_M)) == SD_PATCH_FLAG_CORTEX_M)
    n += SD_PATCH_TABLE_FIRST_RAM;
  /* A codec this build does not link adds nothing: sd_patch_init refuses such a patch (UNSUPPORTED). */
#ifdef SD_PATCH_WITH_LZMA
  if (h->codec == SD_PATCH_CODEC_LZMA1)
    n += 2u * SD_LZMA_PROBS_COUNT(h->lc, h->lp) + ((size_t)1u << h->window_log2);
#endif
#ifdef SD_PATCH_WITH_LZS
  if (h->codec == SD_PATCH_CODEC_LZS) n += SD_LZS_WORK_SIZE(h->lzs_params, h->program_length);
#endif
  return n;
}

size_t sd_patch_ram_required(const sd_patch_header *h, int streaming) {
  return SD_PATCH_FIXED_STATE + sd_patch_work_required(h, streaming);
}

int sd_patch_check_size(const sd_patch_header *h, uint32_t patch_len, int *is_signed) {
  /* patch_len - header - tables - payload, in 32 bits: each subtraction must not wrap. */
  uint32_t rest = patch_len, part[3], i;
  int fits = 1, trailer;
  part[0] = h->header_length;
  part[1] = h->tables_length;
  part[2] = h->payload_length;
  for (i = 0; i < 3u; i++) {
    fits &= rest >= part[i];
    rest -= part[i];
  }
  trailer = fits && rest == SD_PATCH_TRAILER_SIZE;
  if (is_signed != NULL) *is_signed = trailer;
  return fits && (rest == 0 || trailer) ? SD_PATCH_OK : SD_PATCH_ERR_CORRUPT;
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
