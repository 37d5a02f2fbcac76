/*
 * Streaming raw LZMA1 decoder, written from the LZMA format description
 * (LZMA SDK lzma-specification.txt; section names are cited below).
 *
 * Design: the decoder is a resumable state machine. Every variable that must
 * survive a suspension lives in sd_lzma_dec, and the range decoder normalizes
 * lazily, *before* a bit is decoded (the specification normalizes after each
 * bit; the sequence of operations is the same). A bit decode therefore needs at
 * most one new input byte, and when that byte is missing the decoder returns
 * with nothing changed and resumes at the same bit on the next call. No
 * lookahead buffer is needed and results are exact for any input chunking.
 * Output is blocked only where a byte is emitted, so the end marker is found
 * even with no output space left.
 *
 * Bit trees are decoded in one loop with the range coder in registers (every
 * adaptive bit goes through it, a single bit as a 1-bit tree): pybv11
 * pointer-aware on the M4 about 11.4 M instructions down to 8.0 M for 56
 * bytes of flash. With SD_PATCH_WITH_FAST_LOOPS (the speed build,
 * device/Makefile FAST_FLAGS) a literal is also parked in the window and
 * emitted as a 1-byte copy, and copies run in a local loop (no modulo or
 * 64-bit count per byte), for about 50 bytes more.
 */
#include "sd_lzma.h"

/* "The range decoder": 11-bit probabilities, adaptation shift 5, top 2^24. */
#define PROB_BITS 11u
#define PROB_INIT (1u << (PROB_BITS - 1))
#define MOVE_BITS 5u
#define RC_TOP (1u << 24)

/* Probability array layout (offsets in uint16_t units). */
#define P_IS_MATCH 0u       /* 12 states x 16 pos states */
#define P_IS_REP 192u       /* 12 */
#define P_IS_REP_G0 204u    /* 12 */
#define P_IS_REP_G1 216u    /* 12 */
#define P_IS_REP_G2 228u    /* 12 */
#define P_IS_REP0_LONG 240u /* 12 x 16 */
#define P_POS_SLOT 432u     /* 4 len states x 64 */
#define P_SPEC_POS 688u     /* 114: reverse trees of slots 4..13 */
#define P_ALIGN 802u        /* 16: 4-bit reverse tree */
#define P_LEN 818u          /* 514: match length coder */
#define P_REP_LEN 1332u     /* 514: rep match length coder */
#define P_LITERAL 1846u     /* 0x300 per literal coder */

/* Inside a length coder ("The length decoder"). */
#define LEN_CHOICE 0u
#define LEN_CHOICE2 1u
#define LEN_LOW 2u   /* 16 pos states x 8 (3-bit trees) */
#define LEN_MID 130u /* 16 pos states x 8 */
#define LEN_HIGH 258u /* one 8-bit tree */

#define NUM_STATES 12u
#define LIT_STATES 7u /* states below 7 follow a literal */
#define END_POS_MODEL 14u
#define ALIGN_BITS 4u
#define MATCH_MIN_LEN 2u
#define END_MARKER 0xFFFFFFFFu

enum step {
  ST_INIT,        /* reading the 5 range coder init bytes */
  /* One adaptive bit each (run_steps decodes it as a 1-bit tree, then comes back): */
  ST_SYMBOL,      /* IsMatch bit: literal or match */
  ST_IS_REP,
  ST_REP_G0,
  ST_REP0_LONG,
  ST_REP_G1,
  ST_REP_G2,
  ST_LEN_CHOICE,
  ST_LEN_CHOICE2,
  /* The rest: */
  ST_TREE,        /* a bit tree's bits, then next_step */
  ST_LIT_DONE,    /* emit the literal (speed build: park it in the window, then copy it) */
  ST_LEN_DONE,
  ST_SLOT_DONE,
  ST_DIRECT,      /* direct bits of a long distance */
  ST_DIST_DONE,
  ST_COPY,        /* copy copy_left bytes from dist bytes back (speed build: 0 for the parked literal) */
  ST_FINISH,      /* after the end marker: code must be 0 */
  ST_DONE,
  ST_ERROR,
  ST_BAD_PARAM    /* sd_lzma_init failed */
};

/* The probabilities of the one-bit states ST_SYMBOL..ST_REP_G2; IsMatch and
 * IsRep0Long have 16 per state (by pos state), the others one. */
static const uint16_t bit_probs[6] = {P_IS_MATCH, P_IS_REP, P_IS_REP_G0, P_IS_REP0_LONG, P_IS_REP_G1,
                                      P_IS_REP_G2};

#define NEED_MORE 2 /* internal: blocked on input or output */

size_t sd_lzma_probs_count(unsigned lc, unsigned lp) {
  if (lc > SD_LZMA_LC_MAX || lp > SD_LZMA_LP_MAX) return 0;
  return SD_LZMA_PROBS_COUNT(lc, lp);
}

int sd_lzma_init(sd_lzma_dec *d, unsigned lc, unsigned lp, unsigned pb, uint16_t *probs,
                 size_t probs_count, uint8_t *window, uint32_t window_size,
                 uint64_t unpacked_size) {
  size_t need = sd_lzma_probs_count(lc, lp), i;
  if (d == NULL) return SD_LZMA_ERR_PARAM;
  d->step = ST_BAD_PARAM;
  if (need == 0 || pb > SD_LZMA_PB_MAX || probs == NULL || probs_count < need ||
      window == NULL || window_size == 0)
    return SD_LZMA_ERR_PARAM;
  for (i = 0; i < need; i++) probs[i] = PROB_INIT;
  d->probs = probs;
  d->window = window;
  d->window_size = window_size;
  d->lc = (uint8_t)lc;
  d->lp_mask = (uint8_t)((1u << lp) - 1u);
  d->pb_mask = (uint8_t)((1u << pb) - 1u);
  d->size_known = unpacked_size != SD_LZMA_SIZE_UNKNOWN;
  d->remaining = unpacked_size;
  d->range = 0xFFFFFFFFu;
  d->code = 0;
  d->win_pos = d->win_fill = d->total_pos = 0;
  d->rep[0] = d->rep[1] = d->rep[2] = d->rep[3] = 0;
  d->lzma_state = 0;
  d->init_left = 5;
  d->step = ST_INIT;
  return SD_LZMA_OK;
}

/* ---- range decoder ("The range decoder") ---- */

/* Returns 0 when a byte is needed but none is available. */
static int rc_normalize(sd_lzma_dec *d) {
  if (d->range < RC_TOP) {
    if (d->in == d->in_end) return 0;
    d->range <<= 8;
    d->code = (d->code << 8) | *d->in++;
  }
  return 1;
}


/* DecodeDirectBits, one bit; -1 blocked, -2 corrupt (Code == Range). */
static int rc_direct_bit(sd_lzma_dec *d) {
  if (!rc_normalize(d)) return -1;
  d->range >>= 1;
  if (d->code < d->range) return 0;
  d->code -= d->range;
  return d->code == d->range ? -2 : 1;
}

/* ---- symbol helpers (both builds) ---- */

/* "The match/literal states" (UpdateState_*): 4 transitions. */
static uint8_t state_after_literal(uint8_t s) {
  return (uint8_t)(s < 4u ? 0u : s < 10u ? s - 3u : s - 6u);
}

static uint8_t state_after(uint8_t s, uint8_t if_literal_before, uint8_t otherwise) {
  return s < LIT_STATES ? if_literal_before : otherwise;
}

/* rep[k] (k = 1 to 3) becomes rep[0], the distances before it move up one.
 * (Written out: as a loop, gcc calls memmove.) */
static void rep_move(sd_lzma_dec *d, uint32_t k) {
  uint32_t dist = d->rep[k];
  if (k > 2u) d->rep[3] = d->rep[2];
  if (k > 1u) d->rep[2] = d->rep[1];
  d->rep[1] = d->rep[0];
  d->rep[0] = dist;
}

static void rep_len_start(sd_lzma_dec *d) {
  d->lzma_state = state_after(d->lzma_state, 8, 11);
  d->is_match = 0;
  d->len_probs = P_REP_LEN;
  d->step = ST_LEN_CHOICE;
}

/* ---- the speed build's loops ---- */

#ifdef __GNUC__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif


/* The bits of the tree in progress ("Bit tree decoder"; "The literal decoder"
 * with its match byte), with the coder in registers: 1 when the tree is
 * complete, 0 when the input ran out (all saved: the next call resumes at the
 * same bit). Most of the decoding time is spent here. A matched literal's
 * probabilities are 0x100 further on while its bits agree with the match
 * byte's, 0x200 when that bit is 1: offs is 0x100 until they differ, then 0. */
NOINLINE static int tree_bits(sd_lzma_dec *d) {
  uint32_t range = d->range, code = d->code, sym = d->tree_sym, match = d->match_byte;
  uint32_t offs = (uint32_t)d->matched << 8, limit = d->tree_limit, base = d->tree_base, bit, bound;
  uint16_t *p;
  const uint8_t *in = d->in;
  int done = 0;
  for (;;) {
    if (sym >= limit) {
      done = 1;
      break;
    }
    if (range < RC_TOP) {
      if (in == d->in_end) break;
      range <<= 8;
      code = (code << 8) | *in++;
    }
    match <<= 1;
    bit = match & offs;
    p = d->probs + (base + offs + bit + sym); /* (a 1-bit tree's base is prob - 1: index arithmetic mod 2^32) */
    bound = (range >> PROB_BITS) * *p;
    if (code < bound) {
      range = bound;
      *p = (uint16_t)(*p + (((1u << PROB_BITS) - *p) >> MOVE_BITS));
      offs &= ~bit;
      sym <<= 1;
    } else {
      range -= bound;
      code -= bound;
      *p = (uint16_t)(*p - (*p >> MOVE_BITS));
      offs &= bit;
      sym = (sym << 1) | 1u;
    }
  }
  d->range = range;
  d->code = code;
  d->tree_sym = sym;
  d->match_byte = (uint8_t)match;
  d->matched = (uint8_t)(offs >> 8);
  d->in = in;
  return done;
}

/* ---- dictionary window ("The output window") ---- */

/* Byte `back` (1 .. win_fill) bytes behind the write position. */
static uint8_t window_back(const sd_lzma_dec *d, uint32_t back) {
  uint32_t i = d->win_pos >= back ? d->win_pos - back : d->win_pos + (d->window_size - back);
  return d->window[i];
}

#ifdef SD_PATCH_WITH_FAST_LOOPS
/* ST_COPY: as many of the copy_left bytes as the output takes, from dist
 * bytes behind the write position (0: the literal parked there); 1 when all
 * are out. A local loop: no modulo and no 64-bit count per byte. */
NOINLINE static int copy_out(sd_lzma_dec *d) {
  uint32_t n = d->copy_left, pos = d->win_pos, size = d->window_size;
  uint32_t src = pos >= d->dist ? pos - d->dist : pos + (size - d->dist);
  uint8_t *out = d->out, *w = d->window;
  if ((size_t)(d->out_end - out) < n) n = (uint32_t)(d->out_end - out);
  d->copy_left -= n;
  d->total_pos += n;
  d->remaining -= n; /* from SD_LZMA_SIZE_UNKNOWN (2^64 - 1) it never reaches 0 */
  d->win_fill = size - d->win_fill > n ? d->win_fill + n : size;
  while (n--) {
    uint8_t b = w[src];
    w[pos] = b;
    *out++ = b;
    if (++src == size) src = 0;
    if (++pos == size) pos = 0;
  }
  d->win_pos = pos;
  d->out = out;
  return d->copy_left == 0;
}
#else
/* One byte out through the window (the default build: smaller, a little slower). */
static void window_put(sd_lzma_dec *d, uint8_t b) {
  d->window[d->win_pos] = b;
  if (++d->win_pos == d->window_size) d->win_pos = 0;
  if (d->win_fill < d->window_size) d->win_fill++;
  d->total_pos++;
  d->remaining--; /* from SD_LZMA_SIZE_UNKNOWN (2^64 - 1) it never reaches 0 */
  *d->out++ = b;
}
#endif

/* ---- symbol helpers ---- */

NOINLINE static void tree_start(sd_lzma_dec *d, uint32_t base, unsigned bits, uint8_t next) {
  d->tree_base = base;
  d->tree_sym = 1;
  d->tree_limit = 1u << bits;
  d->matched = 0;
  d->next_step = next;
  d->step = ST_TREE;
}

static void literal_start(sd_lzma_dec *d) {
  uint32_t prev = d->win_fill ? window_back(d, 1) : 0u;
  uint32_t coder = ((d->total_pos & d->lp_mask) << d->lc) + (prev >> (8u - d->lc));
  tree_start(d, P_LITERAL + 0x300u * coder, 8, ST_LIT_DONE);
  if (d->lzma_state >= LIT_STATES) {
    d->match_byte = window_back(d, d->rep[0] + 1u);
    d->matched = 1;
  }
}

/* Checks a decoded match against the window and the declared size: SD_LZMA_OK or SD_LZMA_ERR_DATA. */
static int copy_start(sd_lzma_dec *d, uint32_t len) {
  if (d->rep[0] >= d->win_fill) return SD_LZMA_ERR_DATA; /* beyond decoded data or the window */
  if (d->remaining < len) return SD_LZMA_ERR_DATA;       /* an unknown size never has fewer than 2^63 left */
  d->dist = d->rep[0] + 1u;
  d->copy_left = len;
  d->step = ST_COPY;
  return SD_LZMA_OK;
}

/* The state machine, step after step until it is blocked (NEED_MORE), done
 * (SD_LZMA_DONE) or the stream is corrupt (SD_LZMA_ERR_DATA). */
static int run_steps(sd_lzma_dec *d) {
  int rc = SD_LZMA_OK;
  for (; rc == SD_LZMA_OK;) {
    uint32_t pos_state = d->total_pos & d->pb_mask, i = d->step - (uint32_t)ST_SYMBOL, bit;

    /* A one-bit state decodes its bit as a 1-bit tree (tree_bits), then comes back to the switch. */
    if (i <= ST_LEN_CHOICE2 - ST_SYMBOL) {
      uint32_t prob;
      if (i == 0 && d->remaining == 0) { /* a known size reached */
        /* "The end of stream": finished without marker when code == 0. */
        if (!rc_normalize(d)) return NEED_MORE;
        if (d->code == 0) return SD_LZMA_DONE;
      }
      if (i >= ST_LEN_CHOICE - ST_SYMBOL)
        prob = d->len_probs + (i - (ST_LEN_CHOICE - ST_SYMBOL)); /* LEN_CHOICE 0, LEN_CHOICE2 1 */
      else prob = bit_probs[i] + (i == 0 || i == ST_REP0_LONG - ST_SYMBOL ? ((uint32_t)d->lzma_state << 4) + pos_state
                                                                           : d->lzma_state);
      tree_start(d, prob - 1u, 1, d->step);
    }
    if (d->step == ST_TREE) {
      if (!tree_bits(d)) return NEED_MORE;
      d->step = d->next_step;
    }
    bit = d->tree_sym & 1u;

    switch (d->step) {
    case ST_INIT: /* "Range decoder initialization": 0x00, then 4 code bytes */
      while (d->init_left) {
        if (d->in == d->in_end) return NEED_MORE;
        if (d->init_left == 5 && *d->in != 0) return SD_LZMA_ERR_DATA;
        d->code = (d->code << 8) | *d->in++;
        d->init_left--;
      }
      if (d->code == d->range) return SD_LZMA_ERR_DATA;
      d->step = ST_SYMBOL;
      break;

    case ST_SYMBOL:
      if (bit) {
        d->step = ST_IS_REP;
      } else {
        if (d->remaining == 0) return SD_LZMA_ERR_DATA;
        literal_start(d);
      }
      break;

    case ST_LIT_DONE:
#ifdef SD_PATCH_WITH_FAST_LOOPS /* the literal waits in the window's next slot for its output space */
      d->window[d->win_pos] = (uint8_t)d->tree_sym;
      d->lzma_state = state_after_literal(d->lzma_state);
      d->dist = 0;
      d->copy_left = 1;
      d->step = ST_COPY;
#else
      if (d->out == d->out_end) return NEED_MORE;
      window_put(d, (uint8_t)d->tree_sym);
      d->lzma_state = state_after_literal(d->lzma_state);
      d->step = ST_SYMBOL;
#endif
      break;

    case ST_IS_REP:
      if (bit) {
        if (d->remaining == 0 || d->win_fill == 0) return SD_LZMA_ERR_DATA;
        d->step = ST_REP_G0;
      } else { /* simple match: distance history shifts, new distance follows (rep[0] set then) */
        rep_move(d, 3);
        d->lzma_state = state_after(d->lzma_state, 7, 10);
        d->is_match = 1;
        d->len_probs = P_LEN;
        d->step = ST_LEN_CHOICE;
      }
      break;

    case ST_REP_G0:
      d->step = bit ? ST_REP_G1 : ST_REP0_LONG;
      break;

    case ST_REP0_LONG:
      if (bit) {
        rep_len_start(d);
        break;
      }
      d->lzma_state = state_after(d->lzma_state, 9, 11); /* short rep: 1 byte */
      rc = copy_start(d, 1);
      break;

    case ST_REP_G1:
      if (bit) {
        d->step = ST_REP_G2;
      } else {
        rep_move(d, 1);
        rep_len_start(d);
      }
      break;

    case ST_REP_G2:
      rep_move(d, 2u + bit);
      rep_len_start(d);
      break;

    case ST_LEN_CHOICE: /* "The length decoder": low 0..7, mid 8..15, high 16..271 */
      if (bit) {
        d->step = ST_LEN_CHOICE2;
      } else {
        d->len_add = 0;
        tree_start(d, d->len_probs + LEN_LOW + (pos_state << 3), 3, ST_LEN_DONE);
      }
      break;

    case ST_LEN_CHOICE2:
      if (bit) {
        d->len_add = 16;
        tree_start(d, d->len_probs + LEN_HIGH, 8, ST_LEN_DONE);
      } else {
        d->len_add = 8;
        tree_start(d, d->len_probs + LEN_MID + (pos_state << 3), 3, ST_LEN_DONE);
      }
      break;

    case ST_LEN_DONE:
      d->len = d->len_add + d->tree_sym - d->tree_limit;
      if (!d->is_match) {
        rc = copy_start(d, d->len + MATCH_MIN_LEN);
        break;
      }
      /* "The distance decoder": 6-bit slot chosen by min(len, 3). */
      tree_start(d, P_POS_SLOT + ((d->len < 3u ? d->len : 3u) << 6), 6, ST_SLOT_DONE);
      break;

    case ST_SLOT_DONE: {
      uint32_t slot = d->tree_sym - d->tree_limit;
      unsigned direct = (unsigned)(slot >> 1) - 1u;
      d->tree_sym = 1; /* ST_DIST_DONE adds the low bits of a reverse tree: none */
      if (slot < 4u) {
        d->dist = slot;
        d->step = ST_DIST_DONE;
        break;
      }
      d->dist = (2u | (slot & 1u)) << direct;
      if (slot < END_POS_MODEL) {
        /* reverse tree at SpecPos + dist - slot (index 0 unused, so -1) */
        tree_start(d, P_SPEC_POS + d->dist - slot - 1u, direct, ST_DIST_DONE);
      } else {
        d->direct_left = (uint8_t)(direct - ALIGN_BITS);
        d->step = ST_DIRECT;
      }
      break;
    }

    case ST_DIRECT:
      while (d->direct_left) {
        int b = rc_direct_bit(d);
        if (b == -1) return NEED_MORE;
        if (b < 0) return SD_LZMA_ERR_DATA;
        d->direct_left--;
        d->dist += (uint32_t)b << (d->direct_left + ALIGN_BITS);
      }
      tree_start(d, P_ALIGN, ALIGN_BITS, ST_DIST_DONE);
      break;

    case ST_DIST_DONE: /* + the reverse tree's value: its bits in the order decoded, first lowest */
      for (i = d->tree_sym, bit = 0; i > 1u; i >>= 1) bit = (bit << 1) | (i & 1u);
      d->dist += bit;
      if (d->dist == END_MARKER) {
        /* A marker before the declared size is corrupt. */
        if (d->size_known && d->remaining != 0) return SD_LZMA_ERR_DATA;
        d->step = ST_FINISH;
        break;
      }
      d->rep[0] = d->dist; /* a known size already reached fails in copy_start (len >= 2) */
      rc = copy_start(d, d->len + MATCH_MIN_LEN);
      break;

    case ST_COPY:
#ifdef SD_PATCH_WITH_FAST_LOOPS
      if (!copy_out(d)) return NEED_MORE;
#else
      while (d->copy_left) {
        if (d->out == d->out_end) return NEED_MORE;
        window_put(d, window_back(d, d->dist));
        d->copy_left--;
      }
#endif
      d->step = ST_SYMBOL;
      break;

    case ST_FINISH: /* the range coder ends exactly with code == 0 */
      if (!rc_normalize(d)) return NEED_MORE;
      return d->code == 0 ? SD_LZMA_DONE : SD_LZMA_ERR_DATA;

    case ST_BAD_PARAM:
      return SD_LZMA_ERR_PARAM;

    default: /* ST_ERROR */
      return SD_LZMA_ERR_DATA;
    }
  }
  return rc;
}


int sd_lzma_decode(sd_lzma_dec *d, const uint8_t *in, size_t *in_len, uint8_t *out,
                   size_t *out_len) {
  int r = SD_LZMA_OK;
  if (d == NULL || in_len == NULL || out_len == NULL || (in == NULL && *in_len) ||
      (out == NULL && *out_len))
    return SD_LZMA_ERR_PARAM;
  d->in = d->in_end = in;
  if (*in_len) d->in_end = in + *in_len;
  d->out = d->out_end = out;
  if (*out_len) d->out_end = out + *out_len;

  if (d->step == ST_DONE) {
    r = *in_len ? SD_LZMA_ERR_DATA : SD_LZMA_DONE; /* data after the end */
  } else {
    r = run_steps(d);
    if (r == SD_LZMA_DONE) d->step = ST_DONE;
    else if (r == NEED_MORE) r = SD_LZMA_OK;
    else if (r == SD_LZMA_ERR_DATA) d->step = ST_ERROR;
  }
  *in_len = in ? (size_t)(d->in - in) : 0u;
  *out_len = out ? (size_t)(d->out - out) : 0u;
  return r;
}
