/*
 * roots.c - the per-root cache of shadows: one record per page-table root
 * the guest loads into CR3, found through a hash, kept in LRU order.
 *
 * Why: a guest switches among a few hundred address spaces, and a shadow
 * rebuilt from nothing at every switch (SHADOW_REFERENCE) refaults the
 * whole working set each time.  SHADOW_CACHED keeps each root's shadow and
 * drops at a CR3 load only what the load flushes on a real CPU (the
 * non-global leaves: the leaf log names them), at INVLPG only what can hold
 * the address, and at a whole flush only the loaded root's (the others
 * lazily, by generation).  The records are also where Antfarm hangs its
 * per-process state (as->ext).
 */
#include "types.h"
#include "string.h"
#include "mm/shadow_impl.h"

/* ------------------------------------------------------------ a record's shadow */

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
void as_clear(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (as->top)
		for (int i = 0; i < 512; i++)
			spt_drop_entry(ctx, &as->top[i], top_level(ctx));
	as_forget_slots(ctx, as);
	if (as->log)
		as->log[0] = 0;
	sync_forget(ctx, as);
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
void as_free_shadow(struct shadow_ctx *ctx, struct shadow_as *as)
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
	if (ctx->policy == SHADOW_REFERENCE || (ctx->policy == SHADOW_CACHED && !ctx->leaf_log))
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
			u64 *leaf = spt_lookup(ctx, as, as->log[k], NULL); /* PTE or large PDE */

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

/* spt_install() wrote a leaf for gva over old: note what the record must
 * know of it (which top-level slots hold global and non-global leaves; the
 * leaf log), and that the context is no longer clean. */
void as_note_leaf(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva, u64 leaf, u64 old)
{
	unsigned i = sidx(top_level(ctx), gva);

	/* A present non-global leaf here was logged when it was built.  The
	 * synced policy logs only the leaves it could not record (below). */
	if (!(leaf & PTE_G) && !((old & PTE_P) && !(old & PTE_G)) && ctx->policy != SHADOW_SYNCED)
		log_leaf(ctx, as, gva);

	if (!(leaf & PTE_G)) {
		if (ctx->policy != SHADOW_SYNCED)
			as->nonglobal[i / 64] |= BIT(i % 64);
	} else if (!(as->global[i / 64] & BIT(i % 64))) {
		as->global[i / 64] |= BIT(i % 64);
		ctx->global_refs[i]++;
	}
	ctx->clean = false;
}

/* Synced policy: a non-global leaf built without a record of its guest
 * tables (synced.c was full) is not kept in sync, so the next CR3 load must
 * drop it, as under the cached policy. */
void as_note_unsynced(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva)
{
	unsigned i = sidx(top_level(ctx), gva);

	ctx->stats.sync_unsynced++;
	as->nonglobal[i / 64] |= BIT(i % 64);
	log_leaf(ctx, as, gva);
}

/* ------------------------------------------------------------ the records */

/*
 * Records are found by root key through a chained hash, and those in use
 * are kept on a list in the order they were last loaded (the free ones on
 * a list of their own), so a CR3 load, a new root and an eviction cost the
 * same whatever the number of roots.  Loops over "every record" follow the
 * list, plus the paging-off record.
 */

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
	as->sync_head = NONE;
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
void reclaim_others(struct shadow_ctx *ctx)
{
	for_each_record(ctx, as)
		if (as != ctx->cur)
			as_free_shadow(ctx, as);
}

/*
 * A new policy at run time (formica.cfg's shadow =, or the mark port, so one
 * boot can time both).  Every shadow is emptied first, which is always
 * allowed (a TLB may drop any entry at any time) and needed: the reference
 * policy keeps one shadow only, and the cached policy's leaf logs know
 * nothing of the leaves the reference built, so a root kept across the
 * switch could keep non-global leaves past its next CR3 load.
 */
void shadow_set_policy(struct shadow_ctx *ctx, enum shadow_policy policy)
{
	if (policy == ctx->policy)
		return;
	ctx->policy = policy;
	empty_all(ctx);
}

/* Empty every shadow: free the others, keep the loaded one's top (and so
 * GUEST_CR3). */
void empty_all(struct shadow_ctx *ctx)
{
	for_each_record(ctx, as)
		if (as != ctx->cur)
			as_free_shadow(ctx, as);
	if (ctx->cur)
		as_clear(ctx, ctx->cur);
	tlb_stale(ctx);
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
	ctx->large_leaves = true;
	ctx->sync_young = SYNC_YOUNG_LOADS;
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
	sync_destroy(ctx);
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
	if (as->sync_unsync)
		sync_resync(ctx, as); /* synced: its page tables let out of sync */
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
