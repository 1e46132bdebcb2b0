/*
 * flat.c - loading a flat guest (guest-tests/README.md has the ABI).
 *
 * A flat guest is a raw 64-bit binary: copy it to guest-physical 1 MiB,
 * give it a GDT, and start it in long mode.  It never loads CR3, so it runs
 * on page tables the hv builds and owns: guest-virtual = guest-physical,
 * mapped to the guest's block of host memory with 2 MiB pages.  That is
 * shadow paging at its most trivial (the guest's "own" page tables are the
 * identity); hv/mm/ does it for real for Linux guests.
 */
#include "guest/guest.h"
#include "kprintf.h"
#include "pmm.h"
#include "string.h"
#include "x86.h"

#define FLAT_LOAD 0x100000ull
#define FLAT_GDT 0x1000ull
#define SZ_2M (2ull << 20)

static u64 *build_host_tables(const struct gmem *m)
{
	u64 *pml4 = pmm_alloc_pages(1), *pdpt = pmm_alloc_pages(1);
	pml4[0] = (u64)pdpt | 3; /* present, writable */
	u64 *pd = NULL;
	for (u64 gpa = 0; gpa < m->size; gpa += SZ_2M) {
		u64 i = gpa / SZ_2M;
		if (i % 512 == 0) {
			pd = pmm_alloc_pages(1);
			pdpt[i / 512] = (u64)pd | 3;
		}
		pd[i % 512] = gpa_to_hpa(m, gpa) | 0x83; /* present, writable, 2 MiB */
	}
	return pml4;
}

int flat_load(struct guest *g, const struct handoff_guest *hg, struct guest_entry *e)
{
	u64 size = hg->kernel.size;
	if (size == 0 || FLAT_LOAD + size > g->mem.size) {
		kprintf("guest %s: kernel %s is %lu bytes; it must be non-empty and fit between "
			"1 MiB and the end of guest RAM (%lu MiB)\n",
			g->name, g->cfg->kernel, size, g->mem.size >> 20);
		return -1;
	}
	memcpy(gpa_ptr(&g->mem, FLAT_LOAD, size), (void *)hg->kernel.base, size);

	/* null, 0x08 64-bit code, 0x10 data: the same words as hv/gdt.c */
	u64 *gdt = gpa_ptr(&g->mem, FLAT_GDT, 24);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;

	g->host_pt = build_host_tables(&g->mem);
	*e = (struct guest_entry){
		.rip = FLAT_LOAD, .rsp = FLAT_LOAD, .rflags = RFLAGS_FIXED,
		.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
		.cr3 = (u64)g->host_pt,
		.cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA | EFER_NXE,
		.gdt_base = FLAT_GDT, .gdt_limit = 23, .cs = 0x08, .ds = 0x10,
	};
	return 0;
}
