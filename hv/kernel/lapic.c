/*
 * lapic.c - keeping the platform's interrupt sources quiet.
 *
 * The hv polls; it never takes an interrupt.  But the firmware may have
 * left timers running: the 8259 PIC's IRQ 0 and the local APIC timer.
 * With "external-interrupt exiting" on, each such interrupt would cause a
 * VM exit, and one we never acknowledge would stay pending and cause an
 * exit on every VM entry.  So we mask both here, and the exit handler
 * acknowledges (EOI) anything that still arrives (hv/vmx/vmx_vcpu.c; on
 * SVM hv/kernel/idt.c takes it, see cpu_take_pending_interrupts()).
 */
#include "io.h"
#include "kprintf.h"
#include "lapic.h"
#include "tsc.h"
#include "x86.h"

#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_EN BIT(11)
#define XAPIC_EOI 0xb0
#define XAPIC_LVT_TIMER 0x320
#define XAPIC_TIMER_INITIAL 0x380
#define XAPIC_TIMER_CURRENT 0x390
#define XAPIC_TIMER_DIVIDE 0x3e0
#define TIMER_DIVIDE_BY_1 0xb
#define XAPIC_LVT_LINT0 0x350
#define XAPIC_LVT_LINT1 0x360
#define LVT_MASKED BIT(16)
#define X2APIC_MSR(off) (0x800 + ((off) >> 4))

static u64 xapic_base;
static bool x2apic;

static void lapic_write(u32 off, u32 v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(off), v);
	else
		mmio_write32(xapic_base + off, v);
}

static u32 lapic_read(u32 off)
{
	return x2apic ? (u32)rdmsr(X2APIC_MSR(off)) : mmio_read32(xapic_base + off);
}

void lapic_quiesce(void)
{
	outb(0x21, 0xff); /* mask every 8259 line, master and slave */
	outb(0xa1, 0xff);
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_EN)) {
		kprintf("lapic: disabled by firmware\n");
		return;
	}
	x2apic = base & APIC_BASE_X2APIC;
	xapic_base = base & 0xffffff000ull;
	lapic_write(XAPIC_LVT_TIMER, lapic_read(XAPIC_LVT_TIMER) | LVT_MASKED);
	if (x2apic) /* firmware left x2APIC mode on: registers are MSRs 0x800+, no MMIO page */
		kprintf("lapic: x2APIC mode (left on by the firmware), registers via MSRs, timer "
			"masked, 8259 masked\n");
	else
		kprintf("lapic: xAPIC at 0x%lx, timer masked, 8259 masked\n", xapic_base);
}

/*
 * The local APIC timer as the hv's alarm clock for guests (hv/guest/guest.c
 * arms it before each VM entry).  One-shot, vector LAPIC_TIMER_VECTOR.  It
 * fires either in the guest (an external-interrupt exit) or while the hv
 * runs with interrupts off (then it stays pending and causes an exit right
 * after the next VM entry).  Either way the hv regains control on time.
 * Its rate is the bus clock, which we measure against the TSC.
 */
static u64 lapic_timer_hz;

void lapic_timer_init(void)
{
	lapic_write(XAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_1);
	lapic_write(XAPIC_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
	lapic_write(XAPIC_TIMER_INITIAL, 0xffffffff);
	udelay(10000);
	u32 left = lapic_read(XAPIC_TIMER_CURRENT);
	lapic_write(XAPIC_TIMER_INITIAL, 0);
	lapic_timer_hz = (u64)(0xffffffffu - left) * 100;
	/* Unmasked and one-shot from now on: arming is a single register write,
	 * and an initial count of 0 leaves the timer stopped. */
	lapic_write(XAPIC_LVT_TIMER, LAPIC_TIMER_VECTOR);
	kprintf("lapic: timer runs at %lu kHz (measured against the TSC)\n",
		lapic_timer_hz / 1000);
}

void lapic_timer_arm(u64 ns)
{
	u64 count = ns / 1000 * lapic_timer_hz / 1000000;
	if (count == 0)
		count = 1;
	if (count > 0xffffffffull)
		count = 0xffffffffull;
	lapic_write(XAPIC_TIMER_INITIAL, (u32)count);
}

/* Stop the timer: an initial count of 0 (SDM Vol. 3A, 11.5.4). */
void lapic_timer_stop(void) { lapic_write(XAPIC_TIMER_INITIAL, 0); }

void lapic_eoi(void)
{
	if (xapic_base || x2apic)
		lapic_write(XAPIC_EOI, 0);
}
