/*
 * shadow.c - shadow page tables (the idea is told in shadow.h).
 *
 * The invariants everything here keeps:
 *  1. Every shadow leaf maps one 4 KiB page, and was written from a complete
 *     guest walk (walk_guest) that allowed the access being made.  Its rights
 *     are the guest's combined rights at that moment, except that it is
 *     read-only while the guest's D flag is clear or the page is watched.
 *  2. Shadow entries above the leaves grant everything (R/W = U/S = 1, no
 *     XD): the leaf alone decides, so a leaf never depends on a guest entry
 *     that a later walk did not re-read.
 *  3. A and D are already set in every shadow entry the CPU may use (D only
 *     where writable), so the CPU never writes to the shadow: a shadow entry
 *     changes only here.  One exception: shadow_harvest() clears A in leaves
 *     to see which pages the guest uses, and the CPU sets it again.
 *  4. The shadow is a TLB: an entry may outlive the guest entry it came from
 *     exactly as long as the guest has not flushed it (INVLPG, MOV to CR3 for
 *     non-global entries, paging-mode changes for all).
 *
 * Reading order: shadow_page_fault() at the end is the heart; it walks the
 * guest (walk.c), makes a leaf (make_leaf) and installs it (spt_install).
 * Everything else removes entries at the moments invariant 4 names.
 */
#include "types.h"
#include "string.h"
#include "mm/shadow.h"

#ifndef CR4_LA57
#define CR4_LA57 BIT(12)
#endif
#ifndef CR4_PCIDE
#define CR4_PCIDE BIT(17)
#endif
#ifndef CR4_PKE
#define CR4_PKE BIT(22)
#endif

/* ------------------------------------------------------------ shadow pages */

static u64 hpa_of(const void *p)
{
	return (u64)(uintptr_t)p;
}

static u64 *table_of(u64 e)
{
	return (u64 *)(uintptr_t)(e & PTE_ADDR);
}

static u64 *spage_alloc(struct shadow_ctx *ctx, bool below_4g)
{
	u64 *p;

	if (ctx->max_pages && ctx->stats.pages >= ctx->max_pages)
		return NULL;
	p = ctx->ops.alloc_page(ctx->ops.opaque, below_4g);
	if (!p)
		return NULL;
	if (below_4g && (hpa_of(p) >> 32)) {
		/* A PAE CR3 holds 32 bits: a higher page would be silently
		 * truncated by the CPU.  Treat it as no page at all. */
		ctx->ops.free_page(ctx->ops.opaque, p);
		return NULL;
	}
	ctx->stats.pages++;
	if (ctx->stats.pages > ctx->stats.pages_peak)
		ctx->stats.pages_peak = ctx->stats.pages;
	return p;
}

/* Something the CPU may have cached was removed or restricted: with VPID the
 * glue must invalidate before the next VM entry (shadow_take_tlb_flush). */
static void tlb_stale(struct shadow_ctx *ctx)
{
	ctx->tlb_flush = true;
}

static void spage_free(struct shadow_ctx *ctx, u64 *p)
{
	ctx->ops.free_page(ctx->ops.opaque, p);
	ctx->stats.pages--;
	tlb_stale(ctx); /* its paging-structure cache entries must go with it */
}

/* ---------------------------------------------------------- shadow format */

/* 4-level shadow for a long-mode guest, PAE shadow for everything else. */
static bool fmt_long4(const struct shadow_ctx *ctx)
{
	return ctx->paging.mode == PAGING_LONG4;
}

static int top_level(const struct shadow_ctx *ctx)
{
	return fmt_long4(ctx) ? 4 : 3;
}

/* Index in a shadow table of `level`: 9 bits per level in both formats (the
 * PAE top level uses gva bits 31:30, i.e. indexes 0..3). */
static unsigned sidx(int level, u64 gva)
{
	return (gva >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/* What a shadow table pointer grants: everything (invariant 2).  A PAE PDPTE
 * has only P (R/W, U/S and A are reserved there, SDM table 4-8). */
static u64 nonleaf_bits(const struct shadow_ctx *ctx, int level)
{
	if (!fmt_long4(ctx) && level == 3)
		return PTE_P;
	return PTE_P | PTE_RW | PTE_US | PTE_A;
}

/* ---------------------------------------------------------- shadow trees */

/* A leaf is going away: if working-set harvesting is on and the CPU used
 * the leaf since the last harvest, remember its guest page (shadow_harvest). */
static void wss_note(struct shadow_ctx *ctx, u64 leaf)
{
	u64 gpa = (leaf & PTE_ADDR) - gpa_to_hpa(ctx->gm, 0);

	if (ctx->wss_seen && (leaf & (PTE_P | PTE_A)) == (PTE_P | PTE_A) && gpa < ctx->gm->size)
		ctx->wss_seen[gpa >> (PAGE_SHIFT + 6)] |= BIT((gpa >> PAGE_SHIFT) & 63);
}

/* Free the table a present entry of `level` points to, and all below it. */
static void spt_free_below(struct shadow_ctx *ctx, u64 e, int level)
{
	u64 *t = table_of(e);

	if (level > 2)
		for (int i = 0; i < 512; i++)
			if (t[i] & PTE_P)
				spt_free_below(ctx, t[i], level - 1);
	if (level == 2 && ctx->wss_seen)
		for (int i = 0; i < 512; i++)
			wss_note(ctx, t[i]);
	spage_free(ctx, t);
}

static void spt_drop_entry(struct shadow_ctx *ctx, u64 *e, int level)
{
	if (!(*e & PTE_P))
		return;
	if (level > 1)
		spt_free_below(ctx, *e, level);
	*e = 0;
}

/* A record's shadow is valid unless a whole-context flush came since it was
 * last emptied or loaded (shadow_flush_all empties only the loaded one). */
static bool as_valid(const struct shadow_ctx *ctx, const struct shadow_as *as)
{
	return as->flush_gen == ctx->flush_gen;
}

/* Forget which top-level slots hold leaves; ctx->global_refs counts valid
 * records only (a flush resets it). */
static void as_forget_slots(struct shadow_ctx *ctx, struct shadow_as *as)
{
	for (int i = 0; i < 512 && as_valid(ctx, as); i++)
		if (as->global[i / 64] & BIT(i % 64))
			ctx->global_refs[i]--;
	memset(as->global, 0, sizeof(as->global));
	memset(as->nonglobal, 0, sizeof(as->nonglobal));
}

/* Drop every entry of a record's shadow; keep its top (and so its CR3). */
static void as_clear(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (as->top)
		for (int i = 0; i < 512; i++)
			spt_drop_entry(ctx, &as->top[i], top_level(ctx));
	as_forget_slots(ctx, as);
	if (as->log)
		as->log[0] = 0;
}

/* Before a record is loaded: empty it if a flush made it stale. */
static void as_make_valid(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (as_valid(ctx, as))
		return;
	as_clear(ctx, as);
	as->flush_gen = ctx->flush_gen;
}

/* Drop a record's whole shadow, top included. */
static void as_free_shadow(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (!as->top)
		return;
	as_clear(ctx, as);
	spage_free(ctx, as->top);
	as->top = NULL;
	if (as->log) {
		spage_free(ctx, as->log);
		as->log = NULL;
	}
}

static int as_ensure_top(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (!as->top)
		as->top = spage_alloc(ctx, !fmt_long4(ctx));
	return as->top ? SHADOW_OK : SHADOW_ENOMEM;
}

/* Cached policy, on a CR3 load: drop the non-global leaves under the top-level
 * slots that have some (the tables stay; they are reused). */
static void spt_sweep_nonglobal(struct shadow_ctx *ctx, u64 *t, int level)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1) {
			spt_sweep_nonglobal(ctx, table_of(t[i]), level - 1);
		} else if (!(t[i] & PTE_G)) {
			wss_note(ctx, t[i]);
			t[i] = 0;
			tlb_stale(ctx);
		}
	}
}

static u64 *spt_lookup(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva);

/*
 * The leaf log.  The sweep below reads every entry of every table under a
 * top-level slot with non-global leaves: 512 per table, for a handful of
 * leaves, at every context switch.  With ctx->leaf_log, each record notes
 * the linear page of each non-global leaf it builds, in a page of its own
 * (up to LOG_MAX; past that it gives up until the next load, which then
 * sweeps), and a load drops just those leaves.  Pages, not pointers: a
 * noted leaf may have been dropped and its table freed since (INVLPG of a
 * split large page), so each is looked up again, and only a leaf still
 * present and non-global is dropped.  Every non-global leaf comes from
 * spt_install(), so the log holds them all unless it overflowed.
 */
#define LOG_MAX (PAGE_SIZE / 8 - 1)

static void log_leaf(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva)
{
	if (!ctx->leaf_log || ctx->policy != SHADOW_CACHED)
		return;
	if (!as->log)
		as->log = spage_alloc(ctx, false); /* none: the load sweeps, as before */
	if (as->log && as->log[0] < LOG_MAX)
		as->log[++as->log[0]] = gva & ~(PAGE_SIZE - 1);
	else if (as->log)
		as->log[0] = LOG_MAX + 1; /* overflowed */
}

static void as_drop_nonglobal(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (as->log && as->log[0] <= LOG_MAX) {
		for (u64 k = 1; k <= as->log[0]; k++) {
			u64 *leaf = spt_lookup(ctx, as, as->log[k]);

			if (leaf && (*leaf & PTE_P) && !(*leaf & PTE_G)) {
				wss_note(ctx, *leaf);
				*leaf = 0;
				tlb_stale(ctx);
			}
		}
		as->log[0] = 0;
		memset(as->nonglobal, 0, sizeof(as->nonglobal));
		return;
	}
	if (as->log)
		as->log[0] = 0;
	for (int i = 0; i < 512; i++) {
		if (!(as->nonglobal[i / 64] & BIT(i % 64)))
			continue;
		if (as->top[i] & PTE_P)
			spt_sweep_nonglobal(ctx, table_of(as->top[i]), top_level(ctx) - 1);
	}
	memset(as->nonglobal, 0, sizeof(as->nonglobal));
}

/* The leaf for gva, or NULL if the path to it is not there. */
static u64 *spt_lookup(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva)
{
	u64 *t = as->top;

	for (int level = top_level(ctx); level > 1; level--) {
		u64 e = t[sidx(level, gva)];

		if (!(e & PTE_P))
			return NULL;
		t = table_of(e);
	}
	return &t[sidx(1, gva)];
}

/* Write the leaf for gva, creating the tables on the way.  mark3 / mark2 go
 * into the PDPTE / PDE (SPTE_SPLIT...) so INVLPG knows a guest large page
 * was cut up below them. */
static int spt_install(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva, u64 leaf, u64 mark3,
		       u64 mark2)
{
	u64 *t = as->top;
	int top = top_level(ctx);

	for (int level = top; level > 1; level--) {
		u64 *e = &t[sidx(level, gva)];

		if (!(*e & PTE_P)) {
			u64 *child = spage_alloc(ctx, false);

			if (!child)
				return SHADOW_ENOMEM;
			*e = hpa_of(child) | nonleaf_bits(ctx, level);
		}
		if (level == 3)
			*e |= mark3;
		else if (level == 2)
			*e |= mark2;
		t = table_of(*e);
	}
	u64 old = t[sidx(1, gva)];

	t[sidx(1, gva)] = leaf;
	unsigned i = sidx(top, gva);

	/* A present non-global leaf here was logged when it was built. */
	if (!(leaf & PTE_G) && !((old & PTE_P) && !(old & PTE_G)))
		log_leaf(ctx, as, gva);

	if (!(leaf & PTE_G)) {
		as->nonglobal[i / 64] |= BIT(i % 64);
	} else if (!(as->global[i / 64] & BIT(i % 64))) {
		as->global[i / 64] |= BIT(i % 64);
		ctx->global_refs[i]++;
	}
	ctx->clean = false;
	return SHADOW_OK;
}

/*
 * INVLPG: the CPU drops the TLB entry for the page containing gva, and for a
 * large page that is the whole large page.  We shadow a large page as many
 * 4 KiB leaves, so we must drop all of them: the SPTE_SPLIT marks on the way
 * down say when.  (Linux flushes a 2 MiB mapping with one INVLPG.)
 */
static void spt_invlpg(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva)
{
	u64 *t = as->top;

	for (int level = top_level(ctx); level > 1; level--) {
		unsigned i = sidx(level, gva);
		u64 *e = &t[i];

		if (!(*e & PTE_P))
			return;
		if (*e & SPTE_SPLIT) {
			if (*e & SPTE_SPLIT_4M) /* a 4 MiB page covers this PDE and its buddy */
				spt_drop_entry(ctx, &t[i ^ 1], level);
			spt_drop_entry(ctx, e, level);
			return;
		}
		t = table_of(*e);
	}
	if (t[sidx(1, gva)] & PTE_P)
		tlb_stale(ctx);
	wss_note(ctx, t[sidx(1, gva)]);
	t[sidx(1, gva)] = 0;
}

/* Make every leaf that maps hpa read-only. */
static void spt_write_protect(struct shadow_ctx *ctx, u64 *t, int level, u64 hpa)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1) {
			spt_write_protect(ctx, table_of(t[i]), level - 1, hpa);
		} else if ((t[i] & PTE_ADDR) == hpa && (t[i] & PTE_RW)) {
			t[i] &= ~PTE_RW;
			tlb_stale(ctx);
		}
	}
}

/* ------------------------------------------------------------ the records */

/*
 * Records are found by root key through a chained hash, and those in use
 * are kept on a list in the order they were last loaded (the free ones on
 * a list of their own), so a CR3 load, a new root and an eviction cost the
 * same whatever the number of roots.  Loops over "every record" follow the
 * list, plus the paging-off record.
 */
#define NONE (-1)

static i16 as_index(const struct shadow_ctx *ctx, const struct shadow_as *as)
{
	return (i16)(as - ctx->as);
}

static unsigned as_bucket(u64 key)
{
	/* Fibonacci hashing: the key's bits 12 and up (5 and up for PAE) mix
	 * into the top bits of the product. */
	return (unsigned)(((key >> 5) * 0x9e3779b97f4a7c15ull) >> 32) & (SHADOW_AS_HASH - 1);
}

static void as_reset(struct shadow_as *as)
{
	memset(as, 0, sizeof(*as));
	as->root = SHADOW_NO_ROOT;
	as->hash_next = as->lru_prev = as->lru_next = NONE;
}

static void lru_unlink(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (as->lru_prev != NONE)
		ctx->as[as->lru_prev].lru_next = as->lru_next;
	else
		ctx->lru_head = as->lru_next;
	if (as->lru_next != NONE)
		ctx->as[as->lru_next].lru_prev = as->lru_prev;
	else
		ctx->lru_tail = as->lru_prev;
	as->lru_prev = as->lru_next = NONE;
}

static void lru_push_front(struct shadow_ctx *ctx, struct shadow_as *as)
{
	i16 i = as_index(ctx, as);

	as->lru_prev = NONE;
	as->lru_next = ctx->lru_head;
	if (ctx->lru_head != NONE)
		ctx->as[ctx->lru_head].lru_prev = i;
	else
		ctx->lru_tail = i;
	ctx->lru_head = i;
}

static void hash_remove(struct shadow_ctx *ctx, struct shadow_as *as)
{
	i16 *link = &ctx->hash[as_bucket(as->root)];
	i16 i = as_index(ctx, as);

	while (*link != i)
		link = &ctx->as[*link].hash_next;
	*link = as->hash_next;
}

/* Every record that may have a shadow: the paging-off one, then those in use. */
#define for_each_record(ctx, as)                                                  \
	for (struct shadow_as *as = &(ctx)->identity; as; as = next_record(ctx, as))

static struct shadow_as *next_record(struct shadow_ctx *ctx, struct shadow_as *as)
{
	i16 n = as == &ctx->identity ? ctx->lru_head : as->lru_next;

	return n == NONE ? NULL : &ctx->as[n];
}

/* Forget a record: tell its owner, free its shadow, free the slot. */
static void as_release(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (ctx->ops.as_evict)
		ctx->ops.as_evict(ctx->ops.opaque, as);
	as_free_shadow(ctx, as);
	hash_remove(ctx, as);
	lru_unlink(ctx, as);
	as_reset(as);
	as->lru_next = ctx->free_head;
	ctx->free_head = as_index(ctx, as);
}

/* Give back the shadows of every record but the loaded one. */
static void reclaim_others(struct shadow_ctx *ctx)
{
	for_each_record(ctx, as)
		if (as != ctx->cur)
			as_free_shadow(ctx, as);
}

u64 shadow_root_key(enum paging_mode mode, u64 cr3)
{
	switch (mode) {
	case PAGING_PAE:
		return cr3 & SHADOW_ROOT_MASK_PAE;
	case PAGING_32:
		return cr3 & SHADOW_ROOT_MASK_32;
	default:
		return cr3 & SHADOW_ROOT_MASK_LONG4;
	}
}

struct shadow_as *shadow_as_find(struct shadow_ctx *ctx, u64 root_key)
{
	if (root_key == SHADOW_NO_ROOT)
		return NULL;
	for (i16 i = ctx->hash[as_bucket(root_key)]; i != NONE; i = ctx->as[i].hash_next)
		if (ctx->as[i].root == root_key)
			return &ctx->as[i];
	return NULL;
}

struct shadow_as *shadow_as_current(struct shadow_ctx *ctx)
{
	return ctx->cur == &ctx->identity ? NULL : ctx->cur;
}

/* The record for a root: the existing one, a free slot, or the least
 * recently loaded record recycled. */
static struct shadow_as *as_get(struct shadow_ctx *ctx, u64 key)
{
	struct shadow_as *as = shadow_as_find(ctx, key);
	unsigned b = as_bucket(key);

	if (as)
		return as;
	if (ctx->free_head == NONE) {
		struct shadow_as *victim = &ctx->as[ctx->lru_tail];

		if (victim == ctx->cur) /* only with a table of one */
			victim = &ctx->as[victim->lru_prev];
		as_release(ctx, victim);
		ctx->stats.as_evictions++;
	}
	as = &ctx->as[ctx->free_head];
	ctx->free_head = as->lru_next;
	as->lru_next = NONE;
	as->root = key;
	as->gen = ++ctx->next_gen;
	as->flush_gen = ctx->flush_gen; /* empty, so valid */
	as->hash_next = ctx->hash[b];
	ctx->hash[b] = as_index(ctx, as);
	lru_push_front(ctx, as);
	return as;
}

int shadow_as_drop(struct shadow_ctx *ctx, u64 root_key)
{
	struct shadow_as *as = shadow_as_find(ctx, root_key);

	if (!as)
		return SHADOW_EINVAL;
	if (as == ctx->cur)
		return SHADOW_EBUSY;
	as_release(ctx, as);
	return SHADOW_OK;
}

/* ------------------------------------------------------------ public calls */

static void wl_free(struct shadow_ctx *ctx); /* "where a page is writable", below */

int shadow_init(struct shadow_ctx *ctx, const struct shadow_ops *ops, const struct gmem *gm,
		enum shadow_policy policy)
{
	memset(ctx, 0, sizeof(*ctx));
	/* Shadow leaves hold base + gpa: the base must be page aligned. */
	if ((u64)(uintptr_t)gm->base & (PAGE_SIZE - 1))
		return SHADOW_EINVAL;
	ctx->ops = *ops;
	ctx->gm = gm;
	ctx->policy = policy;
	ctx->paging.mode = PAGING_NONE;
	ctx->paging.maxphyaddr = 36;
	as_reset(&ctx->identity);
	for (int i = 0; i < SHADOW_MAX_AS; i++) {
		as_reset(&ctx->as[i]);
		ctx->as[i].lru_next = i + 1 < SHADOW_MAX_AS ? (i16)(i + 1) : NONE;
	}
	for (int i = 0; i < SHADOW_AS_HASH; i++)
		ctx->hash[i] = NONE;
	ctx->free_head = 0;
	ctx->lru_head = ctx->lru_tail = NONE;
	ctx->cur = &ctx->identity;
	return SHADOW_OK;
}

void shadow_destroy(struct shadow_ctx *ctx)
{
	for (int i = 0; i < SHADOW_MAX_AS; i++)
		if (ctx->as[i].root != SHADOW_NO_ROOT)
			as_release(ctx, &ctx->as[i]);
	as_free_shadow(ctx, &ctx->identity);
	wl_free(ctx);
	ctx->cur = NULL;
}

u64 shadow_host_cr3(const struct shadow_ctx *ctx)
{
	return ctx->cur && ctx->cur->top ? hpa_of(ctx->cur->top) : 0;
}

/* Make `as` the loaded record, with a top; 0 if no page could be found. */
static u64 make_current(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (ctx->policy == SHADOW_REFERENCE && ctx->cur && ctx->cur != as)
		as_free_shadow(ctx, ctx->cur); /* the reference keeps one shadow only */
	as_make_valid(ctx, as);
	ctx->cur = as;
	if (as_ensure_top(ctx, as) < 0) {
		reclaim_others(ctx);
		if (as_ensure_top(ctx, as) < 0) {
			ctx->stats.nomem++;
			return 0;
		}
	}
	return hpa_of(as->top);
}

/* A root becomes the guest's address space (MOV to CR3, or paging turned on). */
static u64 load_root(struct shadow_ctx *ctx, u64 key)
{
	struct shadow_as *as = as_get(ctx, key);

	ctx->stats.cr3_loads++;
	as->cr3_loads++;
	as->last_load = ctx->stats.cr3_loads;
	lru_unlink(ctx, as);
	lru_push_front(ctx, as);
	as_make_valid(ctx, as);
	/* A CR3 load flushes the guest's non-global translations, so the shadow
	 * of the root loaded must not keep any (the reference keeps nothing). */
	if (ctx->policy == SHADOW_REFERENCE)
		as_clear(ctx, as);
	else if (as->top)
		as_drop_nonglobal(ctx, as);
	return make_current(ctx, as);
}

u64 shadow_cr3_load(struct shadow_ctx *ctx, u64 guest_cr3)
{
	ctx->paging.cr3 = guest_cr3;
	if (ctx->paging.mode == PAGING_NONE)
		return make_current(ctx, &ctx->identity); /* CR3 is not used yet */
	return load_root(ctx, shadow_root_key(ctx->paging.mode, guest_cr3));
}

/*
 * Lazily: the loaded shadow is emptied now, every other one is marked stale
 * (a new ctx->flush_gen) and emptied when it is loaded next, so a flush costs
 * the loaded root's tables, not every root's.  A stale shadow is never
 * loaded and never built on; INVLPG and watching skip it.  Linux's global
 * flush toggles CR4.PGE off and on: two flushes back to back, the second
 * with nothing to do (ctx->clean).
 */
void shadow_flush_all(struct shadow_ctx *ctx)
{
	if (ctx->clean) {
		ctx->stats.flushes_skipped++;
		return;
	}
	ctx->flush_gen++;
	memset(ctx->global_refs, 0, sizeof(ctx->global_refs));
	if (ctx->cur)
		as_make_valid(ctx, ctx->cur);
	tlb_stale(ctx); /* other roots' entries too, with VPID */
	ctx->clean = true;
	ctx->stats.flushes++;
}

u64 shadow_set_paging(struct shadow_ctx *ctx, const struct guest_paging *pg)
{
	const struct guest_paging old = ctx->paging;
	bool changed = old.mode != pg->mode || old.wp != pg->wp || old.pse != pg->pse ||
		       old.pge != pg->pge || old.smep != pg->smep || old.smap != pg->smap ||
		       old.nxe != pg->nxe || old.maxphyaddr != pg->maxphyaddr;
	bool new_format = (old.mode == PAGING_LONG4) != (pg->mode == PAGING_LONG4);

	/* Changing PG, WP, PAE, PSE, PGE, SMEP or NXE flushes the whole TLB,
	 * global entries too (SDM 4.10.4.1); we flush on any change, which is
	 * never wrong.  A new shadow format also needs new tops. */
	if (new_format) {
		for_each_record(ctx, as)
			as_free_shadow(ctx, as);
		ctx->stats.flushes++;
	} else if (changed) {
		shadow_flush_all(ctx);
	}
	ctx->paging = *pg;

	if (pg->mode == PAGING_NONE)
		return make_current(ctx, &ctx->identity);
	u64 key = shadow_root_key(pg->mode, pg->cr3);

	if (ctx->cur == &ctx->identity || !ctx->cur || ctx->cur->root != key)
		return load_root(ctx, key);
	return make_current(ctx, ctx->cur);
}

void shadow_invlpg(struct shadow_ctx *ctx, u64 gva)
{
	unsigned i = sidx(top_level(ctx), gva);

	ctx->stats.invlpgs++;
	if (ctx->cur && ctx->cur->top)
		spt_invlpg(ctx, ctx->cur, gva);
	/* Other shadows too, but only for global translations, which the cached
	 * policy keeps across CR3 loads: their non-global leaves are dropped
	 * when they are loaded next.  global_refs says at once whether any
	 * valid shadow has a global leaf under gva's top-level slot (never for
	 * user addresses under Linux). */
	if (!ctx->global_refs[i])
		return;
	for_each_record(ctx, as)
		if (as != ctx->cur && as->top && as_valid(ctx, as) &&
		    (as->global[i / 64] & BIT(i % 64)))
			spt_invlpg(ctx, as, gva);
}

/* ---------------------------------------------------------------- watching */

/* Index of the first watched page >= page (binary search in the sorted set). */
static u32 watch_lower_bound(const struct shadow_ctx *ctx, u64 page)
{
	u32 lo = 0, hi = ctx->nwatched;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (ctx->watched[mid] < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool shadow_is_watched(const struct shadow_ctx *ctx, u64 gpa)
{
	u64 page = gpa & ~(PAGE_SIZE - 1);
	u32 i = watch_lower_bound(ctx, page);

	return i < ctx->nwatched && ctx->watched[i] == page;
}

/*
 * Where a page is writable.  Watching a page must take away every writable
 * shadow leaf that maps it, in every record.  Searching all shadow tables
 * for them reads every entry of up to SHADOW_MAX_AS trees (Linux guests: a
 * few hundred leaf tables each), and Antfarm watches the root of every new
 * process: in Bochs that search cost ~0.4 s of emulated time per creation.
 * So for each guest page we remember the linear page through which we last
 * built a writable leaf for it (shadow_page_fault(), the only place leaves
 * are built):
 *   0               no writable leaf built since the page was last watched
 *   gva | WL_ONE    all through this one linear page (in any records): a
 *                   watch looks up that gva in each record, 4 reads each
 *   WL_MANY         through several: a watch searches everything, as before
 * Linux writes a new page-table root through its direct map only, so the
 * common case is WL_ONE.  Notes live in pages allocated on first use (one
 * page covers 2 MiB of guest RAM); RAM above WL_MAX_GPA, or a note we had
 * no page for (wl_lost), means the full search.  Stale notes (the leaf was
 * dropped or rebuilt since) are harmless: the lookup checks the leaf.
 */
#define WL_ONE BIT(0)
#define WL_MANY BIT(1)

static u64 *wl_note_of(struct shadow_ctx *ctx, u64 gpa, bool make)
{
	u64 pfn = gpa >> PAGE_SHIFT;
	u64 **dir;

	if (gpa >= WL_MAX_GPA)
		return NULL;
	dir = &ctx->wl_dir[pfn / WL_PER_PAGE];
	if (!*dir && make) {
		*dir = ctx->ops.alloc_page(ctx->ops.opaque, false);
		if (*dir)
			memset(*dir, 0, PAGE_SIZE);
	}
	return *dir ? &(*dir)[pfn % WL_PER_PAGE] : NULL;
}

/* A writable leaf for the page at gpa was built at linear address gva. */
static void wl_note(struct shadow_ctx *ctx, u64 gpa, u64 gva)
{
	u64 *n = wl_note_of(ctx, gpa, true);
	u64 v = (gva & ~(PAGE_SIZE - 1)) | WL_ONE;

	if (!n) {
		ctx->wl_lost = true;
		return;
	}
	if (*n == 0)
		*n = v;
	else if (*n != v)
		*n = WL_MANY;
}

static void wl_free(struct shadow_ctx *ctx)
{
	for (u64 i = 0; i < WL_DIR_SIZE; i++)
		if (ctx->wl_dir[i]) {
			ctx->ops.free_page(ctx->ops.opaque, ctx->wl_dir[i]);
			ctx->wl_dir[i] = NULL;
		}
}

/* Take write access to the page at hpa away from the leaf for gva in every
 * record that has one. */
static void write_protect_at(struct shadow_ctx *ctx, u64 gva, u64 hpa)
{
	for_each_record(ctx, as) {
		u64 *leaf = as->top && as_valid(ctx, as) ? spt_lookup(ctx, as, gva) : NULL;

		if (leaf && (*leaf & PTE_P) && (*leaf & PTE_RW) && (*leaf & PTE_ADDR) == hpa) {
			*leaf &= ~PTE_RW;
			tlb_stale(ctx);
		}
	}
}

/* Take write access to the page at hpa away from every shadow leaf. */
static void write_protect_everywhere(struct shadow_ctx *ctx, u64 gpa, u64 hpa)
{
	u64 *n = wl_note_of(ctx, gpa, false);

	if (ctx->wl_lost || gpa >= WL_MAX_GPA || (n && (*n & WL_MANY))) {
		ctx->stats.watch_walks++;
		for_each_record(ctx, as) /* a stale shadow is emptied before use */
			if (as->top && as_valid(ctx, as))
				spt_write_protect(ctx, as->top, top_level(ctx), hpa);
	} else {
		ctx->stats.watch_quick++;
		if (n && (*n & WL_ONE))
			write_protect_at(ctx, *n & ~(PAGE_SIZE - 1), hpa);
	}
	/* No writable leaf for it is left, and none is built while watched. */
	if (n)
		*n = 0;
}

int shadow_watch(struct shadow_ctx *ctx, u64 gpa)
{
	u64 page = gpa & ~(PAGE_SIZE - 1);
	u32 i = watch_lower_bound(ctx, page);

	if (!gpa_ptr(ctx->gm, page, PAGE_SIZE))
		return SHADOW_EINVAL;
	if (i < ctx->nwatched && ctx->watched[i] == page)
		return SHADOW_OK;
	if (ctx->nwatched == SHADOW_MAX_WATCH)
		return SHADOW_ENOSPC;
	memmove(&ctx->watched[i + 1], &ctx->watched[i], (ctx->nwatched - i) * sizeof(u64));
	ctx->watched[i] = page;
	ctx->nwatched++;

	/* Leaves built before the watch may be writable: take that back. */
	write_protect_everywhere(ctx, page, gpa_to_hpa(ctx->gm, page));
	return SHADOW_OK;
}

void shadow_unwatch(struct shadow_ctx *ctx, u64 gpa)
{
	u64 page = gpa & ~(PAGE_SIZE - 1);
	u32 i = watch_lower_bound(ctx, page);

	/* Read-only leaves stay; the next write faults and finds the page
	 * unwatched, which makes the leaf writable. */
	if (i < ctx->nwatched && ctx->watched[i] == page) {
		memmove(&ctx->watched[i], &ctx->watched[i + 1],
			(ctx->nwatched - i - 1) * sizeof(u64));
		ctx->nwatched--;
	}
}

/* -------------------------------------------------------- working-set size */

static bool frame_marked(const u64 *map, u64 gpa)
{
	return map && (map[gpa >> (PAGE_SHIFT + 6)] & BIT((gpa >> PAGE_SHIFT) & 63));
}

/* shadow_harvest() on one table of `level` and everything below it.  Runs
 * over every shadow leaf at every sample: kept short. */
static u64 spt_harvest(struct shadow_ctx *ctx, u64 *t, int level, u64 *seen, const u64 *drop)
{
	u64 base = gpa_to_hpa(ctx->gm, 0), size = ctx->gm->size, n = 0;

	for (int i = 0; i < 512; i++) {
		u64 e = t[i], gpa;

		if (!(e & PTE_P))
			continue;
		if (level > 1) {
			n += spt_harvest(ctx, table_of(e), level - 1, seen, drop);
			continue;
		}
		n++;
		gpa = (e & PTE_ADDR) - base;
		if (gpa >= size) /* cannot happen: leaves map guest RAM */
			continue;
		if (e & PTE_A) {
			seen[gpa >> (PAGE_SHIFT + 6)] |= BIT((gpa >> PAGE_SHIFT) & 63);
			t[i] = e & ~PTE_A;
		}
		if (drop && frame_marked(drop, gpa))
			t[i] = 0;
	}
	return n;
}

u64 shadow_harvest(struct shadow_ctx *ctx, u64 *seen, const u64 *drop)
{
	u64 n = 0;

	for_each_record(ctx, as)
		if (as->top)
			n += spt_harvest(ctx, as->top, top_level(ctx), seen, drop);
	tlb_stale(ctx); /* the CPU must walk again to set A */
	return n;
}

/* ------------------------------------------------------------- the #PF exit */

bool shadow_take_tlb_flush(struct shadow_ctx *ctx)
{
	bool f = ctx->tlb_flush;

	ctx->tlb_flush = false;
	return f;
}

enum walk_status shadow_translate(struct shadow_ctx *ctx, u64 gva, u32 access,
				  struct walk_result *res)
{
	return walk_guest(ctx->gm, &ctx->paging, gva, access, res);
}

/* The shadow leaf for a successful guest walk (invariants 1 and 3). */
static u64 make_leaf(const struct shadow_ctx *ctx, const struct walk_result *w, bool watched)
{
	u64 leaf = gpa_to_hpa(ctx->gm, w->page_gpa) | PTE_P | PTE_A | w->memtype;

	if (w->us)
		leaf |= PTE_US;
	if (w->nx)
		leaf |= PTE_NX; /* the CPU runs with EFER.NXE = 1 */
	if (w->global)
		leaf |= PTE_G;
	/* Writable only once the guest's D flag is set: until then a write must
	 * exit so that walk_guest() sets D, as the CPU would have. */
	if (w->rw && w->dirty && !watched)
		leaf |= PTE_RW | PTE_D;
	return leaf;
}

/* Why an empty leaf had to be filled (shadow_stats): a root's first life,
 * or a refill after a CR3 load or flush; kernel (upper) or user half. */
static void count_fill(struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva)
{
	bool upper = fmt_long4(ctx) ? gva >> 47 & 1 : gva >> 31 & 1;

	if (as->cr3_loads <= 1)
		upper ? ctx->stats.fill_new_kernel++ : ctx->stats.fill_new_user++;
	else
		upper ? ctx->stats.fill_switch_kernel++ : ctx->stats.fill_switch_user++;
}

enum shadow_fault_kind shadow_page_fault(struct shadow_ctx *ctx, u64 gva, u32 error_code,
					 bool rflags_ac, struct shadow_fault *out)
{
	struct walk_result *w = &out->walk;
	struct shadow_as *as = ctx->cur;
	u32 access = (error_code & WALK_ACCESS_MASK) | (rflags_ac ? WALK_AC : 0);
	u64 mark3 = 0, mark2 = 0, leaf, old = 0, *slot;
	bool watched;
	int r;

	memset(out, 0, sizeof(*out));
	ctx->stats.faults++;
	/* We never set a reserved bit, and a shadow must be loaded to fault. */
	if (!as || !as->top || (error_code & PFEC_RSVD))
		return out->kind = SHADOW_INCONSISTENT;
	as->faults++;

	switch (walk_guest(ctx->gm, &ctx->paging, gva, access, w)) {
	case WALK_OK:
		break;
	case WALK_FAULT:
		ctx->stats.injected++;
		out->error_code = w->error_code;
		return out->kind = SHADOW_INJECT;
	case WALK_BAD_TABLE:
		ctx->stats.bad_gpa++;
		out->gpa = w->bad_gpa;
		out->bad_table = true;
		return out->kind = SHADOW_BAD_GPA;
	case WALK_RETRY:
		return out->kind = SHADOW_FIXED; /* nothing built: the access re-runs */
	default:
		return out->kind = SHADOW_INCONSISTENT; /* no #PF at a non-canonical address */
	}

	if (!gpa_ptr(ctx->gm, w->page_gpa, PAGE_SIZE)) {
		ctx->stats.bad_gpa++;
		out->gpa = w->gpa;
		return out->kind = SHADOW_BAD_GPA;
	}
	/* The walk allowed a write to a read-only page: only CR0.WP = 0 does
	 * that, and the CPU runs with WP = 1. */
	if ((access & WALK_WRITE) && !w->rw)
		return out->kind = SHADOW_UNSUPPORTED;

	watched = shadow_is_watched(ctx, w->page_gpa);
	leaf = make_leaf(ctx, w, watched);
	slot = spt_lookup(ctx, as, gva);
	if (slot)
		old = *slot;
	/* The CPU refused an access through this very leaf, and the guest's
	 * tables allow it: rewriting the same leaf would fault forever.  (Its
	 * A flag may be clear after shadow_harvest(); that changes nothing.) */
	if ((error_code & PFEC_P) && (old | PTE_A) == leaf && !(watched && (access & WALK_WRITE)))
		return out->kind = SHADOW_INCONSISTENT;

	if (w->page_size == (1ull << 30))
		mark3 = SPTE_SPLIT;
	else if (w->page_size == (2ull << 20))
		mark2 = SPTE_SPLIT;
	else if (w->page_size == (4ull << 20))
		mark2 = SPTE_SPLIT | SPTE_SPLIT_4M;

	/* Out of pages: give back other roots' shadows, then our own, then fail. */
	r = spt_install(ctx, as, gva, leaf, mark3, mark2);
	if (r == SHADOW_ENOMEM) {
		reclaim_others(ctx);
		r = spt_install(ctx, as, gva, leaf, mark3, mark2);
	}
	if (r == SHADOW_ENOMEM) {
		as_clear(ctx, as);
		r = spt_install(ctx, as, gva, leaf, mark3, mark2);
	}
	if (r == SHADOW_ENOMEM) {
		ctx->stats.nomem++;
		return out->kind = SHADOW_NOMEM;
	}

	if (watched && (access & WALK_WRITE)) {
		ctx->stats.watched_writes++;
		out->gpa = w->gpa;
		return out->kind = SHADOW_WATCHED_WRITE;
	}
	if (leaf & PTE_RW)
		wl_note(ctx, w->page_gpa, gva);
	ctx->stats.fixed++;
	if ((old & PTE_P) && !(old & PTE_RW) && (leaf & PTE_RW))
		ctx->stats.dirty_upgrades++;
	else if (!(old & PTE_P))
		count_fill(ctx, as, gva);
	return out->kind = SHADOW_FIXED;
}

/* ------------------------------------------------- the real control registers */

u64 shadow_real_cr0(u64 guest_cr0)
{
	/* Paging is always on under shadow paging, and WP always on so that
	 * read-only shadow entries bind the guest kernel too. */
	return guest_cr0 | CR0_PG | CR0_WP;
}

u64 shadow_real_cr4(u64 guest_cr4, u64 guest_cr0)
{
	u64 r = guest_cr4 & ~(CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_PCIDE | CR4_PKE |
			      CR4_LA57);

	r |= CR4_PAE; /* both shadow formats are PAE-style entries */
	/* The CPU checks SMEP and SMAP against the shadow's U/S bits, which are
	 * the guest's: so they are the guest's settings, but only while its
	 * paging is on (they mean nothing with paging off, and the identity
	 * shadow's pages are all user pages). */
	if (guest_cr0 & CR0_PG)
		r |= guest_cr4 & (CR4_PGE | CR4_SMEP | CR4_SMAP);
	return r;
}

u64 shadow_real_efer(u64 guest_efer, u64 guest_cr0)
{
	u64 r = (guest_efer & ~(EFER_LME | EFER_LMA)) | EFER_NXE;

	/* Long mode exactly when the guest is in it (LMA = LME && PG); a guest
	 * with LME set and paging off runs in PAE mode on the identity shadow. */
	if ((guest_efer & EFER_LME) && (guest_cr0 & CR0_PG))
		r |= EFER_LME | EFER_LMA;
	return r;
}
