/*
 * test_shadow_diff.c - the differential test: the optimized shadow policy
 * against the reference one, and both against the guest's own page tables,
 * over long random traces.
 *
 * A trace is what a guest kernel does to its MMU: it rewrites entries of its
 * page tables (4 KiB leaves, 2 MiB pages, a page table swapped for a large
 * page and back, and in 4-level mode a page directory swapped for a 1 GiB
 * page and back), flushes as the SDM requires (INVLPG, a CR3 load for
 * non-global entries, a CR4.PGE toggle for everything), switches between
 * three address spaces that share the kernel half as Linux's do, loads roots
 * it never uses (so records are evicted and hash buckets collide), watches
 * and unwatches pages (Antfarm's roots), and makes accesses of every kind.
 * The traces are well behaved: a translation is flushed before the guest
 * relies on its change, so a real TLB would give exactly what the tables say
 * now.  Hence the oracle: every access must end as walk_guest() (looking
 * only) says, completed at its address or the guest's own #PF with its error
 * code, under SHADOW_REFERENCE, SHADOW_CACHED (with and without the leaf
 * log) and SHADOW_SYNCED alike; and after every step
 * no leaf of the loaded shadow may grant more than the guest's tables do.
 * Every trace runs twice: with 2 MiB shadow leaves for the guest's large
 * pages (shadow.c, "large leaves") and without.
 *
 * The synced policy promises more: every write to a guest page table it
 * shadows traps (the trace tells it, as the emulator would:
 * shadow_guest_write), so its shadow is never stale at all.  The lax traces
 * check that: the guest rewrites its tables and never flushes, and the
 * synced contexts alone (strict: no page table let out of sync) must still
 * give exactly what the tables say now.
 * Now and then a write is one the emulator cannot do: the frame is
 * unshadowed (shadow_unshadow_frame) and the guest writes it unseen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/shadow.h"
#include "mm/synced.h"
#include "mm/tests/guest_pt.h"
#include "mm/tests/shadow_cpu.h"
#include "mm/shadow_impl.h" /* sync_unsync_on_fault(), the write fault's choice */

#define KB 1024ull
#define MB (1024ull * KB)

#define NROOTS 3
#define NPOL 7 /* the contexts compared: [0] reference, [1] cached, [2] cached with
		   * the leaf log, [3] that one switched to the reference and back
		   * every few dozen steps (shadow_set_policy), [4] synced, [5]
		   * synced switched to cached and back, [6] synced with its boot
		   * rule and young roots ([4] and [5] synced from the start and
		   * for every root) */
#define RULES 6
#define RULES_YOUNG 8 /* loads a root stays young in [6]: the trace loads its
		       * three roots about 150 times each, junk roots once */
#define SWITCH_EVERY 37
#define NPAGES 8 /* 4 KiB pages per small region */

/* The guest's linear layout: per half, NPAGES pages under one page table
 * and a 2 MiB region whose PDE is a page table or a 2 MiB page. */
struct layout {
	u64 user, kernel; /* small regions; the 2 MiB regions follow at +2 MiB */
};

static const struct layout long4 = { 0x00007f8040000000ull, 0xffff888040000000ull };
static const struct layout pae = { 0x40000000ull, 0xc0000000ull };

struct diff {
	struct gpt g;
	struct pool pool[NPOL];
	struct shadow_ctx *ctx[NPOL];
	struct layout lay;
	u64 roots[NROOTS];
	int cur;              /* index in roots[] of the loaded root */
	struct guest_paging pg;
	u64 pt2m[2][NROOTS];  /* the page table each 2 MiB region's PDE may point to */
	u64 pd1g[2][NROOTS];  /* 4-level: the PDPTE over both regions when it is not a
			       * 1 GiB page (its page directory) */
	u64 rng;
	bool watched[16];     /* data frames 0x10000 + i * 4 KiB */
	bool lax;             /* the guest never flushes: check synced contexts only */
	long checked, injected, ran, watched_writes, switches, unemulated, write_faults;
};

/* Is context p held to the oracle now?  In a lax trace only while synced. */
static bool checked_ctx(const struct diff *d, int p)
{
	return !d->lax || (d->ctx[p]->policy == SHADOW_SYNCED && p != RULES);
}

static u64 rnd(struct diff *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return d->rng;
}

static bool chance(struct diff *d, int percent)
{
	return (int)(rnd(d) % 100) < percent;
}

/* The linear addresses the trace uses: NPAGES small pages and NPAGES spots
 * spread over the 2 MiB region, in the user (0) or kernel (1) half.  The
 * spots are one in each eighth of the region's page table, each at another
 * of the eight-entry chunks of its 64 entries (entries 0, 73, 146, ... 511),
 * which synced's resync compares apart (synced.c, changed_bits). */
static u64 addr(const struct diff *d, int half, int i)
{
	u64 base = half ? d->lay.kernel : d->lay.user;

	if (i < NPAGES)
		return base + (u64)i * PAGE_SIZE;
	return base + 2 * MB + (u64)(i - NPAGES) * (256 * KB + 9 * PAGE_SIZE);
}

#define NADDR (2 * NPAGES)

/* The flags of upper levels: everything (the leaf decides; a PAE PDPTE
 * gets P only, guest_pt.c sees to it). */
#define UPPER (PTE_RW | PTE_US)

/* ------------------------------------------------------------ the guest */

static void for_each_ctx_load(struct diff *d, u64 cr3)
{
	for (int p = 0; p < NPOL; p++)
		assert_true(shadow_cr3_load(d->ctx[p], cr3) != 0);
}

static void set_paging_all(struct diff *d)
{
	for (int p = 0; p < NPOL; p++)
		assert_true(shadow_set_paging(d->ctx[p], &d->pg) != 0);
}

static void invlpg_all(struct diff *d, u64 gva)
{
	for (int p = 0; p < NPOL; p++)
		shadow_invlpg(d->ctx[p], gva);
}

/* A new root that shares the kernel half of roots[0]'s: PML4 entries
 * 256-511 (4-level), or PDPTE 3 (PAE). */
static u64 share_kernel(struct diff *d)
{
	u64 root = gpt_new_table(&d->g);
	u64 *a = (u64 *)(d->g.m.base + (d->roots[0] & ~0xfffull));
	u64 *b = (u64 *)(d->g.m.base + root);

	if (d->g.mode == PAGING_LONG4) {
		memcpy(b + 256, a + 256, 256 * 8);
		return root;
	}
	a = (u64 *)(d->g.m.base + d->roots[0]); /* PAE: the PDPT at +0x40 */
	b += 0x40 / 8;
	b[3] = a[3];
	return root + 0x40;
}

/* Map the layout in the root the gpt points at: every small page and the
 * 2 MiB region through a page table; returns that page table's gpa. */
static u64 map_half(struct diff *d, int half)
{
	for (int i = 0; i < NADDR; i++)
		gpt_map(&d->g, addr(d, half, i), 0x10000 + (u64)(i % 16) * PAGE_SIZE, 4 * KB,
			PTE_P | PTE_RW | (half ? PTE_G : PTE_US), UPPER);
	return gpt_get(&d->g, gpt_entry(&d->g, addr(d, half, NPAGES), 2)) & PTE_ADDR;
}

static u64 entry_in(struct diff *d, int r, u64 gva, int level);

static void diff_init(struct diff *d, enum paging_mode mode, u64 seed, bool large)
{
	memset(d, 0, sizeof(*d));
	d->rng = seed;
	d->lay = mode == PAGING_LONG4 ? long4 : pae;
	gpt_init(&d->g, mode);
	d->roots[0] = d->g.cr3;
	u64 kpt = map_half(d, 1);
	d->pt2m[1][0] = kpt;
	d->pt2m[0][0] = map_half(d, 0);
	for (int r = 1; r < NROOTS; r++) {
		d->roots[r] = share_kernel(d);
		d->g.cr3 = d->roots[r];
		d->pt2m[0][r] = map_half(d, 0);
		d->pt2m[1][r] = kpt;
	}
	d->g.cr3 = d->roots[0];
	d->pg = gpt_paging(&d->g);
	for (int r = 0; r < NROOTS && mode == PAGING_LONG4; r++)
		for (int half = 0; half < 2; half++)
			d->pd1g[half][r] = gpt_get(&d->g, entry_in(d, r, addr(d, half, 0), 3));
	for (int p = 0; p < NPOL; p++) {
		struct shadow_ops ops = { pool_alloc, pool_free, pool_evict, &d->pool[p] };

		d->pool[p].fail_after = -1;
		d->ctx[p] = malloc(sizeof(*d->ctx[p]));
		assert_non_null(d->ctx[p]);
		assert_int_equal(shadow_init(d->ctx[p], &ops, &d->g.m,
					     p == 0   ? SHADOW_REFERENCE
					     : p >= 4 ? SHADOW_SYNCED
						      : SHADOW_CACHED),
				 SHADOW_OK);
		d->ctx[p]->leaf_log = p >= 2;
		d->ctx[p]->large_leaves = large;
		d->ctx[p]->sync = malloc(sizeof(*d->ctx[p]->sync));
		assert_non_null(d->ctx[p]->sync);
		sync_init(d->ctx[p]->sync);
		d->ctx[p]->user_seen = p != RULES; /* [6] boots */
		d->ctx[p]->sync_young = p == RULES ? RULES_YOUNG : 0;
	}
	set_paging_all(d);
}

static void diff_done(struct diff *d)
{
	for (int p = 0; p < NPOL; p++) {
		shadow_destroy(d->ctx[p]);
		assert_int_equal(d->pool[p].live, 0);
		free(d->ctx[p]->sync);
		free(d->ctx[p]);
	}
	gpt_free(&d->g);
}

/* The entry of `level` for gva in root r; GPT_NONE for a PTE under a
 * 2 MiB page. */
static u64 entry_in(struct diff *d, int r, u64 gva, int level)
{
	u64 saved = d->g.cr3, e;

	d->g.cr3 = d->roots[r];
	e = gpt_entry(&d->g, gva, level);
	d->g.cr3 = saved;
	return e;
}

/* A random 4 KiB leaf: mostly present, rights of every kind, now and then a
 * reserved bit (bit 51 is above MAXPHYADDR 46). */
static u64 random_leaf(struct diff *d, int half)
{
	u64 v = 0x10000 + (rnd(d) % 16) * PAGE_SIZE;

	v |= chance(d, 90) ? PTE_P : 0;
	v |= chance(d, 60) ? PTE_RW : 0;
	v |= chance(d, half ? 15 : 85) ? PTE_US : 0;
	v |= chance(d, 25) ? PTE_NX : 0;
	v |= chance(d, half ? 70 : 5) ? PTE_G : 0;
	v |= chance(d, 50) ? PTE_A : 0;
	v |= chance(d, 50) ? PTE_D : 0;
	v |= chance(d, 3) ? BIT(51) : 0;
	return v;
}

/* A random PDE for a 2 MiB region: its page table, or a 2 MiB page. */
static u64 random_pde(struct diff *d, int half, int r, bool *large)
{
	*large = chance(d, 50);
	if (!*large)
		return d->pt2m[half][r] | PTE_P | PTE_RW | PTE_US | PTE_A;
	u64 v = (2 + 2 * (rnd(d) % 3)) * MB | PTE_P | PTE_PS;

	v |= chance(d, 60) ? PTE_RW : 0;
	v |= chance(d, half ? 15 : 85) ? PTE_US : 0;
	v |= chance(d, 25) ? PTE_NX : 0;
	v |= chance(d, half ? 70 : 5) ? PTE_G : 0;
	v |= chance(d, 50) ? PTE_D : 0;
	return v | PTE_A;
}

/* The CPU's global flush: CR4.PGE off, then on (maybe with accesses between:
 * the caller's next steps run with PGE off until toggled back). */
static void pge_toggle(struct diff *d)
{
	d->pg.pge = !d->pg.pge;
	set_paging_all(d);
	if (!d->pg.pge && chance(d, 70)) {
		d->pg.pge = true;
		set_paging_all(d);
	}
}

/* The guest stores v into its table entry at gpa e.  The store traps where
 * a synced shadow protects the table, and is emulated: the shadow hears it.
 * Now and then (unemulable) the emulator cannot do it: the shadow lets the
 * table go and the guest's own store runs unseen.  Half the time the store
 * is taken as a write fault first (through the kernel's alias of the
 * table, which the trace does not map): where the fault path lets the
 * table out of sync (sync_unsync_on_fault), the store runs unseen too. */
static void guest_store(struct diff *d, u64 e, u64 v)
{
	bool unemulable = chance(d, 5), fault = chance(d, 50);
	bool unseen[NPOL] = { false };

	for (int p = 0; p < NPOL; p++) {
		if (unemulable && shadow_is_protected(d->ctx[p], e))
			assert_true(shadow_unshadow_frame(d->ctx[p], e));
		if (!unemulable && fault && sync_unsync_on_fault(d->ctx[p], e)) {
			unseen[p] = true;
			d->write_faults += p != RULES; /* (never strict) */
		}
	}
	gpt_set(&d->g, e, v);
	d->unemulated += unemulable;
	for (int p = 0; p < NPOL; p++)
		if (!unemulable && !unseen[p])
			shadow_guest_write(d->ctx[p], e, 8);
}

/* 4-level: the PDPTE over both regions becomes a 1 GiB page (at gpa 0:
 * the regions then map the first 4 MiB of RAM) or its page directory
 * again; one INVLPG covers a 1 GiB page replaced by another, anything else
 * needs a full flush. */
static void write_1g(struct diff *d, int half, int r, u64 e3)
{
	u64 old = gpt_get(&d->g, e3), v = d->pd1g[half][r];
	bool large = chance(d, (old & PTE_PS) ? 80 : 100);

	if (large) {
		v = PTE_P | PTE_PS | PTE_A;
		v |= chance(d, 60) ? PTE_RW : 0;
		v |= chance(d, half ? 15 : 85) ? PTE_US : 0;
		v |= chance(d, 25) ? PTE_NX : 0;
		v |= chance(d, half ? 70 : 5) ? PTE_G : 0;
		v |= chance(d, 50) ? PTE_D : 0;
	}
	guest_store(d, e3, v);
	if (d->lax)
		return;
	if ((old & PTE_PS) && large)
		invlpg_all(d, addr(d, half, (int)(rnd(d) % NADDR)));
	else
		pge_toggle(d);
}

/* Rewrite one entry and flush as the SDM asks before relying on it (in a
 * lax trace: not at all). */
static void step_write(struct diff *d)
{
	int half = (int)(rnd(d) % 2), i = (int)(rnd(d) % NADDR);
	int r = half ? 0 : (int)(rnd(d) % NROOTS); /* the kernel half is shared */
	u64 gva = addr(d, half, i);
	u64 e3 = d->g.mode == PAGING_LONG4 ? entry_in(d, r, gva, 3) : GPT_NONE;

	if (e3 != GPT_NONE && ((gpt_get(&d->g, e3) & PTE_PS) || chance(d, 5))) {
		write_1g(d, half, r, e3);
		return;
	}
	u64 e = entry_in(d, r, gva, 1);

	if (i >= NPAGES && (e == GPT_NONE || chance(d, 10))) {
		bool large;
		u64 v = random_pde(d, half, r, &large);

		e = entry_in(d, r, gva, 2);
		assert_true(e != GPT_NONE);
		u64 old = gpt_get(&d->g, e);

		guest_store(d, e, v);
		if (d->lax)
			return;
		/* One INVLPG anywhere in it covers a 2 MiB page replaced by
		 * another (Linux relies on it); a page table's 4 KiB
		 * translations need an INVLPG each, or a full flush. */
		u64 base = gva & ~(2 * MB - 1);

		if ((old & PTE_PS) && large)
			invlpg_all(d, base + (rnd(d) % 512) * PAGE_SIZE);
		else if (chance(d, 50))
			for (u64 off = 0; off < 2 * MB; off += PAGE_SIZE)
				invlpg_all(d, base + off);
		else
			pge_toggle(d);
		return;
	}
	u64 old = gpt_get(&d->g, e), v = random_leaf(d, half);

	guest_store(d, e, v);
	if (d->lax)
		return;
	/* Another space's non-global translation: its next load flushes it. */
	if (half == 0 && r != d->cur && !(old & PTE_G) && !(v & PTE_G))
		return;
	invlpg_all(d, gva);
}

static void step_cr3(struct diff *d)
{
	for (int j = 0; j < 3 && chance(d, 50); j++) {
		/* A root the guest loads and leaves at once (never accessed):
		 * fills the record table, so records are evicted. */
		u64 junk = 0x2000000ull + (rnd(d) % 400) * PAGE_SIZE;

		for_each_ctx_load(d, d->g.mode == PAGING_PAE ? junk + 0x40 : junk);
	}
	d->cur = (int)(rnd(d) % NROOTS);
	d->g.cr3 = d->pg.cr3 = d->roots[d->cur];
	for_each_ctx_load(d, d->pg.cr3);
}

static void step_watch(struct diff *d)
{
	int i = (int)(rnd(d) % 16);
	u64 gpa = 0x10000 + (u64)i * PAGE_SIZE;

	for (int p = 0; p < NPOL; p++) {
		if (d->watched[i])
			shadow_unwatch(d->ctx[p], gpa);
		else
			assert_int_equal(shadow_watch(d->ctx[p], gpa), SHADOW_OK);
	}
	d->watched[i] = !d->watched[i];
}

static bool is_watched(const struct diff *d, u64 page_gpa)
{
	u64 i = (page_gpa - 0x10000) / PAGE_SIZE;

	return page_gpa >= 0x10000 && i < 16 && d->watched[i];
}

/* ------------------------------------------------------------ the checks */

static const u32 accesses[] = {
	WALK_READ,		WALK_WRITE,		WALK_FETCH,
	WALK_USER | WALK_READ, WALK_USER | WALK_WRITE, WALK_USER | WALK_FETCH,
};

static void step_access(struct diff *d)
{
	u64 gva = addr(d, (int)(rnd(d) % 2), (int)(rnd(d) % NADDR)) + (rnd(d) % 4096 & ~7ull);
	u32 access = accesses[rnd(d) % 6];
	struct walk_result w;
	enum walk_status st = walk_guest(&d->g.m, &d->pg, gva, access | WALK_PEEK, &w);

	for (int p = 0; p < NPOL; p++) {
		struct run r = shadow_run(d->ctx[p], gva, access, false);

		if (!checked_ctx(d, p))
			continue;
		if (st == WALK_FAULT) {
			if (r.kind != SHADOW_INJECT || r.f.error_code != w.error_code)
				fail_msg("policy %d gva %#llx access %#x: got kind %d code %#x, the "
					 "tables say #PF %#x",
					 p, (unsigned long long)gva, access, r.kind, r.f.error_code,
					 w.error_code);
			d->injected++;
			continue;
		}
		assert_int_equal(st, WALK_OK);
		if ((access & WALK_WRITE) &&
		    (is_watched(d, w.page_gpa) || shadow_is_protected(d->ctx[p], w.page_gpa))) {
			assert_int_equal(r.kind, SHADOW_WATCHED_WRITE);
			assert_int_equal(r.f.gpa, w.gpa);
			d->watched_writes++;
			continue;
		}
		if (r.kind != RAN || r.hpa != gpa_to_hpa(&d->g.m, w.gpa))
			fail_msg("policy %d gva %#llx access %#x: got kind %d hpa %#llx, the "
				 "tables say hpa %#llx",
				 p, (unsigned long long)gva, access, r.kind,
				 (unsigned long long)r.hpa,
				 (unsigned long long)gpa_to_hpa(&d->g.m, w.gpa));
		d->ran++;
	}
}

/* No leaf of a loaded shadow grants more than the guest's tables do now.
 * The tables are the same for every context, so each address is walked
 * once (and only if some context has a leaf there to hold against it),
 * then every context's leaf is checked against that one walk. */
static void check_leaves(struct diff *d)
{
	for (int half = 0; half < 2; half++)
		for (int i = 0; i < NADDR; i++) {
			u64 gva = addr(d, half, i);
			struct walk_result w;
			enum walk_status st = WALK_FAULT;
			bool walked = false;

			for (int p = 0; p < NPOL; p++) {
				u64 leaf = shadow_leaf(d->ctx[p], gva);

				if (!(leaf & PTE_P) || !checked_ctx(d, p))
					continue;
				d->checked++;
				if (!walked) {
					st = walk_guest(&d->g.m, &d->pg, gva,
							WALK_READ | WALK_PEEK, &w);
					walked = true;
				}
				if (st != WALK_OK)
					fail_msg("policy %d: a leaf for %#llx the tables do not map",
						 p, (unsigned long long)gva);
				assert_int_equal(leaf & PTE_ADDR, gpa_to_hpa(&d->g.m, w.page_gpa));
				assert_true(!(leaf & PTE_US) || w.us);
				assert_true(!(leaf & PTE_RW) ||
					    (w.rw && w.dirty && !is_watched(d, w.page_gpa) &&
					     !shadow_is_protected(d->ctx[p], w.page_gpa)));
				assert_true((leaf & PTE_NX) || !w.nx);
				assert_true(!(leaf & PTE_G) || w.global);
			}
		}
}

static void trace(enum paging_mode mode, u64 seed, int steps, bool lax, bool large)
{
	struct diff d;
	long pages1g = 0;

	diff_init(&d, mode, seed, large);
	d.lax = lax;
	/* The guest never flushes: page tables must never go out of sync.
	 * ([6] is not strict, and not checked then: a young root's leaves
	 * follow the cached rule, which needs flushes.) */
	for (int p = 4; p < RULES; p++)
		d.ctx[p]->sync_strict = lax;
	for (int s = 0; s < steps; s++) {
		u64 k = rnd(&d) % 100;

		if (k < 55)
			step_access(&d);
		else if (k < 80)
			step_write(&d);
		else if (k < 92)
			step_cr3(&d);
		else if (k < 99)
			step_watch(&d);
		else
			pge_toggle(&d);
		check_leaves(&d);
		if (mode == PAGING_LONG4)
			pages1g += (gpt_get(&d.g, entry_in(&d, d.cur, addr(&d, 1, 0), 3)) & PTE_PS) != 0;
		if (s % SWITCH_EVERY == SWITCH_EVERY - 1) {
			struct shadow_ctx *c = d.ctx[3];

			shadow_set_policy(c, c->policy == SHADOW_CACHED ? SHADOW_REFERENCE
									: SHADOW_CACHED);
			c = d.ctx[5];
			shadow_set_policy(c, c->policy == SHADOW_SYNCED ? SHADOW_CACHED
									: SHADOW_SYNCED);
			d.switches++;
		}
	}
	/* Synced: writes were heard and dropped entries, tables written often
	 * or unemulably were let go, and nothing had to fall back to cached. */
	assert_true(d.ctx[4]->stats.sync_writes > 0 && d.ctx[4]->stats.sync_zaps > 0);
	assert_true(d.unemulated > 0);
	/* ... and not strict, page tables went out of sync at write faults */
	assert_true(lax ? d.write_faults == 0 : d.write_faults > 0);
	if (lax) /* strict: unemulable writes let tables go at once */
		assert_true(d.ctx[4]->stats.sync_unshadows > 0);
	assert_int_equal(d.ctx[4]->stats.sync_unsynced, 0);
	/* [6] left its boot rule, and built leaves both ways: young ones by
	 * the cached rule, grown-up ones in sync (trapped writes). */
	assert_true(d.ctx[RULES]->user_seen);
	assert_true(d.ctx[RULES]->stats.sync_unsynced > 0 && d.ctx[RULES]->stats.sync_writes > 0);
	/* The guest had 1 GiB pages a good part of the time, and the large
	 * leaves were built exactly when asked for. */
	if (mode == PAGING_LONG4)
		assert_true(pages1g > steps / 20);
	for (int p = 0; p < NPOL; p++)
		assert_true(large ? d.ctx[p]->stats.large_leaves > 0
				  : d.ctx[p]->stats.large_leaves == 0);
	if (!lax) /* page tables went out of sync and came back */
		assert_true(d.ctx[4]->stats.sync_unsyncs > 0 && d.ctx[4]->stats.sync_resyncs > 0);
	if (lax) {
		assert_true(d.injected > 0 && d.ran > 0 && d.checked > 0);
		diff_done(&d);
		return;
	}
	/* The trace did reach every outcome, and the cached policy was put to
	 * work (evictions, skipped flushes) rather than passing by default. */
	assert_true(d.injected > 0 && d.ran > 0 && d.watched_writes > 0 && d.checked > 0);
	assert_true(d.ctx[1]->stats.as_evictions > 0);
	assert_true(d.ctx[1]->stats.flushes_skipped > 0);
	assert_true(d.ctx[1]->stats.faults < d.ctx[0]->stats.faults);
	/* The log changes what a load drops, not what is cached after it. */
	assert_int_equal(d.ctx[2]->stats.faults, d.ctx[1]->stats.faults);
	/* The switching one really switched, and each switch emptied its
	 * shadows (so it refaulted more than the cached policy alone). */
	assert_true(d.switches > 50);
	assert_true(d.ctx[3]->stats.faults > d.ctx[1]->stats.faults);
	/* Synced keeps what the cached policy drops at every CR3 load. */
	assert_true(d.ctx[4]->stats.faults < d.ctx[1]->stats.faults);
	diff_done(&d);
}

static void test_diff_long4(void **state)
{
	for (u64 seed = 1; seed <= 6; seed++)
		for (int large = 0; large < 2; large++)
			trace(PAGING_LONG4, seed * 0x9e3779b97f4a7c15ull, 4000, false, large);
}

static void test_diff_pae(void **state)
{
	for (u64 seed = 1; seed <= 3; seed++)
		for (int large = 0; large < 2; large++)
			trace(PAGING_PAE, seed * 0x2545f4914f6cdd1dull, 4000, false, large);
}

static void test_diff_synced_lax_long4(void **state)
{
	for (u64 seed = 1; seed <= 6; seed++)
		for (int large = 0; large < 2; large++)
			trace(PAGING_LONG4, seed * 0x5851f42d4c957f2dull, 4000, true, large);
}

static void test_diff_synced_lax_pae(void **state)
{
	for (u64 seed = 1; seed <= 3; seed++)
		for (int large = 0; large < 2; large++)
			trace(PAGING_PAE, seed * 0x14057b7ef767814full, 4000, true, large);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_long4),
		cmocka_unit_test(test_diff_pae),
		cmocka_unit_test(test_diff_synced_lax_long4),
		cmocka_unit_test(test_diff_synced_lax_pae),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
