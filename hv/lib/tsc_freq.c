/*
 * tsc_freq.c - which TSC rate the hv believes (pure).
 *
 * Intel CPUs state their TSC rate: CPUID leaf 15H gives the ratio of the
 * TSC to the core crystal clock (EBX/EAX) and the crystal's frequency
 * (ECX), so TSC Hz = ECX * EBX / EAX (SDM Vol. 2A, CPUID, leaf 15H, and
 * Vol. 3B 18.7.3).  Some models leave ECX 0; their TSC runs at the
 * processor's base frequency, which leaf 16H gives in MHz (EAX).  That is
 * better than measuring against the 8254 PIT, which recent Intel platforms
 * may have gated off to save power (then the measurement times out).  AMD
 * CPUs have neither leaf; there the PIT measures.  tsc.c is the glue.
 */
#include "types.h"
#include "tsc_freq.h"

u64 tsc_hz_from_cpuid(const struct tsc_cpuid *c, enum tsc_source *src)
{
	if (c->max_leaf < 0x15 || c->l15_eax == 0 || c->l15_ebx == 0)
		return 0;
	if (c->l15_ecx) {
		*src = TSC_SRC_CPUID15;
		return (u64)c->l15_ecx * c->l15_ebx / c->l15_eax;
	}
	if (c->max_leaf >= 0x16 && (c->l16_eax & 0xffff)) {
		*src = TSC_SRC_CPUID16;
		return (u64)(c->l16_eax & 0xffff) * 1000000;
	}
	return 0;
}

u64 tsc_choose(u64 cpuid_hz, enum tsc_source cpuid_src, u64 pit_hz, enum tsc_source *src,
	       bool *disagree)
{
	*disagree = false;
	if (cpuid_hz && pit_hz) {
		u64 diff = cpuid_hz > pit_hz ? cpuid_hz - pit_hz : pit_hz - cpuid_hz;
		if (diff * 100 > pit_hz) {
			*disagree = true;
			*src = TSC_SRC_PIT;
			return pit_hz;
		}
	}
	if (cpuid_hz) {
		*src = cpuid_src;
		return cpuid_hz;
	}
	if (pit_hz) {
		*src = TSC_SRC_PIT;
		return pit_hz;
	}
	*src = TSC_SRC_GUESS;
	return 1000000000ull;
}
