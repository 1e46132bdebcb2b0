/*
 * linux.c - loading a Linux guest: the 64-bit boot protocol.
 *
 * hv/guest/bzimage.c does the work (pure, unit-tested): check the bzImage
 * header, place kernel, initrd, command line and zero page in guest RAM,
 * build identity page tables and a GDT.  Here we only turn its answer into
 * the first VM entry.  The page tables it built are the GUEST's (in guest
 * memory): from the first instruction on, the guest runs on shadow paging.
 */
#include "guest/bzimage.h"
#include "guest/guest.h"
#include "kprintf.h"
#include "tsc.h"

int linux_load(struct guest *g, const struct handoff_guest *hg, struct guest_entry *e)
{
	const u8 *img = (const u8 *)hg->kernel.base;
	struct bzimage_info info;
	int r = bzimage_parse(img, hg->kernel.size, &info);
	if (r) {
		kprintf("guest %s: kernel %s refused: %s\n", g->name, g->cfg->kernel,
			bzimage_strerror(r));
		return -1;
	}
	/* Tell the kernel the TSC rate we measured: calibrating it against the
	 * virtual PIT through trapped port I/O is slow and, under an emulator,
	 * imprecise enough that Linux rejects the result. */
	static char cmdline[CFG_CMDLINE_LEN + 64];
	ksnprintf(cmdline, sizeof(cmdline), "%s tsc_early_khz=%lu", g->cfg->cmdline,
		  tsc_hz / 1000);
	struct bzimage_boot b;
	r = bzimage_load(img, hg->kernel.size, &info, (const u8 *)hg->initrd.base,
			 hg->initrd.size, cmdline, &g->mem, &b);
	if (r) {
		kprintf("guest %s: cannot load kernel %s: %s\n", g->name, g->cfg->kernel,
			bzimage_strerror(r));
		return -1;
	}
	kprintf("guest %s: Linux boot protocol %u.%02u, kernel at 0x%lx (%lu KiB, init_size %lu "
		"KiB), initrd at 0x%lx (%lu KiB)\n",
		g->name, info.version >> 8, info.version & 0xff, b.kernel_addr,
		b.kernel_size / 1024, b.init_size / 1024, b.initrd_addr, b.initrd_size / 1024);
	if (info.version_string)
		kprintf("guest %s: kernel version %s\n", g->name, info.version_string);
	*e = (struct guest_entry){
		.rip = b.rip, .rsp = b.rsp, .rsi = b.rsi, .rflags = b.rflags,
		.cr0 = b.cr0, .cr3 = b.cr3, .cr4 = b.cr4, .efer = b.efer,
		.gdt_base = b.gdt_base, .gdt_limit = b.gdt_limit, .cs = b.cs, .ds = b.ds,
	};
	return 0;
}
