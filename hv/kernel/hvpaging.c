/*
 * hvpaging.c - the hv's own page tables: an identity map of physical memory.
 *
 * After ExitBootServices the firmware's page tables sit in memory that is
 * now ours to reuse, so we build our own before allocating anything.
 * Identity (virtual == physical) keeps the hv simple: a physical address
 * from a page table, a VMCS or a DMA descriptor is directly a pointer.
 *
 * We map [0, max(4 GiB, end of RAM)) with 2 MiB pages.  RAM is write-back;
 * everything else (the PCI hole below 4 GiB: MMIO BARs, the local APIC,
 * firmware flash) is mapped uncached (PCD|PWT) so device registers are
 * never cached.  A 2 MiB page that holds any RAM is mapped write-back; on
 * PCs the only mixed one is the first, whose legacy VGA hole we never touch.
 * (On real hardware the firmware's MTRRs also mark MMIO uncached; Bochs and
 * QEMU ignore cache types altogether.)
 */
#include "handoff.h"
#include "kprintf.h"
#include "pmm.h"
#include "x86.h"

#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_PS BIT(7)
#define SZ_2M (2ull << 20)
#define SZ_1G (1ull << 30)

static bool range_has_ram(const struct handoff *h, u64 start, u64 end)
{
	for (u32 i = 0; i < h->nmem; i++) {
		const struct handoff_mem *m = &h->mem[i];
		if (m->type == HMEM_RESERVED)
			continue;
		u64 ms = m->base, me = m->base + m->pages * PAGE_SIZE;
		if (ms < end && me > start)
			return true;
	}
	return false;
}

u64 mapped_top; /* the identity map covers [0, mapped_top) */

void paging_init(const struct handoff *h)
{
	u64 top = 4 * SZ_1G;
	for (u32 i = 0; i < h->nmem; i++) {
		u64 end = h->mem[i].base + h->mem[i].pages * PAGE_SIZE;
		if (h->mem[i].type != HMEM_RESERVED && end > top)
			top = end;
	}
	/* The GOP framebuffer may lie above RAM (a 64-bit BAR): map it too, if
	 * one PML4 entry reaches it; otherwise hv/kernel/screen.c is told. */
	u64 fb_end = h->fb_base + (u64)h->fb_height * h->fb_pitch;
	if (h->fb_base && fb_end > top && fb_end <= 512 * SZ_1G)
		top = fb_end;
	top = ALIGN_UP(top, SZ_1G);
	if (top > 512 * SZ_1G)
		panic("paging: %lu GiB of address space; one PML4 entry covers 512\n", top >> 30);

	u64 *pml4 = pmm_alloc_pages(1);
	u64 *pdpt = pmm_alloc_pages(1);
	pml4[0] = (u64)pdpt | PTE_P | PTE_RW;
	u64 uc_pages = 0;
	for (u64 gb = 0; gb < top / SZ_1G; gb++) {
		u64 *pd = pmm_alloc_pages(1);
		pdpt[gb] = (u64)pd | PTE_P | PTE_RW;
		for (u64 i = 0; i < 512; i++) {
			u64 pa = gb * SZ_1G + i * SZ_2M;
			u64 attr = PTE_P | PTE_RW | PTE_PS;
			if (!range_has_ram(h, pa, pa + SZ_2M)) {
				attr |= PTE_PCD | PTE_PWT;
				uc_pages++;
			}
			pd[i] = pa | attr;
		}
	}
	write_cr3((u64)pml4);
	mapped_top = top;
	kprintf("paging: identity map of %lu GiB in 2 MiB pages (%lu uncached)\n", top >> 30,
		uc_pages);
}
