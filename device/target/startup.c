/*
 * Bare-metal start-up for the target harness (harness.c) on QEMU's Cortex-M
 * machines: the vector table, .data/.bss set-up, ARM semihosting (the host's
 * files and exit code) and a fault report. Shared by the Cortex-M4
 * (mps2-an386) and Cortex-M0 (microbit) builds; only the linker script
 * differs. ARMv6-M code: it runs on both.
 */
#include <stdint.h>

#include "target.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void reset_handler(void);
void fault_entry(void);
void systick_entry(void);

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)_estack, reset_handler, fault_entry, fault_entry,
    fault_entry, fault_entry, fault_entry, 0, 0, 0, 0, fault_entry, fault_entry, 0, fault_entry,
    systick_entry,
};

void reset_handler(void) {
  uint32_t *s = _sidata, *d = _sdata;
  while (d < _edata) *d++ = *s++;
  for (d = _sbss; d < _ebss; d++) *d = 0;
  semi_exit(main());
}

/* ARM semihosting (IHI 0080): BKPT 0xAB, operation in r0, argument in r1. */
uint32_t semi_call(uint32_t op, const void *arg) {
  register uint32_t r0 __asm("r0") = op;
  register const void *r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semi_exit(int code) {
  /* SYS_EXIT_EXTENDED: ADP_Stopped_ApplicationExit with the exit code. */
  uint32_t args[2] = {0x20026u, (uint32_t)code};
  semi_call(0x20u, args);
  for (;;) {
  }
}

void semi_puts(const char *s) {
  semi_call(0x04u, s); /* SYS_WRITE0 */
}

/* Any fault (HardFault, or UsageFault on the M4 with the unaligned trap):
 * report the exception number and the faulting pc, exit 70. */
__attribute__((naked)) void fault_entry(void) {
  __asm volatile("mrs r0, msp\n"
                 "mrs r1, ipsr\n"
                 "ldr r2, =fault_report\n"
                 "bx r2\n");
}

/* SysTick (profiling only): the interrupted pc and lr, to the harness. */
__attribute__((naked)) void systick_entry(void) {
  __asm volatile("mrs r0, msp\n"
                 "ldr r2, =profile_sample\n"
                 "bx r2\n");
}

__attribute__((used)) void fault_report(const uint32_t *frame, uint32_t ipsr) {
  char line[64];
  fmt_line(line, "fault exception=", ipsr, " pc=0x", frame[6]);
  semi_puts(line);
  semi_exit(70);
}
