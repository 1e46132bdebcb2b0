/*
 * guest_pt.c - see guest_pt.h.  Written from the SDM's table formats, on
 * purpose without sharing code with walk.c.
 */
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include <sys/mman.h>
#include "mm/tests/guest_pt.h"

void gpt_init(struct gpt *g, enum paging_mode mode)
{
	memset(g, 0, sizeof(*g));
	/* Anonymous memory is zero and costs nothing until touched, which
	 * keeps tests that build hundreds of guests fast.  Over-allocate to
	 * align the base to 2 MiB, as boot/ does. */
	g->map_len = GPT_RAM + (2ull << 20);
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert(g->map != MAP_FAILED);
	g->m.size = GPT_RAM;
	g->m.base = (u8 *)ALIGN_UP((uintptr_t)g->map, 2ull << 20);
	g->mode = mode;
	g->next_table = GPT_TABLES;
	if (mode != PAGING_NONE)
		g->cr3 = gpt_new_table(g) + (mode == PAGING_PAE ? 0x40 : 0);
}

void gpt_free(struct gpt *g)
{
	if (g->map)
		munmap(g->map, g->map_len);
	g->map = NULL;
	g->m.base = NULL;
}

u64 gpt_new_table(struct gpt *g)
{
	u64 t = g->next_table;

	assert(t < GPT_TABLES_END);
	g->next_table += PAGE_SIZE;
	memset(g->m.base + t, 0, PAGE_SIZE);
	return t;
}

int gpt_levels(const struct gpt *g)
{
	return g->mode == PAGING_LONG4 ? 4 : g->mode == PAGING_PAE ? 3 : 2;
}

static int entry_bytes(const struct gpt *g)
{
	return g->mode == PAGING_32 ? 4 : 8;
}

static u64 index_of(const struct gpt *g, u64 gva, int level)
{
	if (g->mode == PAGING_32)
		return (gva >> (12 + 10 * (level - 1))) & 1023;
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

static u64 table_addr(const struct gpt *g, u64 e)
{
	return g->mode == PAGING_32 ? (e & 0xfffff000ull) : (e & 0x000ffffffffff000ull);
}

u64 gpt_get(struct gpt *g, u64 egpa)
{
	assert(egpa + entry_bytes(g) <= g->m.size);
	if (entry_bytes(g) == 4) {
		u32 v;
		memcpy(&v, g->m.base + egpa, 4);
		return v;
	}
	u64 v;
	memcpy(&v, g->m.base + egpa, 8);
	return v;
}

void gpt_set(struct gpt *g, u64 egpa, u64 value)
{
	assert(egpa + entry_bytes(g) <= g->m.size);
	if (entry_bytes(g) == 4) {
		u32 v = (u32)value;
		memcpy(g->m.base + egpa, &v, 4);
	} else {
		memcpy(g->m.base + egpa, &value, 8);
	}
}

static u64 root_of(const struct gpt *g)
{
	return g->mode == PAGING_PAE ? (g->cr3 & ~0x1full) : (g->cr3 & ~0xfffull);
}

u64 gpt_entry(struct gpt *g, u64 gva, int level)
{
	u64 table = root_of(g);

	for (int l = gpt_levels(g); l > level; l--) {
		u64 e = gpt_get(g, table + index_of(g, gva, l) * entry_bytes(g));

		if (!(e & PTE_P) || (l > 1 && l < 4 && (e & PTE_PS) && g->mode != PAGING_PAE) ||
		    (g->mode == PAGING_PAE && l == 2 && (e & PTE_PS)))
			return GPT_NONE;
		table = table_addr(g, e);
		if (table >= g->m.size) /* a test pointed it outside RAM */
			return GPT_NONE;
	}
	return table + index_of(g, gva, level) * entry_bytes(g);
}

u64 gpt_map(struct gpt *g, u64 gva, u64 gpa, u64 size, u64 leaf, u64 upper)
{
	int leaf_level = size == PAGE_SIZE ? 1 : size == (1ull << 30) ? 3 : 2;
	u64 table = root_of(g);

	for (int l = gpt_levels(g); l > leaf_level; l--) {
		u64 egpa = table + index_of(g, gva, l) * entry_bytes(g);
		u64 e = gpt_get(g, egpa);

		if (!(e & PTE_P)) {
			u64 flags = (g->mode == PAGING_PAE && l == 3) ? PTE_P : (upper | PTE_P);
			e = gpt_new_table(g) | flags;
			gpt_set(g, egpa, e);
		}
		table = table_addr(g, e);
	}
	u64 egpa = table + index_of(g, gva, leaf_level) * entry_bytes(g);
	u64 e;

	if (leaf_level == 1) {
		e = gpa | leaf;
	} else if (g->mode == PAGING_32) {
		/* 4 MiB page: address bits 39:32 go to entry bits 20:13 (PSE-36). */
		e = (gpa & 0xffc00000ull) | (((gpa >> 32) & 0xff) << 13) | leaf | PTE_PS;
	} else {
		e = gpa | leaf | PTE_PS;
	}
	gpt_set(g, egpa, e);
	return egpa;
}

struct guest_paging gpt_paging(const struct gpt *g)
{
	struct guest_paging pg = {
		.mode = g->mode,
		.cr3 = g->cr3,
		.wp = true,
		.pse = true,
		.pge = true,
		.nxe = true,
		.maxphyaddr = 46,
	};
	return pg;
}
