/*
 * test_walk.c - the guest page-table walker against the SDM, over simulated
 * guest memory (guest_pt.h builds the tables).
 *
 * Expected error codes are written out as numbers on purpose in the
 * hand-picked cases (0x5 = P|U...), so that a wrong PFEC_* definition cannot
 * make a wrong walker pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "mm/walk.h"
#include "mm/tests/guest_pt.h"

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)

/* A user-half and a kernel-half address, with every index non-zero. */
#define UVA 0x00007f8040201000ull
#define KVA 0xffff888040201000ull

static const u32 accesses[] = {
	WALK_READ, WALK_WRITE, WALK_FETCH,
	WALK_USER | WALK_READ, WALK_USER | WALK_WRITE, WALK_USER | WALK_FETCH,
};

/* Copy of the four entries on a path, to check that a walk changed nothing. */
struct path {
	u64 gpa[4];
	u64 val[4];
	int n;
};

static void path_save(struct gpt *g, u64 gva, struct path *p)
{
	p->n = gpt_levels(g);
	for (int l = 1; l <= p->n; l++) {
		p->gpa[l - 1] = gpt_entry(g, gva, l);
		p->val[l - 1] = p->gpa[l - 1] == GPT_NONE ? 0 : gpt_get(g, p->gpa[l - 1]);
	}
}

static void path_assert_unchanged(struct gpt *g, const struct path *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->gpa[i] != GPT_NONE)
			assert_int_equal(gpt_get(g, p->gpa[i]), p->val[i]);
}

static enum walk_status walk(struct gpt *g, const struct guest_paging *pg, u64 gva, u32 access,
			     struct walk_result *r)
{
	return walk_guest(&g->m, pg, gva, access, r);
}

/* ------------------------------------------------------------ paging off */

static void test_paging_off_is_identity(void **state)
{
	struct gpt g;
	struct guest_paging pg = { .mode = PAGING_NONE };
	struct walk_result r;

	gpt_init(&g, PAGING_NONE);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(walk(&g, &pg, 0x123456, accesses[i], &r), WALK_OK);
		assert_int_equal(r.gpa, 0x123456);
		assert_int_equal(r.page_gpa, 0x123000);
		assert_true(r.rw && r.us && !r.nx && r.dirty);
	}
	/* Outside RAM is not the walker's business: there are no tables. */
	assert_int_equal(walk(&g, &pg, 0xfee00000, WALK_WRITE, &r), WALK_OK);
	assert_int_equal(r.gpa, 0xfee00000);
	assert_int_equal(walk(&g, &pg, 0x100000000ull, WALK_READ, &r), WALK_BAD_ADDR);
	gpt_free(&g);
}

/* ------------------------------------------------------- 4-level, basics */

static void test_long4_4k_translation(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US | PTE_PCD, PTE_RW | PTE_US);
	assert_int_equal(walk(&g, &pg, UVA + 0x123, WALK_USER | WALK_READ, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x5123);
	assert_int_equal(r.page_gpa, 0x5000);
	assert_int_equal(r.page_size, 4 * KB);
	assert_int_equal(r.level, 1);
	assert_true(r.rw);
	assert_true(r.us);
	assert_false(r.nx);
	assert_false(r.global);
	assert_false(r.dirty);
	assert_int_equal(r.memtype, PTE_PCD);
	/* The neighbouring page is not mapped. */
	assert_int_equal(walk(&g, &pg, UVA + 4 * KB, WALK_USER | WALK_READ, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x4);
	assert_int_equal(r.level, 1);
	gpt_free(&g);
}

/* The SDM 4.6 rules, stated once more in the plainest way, as the oracle. */
static u32 oracle_pfec(u32 access, bool rw, bool us, bool nx, bool wp, bool nxe)
{
	bool user = access & WALK_USER, write = access & WALK_WRITE, fetch = access & WALK_FETCH;
	bool ok;

	if (user)
		ok = us && (!write || rw) && (!fetch || !nx);
	else if (fetch)
		ok = !nx;
	else if (write)
		ok = rw || !wp;
	else
		ok = true;
	if (ok)
		return 0;
	return 0x1 | (write ? 0x2 : 0) | (user ? 0x4 : 0) | (fetch && nxe ? 0x10 : 0);
}

/*
 * Every combination of R/W, U/S and XD at each of the four levels (4096),
 * for the six accesses, with CR0.WP = 1 and 0: the outcome, the error code,
 * the rights reported, and the A/D flags left behind.
 */
static void test_long4_permission_matrix(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;
	u64 e[4];
	unsigned faults = 0, oks = 0;

	gpt_init(&g, PAGING_LONG4);
	gpt_map(&g, UVA, 0x7000, 4 * KB, PTE_P, 0);
	for (int l = 1; l <= 4; l++)
		e[l - 1] = gpt_entry(&g, UVA, l);
	pg = gpt_paging(&g);

	for (int wp = 0; wp <= 1; wp++) {
		pg.wp = wp;
		for (unsigned combo = 0; combo < 4096; combo++) {
			bool rw = true, us = true, nx = false;

			for (int l = 0; l < 4; l++) {
				unsigned b = (combo >> (3 * l)) & 7;

				rw = rw && (b & 1);
				us = us && (b & 2);
				nx = nx || (b & 4);
			}
			for (unsigned a = 0; a < 6; a++) {
				struct path before;

				for (int l = 0; l < 4; l++) {
					unsigned b = (combo >> (3 * l)) & 7;
					u64 v = gpt_get(&g, e[l]) & PTE_ADDR;

					v |= PTE_P | ((b & 1) ? PTE_RW : 0) | ((b & 2) ? PTE_US : 0) |
					     ((b & 4) ? PTE_NX : 0);
					gpt_set(&g, e[l], v);
				}
				path_save(&g, UVA, &before);
				u32 want = oracle_pfec(accesses[a], rw, us, nx, wp, true);
				enum walk_status st = walk(&g, &pg, UVA, accesses[a], &r);

				if (want) {
					faults++;
					assert_int_equal(st, WALK_FAULT);
					assert_int_equal(r.error_code, want);
					path_assert_unchanged(&g, &before);
					continue;
				}
				oks++;
				assert_int_equal(st, WALK_OK);
				assert_int_equal(r.gpa, 0x7000);
				assert_int_equal(r.rw, rw);
				assert_int_equal(r.us, us);
				assert_int_equal(r.nx, nx);
				for (int l = 0; l < 4; l++)
					assert_true(gpt_get(&g, e[l]) & PTE_A);
				for (int l = 1; l < 4; l++)
					assert_false(gpt_get(&g, e[l]) & PTE_D);
				assert_int_equal(!!(gpt_get(&g, e[0]) & PTE_D),
						 accesses[a] & WALK_WRITE ? 1 : 0);
				assert_int_equal(r.dirty, accesses[a] & WALK_WRITE ? 1 : 0);
			}
		}
	}
	/* Both outcomes must have been exercised plenty. */
	assert_true(faults > 10000);
	assert_true(oks > 10000);
	gpt_free(&g);
}

/* Hand-picked cases, one line each, with the SDM reasoning in the name. */
struct perm_case {
	const char *what;
	u64 flags[4]; /* PML4E, PDPTE, PDE, PTE (P is added) */
	u32 access;
	bool wp;
	u32 pfec;     /* 0: allowed */
};

#define RW PTE_RW
#define US PTE_US
#define NX PTE_NX

static const struct perm_case perm_cases[] = {
	{ "user read of a user page", { RW | US, RW | US, RW | US, US }, WALK_USER, true, 0 },
	{ "user read, PTE supervisor", { RW | US, RW | US, RW | US, RW }, WALK_USER, true, 0x5 },
	{ "user read, PML4E supervisor", { RW, RW | US, RW | US, RW | US }, WALK_USER, true, 0x5 },
	{ "user write, PDPTE read-only", { RW | US, US, RW | US, RW | US },
	  WALK_USER | WALK_WRITE, true, 0x7 },
	{ "user write, read-only, WP=0 does not help", { RW | US, RW | US, RW | US, US },
	  WALK_USER | WALK_WRITE, false, 0x7 },
	{ "kernel write, PML4E read-only, WP=1", { 0, RW, RW, RW }, WALK_WRITE, true, 0x3 },
	{ "kernel write, PML4E read-only, WP=0", { 0, RW, RW, RW }, WALK_WRITE, false, 0 },
	{ "kernel write to a user page", { RW | US, RW | US, RW | US, RW | US }, WALK_WRITE, true,
	  0 },
	{ "kernel read of a supervisor read-only page", { 0, 0, 0, 0 }, WALK_READ, true, 0 },
	{ "kernel fetch, XD in the PDE", { RW, RW, RW | NX, RW }, WALK_FETCH, true, 0x11 },
	{ "user fetch, XD in the PML4E", { RW | US | NX, RW | US, RW | US, RW | US },
	  WALK_USER | WALK_FETCH, true, 0x15 },
	{ "user fetch of a supervisor page", { RW | US, RW | US, RW, RW | US },
	  WALK_USER | WALK_FETCH, true, 0x15 },
	{ "XD does not stop reads", { NX, NX, NX, NX }, WALK_READ, true, 0 },
	{ "kernel fetch from a user page, no SMEP", { US, US, US, US }, WALK_FETCH, true, 0 },
};

static void test_long4_permission_cases(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(perm_cases); i++) {
		const struct perm_case *c = &perm_cases[i];
		struct gpt g;
		struct guest_paging pg;
		struct walk_result r;

		gpt_init(&g, PAGING_LONG4);
		gpt_map(&g, KVA, 0x9000, 4 * KB, PTE_P, 0);
		for (int l = 1; l <= 4; l++) {
			u64 e = gpt_entry(&g, KVA, l);

			gpt_set(&g, e, (gpt_get(&g, e) & PTE_ADDR) | PTE_P | c->flags[4 - l]);
		}
		pg = gpt_paging(&g);
		pg.wp = c->wp;
		enum walk_status st = walk(&g, &pg, KVA, c->access, &r);

		if (c->pfec) {
			if (st != WALK_FAULT || r.error_code != c->pfec)
				fail_msg("%s: status %d error code %#x, want fault %#x", c->what, st,
					 r.error_code, c->pfec);
		} else if (st != WALK_OK) {
			fail_msg("%s: status %d error code %#x, want ok", c->what, st,
				 r.error_code);
		}
		gpt_free(&g);
	}
}

/* ---------------------------------------------------------- not present */

static void test_long4_not_present_each_level(void **state)
{
	for (int level = 4; level >= 1; level--) {
		for (unsigned a = 0; a < 6; a++) {
			struct gpt g;
			struct guest_paging pg;
			struct walk_result r;
			struct path before;

			gpt_init(&g, PAGING_LONG4);
			pg = gpt_paging(&g);
			gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
			u64 e = gpt_entry(&g, UVA, level);
			/* Not present: every other bit is ignored, reserved ones too. */
			gpt_set(&g, e, (gpt_get(&g, e) & ~PTE_P) | BIT(51) | PTE_PS);
			path_save(&g, UVA, &before);
			assert_int_equal(walk(&g, &pg, UVA, accesses[a], &r), WALK_FAULT);
			u32 want = (accesses[a] & WALK_WRITE ? 0x2 : 0) |
				   (accesses[a] & WALK_USER ? 0x4 : 0) |
				   (accesses[a] & WALK_FETCH ? 0x10 : 0);
			assert_int_equal(r.error_code, want);
			assert_int_equal(r.level, level);
			path_assert_unchanged(&g, &before); /* no A on the levels above */
			gpt_free(&g);
		}
	}
}

/* --------------------------------------------------------- reserved bits */

struct rsvd_case {
	const char *what;
	int level;    /* entry to modify */
	u64 set;      /* bits to set in it */
	bool nxe;
	u8 maxphyaddr;
	bool large;   /* map the page as 2 MiB (level 2) or 1 GiB (level 3) */
	bool reserved;
};

static const struct rsvd_case rsvd_cases[] = {
	{ "PML4E bit MAXPHYADDR", 4, BIT(46), true, 46, false, true },
	{ "PDPTE bit 51", 3, BIT(51), true, 46, false, true },
	{ "PDE bit MAXPHYADDR=36", 2, BIT(36), true, 36, false, true },
	{ "PTE bit MAXPHYADDR=39", 1, BIT(39), true, 39, false, true },
	{ "PTE bit 38 below MAXPHYADDR=39", 1, BIT(38), true, 39, false, false },
	{ "PTE bit 51 with MAXPHYADDR=52", 1, BIT(51), true, 52, false, false },
	{ "PTE bits 62:52 are ignored", 1, 0x7ff0000000000000ull, true, 46, false, false },
	{ "PML4E bits 62:52 are ignored", 4, BIT(55), true, 46, false, false },
	{ "PML4E PS", 4, PTE_PS, true, 46, false, true },
	{ "PML4E XD with NXE=0", 4, PTE_NX, false, 46, false, true },
	{ "PDPTE XD with NXE=0", 3, PTE_NX, false, 46, false, true },
	{ "PDE XD with NXE=0", 2, PTE_NX, false, 46, false, true },
	{ "PTE XD with NXE=0", 1, PTE_NX, false, 46, false, true },
	{ "PTE XD with NXE=1", 1, PTE_NX, true, 46, false, false },
	{ "2 MiB PDE bit 13", 2, BIT(13), true, 46, true, true },
	{ "2 MiB PDE bit 20", 2, BIT(20), true, 46, true, true },
	{ "2 MiB PDE bit 12 is PAT", 2, BIT(12), true, 46, true, false },
	{ "1 GiB PDPTE bit 13", 3, BIT(13), true, 46, true, true },
	{ "1 GiB PDPTE bit 29", 3, BIT(29), true, 46, true, true },
	{ "1 GiB PDPTE bit 12 is PAT", 3, BIT(12), true, 46, true, false },
	{ "PDE pointing to a table: bit 13 is address", 2, 0, true, 46, false, false },
	{ "4 KiB PTE bit 7 is PAT", 1, PTE_PAT, true, 46, false, false },
};

static void test_long4_reserved_bits(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(rsvd_cases); i++) {
		const struct rsvd_case *c = &rsvd_cases[i];

		for (unsigned a = 0; a < 6; a++) {
			struct gpt g;
			struct guest_paging pg;
			struct walk_result r;
			struct path before;
			u64 size = !c->large ? 4 * KB : c->level == 3 ? GB : 2 * MB;
			u64 leaf = PTE_P | PTE_RW | PTE_US;

			gpt_init(&g, PAGING_LONG4);
			pg = gpt_paging(&g);
			pg.nxe = c->nxe;
			pg.maxphyaddr = c->maxphyaddr;
			gpt_map(&g, UVA, 0, size, leaf, PTE_RW | PTE_US);
			u64 e = gpt_entry(&g, UVA, c->level);

			gpt_set(&g, e, gpt_get(&g, e) | c->set);
			path_save(&g, UVA, &before);
			enum walk_status st = walk(&g, &pg, UVA, accesses[a], &r);
			u32 acc = (accesses[a] & WALK_WRITE ? 0x2 : 0) |
				  (accesses[a] & WALK_USER ? 0x4 : 0) |
				  (accesses[a] & WALK_FETCH && c->nxe ? 0x10 : 0);

			if (!c->reserved) {
				/* XD with NXE = 1 is no reserved bit, but fetches fault. */
				bool xd_fetch = (c->set & PTE_NX) && (accesses[a] & WALK_FETCH);

				if (xd_fetch ? (st != WALK_FAULT || r.error_code != (0x1 | acc))
					     : st != WALK_OK)
					fail_msg("%s: status %d ec %#x", c->what, st, r.error_code);
			} else {
				if (st != WALK_FAULT || r.error_code != (0x9 | acc))
					fail_msg("%s: status %d ec %#x, want %#x", c->what, st,
						 r.error_code, 0x9 | acc);
				assert_int_equal(r.level, c->level);
				path_assert_unchanged(&g, &before);
			}
			gpt_free(&g);
		}
	}
}

/* A reserved bit above wins over a missing entry below: the walk stops there. */
static void test_long4_reserved_before_not_present(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	u64 pdpte = gpt_entry(&g, UVA, 3), pte = gpt_entry(&g, UVA, 1);

	gpt_set(&g, pdpte, gpt_get(&g, pdpte) | BIT(50));
	gpt_set(&g, pte, 0);
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_WRITE, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0xf);
	assert_int_equal(r.level, 3);
	gpt_free(&g);
}

/* ------------------------------------------------------------ large pages */

static void test_long4_2m_page(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	u64 pde = gpt_map(&g, KVA & ~(2 * MB - 1), 0x400000, 2 * MB,
			  PTE_P | PTE_RW | PTE_G | PTE_PAT_LARGE | PTE_PWT, PTE_RW);
	u64 gva = (KVA & ~(2 * MB - 1)) + 0x1abcde;

	assert_int_equal(walk(&g, &pg, gva, WALK_READ, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x400000 + 0x1abcde);
	assert_int_equal(r.page_gpa, 0x400000 + 0x1ab000);
	assert_int_equal(r.page_size, 2 * MB);
	assert_int_equal(r.level, 2);
	assert_true(r.global);
	assert_int_equal(r.memtype, PTE_PAT | PTE_PWT); /* bit 12 reported at bit 7 */
	assert_true(gpt_get(&g, pde) & PTE_A);
	assert_false(gpt_get(&g, pde) & PTE_D);
	assert_int_equal(walk(&g, &pg, gva, WALK_WRITE, &r), WALK_OK);
	assert_true(gpt_get(&g, pde) & PTE_D); /* the final entry is the PDE */
	assert_true(r.dirty);
	/* Supervisor-only: a user read faults with P=1. */
	assert_int_equal(walk(&g, &pg, gva, WALK_USER, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x5);
	/* Without bit 12 there is no PAT: bit 7 of a large page is PS, not PAT. */
	gpt_set(&g, pde, gpt_get(&g, pde) & ~PTE_PAT_LARGE);
	assert_int_equal(walk(&g, &pg, gva, WALK_READ, &r), WALK_OK);
	assert_int_equal(r.memtype, PTE_PWT);
	gpt_free(&g);
}

static void test_long4_1g_page(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	u64 base = 0x00007fc000000000ull; /* 1 GiB aligned */
	u64 pdpte = gpt_map(&g, base, 3 * GB, GB, PTE_P | PTE_US, PTE_RW | PTE_US);

	assert_int_equal(walk(&g, &pg, base + 0x2345678, WALK_USER, &r), WALK_OK);
	assert_int_equal(r.gpa, 3 * GB + 0x2345678);
	assert_int_equal(r.page_gpa, 3 * GB + 0x2345000);
	assert_int_equal(r.page_size, GB);
	assert_int_equal(r.level, 3);
	assert_false(r.rw);
	assert_true(gpt_get(&g, pdpte) & PTE_A);
	assert_false(gpt_get(&g, pdpte) & PTE_D);
	/* Read-only: a user write faults and sets nothing new. */
	assert_int_equal(walk(&g, &pg, base, WALK_USER | WALK_WRITE, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x7);
	assert_false(gpt_get(&g, pdpte) & PTE_D);
	gpt_free(&g);
}

/* ---------------------------------------------------------- A and D flags */

static void test_long4_accessed_dirty(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;
	u64 e[5];

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	for (int l = 1; l <= 4; l++)
		e[l] = gpt_entry(&g, UVA, l);

	/* A peek sets nothing. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_WRITE | WALK_PEEK, &r), WALK_OK);
	for (int l = 1; l <= 4; l++)
		assert_false(gpt_get(&g, e[l]) & (PTE_A | PTE_D));
	assert_false(r.dirty);

	/* A fetch sets A everywhere and D nowhere. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_FETCH, &r), WALK_OK);
	for (int l = 1; l <= 4; l++) {
		assert_true(gpt_get(&g, e[l]) & PTE_A);
		assert_false(gpt_get(&g, e[l]) & PTE_D);
	}
	/* Software clears A in the PTE (page aging); a read sets it again. */
	gpt_set(&g, e[1], gpt_get(&g, e[1]) & ~PTE_A);
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER, &r), WALK_OK);
	assert_true(gpt_get(&g, e[1]) & PTE_A);
	assert_false(r.dirty);

	/* A write sets D in the PTE only. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_WRITE, &r), WALK_OK);
	assert_true(gpt_get(&g, e[1]) & PTE_D);
	for (int l = 2; l <= 4; l++)
		assert_false(gpt_get(&g, e[l]) & PTE_D);
	assert_true(r.dirty);

	/* Nothing else in the entries moved. */
	assert_int_equal(gpt_get(&g, e[1]), 0x5000 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	gpt_free(&g);
}

/* A permission fault must not set A or D anywhere, and a write fault on a
 * read-only page must not set D. */
static void test_long4_no_flags_on_fault(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;
	struct path before;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_RW | PTE_US);
	path_save(&g, UVA, &before);
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_WRITE, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x7);
	path_assert_unchanged(&g, &before);
	gpt_free(&g);
}

/* A PML4 entry that points at the PML4 itself (a "recursive" mapping): the
 * same entry is used at two levels, so setting A at the first level changes
 * what the second level read.  The walk must still end with A set. */
static void test_long4_self_map(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;
	u64 pml4;

	gpt_init(&g, PAGING_LONG4);
	pml4 = g.cr3;
	pg = gpt_paging(&g);
	gpt_set(&g, pml4 + 8 * 510, pml4 | PTE_P | PTE_RW);
	gpt_map(&g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	/* Index 510 at every level: each level lands on the PML4 again, and
	 * the final "page" is the PML4 itself. */
	u64 gva = 0xffff000000000000ull | (510ull << 39) | (510ull << 30) | (510ull << 21) |
		  (510ull << 12);
	assert_int_equal(walk(&g, &pg, gva, WALK_WRITE, &r), WALK_OK);
	assert_int_equal(r.page_gpa, pml4);
	assert_int_equal(gpt_get(&g, pml4 + 8 * 510), pml4 | PTE_P | PTE_RW | PTE_A | PTE_D);
	gpt_free(&g);
}

/* ------------------------------------------------------------ I/D, SMEP, SMAP */

static void test_pfec_instruction_bit(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	/* 4-level, NXE = 0: a fetch fault does not report I/D. */
	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	pg.nxe = false;
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW | PTE_US);
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x5);
	pg.nxe = true;
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x15);
	/* NXE = 0 but SMEP = 1: I/D is reported. */
	pg.nxe = false;
	pg.smep = true;
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x15);
	/* A fetch is never reported as a write. */
	pg.nxe = true;
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_FETCH | WALK_WRITE, &r),
			 WALK_FAULT);
	assert_int_equal(r.error_code, 0x15);
	gpt_free(&g);

	/* 32-bit paging: no XD, so I/D only with SMEP. */
	gpt_init(&g, PAGING_32);
	pg = gpt_paging(&g);
	gpt_map(&g, 0x40001000, 0x5000, 4 * KB, PTE_P, PTE_RW | PTE_US);
	assert_int_equal(walk(&g, &pg, 0x40001000, WALK_USER | WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x5);
	pg.smep = true;
	assert_int_equal(walk(&g, &pg, 0x40001000, WALK_USER | WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x15);
	gpt_free(&g);
}

static void test_smep(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	assert_int_equal(walk(&g, &pg, UVA, WALK_FETCH, &r), WALK_OK);
	pg.smep = true;
	assert_int_equal(walk(&g, &pg, UVA, WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x11);
	/* SMEP is about fetches: kernel reads and writes of user pages go on. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_READ, &r), WALK_OK);
	assert_int_equal(walk(&g, &pg, UVA, WALK_WRITE, &r), WALK_OK);
	/* A user page with U/S = 0 somewhere above is a supervisor page. */
	u64 pdpte = gpt_entry(&g, UVA, 3);
	gpt_set(&g, pdpte, gpt_get(&g, pdpte) & ~PTE_US);
	assert_int_equal(walk(&g, &pg, UVA, WALK_FETCH, &r), WALK_OK);
	gpt_free(&g);
}

static void test_smap(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	pg.smap = true;
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_RW | PTE_US);
	gpt_map(&g, KVA, 0x6000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	assert_int_equal(walk(&g, &pg, UVA, WALK_READ, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x1);
	assert_int_equal(walk(&g, &pg, UVA, WALK_READ | WALK_AC, &r), WALK_OK);
	/* AC does not open a read-only page to writes (WP = 1)... */
	assert_int_equal(walk(&g, &pg, UVA, WALK_WRITE | WALK_AC, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x3);
	/* ... and does nothing for implicit accesses. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_READ | WALK_AC | WALK_IMPLICIT, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x1);
	/* An implicit access at CPL 3 is a supervisor access: U/S clear in the error code. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER | WALK_IMPLICIT, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x1);
	/* User accesses and supervisor pages are not SMAP's business. */
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER, &r), WALK_OK);
	assert_int_equal(walk(&g, &pg, KVA, WALK_WRITE, &r), WALK_OK);
	/* SMAP, WP = 0: supervisor writes to user pages still need AC. */
	pg.wp = false;
	assert_int_equal(walk(&g, &pg, UVA, WALK_WRITE, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x3);
	assert_int_equal(walk(&g, &pg, UVA, WALK_WRITE | WALK_AC, &r), WALK_OK);
	gpt_free(&g);
}

/* ------------------------------------------------------------------ global */

static void test_global(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, KVA, 0x5000, 4 * KB, PTE_P | PTE_G, PTE_RW);
	gpt_map(&g, KVA + 4 * KB, 0x6000, 4 * KB, PTE_P, PTE_RW | PTE_G);
	assert_int_equal(walk(&g, &pg, KVA, WALK_READ, &r), WALK_OK);
	assert_true(r.global);
	/* G in a table entry means nothing (it is ignored there). */
	assert_int_equal(walk(&g, &pg, KVA + 4 * KB, WALK_READ, &r), WALK_OK);
	assert_false(r.global);
	/* Without CR4.PGE, G means nothing either. */
	pg.pge = false;
	assert_int_equal(walk(&g, &pg, KVA, WALK_READ, &r), WALK_OK);
	assert_false(r.global);
	gpt_free(&g);
}

/* ------------------------------------------------------ tables outside RAM */

static void test_long4_table_outside_ram(void **state)
{
	for (int level = 4; level >= 1; level--) {
		struct gpt g;
		struct guest_paging pg;
		struct walk_result r;
		struct path before;
		u64 out = 0x80000000ull; /* 2 GiB, RAM is 16 MiB */

		gpt_init(&g, PAGING_LONG4);
		pg = gpt_paging(&g);
		gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
		if (level == 4) {
			pg.cr3 = out;
		} else {
			u64 e = gpt_entry(&g, UVA, level + 1);

			gpt_set(&g, e, (gpt_get(&g, e) & ~PTE_ADDR) | out);
		}
		path_save(&g, UVA, &before);
		assert_int_equal(walk(&g, &pg, UVA, WALK_USER, &r), WALK_BAD_TABLE);
		u64 idx = (UVA >> (12 + 9 * (level - 1))) & 511;
		assert_int_equal(r.bad_gpa, out + 8 * idx);
		assert_int_equal(r.level, level);
		path_assert_unchanged(&g, &before);
		gpt_free(&g);
	}

	/* A table in the last page of RAM is readable to its last entry. */
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	pg.cr3 = GPT_RAM - PAGE_SIZE;
	assert_int_equal(walk(&g, &pg, 0xffffff8000000000ull, WALK_READ, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0);
	gpt_free(&g);
}

/* The final page outside RAM is not the walker's concern (it may be MMIO). */
static void test_long4_page_outside_ram_translates(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, KVA, 0xfee00000ull, 4 * KB, PTE_P | PTE_RW | PTE_PCD, PTE_RW);
	assert_int_equal(walk(&g, &pg, KVA + 0x30, WALK_WRITE, &r), WALK_OK);
	assert_int_equal(r.gpa, 0xfee00030ull);
	gpt_free(&g);
}

static void test_long4_noncanonical(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	assert_int_equal(walk(&g, &pg, 0x0000800000000000ull, WALK_READ, &r), WALK_BAD_ADDR);
	assert_int_equal(walk(&g, &pg, 0xffff7fffffffffffull, WALK_READ, &r), WALK_BAD_ADDR);
	assert_int_equal(walk(&g, &pg, 0x00007fffffffffffull, WALK_READ, &r), WALK_FAULT);
	assert_int_equal(walk(&g, &pg, 0xffff800000000000ull, WALK_READ, &r), WALK_FAULT);
	gpt_free(&g);
}

/* ------------------------------------------------------------------- PAE */

static void test_pae(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;
	u64 va = 0xc0201000; /* PDPTE 3 */

	gpt_init(&g, PAGING_PAE);
	pg = gpt_paging(&g);
	assert_int_equal(g.cr3 & 0xfff, 0x40); /* the PDPT is not page aligned */
	u64 pte = gpt_map(&g, va, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_US, PTE_RW | PTE_US);
	u64 pdpte = gpt_entry(&g, va, 3), pde = gpt_entry(&g, va, 2);

	assert_int_equal(pdpte, (g.cr3 & ~0x1full) + 3 * 8);
	assert_int_equal(walk(&g, &pg, va + 5, WALK_USER | WALK_WRITE, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x5005);
	assert_true(r.rw && r.us);
	/* A and D: PDE gets A, PTE A and D, the PDPTE none (bit 5 is reserved there). */
	assert_int_equal(gpt_get(&g, pdpte) & ~PTE_ADDR, PTE_P);
	assert_true(gpt_get(&g, pde) & PTE_A);
	assert_true((gpt_get(&g, pte) & (PTE_A | PTE_D)) == (PTE_A | PTE_D));

	/* Rights come from the PDE and PTE only. */
	gpt_set(&g, pde, gpt_get(&g, pde) & ~PTE_US);
	assert_int_equal(walk(&g, &pg, va, WALK_USER, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x5);
	gpt_set(&g, pde, gpt_get(&g, pde) | PTE_US);

	/* XD with NXE. */
	gpt_set(&g, pte, gpt_get(&g, pte) | PTE_NX);
	assert_int_equal(walk(&g, &pg, va, WALK_USER | WALK_FETCH, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x15);
	pg.nxe = false;
	assert_int_equal(walk(&g, &pg, va, WALK_USER, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0xd);
	pg.nxe = true;
	gpt_set(&g, pte, gpt_get(&g, pte) & ~PTE_NX);

	/* Bits 62:52 are reserved in PAE entries (ignored in 4-level ones). */
	gpt_set(&g, pte, gpt_get(&g, pte) | BIT(55));
	assert_int_equal(walk(&g, &pg, va, WALK_USER, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0xd);
	gpt_set(&g, pte, gpt_get(&g, pte) & ~BIT(55));

	/* PDPTE reserved bits: 2:1, 8:5, 63 (even with NXE). */
	static const u64 pdpte_rsvd[] = { PTE_RW, PTE_US, PTE_A, PTE_D, PTE_PS, PTE_G, PTE_NX,
					  BIT(46) };
	for (unsigned i = 0; i < ARRAY_SIZE(pdpte_rsvd); i++) {
		u64 v = gpt_get(&g, pdpte);

		gpt_set(&g, pdpte, v | pdpte_rsvd[i]);
		assert_int_equal(walk(&g, &pg, va, WALK_READ, &r), WALK_FAULT);
		assert_int_equal(r.error_code, 0x9);
		assert_int_equal(r.level, 3);
		gpt_set(&g, pdpte, v);
	}
	/* PDPTE bits 11:9 are ignored; PWT/PCD are allowed. */
	gpt_set(&g, pdpte, gpt_get(&g, pdpte) | BIT(9) | BIT(11) | PTE_PWT | PTE_PCD);
	assert_int_equal(walk(&g, &pg, va, WALK_READ, &r), WALK_OK);

	/* A 2 MiB page; its reserved bits 20:13. */
	u64 va2 = 0x40000000;
	u64 pde2 = gpt_map(&g, va2, 0x600000, 2 * MB, PTE_P | PTE_RW, PTE_RW);
	assert_int_equal(walk(&g, &pg, va2 + 0x12345, WALK_WRITE, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x612345);
	assert_int_equal(r.page_size, 2 * MB);
	assert_true(gpt_get(&g, pde2) & PTE_D);
	gpt_set(&g, pde2, gpt_get(&g, pde2) | BIT(14));
	assert_int_equal(walk(&g, &pg, va2, WALK_READ, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x9);

	/* Linear addresses are 32 bits. */
	assert_int_equal(walk(&g, &pg, 0x100000000ull, WALK_READ, &r), WALK_BAD_ADDR);
	gpt_free(&g);
}

/* A PAE PDPTE used again as the PDE and the PTE (the PDPT's page doubles as
 * page directory and page table).  Setting A in the PDE sets it in the
 * PDPTE too, where bit 5 is reserved: the walk must not take its own update
 * for another vCPU's, retry and fault on it (found by tools/fuzz/fuzz_walk). */
static void test_pae_self_map(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_PAE);
	pg = gpt_paging(&g);
	u64 page = g.cr3 & ~0xfffull, pdpte = g.cr3 & ~0x1full; /* PDPTE 0 */
	u64 idx = (pdpte - page) / 8; /* the PD and PT index that lands on it */
	u64 va = idx << 21 | idx << 12 | 0x123;

	gpt_set(&g, pdpte, page | PTE_P);
	assert_int_equal(walk(&g, &pg, va, WALK_READ, &r), WALK_OK);
	assert_int_equal(r.gpa, page + 0x123);
	assert_int_equal(gpt_get(&g, pdpte), page | PTE_P | PTE_A);
	gpt_free(&g);
}

/* ---------------------------------------------------------------- 32-bit */

static void test_32bit(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;
	u64 va = 0x80403000;

	gpt_init(&g, PAGING_32);
	pg = gpt_paging(&g);
	u64 pte = gpt_map(&g, va, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_RW | PTE_US);
	u64 pde = gpt_entry(&g, va, 2);

	assert_int_equal(pde, g.cr3 + 4 * (va >> 22));
	assert_int_equal(pte - (gpt_get(&g, pde) & 0xfffff000), 4 * ((va >> 12) & 1023));
	assert_int_equal(walk(&g, &pg, va + 0xfff, WALK_USER, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x7fff);
	assert_false(r.rw);
	assert_false(r.nx);
	assert_int_equal(gpt_get(&g, pte), 0x7000 | PTE_P | PTE_US | PTE_A);
	assert_int_equal(walk(&g, &pg, va, WALK_USER | WALK_WRITE, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x7);
	/* Supervisor write with WP = 0 is allowed and sets D. */
	pg.wp = false;
	assert_int_equal(walk(&g, &pg, va, WALK_WRITE, &r), WALK_OK);
	assert_int_equal(gpt_get(&g, pte), 0x7000 | PTE_P | PTE_US | PTE_A | PTE_D);
	pg.wp = true;
	/* The upper 32 bits do not exist: nothing is reserved in a 4 KiB PTE. */
	gpt_set(&g, pte, gpt_get(&g, pte) | PTE_PAT | BIT(9) | BIT(10) | BIT(11));
	assert_int_equal(walk(&g, &pg, va, WALK_USER, &r), WALK_OK);
	assert_int_equal(r.memtype, PTE_PAT);

	/* A 4 MiB page above 4 GiB (PSE-36): gpa 0x5_0040_0000. */
	u64 va4 = 0x40000000;
	u64 pde4 = gpt_map(&g, va4, 0x500400000ull, 4 * MB, PTE_P | PTE_RW | PTE_G, PTE_RW);
	assert_int_equal(walk(&g, &pg, va4 + 0x3fffff, WALK_WRITE, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x5007fffffull);
	assert_int_equal(r.page_size, 4 * MB);
	assert_true(r.global);
	assert_true(gpt_get(&g, pde4) & PTE_D);
	/* Bit 21 is reserved; with MAXPHYADDR = 36 so are bits 20:17. */
	u64 v = gpt_get(&g, pde4);
	gpt_set(&g, pde4, v | BIT(21));
	assert_int_equal(walk(&g, &pg, va4, WALK_READ, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x9);
	gpt_set(&g, pde4, v);
	pg.maxphyaddr = 36;
	gpt_set(&g, pde4, v | BIT(17));
	assert_int_equal(walk(&g, &pg, va4, WALK_READ, &r), WALK_FAULT);
	assert_int_equal(r.error_code, 0x9);
	gpt_set(&g, pde4, v | BIT(16)); /* entry bit 16 is address bit 35 */
	assert_int_equal(walk(&g, &pg, va4, WALK_READ, &r), WALK_OK);
	assert_int_equal(r.gpa, 0xd00400000ull);
	pg.maxphyaddr = 46;
	gpt_set(&g, pde4, v);

	/* Without CR4.PSE the PS bit is ignored: the PDE names a page table. */
	gpt_set(&g, pde, gpt_get(&g, pde) | PTE_PS);
	pg.pse = false;
	assert_int_equal(walk(&g, &pg, va, WALK_USER, &r), WALK_OK);
	assert_int_equal(r.page_size, 4 * KB);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.gpa, 0x7000);
	pg.pse = true;
	assert_int_equal(walk(&g, &pg, va, WALK_READ, &r), WALK_OK);
	assert_int_equal(r.page_size, 4 * MB);
	assert_int_equal(r.level, 2);
	gpt_free(&g);
}

/* --------------------------------------------------------- register decode */

static void test_paging_from_regs(void **state)
{
	struct guest_paging pg;

	guest_paging_from_regs(&pg, 0x11, 0x1000, CR4_PAE, EFER_LME, 40);
	assert_int_equal(pg.mode, PAGING_NONE); /* PG = 0, even with LME */
	guest_paging_from_regs(&pg, CR0_PG | 1, 0x1000, 0, 0, 40);
	assert_int_equal(pg.mode, PAGING_32);
	assert_false(pg.wp);
	guest_paging_from_regs(&pg, CR0_PG | CR0_WP | 1, 0x1000, CR4_PAE | CR4_PSE, EFER_NXE, 40);
	assert_int_equal(pg.mode, PAGING_PAE);
	assert_true(pg.wp && pg.pse && pg.nxe);
	guest_paging_from_regs(&pg, CR0_PG | 1, 0x8000000000001000ull,
			       CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP, EFER_LME | EFER_NXE, 40);
	assert_int_equal(pg.mode, PAGING_LONG4);
	assert_true(pg.pge && pg.smep && pg.smap);
	assert_int_equal(pg.cr3, 0x8000000000001000ull);
	assert_int_equal(pg.maxphyaddr, 40);
}

/* CR3's PCID bits and bit 63 are not part of the root. */
static void test_long4_cr3_low_bits_ignored(void **state)
{
	struct gpt g;
	struct guest_paging pg;
	struct walk_result r;

	gpt_init(&g, PAGING_LONG4);
	pg = gpt_paging(&g);
	gpt_map(&g, UVA, 0x5000, 4 * KB, PTE_P | PTE_US, PTE_US);
	pg.cr3 = g.cr3 | 0x8000000000000000ull | 0x5 | PTE_PCD;
	assert_int_equal(walk(&g, &pg, UVA, WALK_USER, &r), WALK_OK);
	assert_int_equal(r.gpa, 0x5000);
	gpt_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging_off_is_identity),
		cmocka_unit_test(test_long4_4k_translation),
		cmocka_unit_test(test_long4_permission_matrix),
		cmocka_unit_test(test_long4_permission_cases),
		cmocka_unit_test(test_long4_not_present_each_level),
		cmocka_unit_test(test_long4_reserved_bits),
		cmocka_unit_test(test_long4_reserved_before_not_present),
		cmocka_unit_test(test_long4_2m_page),
		cmocka_unit_test(test_long4_1g_page),
		cmocka_unit_test(test_long4_accessed_dirty),
		cmocka_unit_test(test_long4_no_flags_on_fault),
		cmocka_unit_test(test_long4_self_map),
		cmocka_unit_test(test_pfec_instruction_bit),
		cmocka_unit_test(test_smep),
		cmocka_unit_test(test_smap),
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_long4_table_outside_ram),
		cmocka_unit_test(test_long4_page_outside_ram_translates),
		cmocka_unit_test(test_long4_noncanonical),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_pae_self_map),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_paging_from_regs),
		cmocka_unit_test(test_long4_cr3_low_bits_ignored),
	};
	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
