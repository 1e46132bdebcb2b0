/*
 * test_shadow.c - the shadow pager, end to end over simulated memory.
 *
 * Three actors:
 *   - the guest's page tables, built by guest_pt.h in an mmap()ed "RAM";
 *   - the shadow pager under test, given mmap()ed pages by a counting
 *     allocator (so leaks, double frees and the below-4 GiB rule show);
 *   - cpu_access(), a small model of the real MMU walking the SHADOW tables
 *     with the control bits the hv runs the guest with (CR0.WP = 1,
 *     EFER.NXE = 1, CR4.SMEP/SMAP = the guest's).  It also asserts that the
 *     CPU would never have to write a shadow entry (A and D preset).
 *
 * run() is the exit loop: try the access on the CPU; on a #PF call
 * shadow_page_fault() and retry while it says FIXED.  The main property:
 * for every access, run() ends where the guest's own page tables say it
 * should (walk_guest() with WALK_PEEK beforehand): completed at the right
 * host address, or a #PF injected with the guest's error code.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/shadow.h"
#include "mm/synced.h"
#include "mm/tests/guest_pt.h"
#include "mm/tests/shadow_cpu.h"

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define UVA 0x00007f8040201000ull
#define KVA 0xffff888040201000ull

/* The fixture (struct fix, fix_init, fix_done) is in shadow_cpu.c. */

static u64 hpa(struct fix *f, u64 gpa)
{
	return gpa_to_hpa(&f->g.m, gpa);
}

/* ---------------------------------------------------------- the exit loop */

static struct run run_ac(struct fix *f, u64 gva, u32 access, bool ac)
{
	return shadow_run(f->ctx, gva, access, ac);
}

static struct run run(struct fix *f, u64 gva, u32 access)
{
	return run_ac(f, gva, access, false);
}

/* ---------------------------------------------------------------- basics */

static void test_fault_builds_leaf(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	assert_int_equal(f.pool.live, 1); /* the top only */

	r = run(&f, UVA + 0x10, WALK_USER);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, hpa(&f, 0x5010));
	assert_int_equal(f.ctx->stats.faults, 1);
	assert_int_equal(f.ctx->stats.fixed, 1);
	assert_int_equal(f.pool.live, 4); /* PML4, PDPT, PD, PT */
	/* Read-only until the guest's D is set; user; not global; A preset. */
	assert_int_equal(shadow_leaf(f.ctx, UVA), hpa(&f, 0x5000) | PTE_P | PTE_US | PTE_A);
	/* The next access does not exit. */
	r = run(&f, UVA + 0x20, WALK_USER);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 0);
	assert_int_equal(shadow_as_current(f.ctx)->faults, 1);
	fix_done(&f);
}

/* Shadow table entries grant everything; the PAE PDPTE has P only. */
static void test_nonleaf_entries(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P, 0);
	assert_int_equal(run(&f, UVA, WALK_READ).kind, RAN);
	u64 *t = (u64 *)(uintptr_t)shadow_host_cr3(f.ctx);

	for (int level = 4; level > 1; level--) {
		u64 e = t[(UVA >> (12 + 9 * (level - 1))) & 511];

		assert_int_equal(e & ~PTE_ADDR, PTE_P | PTE_RW | PTE_US | PTE_A);
		t = (u64 *)(uintptr_t)(e & PTE_ADDR);
	}
	fix_done(&f);

	fix_init(&f, PAGING_PAE, SHADOW_REFERENCE);
	gpt_map(&f.g, 0xc0001000, 0x5000, 4 * KB, PTE_P, 0);
	assert_int_equal(run(&f, 0xc0001000, WALK_READ).kind, RAN);
	t = (u64 *)(uintptr_t)shadow_host_cr3(f.ctx);
	assert_int_equal(t[3] & ~PTE_ADDR, PTE_P);
	assert_int_equal(f.pool.low_pages, 1); /* the PDPT page only */
	fix_done(&f);
}

/*
 * The main property, over every combination of R/W, U/S, XD at the four
 * levels and the six accesses, with and without SMEP/SMAP: the exit loop
 * ends where the guest's tables say, and the shadow leaf carries the
 * combined rights (R/W only once D is set).  The guest page is 4 KiB, or
 * 2 MiB (three levels) or 1 GiB (two), shadowed with 2 MiB leaves (large)
 * or 4 KiB ones.
 */
static void permission_matrix(enum shadow_policy policy, u64 size, bool large)
{
	static const u32 accesses[] = {
		WALK_READ, WALK_WRITE, WALK_FETCH,
		WALK_USER, WALK_USER | WALK_WRITE, WALK_USER | WALK_FETCH,
	};
	static const struct { bool smep, smap, ac; } modes[] = {
		{ false, false, false }, { true, true, false }, { false, true, true },
	};
	struct fix f;
	u64 e[4];
	unsigned injected = 0, ran = 0;
	int first = size == GB ? 3 : size == 2 * MB ? 2 : 1; /* the final entry's level */
	unsigned nlev = 5 - first, combos = 1u << (3 * nlev);
	u64 page = size == 4 * KB ? 0x7000 : 0x200000, gpa = size == 4 * KB ? 0x7000 : 0x201000;

	fix_init(&f, PAGING_LONG4, policy);
	f.ctx->sync_strict = true; /* every write heard: no INVLPG needed */
	f.ctx->large_leaves = large;
	gpt_map(&f.g, UVA, size == GB ? 0 : page, size, PTE_P, 0);
	for (int l = first; l <= 4; l++)
		e[l - first] = gpt_entry(&f.g, UVA, l);

	for (unsigned m = 0; m < ARRAY_SIZE(modes); m++) {
		struct guest_paging pg = gpt_paging(&f.g);

		pg.smep = modes[m].smep;
		pg.smap = modes[m].smap;
		shadow_set_paging(f.ctx, &pg);
		for (unsigned combo = 0; combo < combos; combo++) {
			for (unsigned a = 0; a < ARRAY_SIZE(accesses); a++) {
				struct walk_result w;

				for (unsigned l = 0; l < nlev; l++) {
					unsigned b = (combo >> (3 * l)) & 7;

					gpt_set(&f.g, e[l], (gpt_get(&f.g, e[l]) & (PTE_ADDR | PTE_PS)) | PTE_P |
						((b & 1) ? PTE_RW : 0) | ((b & 2) ? PTE_US : 0) |
						((b & 4) ? PTE_NX : 0));
					/* Synced: the write to a protected table traps, and
					 * is all the shadow hears: no INVLPG. */
					if (policy == SHADOW_SYNCED)
						shadow_guest_write(f.ctx, e[l], 8);
				}
				/* The guest changed its tables: it must INVLPG. */
				if (policy != SHADOW_SYNCED)
					shadow_invlpg(f.ctx, UVA);
				u32 acc = accesses[a] | (modes[m].ac ? WALK_AC : 0);
				enum walk_status want = walk_guest(&f.g.m, &pg, UVA, acc | WALK_PEEK, &w);
				struct run r = run_ac(&f, UVA, accesses[a], modes[m].ac);

				if (want == WALK_FAULT) {
					injected++;
					if (r.kind != SHADOW_INJECT || r.f.error_code != w.error_code)
						fail_msg("combo %#x access %#x: kind %d ec %#x, want %#x",
							 combo, accesses[a], r.kind, r.f.error_code,
							 w.error_code);
					continue;
				}
				ran++;
				assert_int_equal(want, WALK_OK);
				if (r.kind != RAN)
					fail_msg("combo %#x access %#x: kind %d ec %#x", combo,
						 accesses[a], r.kind, r.f.error_code);
				assert_int_equal(r.hpa, hpa(&f, gpa));
				assert_int_equal(shadow_leaf_level(f.ctx, UVA),
						 large && size > 4 * KB ? 2 : 1);
				u64 leaf = shadow_leaf(f.ctx, UVA);
				bool dirty = gpt_get(&f.g, e[0]) & PTE_D;

				assert_int_equal(!!(leaf & PTE_US), w.us);
				assert_int_equal(!!(leaf & PTE_NX), w.nx);
				assert_int_equal(!!(leaf & PTE_RW), w.rw && dirty);
				assert_int_equal(dirty, !!(accesses[a] & WALK_WRITE));
			}
		}
	}
	/* Both outcomes exercised plenty (14400 and 59328 as written, for
	 * 4 KiB pages; an eighth of that per level fewer). */
	assert_true(injected > 50000u >> (3 * (first - 1)));
	assert_true(ran > 10000u >> (3 * (first - 1)));
	if (policy == SHADOW_SYNCED) /* the writes were heard, not ignored */
		assert_true(f.ctx->stats.sync_zaps > 10000u >> (3 * (first - 1)));
	assert_true(large && size > 4 * KB ? f.ctx->stats.large_leaves > ran / 2
					   : f.ctx->stats.large_leaves == 0);
	fix_done(&f);
}

static void test_permission_matrix_through_shadow(void **state)
{
	permission_matrix(SHADOW_REFERENCE, 4 * KB, true);
}

static void test_permission_matrix_synced(void **state)
{
	permission_matrix(SHADOW_SYNCED, 4 * KB, true);
}

/* Guest 2 MiB and 1 GiB pages, with 2 MiB shadow leaves and without. */
static void test_permission_matrix_large_pages(void **state)
{
	for (int large = 0; large < 2; large++)
		for (int p = 0; p < 2; p++) {
			permission_matrix(p ? SHADOW_SYNCED : SHADOW_REFERENCE, 2 * MB, large);
			permission_matrix(p ? SHADOW_SYNCED : SHADOW_REFERENCE, GB, large);
		}
}

/* --------------------------------------------------------------- dirty */

static void test_dirty_upgrade(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	u64 pte = gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);

	assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN);
	assert_false(gpt_get(&f.g, pte) & PTE_D);
	assert_false(shadow_leaf(f.ctx, UVA) & PTE_RW);
	/* First write: the CPU faults on the read-only leaf (P=1, W, U), the
	 * walk sets D in the guest PTE, the leaf becomes writable. */
	r = run(&f, UVA, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_true(gpt_get(&f.g, pte) & PTE_D);
	assert_int_equal(shadow_leaf(f.ctx, UVA),
			 hpa(&f, 0x5000) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	assert_int_equal(f.ctx->stats.dirty_upgrades, 1);
	/* Later writes do not exit. */
	assert_int_equal(run(&f, UVA + 8, WALK_USER | WALK_WRITE).exits, 0);

	/* A page whose D is already set is writable from the first read. */
	gpt_map(&f.g, UVA + 4 * KB, 0x6000, 4 * KB, PTE_P | PTE_RW | PTE_US | PTE_D, 0);
	assert_int_equal(run(&f, UVA + 4 * KB, WALK_USER).exits, 1);
	assert_int_equal(run(&f, UVA + 4 * KB, WALK_USER | WALK_WRITE).exits, 0);

	/* The guest cleans the page (clears D) and flushes: writes exit again. */
	gpt_set(&f.g, pte, gpt_get(&f.g, pte) & ~PTE_D);
	shadow_invlpg(f.ctx, UVA);
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 1);
	assert_int_equal(run(&f, UVA, WALK_USER | WALK_WRITE).exits, 1);
	assert_true(gpt_get(&f.g, pte) & PTE_D);
	fix_done(&f);
}

/* A guest read-only page stays read-only even when dirty, and the write is
 * the guest's #PF; D is not set by the failed write. */
static void test_guest_faults_injected(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	u64 pte = gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_RW | PTE_US);

	r = run(&f, UVA + 0x42, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x7);
	assert_false(gpt_get(&f.g, pte) & (PTE_A | PTE_D));
	/* Not present: P = 0 in the injected code even though... */
	r = run(&f, UVA + 4 * KB, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x6);
	/* ... and the CPU's error code is not the guest's: the shadow leaf for
	 * UVA exists after a read; a user write then faults on it with P = 1
	 * in hardware, and the guest gets P = 1 too. */
	assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN);
	r = run(&f, UVA, WALK_USER | WALK_WRITE);
	assert_int_equal(r.f.error_code, 0x7);
	/* The hardware said "not present" (empty shadow) but the guest's PTE
	 * is present and forbids the write: P = 1 for the guest. */
	shadow_flush_all(f.ctx);
	r = run(&f, UVA, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x7);
	/* A reserved bit in the guest's PTE. */
	gpt_set(&f.g, pte, gpt_get(&f.g, pte) | BIT(50));
	shadow_invlpg(f.ctx, UVA);
	r = run(&f, UVA, WALK_USER);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0xd);
	assert_int_equal(f.ctx->stats.injected, 5);
	fix_done(&f);
}

/* -------------------------------------------------------------- large pages */

static void test_2m_page_split(void **state)
{
	struct fix f;
	u64 base = KVA & ~(2 * MB - 1);

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	f.ctx->large_leaves = false; /* 4 KiB pieces; test_large.c has the 2 MiB leaves */
	gpt_map(&f.g, base, 0x200000, 2 * MB, PTE_P | PTE_RW | PTE_D | PTE_G | PTE_PAT_LARGE, PTE_RW);
	static const u64 offs[] = { 0, 0x1000, 0x1ff123 };

	for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
		struct run r = run(&f, base + offs[i], WALK_WRITE);

		assert_int_equal(r.kind, RAN);
		assert_int_equal(r.exits, 1); /* one exit per 4 KiB piece */
		assert_int_equal(r.hpa, hpa(&f, 0x200000 + offs[i]));
		assert_int_equal(shadow_leaf(f.ctx, base + offs[i]),
				 hpa(&f, 0x200000 + (offs[i] & ~0xfffull)) | PTE_P | PTE_RW | PTE_A |
					 PTE_D | PTE_G | PTE_PAT);
	}
	/* 4 shadow tables, plus the page of shadow_watch()'s notes on where
	 * guest pages were made writable. */
	assert_int_equal(f.ctx->stats.pages, 4);
	assert_int_equal(f.pool.live, 5);
	fix_done(&f);
}

static void test_1g_page_split(void **state)
{
	struct fix f;
	u64 base = 0x00007fc000000000ull;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, base, 0, GB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	r = run(&f, base + 0xabc123, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.hpa, hpa(&f, 0xabc123));
	r = run(&f, base + 0x12345, WALK_USER | WALK_FETCH);
	assert_int_equal(r.hpa, hpa(&f, 0x12345));
	/* The 1 GiB page reaches far beyond the guest's 16 MiB of RAM. */
	r = run(&f, base + 0x3000000, WALK_USER);
	assert_int_equal(r.kind, SHADOW_BAD_GPA);
	assert_false(r.f.bad_table);
	assert_int_equal(r.f.gpa, 0x3000000);
	fix_done(&f);
}

/* ----------------------------------------------------------------- INVLPG */

static void test_invlpg_4k(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	u64 pte = gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 4 * KB, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	assert_int_equal(run(&f, UVA, WALK_USER).hpa, hpa(&f, 0x5000));
	assert_int_equal(run(&f, UVA + 4 * KB, WALK_USER).hpa, hpa(&f, 0x6000));

	/* The guest remaps without flushing: the old translation may be used,
	 * as a TLB would. */
	gpt_set(&f.g, pte, 0x9000 | PTE_P | PTE_US);
	assert_int_equal(run(&f, UVA, WALK_USER).hpa, hpa(&f, 0x5000));
	shadow_invlpg(f.ctx, UVA + 0x123);
	struct run r = run(&f, UVA, WALK_USER);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, hpa(&f, 0x9000));
	/* The neighbour was not touched. */
	assert_int_equal(run(&f, UVA + 4 * KB, WALK_USER).exits, 0);

	/* Unmap and flush: the guest gets its #PF. */
	gpt_set(&f.g, pte, 0);
	shadow_invlpg(f.ctx, UVA);
	r = run(&f, UVA, WALK_USER);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x4);
	assert_int_equal(f.ctx->stats.invlpgs, 2);
	fix_done(&f);
}

/* One INVLPG anywhere in a guest 2 MiB page drops all its 4 KiB shadow pieces. */
static void test_invlpg_split_2m(void **state)
{
	struct fix f;
	u64 base = KVA & ~(2 * MB - 1);

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	f.ctx->large_leaves = false; /* 4 KiB pieces */
	u64 pde = gpt_map(&f.g, base, 0x200000, 2 * MB, PTE_P | PTE_RW, PTE_RW);
	for (u64 off = 0; off < 2 * MB; off += 512 * KB)
		assert_int_equal(run(&f, base + off, WALK_READ).hpa, hpa(&f, 0x200000 + off));

	gpt_set(&f.g, pde, 0x600000 | PTE_P | PTE_RW | PTE_PS);
	shadow_invlpg(f.ctx, base + 0x1000);
	for (u64 off = 0; off < 2 * MB; off += 512 * KB) {
		struct run r = run(&f, base + off, WALK_READ);

		assert_int_equal(r.exits, 1);
		assert_int_equal(r.hpa, hpa(&f, 0x600000 + off));
	}
	fix_done(&f);
}

static void test_invlpg_split_1g(void **state)
{
	struct fix f;
	u64 base = 0x00007fc000000000ull;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	u64 pdpte = gpt_map(&f.g, base, 0, GB, PTE_P | PTE_US, PTE_US);
	assert_int_equal(run(&f, base + 0x1000, WALK_USER).kind, RAN);
	assert_int_equal(run(&f, base + 0x400000, WALK_USER).kind, RAN);
	long pages = f.pool.live;

	gpt_set(&f.g, pdpte, 0);
	shadow_invlpg(f.ctx, base + 0x400000);
	assert_true(f.pool.live < pages); /* the split tables went too */
	assert_int_equal(run(&f, base + 0x1000, WALK_USER).kind, SHADOW_INJECT);
	fix_done(&f);
}

/* 32-bit guest, 4 MiB page: two shadow PDEs; one INVLPG drops both. */
static void test_32bit_4m_page(void **state)
{
	struct fix f;
	u64 va = 0x80000000;

	fix_init(&f, PAGING_32, SHADOW_REFERENCE);
	u64 pde = gpt_map(&f.g, va, 0x400000, 4 * MB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	assert_int_equal(run(&f, va + 0x5, WALK_USER).hpa, hpa(&f, 0x400005));
	assert_int_equal(run(&f, va + 0x3ff000, WALK_USER | WALK_WRITE).hpa, hpa(&f, 0x7ff000));
	/* No XD in 32-bit paging: fetches are fine, leaves have no NX. */
	assert_int_equal(run(&f, va + 0x200000, WALK_USER | WALK_FETCH).kind, RAN);
	assert_false(shadow_leaf(f.ctx, va + 0x200000) & PTE_NX);

	gpt_set(&f.g, pde, 0x800000 | PTE_P | PTE_RW | PTE_US | PTE_PS);
	shadow_invlpg(f.ctx, va + 0x10); /* in the first 2 MiB half */
	assert_int_equal(run(&f, va + 0x3ff000, WALK_USER).hpa, hpa(&f, 0xbff000));
	assert_int_equal(run(&f, va + 0x200000, WALK_USER).hpa, hpa(&f, 0xa00000));
	fix_done(&f);
}

/* -------------------------------------------------------------- CR3 loads */

static void test_cr3_switch_reference(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	u64 root_b = fix_second_root(&f);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US); /* in A only */

	struct shadow_as *a = shadow_as_current(f.ctx);
	assert_non_null(a);
	assert_int_equal(a->root, root_a);
	assert_int_equal(a->cr3_loads, 1);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 1);

	u64 cr3 = shadow_cr3_load(f.ctx, root_b);
	struct shadow_as *b = shadow_as_current(f.ctx);
	assert_true(cr3 != 0 && cr3 == shadow_host_cr3(f.ctx));
	assert_ptr_not_equal(a, b);
	assert_true(b->gen > a->gen);
	assert_null(a->top);                  /* the reference keeps one shadow */
	assert_int_equal(f.pool.live, 1);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1); /* even global pages refault */
	struct run r = run(&f, UVA, WALK_USER);
	assert_int_equal(r.kind, SHADOW_INJECT); /* not mapped in B */
	assert_int_equal(r.f.error_code, 0x4);

	/* Back to A, with PCID bits and the no-flush bit: same record. */
	shadow_cr3_load(f.ctx, root_a | 0x8000000000000000ull | 0x7);
	assert_ptr_equal(shadow_as_current(f.ctx), a);
	assert_int_equal(a->cr3_loads, 2);
	assert_int_equal(f.ctx->paging.cr3, root_a | 0x8000000000000000ull | 0x7);
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 1);
	/* Reloading the same root empties its shadow, global entries too. */
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 1);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	assert_int_equal(f.ctx->stats.cr3_loads, 4);
	fix_done(&f);
}

static void test_cr3_switch_cached(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	gpt_map(&f.g, KVA + 4 * KB, 0x7000, 4 * KB, PTE_P | PTE_RW, PTE_RW); /* not global */
	u64 root_b = fix_second_root(&f);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);

	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	assert_int_equal(run(&f, KVA + 4 * KB, WALK_READ).exits, 1);
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 1);
	struct shadow_as *a = shadow_as_current(f.ctx);

	shadow_cr3_load(f.ctx, root_b);
	assert_non_null(a->top); /* A's shadow is kept */
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);

	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 0);        /* global: kept */
	assert_int_equal(run(&f, KVA + 4 * KB, WALK_READ).exits, 1); /* not global: dropped */
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 1);

	/* An INVLPG while B is loaded reaches A's global entry too. */
	shadow_cr3_load(f.ctx, root_b);
	u64 pte = gpt_entry(&f.g, KVA, 1);
	gpt_set(&f.g, pte, 0x9000 | PTE_P | PTE_RW | PTE_G);
	shadow_invlpg(f.ctx, KVA);
	shadow_cr3_load(f.ctx, root_a);
	struct run r = run(&f, KVA, WALK_READ);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, hpa(&f, 0x9000));

	/* Toggling CR4.PGE (Linux's global flush) drops globals everywhere,
	 * once: nothing was built between its two halves. */
	struct guest_paging pg = gpt_paging(&f.g);
	u64 flushes = f.ctx->stats.flushes;
	pg.pge = false;
	shadow_set_paging(f.ctx, &pg);
	pg.pge = true;
	shadow_set_paging(f.ctx, &pg);
	assert_int_equal(f.ctx->stats.flushes, flushes + 1);
	assert_int_equal(f.ctx->stats.flushes_skipped, 1);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	/* ... and in the root loaded before (stale, emptied at its load). */
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	/* A toggle after something was built flushes again. */
	pg.pge = false;
	shadow_set_paging(f.ctx, &pg);
	assert_int_equal(f.ctx->stats.flushes, flushes + 2);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	fix_done(&f);
}

/* The leaf log: a load drops exactly the logged non-global leaves; past
 * LOG_MAX (511) of them it falls back to the sweep.  Either way every user
 * page refaults after a switch and the global kernel page does not. */
static void test_leaf_log(void **state)
{
	for (int n = 8; n <= 600; n += 592) {
		struct fix f;

		fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
		f.ctx->leaf_log = true;
		u64 root_a = f.g.cr3;
		gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
		u64 root_b = fix_second_root(&f);
		for (int i = 0; i < n; i++)
			gpt_map(&f.g, UVA + i * 4 * KB, 0x100000 + i * 4 * KB, 4 * KB,
				PTE_P | PTE_US, PTE_US);
		for (int i = 0; i < n; i++)
			assert_int_equal(run(&f, UVA + i * 4 * KB, WALK_USER).exits, 1);
		assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
		shadow_cr3_load(f.ctx, root_b);
		shadow_cr3_load(f.ctx, root_a);
		assert_int_equal(run(&f, KVA, WALK_READ).exits, 0);
		for (int i = 0; i < n; i++)
			assert_int_equal(run(&f, UVA + i * 4 * KB, WALK_USER).exits, 1);
		fix_done(&f);
	}
}

/* Only leaves with the guest's G and CR4.PGE get the shadow G bit. */
static void test_global_leaf(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_G, 0);
	gpt_map(&f.g, KVA + 4 * KB, 0x6000, 4 * KB, PTE_P, PTE_G);
	run(&f, KVA, WALK_READ);
	run(&f, KVA + 4 * KB, WALK_READ);
	assert_true(shadow_leaf(f.ctx, KVA) & PTE_G);
	assert_false(shadow_leaf(f.ctx, KVA + 4 * KB) & PTE_G);
	struct guest_paging pg = gpt_paging(&f.g);
	pg.pge = false;
	shadow_set_paging(f.ctx, &pg);
	run(&f, KVA, WALK_READ);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_G);
	fix_done(&f);
}

static void test_memtype_copied(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_PCD | PTE_PWT | PTE_PAT, 0);
	run(&f, KVA, WALK_READ);
	assert_int_equal(shadow_leaf(f.ctx, KVA) & (PTE_PCD | PTE_PWT | PTE_PAT),
			 PTE_PCD | PTE_PWT | PTE_PAT);
	/* A 2 MiB page: PAT comes from bit 12; its PS bit must not become PAT. */
	u64 big = 0xffff888000000000ull;
	u64 pde = gpt_map(&f.g, big, 0x200000, 2 * MB, PTE_P | PTE_PCD, 0);
	run(&f, big, WALK_READ);
	assert_int_equal(shadow_leaf(f.ctx, big) & (PTE_PCD | PTE_PWT | PTE_PAT), PTE_PCD);
	gpt_set(&f.g, pde, gpt_get(&f.g, pde) | PTE_PAT_LARGE);
	shadow_invlpg(f.ctx, big);
	run(&f, big, WALK_READ);
	assert_int_equal(shadow_leaf(f.ctx, big) & (PTE_PCD | PTE_PWT | PTE_PAT),
			 PTE_PCD | PTE_PAT);
	fix_done(&f);
}

/* ------------------------------------------------------------- paging off */

static void test_paging_off_identity(void **state)
{
	struct fix f;
	struct guest_paging pg = { .mode = PAGING_NONE, .maxphyaddr = 46 };

	fix_init(&f, PAGING_NONE, SHADOW_REFERENCE);
	assert_int_equal(shadow_set_paging(f.ctx, &pg), shadow_host_cr3(f.ctx));
	assert_null(shadow_as_current(f.ctx));
	assert_true(shadow_host_cr3(f.ctx) < 4 * GB); /* PAE format */

	struct run r = run(&f, 0x123456, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.hpa, hpa(&f, 0x123456));
	assert_int_equal(shadow_leaf(f.ctx, 0x123000),
			 hpa(&f, 0x123000) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	assert_int_equal(run(&f, 0x654321, WALK_FETCH).kind, RAN);
	r = run(&f, 0xfee00000, WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_BAD_GPA);
	assert_int_equal(r.f.gpa, 0xfee00000);

	/* A CR3 write with paging off only records the value. */
	u64 host = shadow_host_cr3(f.ctx);
	assert_int_equal(shadow_cr3_load(f.ctx, 0x9000), host);
	assert_int_equal(f.ctx->stats.cr3_loads, 0);
	assert_null(shadow_as_find(f.ctx, 0x9000));

	/* The guest builds 4-level tables (2 MiB identity pages), loads CR3,
	 * and turns long mode on: a 4-level shadow, the first CR3 load. */
	f.g.mode = PAGING_LONG4;
	f.g.cr3 = gpt_new_table(&f.g);
	gpt_map(&f.g, 0, 0, 2 * MB, PTE_P | PTE_RW, PTE_RW);
	u64 root = f.g.cr3;
	assert_int_equal(shadow_cr3_load(f.ctx, root), shadow_host_cr3(f.ctx));
	pg = gpt_paging(&f.g);
	u64 cr3 = shadow_set_paging(f.ctx, &pg);
	assert_true(cr3 != 0);
	struct shadow_as *as = shadow_as_current(f.ctx);
	assert_non_null(as);
	assert_int_equal(as->root, root);
	assert_int_equal(as->cr3_loads, 1);
	assert_int_equal(run(&f, 0x100010, WALK_WRITE).hpa, hpa(&f, 0x100010));
	assert_true(shadow_host_cr3(f.ctx) == cr3);
	assert_null(f.ctx->identity.top); /* the old format's shadow is gone */
	fix_done(&f);
}

/* -------------------------------------------------------------- PAE guest */

static void test_pae_guest(void **state)
{
	struct fix f;
	u64 va = 0xc0201000;

	fix_init(&f, PAGING_PAE, SHADOW_REFERENCE);
	assert_int_equal(shadow_as_current(f.ctx)->root, f.g.cr3); /* bits 11:5 kept */
	gpt_map(&f.g, va, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US | PTE_NX, PTE_RW | PTE_US);
	gpt_map(&f.g, 0x40000000, 0x600000, 2 * MB, PTE_P | PTE_RW, PTE_RW);
	assert_int_equal(run(&f, va + 1, WALK_USER | WALK_WRITE).hpa, hpa(&f, 0x5001));
	assert_true(shadow_leaf(f.ctx, va) & PTE_NX);
	struct run r = run(&f, va, WALK_USER | WALK_FETCH);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x15);
	assert_int_equal(run(&f, 0x40123456, WALK_WRITE).hpa, hpa(&f, 0x723456));
	r = run(&f, 0x40123456, WALK_USER);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x5);

	/* Two PDPTs in one page are two address spaces. */
	u64 other = (f.g.cr3 & ~0xfffull) + 0x80;
	shadow_cr3_load(f.ctx, other);
	assert_int_equal(shadow_as_current(f.ctx)->root, other);
	assert_int_equal(run(&f, va, WALK_USER).f.error_code, 0x4); /* empty PDPT */
	fix_done(&f);
}

/* ------------------------------------------------------------- outside RAM */

static void test_bad_gpa(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 pdpte = gpt_entry(&f.g, UVA, 3);
	u64 saved = gpt_get(&f.g, pdpte);

	/* A page table outside RAM. */
	gpt_set(&f.g, pdpte, 0x40000000 | PTE_P | PTE_US);
	r = run(&f, UVA, WALK_USER);
	assert_int_equal(r.kind, SHADOW_BAD_GPA);
	assert_true(r.f.bad_table);
	assert_int_equal(r.f.gpa, 0x40000000 + 8 * ((UVA >> 21) & 511));
	/* The page itself outside RAM (an MMIO address, say). */
	gpt_set(&f.g, pdpte, saved);
	gpt_set(&f.g, gpt_entry(&f.g, UVA, 1), 0xfee00000 | PTE_P | PTE_US);
	r = run(&f, UVA + 0x20, WALK_USER);
	assert_int_equal(r.kind, SHADOW_BAD_GPA);
	assert_false(r.f.bad_table);
	assert_int_equal(r.f.gpa, 0xfee00020);
	/* The last page of RAM is inside. */
	gpt_set(&f.g, gpt_entry(&f.g, UVA, 1), (GPT_RAM - 4 * KB) | PTE_P | PTE_US);
	assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN);
	assert_int_equal(f.ctx->stats.bad_gpa, 2);
	fix_done(&f);
}

/* ---------------------------------------------------------------- watching */

static void test_watched_page(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	u64 pte = gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US); /* a read-only alias */

	assert_int_equal(shadow_watch(f.ctx, 0x5abc), SHADOW_OK);
	assert_true(shadow_is_watched(f.ctx, 0x5000));
	assert_false(shadow_is_watched(f.ctx, 0x6000));
	/* Reads go on, through a read-only leaf although the guest's is dirty and writable. */
	assert_int_equal(run(&f, KVA, WALK_READ).kind, RAN);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	/* Writes come back for emulation, with the byte's gpa; D as for a write. */
	gpt_set(&f.g, pte, gpt_get(&f.g, pte) & ~PTE_D);
	shadow_invlpg(f.ctx, KVA);
	r = run(&f, KVA + 0x18, WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_WATCHED_WRITE);
	assert_int_equal(r.f.gpa, 0x5018);
	assert_true(gpt_get(&f.g, pte) & PTE_D);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	assert_int_equal(run(&f, KVA + 0x18, WALK_WRITE).kind, SHADOW_WATCHED_WRITE);
	/* A write the guest's tables forbid is the guest's #PF, watched or not. */
	r = run(&f, UVA, WALK_USER | WALK_WRITE);
	assert_int_equal(r.kind, SHADOW_INJECT);
	assert_int_equal(r.f.error_code, 0x7);
	assert_int_equal(f.ctx->stats.watched_writes, 2);

	/* Unwatched: the next write makes the leaf writable. */
	shadow_unwatch(f.ctx, 0x5000);
	assert_false(shadow_is_watched(f.ctx, 0x5000));
	r = run(&f, KVA, WALK_WRITE);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_true(shadow_leaf(f.ctx, KVA) & PTE_RW);

	/* Watching a page with writable leaves takes the write access back now. */
	assert_int_equal(shadow_watch(f.ctx, 0x5000), SHADOW_OK);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	assert_int_equal(run(&f, KVA, WALK_WRITE).kind, SHADOW_WATCHED_WRITE);
	fix_done(&f);
}

/* shadow_watch() finds writable leaves through its note of the linear page
 * they were built for, in every record; a page made writable through two
 * linear pages takes the full search; both leave no writable leaf. */
static void test_watch_finds_writable_leaves(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	gpt_map(&f.g, KVA + 0x1000, 0x6000, 4 * KB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_RW | PTE_US | PTE_D, PTE_RW | PTE_US);
	assert_int_equal(run(&f, KVA, WALK_WRITE).kind, RAN);
	assert_int_equal(run(&f, KVA + 0x1000, WALK_WRITE).kind, RAN);
	assert_int_equal(run(&f, UVA, WALK_USER | WALK_WRITE).kind, RAN);
	assert_true(shadow_leaf(f.ctx, KVA) & PTE_RW);

	/* 0x5000: one linear page; a quick look finds and fixes the leaf. */
	assert_int_equal(shadow_watch(f.ctx, 0x5000), SHADOW_OK);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	assert_int_equal(f.ctx->stats.watch_quick, 1);
	assert_int_equal(f.ctx->stats.watch_walks, 0);
	/* 0x6000: writable at two linear pages: the full search. */
	assert_int_equal(shadow_watch(f.ctx, 0x6000), SHADOW_OK);
	assert_false(shadow_leaf(f.ctx, KVA + 0x1000) & PTE_RW);
	assert_false(shadow_leaf(f.ctx, UVA) & PTE_RW);
	assert_int_equal(f.ctx->stats.watch_walks, 1);
	/* Watched again after an unwatch with no new writable leaf: nothing to do. */
	shadow_unwatch(f.ctx, 0x6000);
	assert_int_equal(shadow_watch(f.ctx, 0x6000), SHADOW_OK);
	assert_int_equal(f.ctx->stats.watch_walks, 1);
	assert_int_equal(f.ctx->stats.watch_quick, 2);
	/* And after a write through one of them, the quick path again. */
	shadow_unwatch(f.ctx, 0x6000);
	assert_int_equal(run(&f, UVA, WALK_USER | WALK_WRITE).kind, RAN);
	assert_true(shadow_leaf(f.ctx, UVA) & PTE_RW);
	assert_int_equal(shadow_watch(f.ctx, 0x6000), SHADOW_OK);
	assert_false(shadow_leaf(f.ctx, UVA) & PTE_RW);
	assert_int_equal(f.ctx->stats.watch_quick, 3);
	fix_done(&f);
}

/* The note also names the one record that built the writable leaf, and a
 * watch then looks in that shadow only; when a second record builds one at
 * the same linear page, the note forgets the record and the watch looks in
 * all (here both shadows lose write access: the synced policy keeps them
 * across CR3 loads, so the first one's leaf can be checked after). */
static void test_watch_note_names_record(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_D, PTE_RW);
	u64 root_b = fix_second_root(&f);

	assert_int_equal(run(&f, KVA, WALK_WRITE).kind, RAN);
	assert_int_equal(shadow_watch(f.ctx, 0x5000), SHADOW_OK);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	shadow_unwatch(f.ctx, 0x5000);
	assert_int_equal(run(&f, KVA, WALK_WRITE).kind, RAN); /* writable in a again */
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(run(&f, KVA, WALK_WRITE).kind, RAN); /* and in b */
	assert_int_equal(shadow_watch(f.ctx, 0x5000), SHADOW_OK);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	shadow_cr3_load(f.ctx, root_a);
	assert_true(shadow_leaf(f.ctx, KVA) & PTE_P);
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_RW);
	assert_int_equal(f.ctx->stats.watch_walks, 0);
	fix_done(&f);
}

static void test_watch_set(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	assert_int_equal(shadow_watch(f.ctx, GPT_RAM), SHADOW_EINVAL);
	/* Insert in a scrambled order; the set stays sorted and exact. */
	for (u64 i = 0; i < SHADOW_MAX_WATCH; i++)
		assert_int_equal(shadow_watch(f.ctx, ((i * 7919) % SHADOW_MAX_WATCH) << 12), SHADOW_OK);
	assert_int_equal(f.ctx->nwatched, SHADOW_MAX_WATCH);
	assert_int_equal(shadow_watch(f.ctx, 0x3000), SHADOW_OK); /* already there */
	assert_int_equal(shadow_watch(f.ctx, (u64)SHADOW_MAX_WATCH << 12), SHADOW_ENOSPC);
	for (u32 i = 1; i < f.ctx->nwatched; i++)
		assert_true(f.ctx->watched[i - 1] < f.ctx->watched[i]);
	shadow_unwatch(f.ctx, 0x3000);
	assert_false(shadow_is_watched(f.ctx, 0x3000));
	assert_true(shadow_is_watched(f.ctx, 0x2000));
	assert_true(shadow_is_watched(f.ctx, 0x4fff));
	assert_int_equal(f.ctx->nwatched, SHADOW_MAX_WATCH - 1);
	fix_done(&f);
}

/* ---------------------------------------------------- what is not supported */

static void test_wp0_unsupported(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P, 0);
	struct guest_paging pg = gpt_paging(&f.g);
	pg.wp = false;
	shadow_set_paging(f.ctx, &pg);
	assert_int_equal(run(&f, KVA, WALK_READ).kind, RAN);
	assert_int_equal(run(&f, KVA, WALK_WRITE).kind, SHADOW_UNSUPPORTED);
	/* User accesses are not affected by WP. */
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	assert_int_equal(run(&f, UVA, WALK_USER | WALK_WRITE).kind, SHADOW_INJECT);
	fix_done(&f);
}

/* Faults the shadow cannot have caused are reported, not looped on. */
static void test_inconsistent_faults(void **state)
{
	struct fix f;
	struct shadow_fault out;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	assert_int_equal(shadow_page_fault(f.ctx, UVA, PFEC_P | PFEC_RSVD, false, &out),
			 SHADOW_INCONSISTENT);
	assert_int_equal(shadow_page_fault(f.ctx, 0x0000900000000000ull, 0, false, &out),
			 SHADOW_INCONSISTENT);
	/* The CPU "refused" a user read through a leaf that allows it (as if
	 * the real CR4.SMAP/SMEP/AC disagreed with the guest's). */
	assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN);
	assert_int_equal(shadow_page_fault(f.ctx, UVA, PFEC_P | PFEC_U, false, &out),
			 SHADOW_INCONSISTENT);
	fix_done(&f);
}

/* ------------------------------------------------------------ memory limits */

static void test_out_of_memory(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	f.pool.fail_after = f.pool.total + 2; /* two of the three tables */
	struct run r = run(&f, UVA, WALK_USER);
	assert_int_equal(r.kind, SHADOW_NOMEM);
	assert_true(f.ctx->stats.nomem >= 1);
	f.pool.fail_after = -1;
	assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN);
	fix_done(&f);
}

/* Cached policy under a page budget: other roots' shadows are given back. */
static void test_budget_reclaims_other_roots(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 root_b = fix_second_root(&f);
	gpt_map(&f.g, UVA + 4 * KB, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 root_a = f.g.cr3;

	assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN); /* A: 4 pages */
	f.g.cr3 = root_b;
	gpt_map(&f.g, UVA, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_US);
	shadow_cr3_load(f.ctx, root_b);                        /* B: 1 page, 5 in all */
	f.ctx->max_pages = 6;
	struct run r = run(&f, UVA, WALK_USER);                /* needs 3 more */
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.hpa, hpa(&f, 0x7000));
	assert_null(shadow_as_find(f.ctx, root_a)->top);
	assert_true(f.ctx->stats.pages <= 6);
	/* Below what one path needs, the fault fails cleanly. */
	f.ctx->max_pages = 2;
	shadow_flush_all(f.ctx);
	assert_int_equal(run(&f, UVA, WALK_USER).kind, SHADOW_NOMEM);
	fix_done(&f);
}

/*
 * Many processes, one after another, each a root of its own with a user
 * page and the shared kernel half: the cached policy keeps at most
 * SHADOW_MAX_AS roots, so the pages it holds stay bounded however many
 * roots come and go (a long Linux run creates tens of thousands), and every
 * page it holds is one it counts.
 */
static void test_many_roots_bounded(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 first = f.g.cr3;
	long peak = 0;
	for (int i = 0; i < 3 * SHADOW_MAX_AS; i++) {
		/* A root of its own over the same lower tables (one guest page
		 * each, so the test's guest memory suffices). */
		u64 root = gpt_new_table(&f.g);
		memcpy((u8 *)(uintptr_t)(f.g.m.base + root), (u8 *)(uintptr_t)(f.g.m.base + first),
		       4096);
		f.g.cr3 = root;
		shadow_cr3_load(f.ctx, root);
		assert_int_equal(run(&f, UVA, WALK_USER).kind, RAN);
		assert_int_equal(run(&f, KVA, 0).kind, RAN);
		assert_int_equal(f.pool.live, (long)f.ctx->stats.pages);
		if (i == SHADOW_MAX_AS)
			peak = f.pool.live;
	}
	/* Past the first SHADOW_MAX_AS roots, records are recycled and the
	 * page count does not grow. */
	assert_true(f.pool.live <= peak);
	assert_true(f.ctx->stats.as_evictions >= 2 * SHADOW_MAX_AS - 1);
	fix_done(&f);
}

/* ------------------------------------------------------------------ records */

static void test_records_evict_and_drop(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 first = f.g.cr3;
	u64 first_gen = shadow_as_current(f.ctx)->gen;

	/* Roots need not hold valid tables to be loaded: 0x1000 * i. */
	for (u64 i = 1; i < SHADOW_MAX_AS; i++)
		shadow_cr3_load(f.ctx, 0x100000 + i * PAGE_SIZE);
	assert_int_equal(f.pool.evicted, 0);
	assert_non_null(shadow_as_find(f.ctx, first));
	/* Use `first` again, so the least recently loaded is now 0x101000. */
	u64 gen1 = shadow_as_find(f.ctx, 0x101000)->gen;
	shadow_cr3_load(f.ctx, first);
	shadow_cr3_load(f.ctx, 0x100000 + 127 * PAGE_SIZE);
	shadow_cr3_load(f.ctx, 0x300000); /* the table is full: the LRU goes */
	assert_int_equal(f.pool.evicted, 1);
	assert_int_equal(f.pool.last_evicted_root, 0x101000);
	assert_int_equal(f.ctx->stats.as_evictions, 1);
	assert_null(shadow_as_find(f.ctx, 0x101000));
	assert_non_null(shadow_as_find(f.ctx, first));
	/* 0x101000 seen again: a new record with a new generation (and the
	 * next oldest, 0x102000, makes room). */
	shadow_cr3_load(f.ctx, 0x101000);
	assert_true(shadow_as_current(f.ctx)->gen > gen1);
	assert_int_equal(shadow_as_current(f.ctx)->cr3_loads, 1);
	assert_int_equal(f.pool.last_evicted_root, 0x102000);
	assert_int_equal(f.ctx->stats.as_evictions, 2);

	/* Dropping: not the loaded root; others yes, once. */
	assert_int_equal(shadow_as_drop(f.ctx, 0x101000), SHADOW_EBUSY);
	assert_int_equal(shadow_as_drop(f.ctx, first), SHADOW_OK);
	assert_int_equal(f.pool.last_evicted_root, first);
	assert_int_equal(shadow_as_drop(f.ctx, first), SHADOW_EINVAL);
	u64 gen_before = f.ctx->next_gen;
	shadow_cr3_load(f.ctx, first); /* a free slot now: nobody evicted */
	assert_int_equal(shadow_as_current(f.ctx)->gen, gen_before + 1);
	assert_true(shadow_as_current(f.ctx)->gen > first_gen);
	assert_int_equal(f.ctx->stats.as_evictions, 2); /* drops do not count */
	fix_done(&f);
}

static void test_set_paging_flushes_on_change_only(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_REFERENCE);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P, 0);
	run(&f, KVA, WALK_READ);
	struct guest_paging pg = gpt_paging(&f.g);
	u64 cr3 = shadow_host_cr3(f.ctx);
	u64 flushes = f.ctx->stats.flushes;

	/* Same state (a CR4 write that changed nothing paging cares about). */
	assert_int_equal(shadow_set_paging(f.ctx, &pg), cr3);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 0);
	assert_int_equal(f.ctx->stats.flushes, flushes);
	/* EFER.NXE off: everything goes, the top stays. */
	pg.nxe = false;
	assert_int_equal(shadow_set_paging(f.ctx, &pg), cr3);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	assert_int_equal(f.ctx->stats.flushes, flushes + 1);
	assert_int_equal(shadow_as_current(f.ctx)->cr3_loads, 1); /* not a CR3 load */
	/* A new CR3 along with the rest: that root becomes the current one. */
	struct shadow_as *old = shadow_as_current(f.ctx);
	pg.cr3 = fix_second_root(&f);
	assert_true(shadow_set_paging(f.ctx, &pg) != 0);
	assert_ptr_not_equal(shadow_as_current(f.ctx), old);
	assert_int_equal(shadow_as_current(f.ctx)->root, pg.cr3);
	assert_int_equal(shadow_as_current(f.ctx)->cr3_loads, 1);
	assert_int_equal(run(&f, KVA, WALK_READ).kind, RAN); /* kernel half shared */
	fix_done(&f);
}

/* With VPID the glue must know when the CPU may hold stale entries. */
static void test_tlb_flush_flag(void **state)
{
	struct fix f;
	u64 base = KVA & ~(2 * MB - 1);

	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US | PTE_D, PTE_RW | PTE_US);
	gpt_map(&f.g, base, 0x200000, 2 * MB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	shadow_take_tlb_flush(f.ctx);
	/* Building entries, dirty upgrades: no flush needed. */
	assert_int_equal(run(&f, UVA, WALK_USER | WALK_WRITE).kind, RAN);
	assert_int_equal(run(&f, base, WALK_READ).kind, RAN);
	assert_int_equal(run(&f, base, WALK_WRITE).kind, RAN);
	assert_false(shadow_take_tlb_flush(f.ctx));
	/* INVLPG of a page with no shadow entry: nothing to flush. */
	shadow_invlpg(f.ctx, UVA + 64 * KB);
	assert_false(shadow_take_tlb_flush(f.ctx));
	shadow_invlpg(f.ctx, UVA);
	assert_true(shadow_take_tlb_flush(f.ctx));
	assert_false(shadow_take_tlb_flush(f.ctx)); /* taken */
	/* Watching a writable page restricts a leaf. */
	assert_int_equal(run(&f, UVA, WALK_USER | WALK_WRITE).kind, RAN);
	shadow_take_tlb_flush(f.ctx);
	shadow_watch(f.ctx, 0x5000);
	assert_true(shadow_take_tlb_flush(f.ctx));
	shadow_watch(f.ctx, 0x6000); /* no leaf maps it */
	assert_false(shadow_take_tlb_flush(f.ctx));
	/* A CR3 load drops non-global leaves; one with only globals... */
	u64 root_a = f.g.cr3, root_b = fix_second_root(&f);
	shadow_cr3_load(f.ctx, root_b);
	shadow_take_tlb_flush(f.ctx);
	assert_int_equal(run(&f, base, WALK_READ).kind, RAN);
	assert_int_equal(run(&f, base, WALK_WRITE).kind, RAN);
	shadow_cr3_load(f.ctx, root_a);
	assert_true(shadow_take_tlb_flush(f.ctx)); /* A had UVA, not global */
	fix_done(&f);
}

/* -------------------------------------------------------- real registers */

static void test_real_registers(void **state)
{
	u64 pg_on = CR0_PG | 1, pg_off = 1;

	assert_int_equal(shadow_real_cr0(0x11), 0x11 | CR0_PG | CR0_WP);
	assert_int_equal(shadow_real_cr0(CR0_PG | CR0_WP | 0x33), CR0_PG | CR0_WP | 0x33);

	u64 all = CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP | BIT(17) | BIT(22) | BIT(12) | BIT(9);
	assert_int_equal(shadow_real_cr4(all, pg_on),
			 CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP | BIT(9));
	assert_int_equal(shadow_real_cr4(all, pg_off), CR4_PAE | BIT(9));
	assert_int_equal(shadow_real_cr4(0, pg_on), CR4_PAE);

	assert_int_equal(shadow_real_efer(0, pg_on), EFER_NXE);
	assert_int_equal(shadow_real_efer(EFER_LME | BIT(0), pg_off), EFER_NXE | BIT(0));
	assert_int_equal(shadow_real_efer(EFER_LME | EFER_NXE, pg_on),
			 EFER_LME | EFER_LMA | EFER_NXE);
}

/* ------------------------------------------------------- working-set size */

#define WSS_WORDS (GPT_RAM / PAGE_SIZE / 64)

static bool wss_has(const u64 *map, u64 gpa)
{
	return map[gpa >> 18] & (1ull << ((gpa >> 12) & 63));
}

static int wss_count(const u64 *map)
{
	int n = 0;

	for (u64 i = 0; i < WSS_WORDS; i++)
		n += __builtin_popcountll(map[i]);
	return n;
}

/* Distinct guest pages used since the last harvest: A flags counted once per
 * page whatever maps it, then cleared, and set again by the CPU's next use. */
static void test_harvest_counts_and_clears(void **state)
{
	static u64 seen[WSS_WORDS];
	struct fix f;

	cpu_may_set_a = true;
	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 4 * KB, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 8 * KB, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US); /* alias of 0x5000 */
	gpt_map(&f.g, UVA + 12 * KB, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_US);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(&f, UVA + i * 4 * KB, WALK_USER).exits, 1);

	memset(seen, 0, sizeof(seen));
	shadow_take_tlb_flush(f.ctx);
	assert_int_equal(shadow_harvest(f.ctx, seen, NULL), 3);
	assert_int_equal(wss_count(seen), 2); /* 0x5000 (twice) and 0x6000 */
	assert_true(wss_has(seen, 0x5000) && wss_has(seen, 0x6000));
	assert_true(shadow_take_tlb_flush(f.ctx));
	assert_int_equal(shadow_leaf(f.ctx, UVA) & PTE_A, 0);

	/* Nothing used: nothing seen, and the leaves are still there. */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(shadow_harvest(f.ctx, seen, NULL), 3);
	assert_int_equal(wss_count(seen), 0);

	/* One use through a kept leaf (no exit) and one new page (an exit). */
	assert_int_equal(run(&f, UVA + 4 * KB, WALK_USER).exits, 0);
	assert_true(shadow_leaf(f.ctx, UVA + 4 * KB) & PTE_A);
	assert_int_equal(run(&f, UVA + 12 * KB, WALK_USER).exits, 1);
	assert_int_equal(shadow_harvest(f.ctx, seen, NULL), 4);
	assert_int_equal(wss_count(seen), 2);
	assert_true(wss_has(seen, 0x6000) && wss_has(seen, 0x7000));
	fix_done(&f);
	cpu_may_set_a = false;
}

/* The sampling estimator's invalidation: every leaf of a page in drop goes,
 * in every record, after its A flag was noted; the next use exits. */
static void test_harvest_drops(void **state)
{
	static u64 seen[WSS_WORDS], drop[WSS_WORDS];
	struct fix f;

	cpu_may_set_a = true;
	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	gpt_map(&f.g, KVA + 4 * KB, 0x6000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	u64 root_b = fix_second_root(&f);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	assert_int_equal(run(&f, KVA + 4 * KB, WALK_READ).exits, 1);
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1); /* B's own leaf for 0x5000 */

	memset(seen, 0, sizeof(seen));
	memset(drop, 0, sizeof(drop));
	drop[0] = 1ull << 5; /* the page at 0x5000 */
	assert_int_equal(shadow_harvest(f.ctx, seen, drop), 3);
	assert_int_equal(wss_count(seen), 2);
	assert_int_equal(shadow_leaf(f.ctx, KVA), 0); /* gone in B... */
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1);
	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(run(&f, KVA, WALK_READ).exits, 1); /* ...and in A */
	assert_int_equal(run(&f, KVA + 4 * KB, WALK_READ).exits, 0); /* kept */
	fix_done(&f);
	cpu_may_set_a = false;
}

/* With ctx->wss_seen set, a used leaf that the pager drops before the next
 * harvest (CR3 load, INVLPG, a flush) still counts. */
static void test_harvest_keeps_dropped_uses(void **state)
{
	static u64 seen[WSS_WORDS];
	struct fix f;

	cpu_may_set_a = true;
	fix_init(&f, PAGING_LONG4, SHADOW_CACHED);
	u64 root_a = f.g.cr3;
	u64 root_b = fix_second_root(&f);
	gpt_map(&f.g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 4 * KB, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 8 * KB, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_US);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(&f, UVA + i * 4 * KB, WALK_USER).exits, 1);
	memset(seen, 0, sizeof(seen));
	f.ctx->wss_seen = seen;
	shadow_harvest(f.ctx, seen, NULL);
	memset(seen, 0, sizeof(seen)); /* the next interval */

	/* Used again through the kept leaves, then the leaves are dropped:
	 * 0x5000 by a CR3 load of its root, 0x6000 by INVLPG; 0x7000 unused. */
	assert_int_equal(run(&f, UVA, WALK_USER).exits, 0);
	assert_int_equal(run(&f, UVA + 4 * KB, WALK_USER).exits, 0);
	shadow_invlpg(f.ctx, UVA + 4 * KB);
	shadow_cr3_load(f.ctx, root_b);
	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(shadow_leaf(f.ctx, UVA), 0);
	assert_int_equal(wss_count(seen), 2);
	assert_true(wss_has(seen, 0x5000) && wss_has(seen, 0x6000));

	/* A whole flush: the freed tables' leaves are noted too. */
	assert_int_equal(run(&f, UVA + 8 * KB, WALK_USER).exits, 1);
	shadow_flush_all(f.ctx);
	assert_true(wss_has(seen, 0x7000));
	f.ctx->wss_seen = NULL;
	fix_done(&f);
	cpu_may_set_a = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_builds_leaf),
		cmocka_unit_test(test_nonleaf_entries),
		cmocka_unit_test(test_permission_matrix_through_shadow),
		cmocka_unit_test(test_permission_matrix_synced),
		cmocka_unit_test(test_permission_matrix_large_pages),
		cmocka_unit_test(test_dirty_upgrade),
		cmocka_unit_test(test_guest_faults_injected),
		cmocka_unit_test(test_2m_page_split),
		cmocka_unit_test(test_1g_page_split),
		cmocka_unit_test(test_invlpg_4k),
		cmocka_unit_test(test_invlpg_split_2m),
		cmocka_unit_test(test_invlpg_split_1g),
		cmocka_unit_test(test_32bit_4m_page),
		cmocka_unit_test(test_cr3_switch_reference),
		cmocka_unit_test(test_cr3_switch_cached),
		cmocka_unit_test(test_leaf_log),
		cmocka_unit_test(test_global_leaf),
		cmocka_unit_test(test_memtype_copied),
		cmocka_unit_test(test_paging_off_identity),
		cmocka_unit_test(test_pae_guest),
		cmocka_unit_test(test_bad_gpa),
		cmocka_unit_test(test_watched_page),
		cmocka_unit_test(test_watch_set),
		cmocka_unit_test(test_watch_finds_writable_leaves),
		cmocka_unit_test(test_watch_note_names_record),
		cmocka_unit_test(test_wp0_unsupported),
		cmocka_unit_test(test_inconsistent_faults),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_budget_reclaims_other_roots),
		cmocka_unit_test(test_many_roots_bounded),
		cmocka_unit_test(test_records_evict_and_drop),
		cmocka_unit_test(test_set_paging_flushes_on_change_only),
		cmocka_unit_test(test_tlb_flush_flag),
		cmocka_unit_test(test_real_registers),
		cmocka_unit_test(test_harvest_counts_and_clears),
		cmocka_unit_test(test_harvest_drops),
		cmocka_unit_test(test_harvest_keeps_dropped_uses),
	};
	return cmocka_run_group_tests_name("shadow", tests, NULL, NULL);
}
