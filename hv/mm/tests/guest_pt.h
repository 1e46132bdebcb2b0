/*
 * guest_pt.h - build guest page tables in simulated guest RAM (host tests).
 *
 * A struct gpt owns an mmap()ed, 2 MiB aligned block that plays the guest's
 * RAM, and a bump allocator for page-table pages inside it
 * ([GPT_TABLES, GPT_TABLES_END)).  gpt_map() writes the entries a mapping
 * needs, in the format of the chosen paging mode, so that tests can then
 * poke individual bits with gpt_entry()/gpt_get()/gpt_set().
 */
#ifndef FORMICA_MM_TESTS_GUEST_PT_H
#define FORMICA_MM_TESTS_GUEST_PT_H

#include "types.h"
#include "mm/gmem.h"
#include "mm/walk.h"

#define GPT_RAM (16ull << 20)
#define GPT_TABLES (8ull << 20)     /* page tables live in [8 MiB, 12 MiB) */
#define GPT_TABLES_END (12ull << 20)
#define GPT_NONE (~0ull)

struct gpt {
	struct gmem m;
	enum paging_mode mode;
	u64 cr3;        /* what the guest would load: root table (+0x40 for PAE) */
	u64 next_table; /* bump allocator */
	void *map;      /* the mapping behind m.base */
	size_t map_len;
};

void gpt_init(struct gpt *g, enum paging_mode mode);
void gpt_free(struct gpt *g);
/* A zeroed page-table page, by gpa. */
u64 gpt_new_table(struct gpt *g);
/* Map the page of `size` (4 KiB; 2 MiB or 4 MiB; 1 GiB) at gva to gpa.  leaf
 * are the flags of the final entry (PTE_PS is added for large pages); tables
 * missing on the way are created with `upper` (P only for PAE PDPTEs).
 * Returns the gpa of the final entry. */
u64 gpt_map(struct gpt *g, u64 gva, u64 gpa, u64 size, u64 leaf, u64 upper);
/* gpa of the entry of `level` (1 = PTE) on gva's path, GPT_NONE if the path
 * stops above it. */
u64 gpt_entry(struct gpt *g, u64 gva, int level);
u64 gpt_get(struct gpt *g, u64 entry_gpa);
void gpt_set(struct gpt *g, u64 entry_gpa, u64 value);
/* Levels of the mode (2, 3 or 4). */
int gpt_levels(const struct gpt *g);
/* Paging state for this tree: WP, PSE, PGE, NXE on; SMEP, SMAP off; MAXPHYADDR 46. */
struct guest_paging gpt_paging(const struct gpt *g);

#endif
