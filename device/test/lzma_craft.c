/*
 * Test-only LZMA1 stream crafter: writes streams liblzma never makes (no end
 * marker, matches reaching before the start), so the decoder's handling of
 * them can be tested. A range encoder, the inverse of the decoder described
 * in lzma-specification.txt, with the same probability model for the symbols
 * it supports.
 *
 *   lzma_craft LC LP PB OUT SYMBOL...
 *     Lxx     a literal byte (hex), only while the state is a literal state
 *     MLEN:D  a simple match of length LEN (2..9) at zero-based distance D (0..3)
 *     E       the end marker
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_lzma.h"

/* Offsets of the probability array, as laid out in sd_lzma.c. */
#define P_IS_MATCH 0u
#define P_IS_REP 192u
#define P_POS_SLOT 432u
#define P_ALIGN 802u
#define P_LEN 818u
#define P_LITERAL 1846u

static uint16_t probs[SD_LZMA_PROBS_COUNT(8, 4)];
static uint8_t out[1 << 16];
static size_t out_len;
static uint64_t low;
static uint32_t range = 0xFFFFFFFFu;
static uint8_t cache;
static uint64_t cache_size = 1;

static void put(uint8_t b) {
  if (out_len == sizeof out) { fprintf(stderr, "lzma_craft: output too long\n"); exit(1); }
  out[out_len++] = b;
}

/* Emits the top byte of low, propagating a carry into the pending bytes. */
static void shift_low(void) {
  if ((uint32_t)low < 0xFF000000u || (low >> 32) != 0) {
    uint8_t carry = (uint8_t)(low >> 32);
    uint8_t b = cache;
    do {
      put((uint8_t)(b + carry));
      b = 0xFF;
    } while (--cache_size != 0);
    cache = (uint8_t)(low >> 24);
  }
  cache_size++;
  low = (low & 0x00FFFFFFu) << 8;
}

static void encode_bit(uint32_t index, unsigned bit) {
  uint16_t *p = &probs[index];
  uint32_t bound = (range >> 11) * *p;
  if (bit) {
    low += bound;
    range -= bound;
    *p = (uint16_t)(*p - (*p >> 5));
  } else {
    range = bound;
    *p = (uint16_t)(*p + ((2048u - *p) >> 5));
  }
  while (range < (1u << 24)) {
    range <<= 8;
    shift_low();
  }
}

static void encode_direct(uint32_t value, unsigned bits) {
  while (bits--) {
    range >>= 1;
    if ((value >> bits) & 1u) low += range;
    while (range < (1u << 24)) {
      range <<= 8;
      shift_low();
    }
  }
}

static void encode_tree(uint32_t base, unsigned bits, uint32_t value) {
  uint32_t m = 1;
  while (bits--) {
    unsigned bit = (value >> bits) & 1u;
    encode_bit(base + m, bit);
    m = (m << 1) | bit;
  }
}

static void encode_reverse_tree(uint32_t base, unsigned bits, uint32_t value) {
  uint32_t m = 1;
  while (bits--) {
    unsigned bit = value & 1u;
    value >>= 1;
    encode_bit(base + m, bit);
    m = (m << 1) | bit;
  }
}

/* A simple match: length 2..9 (low length coder), slot = distance (< 4), or
 * the end marker (length 2, all-ones distance). */
static void encode_match(unsigned state, unsigned pos_state, unsigned len, uint32_t dist) {
  encode_bit(P_IS_MATCH + (state << 4) + pos_state, 1);
  encode_bit(P_IS_REP + state, 0);
  encode_bit(P_LEN, 0);
  encode_tree(P_LEN + 2 + (pos_state << 3), 3, len - 2);
  if (dist < 4) {
    encode_tree(P_POS_SLOT + ((len - 2 < 3 ? len - 2 : 3) << 6), 6, dist);
    return;
  }
  /* end marker: slot 63, 26 direct bits, 4 align bits, all ones */
  encode_tree(P_POS_SLOT + ((len - 2 < 3 ? len - 2 : 3) << 6), 6, 63);
  encode_direct(0x3FFFFFFu, 26);
  encode_reverse_tree(P_ALIGN, 4, 15);
}

int main(int argc, char **argv) {
  unsigned lc, lp, pb, state = 0, i;
  uint32_t pos = 0;
  uint8_t prev = 0;
  size_t n;
  FILE *f;
  if (argc < 5) {
    fprintf(stderr, "usage: lzma_craft LC LP PB OUT SYMBOL...\n");
    return 1;
  }
  lc = (unsigned)atoi(argv[1]);
  lp = (unsigned)atoi(argv[2]);
  pb = (unsigned)atoi(argv[3]);
  for (n = 0; n < sizeof probs / sizeof probs[0]; n++) probs[n] = 1024;
  for (i = 5; i < (unsigned)argc; i++) {
    const char *s = argv[i];
    unsigned pos_state = pos & ((1u << pb) - 1u);
    if (s[0] == 'L' && state < 7) {
      uint8_t b = (uint8_t)strtoul(s + 1, NULL, 16);
      uint32_t coder = ((pos & ((1u << lp) - 1u)) << lc) + (uint32_t)(prev >> (8u - lc));
      encode_bit(P_IS_MATCH + (state << 4) + pos_state, 0);
      encode_tree(P_LITERAL + 0x300u * coder, 8, b);
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      prev = b;
      pos++;
    } else if (s[0] == 'M') {
      unsigned len = (unsigned)strtoul(s + 1, NULL, 10);
      const char *colon = strchr(s, ':');
      uint32_t dist = colon ? (uint32_t)strtoul(colon + 1, NULL, 10) : 0;
      if (len < 2 || len > 9 || dist > 3) { fprintf(stderr, "bad match %s\n", s); return 1; }
      encode_match(state, pos_state, len, dist);
      state = state < 7 ? 7 : 10;
      pos += len; /* prev stays unknown to the crafter: no literal may follow */
    } else if (s[0] == 'E') {
      encode_match(state, pos_state, 2, 0xFFFFFFFFu);
      state = state < 7 ? 7 : 10;
    } else {
      fprintf(stderr, "bad or unsupported symbol %s\n", s);
      return 1;
    }
  }
  for (i = 0; i < 5; i++) shift_low(); /* flush */
  f = fopen(argv[4], "wb");
  if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f) != 0) return 1;
  return 0;
}
