/*
 * The applier on the target (issue 17): a bare-metal program for QEMU's
 * Cortex-M machines that applies a patch as a bootloader would, with the
 * library built with the target's flags, and measures it.
 *
 * Arguments (semihosting command line): OLD PATCH OUT SEED FLAGS [MESSAGE]
 *   SEED   chunk sizes (xorshift32, log-uniform 1..CHUNK_MAX): the patch is fed
 *          in odd-sized pieces, as over a radio link
 *   FLAGS  letters or "-": s streaming mode (else stored, read_patch),
 *          t unaligned-access trap on (SCB->CCR.UNALIGN_TRP), k verify the
 *          signature, the hook accepting exactly MESSAGE (hex, 59 bytes: the
 *          signed message the host computed and verified), p profile: SysTick
 *          interrupts every PROFILE_TICKS ticks record the interrupted pc and
 *          lr, written to OUT.prof (pairs of 32-bit words); the counts are then
 *          not instruction counts; f<n> (last) a work buffer n bytes larger than
 *          required, for the fast lookups (docs/DEVICE.md, "Fast lookups");
 *          h SHA-256 only (no patch applied, PATCH and OUT unused): digests of
 *          OLD's bytes as sha_* lines, checked by the host (sha_checks below)
 * The old image and the patch are loaded into RAM when they fit (read_old is
 * then a memcpy, as from flash), and the new image is collected there when it
 * fits; else every read and write goes through semihosting (the counts then
 * include the harness's semihosting calls: a few instructions each, the
 * host's work not counted).
 * The work buffer is exactly sd_patch_work_required bytes, followed by a
 * guard pattern checked afterwards; the stack is painted before each phase
 * and its high-water mark measured from the caller's stack pointer.
 * Instructions: SysTick on the processor clock, with QEMU's -icount shift=0
 * (one instruction per virtual nanosecond): ticks x TARGET_PS_PER_TICK / 1000,
 * checked against a loop of known length ("calibration").
 * Prints key=value lines; exit code 0 when the result is ok and every check
 * holds, else 1 (70: a fault, startup.c).
 */
#include <string.h>

#include "sd_patch.h"
#include "sd_sha256.h"
#include "target.h"

#ifndef TARGET_PS_PER_TICK
#error "TARGET_PS_PER_TICK: the processor clock period in ps (icount shift=0: 1,000 per instruction)"
#endif
#ifndef CHUNK_MAX
#define CHUNK_MAX 4096u
#endif
#ifndef CMDLINE_MAX
#define CMDLINE_MAX 1024u
#endif
#define GUARD_BYTES 64u
#define GUARD 0xA5u
#define PAINT 0xC0FFEE11u

extern uint32_t _heap_start[], _heap_end[], _stack_bottom[];

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)

struct file {
  uint32_t handle, length;
  const uint8_t *ram; /* the whole file, when it fit */
};

static struct file old_file, patch_file;
static uint32_t out_handle, expect_offset, bad;
static uint8_t *out_ram; /* the new image, when it fits: written to OUT after the apply */
static uint32_t rng;
static uint8_t message[SD_PATCH_MESSAGE_SIZE];
static sd_patch_ctx ctx;
static uint8_t chunk[CHUNK_MAX];

/* ---- output ---- */

static char *put_str(char *p, const char *s) {
  while (*s) *p++ = *s++;
  return p;
}

static char *put_dec(char *p, uint32_t v) {
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

void fmt_line(char *line, const char *a, uint32_t n, const char *b, uint32_t m) {
  char *p = put_dec(put_str(line, a), n);
  int i;
  p = put_str(p, b);
  for (i = 28; i >= 0; i -= 4) *p++ = "0123456789abcdef"[(m >> i) & 15u];
  *p++ = '\n';
  *p = 0;
}

static void print_kv(const char *key, uint32_t v) {
  char line[64];
  char *p = put_dec(put_str(put_str(line, key), "="), v);
  *p++ = '\n';
  *p = 0;
  semi_puts(line);
}

/* ---- semihosting files ---- */

static uint32_t semi_open(const char *name, uint32_t mode) {
  uint32_t args[3] = {(uint32_t)(uintptr_t)name, mode, (uint32_t)strlen(name)};
  return semi_call(0x01u, args); /* SYS_OPEN */
}

static int semi_read_at(const struct file *f, uint32_t offset, uint8_t *buf, uint32_t len) {
  uint32_t seek[2] = {f->handle, offset}, args[3] = {f->handle, (uint32_t)(uintptr_t)buf, len};
  if (semi_call(0x0Au, seek) != 0) return -1; /* SYS_SEEK */
  return semi_call(0x06u, args) == 0 ? 0 : -1; /* SYS_READ: the bytes not read */
}

static int file_read(const struct file *f, uint32_t offset, uint8_t *buf, size_t len) {
  if (len == 0 || offset > f->length || len > f->length - offset) {
    bad |= 1u; /* the library read outside the file */
    return -1;
  }
  if (f->ram) {
    memcpy(buf, f->ram + offset, len);
    return 0;
  }
  return semi_read_at(f, offset, buf, (uint32_t)len);
}

/* ---- callbacks ---- */

static int read_old(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  return file_read(&old_file, offset, buf, len);
}

static int read_patch(void *user, uint32_t offset, uint8_t *buf, size_t len) {
  (void)user;
  return file_read(&patch_file, offset, buf, len);
}

static int write_new(void *user, uint32_t offset, const uint8_t *buf, size_t len) {
  uint32_t args[3] = {out_handle, (uint32_t)(uintptr_t)buf, (uint32_t)len};
  (void)user;
  if (len == 0 || offset != expect_offset) {
    bad |= 2u; /* not strictly in order */
    return -1;
  }
  if (out_ram) {
    memcpy(out_ram + offset, buf, len);
    expect_offset += (uint32_t)len;
    return 0;
  }
  expect_offset += (uint32_t)len;
  return semi_call(0x05u, args) == 0 ? 0 : -1; /* SYS_WRITE: the bytes not written */
}

static int verify_hook(const uint8_t msg[SD_PATCH_MESSAGE_SIZE], const uint8_t sig[SD_PATCH_SIGNATURE_SIZE],
                       const uint8_t key_id[SD_PATCH_KEY_ID_SIZE], void *user) {
  (void)sig;
  (void)key_id;
  (void)user;
  return memcmp(msg, message, SD_PATCH_MESSAGE_SIZE) != 0; /* the host verified this message's signature */
}

/* ---- measurement ---- */

static void ticks_start(void) {
  SYST_CSR = 0;
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0; /* reloads at the first tick */
  SYST_CSR = 5u; /* enabled, processor clock, no interrupt */
  (void)SYST_CSR; /* clears COUNTFLAG */
}

/* Instructions since ticks_start; 0xFFFFFFFF when the 24-bit counter wrapped. */
static uint32_t ticks_instructions(void) {
  uint32_t now = SYST_CVR, wrapped = SYST_CSR & 0x10000u;
  /* The first tick reloads 0 -> 0xFFFFFF (still 0: no tick yet); later ones count down. */
  if (wrapped) return 0xFFFFFFFFu;
  return now == 0 ? 0 : (uint32_t)((uint64_t)(0x1000000u - now) * TARGET_PS_PER_TICK / 1000u);
}

static uint32_t current_sp(void) {
  uint32_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

/* Paints the free stack below the caller's frame (a leaf: its own frame is
 * within the 64 bytes left unpainted). */
static __attribute__((noinline)) void paint_stack(uint32_t below) {
  uint32_t *p = _stack_bottom;
  while ((uint32_t)(uintptr_t)p < below - 64u) *p++ = PAINT;
}

static uint32_t stack_used(uint32_t from) {
  const uint32_t *p = _stack_bottom;
  while (*p == PAINT) p++;
  return from - (uint32_t)(uintptr_t)p;
}

#ifndef PROFILE_MAX
#define PROFILE_MAX 1u
#endif
#define PROFILE_TICKS 250u
static uint32_t profile[2u * PROFILE_MAX + 1u], profile_count;

void profile_sample(const uint32_t *frame) {
  if (profile_count < PROFILE_MAX) {
    profile[2u * profile_count] = frame[6];
    profile[2u * profile_count + 1u] = frame[5];
    profile_count++;
  }
}

static void profile_start(void) {
  SYST_CSR = 0;
  SYST_RVR = PROFILE_TICKS - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* enabled, processor clock, interrupt */
}

/* ---- the run ---- */

static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static uint32_t chunk_size(void) {
  uint32_t bits = next_rand() % 13u, n = 1u + next_rand() % (1u << bits);
  return n > CHUNK_MAX ? CHUNK_MAX : n;
}

static int hex_nibble(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

static const char *result_name(int rc) {
  static const char *const names[] = {"ok", "wrong-base", "corrupt", "unsupported", "no-memory",
                                      "result-hash", "signature", "io", "param"};
  return rc <= 0 && rc >= -8 ? names[-rc] : "unknown";
}

static int open_input(struct file *f, const char *name) {
  uint32_t args[1];
  f->handle = semi_open(name, 1u); /* "rb" */
  if (f->handle == 0xFFFFFFFFu) return -1;
  args[0] = f->handle;
  f->length = semi_call(0x0Cu, args); /* SYS_FLEN */
  return f->length == 0xFFFFFFFFu ? -1 : 0;
}

/* Loads f at *at when it fits below end. */
static void load_if_fits(struct file *f, uint8_t **at, const uint8_t *end) {
  if (f->length <= (uint32_t)(end - *at) && semi_read_at(f, 0, *at, f->length) == 0) {
    f->ram = *at;
    *at += (f->length + 3u) & ~3u;
  }
}

/* 2 x n instructions (subs, bne), plus a few. */
static __attribute__((noinline)) void known_loop(uint32_t n) {
  __asm volatile(".syntax unified\n1: subs %0, %0, #1\n bne 1b\n" : "+l"(n) : : "cc");
}

/* ---- SHA-256 on the target (flag h) ---- */

static void print_hex(const char *key, const uint8_t *d, uint32_t n) {
  char line[96];
  char *p = put_str(put_str(line, key), "=");
  uint32_t i;
  for (i = 0; i < n && i < 32u; i++) {
    *p++ = "0123456789abcdef"[d[i] >> 4];
    *p++ = "0123456789abcdef"[d[i] & 15u];
  }
  *p++ = '\n';
  *p = 0;
  semi_puts(line);
}

/* The library's SHA-256 on OLD's bytes, which the host recomputes:
 * sha_small  SHA-256 of the 804 digests of OLD[a .. a + n) for a = 0..3,
 *            n = 0..200 (one call each), concatenated in that order
 * sha_large<a>  OLD[a .. length - 3 + a) for a = 0..3, in one call
 * sha_chunked  OLD[1 .. length) fed in chunk sizes from SEED (chunk_size)
 * insn_sha_large, stack_sha: instructions and stack of sha_large0's call. */
static int sha_checks(void) {
  static const char *const large[4] = {"sha_large0", "sha_large1", "sha_large2", "sha_large3"};
  sd_sha256_ctx all, part;
  uint8_t d[SD_SHA256_DIGEST_SIZE];
  const uint8_t *data = old_file.ram;
  uint32_t a, n, at, sp = current_sp();
  if (data == 0 || old_file.length < 204u) return 64;
  sd_sha256_init(&all);
  for (a = 0; a < 4u; a++) {
    for (n = 0; n <= 200u; n++) {
      sd_sha256(data + a, n, d);
      sd_sha256_update(&all, d, sizeof d);
    }
  }
  sd_sha256_final(&all, d);
  print_hex("sha_small", d, sizeof d);
  for (a = 0; a < 4u; a++) {
    if (a == 0) {
      paint_stack(sp);
      ticks_start();
    }
    sd_sha256(data + a, old_file.length - 3u, d);
    if (a == 0) {
      print_kv("insn_sha_large", ticks_instructions());
      print_kv("stack_sha", stack_used(sp));
    }
    print_hex(large[a], d, sizeof d);
  }
  sd_sha256_init(&part);
  for (at = 1; at < old_file.length; at += n) {
    n = chunk_size();
    if (n > old_file.length - at) n = old_file.length - at;
    sd_sha256_update(&part, data + at, n);
  }
  sd_sha256_final(&part, d);
  print_hex("sha_chunked", d, sizeof d);
  return 0;
}

int main(void) {
  static char cmdline[CMDLINE_MAX];
  char *argv[8]; /* argv[0]: the program's name */
  uint32_t args[2] = {(uint32_t)(uintptr_t)cmdline, sizeof cmdline - 1u};
  uint32_t argc = 0, sp, i, at, end, n, insn;
  uint32_t stack_max = 0, flags_key = 0, spare = 0;
  int flags_stream = 0, flags_profile = 0, flags_sha = 0;
  uint8_t header_bytes[SD_PATCH_HEADER_MAX], *arena = (uint8_t *)_heap_start, *work;
  size_t header_len, need = 0;
  int guarded = 0;
  sd_patch_header h;
  const char *f;
  char *p;
  int rc, is_signed;

  if (semi_call(0x15u, args) != 0) return 64; /* SYS_GET_CMDLINE */
  cmdline[args[1]] = 0;
  for (p = cmdline; *p && argc < 8u;) {
    while (*p == ' ') *p++ = 0;
    if (*p) argv[argc++] = p;
    while (*p && *p != ' ') p++;
  }
  if (argc < 6u) {
    semi_puts("usage: harness OLD PATCH OUT SEED FLAGS [MESSAGE]\n");
    return 64;
  }
  rng = 0;
  for (p = argv[4]; *p >= '0' && *p <= '9'; p++) rng = rng * 10u + (uint32_t)(*p - '0');
  if (rng == 0) rng = 1;
  for (f = argv[5]; *f; f++) {
    if (*f == 's') flags_stream = 1;
    if (*f == 't') SCB_CCR |= 8u; /* UNALIGN_TRP (read-only, always set, on ARMv6-M) */
    if (*f == 'k') flags_key = 1;
    if (*f == 'p') flags_profile = 1;
    if (*f == 'h') flags_sha = 1;
    if (*f == 'f') {
      while (f[1] >= '0' && f[1] <= '9') spare = spare * 10u + (uint32_t)(*++f - '0');
    }
  }
  if (flags_key) {
    if (argc < 7u || strlen(argv[6]) != 2u * SD_PATCH_MESSAGE_SIZE) return 64;
    for (i = 0; i < SD_PATCH_MESSAGE_SIZE; i++) {
      int hi = hex_nibble(argv[6][2u * i]), lo = hex_nibble(argv[6][2u * i + 1u]);
      if (hi < 0 || lo < 0) return 64;
      message[i] = (uint8_t)(hi << 4 | lo);
    }
  }
  print_kv("ccr_unalign_trp", (SCB_CCR >> 3) & 1u);

  ticks_start();
  known_loop(1000000u);
  print_kv("calibration", ticks_instructions()); /* 2,000,000 and a few */

  if (flags_sha) {
    if (open_input(&old_file, argv[1])) return 64;
    load_if_fits(&old_file, &arena, (uint8_t *)_heap_end);
    rc = sha_checks();
    print_kv("bad", bad);
    return rc;
  }
  if (open_input(&old_file, argv[1]) || open_input(&patch_file, argv[2])) {
    semi_puts("cannot open the inputs\n");
    return 64;
  }
  out_handle = semi_open(argv[3], 5u); /* "wb" */
  if (out_handle == 0xFFFFFFFFu) return 64;

  n = patch_file.length < SD_PATCH_HEADER_MAX ? patch_file.length : SD_PATCH_HEADER_MAX;
  if (semi_read_at(&patch_file, 0, header_bytes, n) != 0) return 64;
  rc = sd_patch_parse_header(header_bytes, n, &h, &header_len);
  if (rc == SD_PATCH_NEED_MORE) rc = SD_PATCH_ERR_CORRUPT;
  if (rc == SD_PATCH_OK) rc = sd_patch_check_size(&h, patch_file.length, &is_signed);
  if (rc != SD_PATCH_OK) goto done;
  need = sd_patch_work_required(&h, flags_stream);
  print_kv("ram", (uint32_t)sd_patch_ram_required(&h, flags_stream));
  need += spare; /* the RAM figure above stays the minimum */
  print_kv("work", (uint32_t)need);
  print_kv("arena", (uint32_t)((uint8_t *)_heap_end - arena));
  /* The arena: work buffer (4-byte aligned, exactly need bytes), guard, then the files if they fit. */
  work = arena;
  if (need + GUARD_BYTES > (uint32_t)((uint8_t *)_heap_end - arena)) {
    rc = SD_PATCH_ERR_NO_MEMORY;
    goto done;
  }
  memset(work + need, GUARD, GUARD_BYTES);
  guarded = 1;
  arena = work + ((need + GUARD_BYTES + 3u) & ~3u);
  load_if_fits(&patch_file, &arena, (uint8_t *)_heap_end);
  load_if_fits(&old_file, &arena, (uint8_t *)_heap_end);
  if (h.new_size <= (uint32_t)((uint8_t *)_heap_end - arena)) out_ram = arena;
  print_kv("patch_in_ram", patch_file.ram != 0);
  print_kv("out_in_ram", out_ram != 0);
  print_kv("old_in_ram", old_file.ram != 0);

  sp = current_sp();
  if (flags_key) {
    paint_stack(sp);
    ticks_start();
    rc = sd_patch_verify_stored(&h, patch_file.length, read_patch, 0, verify_hook, 0);
    print_kv("insn_verify", ticks_instructions());
    print_kv("stack_verify", n = stack_used(sp));
    stack_max = n > stack_max ? n : stack_max;
    if (rc != SD_PATCH_OK) goto done;
  }
  paint_stack(sp);
  ticks_start();
  rc = sd_patch_check_base(&h, old_file.length, read_old, 0);
  print_kv("insn_base", ticks_instructions());
  print_kv("stack_base", n = stack_used(sp));
  stack_max = n > stack_max ? n : stack_max;
  if (rc != SD_PATCH_OK) goto done;

  paint_stack(sp);
  ticks_start();
  if (flags_profile) profile_start();
  rc = sd_patch_init(&ctx, &h, work, need, read_old, write_new, flags_stream ? 0 : read_patch, 0);
  at = flags_stream ? (uint32_t)header_len : (uint32_t)header_len + h.tables_length;
  end = (uint32_t)header_len + h.tables_length + h.payload_length;
  while (rc == SD_PATCH_OK && at < end) {
    const uint8_t *piece;
    n = chunk_size();
    if (n > end - at) n = end - at;
    if (patch_file.ram) {
      piece = patch_file.ram + at;
    } else {
      if (semi_read_at(&patch_file, at, chunk, n) != 0) {
        rc = SD_PATCH_ERR_IO;
        break;
      }
      piece = chunk;
    }
    rc = sd_patch_feed(&ctx, piece, n);
    at += n;
  }
  if (rc == SD_PATCH_OK) rc = sd_patch_finish(&ctx);
  insn = ticks_instructions();
  SYST_CSR = 0;
  print_kv("insn_apply", insn);
  print_kv("fast_lookups", (uint32_t)sd_patch_fast_lookups(&ctx));
  print_kv("stack_apply", n = stack_used(sp));
  stack_max = n > stack_max ? n : stack_max;

done:
  print_kv("stack", stack_max);
  for (i = 0; guarded && i < GUARD_BYTES; i++)
    if (((uint8_t *)_heap_start)[need + i] != GUARD) bad |= 4u; /* written past the work buffer */
  print_kv("bad", bad);
  {
    char line[64];
    char *q = put_str(put_str(line, "result="), result_name(rc));
    *q++ = '\n';
    *q = 0;
    semi_puts(line);
  }
  if (out_ram && rc == SD_PATCH_OK) {
    uint32_t w[3] = {out_handle, (uint32_t)(uintptr_t)out_ram, expect_offset};
    if (semi_call(0x05u, w) != 0) return 74;
  }
  args[0] = out_handle;
  semi_call(0x02u, args); /* SYS_CLOSE */
#if PROFILE_MAX > 1 /* (not on the M0: its RAM goes to the work buffer) */
  if (flags_profile) {
    static char name[CMDLINE_MAX];
    uint32_t w[3];
    strcpy(put_str(name, argv[3]), ".prof");
    w[0] = semi_open(name, 5u);
    w[1] = (uint32_t)(uintptr_t)profile;
    w[2] = 8u * profile_count;
    if (w[0] == 0xFFFFFFFFu || semi_call(0x05u, w) != 0) return 74;
    print_kv("profile_samples", profile_count);
  }
#endif
  return rc == SD_PATCH_OK && bad == 0 ? 0 : 1;
}
