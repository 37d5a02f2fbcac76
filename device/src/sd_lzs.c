/*
 * Streaming codec 2 ("LZS") decoder, written from docs/LZS.md (section names
 * are cited below).
 *
 * Design, as sd_lzma.c: a resumable state machine whose every surviving
 * variable lives in sd_lzs_dec. The range decoder normalizes lazily, before a
 * bit, so a bit needs at most one new input byte; when it is missing the
 * decoder returns with nothing changed and resumes at the same bit. Output is
 * blocked only where a byte is emitted. To stay small, all multi-bit values
 * go through one step (ST_BITS: a bit tree, then direct bits) with a
 * continuation, the symbol kind is read back from the state, and a literal is
 * emitted as a one-byte copy, so output is written in one place.
 */
#include "sd_lzs.h"

/* "Range coder": 11-bit probabilities, adaptation shift 5, top 2^24. */
#define PROB_BITS 11u
#define PROB_INIT (1u << (PROB_BITS - 1))
#define MOVE_BITS 5u
#define RC_TOP (1u << 24)

/* "Model": probability offsets. */
#define P_IS_MATCH 0u
#define P_IS_REP 6u
#define P_LEN 12u
#define LEN_CODER 16u
#define LEN_PREFIX_MAX 8u
#define P_SLOT 44u
#define P_LITERAL 108u
#define P_LITERAL_XOR (P_LITERAL + 256u)
#define MIN_MATCH 2u

enum step {
  ST_INIT,       /* reading the 4 code bytes */
  ST_SYMBOL,     /* is-match bit, or the end */
  ST_IS_REP,
  ST_LEN_PREFIX, /* unary length prefix */
  ST_BITS,       /* tree bits, then direct bits, then d->next */
  ST_LIT_DONE,
  ST_LEN_DONE,
  ST_SLOT_DONE,
  ST_DIST_DONE,
  ST_COPY,
  ST_END,        /* after the last byte: code must be 0 */
  ST_DONE,
  ST_ERROR,
  ST_BAD_PARAM
};

#define NEED_MORE 2 /* internal: blocked on input or output */

size_t sd_lzs_work_size(uint8_t params, uint32_t unpacked_size) {
  if (!SD_LZS_PARAMS_VALID(params)) return 0;
  return SD_LZS_WORK_SIZE(params, unpacked_size);
}

int sd_lzs_init(sd_lzs_dec *d, uint8_t params, uint32_t unpacked_size, uint16_t *work,
                size_t work_size) {
  size_t need = sd_lzs_work_size(params, unpacked_size);
  uint32_t i, n = SD_LZS_PROBS_COUNT(params);
  if (d == NULL) return SD_LZS_ERR_PARAM;
  d->step = ST_BAD_PARAM;
  if (need == 0 || work == NULL || work_size < need) return SD_LZS_ERR_PARAM;
  for (i = 0; i < n; i++) work[i] = PROB_INIT;
  d->probs = work;
  d->window = (uint8_t *)(work + n);
  d->win_size = (uint32_t)(need - 2u * n);
  d->win_pos = d->produced = 0;
  d->remaining = unpacked_size;
  d->range = 0xFFFFFFFFu;
  d->code = 0;
  d->rep = 1;
  d->state = 0;
  d->params = params;
  d->count = 4;
  d->step = ST_INIT;
  return SD_LZS_OK;
}

/* ---- "Range coder" ---- */

static int rc_normalize(sd_lzs_dec *d) {
  if (d->range < RC_TOP) {
    if (d->in_left == 0) return 0;
    d->in_left--;
    d->range <<= 8;
    d->code = (d->code << 8) | *d->in++;
  }
  return 1;
}

/* One bit with probability *p, or a direct bit (p == NULL: probability 1/2,
 * never updated); -1 when blocked on input. */
static int rc_bit(sd_lzs_dec *d, uint16_t *p) {
  uint32_t prob = p ? *p : PROB_INIT, bound;
  if (!rc_normalize(d)) return -1;
  bound = (d->range >> PROB_BITS) * prob;
  if (d->code < bound) {
    d->range = bound;
    if (p) *p = (uint16_t)(prob + (((1u << PROB_BITS) - prob) >> MOVE_BITS));
    return 0;
  }
  d->range -= bound;
  d->code -= bound;
  if (p) *p = (uint16_t)(prob - (prob >> MOVE_BITS));
  return 1;
}

/* Byte dist (0..produced) back in the window: 0 is the slot the next byte goes
 * to, where a literal waits for its output space. dist <= win_size. */
static uint8_t byte_at(const sd_lzs_dec *d, uint32_t dist) {
  uint32_t i = d->win_pos >= dist ? d->win_pos - dist : d->win_pos + (d->win_size - dist);
  return d->window[i];
}

/* A value of `tree_bits` tree bits (probabilities base + node, from node
 * d->val) then `direct` direct bits, appended to d->val; continues at next. */
static void bits_start(sd_lzs_dec *d, uint32_t base, uint8_t tree_bits, uint8_t direct,
                       uint8_t next) {
  d->base = (uint16_t)base;
  d->limit_log2 = tree_bits;
  d->count = direct;
  d->next = next;
  d->step = ST_BITS;
}

/* One step: SD_LZS_OK to continue, NEED_MORE, SD_LZS_DONE or SD_LZS_ERR_DATA. */
static int run_step(sd_lzs_dec *d) {
  int bit;
  uint32_t slot;

  switch (d->step) {
  case ST_INIT: /* "Range coder": code = the first 4 bytes, big-endian */
    while (d->count) {
      if (d->in_left == 0) return NEED_MORE;
      d->in_left--;
      d->code = (d->code << 8) | *d->in++;
      d->count--;
    }
    d->step = ST_SYMBOL;
    return SD_LZS_OK;

  case ST_SYMBOL: /* "Symbols": no is-match bit before the first byte */
    if (d->remaining == 0) {
      d->step = ST_END;
      return SD_LZS_OK;
    }
    bit = d->produced ? rc_bit(d, &d->probs[P_IS_MATCH + d->state]) : 0;
    if (bit < 0) return NEED_MORE;
    d->val = 1;
    if (bit) {
      d->step = ST_IS_REP;
    } else {
      int xor_tree = SD_LZS_LITERAL_CONTEXT(d->params) && d->state >= 2u;
      bits_start(d, xor_tree ? P_LITERAL_XOR : P_LITERAL, 8, 0, ST_LIT_DONE);
    }
    return SD_LZS_OK;

  case ST_IS_REP: /* the new state records the kind: 2 + 2 * is_rep + ... */
    bit = rc_bit(d, &d->probs[P_IS_REP + d->state]);
    if (bit < 0) return NEED_MORE;
    d->state = (uint8_t)(2u + 2u * (unsigned)bit + (d->state >= 2u));
    d->count = 0;
    d->step = ST_LEN_PREFIX;
    return SD_LZS_OK;

  case ST_LEN_PREFIX: { /* "Lengths": coder = state >> 2 (0 match, 1 rep) */
    uint32_t base = P_LEN + (uint32_t)(d->state >> 2) * LEN_CODER;
    while (d->count < LEN_PREFIX_MAX) {
      bit = rc_bit(d, &d->probs[base + d->count]);
      if (bit < 0) return NEED_MORE;
      if (!bit) break;
      d->count++;
    }
    if (d->count == 0) { /* x = 1 */
      d->step = ST_LEN_DONE;
    } else { /* the bit under the leading 1, then n - 1 direct bits */
      bits_start(d, base + LEN_PREFIX_MAX + d->count - 2u, 1, (uint8_t)(d->count - 1u),
                 ST_LEN_DONE);
    }
    return SD_LZS_OK;
  }

  case ST_BITS:
    while (d->val < (1u << d->limit_log2)) {
      bit = rc_bit(d, &d->probs[d->base + d->val]);
      if (bit < 0) return NEED_MORE;
      d->val = (d->val << 1) | (uint32_t)bit;
    }
    while (d->count) {
      bit = rc_bit(d, NULL);
      if (bit < 0) return NEED_MORE;
      d->val = (d->val << 1) | (uint32_t)bit;
      d->count--;
    }
    d->step = d->next;
    return SD_LZS_OK;

  case ST_LIT_DONE: { /* "Literals": parked in the window, emitted as a copy from distance 0 */
    uint8_t b = (uint8_t)d->val;
    if (d->base == P_LITERAL_XOR) b ^= byte_at(d, d->rep);
    d->window[d->win_pos] = b;
    d->state = (uint8_t)(d->state >= 2u); /* 1 if a match came before */
    d->val = 0;
    d->len = 1;
    d->step = ST_COPY;
    return SD_LZS_OK;
  }

  case ST_LEN_DONE: /* len = x + 1; a rep copies at once, a match reads its distance */
    d->len = d->val + 1u;
    if (d->len > d->remaining) return SD_LZS_ERR_DATA;
    d->val = 1;
    if (d->state >= 4u) {
      d->val = d->rep;
      d->step = ST_COPY;
    } else {
      bits_start(d, P_SLOT + (d->len > MIN_MATCH ? 32u : 0u), 5, 0, ST_SLOT_DONE);
    }
    return SD_LZS_OK;

  case ST_SLOT_DONE: /* "Distances": v = slot below 4, else (2 | slot & 1) then direct bits */
    slot = d->val - 32u;
    if (slot >= 2u * SD_LZS_WINDOW_LOG2(d->params)) return SD_LZS_ERR_DATA;
    d->val = slot;
    if (slot >= 4u) {
      d->val = 2u | (slot & 1u);
      bits_start(d, 0, 0, (uint8_t)((slot >> 1) - 1u), ST_DIST_DONE);
      return SD_LZS_OK;
    }
    /* fall through */
  case ST_DIST_DONE:
    if (d->val >= d->produced) return SD_LZS_ERR_DATA; /* before the output's start */
    d->rep = ++d->val;
    d->step = ST_COPY;
    return SD_LZS_OK;

  case ST_COPY: /* d->len bytes from distance d->val */
    while (d->len) {
      uint8_t b;
      if (d->out_left == 0) return NEED_MORE;
      b = byte_at(d, d->val);
      d->window[d->win_pos] = b;
      if (++d->win_pos == d->win_size) d->win_pos = 0;
      d->produced++;
      d->remaining--;
      d->out_left--;
      *d->out++ = b;
      d->len--;
    }
    d->step = ST_SYMBOL;
    return SD_LZS_OK;

  case ST_END: /* "End of stream": one last normalization, then code == 0 */
    if (!rc_normalize(d)) return NEED_MORE;
    return d->code == 0 ? SD_LZS_DONE : SD_LZS_ERR_DATA;

  case ST_BAD_PARAM:
    return SD_LZS_ERR_PARAM;

  default: /* ST_ERROR */
    return SD_LZS_ERR_DATA;
  }
}

int sd_lzs_decode(sd_lzs_dec *d, const uint8_t *in, size_t *in_len, uint8_t *out,
                  size_t *out_len) {
  int r = SD_LZS_OK;
  if (d == NULL || in_len == NULL || out_len == NULL || (in == NULL && *in_len) ||
      (out == NULL && *out_len))
    return SD_LZS_ERR_PARAM;
  d->in = in;
  d->in_left = *in_len;
  d->out = out;
  d->out_left = *out_len;
  if (d->step == ST_DONE) {
    r = *in_len ? SD_LZS_ERR_DATA : SD_LZS_DONE; /* data after the end */
  } else {
    while (r == SD_LZS_OK) r = run_step(d);
    if (r == SD_LZS_DONE) d->step = ST_DONE;
    else if (r == NEED_MORE) r = SD_LZS_OK;
    else if (r == SD_LZS_ERR_DATA) d->step = ST_ERROR;
  }
  *in_len -= d->in_left;
  *out_len -= d->out_left;
  return r;
}
