/*
 * shadow_impl.h - what the shadow pager's files share, and nobody else:
 * hv/mm/shadow.c (the #PF exit), spt.c (the shadow tables), roots.c (the
 * per-root cache of shadows), watch.c (the write-watched pages) and
 * synced.c (the synced policy's write-protected guest tables).  The
 * public interface is shadow.h; hv/mm/README.md tells the idea.
 * Why a header of its own: the split is by concept, but the concepts meet
 * in a few small helpers (a table's entries, a record's validity, "every
 * record"), and those must be one definition, not four copies.
 */
#ifndef FORMICA_MM_SHADOW_IMPL_H
#define FORMICA_MM_SHADOW_IMPL_H

#include "types.h"
#include "mm/shadow.h"

/* A shadow table page's host-physical address is its pointer (the hv
 * identity-maps memory), and an entry's address bits point at a table. */
static inline u64 hpa_of(const void *p)
{
	return (u64)(uintptr_t)p;
}

static inline u64 *table_of(u64 e)
{
	return (u64 *)(uintptr_t)(e & PTE_ADDR);
}

/*
 * 2 MiB shadow leaves (shadow.c, invariant 1): PS = 1 in a shadow PDE, in
 * both formats.  Only level 2 ever holds one; bit 7 of a PTE is PAT, not
 * PS, so whoever tests for one must know the entry's level.  The address of
 * a large leaf is bits 51:21; bit 12 is its PAT bit (SDM tables 4-10, 4-18).
 */
#define LARGE_SIZE (2ull << 20)
#define LARGE_ADDR 0x000fffffffe00000ull

static inline bool spte_large(u64 e, int level)
{
	return level == 2 && (e & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS);
}

/* Does the present leaf e of `level` (1, or 2 if large) map the page at hpa? */
static inline bool leaf_maps(u64 e, int level, u64 hpa)
{
	if (!(e & PTE_P))
		return false;
	if (level == 1)
		return (e & PTE_ADDR) == hpa;
	return (e & LARGE_ADDR) == (hpa & ~(LARGE_SIZE - 1));
}

/* Something the CPU may have cached was removed or restricted: with VPID the
 * glue must invalidate before the next VM entry (shadow_take_tlb_flush). */
static inline void tlb_stale(struct shadow_ctx *ctx)
{
	ctx->tlb_flush = true;
}

/* 4-level shadow for a long-mode guest, PAE shadow for everything else. */
static inline bool fmt_long4(const struct shadow_ctx *ctx)
{
	return ctx->paging.mode == PAGING_LONG4;
}

static inline int top_level(const struct shadow_ctx *ctx)
{
	return fmt_long4(ctx) ? 4 : 3;
}

/* Index in a shadow table of `level`: 9 bits per level in both formats (the
 * PAE top level uses gva bits 31:30, i.e. indexes 0..3). */
static inline unsigned sidx(int level, u64 gva)
{
	return (gva >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/* A record's shadow is valid unless a whole-context flush came since it was
 * last emptied or loaded (shadow_flush_all empties only the loaded one). */
static inline bool as_valid(const struct shadow_ctx *ctx, const struct shadow_as *as)
{
	return as->flush_gen == ctx->flush_gen;
}

/* Record links (indexes in ctx->as[]): none. */
#define NONE (-1)

/* Every record that may have a shadow: the paging-off one, then those in use
 * (most recently loaded first). */
static inline struct shadow_as *next_record(struct shadow_ctx *ctx, struct shadow_as *as)
{
	i16 n = as == &ctx->identity ? ctx->lru_head : as->lru_next;

	return n == NONE ? NULL : &ctx->as[n];
}

#define for_each_record(ctx, as)                                                  \
	for (struct shadow_as *as = &(ctx)->identity; as; as = next_record(ctx, as))

/* spt.c: shadow table pages and the trees made of them. */
u64 *spage_alloc(struct shadow_ctx *ctx, bool below_4g);
void spage_free(struct shadow_ctx *ctx, u64 *p);
void wss_note(struct shadow_ctx *ctx, u64 leaf);
void spt_drop_entry(struct shadow_ctx *ctx, u64 *e, int level);
u64 *spt_lookup(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva, int *level);
int spt_install(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva, u64 leaf, int leaf_level,
		u64 mark3, u64 mark2);
void spt_unwrite_leaf(struct shadow_ctx *ctx, u64 *e, int level, u64 hpa);
void spt_sweep_nonglobal(struct shadow_ctx *ctx, u64 *t, int level);
void spt_invlpg(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva);
void spt_write_protect(struct shadow_ctx *ctx, u64 *t, int level, u64 hpa);
u64 spt_zap_range(struct shadow_ctx *ctx, struct shadow_as *as, u64 start, u64 len);
u64 spt_harvest(struct shadow_ctx *ctx, u64 *t, int level, u64 *seen, const u64 *drop);

/* roots.c: the records, one per guest root, and what each keeps. */
void as_clear(struct shadow_ctx *ctx, struct shadow_as *as);
void as_free_shadow(struct shadow_ctx *ctx, struct shadow_as *as);
void as_note_leaf(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva, u64 leaf, u64 old);
void reclaim_others(struct shadow_ctx *ctx);
void empty_all(struct shadow_ctx *ctx);
void as_note_unsynced(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva);

/* watch.c: where a guest page was made writable (for shadow_watch). */
void wl_note(struct shadow_ctx *ctx, const struct shadow_as *as, u64 gpa, u64 gva);
void wl_note_large(struct shadow_ctx *ctx, const struct shadow_as *as, u64 gpa, u64 gva);
bool watch_any_in(const struct shadow_ctx *ctx, u64 gpa, u64 len);
void wl_free(struct shadow_ctx *ctx);
void wl_revoke_writes(struct shadow_ctx *ctx, u64 page);

/* synced.c: the guest tables each shadow was built from (synced.h). */
bool sync_note_walk(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva,
		    const struct walk_result *w);
void sync_forget(struct shadow_ctx *ctx, struct shadow_as *as);
void sync_resync(struct shadow_ctx *ctx, struct shadow_as *as);
bool range_protected(const struct shadow_ctx *ctx, u64 gpa);
bool sync_unsync_on_fault(struct shadow_ctx *ctx, u64 gpa);
void sync_user_seen(struct shadow_ctx *ctx);
void sync_destroy(struct shadow_ctx *ctx);

#endif
