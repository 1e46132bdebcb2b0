/*
 * spt.c - shadow page tables: the pages and the trees made of them.
 *
 * Why a file of its own: whatever policy decides WHEN shadow entries are
 * built and dropped (roots.c, shadow.c), the tables themselves work one way:
 * a tree of PAE-format pages whose upper entries grant everything and whose
 * leaves alone decide (invariants 1-3 in shadow.c), built on the way down
 * to a leaf, freed from the top, swept, searched and harvested.  Nothing
 * here knows about records' caching, CR3 loads or watched pages.
 */
#include "types.h"
#include "string.h"
#include "mm/shadow_impl.h"

/* ------------------------------------------------------------ shadow pages */

u64 *spage_alloc(struct shadow_ctx *ctx, bool below_4g)
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

void spage_free(struct shadow_ctx *ctx, u64 *p)
{
	ctx->ops.free_page(ctx->ops.opaque, p);
	ctx->stats.pages--;
	tlb_stale(ctx); /* its paging-structure cache entries must go with it */
}

/* ---------------------------------------------------------- shadow trees */

/* What a shadow table pointer grants: everything (invariant 2).  A PAE PDPTE
 * has only P (R/W, U/S and A are reserved there, SDM table 4-8). */
static u64 nonleaf_bits(const struct shadow_ctx *ctx, int level)
{
	if (!fmt_long4(ctx) && level == 3)
		return PTE_P;
	return PTE_P | PTE_RW | PTE_US | PTE_A;
}

/* A leaf is going away: if working-set harvesting is on and the CPU used
 * the leaf since the last harvest, remember its guest page (shadow_harvest). */
void wss_note(struct shadow_ctx *ctx, u64 leaf)
{
	u64 gpa = (leaf & PTE_ADDR) - gpa_to_hpa(ctx->gm, 0);

	if (ctx->wss_seen && (leaf & (PTE_P | PTE_A)) == (PTE_P | PTE_A) && gpa < ctx->gm->size)
		ctx->wss_seen[gpa >> (PAGE_SHIFT + 6)] |= BIT((gpa >> PAGE_SHIFT) & 63);
}

/* Free the table a present entry of `level` points to, and all below it.
 * A large leaf below is a leaf: nothing under it is a table.  (wss_note
 * never meets one: no large leaf exists while harvesting, shadow.c.) */
static void spt_free_below(struct shadow_ctx *ctx, u64 e, int level)
{
	u64 *t = table_of(e);

	if (level > 2)
		for (int i = 0; i < 512; i++)
			if ((t[i] & PTE_P) && !spte_large(t[i], level - 1))
				spt_free_below(ctx, t[i], level - 1);
	if (level == 2 && ctx->wss_seen)
		for (int i = 0; i < 512; i++)
			wss_note(ctx, t[i]);
	spage_free(ctx, t);
}

void spt_drop_entry(struct shadow_ctx *ctx, u64 *e, int level)
{
	if (!(*e & PTE_P))
		return;
	if (level > 1 && !spte_large(*e, level))
		spt_free_below(ctx, *e, level);
	*e = 0;
}

/* The entry of `level` for gva, or NULL if the path to it is not there; a
 * large leaf on the way is the answer instead (*at says the level found). */
static u64 *spt_entry_at(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva,
			 int level, int *at)
{
	u64 *t = as->top;

	for (int l = top_level(ctx); l > level; l--) {
		u64 *e = &t[sidx(l, gva)];

		if (!(*e & PTE_P))
			return NULL;
		if (spte_large(*e, l)) {
			*at = l;
			return e;
		}
		t = table_of(*e);
	}
	*at = level;
	return &t[sidx(level, gva)];
}

/* The leaf for gva: a PTE, or the large PDE that maps gva (then *level is 2;
 * level may be NULL); NULL if the path to it is not there. */
u64 *spt_lookup(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva, int *level)
{
	int at;
	u64 *e = spt_entry_at(ctx, as, gva, 1, &at);

	if (level)
		*level = at;
	return e;
}

/* Linear bytes one shadow entry of `level` maps (both formats: 9 bits a level). */
static u64 sspan(int level)
{
	return PAGE_SIZE << (9 * (level - 1));
}

/*
 * Drop every shadow entry for the linear range [start, start + len) of as,
 * with the tables below: a range a guest entry maps (4 KiB, 2 or 4 MiB,
 * 1 GiB, 512 GiB; aligned to its size), so it is a few whole shadow entries
 * of the largest level that fits.  Returns how many present ones went.
 */
u64 spt_zap_range(struct shadow_ctx *ctx, struct shadow_as *as, u64 start, u64 len)
{
	u64 n = 0;

	while (len >= PAGE_SIZE) {
		int level = 1;

		while (level < top_level(ctx) && len >= sspan(level + 1) &&
		       !(start & (sspan(level + 1) - 1)))
			level++;
		int at;
		u64 *e = spt_entry_at(ctx, as, start, level, &at);
		/* PTEs: the rest of the run in this page table without walking
		 * again (a resync drops runs of them); no page table there: none
		 * of its 2 MiB has a PTE to drop. */
		u64 step = sspan(level), next2m = (start | (sspan(2) - 1)) + 1;

		if (level == 1 && (!e || at == 1))
			step = next2m - start < len ? next2m - start : len & ~(PAGE_SIZE - 1);
		for (u64 off = 0; e && at == 1 && off < step; off += PAGE_SIZE, e++)
			if (*e & PTE_P) {
				wss_note(ctx, *e);
				spt_drop_entry(ctx, e, 1);
				tlb_stale(ctx);
				n++;
			}
		/* A large leaf over a smaller range goes whole: never wrong. */
		if (e && at > 1 && (*e & PTE_P)) {
			spt_drop_entry(ctx, e, at);
			tlb_stale(ctx);
			n++;
		}
		start += step;
		len -= step;
	}
	return n;
}

/* Write the leaf of leaf_level (1: a PTE; 2: a large leaf, PS set) for gva,
 * creating the tables on the way.  mark3 / mark2 go into the PDPTE / PDE
 * (SPTE_SPLIT...) so INVLPG knows a guest large page was cut up below them
 * (a large leaf carries its own).  A PTE where a large leaf is replaces it
 * (a table takes its place); a large leaf where a table is frees the table. */
int spt_install(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva, u64 leaf, int leaf_level,
		u64 mark3, u64 mark2)
{
	u64 *t = as->top;
	int top = top_level(ctx);

	for (int level = top; level > leaf_level; level--) {
		u64 *e = &t[sidx(level, gva)];

		if (spte_large(*e, level)) {
			*e = 0;
			tlb_stale(ctx);
		}
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
	u64 *e = &t[sidx(leaf_level, gva)], old = *e;

	if (leaf_level > 1 && (old & PTE_P) && !spte_large(old, leaf_level)) {
		spt_drop_entry(ctx, e, leaf_level); /* a table: its leaves go */
		old = 0;
	}
	*e = leaf;
	as_note_leaf(ctx, as, gva, leaf, old);
	return SHADOW_OK;
}

/* Cached policy, on a CR3 load: drop the non-global leaves under the top-level
 * slots that have some (the tables stay; they are reused). */
void spt_sweep_nonglobal(struct shadow_ctx *ctx, u64 *t, int level)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1 && !spte_large(t[i], level)) {
			spt_sweep_nonglobal(ctx, table_of(t[i]), level - 1);
		} else if (!(t[i] & PTE_G)) {
			wss_note(ctx, t[i]);
			t[i] = 0;
			tlb_stale(ctx);
		}
	}
}

/*
 * INVLPG: the CPU drops the TLB entry for the page containing gva, and for a
 * large page that is the whole large page.  We may shadow a large page as
 * many 4 KiB leaves, so we must drop all of them: the SPTE_SPLIT marks on
 * the way down say when.  (Linux flushes a 2 MiB mapping with one INVLPG.)
 * A large leaf on the way is gva's leaf: it goes (with its 4 MiB buddy).
 */
void spt_invlpg(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva)
{
	u64 *t = as->top;

	for (int level = top_level(ctx); level > 1; level--) {
		unsigned i = sidx(level, gva);
		u64 *e = &t[i];

		if (!(*e & PTE_P))
			return;
		if ((*e & SPTE_SPLIT) || spte_large(*e, level)) {
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

/* Take write access to the page at hpa away from the leaf *e of `level`, if
 * it maps that page writable: a PTE becomes read-only, a large leaf goes
 * (its other 511 pages must stay writable; they refault as 4 KiB leaves). */
void spt_unwrite_leaf(struct shadow_ctx *ctx, u64 *e, int level, u64 hpa)
{
	if (!leaf_maps(*e, level, hpa) || !(*e & PTE_RW))
		return;
	if (level > 1)
		*e = 0;
	else
		*e &= ~PTE_RW;
	tlb_stale(ctx);
}

/* Make every leaf that maps hpa read-only (or drop it, if large). */
void spt_write_protect(struct shadow_ctx *ctx, u64 *t, int level, u64 hpa)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1 && !spte_large(t[i], level))
			spt_write_protect(ctx, table_of(t[i]), level - 1, hpa);
		else
			spt_unwrite_leaf(ctx, &t[i], level, hpa);
	}
}

/* -------------------------------------------------------- working-set size */

static bool frame_marked(const u64 *map, u64 gpa)
{
	return map && (map[gpa >> (PAGE_SHIFT + 6)] & BIT((gpa >> PAGE_SHIFT) & 63));
}

/* shadow_harvest() on one table of `level` and everything below it.  Runs
 * over every shadow leaf at every sample: kept short.  A large leaf (built
 * before harvesting began) is dropped unseen: its A flag says only that
 * some page of 2 MiB was used, and samples are 4 KiB exact; its pages
 * refault as 4 KiB leaves, which count from then on. */
u64 spt_harvest(struct shadow_ctx *ctx, u64 *t, int level, u64 *seen, const u64 *drop)
{
	u64 base = gpa_to_hpa(ctx->gm, 0), size = ctx->gm->size, n = 0;

	for (int i = 0; i < 512; i++) {
		u64 e = t[i], gpa;

		if (!(e & PTE_P))
			continue;
		if (spte_large(e, level)) {
			t[i] = 0;
			continue;
		}
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
