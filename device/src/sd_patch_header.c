/*
 * Patch header: parsing and limits (docs/FORMAT.md, "Header"), the relocation
 * parameters ("Cortex-M relocation parameters"), the device RAM figure
 * ("Device RAM"), the file length and the base image check ("Applying").
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

/* A value map: count, then (start delta, shift) pairs, then the end delta.
 * At most limit segments are accepted (and written to out, if not NULL). */
static void read_value_map(sd_reader *r, uint32_t limit, sd_value_map *map, sd_patch_segment *out) {
  uint32_t count = read_limited(r, limit, SD_PATCH_ERR_UNSUPPORTED), start = 0, i;
  for (i = 0; i < count && r->err == 0; i++) {
    uint64_t z;
    start += read_limited(r, 0xFFFFFFFFu - start, SD_PATCH_ERR_CORRUPT);
    z = sd_read_uvarint(r); /* zigzag: |shift| = (z + 1) / 2 at most 2^32 - 1 */
    check(r, z <= 0x1FFFFFFFEu, SD_PATCH_ERR_CORRUPT);
    if (out != NULL) { /* z even: +z/2; odd: -(z+1)/2, kept modulo 2^32 */
      out[i].start = start;
      out[i].shift = (uint32_t)(z >> 1);
      if (z & 1u) out[i].shift = ~out[i].shift;
    }
  }
  map->count = count;
  map->end = count > 0 ? start + (uint64_t)read_limited(r, 0x100000000u - start, SD_PATCH_ERR_CORRUPT) : 0u;
}

int sd_decode_reloc(const uint8_t *p, uint32_t len, sd_reloc_params *out, uint32_t ram_limit,
                    sd_patch_segment *ram, uint32_t const_limit, sd_patch_segment *consts) {
  sd_reader r;
  uint64_t v;
  r.p = p;
  r.end = p + len;
  r.err = 0;
  r.short_err = SD_PATCH_ERR_CORRUPT;
  memset(out, 0, sizeof *out);
  out->recognizers = sd_read_u8(&r);
  check(&r, (out->recognizers & ~SD_REC_ALL) == 0, SD_PATCH_ERR_UNSUPPORTED);
  v = sd_read_uvarint(&r);
  out->min_segment = v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v;
  out->flash_segments = read_limited(&r, 0xFFFFFFFFu, SD_PATCH_ERR_CORRUPT);
  read_value_map(&r, ram_limit, &out->ram, ram);
  if (out->recognizers & SD_REC_CONST) read_value_map(&r, const_limit, &out->consts, consts);
  check(&r, r.p == r.end, SD_PATCH_ERR_CORRUPT); /* no trailing bytes */
  return r.err;
}

/* Checks that need the whole header: the program and transform agree. */
static int check_consistency(sd_patch_header *h) {
  int control_first = (h->program_flags & SD_PATCH_PROGRAM_CONTROL_FIRST) != 0;
  sd_reloc_params p;
  int rc = SD_PATCH_OK;
  if (h->codec == SD_PATCH_CODEC_NONE && h->payload_length != h->program_length)
    return SD_PATCH_ERR_CORRUPT;
  /* Control-first: the N entries cover the new image exactly. */
  if (control_first && h->entry_count == 0 && h->new_size > 0) return SD_PATCH_ERR_CORRUPT;
  if (h->transform == SD_PATCH_TRANSFORM_CORTEX_M) {
    /* The flash map comes from the control table: control-first only. */
    if (!control_first) return SD_PATCH_ERR_CORRUPT;
    rc = sd_decode_reloc(h->transform_params, h->transform_params_length, &p,
                         SD_PATCH_MAX_RAM_SEGMENTS, NULL, SD_PATCH_MAX_CONST_SEGMENTS, NULL);
    if (rc == SD_PATCH_OK && p.flash_segments > h->entry_count) rc = SD_PATCH_ERR_CORRUPT;
    h->recognizers = p.recognizers;
    h->min_segment = p.min_segment;
    h->flash_segments = p.flash_segments;
    h->ram_segments = p.ram.count;
    h->const_segments = p.consts.count;
  }
  return rc;
}

static void read_bytes(sd_reader *r, uint8_t *out, unsigned n) {
  while (n-- > 0) *out++ = sd_read_u8(r);
}

int sd_patch_parse_header(const uint8_t *buf, size_t len, sd_patch_header *h, size_t *header_len) {
  static const uint8_t magic[5] = {0x53, 0x44, 0x4C, 0x54, 0x01}; /* "SDLT", version 1 */
  sd_reader r;
  unsigned i;
  if ((buf == NULL && len > 0) || h == NULL || header_len == NULL) return SD_PATCH_ERR_PARAM;
  memset(h, 0, sizeof *h);
  *header_len = 0;
  r.p = buf;
  r.end = buf + len;
  r.err = 0;
  r.short_err = SD_PATCH_NEED_MORE;
  for (i = 0; i < 5u; i++)
    check(&r, sd_read_u8(&r) == magic[i], i < 4u ? SD_PATCH_ERR_CORRUPT : SD_PATCH_ERR_UNSUPPORTED);
  h->flags = sd_read_u8(&r);
  check(&r, h->flags <= 3u, SD_PATCH_ERR_UNSUPPORTED);
  h->old_size = read_limited(&r, SD_PATCH_MAX_IMAGE, SD_PATCH_ERR_CORRUPT);
  h->new_size = read_limited(&r, SD_PATCH_MAX_IMAGE, SD_PATCH_ERR_CORRUPT);
  /* address + size must not exceed 2^32 (nor the address 2^32 - 1) */
  h->old_address = read_limited(&r, 0xFFFFFFFFu - (h->old_size > 0 ? h->old_size - 1u : 0u), SD_PATCH_ERR_CORRUPT);
  h->new_address = read_limited(&r, 0xFFFFFFFFu - (h->new_size > 0 ? h->new_size - 1u : 0u), SD_PATCH_ERR_CORRUPT);
  read_bytes(&r, h->old_sha256, 32);
  read_bytes(&r, h->new_sha256, 32);
  h->transform = sd_read_u8(&r);
  check(&r, h->transform <= SD_PATCH_TRANSFORM_CORTEX_M, SD_PATCH_ERR_UNSUPPORTED);
  h->transform_params_length = read_limited(&r, SD_PATCH_MAX_PARAMS, SD_PATCH_ERR_CORRUPT);
  h->transform_params = read_skip(&r, h->transform_params_length);
  h->program_flags = sd_read_u8(&r);
  check(&r, h->program_flags <= 3u, SD_PATCH_ERR_UNSUPPORTED);
  /* an implausible program: N > new size + 1, length > 2 x new size + 16 N + 64 */
  /* At most new size + 1 and at most SD_PATCH_MAX_ENTRIES (docs/FORMAT.md, "Header"). */
  h->entry_count = read_limited(&r, h->new_size + 1u < SD_PATCH_MAX_ENTRIES ? h->new_size + 1u : SD_PATCH_MAX_ENTRIES, SD_PATCH_ERR_CORRUPT);
  h->program_length = read_limited(&r, 2u * h->new_size + 16u * h->entry_count + 64u, SD_PATCH_ERR_CORRUPT);
  h->codec = sd_read_u8(&r);
  if (h->codec == SD_PATCH_CODEC_LZMA1) {
    unsigned props = sd_read_u8(&r);
    h->dict_log2 = sd_read_u8(&r);
    h->lc = (uint8_t)(props % 9u);
    h->lp = (uint8_t)(props / 9u % 5u);
    h->pb = (uint8_t)(props / 45u);
    check(&r, props < 225u && h->dict_log2 >= 12u && h->dict_log2 <= 26u && h->lc + h->lp <= 4u,
          SD_PATCH_ERR_UNSUPPORTED);
  }
  check(&r, h->codec <= SD_PATCH_CODEC_LZMA1, SD_PATCH_ERR_UNSUPPORTED);
  h->payload_length = read_limited(&r, 0xFFFFFFFFu, SD_PATCH_ERR_CORRUPT);
  for (i = 0; i < 2u && (h->flags & SD_PATCH_FLAG_VERSIONS); i++) { /* version from, to */
    uint32_t n = read_limited(&r, SD_PATCH_MAX_VERSION, SD_PATCH_ERR_CORRUPT);
    const uint8_t *s = read_skip(&r, n);
    if (r.err == 0) check(&r, utf8_valid(s, n), SD_PATCH_ERR_CORRUPT);
    if (i == 0) {
      h->version_from_offset = (uint16_t)(s - buf);
      h->version_from_length = (uint8_t)n;
    } else {
      h->version_to_offset = (uint16_t)(s - buf);
      h->version_to_length = (uint8_t)n;
    }
  }
  if (h->flags & SD_PATCH_FLAG_COUNTER) h->security_counter = sd_read_uvarint(&r);
  if (r.err) return r.err;
  h->header_length = (uint32_t)(r.p - buf);
  *header_len = h->header_length;
  return check_consistency(h);
}

size_t sd_patch_work_required(const sd_patch_header *h) {
  size_t n = 0;
  if (h->codec == SD_PATCH_CODEC_LZMA1) {
    uint32_t dict = (uint32_t)1u << h->dict_log2;
    n += 2u * SD_LZMA_PROBS_COUNT(h->lc, h->lp);
    n += dict < h->program_length ? dict : h->program_length;
  }
  if (h->program_flags & SD_PATCH_PROGRAM_CONTROL_FIRST) n += (size_t)h->entry_count * sizeof(sd_patch_block);
  if (h->transform == SD_PATCH_TRANSFORM_CORTEX_M)
    n += ((size_t)h->flash_segments + h->ram_segments + h->const_segments) * sizeof(sd_patch_segment);
  return n;
}

size_t sd_patch_ram_required(const sd_patch_header *h) {
  return SD_PATCH_FIXED_STATE + sd_patch_work_required(h);
}

int sd_patch_check_size(const sd_patch_header *h, uint32_t patch_len, int *is_signed) {
  uint64_t body = (uint64_t)h->header_length + h->payload_length;
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
  return sd_equal(piece, h->old_sha256, 32) ? SD_PATCH_OK : SD_PATCH_ERR_WRONG_BASE;
}
