/*
 * flat.c - loading a flat guest (guest-tests/README.md has the ABI).
 *
 * A flat guest is a raw 64-bit binary: copy it to guest-physical 1 MiB,
 * give it a GDT and identity page tables in its own memory, and start it
 * in long mode.  From the first instruction on it runs on the shadow pager
 * (hv/mm/), exactly like a Linux guest; the tables here are the guest's,
 * and it may build and load others.
 */
#include "guest/guest.h"
#include "mm/walk.h"
#include "kprintf.h"
#include "string.h"
#include "x86.h"

#define FLAT_LOAD 0x100000ull
#define FLAT_GDT 0x1000ull
#define FLAT_PML4 0x2000ull
#define FLAT_PDPT 0x3000ull
#define FLAT_PD 0x4000ull /* four page directories: up to 4 GiB */
#define FLAT_MAX_RAM (4ull << 30)
#define SZ_2M (2ull << 20)
#define PTE_P_RW (PTE_P | PTE_RW)


/* guest-virtual = guest-physical over all of RAM, 2 MiB pages */
static void build_identity_tables(struct gmem *m)
{
	u64 *pml4 = gpa_ptr(m, FLAT_PML4, PAGE_SIZE);
	u64 *pdpt = gpa_ptr(m, FLAT_PDPT, PAGE_SIZE);
	pml4[0] = FLAT_PDPT | PTE_P_RW;
	for (u64 gpa = 0; gpa < m->size; gpa += SZ_2M) {
		u64 i = gpa / SZ_2M;
		u64 pd_gpa = FLAT_PD + (i / 512) * PAGE_SIZE;
		pdpt[i / 512] = pd_gpa | PTE_P_RW;
		u64 *pd = gpa_ptr(m, pd_gpa, PAGE_SIZE);
		pd[i % 512] = gpa | PTE_P_RW | PTE_PS;
	}
}

int flat_load(struct guest *g, const struct handoff_guest *hg, struct guest_entry *e)
{
	u64 size = hg->kernel.size;
	if (size == 0 || FLAT_LOAD + size > g->mem.size || g->mem.size > FLAT_MAX_RAM) {
		kprintf("guest %s: kernel %s is %lu bytes; it must be non-empty and fit between "
			"1 MiB and the end of guest RAM (%lu MiB, at most 4096)\n",
			g->name, g->cfg->kernel, size, g->mem.size >> 20);
		return -1;
	}
	memcpy(gpa_ptr(&g->mem, FLAT_LOAD, size), (void *)hg->kernel.base, size);

	/* null, 0x08 64-bit code, 0x10 data: the same words as hv/kernel/gdt.c */
	u64 *gdt = gpa_ptr(&g->mem, FLAT_GDT, 24);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	build_identity_tables(&g->mem);

	*e = (struct guest_entry){
		.rip = FLAT_LOAD, .rsp = FLAT_LOAD, .rflags = RFLAGS_FIXED,
		.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
		.cr3 = FLAT_PML4,
		.cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA | EFER_NXE,
		.gdt_base = FLAT_GDT, .gdt_limit = 23, .cs = 0x08, .ds = 0x10,
	};
	return 0;
}
