/*
 * shadow.c - shadow page tables: the #PF exit (the idea: hv/mm/README.md).
 *
 * The invariants everything here keeps:
 *  1. Every shadow leaf maps one 4 KiB page, or 2 MiB (a PDE with PS = 1,
 *     "large leaves" below) inside a guest page at least that large, and
 *     was written from a complete guest walk (walk_guest) that allowed the
 *     access being made.  Its rights are the guest's combined rights at
 *     that moment, except that it is read-only while the guest's D flag is
 *     clear or the page is watched (protected).  No large leaf covers a
 *     protected page: protecting one drops writable large leaves over it
 *     (a read-only one may stay: writes through it exit anyway).
 *  2. Shadow entries above the leaves grant everything (R/W = U/S = 1, no
 *     XD): the leaf alone decides, so a leaf never depends on a guest entry
 *     that a later walk did not re-read.
 *  3. A and D are already set in every shadow entry the CPU may use (D only
 *     where writable), so the CPU never writes to the shadow: a shadow entry
 *     changes only here.  One exception: shadow_harvest() clears A in leaves
 *     to see which pages the guest uses, and the CPU sets it again.
 *  4. The shadow is a TLB: an entry may outlive the guest entry it came from
 *     exactly as long as the guest has not flushed it (INVLPG, MOV to CR3 for
 *     non-global entries, paging-mode changes for all).  Under the synced
 *     policy it does not outlive it at all: the guest's write to it traps
 *     and synced.c drops the entry (except leaves it could not record,
 *     which it treats as the cached policy does).
 *
 * Reading order: shadow_page_fault() below is the heart; it walks the
 * guest (walk.c), makes a leaf (make_leaf) and installs it (spt_install in
 * spt.c, the tables).  Everything else removes entries at the moments
 * invariant 4 names: roots.c (the per-root cache: CR3 loads, INVLPG,
 * flushes), watch.c (write-watched pages) and synced.c (writes to guest
 * tables, under the synced policy).  shadow_impl.h is what the
 * four files share; hv/mm/README.md tells the idea and the glue's contract.
 */

#include "types.h"
#include "string.h"
#include "mm/shadow_impl.h"

#ifndef CR4_LA57
#define CR4_LA57 BIT(12)
#endif
#ifndef CR4_PCIDE
#define CR4_PCIDE BIT(17)
#endif
#ifndef CR4_PKE
#define CR4_PKE BIT(22)
#endif

/* -------------------------------------------------------- working-set size */

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

/*
 * Large leaves.  Linux maps its direct map and kernel text with 2 MiB and
 * 1 GiB pages; shadowed 4 KiB at a time, each page touched costs an exit.
 * So a fault in a guest page of 2 MiB or more (2 MiB, 1 GiB, and the 2 MiB
 * half of a 32-bit guest's 4 MiB page that holds the address) gets one
 * 2 MiB leaf when all of this holds:
 *  - ctx->large_leaves, and no working-set harvesting (ctx->wss_seen NULL):
 *    samples count 4 KiB pages, and a large leaf's A flag cannot say which;
 *  - the 2 MiB of guest-physical memory around the page are all RAM, and
 *    their host address is 2 MiB aligned (gmem.h: the block is);
 *  - no page inside is protected (range_protected: one binary search and
 *    one per-2 MiB count), because a protected page's leaf is read-only.
 * Its rights are make_leaf's for the page (the guest's large page has one
 * set of rights and one D flag for all of it); PAT moves to bit 12.
 */
static bool large_leaf_ok(const struct shadow_ctx *ctx, const struct walk_result *w)
{
	u64 gpa = w->page_gpa & ~(LARGE_SIZE - 1);

	if (!ctx->large_leaves || ctx->wss_seen || w->page_size < LARGE_SIZE)
		return false;
	if (!gpa_ptr(ctx->gm, gpa, LARGE_SIZE) || (gpa_to_hpa(ctx->gm, gpa) & (LARGE_SIZE - 1)))
		return false;
	return !range_protected(ctx, gpa);
}

static u64 make_large_leaf(const struct shadow_ctx *ctx, const struct walk_result *w)
{
	u64 leaf = make_leaf(ctx, w, false), pat = leaf & PTE_PAT;

	leaf &= ~(PTE_ADDR | PTE_PAT);
	return leaf | gpa_to_hpa(ctx->gm, w->page_gpa & ~(LARGE_SIZE - 1)) | PTE_PS |
	       (pat ? PTE_PAT_LARGE : 0);
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
	bool watched, synced, large, unsynced = false;
	int r, level = 1, old_level = 1;

	memset(out, 0, sizeof(*out));
	ctx->stats.faults++;
	/* We never set a reserved bit, and a shadow must be loaded to fault. */
	if (!as || !as->top || (error_code & PFEC_RSVD))
		return out->kind = SHADOW_INCONSISTENT;
	as->faults++;
	if ((error_code & PFEC_U) && !ctx->user_seen)
		sync_user_seen(ctx); /* user code runs: synced's boot rule ends */

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

	/* Synced policy: protect the guest tables walked first (the page may
	 * be one of them, and then its leaf is read-only too). */
	synced = sync_note_walk(ctx, as, gva, w);
	watched = shadow_is_protected(ctx, w->page_gpa);
	/* ... unless this write would only let a page table out of sync: then
	 * it goes now, and the guest's store runs on a writable leaf. */
	if (watched && (access & WALK_WRITE) && sync_unsync_on_fault(ctx, w->page_gpa))
		watched = false, unsynced = true;
	large = !watched && large_leaf_ok(ctx, w);

	if (w->page_size == (1ull << 30))
		mark3 = SPTE_SPLIT;
	else if (w->page_size == (2ull << 20))
		mark2 = SPTE_SPLIT;
	else if (w->page_size == (4ull << 20))
		mark2 = SPTE_SPLIT | SPTE_SPLIT_4M;
	if (large) {
		leaf = make_large_leaf(ctx, w) | mark2; /* the PDE is the leaf */
		level = 2;
	} else {
		leaf = make_leaf(ctx, w, watched);
	}
	slot = spt_lookup(ctx, as, gva, &old_level);
	if (slot)
		old = *slot;
	/* The CPU refused an access through this very leaf, and the guest's
	 * tables allow it: rewriting the same leaf would fault forever.  (Its
	 * A flag may be clear after shadow_harvest(); that changes nothing.) */
	if ((error_code & PFEC_P) && old_level == level && (old | PTE_A) == leaf &&
	    !(watched && (access & WALK_WRITE)))
		return out->kind = SHADOW_INCONSISTENT;

	/* Out of pages: give back other roots' shadows, then our own, then fail. */
	r = spt_install(ctx, as, gva, leaf, level, mark3, mark2);
	if (r == SHADOW_ENOMEM) {
		reclaim_others(ctx);
		r = spt_install(ctx, as, gva, leaf, level, mark3, mark2);
	}
	if (r == SHADOW_ENOMEM) {
		as_clear(ctx, as); /* forgets the records too: make them again */
		r = spt_install(ctx, as, gva, leaf, level, mark3, mark2);
		synced = synced && sync_note_walk(ctx, as, gva, w);
	}
	if (r == SHADOW_ENOMEM) {
		ctx->stats.nomem++;
		return out->kind = SHADOW_NOMEM;
	}
	if (ctx->policy == SHADOW_SYNCED && !synced && !(leaf & PTE_G))
		as_note_unsynced(ctx, as, gva);

	if (watched && (access & WALK_WRITE)) {
		ctx->stats.watched_writes++;
		out->gpa = w->gpa;
		return out->kind = SHADOW_WATCHED_WRITE;
	}
	if (large)
		ctx->stats.large_leaves++;
	if ((leaf & PTE_RW) && large)
		wl_note_large(ctx, as, w->page_gpa & ~(LARGE_SIZE - 1), gva & ~(LARGE_SIZE - 1));
	else if (leaf & PTE_RW)
		wl_note(ctx, as, w->page_gpa, gva);
	ctx->stats.fixed++;
	if ((old & PTE_P) && !(old & PTE_RW) && (leaf & PTE_RW) && !unsynced)
		ctx->stats.dirty_upgrades++; /* (sync_write_faults counts the others) */
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
