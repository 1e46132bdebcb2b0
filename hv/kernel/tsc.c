/*
 * tsc.c - the time-stamp counter as the hv's only clock.
 *
 * We measure the TSC rate once, against the 8254 PIT's channel 2, which
 * counts at 1.193182 MHz on every PC-compatible and whose output we can
 * poll through port 0x61 without any interrupt.  50 ms of counting gives
 * the rate to a few parts per million.
 *
 * Hardware note: some recent machines have no 8254 (or gate it off).  There
 * the loop below times out and we fall back to CPUID leaf 0x15/0x16, and
 * failing that assume 1 GHz and say so.  In Bochs the TSC runs at the
 * emulated instruction rate, not wall time: times in the log are emulated
 * time.
 */
#include "io.h"
#include "kprintf.h"
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

void tsc_init(void)
{
	tsc_hz = calibrate_pit();
	const char *how = "PIT channel 2";
	if (!tsc_hz) {
		struct cpuid_regs r = cpuid(0, 0);
		if (r.eax >= 0x15) {
			struct cpuid_regs t = cpuid(0x15, 0);
			if (t.eax && t.ebx && t.ecx)
				tsc_hz = (u64)t.ecx * t.ebx / t.eax, how = "CPUID.15H";
		}
	}
	if (!tsc_hz)
		tsc_hz = 1000000000ull, how = "a guess (no PIT, no CPUID.15H)";
	kprintf("tsc: %lu.%03lu MHz, measured with %s\n", tsc_hz / 1000000,
		(tsc_hz / 1000) % 1000, how);
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
