/*
 * main.c - the hypervisor's bring-up, in order.
 *
 * boot/ jumped to hv/kernel/entry.S, which relocated the image and called
 * hv_main() on our own stack.  Firmware boot services are gone; from here
 * on the machine is ours.
 */
#include "console.h"
#include "cpu.h"
#include "guest/guest.h"
#include "handoff.h"
#include "io.h"
#include "kprintf.h"
#include "lapic.h"
#include "pmm.h"
#include "power.h"
#include "tsc.h"
#include "vcpu.h"

void paging_init(const struct handoff *h);
void pci_init(const struct handoff *h); /* hv/pci/pci.h; its names clash with hv/dev's */

/* Storage (hv/storage/) is optional at link time while it is developed:
 * a weak reference is NULL when the object is absent. */
void storage_init(const struct handoff *h) __attribute__((weak));
int storage_selftest(const struct handoff *h) __attribute__((weak));
int iosched_selftest(const struct handoff *h) __attribute__((weak));

static void print_bootlog(const struct handoff *h)
{
	char line[256];
	size_t n = 0;
	for (u32 i = 0; i < h->bootlog_len && i < sizeof(h->bootlog); i++) {
		char c = h->bootlog[i];
		if (c == '\n' || c == 0 || n == sizeof(line) - 1) {
			line[n] = 0;
			if (n)
				kprintf("boot: %s\n", line);
			n = 0;
			if (c == 0)
				break;
		} else {
			line[n++] = c;
		}
	}
}

void hv_main(struct handoff *h)
{
	tsc_boot = rdtsc();
	bool ok = h->magic == HANDOFF_MAGIC && h->version == HANDOFF_VERSION;
	/* Until the hand-off is known to be ours, only the legacy port is safe to guess. */
	console_init(ok ? h->cfg.serial : SERIAL_PORT, ok ? h->cfg.serial_port : 0x3f8);
	gdt_init();
	idt_init();
	kprintf("formica: hypervisor at 0x%lx (%lu KiB)\n", h->hv_base, h->hv_size / 1024);
	if (!ok)
		panic("bad hand-off block (magic 0x%lx version %u): boot/ and hv/ do not match\n",
		      h->magic, h->version);
	pmm_init(h->heap_base, h->heap_size);
	paging_init(h);
	console_screen(h);
	tsc_init();
	lapic_quiesce();
	power_init(h);
	print_bootlog(h);
	pci_init(h);
	console_pci();
	kprintf("formica: %u guest(s) configured\n", h->cfg.nguests);

	/* Storage comes before the VT-x check: it is tested on machines (QEMU
	 * without KVM) that have no VT-x at all. */
	if (storage_init) {
		storage_init(h);
		if (storage_selftest)
			storage_selftest(h);
		if (iosched_selftest)
			iosched_selftest(h);
	}

	if (vcpu_backend_init(h->cfg.timer == TIMER_PREEMPTION) == 0) {
		lapic_timer_init();
		guests_run(h);
		kprintf("formica: all guests ended\n");
	} else {
		kprintf("formica: no guest can run without VT-x or AMD-V\n");
	}
	power_off();
}
