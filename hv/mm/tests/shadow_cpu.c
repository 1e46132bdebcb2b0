/*
 * shadow_cpu.c - the host tests' stand-ins for what surrounds the shadow
 * pager in the hypervisor: an allocator that counts and poisons pages, a
 * model of the real MMU walking the shadow tables, and the exit loop
 * (shadow_cpu.h).  Shared by test_shadow.c and test_shadow_diff.c.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <sys/mman.h>
#include <sanitizer/asan_interface.h>

#include <stdlib.h>

#include "mm/synced.h"
#include "mm/tests/shadow_cpu.h"

#define GB (1ull << 30)

/* -------------------------------------------------------------- allocator */

/*
 * Freed pages must not be usable: a later use of one by the shadow code has
 * to crash.  Unmapping each one did that, but cost two system calls and a
 * page fault per page, and the differential test frees millions (half its
 * run time went there).  So a freed page is poisoned instead (AddressSanitizer
 * reports any access to it, as it would a use after free) and kept in a
 * ring shared by all pools, and handed out again only after QUARANTINE
 * pages freed later: longer than an unmapped page stayed unused, whose
 * address the kernel's next mmap took again at once.  Pages below 4 GiB
 * (MAP_32BIT, for the below_4g rule) are unmapped as before, so every page
 * the ring hands out is above.  Without AddressSanitizer nothing is kept.
 */
#define KEEP 4096
#ifdef __SANITIZE_ADDRESS__
#define QUARANTINE (KEEP / 4)
#else
#define QUARANTINE KEEP /* never reuse: unmap every page */
#endif
static void *kept[KEEP]; /* freed pages, poisoned, the oldest at kept[kept_at] */
static int kept_at, nkept;

/* Unpoisoned first: the poison would outlive the mapping, and the next
 * mmap at that address would look freed. */
static void unmap_page(void *page)
{
	ASAN_UNPOISON_MEMORY_REGION(page, PAGE_SIZE);
	assert_int_equal(munmap(page, PAGE_SIZE), 0);
}

/* The ring's oldest page, taken out of it (still poisoned). */
static void *take_oldest(void)
{
	void *page = kept[kept_at];

	kept_at = (kept_at + 1) % KEEP;
	nkept--;
	return page;
}

void *pool_alloc(void *opaque, bool below_4g)
{
	struct pool *p = opaque;
	void *page;

	if (p->fail_after >= 0 && p->total >= p->fail_after)
		return NULL;
	if (!below_4g && nkept > QUARANTINE) {
		page = take_oldest();
		ASAN_UNPOISON_MEMORY_REGION(page, PAGE_SIZE);
		memset(page, 0, PAGE_SIZE); /* as mmap gives it */
	} else {
		page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | (below_4g ? MAP_32BIT : 0), -1, 0);
		if (page == MAP_FAILED)
			return NULL;
	}
	p->live++;
	p->total++;
	p->low_pages += below_4g;
	return page;
}

void pool_free(void *opaque, void *page)
{
	struct pool *p = opaque;

	assert_true(((uintptr_t)page & (PAGE_SIZE - 1)) == 0);
#ifdef __SANITIZE_ADDRESS__
	assert_false(__asan_address_is_poisoned(page)); /* freed twice */
#endif
	p->live--;
	assert_true(p->live >= 0);
	if ((uintptr_t)page >> 32 == 0 || QUARANTINE >= KEEP) {
		unmap_page(page);
		return;
	}
	if (nkept == KEEP) /* full: the oldest goes for good */
		unmap_page(take_oldest());
	ASAN_POISON_MEMORY_REGION(page, PAGE_SIZE);
	kept[(kept_at + nkept++) % KEEP] = page;
}

void pool_evict(void *opaque, struct shadow_as *as)
{
	struct pool *p = opaque;

	p->evicted++;
	p->last_evicted_root = as->root;
}

/* ------------------------------------------------------- the modelled CPU */

bool cpu_may_set_a;

static u64 bits(int hi, int lo)
{
	return ((2ull << hi) - 1) & ~((1ull << lo) - 1);
}

struct cpu cpu_access(struct shadow_ctx *ctx, u64 gva, u32 access, bool ac)
{
	bool long4 = ctx->paging.mode == PAGING_LONG4;
	bool paging = ctx->paging.mode != PAGING_NONE;
	bool smep = paging && ctx->paging.smep, smap = paging && ctx->paging.smap;
	bool user = access & WALK_USER, fetch = access & WALK_FETCH;
	bool write = (access & WALK_WRITE) && !fetch;
	u32 acc = (write ? PFEC_W : 0) | (user ? PFEC_U : 0) | (fetch ? PFEC_I : 0);
	u64 cr3 = shadow_host_cr3(ctx);
	u64 *t, e = 0;
	bool rw = true, us = true, nx = false;
	struct cpu c = { 0 };

	assert_true(cr3 != 0);
	if (long4) {
		t = (u64 *)(uintptr_t)(cr3 & PTE_ADDR);
	} else {
		assert_true(cr3 < 4 * GB); /* a PAE CR3 has 32 bits */
		t = (u64 *)(uintptr_t)(cr3 & 0xffffffe0ull);
	}
	for (int level = long4 ? 4 : 3; level >= 1; level--) {
		bool pdpte = !long4 && level == 3;
		u64 idx = (gva >> (12 + 9 * (level - 1))) & (pdpte ? 3 : 511);
		u64 rsvd;

		e = t[idx];
		if (!(e & PTE_P)) {
			c.pfec = acc;
			return c;
		}
		if (pdpte)
			rsvd = bits(2, 1) | bits(8, 5) | bits(63, 52);
		else if (!long4)
			rsvd = bits(62, 52);
		else
			rsvd = level == 4 ? PTE_PS : 0;
		if (e & rsvd) {
			c.pfec = acc | PFEC_P | PFEC_RSVD;
			return c;
		}
		/* Shadow leaves are 4 KiB, or 2 MiB (PS in a PDE): never 1 GiB. */
		bool large = level == 2 && (e & PTE_PS);

		if (level > 2)
			assert_false(!pdpte && (e & PTE_PS));
		if (large && (e & bits(20, 13))) { /* SDM tables 4-10, 4-18 */
			c.pfec = acc | PFEC_P | PFEC_RSVD;
			return c;
		}
		if (!pdpte) {
			rw = rw && (e & PTE_RW);
			us = us && (e & PTE_US);
			if ((level == 1 || large) && !(e & PTE_A) && cpu_may_set_a)
				t[idx] = e |= PTE_A;
			assert_true(e & PTE_A); /* the CPU never writes the shadow */
		}
		nx = nx || (e & PTE_NX);
		if (large) {
			/* the 4 KiB page inside, as a PTE would have said it */
			e = (e & ~(PTE_ADDR | PTE_PS | PTE_PAT_LARGE)) |
			    ((e & bits(51, 21)) + (gva & bits(20, 12))) |
			    ((e & PTE_PAT_LARGE) ? PTE_PAT : 0);
			break;
		}
		t = (u64 *)(uintptr_t)(e & PTE_ADDR);
	}
	bool ok;

	if (user)
		ok = us && (!write || rw) && (!fetch || !nx);
	else if (fetch)
		ok = !nx && !(us && smep);
	else
		ok = !(us && smap && !ac) && (!write || rw); /* CR0.WP = 1 */
	if (!ok) {
		c.pfec = acc | PFEC_P;
		return c;
	}
	if (write)
		assert_true(e & PTE_D);
	c.ok = true;
	c.hpa = (e & PTE_ADDR) | (gva & 0xfff);
	return c;
}

/* The shadow leaf for gva (0 if none), read the way the CPU reads it; a
 * 2 MiB leaf is shown as the PTE it stands for (gva's 4 KiB page, PAT at
 * bit 7, no PS, no SPTE_SPLIT marks), and shadow_leaf_level() says 2. */
static u64 leaf_at(struct shadow_ctx *ctx, u64 gva, int *at)
{
	u64 *t = (u64 *)(uintptr_t)(shadow_host_cr3(ctx) & ~0x1full);

	for (int level = ctx->paging.mode == PAGING_LONG4 ? 4 : 3; level > 1; level--) {
		u64 e = t[(gva >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P))
			return 0;
		if (level == 2 && (e & PTE_PS)) {
			*at = 2;
			return (e & ~(PTE_ADDR | PTE_PS | PTE_PAT_LARGE | SPTE_SPLIT | SPTE_SPLIT_4M)) |
			       ((e & bits(51, 21)) + (gva & bits(20, 12))) |
			       ((e & PTE_PAT_LARGE) ? PTE_PAT : 0);
		}
		t = (u64 *)(uintptr_t)(e & PTE_ADDR);
	}
	*at = 1;
	return t[(gva >> 12) & 511];
}

u64 shadow_leaf(struct shadow_ctx *ctx, u64 gva)
{
	int at;

	return leaf_at(ctx, gva, &at);
}

int shadow_leaf_level(struct shadow_ctx *ctx, u64 gva)
{
	int at = 0;

	return leaf_at(ctx, gva, &at) & PTE_P ? at : 0;
}

/* ---------------------------------------------------------- the exit loop */

struct run shadow_run(struct shadow_ctx *ctx, u64 gva, u32 access, bool ac)
{
	struct run r = { 0 };

	for (r.exits = 0; r.exits < 4; r.exits++) {
		struct cpu c = cpu_access(ctx, gva, access, ac);

		if (c.ok) {
			r.kind = RAN;
			r.hpa = c.hpa;
			return r;
		}
		r.kind = shadow_page_fault(ctx, gva, c.pfec, ac, &r.f);
		if (r.kind != SHADOW_FIXED)
			return r;
	}
	fail_msg("gva %#llx access %#x: still faulting after 4 exits",
		 (unsigned long long)gva, access);
	return r;
}

/* ------------------------------------------------------------ the fixture */

void fix_init(struct fix *f, enum paging_mode mode, enum shadow_policy policy)
{
	struct shadow_ops ops = {
		.alloc_page = pool_alloc,
		.free_page = pool_free,
		.as_evict = pool_evict,
		.opaque = &f->pool,
	};

	memset(f, 0, sizeof(*f));
	f->pool.fail_after = -1;
	gpt_init(&f->g, mode);
	f->ctx = malloc(sizeof(*f->ctx));
	assert_non_null(f->ctx);
	assert_int_equal(shadow_init(f->ctx, &ops, &f->g.m, policy), SHADOW_OK);
	f->ctx->sync = malloc(sizeof(*f->ctx->sync)); /* the synced policy's records */
	assert_non_null(f->ctx->sync);
	sync_init(f->ctx->sync);
	/* Synced from the first fault and for every root: the tests of the
	 * boot rule and of young roots (test_synced.c) turn those on. */
	f->ctx->user_seen = true;
	f->ctx->sync_young = 0;
	struct guest_paging pg = gpt_paging(&f->g);
	assert_true(shadow_set_paging(f->ctx, &pg) != 0);
}

u64 fix_second_root(struct fix *f)
{
	u64 root = gpt_new_table(&f->g);
	u64 *a = (u64 *)(f->g.m.base + f->g.cr3), *b = (u64 *)(f->g.m.base + root);

	memcpy(b + 256, a + 256, 256 * 8);
	return root;
}

void fix_done(struct fix *f)
{
	shadow_destroy(f->ctx);
	assert_int_equal(f->pool.live, 0); /* every shadow page came back */
	assert_int_equal(f->ctx->stats.pages, 0);
	free(f->ctx->sync);
	free(f->ctx);
	gpt_free(&f->g);
}
