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
 */
#include "sd_patch_internal.h"


#define MAX_PREFIX_RUN 16u

/* Two's complement reading of a 32-bit value (free with gcc). */
static int32_t signed32(uint32_t u) {
  return u >= 0x80000000u ? -(int32_t)(~u) - 1 : (int32_t)u;
}

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

/* imm32: BL/B.W SignExtend(S:I1:I2:imm10:imm11:0), B<c>.W SignExtend(S:J2:J1:imm6:imm11:0). */
static int32_t branch_offset(uint32_t hw1, uint32_t hw2) {
  uint32_t s = (hw1 >> 10) & 1u, j1 = (hw2 >> 13) & 1u, j2 = (hw2 >> 11) & 1u, raw;
  if (hw2 & 0x1000u) {
    raw = (s << 24) | ((j1 ^ s ^ 1u) << 23) | ((j2 ^ s ^ 1u) << 22) | ((hw1 & 0x3FFu) << 12) |
          ((hw2 & 0x7FFu) << 1);
    return (int32_t)(raw & 0xFFFFFFu) - (int32_t)(raw & 0x1000000u);
  }
  raw = (s << 20) | (j2 << 19) | (j1 << 18) | ((hw1 & 0x3Fu) << 12) | ((hw2 & 0x7FFu) << 1);
  return (int32_t)(raw & 0xFFFFFu) - (int32_t)(raw & 0x100000u);
}

/* Re-encodes with imm, keeping every other bit; *word is little-endian
 * (hw1 in the low half). Returns 0 when imm is odd or out of range. */
static int encode_branch(uint32_t hw1, uint32_t hw2, int32_t imm, uint32_t *word) {
  uint32_t u = (uint32_t)imm, s, j1, j2;
  if (u & 1u) return 0;
  if (hw2 & 0x1000u) {
    if (imm < -0x1000000 || imm > 0xFFFFFE) return 0;
    s = (u >> 24) & 1u;
    j1 = ((u >> 23) & 1u) ^ s ^ 1u;
    j2 = ((u >> 22) & 1u) ^ s ^ 1u;
    hw1 = (hw1 & 0xF800u) | (s << 10) | ((u >> 12) & 0x3FFu);
  } else {
    if (imm < -0x100000 || imm > 0xFFFFE) return 0;
    s = (u >> 20) & 1u;
    j2 = (u >> 19) & 1u;
    j1 = (u >> 18) & 1u;
    hw1 = (hw1 & 0xFBC0u) | (s << 10) | ((u >> 12) & 0x3Fu);
  }
  hw2 = (hw2 & 0xD000u) | (j1 << 13) | (j2 << 11) | ((u >> 1) & 0x7FFu);
  *word = hw1 | (hw2 << 16);
  return 1;
}

/* The item at old offset p (its old bytes in b[0..3]), or 0 when none. */
static int relocate(sd_patch_ctx *c, uint32_t p, const uint8_t *b, uint32_t *word) {
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
    uint32_t off = (uint32_t)branch_offset(hw1, hw2), place = c->seq.new_start - c->seq.start;
    uint32_t o = p + 4u + off, imm;
    if (signed32(o) >= 0 && o <= c->old_size) imm = o + sd_flash_shift(c, o) - p - place - 4u;
    else if (!(c->mode & SD_MODE_FAR_BASES)) imm = c->old_address - c->new_address + off - place;
    else imm = 1u; /* odd: not encodable */
    if (!encode_branch(hw1, hw2, signed32(imm), word)) *word = v;
    return 1;
  }
  if ((c->old_address + p) & 3u) return 0;
  if ((c->recognizers & SD_REC_FLASH) && v - c->old_address <= c->old_size && v >= c->old_address) {
    /* mapFlash(v) modulo 2^32 */
    *word = c->new_address + (v - c->old_address) + sd_flash_shift(c, v - c->old_address);
    return 1;
  }
  /* An absent map has count 0 and matches nothing. */
  return sd_map_value(c, &c->ram, v, word) || sd_map_value(c, &c->consts, v, word);
}

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
