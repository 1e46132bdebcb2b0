/*
 * test_large.c - 2 MiB shadow leaves (hv/mm/shadow.c, "large leaves"), one
 * test per rule.
 *
 * A guest page of 2 MiB or more may be shadowed by one PDE with PS = 1
 * instead of 512 PTEs: one #PF exit per 2 MiB.  That is only right while
 * every page of the 2 MiB may be written through it, so each test names one
 * condition (all RAM, an aligned host block, nothing protected inside, no
 * working-set harvesting) or one place that must know a leaf can sit at
 * level 2 (a watch, INVLPG, the dirty-bit upgrade, PAT's position, a 4 KiB
 * leaf replacing a large one and back).  The permission matrix and the
 * differential test (test_shadow.c, test_shadow_diff.c) run with large
 * leaves on and off besides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "mm/shadow.h"
#include "mm/synced.h"
#include "mm/tests/guest_pt.h"
#include "mm/tests/shadow_cpu.h"

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define KBASE 0xffff888040200000ull /* 2 MiB aligned kernel address (direct map) */
#define UBASE 0x00007f8040000000ull /* 1 GiB aligned user address */

static u64 hpa(struct fix *f, u64 gpa)
{
	return gpa_to_hpa(&f->g.m, gpa);
}

static struct run run_access(struct fix *f, u64 gva, u32 access)
{
	return shadow_run(f->ctx, gva, access, false);
}

/* The raw shadow PDE for gva in the loaded shadow (0 if none). */
static u64 shadow_pde(struct shadow_ctx *ctx, u64 gva)
{
	u64 *t = (u64 *)(uintptr_t)(shadow_host_cr3(ctx) & ~0x1full);

	for (int level = ctx->paging.mode == PAGING_LONG4 ? 4 : 3; level > 2; level--) {
		u64 e = t[(gva >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P))
			return 0;
		t = (u64 *)(uintptr_t)(e & PTE_ADDR);
	}
	return t[(gva >> 21) & 511];
}

/* Rule: a fault in a guest 2 MiB page builds one 2 MiB leaf with the
 * guest's rights, and every other page of it runs without an exit. */
static void test_large_leaf_built(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW | PTE_D | PTE_G | PTE_NX, PTE_RW);
	struct run r = run_access(&f, KBASE + 0x1234, WALK_WRITE);

	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, hpa(&f, 0x401234));
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE), 2);
	assert_int_equal(shadow_pde(f.ctx, KBASE),
			 hpa(&f, 0x400000) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_G | PTE_NX |
				 PTE_PS | SPTE_SPLIT);
	for (u64 off = 0; off < 2 * MB; off += 64 * KB) {
		r = run_access(&f, KBASE + off, WALK_WRITE);
		assert_int_equal(r.exits, 0);
		assert_int_equal(r.hpa, hpa(&f, 0x400000 + off));
	}
	assert_int_equal(f.ctx->stats.large_leaves, 1);
	assert_int_equal(f.ctx->stats.faults, 1);
	/* Three shadow tables: PML4, PDPT, PD; no page table. */
	assert_int_equal(f.ctx->stats.pages, 3);

	/* Off: the same access builds a 4 KiB leaf. */
	f.ctx->large_leaves = false;
	shadow_flush_all(f.ctx);
	assert_int_equal(run_access(&f, KBASE + 0x1234, WALK_WRITE).exits, 1);
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x1234), 1);
	assert_int_equal(run_access(&f, KBASE + 0x2234, WALK_WRITE).exits, 1);
	assert_int_equal(f.ctx->stats.large_leaves, 1);
	fix_done(&f);
}

/* Rule: a guest 1 GiB page gets 2 MiB leaves (never a 1 GiB one), each the
 * 2 MiB around the address; INVLPG anywhere in the 1 GiB drops them all. */
static void test_large_leaf_1g(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 pdpte = gpt_map(&f.g, UBASE, 0, GB, PTE_P | PTE_RW | PTE_US | PTE_D, PTE_RW | PTE_US);

	assert_int_equal(run_access(&f, UBASE + 0x612345, WALK_USER | WALK_WRITE).hpa,
			 hpa(&f, 0x612345));
	assert_int_equal(shadow_leaf_level(f.ctx, UBASE + 0x600000), 2);
	assert_int_equal(shadow_pde(f.ctx, UBASE + 0x600000) & 0x000fffffffe00000ull,
			 hpa(&f, 0x600000));
	assert_int_equal(run_access(&f, UBASE + 0x7ff000, WALK_USER).exits, 0);
	assert_int_equal(run_access(&f, UBASE + 0x800000, WALK_USER).exits, 1);
	assert_int_equal(f.ctx->stats.large_leaves, 2);
	gpt_set(&f.g, pdpte, 0);
	shadow_invlpg(f.ctx, UBASE + 0x3000000);
	assert_int_equal(shadow_leaf(f.ctx, UBASE + 0x600000), 0);
	assert_int_equal(run_access(&f, UBASE + 0x800000, WALK_USER).kind, SHADOW_INJECT);
	fix_done(&f);
}

/* Rule: the same in the PAE shadow format: a PAE guest's 2 MiB page, and a
 * 32-bit guest's 4 MiB page, whose 2 MiB half holding the address becomes
 * the leaf; one INVLPG in either half drops both halves. */
static void test_large_leaf_pae_and_32bit(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_PAE, SHADOW_CACHED);
	gpt_map(&f.g, 0xc0200000, 0x200000, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	assert_int_equal(run_access(&f, 0xc03ff008, WALK_WRITE).hpa, hpa(&f, 0x3ff008));
	assert_int_equal(shadow_leaf_level(f.ctx, 0xc0200000), 2);
	assert_int_equal(run_access(&f, 0xc0200000, WALK_READ).exits, 0);
	fix_done(&f);

	fix_init(&f, PAGING_32, SHADOW_CACHED);
	u64 pde = gpt_map(&f.g, 0x80000000, 0x400000, 4 * MB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);

	assert_int_equal(run_access(&f, 0x80300010, WALK_USER).hpa, hpa(&f, 0x700010));
	assert_int_equal(shadow_leaf_level(f.ctx, 0x80300000), 2);
	assert_int_equal(shadow_leaf_level(f.ctx, 0x80000000), 0); /* the other half: not yet */
	assert_int_equal(run_access(&f, 0x80000010, WALK_USER).hpa, hpa(&f, 0x400010));
	assert_int_equal(f.ctx->stats.large_leaves, 2);
	assert_true(shadow_pde(f.ctx, 0x80000000) & SPTE_SPLIT_4M);
	gpt_set(&f.g, pde, 0x800000 | PTE_P | PTE_US | PTE_PS);
	shadow_invlpg(f.ctx, 0x80000010); /* the first half: the second goes too */
	assert_int_equal(shadow_leaf(f.ctx, 0x80300000), 0);
	assert_int_equal(run_access(&f, 0x80300010, WALK_USER).hpa, hpa(&f, 0xb00010));
	fix_done(&f);
}

/* Rule: 4 KiB leaves when a protected page lies inside the 2 MiB: a watched
 * page (Antfarm's roots), or a guest page table the synced policy holds. */
static void test_4k_when_protected_inside(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	assert_int_equal(shadow_watch(f.ctx, 0x5ff000), SHADOW_OK); /* the last page */
	assert_int_equal(run_access(&f, KBASE, WALK_WRITE).kind, RAN);
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE), 1);
	assert_int_equal(run_access(&f, KBASE + 0x1ff000, WALK_WRITE).kind, SHADOW_WATCHED_WRITE);
	assert_int_equal(f.ctx->stats.large_leaves, 0);
	/* Unwatched: the next fault in it builds the large leaf. */
	shadow_unwatch(f.ctx, 0x5ff000);
	assert_int_equal(run_access(&f, KBASE + 0x1ff000, WALK_WRITE).kind, RAN);
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x1ff000), 2);
	fix_done(&f);

	/* Synced: the direct map over the guest's own page tables (at 8 MiB):
	 * the walk holds them, so the 2 MiB there is shadowed 4 KiB at a time;
	 * under the cached policy nothing holds them. */
	for (int p = 0; p < 2; p++) {
		fix_init(&f, PAGING_LONG4, p ? SHADOW_SYNCED : SHADOW_CACHED);
		gpt_map(&f.g, KBASE, GPT_TABLES, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);
		assert_int_equal(run_access(&f, KBASE + 0x10000, WALK_READ).kind, RAN);
		assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x10000), p ? 1 : 2);
		assert_int_equal(f.ctx->stats.large_leaves, p ? 0 : 1);
		fix_done(&f);
	}
}

/* Rule: 4 KiB leaves when the 2 MiB are not all guest RAM. */
static void test_4k_when_not_all_ram(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	f.g.m.size = 15 * MB; /* the guest's RAM ends inside [14 MiB, 16 MiB) */
	gpt_map(&f.g, KBASE, 14 * MB, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	assert_int_equal(run_access(&f, KBASE + 0x1000, WALK_WRITE).hpa, hpa(&f, 14 * MB + 0x1000));
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x1000), 1);
	assert_int_equal(run_access(&f, KBASE + MB, WALK_READ).kind, SHADOW_BAD_GPA);
	assert_int_equal(f.ctx->stats.large_leaves, 0);
	fix_done(&f);
}

/* Rule: 4 KiB leaves when the host block is not 2 MiB aligned (gmem.h
 * promises it is; the check stays so a misaligned block is still right). */
static void test_4k_when_host_misaligned(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	f.g.m.base += PAGE_SIZE; /* still page aligned, no longer 2 MiB aligned */
	f.g.m.size -= 2 * MB;
	f.g.next_table = GPT_TABLES;
	f.g.cr3 = gpt_new_table(&f.g);
	struct guest_paging pg = gpt_paging(&f.g);

	assert_true(shadow_set_paging(f.ctx, &pg) != 0);
	gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	assert_int_equal(run_access(&f, KBASE + 0x1000, WALK_WRITE).hpa, hpa(&f, 0x401000));
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x1000), 1);
	assert_int_equal(f.ctx->stats.large_leaves, 0);
	fix_done(&f);
}

/* Rule: no large leaf while the working set is harvested (samples count
 * 4 KiB pages), and the harvest drops those that exist when it starts. */
static void test_4k_when_harvesting(void **state)
{
	static u64 seen[GPT_RAM / PAGE_SIZE / 64];
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	assert_int_equal(run_access(&f, KBASE, WALK_READ).kind, RAN);
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE), 2);
	memset(seen, 0, sizeof(seen));
	f.ctx->wss_seen = seen;
	shadow_harvest(f.ctx, seen, NULL);
	assert_int_equal(shadow_leaf(f.ctx, KBASE), 0); /* dropped, not counted */
	assert_int_equal(seen[0x400000 >> 18], 0);
	assert_int_equal(run_access(&f, KBASE + 0x3000, WALK_READ).exits, 1);
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x3000), 1);
	assert_int_equal(f.ctx->stats.large_leaves, 1);
	shadow_harvest(f.ctx, seen, NULL);
	assert_true(seen[0x403000 >> 18] & BIT((0x403000 >> 12) & 63)); /* 4 KiB exact */
	assert_false(seen[0x404000 >> 18] & BIT((0x404000 >> 12) & 63));
	f.ctx->wss_seen = NULL;
	fix_done(&f);
}

/* Rule: watching a page inside an existing writable large leaf takes write
 * access to that page away in every record (the large leaf goes; the rest
 * of the 2 MiB comes back as 4 KiB leaves), through the notes (one linear
 * page per guest page) and through the full search alike. */
static void test_watch_inside_large_leaf(void **state)
{
	for (int full = 0; full < 2; full++) {
		struct fix f;

		fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
		gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW | PTE_D | PTE_G, PTE_RW);
		if (full) /* a second linear alias of one page: its note says "many" */
			gpt_map(&f.g, KBASE + 4 * MB, 0x4a0000, 4 * KB, PTE_P | PTE_RW | PTE_D, PTE_RW);
		u64 root0 = f.g.cr3, root1 = fix_second_root(&f);

		assert_int_equal(run_access(&f, KBASE + 0xa0000, WALK_WRITE).kind, RAN);
		if (full)
			assert_int_equal(run_access(&f, KBASE + 4 * MB, WALK_WRITE).kind, RAN);
		assert_true(shadow_cr3_load(f.ctx, root1) != 0);
		assert_int_equal(run_access(&f, KBASE + 0x10000, WALK_WRITE).kind, RAN);
		assert_int_equal(shadow_leaf_level(f.ctx, KBASE), 2);
		assert_int_equal(f.ctx->stats.large_leaves, 2);

		assert_int_equal(shadow_watch(f.ctx, 0x4a0000), SHADOW_OK);
		assert_int_equal(f.ctx->stats.watch_walks, full ? 1 : 0);
		for (int r = 0; r < 2; r++) {
			assert_true(shadow_cr3_load(f.ctx, r ? root1 : root0) != 0);
			assert_false(shadow_leaf(f.ctx, KBASE + 0xa0000) & PTE_RW);
			assert_int_equal(run_access(&f, KBASE + 0xa0008, WALK_WRITE).kind,
					 SHADOW_WATCHED_WRITE);
			assert_int_equal(run_access(&f, KBASE + 0xa0008, WALK_READ).kind, RAN);
			struct run w = run_access(&f, KBASE + 0xb0000, WALK_WRITE);

			assert_int_equal(w.kind, RAN);
			assert_int_equal(w.hpa, hpa(&f, 0x4b0000));
			assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0xb0000), 1);
		}
		assert_int_equal(f.ctx->stats.large_leaves, 2); /* no new one over the watch */
		fix_done(&f);
	}
}

/* Rule: INVLPG of any address inside a large leaf drops it. */
static void test_invlpg_inside_large_leaf(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 pde = gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW | PTE_D, PTE_RW);

	assert_int_equal(run_access(&f, KBASE, WALK_READ).kind, RAN);
	gpt_set(&f.g, pde, 0x600000 | PTE_P | PTE_RW | PTE_PS | PTE_A);
	shadow_invlpg(f.ctx, KBASE + 0x1ff000);
	assert_int_equal(shadow_pde(f.ctx, KBASE), 0);
	assert_int_equal(run_access(&f, KBASE + 8, WALK_READ).hpa, hpa(&f, 0x600008));
	fix_done(&f);
}

/* Rule: a large leaf starts read-only while the guest's D flag is clear;
 * the first write anywhere in it sets D and makes the whole leaf writable
 * (one exit), and the "same leaf again" check does not misfire. */
static void test_dirty_upgrade_large(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 pde = gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_RW, PTE_RW);

	assert_int_equal(run_access(&f, KBASE + 0x5000, WALK_READ).kind, RAN);
	assert_false(shadow_pde(f.ctx, KBASE) & PTE_RW);
	struct run r = run_access(&f, KBASE + 0x1ff000, WALK_WRITE);

	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_true(gpt_get(&f.g, pde) & PTE_D);
	assert_true(shadow_pde(f.ctx, KBASE) & PTE_RW);
	assert_int_equal(f.ctx->stats.dirty_upgrades, 1);
	assert_int_equal(f.ctx->stats.large_leaves, 2);
	assert_int_equal(run_access(&f, KBASE + 0x5000, WALK_WRITE).exits, 0);
	/* A write the guest forbids through the same leaf is the guest's #PF. */
	gpt_set(&f.g, pde, gpt_get(&f.g, pde) & ~PTE_RW);
	shadow_invlpg(f.ctx, KBASE);
	assert_int_equal(run_access(&f, KBASE, WALK_READ).kind, RAN);
	r = run_access(&f, KBASE, WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, PFEC_P | PFEC_W);
	fix_done(&f);
}

/* Rule: the PAT bit of a large leaf is bit 12 (bit 7 is PS there), PWT and
 * PCD stay where they are (SDM tables 4-10, 4-18). */
static void test_large_leaf_pat(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KBASE, 0x400000, 2 * MB, PTE_P | PTE_D | PTE_PAT_LARGE | PTE_PWT, 0);
	gpt_map(&f.g, KBASE + 2 * MB, 0x600000, 2 * MB, PTE_P | PTE_PCD, 0);
	assert_int_equal(run_access(&f, KBASE, WALK_READ).kind, RAN);
	assert_int_equal(run_access(&f, KBASE + 2 * MB, WALK_READ).kind, RAN);
	u64 a = shadow_pde(f.ctx, KBASE), b = shadow_pde(f.ctx, KBASE + 2 * MB);

	assert_true(a & PTE_PS);
	assert_int_equal(a & (PTE_PAT_LARGE | PTE_PWT | PTE_PCD), PTE_PAT_LARGE | PTE_PWT);
	assert_int_equal(a & 0x000fffffffe00000ull, hpa(&f, 0x400000));
	assert_int_equal(b & (PTE_PAT_LARGE | PTE_PWT | PTE_PCD), PTE_PCD);
	/* As the PTE it stands for: PAT at bit 7. */
	assert_int_equal(shadow_leaf(f.ctx, KBASE + 0x3000) & (PTE_PAT | PTE_PWT | PTE_PCD),
			 PTE_PAT | PTE_PWT);
	fix_done(&f);
}

/* Rule: a 4 KiB leaf where a large leaf is replaces it, and a large leaf
 * where a page table is frees the table (no page leaks: fix_done counts). */
static void test_large_and_table_replace_each_other(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KBASE, 0x400000, 4 * KB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	u64 pde = gpt_entry(&f.g, KBASE, 2);
	u64 big = 0x600000 | PTE_P | PTE_RW | PTE_PS | PTE_A; /* D clear */

	assert_int_equal(run_access(&f, KBASE, WALK_WRITE).kind, RAN);
	assert_int_equal(f.ctx->stats.pages, 4);
	/* The guest puts a 2 MiB page there and flushes only another address:
	 * the old 4 KiB leaf may stay (a TLB's licence), but a fault in the
	 * 2 MiB builds the large leaf over its page table, which goes. */
	gpt_set(&f.g, pde, big);
	shadow_invlpg(f.ctx, KBASE + 0x5000);
	assert_int_equal(run_access(&f, KBASE + 0x5000, WALK_READ).hpa, hpa(&f, 0x605000));
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE), 2);
	assert_int_equal(f.ctx->stats.pages, 3);
	assert_int_equal(run_access(&f, KBASE, WALK_READ).hpa, hpa(&f, 0x600000));
	/* The leaf is read-only (D clear), so a watch inside leaves it; the
	 * next write, to another page, must be a 4 KiB leaf (a protected page
	 * is inside), which replaces the large one under a new page table. */
	assert_int_equal(shadow_watch(f.ctx, 0x600000), SHADOW_OK);
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE), 2);
	assert_int_equal(run_access(&f, KBASE + 0x7000, WALK_WRITE).hpa, hpa(&f, 0x607000));
	assert_int_equal(shadow_leaf_level(f.ctx, KBASE + 0x7000), 1);
	assert_int_equal(shadow_leaf(f.ctx, KBASE), 0);
	assert_int_equal(f.ctx->stats.pages, 4);
	assert_int_equal(run_access(&f, KBASE, WALK_WRITE).kind, SHADOW_WATCHED_WRITE);
	assert_int_equal(run_access(&f, KBASE + 0x9000, WALK_WRITE).exits, 1);
	assert_int_equal(f.ctx->stats.large_leaves, 1);
	fix_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_leaf_built),
		cmocka_unit_test(test_large_leaf_1g),
		cmocka_unit_test(test_large_leaf_pae_and_32bit),
		cmocka_unit_test(test_4k_when_protected_inside),
		cmocka_unit_test(test_4k_when_not_all_ram),
		cmocka_unit_test(test_4k_when_host_misaligned),
		cmocka_unit_test(test_4k_when_harvesting),
		cmocka_unit_test(test_watch_inside_large_leaf),
		cmocka_unit_test(test_invlpg_inside_large_leaf),
		cmocka_unit_test(test_dirty_upgrade_large),
		cmocka_unit_test(test_large_leaf_pat),
		cmocka_unit_test(test_large_and_table_replace_each_other),
	};
	return cmocka_run_group_tests_name("large", tests, NULL, NULL);
}
