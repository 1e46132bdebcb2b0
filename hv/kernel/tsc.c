/*
 * tsc.c - the time-stamp counter as the hv's only clock.
 *
 * The rate: Intel CPUs state it in CPUID leaves 15H/16H, and we also
 * measure it against the 8254 PIT's channel 2, which counts at 1.193182 MHz
 * on every PC-compatible and whose output we can poll through port 0x61
 * without any interrupt (50 ms of counting: a few parts per million).
 * hv/lib/tsc_freq.c decides: CPUID's rate where it has one and the PIT
 * agrees or is missing (recent platforms may gate the 8254 off: the loop
 * times out), the PIT's where CPUID states none (AMD) or disagrees (an
 * emulator), 1 GHz with a warning when neither works.  The log line says
 * which.  In Bochs the TSC runs at the emulated instruction rate, not wall
 * time: times in the log are emulated time.
 */
#include "io.h"
#include "kprintf.h"
#include "lib/tsc_freq.h"
#include "tsc.h"
#include "x86.h"

#define PIT_HZ 1193182ull
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_61 0x61 /* bit 0: ch2 gate, bit 1: speaker, bit 5: OUT2 */

u64 tsc_hz;
u64 tsc_boot;

static u64 calibrate_pit(void)
{
	const u64 ms = 50, count = PIT_HZ * ms / 1000;
	u8 p61 = inb(PORT_61);
	outb(PORT_61, (p61 & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);                 /* ch2, lo/hi, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	u64 t0 = rdtsc();
	/* Mode 0: OUT2 goes high when the count reaches zero. */
	for (u64 spins = 0; !(inb(PORT_61) & 0x20); spins++)
		if (spins > 100000000ull)
			return 0;
	u64 t1 = rdtsc();
	outb(PORT_61, p61);
	return (t1 - t0) * 1000 / ms;
}

static const char *const source_name[] = {
	[TSC_SRC_CPUID15] = "stated by CPUID.15H (crystal x ratio)",
	[TSC_SRC_CPUID16] = "stated by CPUID.16H (base frequency)",
	[TSC_SRC_PIT] = "measured with PIT channel 2",
	[TSC_SRC_GUESS] = "a guess: no PIT and no CPUID.15H rate; times are wrong",
};

void tsc_init(void)
{
	struct tsc_cpuid c = { .max_leaf = cpuid(0, 0).eax };
	if (c.max_leaf >= 0x15) {
		struct cpuid_regs r = cpuid(0x15, 0);
		c.l15_eax = r.eax, c.l15_ebx = r.ebx, c.l15_ecx = r.ecx;
	}
	if (c.max_leaf >= 0x16)
		c.l16_eax = cpuid(0x16, 0).eax;
	enum tsc_source csrc = TSC_SRC_GUESS, src;
	u64 chz = tsc_hz_from_cpuid(&c, &csrc);
	u64 pit = calibrate_pit();
	bool disagree;
	tsc_hz = tsc_choose(chz, csrc, pit, &src, &disagree);
	/* "tsc: N MHz, " is what tools/logplot and tools/antfarm look for. */
	kprintf("tsc: %lu.%03lu MHz, %s\n", tsc_hz / 1000000, (tsc_hz / 1000) % 1000,
		source_name[src]);
	if (disagree)
		kprintf("tsc: CPUID.%sH states %lu kHz, the PIT measured %lu kHz: the PIT's is used\n",
			csrc == TSC_SRC_CPUID15 ? "15" : "16", chz / 1000, pit / 1000);
	else if (chz && pit)
		kprintf("tsc: the PIT measured %lu kHz (agrees)\n", pit / 1000);
	else if (chz)
		kprintf("tsc: no 8254 answered (gated off?); CPUID's rate is used\n");
}

/* Split into whole seconds and the rest so that nothing overflows 64 bits. */
u64 tsc_to_us(u64 ticks)
{
	if (!tsc_hz)
		return 0;
	return ticks / tsc_hz * 1000000 + ticks % tsc_hz * 1000000 / tsc_hz;
}

u64 tsc_to_ns(u64 ticks)
{
	if (!tsc_hz)
		return 0;
	return ticks / tsc_hz * 1000000000ull + ticks % tsc_hz * 1000000000ull / tsc_hz;
}

u64 ns_to_tsc(u64 ns) { return ns / 1000000000ull * tsc_hz + ns % 1000000000ull * tsc_hz / 1000000000ull; }

u64 us_to_tsc(u64 us) { return us / 1000000 * tsc_hz + us % 1000000 * tsc_hz / 1000000; }
u64 now_us(void) { return tsc_to_us(rdtsc() - tsc_boot); }

void udelay(u64 us)
{
	u64 end = rdtsc() + us_to_tsc(us);
	while (rdtsc() < end)
		cpu_pause();
}
