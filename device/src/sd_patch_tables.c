/*
 * The tables section of a sectioned patch (docs/FORMAT.md, "Tables"): the
 * bit-coded control table with its checkpoints, and the value maps. Nothing
 * of it is copied to RAM: every read goes to the tables where they are, at
 * random, through read_patch (a small cache absorbs the bit reader's
 * sequential reads) or, in the streaming mode, to the copy in the work
 * buffer. Every read is bounds-checked against the tables length, so a lookup
 * can never leave the section whatever the bytes say.
 */
#include "sd_patch_internal.h"

#define CORRUPT SD_PATCH_ERR_CORRUPT

/* Byte off of the tables section; 0 after an error. */
static uint32_t tables_byte(sd_patch_ctx *c, uint32_t off) {
  uint32_t n;
  if (off >= c->tables_length || c->status) {
    sd_fail(c, CORRUPT);
    return 0;
  }
  if (c->read_patch == NULL) return c->tables.copy[off];
  if (off - c->cache_offset >= SD_PATCH_TCACHE) { /* a miss, or an empty cache */
    n = c->tables_length - off < SD_PATCH_TCACHE ? c->tables_length - off : SD_PATCH_TCACHE;
    c->cache_offset = c->tables_length;
    if (c->read_patch(c->user, c->tables.offset + off, c->cache, n) != 0) {
      sd_fail(c, SD_PATCH_ERR_IO);
      return 0;
    }
    c->cache_offset = off;
  }
  return c->cache[off - c->cache_offset];
}

/* A w-byte little-endian field (w <= 4), assembled byte by byte. */
static uint32_t read_le(sd_patch_ctx *c, uint32_t off, uint32_t w) {
  uint32_t v = 0;
  while (w-- > 0) v = (v << 8) | tables_byte(c, off + w);
  return v;
}

/* A uvarint below 2^32 at *pos (docs/FORMAT.md, "Integers"). */
static uint32_t read_varint(sd_patch_ctx *c, uint32_t *pos) {
  uint32_t v = 0, i, b;
  for (i = 0; i < 5u; i++) {
    b = tables_byte(c, (*pos)++);
    v |= (b & 0x7Fu) << (7u * i);
    if (b < 0x80u) {
      /* minimal, and the 5th byte carries 4 bits */
      if ((b == 0 && i > 0) || (i == 4u && b > 0x0Fu)) break;
      return v;
    }
  }
  sd_fail(c, CORRUPT);
  return 0;
}

/* n (at most 31) bits, most significant first, inside the entry bits. */
static uint32_t read_bits(sd_patch_ctx *c, sd_patch_cursor *k, uint32_t n) {
  uint32_t v = 0;
  for (; n > 0; n--, k->bit++) {
    if (k->bit >= c->bits_end) {
      sd_fail(c, CORRUPT);
      return 0;
    }
    v = (v << 1) | ((tables_byte(c, k->bit >> 3) >> (7u - (k->bit & 7u))) & 1u);
  }
  return v;
}

/* eg(order): z zero bits (at most 31 - order), the 1, then z + order bits b:
 * v = 2^(z+order) + b - 2^order, always below 2^32. */
static uint32_t read_eg(sd_patch_ctx *c, sd_patch_cursor *k, uint32_t order) {
  uint32_t z = 0;
  while (read_bits(c, k, 1) == 0) {
    if (c->status || ++z > 31u - order) {
      sd_fail(c, CORRUPT);
      return 0;
    }
  }
  z += order;
  return (1u << z) + read_bits(c, k, z) - (1u << order);
}

void sd_entry_step(sd_patch_ctx *c, sd_patch_cursor *k, uint32_t z) {
  /* seek: zigzag, so z odd moves back (z + 1) / 2, z even forward z / 2 */
  uint32_t half = z >> 1, start;
  if (z & 1u) {
    if (half >= k->old_pos) sd_fail(c, CORRUPT);
    start = k->old_pos - half - 1u;
  } else {
    if (half > c->old_size - k->old_pos) sd_fail(c, CORRUPT);
    start = k->old_pos + half;
  }
  /* The copy inside the old image, the entry not empty, the new image not passed. */
  if (c->status || k->copy > c->old_size - start || (k->copy | k->extra) == 0 ||
      (uint64_t)k->new_pos + k->copy + k->extra > c->new_size) {
    sd_fail(c, CORRUPT);
    return;
  }
  k->start = start;
  k->new_start = k->new_pos;
  k->old_pos = start + k->copy;
  k->new_pos += k->copy + k->extra;
}

uint32_t sd_tables_entry(sd_patch_ctx *c, sd_patch_cursor *k) {
  uint32_t z = read_eg(c, k, c->order[0]), segment;
  k->copy = read_eg(c, k, c->order[1]);
  k->extra = read_eg(c, k, c->order[2]);
  segment = (c->mode & SD_MODE_RELOC) && k->copy >= c->min_segment ? read_bits(c, k, 1) : 0u;
  sd_entry_step(c, k, z);
  return segment;
}

/* Field f (0 bit position, 1 old position, 2 new position, 3 segment key,
 * 4 segment new start) of checkpoint j >= 1. */
static uint32_t checkpoint(sd_patch_ctx *c, uint32_t j, uint32_t f) {
  uint32_t w = c->cp_width; /* the checkpoints end where the entry bits start */
  return read_le(c, (c->bits_start >> 3) - ((c->cp_count - j + 1u) * 5u - f) * w, w);
}

/* A value map's header and records (docs/FORMAT.md, "RAM map and constant map"). */
static void open_map(sd_patch_ctx *c, sd_patch_vmap *m, uint32_t *pos, uint32_t limit) {
  uint32_t count = read_varint(c, pos), span, widths, rec, i, start, prev = 0;
  if (count > limit) sd_fail(c, CORRUPT);
  if (count == 0 || c->status) return;
  m->base = read_varint(c, pos);
  span = read_varint(c, pos);
  widths = tables_byte(c, (*pos)++);
  m->ws = (uint8_t)(widths >> 4);
  m->wh = (uint8_t)(widths & 15u);
  rec = m->ws + (uint32_t)m->wh;
  m->offset = *pos;
  if (span == 0 || span - 1u > 0xFFFFFFFFu - m->base || m->ws - 1u > 3u || m->wh - 1u > 3u ||
      count * rec > c->tables_length - *pos) {
    sd_fail(c, CORRUPT);
    return;
  }
  *pos += count * rec;
  m->last = m->base + (span - 1u);
  /* Starts: the first 0, strictly increasing, below the span. */
  for (i = 0; i < count; i++) {
    start = read_le(c, m->offset + i * rec, m->ws);
    if (start >= span || (i > 0 ? start <= prev : start != 0)) sd_fail(c, CORRUPT);
    prev = start;
  }
  m->count = (uint16_t)count;
}

/* The control table's fields before the entry bits, then the maps; returns
 * the entry count. */
static uint32_t open_tables(sd_patch_ctx *c) {
  uint32_t pos = 0, n, i, w, g, bits;
  n = read_varint(c, &pos);
  for (i = 0; i < 3u; i++) c->order[i] = (uint8_t)tables_byte(c, pos++);
  if (n > SD_PATCH_MAX_ENTRIES || c->order[0] > 24u || c->order[1] > 24u || c->order[2] > 24u)
    sd_fail(c, CORRUPT);
  if (c->mode & SD_MODE_RELOC) {
    c->min_segment = read_varint(c, &pos);
    c->group_log2 = (uint8_t)(g = tables_byte(c, pos++));
    c->cp_width = (uint8_t)(w = tables_byte(c, pos++));
    if (g - 2u > 14u || w - 1u > 3u) sd_fail(c, CORRUPT);
    if (n > 0 && !c->status) c->cp_count = (n - 1u) >> g; /* ceil(N / G) - 1 */
  }
  bits = read_varint(c, &pos);
  i = c->cp_count * 5u * c->cp_width; /* checkpoint bytes, below 2^23 */
  if (c->status || i > c->tables_length - pos || bits > c->tables_length - pos - i) {
    sd_fail(c, CORRUPT);
    return 0;
  }
  pos += i;
  c->bits_start = pos * 8u; /* below 2^27: the tables are at most 2^24 bytes */
  pos += bits;
  c->bits_end = pos * 8u;
  if (c->recognizers & SD_REC_RAM) open_map(c, &c->ram, &pos, SD_PATCH_MAX_RAM_SEGMENTS);
  if (c->recognizers & SD_REC_CONST) open_map(c, &c->consts, &pos, SD_PATCH_MAX_CONST_SEGMENTS);
  if (pos != c->tables_length) sd_fail(c, CORRUPT);
  return n;
}

void sd_tables_check(sd_patch_ctx *c) {
  sd_patch_cursor k;
  uint32_t key = 0, seg_new = 0, f, want[5], i, n = open_tables(c);
  k.bit = c->bits_start;
  k.old_pos = k.new_pos = 0;
  /* One pass over the entries: each against the images (sd_entry_step), the
   * segment order, and each checkpoint against the state it describes. */
  for (i = 0; i < n && !c->status; i++) {
    if (c->cp_count > 0 && i > 0 && (i & ((1u << c->group_log2) - 1u)) == 0) {
      want[0] = k.bit - c->bits_start;
      want[1] = k.old_pos;
      want[2] = k.new_pos;
      want[3] = key;
      want[4] = seg_new;
      for (f = 0; f < 5u; f++)
        if (checkpoint(c, i >> c->group_log2, f) != want[f]) sd_fail(c, CORRUPT);
    }
    if (sd_tables_entry(c, &k)) {
      if (k.start < key) sd_fail(c, CORRUPT); /* old starts strictly increase */
      key = k.start + 1u;
      seg_new = k.new_start;
    }
  }
  /* The bit stream's end: fewer than 8 bits left, all 0; the new image covered. */
  if (c->bits_end - k.bit >= 8u || read_bits(c, &k, c->bits_end - k.bit) != 0 || k.new_pos != c->new_size)
    sd_fail(c, CORRUPT);
  c->seq.bit = c->bits_start;
}

uint32_t sd_flash_shift(sd_patch_ctx *c, uint32_t o) {
  sd_patch_cursor k;
  uint32_t lo = 0, hi = c->cp_count, mid, key = 0, seg_new = 0, left, shift;
  if (o - c->fs_lo < c->fs_hi - c->fs_lo) return c->fs_shift; /* the same segment as last time */
  /* The last checkpoint whose segment key is at most o + 1 (keys do not decrease). */
  while (lo < hi) {
    mid = lo + (hi - lo + 1u) / 2u;
    if (checkpoint(c, mid, 3) <= o + 1u) lo = mid;
    else hi = mid - 1u;
  }
  k.bit = c->bits_start;
  k.old_pos = k.new_pos = 0;
  if (lo > 0) {
    k.bit += checkpoint(c, lo, 0);
    k.old_pos = checkpoint(c, lo, 1);
    k.new_pos = checkpoint(c, lo, 2);
    key = checkpoint(c, lo, 3);
    seg_new = checkpoint(c, lo, 4);
  }
  /* [fs_lo, fs_hi): where the last segment with start <= o stays the last. */
  c->fs_lo = key > 0 ? key - 1u : 0u;
  c->fs_hi = 0xFFFFFFFFu;
  shift = key > 0 ? seg_new - (key - 1u) : 0u;
  /* The rest of the group: at most G entries; the last entry of all ends the new image. */
  for (left = 1u << c->group_log2; left > 0 && k.new_pos < c->new_size && !c->status; left--) {
    if (!sd_tables_entry(c, &k)) continue;
    if (k.start > o) {
      c->fs_hi = k.start;
      break;
    }
    c->fs_lo = k.start;
    shift = k.new_start - k.start; /* modulo 2^32 */
  }
  if (c->status) c->fs_hi = c->fs_lo; /* cache nothing after an error */
  c->fs_shift = shift;
  return shift;
}

int sd_map_value(sd_patch_ctx *c, const sd_patch_vmap *m, uint32_t v, uint32_t *word) {
  uint32_t lo = 0, hi, mid, d = v - m->base, rec = m->ws + (uint32_t)m->wh, z;
  if (m->count == 0 || v < m->base || v > m->last) return 0;
  /* The last record with start <= v - base. */
  hi = m->count - 1u;
  while (lo < hi) {
    mid = lo + (hi - lo + 1u) / 2u;
    if (read_le(c, m->offset + mid * rec, m->ws) <= d) lo = mid;
    else hi = mid - 1u;
  }
  z = read_le(c, m->offset + lo * rec + m->ws, m->wh);
  *word = v + ((z >> 1) ^ (0u - (z & 1u))); /* + zigzag-decoded shift, modulo 2^32 */
  return 1;
}
