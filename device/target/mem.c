/*
 * memcpy and memset that never make an unaligned access, for the harness
 * built to run with the unaligned trap on (m4-trap.elf): newlib's Cortex-M4
 * memcpy copies words at unaligned addresses, which fault when
 * SCB->CCR.UNALIGN_TRP is set (docs/DEVICE.md, "Alignment").
 */
#include <stddef.h>
#include <stdint.h>

/* Not turned back into memcpy/memset calls by the loop-pattern pass. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
    for (; n >= 4u; n -= 4u, d += 4, s += 4) *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memset(void *dst, int v, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  while (n--) *d++ = (uint8_t)v;
  return dst;
}
