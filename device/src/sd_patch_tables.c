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

/* Every check of the tables fails the same way (sticky, first error wins):
 * one out-of-line call per check site instead of loading the code at each. */
SD_NOINLINE static void corrupt(sd_patch_ctx *c) {
  sd_fail(c, CORRUPT);
}

/* Byte off of the tables section; 0 after an error. */
static uint32_t tables_byte(sd_patch_ctx *c, uint32_t off) {
  uint32_t n;
  if (off >= c->tables_length || c->status) {
    corrupt(c);
    return 0;
  }
  if (c->read_patch == NULL) return c->tables.copy[off];
  if (off - c->cache_offset >= SD_PATCH_TCACHE) { /* a miss, or an empty cache */
    n = c->tables_length - off < SD_PATCH_TCACHE ? c->tables_length - off : SD_PATCH_TCACHE;
    c->cache_offset = off; /* (after a failed read the sticky error keeps the cache unused) */
    if (c->read_patch(c->user, c->tables.offset + off, c->cache, n) != 0) {
      c->status = (uint8_t)-SD_PATCH_ERR_IO; /* the first error: there was none (above) */
      return 0;
    }
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
  uint32_t v = 0, shift, b;
  for (shift = 0; shift < 35u; shift += 7u) {
    b = tables_byte(c, (*pos)++);
    v |= (b & 0x7Fu) << shift;
    if (b < 0x80u) {
      /* minimal, and the 5th byte carries 4 bits */
      if ((b == 0 && shift > 0) || (shift == 28u && b > 0x0Fu)) break;
      return v;
    }
  }
  corrupt(c);
  return 0;
}

/* n (at most 31) bits, most significant first, from bit *bit of the
 * tables, which must stay below end (the bit stream's end). A byte's bits
 * at a time: the control table is decoded again at every lookup. */
static uint32_t read_bits(sd_patch_ctx *c, uint32_t *bit, uint32_t end, uint32_t n) {
  uint32_t v = 0, at = *bit, left, take;
  if (n > end - at) { /* (every caller has at <= end) */
    corrupt(c);
    return 0;
  }
  *bit = at + n;
  for (; n > 0; n -= take, at += take) {
    left = 8u - (at & 7u); /* the byte's unread bits */
    take = n < left ? n : left;
    v = (v << take) | ((tables_byte(c, at >> 3) >> (left - take)) & ((1u << take) - 1u));
  }
  return v;
}

/* eg(order): z zero bits (at most 31 - order), the 1, then z + order bits b:
 * v = 2^(z+order) + b - 2^order, always below 2^32. The zeros are skipped a
 * byte's unread bits at a time. */
static uint32_t read_eg(sd_patch_ctx *c, uint32_t *bit, uint32_t end, uint32_t order) {
  uint32_t at = *bit, rest, z;
  do {
    if (at >= end) {
      corrupt(c);
      return 0;
    }
    rest = tables_byte(c, at >> 3) & (0xFFu >> (at & 7u));
    at = (at | 7u) + 1u;
  } while (rest == 0);
  at -= 31u - (uint32_t)__builtin_clz(rest); /* just after the 1 (read_bits checks it is below end) */
  z = at - 1u - *bit + order;
  *bit = at;
  if (z > 31u) {
    corrupt(c);
    return 0;
  }
  return (1u << z) + read_bits(c, bit, end, z) - (1u << order);
}

/* A bit stream's end: fewer than 8 bits left after bit, all 0. */
static void check_end(sd_patch_ctx *c, uint32_t bit, uint32_t end) {
  if (end - bit >= 8u || read_bits(c, &bit, end, end - bit) != 0) corrupt(c);
}

/* A checkpointed bit stream (docs/FORMAT.md, "Checkpoints"): n checkpoints
 * of k w-byte fields end where the bit stream at bit offset bits begins;
 * checkpoint j (1 to n) describes the state before record j * G, and
 * checkpoint 0 is all zeros. The control table (k = 5) and the value maps
 * (k = 2) share the search. */
typedef struct sd_cps {
  uint32_t bits, n, k, w, g;
} sd_cps;

/* The checkpoints of the control table (m NULL: k = 5) or of value map m (k = 2). */
static void cps_of(const sd_patch_ctx *c, const sd_patch_vmap *m, sd_cps *s) {
  if (m == NULL) {
    s->bits = c->tab.sec.bits_start;
    s->n = c->tab.sec.cp_count;
    s->k = 5u;
    s->w = c->cp_width;
    s->g = c->group_log2;
  } else {
    s->bits = m->bits;
    s->n = (uint32_t)(m->count - 1u) >> m->group_log2;
    s->k = 2u;
    s->w = m->cp_width;
    s->g = m->group_log2;
  }
}

/* Field f of checkpoint j >= 1. */
static uint32_t cp_get(sd_patch_ctx *c, const sd_cps *s, uint32_t j, uint32_t f) {
  return read_le(c, (s->bits >> 3) - ((s->n - j + 1u) * s->k - f) * s->w, s->w);
}

/* The last checkpoint of m (cps_of) whose field kf is at most key (fields that do not
 * decrease): its fields in out[0..k), and its index. */
static uint32_t cp_find(sd_patch_ctx *c, const sd_patch_vmap *m, uint32_t kf, uint32_t key, uint32_t *out) {
  sd_cps s;
  uint32_t lo = 0, hi, mid, f;
  cps_of(c, m, &s);
  hi = s.n;
  while (lo < hi) {
    mid = lo + (hi - lo + 1u) / 2u;
    if (cp_get(c, &s, mid, kf) <= key) lo = mid;
    else hi = mid - 1u;
  }
  for (f = 0; f < s.k; f++) out[f] = lo > 0 ? cp_get(c, &s, lo, f) : 0u;
  return lo;
}

/* At record i of m (cps_of): checks checkpoint i / G against want[0..k). */
static void cp_check(sd_patch_ctx *c, const sd_patch_vmap *m, uint32_t i, const uint32_t *want) {
  sd_cps s;
  uint32_t f;
  cps_of(c, m, &s);
  if (s.n == 0 || i == 0 || (i & ((1u << s.g) - 1u)) != 0) return; /* none (plain sectioned: G = 1) */
  for (f = 0; f < s.k; f++)
    if (cp_get(c, &s, i >> s.g, f) != want[f]) corrupt(c);
}

/* A map record or a segment for the fast lookups, when they have room. */
SD_NOINLINE static void put_pair(sd_patch_ctx *c, uint32_t start, uint32_t shift) {
  uint32_t n = c->lk.pairs.n++, *p = c->lk.pairs.at + 2u * n;
  if (n < c->fs_shift) {
    p[0] = start;
    p[1] = shift;
  }
}

/* The shift of the last of n pairs whose start is at most key (starts
 * increase); 0 when none. */
static uint32_t find_pair(const uint32_t *p, uint32_t n, uint32_t key) {
  uint32_t lo = 0, mid;
  while (lo < n) {
    mid = (lo + n) >> 1;
    if (p[2u * mid] <= key) lo = mid + 1u;
    else n = mid;
  }
  return lo > 0 ? p[2u * lo - 1u] : 0u;
}
int sd_patch_fast_lookups(const sd_patch_ctx *c) {
  return c->recognizers >> 7; /* SD_REC_PAIRS */
}

void sd_entry_step(sd_patch_ctx *c, sd_patch_cursor *k, uint32_t z) {
  /* seek: zigzag, so z odd moves back (z + 1) / 2, z even forward z / 2 */
  uint32_t half = z >> 1, start = z & 1u ? k->old_pos - half - 1u : k->old_pos + half, room;
  /* The seek inside the old image, the copy too, the entry not empty, the new
   * image not passed. In 32 bits: a cursor never passes either image (old_pos
   * <= old_size, new_pos <= new_size: every step is checked here, and the
   * checkpoints a lookup starts from were checked against such steps), so a
   * seek before 0 wraps above the old size (below 2^26; half below 2^31),
   * and room is what is left of the new image. */
  room = c->new_size - k->new_pos;
  if (c->status || start > c->old_size || k->copy > c->old_size - start || (k->copy | k->extra) == 0 || k->copy > room ||
      k->extra > room - k->copy) {
    corrupt(c);
    return;
  }
  k->start = start;
  k->new_start = k->new_pos;
  k->old_pos = start + k->copy;
  k->new_pos += k->copy + k->extra;
}

uint32_t sd_tables_entry(sd_patch_ctx *c, sd_patch_cursor *k) {
  uint32_t end = c->tab.sec.bits_end, z = read_eg(c, &k->bit, end, c->order[0]), segment;
  k->copy = read_eg(c, &k->bit, end, c->order[1]);
  k->extra = read_eg(c, &k->bit, end, c->order[2]);
  segment = (c->mode & SD_MODE_RELOC) && k->copy >= c->tab.sec.min_segment ? read_bits(c, &k->bit, end, 1) : 0u;
  sd_entry_step(c, k, z);
  return segment;
}

/* The bytes of a bit stream after its checkpoints (cp_bytes of them), from
 * *pos: sets *bits, returns its end (0 after an error), moves *pos past it. */
static uint32_t open_bits(sd_patch_ctx *c, uint32_t *pos, uint32_t cp_bytes, uint32_t *bits) {
  uint32_t n = read_varint(c, pos), left = c->tables_length - *pos;
  if (c->status || cp_bytes > left || n > left - cp_bytes) {
    corrupt(c);
    return 0;
  }
  *pos += cp_bytes;
  *bits = *pos * 8u; /* below 2^27: the tables are at most 2^24 bytes */
  *pos += n;
  return *pos * 8u;
}

/* The tables' one-byte fields, as (lo, hi - lo): the recognizers (0 to 63),
 * three exp-Golomb orders (0 to 24), a group log2 (2 to 16) and a checkpoint
 * width (1 to 4). The control table reads the orders from FIELDS_ORDERS and
 * the group from FIELDS_GROUP; a value map its two orders and its group from
 * FIELDS_MAP (the struct fields are in that order). */
static const uint8_t field_limits[12] = {0, SD_REC_ALL, 0, 24, 0, 24, 0, 24, 2, 14, 1, 3};
/* Which fields: their first limits' index in field_limits, times 8, plus their count. */
#define FIELDS_RECOGNIZERS (0u * 8u + 1u)
#define FIELDS_ORDERS (2u * 8u + 3u)
#define FIELDS_MAP (4u * 8u + 4u)
#define FIELDS_GROUP (8u * 8u + 2u)
#define FIELDS_FIT(which) ((which >> 3) + 2u * (which & 7u) <= sizeof field_limits)
typedef char sd_fields_fit[FIELDS_FIT(FIELDS_RECOGNIZERS) && FIELDS_FIT(FIELDS_ORDERS) && FIELDS_FIT(FIELDS_MAP) &&
                                   FIELDS_FIT(FIELDS_GROUP)
                               ? 1
                               : -1];

/* The fields which (FIELDS_*) at *pos into out, each checked against its
 * limits (CORRUPT otherwise). */
static void read_fields(sd_patch_ctx *c, uint32_t *pos, uint8_t *out, uint32_t which) {
  const uint8_t *lim = field_limits + (which >> 3);
  uint8_t *stop = out + (which & 7u);
  for (; out < stop; lim += 2) {
    uint32_t v = tables_byte(c, (*pos)++);
    if (v - lim[0] > lim[1]) corrupt(c);
    *out++ = (uint8_t)v;
  }
}

/* A value map (docs/FORMAT.md, "RAM map and constant map"): its fields, then
 * every record checked once: starts strictly increasing from 0 and below the
 * span, the checkpoints, the bit stream's end. */
static void open_map(sd_patch_ctx *c, sd_patch_vmap *m, uint32_t *pos, uint32_t limit) {
  uint32_t count = read_varint(c, pos), span, i, d, start = 0, bit, want[2];
  if (count > limit) corrupt(c);
  if (count == 0 || c->status) return;
  m->base = read_varint(c, pos);
  span = read_varint(c, pos);
  m->last = m->base + (span - 1u);
  if (span == 0 || m->last < m->base) corrupt(c); /* base + span - 1 below 2^32 */
  read_fields(c, pos, m->order, FIELDS_MAP); /* order[2], group_log2, cp_width */
  if (c->status) return;
  m->count = (uint16_t)count;
  m->end = open_bits(c, pos, ((count - 1u) >> m->group_log2) * 2u * m->cp_width, &m->bits);
  bit = m->bits;
  for (i = 0; i < count && !c->status; i++) {
    want[0] = bit - m->bits; /* a checkpoint: the record's bit position and start */
    d = read_eg(c, &bit, m->end, m->order[0]);
    if (i == 0 ? d != 0 : d == 0 || d >= span - start) corrupt(c);
    want[1] = start += d;
    d = read_eg(c, &bit, m->end, m->order[1]); /* any shift: its zigzag is below 2^32 */
    put_pair(c, start, (d >> 1) ^ (0u - (d & 1u)));
    cp_check(c, m, i, want);
  }
  check_end(c, bit, m->end);
}

/* The tables section: the recognizers (relocation), the control table's
 * fields before its entry bits (sectioned), the maps; returns the entry count. */
static SD_INLINE uint32_t open_tables(sd_patch_ctx *c) {
  uint32_t pos = 0, n = 0;
  if (c->mode & SD_MODE_RELOC) {
    read_fields(c, &pos, &c->recognizers, FIELDS_RECOGNIZERS);
  }
  if (c->mode & SD_MODE_SECTIONED) {
    n = read_varint(c, &pos);
    read_fields(c, &pos, c->order, FIELDS_ORDERS);
    if (n > SD_PATCH_MAX_ENTRIES) corrupt(c);
    if (c->mode & SD_MODE_RELOC) {
      c->tab.sec.min_segment = read_varint(c, &pos);
      read_fields(c, &pos, &c->group_log2, FIELDS_GROUP); /* group_log2, cp_width */
      if (n > 0 && !c->status) c->tab.sec.cp_count = (n - 1u) >> c->group_log2; /* ceil(N / G) - 1 */
    }
    /* checkpoint bytes: below 2^23 */
    c->tab.sec.bits_end = open_bits(c, &pos, c->tab.sec.cp_count * 5u * c->cp_width, &c->tab.sec.bits_start);
  }
  if (c->recognizers & SD_REC_RAM) open_map(c, &c->ram, &pos, SD_PATCH_MAX_RAM_SEGMENTS);
  if (c->recognizers & SD_REC_CONST) open_map(c, &c->consts, &pos, SD_PATCH_MAX_CONST_SEGMENTS);
  if (pos != c->tables_length) corrupt(c);
  return n;
}

void sd_tables_check(sd_patch_ctx *c) {
  sd_patch_cursor k;
  uint32_t want[5], i, n = open_tables(c);
  want[3] = want[4] = 0; /* no segment yet (the others are set before each entry) */
  k.bit = c->tab.sec.bits_start;
  k.old_pos = k.new_pos = 0;
  /* One pass over the entries: each against the images (sd_entry_step), the
   * segment order, and each checkpoint against the state it describes: bit
   * position, old and new positions, segment key and new start. */
  for (i = 0; i < n && !c->status; i++) {
    want[0] = k.bit - c->tab.sec.bits_start;
    want[1] = k.old_pos;
    want[2] = k.new_pos;
    cp_check(c, NULL, i, want);
    if (sd_tables_entry(c, &k)) {
      if (k.start < want[3]) corrupt(c); /* old starts strictly increase */
      want[3] = k.start + 1u;
      want[4] = k.new_start;
      put_pair(c, k.start, k.new_start - k.start);
    }
  }
  if (c->mode & SD_MODE_SECTIONED) { /* (table-first: the maps only) */
    /* The bit stream's end; the new image covered. */
    check_end(c, k.bit, c->tab.sec.bits_end);
    if (k.new_pos != c->new_size) corrupt(c);
    c->seq.bit = c->tab.sec.bits_start;
  }
  /* Every pair stored: the lookups use them; else the one-segment cache, empty. */
  if (c->lk.pairs.n <= c->fs_shift) c->recognizers |= SD_REC_PAIRS;
  else c->lk.one.lo = c->lk.one.hi = 0;
}

uint32_t sd_flash_shift(sd_patch_ctx *c, uint32_t o) {
  sd_patch_cursor k;
  uint32_t cp[5], key = 0, lo, hi, shift;
  if (c->mode & SD_MODE_TABLE_FIRST) {
    /* The entries in RAM: the last flagged one with start <= o (starts increase). */
    uint32_t *e = c->tab.tf.entries, *stop = e + 3u * c->tab.tf.count;
    for (shift = 0; e < stop && (!(e[1] & 1u) || e[0] <= o); e += 3) {
      if (e[1] & 1u) shift = key - e[0];
      key += (e[1] >> 1) + e[2]; /* the next entry's new start */
    }
    return shift;
  }
  if (c->recognizers & SD_REC_PAIRS) /* the segments follow the maps' records */
    return find_pair(c->lk.pairs.at + 2u * (c->ram.count + c->consts.count), c->lk.pairs.n - c->ram.count - c->consts.count, o);
  if (o - c->lk.one.lo < c->lk.one.hi - c->lk.one.lo) return c->fs_shift; /* the same segment as last time */
  /* The last checkpoint whose segment key is at most o + 1 (keys do not decrease). */
  (void)cp_find(c, NULL, 3, o + 1u, cp);
  k.bit = c->tab.sec.bits_start + cp[0];
  k.old_pos = cp[1];
  k.new_pos = cp[2];
  key = cp[3];
  /* [lo, hi): where the last segment with start <= o stays the last. */
  lo = key > 0 ? key - 1u : 0u;
  hi = 0xFFFFFFFFu;
  shift = cp[4] - lo; /* (no segment yet: key and new start 0, checked against the entries) */
  /* The rest of the group (the next checkpoint's key is above o + 1: a segment of the group
   * starts after o); the last entry of all ends the new image. */
  while (k.new_pos < c->new_size && !c->status) {
    if (!sd_tables_entry(c, &k)) continue;
    if (k.start > o) {
      hi = k.start;
      break;
    }
    lo = k.start;
    shift = k.new_start - k.start; /* modulo 2^32 */
  }
  c->lk.one.lo = lo;
  c->lk.one.hi = c->status ? lo : hi; /* cache nothing after an error */
  c->fs_shift = shift;
  return shift;
}

int sd_map_value(sd_patch_ctx *c, const sd_patch_vmap *m, uint32_t v, uint32_t *word) {
  uint32_t d = v - m->base, cp[2], bit, start, shift = 0, left, i, delta;
  if (m->count == 0 || v < m->base || v > m->last) return 0;
  if (c->recognizers & SD_REC_PAIRS) { /* the constant map's records follow the RAM map's */
    *word = v + find_pair(c->lk.pairs.at + (m != &c->ram) * 2u * c->ram.count, m->count, d);
    return 1;
  }
  /* The last checkpoint whose start is at most v - base. */
  i = cp_find(c, m, 1, d, cp);
  bit = m->bits + cp[0];
  start = cp[1];
  /* None past the last; the group's first takes its start from the checkpoint. The next group's
   * checkpoint has a start above d: the loop ends within the group. */
  left = m->count - (i << m->group_log2);
  for (i = 0; i < left && !c->status; i++) {
    delta = read_eg(c, &bit, m->end, m->order[0]);
    if (i > 0) start += delta;
    if (start > d) break;
    shift = read_eg(c, &bit, m->end, m->order[1]);
  }
  *word = v + ((shift >> 1) ^ (0u - (shift & 1u))); /* + zigzag-decoded shift, modulo 2^32 */
  return 1;
}
