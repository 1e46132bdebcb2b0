/*
 * tsc.h - time in the hypervisor.
 *
 * The TSC is the only clock: it is invariant on the CPUs we target and
 * needs no interrupt.  tsc_init() measures its rate against the 8254 PIT
 * (channel 2, which does not need an IRQ), or takes CPUID leaf 0x15 where
 * the CPU reports it.
 */
#ifndef FORMICA_TSC_H
#define FORMICA_TSC_H

#include "types.h"

void tsc_init(void);
extern u64 tsc_hz;          /* ticks per second */
extern u64 tsc_boot;        /* TSC at hand-off: time zero for the log */
u64 tsc_to_us(u64 ticks);
u64 us_to_tsc(u64 us);
u64 tsc_to_ns(u64 ticks);
u64 ns_to_tsc(u64 ns);
void udelay(u64 us);
u64 now_us(void);           /* microseconds since hand-off */

#endif
