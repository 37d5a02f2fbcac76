/*
 * Cortex-M relocation predictor (docs/FORMAT.md, "Predicted old bytes"): the
 * old image as it would read after moving to the new layout. The scan walks a
 * copy block's old bytes in c->buf from c->scan on, rewriting 4-byte items in
 * place: BL / B.W / B<c>.W re-encoded with their mapped target (ARMv7-M ARM
 * A7.7.12, A7.7.18), flash pointers, RAM values and constants mapped. The
 * maps are looked up in the tables section (sd_patch_tables.c); a failed
 * lookup sets c->status, which the caller checks. Instruction starts are
 * judged from the run of 32-bit-prefix halfwords before p (A5.1), tracked
 * incrementally in c->run from the old bytes, so no look-behind is buffered.
 *
 * With SD_PATCH_WITH_FAST_LOOPS (the speed build, device/Makefile FAST_FLAGS)
 * a leaf function walks the halfwords with everything in registers and stops
 * only where an item can be (most halfwords start none), and the branch
 * fields are moved with direct bit operations, for about 210 bytes more
 * flash (pybv11 pointer-aware on the M4: about 10.3 M instructions down to 6.9 M).
 */
#include "sd_patch_internal.h"


#define MAX_PREFIX_RUN 16u

/* The speed build (docs/DEVICE.md, "Fast lookups and the speed build") checks a value map's range before
 * calling sd_map_value, which checks it again: most words are in neither map. */
#ifdef SD_PATCH_WITH_FAST_LOOKUP
#define IN_MAP(m, v) ((v) - (m)->base <= (m)->last - (m)->base)
#else
#define IN_MAP(m, v) 1
#endif

/* Which 32-bit branch hw1:hw2 is, as its recognizer bit (0: none). */
static uint32_t branch_kind(uint32_t hw1, uint32_t hw2) {
  if ((hw1 & 0xF800u) != 0xF000u || (hw2 & 0x8000u) == 0) return 0;
  switch (hw2 & 0x5000u) {
  case 0x5000u: return SD_REC_BL;
  case 0x1000u: return SD_REC_BW;
  case 0x0000u: return (hw1 & 0x0380u) == 0x0380u ? 0 : SD_REC_BCOND; /* cond 111x: not B */
  default: return 0;                                                   /* BLX */
  }
}

#ifdef SD_PATCH_WITH_FAST_LOOPS

#ifdef __GNUC__
#define SD_NOINLINE __attribute__((noinline))
#else
#define SD_NOINLINE
#endif

/* v in a value map's range (base..last): as sd_map_value checks it first. */
#define IN_RANGE(m, v) ((v) - (m)->base <= (m)->last - (m)->base)

/* The branch's imm32 from its word w = hw1 | hw2 << 16 (t4: BL, B.W; else B<c>.W):
 * T4 (A7.7.12) imm32 = SignExtend(S:I1:I2:imm10:imm11:0), I = NOT(J XOR S): S:imm10
 * is hw1's low 11 bits, so I1, I2 are S with NOT J1, NOT J2 XORed in;
 * T3 (A7.7.18) imm32 = SignExtend(S:J2:J1:imm6:imm11:0). */
SD_NOINLINE static uint32_t branch_imm(uint32_t w, uint32_t t4) {
  uint32_t x = (w >> 15) & 0xFFEu, s = 0u - ((w >> 10) & 1u);
  if (t4) return (x | (s << 10 | (w & 0x3FFu)) << 12) ^ ((~w >> 5) & 0x400000u) ^ ((~w >> 6) & 0x800000u);
  return x | s << 20 | ((w >> 8) & 0x80000u) | ((w >> 11) & 0x40000u) | (w & 0x3Fu) << 12;
}

/* w re-encoded with imm, or w itself when imm is odd or out of the form's range
 * (docs/FORMAT.md, "Predicted old bytes"): branch_imm's inverse, S = imm's bit top. */
SD_NOINLINE static uint32_t encode_branch(uint32_t w, uint32_t t4, uint32_t imm) {
  uint32_t top = 20u + 4u * t4;
  if ((imm & 1u) || (imm + (1u << top)) >> (top + 1u)) return w;
  w = (w & 0xD000FBC0u) | (imm << 15 & 0x07FF0000u) | (imm >> (top - 10u) & 0x400u);
  if (t4)
    return (w & ~0x3C0u) | ((imm >> 12) & 0x3FFu) | (~(imm ^ (imm >> 1)) << 6 & 0x20000000u) |
           (~(imm ^ (imm >> 2)) << 5 & 0x08000000u);
  return w | ((imm >> 12) & 0x3Fu) | (imm << 11 & 0x20000000u) | (imm << 8 & 0x08000000u);
}

#else /* !SD_PATCH_WITH_FAST_LOOPS */

/* The immediate's fields in the instruction word w = hw1 | hw2 << 16, as
 * (bit in x, bit in w, width), x being imm32 with the J bits in place of
 * I1, I2 (so one table serves decoding and encoding):
 * T4, BL and B.W (A7.7.12): imm32 = SignExtend(S:I1:I2:imm10:imm11:0), x = S:J1:J2:imm10:imm11:0;
 * T3, B<c>.W (A7.7.18): imm32 = SignExtend(S:J2:J1:imm6:imm11:0). */
static const uint8_t branch_fields[2][5][3] = {
    {{1, 16, 11}, {12, 0, 6}, {18, 29, 1}, {19, 27, 1}, {20, 10, 1}},  /* T3 */
    {{1, 16, 11}, {12, 0, 10}, {22, 27, 1}, {23, 29, 1}, {24, 10, 1}}, /* T4 */
};

/* Copies the fields of branch kind t4 (0: T3, 1: T4) from `from` into `to`:
 * dir 1 from the word to x, dir 0 from x to the word. */
static uint32_t move_fields(uint32_t from, uint32_t to, uint32_t t4, uint32_t dir) {
  uint32_t i, mask;
  for (i = 0; i < 5u; i++) {
    const uint8_t *f = branch_fields[t4][i];
    mask = (1u << f[2]) - 1u;
    to = (to & ~(mask << f[1 - dir])) | (((from >> f[dir]) & mask) << f[1 - dir]);
  }
  return to;
}

/* x <-> imm32 (T4: I = NOT(J XOR S), an involution), sign bit top. */
static uint32_t flip_j(uint32_t x, uint32_t t4, uint32_t top) {
  return x ^ ((((x >> top) & 1u) ^ 1u) * t4 * 0xC00000u);
}

/* The branch's imm32, modulo 2^32. */
static uint32_t branch_imm(uint32_t w, uint32_t t4) {
  uint32_t top = 20u + 4u * t4, sign = 1u << top;
  return (flip_j(move_fields(w, 0, t4, 1u), t4, top) ^ sign) - sign;
}

/* w re-encoded with imm, or w itself when imm is odd or out of range: the
 * encoding is right exactly when it decodes back to imm. */
static uint32_t encode_branch(uint32_t w, uint32_t t4, uint32_t imm) {
  uint32_t n = move_fields(flip_j(imm, t4, 20u + 4u * t4), w, t4, 0);
  return branch_imm(n, t4) == imm ? n : w;
}
#endif /* SD_PATCH_WITH_FAST_LOOPS */

/* The item at old offset p (its old bytes in b[0..3]), or 0 when none. */
static SD_INLINE int relocate(sd_patch_ctx *c, uint32_t p, const uint8_t *b, uint32_t *word) {
  /* Byte reads through volatile: b may be odd, and GCC merges plain byte reads
   * into LDRH/LDR on Cortex-M4, which fault when unaligned accesses trap. */
  const volatile uint8_t *vb = b;
  uint32_t hw1 = vb[0] | ((uint32_t)vb[1] << 8), hw2 = vb[2] | ((uint32_t)vb[3] << 8);
  uint32_t v = hw1 | (hw2 << 16);
  if (branch_kind(hw1, hw2) & c->recognizers) {
    /* imm32' = mapFlash(t) - a' - 4, with t = oldBase + p + 4 + imm32 and
     * a' = newBase + p + (n - s). Both cases below are exact in 32 bits:
     * - t in the old image, o = t - oldBase: imm32' = o + flashShift(o) - p -
     *   (n - s) - 4, every term below 2^27;
     * - t elsewhere (not moved): imm32' = (oldBase - newBase) + imm32 - (n - s),
     *   which wraps into the encodable range only if it is exact, that is
     *   when oldBase - newBase fits 32 signed bits (SD_MODE_FAR_BASES otherwise). */
    uint32_t t4 = (hw2 >> 12) & 1u, off = branch_imm(v, t4), place = c->seq.new_start - c->seq.start;
    uint32_t o = p + 4u + off, imm;
    if (o <= c->old_size) imm = o + sd_flash_shift(c, o) - p - place - 4u; /* old_size < 2^31 */
    else if (!(c->mode & SD_MODE_FAR_BASES)) imm = c->old_address - c->new_address + off - place;
    else imm = 1u; /* odd: not encodable */
    *word = encode_branch(v, t4, imm);
    return 1;
  }
  if ((c->old_address + p) & 3u) return 0;
  if ((c->recognizers & SD_REC_FLASH) && v - c->old_address <= c->old_size && v >= c->old_address) {
    /* mapFlash(v) modulo 2^32 */
    *word = c->new_address + (v - c->old_address) + sd_flash_shift(c, v - c->old_address);
    return 1;
  }
  /* An absent map has count 0 and matches nothing. */
  return (IN_MAP(&c->ram, v) && sd_map_value(c, &c->ram, v, word)) ||
         (IN_MAP(&c->consts, v) && sd_map_value(c, &c->consts, v, word));
}

#ifdef SD_PATCH_WITH_FAST_LOOPS

/* The prefix run before p + 2, from the one before p and p's high byte. */
static SD_INLINE uint32_t next_run(uint32_t run, uint32_t high) {
  if (high < 0xE8u) return 0;
  return run < MAX_PREFIX_RUN ? run + 1u : run;
}

/* The first halfword from b on (below b_stop) where relocate() may find an
 * item: an instruction start (even run) with a 32-bit branch prefix, or
 * word-aligned holding a value in the flash range or a map's range. *run: the
 * prefix run before b, then before the halfword returned. A leaf with the
 * walk in registers (most halfwords start no item); relocate() checks again. */
SD_NOINLINE static uint8_t *next_candidate(const sd_patch_ctx *c, uint8_t *b, const uint8_t *b_stop,
                                           uint32_t *run_io) {
  uint32_t run = *run_io, align = c->old_address + c->buf_pos + (uint32_t)(b - c->buf), high, v;
  for (; b < b_stop; b += 2, align += 2u) {
    high = b[1];
    if ((run & 1u) == 0) {
      if ((high & 0xF8u) == 0xF0u) break;
      if ((align & 3u) == 0) {
        const volatile uint8_t *vb = b;
        v = vb[0] | (uint32_t)vb[1] << 8 | (uint32_t)vb[2] << 16 | (uint32_t)vb[3] << 24;
        if (v - c->old_address <= c->old_size || IN_RANGE(&c->ram, v) || IN_RANGE(&c->consts, v)) break;
      }
    }
    run = next_run(run, high);
  }
  *run_io = run;
  return b;
}

void sd_reloc_scan(sd_patch_ctx *c, uint32_t end) {
  uint32_t p = c->scan, run = c->run, stop = c->buf_pos + c->buf_len, word;
  uint8_t *b, *b_stop;
  if (stop > c->old_size) stop = c->old_size;
  stop = stop > 3u ? stop - 3u : 0u; /* items at p < stop fit in buf and in the image */
  if (stop > end) stop = end;
  b = c->buf + (p - c->buf_pos);
  b_stop = p < stop ? b + (stop - p) : b;
  while ((b = next_candidate(c, b, b_stop, &run)) < b_stop) {
    uint32_t high = b[1];
    if (relocate(c, c->buf_pos + (uint32_t)(b - c->buf), b, &word)) {
      run = next_run(run, high);
      high = b[3];
      b[0] = (uint8_t)word;
      b[1] = (uint8_t)(word >> 8);
      b[2] = (uint8_t)(word >> 16);
      b[3] = (uint8_t)(word >> 24);
      b += 2;
    }
    run = next_run(run, high);
    b += 2;
  }
  p = c->buf_pos + (uint32_t)(b - c->buf);
  if (p < end && p + 4u > c->old_size) p = SD_SCAN_DONE; /* no item fits any more */
  c->run = (uint8_t)run;
  c->scan = p;
}

#else /* !SD_PATCH_WITH_FAST_LOOPS */

/* The prefix run before p + 2, from the one before p and p's high byte. */
static uint8_t next_run(uint8_t run, uint8_t high) {
  if (high < 0xE8u) return 0;
  return run < MAX_PREFIX_RUN ? (uint8_t)(run + 1u) : run;
}

void sd_reloc_scan(sd_patch_ctx *c, uint32_t end) {
  uint32_t buf_end = c->buf_pos + c->buf_len;
  while (c->scan < end) {
    uint32_t p = c->scan, word;
    uint8_t *b = c->buf + (p - c->buf_pos);
    if (p + 4u > c->old_size) { /* no item fits any more */
      c->scan = SD_SCAN_DONE;
      return;
    }
    if (p + 4u > buf_end) return; /* needs the next old bytes */
    /* p starts an instruction when the run before it is even. */
    if ((c->run & 1u) == 0 && relocate(c, p, b, &word)) {
      c->run = next_run(next_run(c->run, b[1]), b[3]);
      b[0] = (uint8_t)word;
      b[1] = (uint8_t)(word >> 8);
      b[2] = (uint8_t)(word >> 16);
      b[3] = (uint8_t)(word >> 24);
      c->scan = p + 4u;
    } else {
      c->run = next_run(c->run, b[1]);
      c->scan = p + 2u;
    }
  }
}

#endif /* SD_PATCH_WITH_FAST_LOOPS */
