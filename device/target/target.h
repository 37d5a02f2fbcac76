/* The target harness's start-up services (startup.c). */
#ifndef TARGET_H
#define TARGET_H

#include <stdint.h>

uint32_t semi_call(uint32_t op, const void *arg);
void semi_exit(int code) __attribute__((noreturn));
void semi_puts(const char *s);
/* "<a><decimal n><b><hex m>\n" into line (at least 64 bytes). */
void fmt_line(char *line, const char *a, uint32_t n, const char *b, uint32_t m);

/* Called from the SysTick interrupt with the exception frame (r0-r3, r12, lr, pc, xpsr). */
void profile_sample(const uint32_t *frame);

#endif
