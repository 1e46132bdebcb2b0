/*
 * tsc_freq.h - the TSC's rate from what the CPU says and what the PIT
 * measured (pure, hv/lib/tsc_freq.c).
 */
#ifndef FORMICA_TSC_FREQ_H
#define FORMICA_TSC_FREQ_H

#include "types.h"

/* What CPUID reported: the highest basic leaf, leaf 0x15 (EAX denominator,
 * EBX numerator, ECX crystal Hz) and leaf 0x16 EAX (base MHz). */
struct tsc_cpuid {
	u32 max_leaf;
	u32 l15_eax, l15_ebx, l15_ecx;
	u32 l16_eax;
};

enum tsc_source {
	TSC_SRC_CPUID15 = 0, /* crystal x ratio, CPUID.15H */
	TSC_SRC_CPUID16 = 1, /* CPUID.15H's ratio without a crystal: the base frequency, CPUID.16H */
	TSC_SRC_PIT = 2,     /* measured against the 8254 */
	TSC_SRC_GUESS = 3,   /* nothing worked */
};

/* The rate CPUID states, and from which leaf; 0 if it states none. */
u64 tsc_hz_from_cpuid(const struct tsc_cpuid *c, enum tsc_source *src);

/*
 * The rate to use, given CPUID's (0: none) and the PIT's measurement (0:
 * no PIT).  CPUID's is exact where it is true, but an emulator may report
 * a nominal rate its TSC does not keep (Bochs' TSC follows instructions),
 * so when both exist and differ by more than 1% the measurement wins and
 * *disagree is set, for the log.
 */
u64 tsc_choose(u64 cpuid_hz, enum tsc_source cpuid_src, u64 pit_hz, enum tsc_source *src,
	       bool *disagree);

#endif
