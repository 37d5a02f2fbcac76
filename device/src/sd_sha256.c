/* SHA-256 as specified in FIPS 180-4 (sections cited per function). */
#include <stddef.h>
#include <string.h>

#include "sd_sha256.h"

/* ARMv7-M (Cortex-M3/M4/M7), little-endian, with GCC or clang: the
 * compression in Thumb-2 assembly, below; elsewhere (the host, the Thumb-1
 * Cortex-M0) the portable C. */
#if defined(__GNUC__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)) && defined(__ARMEL__)
#define SD_SHA256_ARMV7M 1
#endif

/* 4.2.2: first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (listed once, for the C table and the assembly's). */
#define SD_SHA256_K(X) \
  X(428a2f98) X(71374491) X(b5c0fbcf) X(e9b5dba5) X(3956c25b) X(59f111f1) \
  X(923f82a4) X(ab1c5ed5) X(d807aa98) X(12835b01) X(243185be) X(550c7dc3) \
  X(72be5d74) X(80deb1fe) X(9bdc06a7) X(c19bf174) X(e49b69c1) X(efbe4786) \
  X(0fc19dc6) X(240ca1cc) X(2de92c6f) X(4a7484aa) X(5cb0a9dc) X(76f988da) \
  X(983e5152) X(a831c66d) X(b00327c8) X(bf597fc7) X(c6e00bf3) X(d5a79147) \
  X(06ca6351) X(14292967) X(27b70a85) X(2e1b2138) X(4d2c6dfc) X(53380d13) \
  X(650a7354) X(766a0abb) X(81c2c92e) X(92722c85) X(a2bfe8a1) X(a81a664b) \
  X(c24b8b70) X(c76c51a3) X(d192e819) X(d6990624) X(f40e3585) X(106aa070) \
  X(19a4c116) X(1e376c08) X(2748774c) X(34b0bcb5) X(391c0cb3) X(4ed8aa4a) \
  X(5b9cca4f) X(682e6ff3) X(748f82ee) X(78a5636f) X(84c87814) X(8cc70208) \
  X(90befffa) X(a4506ceb) X(bef9a3f7) X(c67178f2)

#ifndef SD_SHA256_ARMV7M
#define K_WORD(v) 0x##v##u,
static const uint32_t K[64] = {SD_SHA256_K(K_WORD)};
#endif

/* 5.3.3: initial hash value, and the length 0: the context's first 40 bytes. */
static const struct {
  uint32_t h[8];
  uint64_t length;
} INITIAL = {{0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu,
              0x5be0cd19u},
             0};
typedef char initial_is_the_context_head[offsetof(sd_sha256_ctx, block) == sizeof INITIAL ? 1 : -1];

#ifndef SD_SHA256_ARMV7M
static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
#endif

#ifdef SD_SHA256_ARMV7M
#define SD_UNUSED __attribute__((unused)) /* read by the assembly */
#define K_ASM(v) ".word 0x" #v "\n"
/* 6.2.2 for one 64-byte block at p, 4-byte aligned (word loads; the caller
 * copies an unaligned block to the context first).
 *
 * Registers: a..d in r8-r11, e..h in r4-r7 (ldm/stm order, and e..h low for
 * the 16-bit ands/eors of Ch); r12 T1; r0/r1 a scratch and the carried b ^ c
 * of Maj, swapping roles each round; r2 the K pointer, r3 the W pointer, lr
 * the end of the W window (sp + 64). K: after the code (adr, no literal).
 * Rounds: four per loop iteration, the results written where the consumed
 * values were (e' = d + T1 into h's register, a' = T1 + T2 into d's), so the
 * names come back after four rounds without a move.
 * W: a 16-word window at sp, plus a copy of each scheduled word 64 bytes up,
 * so that W[t-15], W[t-7] and W[t-2] are at fixed offsets from W[t-16]
 * (the copies are read only once written). Frame: 10 saved words + 128. */
__attribute__((naked, noinline)) static void compress(uint32_t h[8] SD_UNUSED, const uint8_t *p SD_UNUSED) {
  __asm volatile(
      ".macro SD_SHA_ROUND a, b, c, d, e, f, g, h, s, y\n"
      "  ldmia r2!, {\\s}\n"                  /* h + K[t] + W[t] into h (read only here) */
      "  add \\h, \\s\n"
      "  ldmia r3!, {\\s}\n"
      "  add \\h, \\s\n"
      "  eor.w \\s, \\e, \\e, ror #5\n"       /* SIGMA1(e) = ror6(e ^ ror5(e) ^ ror19(e)) */
      "  eor.w \\s, \\s, \\e, ror #19\n"
      "  add.w r12, \\h, \\s, ror #6\n"
      "  eor.w \\s, \\f, \\g\n"               /* Ch(e, f, g) = g ^ (e & (f ^ g)) */
      "  ands \\s, \\e\n"
      "  eors \\s, \\g\n"
      "  add r12, \\s\n"                      /* r12 = T1 */
      "  add.w \\h, \\d, r12\n"               /* e' = d + T1 */
      "  eor.w \\s, \\a, \\a, ror #11\n"      /* SIGMA0(a) = ror2(a ^ ror11(a) ^ ror20(a)) */
      "  eor.w \\s, \\s, \\a, ror #20\n"
      "  add.w \\d, r12, \\s, ror #2\n"
      "  eor.w \\s, \\a, \\b\n"               /* Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)) */
      "  ands \\y, \\s\n"
      "  eor.w \\y, \\y, \\b\n"
      "  add \\d, \\y\n"                      /* a' = T1 + T2; s = a ^ b: the next b ^ c */
      ".endm\n"
      "  push {r0, r4-r11, lr}\n" /* h at sp + 128 once the window is reserved */
      "  sub sp, #128\n"
      "  add lr, sp, #64\n"
      "  mov r3, sp\n"
      "1:\n" /* W[0..15]: big-endian words, four per load (e..h's registers are free yet) */
      "  ldmia r1!, {r0, r2, r4, r5}\n"
      "  rev r0, r0\n"
      "  rev r2, r2\n"
      "  rev r4, r4\n"
      "  rev r5, r5\n"
      "  stmia r3!, {r0, r2, r4, r5}\n"
      "  cmp r3, lr\n"
      "  bne 1b\n"
      "  ldr r0, [sp, #128]\n"
      "  ldmia r0!, {r8-r11}\n"
      "  ldmia r0!, {r4-r7}\n"
      "  adr r2, 7f\n"
      "3:\n" /* sixteen rounds */
      "  mov r3, sp\n"
      "  eor.w r1, r9, r10\n"
      "4:\n"
      "  SD_SHA_ROUND r8, r9, r10, r11, r4, r5, r6, r7, r0, r1\n"
      "  SD_SHA_ROUND r11, r8, r9, r10, r7, r4, r5, r6, r1, r0\n"
      "  SD_SHA_ROUND r10, r11, r8, r9, r6, r7, r4, r5, r0, r1\n"
      "  SD_SHA_ROUND r9, r10, r11, r8, r5, r6, r7, r4, r1, r0\n"
      "  cmp r3, lr\n"
      "  bne 4b\n"
      "  adr r0, 8f\n" /* the end of K */
      "  cmp r2, r0\n"
      "  beq 6f\n"
      "  mov r3, sp\n"
      "5:\n" /* the next sixteen words: W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16] */
      "  ldrd r0, r1, [r3]\n"                 /* W[t-16], W[t-15] */
      "  eor.w r12, r1, r1, ror #11\n"       /* sigma0(x) = ror7(x ^ ror11(x)) ^ (x >> 3) */
      "  lsrs r1, r1, #3\n"
      "  eor.w r1, r1, r12, ror #7\n"
      "  add r0, r1\n"
      "  ldr r1, [r3, #56]\n"                /* W[t-2] */
      "  eor.w r12, r1, r1, ror #2\n"        /* sigma1(x) = ror17(x ^ ror2(x)) ^ (x >> 10) */
      "  lsrs r1, r1, #10\n"
      "  eor.w r1, r1, r12, ror #17\n"
      "  add r0, r1\n"
      "  ldr r1, [r3, #36]\n"                /* W[t-7] */
      "  add r0, r1\n"
      "  str r0, [r3, #64]\n"
      "  stmia r3!, {r0}\n"
      "  cmp r3, lr\n"
      "  bne 5b\n"
      "  b 3b\n"
      "6:\n" /* h += the working variables */
      "  ldr r0, [sp, #128]\n"
      "  ldm r0, {r1-r3, r12}\n"
      "  add r8, r1\n"
      "  add r9, r2\n"
      "  add r10, r3\n"
      "  add r11, r12\n"
      "  stmia r0!, {r8-r11}\n"
      "  ldm r0, {r1-r3, r12}\n"
      "  add r4, r1\n"
      "  add r5, r2\n"
      "  add r6, r3\n"
      "  add r7, r12\n"
      "  stmia r0!, {r4-r7}\n"
      "  add sp, #132\n"
      "  pop {r4-r11, pc}\n"
      ".p2align 2\n"
      "7:\n" SD_SHA256_K(K_ASM) "8:\n"
      ".purgem SD_SHA_ROUND\n");
}
#else
/* 6.2.2: one 512-bit block. The message schedule is kept as a rolling window
 * of 16 words (W[t] only depends on W[t-2], W[t-7], W[t-15], W[t-16]). */
static void compress(uint32_t h[8], const uint8_t *block) {
  uint32_t w[16], v[8];
  unsigned t, i;
  for (t = 0; t < 16; t++) w[t] = load_be32(block + 4 * t);
  for (i = 0; i < 8; i++) v[i] = h[i];
  for (t = 0; t < 64; t++) {
    uint32_t t1, t2;
    if (t >= 16) {
      uint32_t w15 = w[(t + 1) & 15], w2 = w[(t + 14) & 15];
      uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);  /* sigma0, 4.1.2 */
      uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);   /* sigma1 */
      w[t & 15] += s0 + w[(t + 9) & 15] + s1;
    }
    t1 = v[7] + (rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25)) /* SIGMA1 */
         + ((v[4] & v[5]) ^ (~v[4] & v[6]))                       /* Ch */
         + K[t] + w[t & 15];
    t2 = (rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22))        /* SIGMA0 */
         + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));       /* Maj */
    /* Written out: as a loop, gcc turns this shift into a memmove call. */
    v[7] = v[6];
    v[6] = v[5];
    v[5] = v[4];
    v[4] = v[3];
    v[3] = v[2];
    v[2] = v[1];
    v[1] = v[0];
    v[4] += t1;
    v[0] = t1 + t2;
  }
  for (i = 0; i < 8; i++) h[i] += v[i];
}
#endif

#ifdef SD_SHA256_ARMV7M
#define WORD_ALIGNED(p) (((uintptr_t)(p)&3u) == 0) /* the assembly loads words */
#else
#define WORD_ALIGNED(p) 1
#endif

void sd_sha256_init(sd_sha256_ctx *c) {
  memcpy(c, &INITIAL, sizeof INITIAL); /* smaller than literal loads and stores */
}

/* Whole blocks straight from the caller's buffer (word-aligned ones on
 * ARMv7-M); only a partial or unaligned block is copied to c->block. */
void sd_sha256_update(sd_sha256_ctx *c, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  size_t n;
  for (; len > 0; p += n, len -= n) {
    size_t used = (size_t)c->length & 63u;
    n = 64u - used < len ? 64u - used : len;
    c->length += n;
    if (n == 64u && WORD_ALIGNED(p)) {
      compress(c->h, p); /* a whole block, read where it is */
    } else {
      memcpy(c->block + used, p, n);
      if (used + n == 64u) compress(c->h, c->block);
    }
  }
}

/* 5.1.1: append 0x80, zeros up to 56 mod 64, and the 64-bit big-endian bit
 * length. */
#ifdef SD_SHA256_ARMV7M
/* All through update (the smallest code; the stack: final, update, compress),
 * the words byte-swapped in place (little-endian) and the digest copied. */
void sd_sha256_final(sd_sha256_ctx *c, uint8_t digest[SD_SHA256_DIGEST_SIZE]) {
  uint32_t bits[2];
  uint8_t pad = 0x80;
  unsigned i;
  bits[0] = __builtin_bswap32((uint32_t)(c->length >> 29));
  bits[1] = __builtin_bswap32((uint32_t)c->length << 3);
  do {
    sd_sha256_update(c, &pad, 1);
    pad = 0;
  } while ((c->length & 63u) != 56u);
  sd_sha256_update(c, bits, 8);
  for (i = 0; i < 8; i++) c->h[i] = __builtin_bswap32(c->h[i]);
  memcpy(digest, c->h, SD_SHA256_DIGEST_SIZE);
}
#else
/* Written into c->block here: the stack is final then compress (the portable
 * compress's frame is larger; the Cortex-M0's signature check needs the room). */
void sd_sha256_final(sd_sha256_ctx *c, uint8_t digest[SD_SHA256_DIGEST_SIZE]) {
  uint32_t high = (uint32_t)(c->length >> 29), low = (uint32_t)c->length << 3;
  unsigned used = (unsigned)c->length & 63u, i;
  c->block[used++] = 0x80;
  for (;;) {
    if (used == 64u) {
      compress(c->h, c->block);
      used = 0;
    }
    if (used == 56u) break;
    c->block[used++] = 0;
  }
  store_be32(c->block + 56, high);
  store_be32(c->block + 60, low);
  compress(c->h, c->block);
  for (i = 0; i < 8; i++) store_be32(digest + 4 * i, c->h[i]);
}
#endif

void sd_sha256(const void *data, size_t len, uint8_t digest[SD_SHA256_DIGEST_SIZE]) {
  sd_sha256_ctx c;
  sd_sha256_init(&c);
  sd_sha256_update(&c, data, len);
  sd_sha256_final(&c, digest);
}
