/*
 * watch.c - write-watched guest pages: the sorted set of pages whose shadow
 * leaves stay read-only, so every write to them exits.
 *
 * Why: Antfarm must see every write to a process's page-table root (it is
 * how it infers process creation and exit), and the hv emulates each such
 * write (SHADOW_WATCHED_WRITE).  Watching a page must take write access
 * away from every shadow leaf that maps it, in every cached root, at once:
 * the notes below ("where a page is writable") make that a few lookups
 * instead of a search of every shadow table.
 */
#include "types.h"
#include "string.h"
#include "mm/shadow_impl.h"

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

/* Is any page of [gpa, gpa + len) watched?  (A large leaf may not cover one.) */
bool watch_any_in(const struct shadow_ctx *ctx, u64 gpa, u64 len)
{
	u32 i = watch_lower_bound(ctx, gpa);

	return i < ctx->nwatched && ctx->watched[i] - gpa < len;
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
 *   ... | root      ... and all in one record, ctx->as[root - 1] (bits 11:2;
 *                   0: several, or the paging-off one): a watch looks in
 *                   that record only.  The cache keeps up to SHADOW_MAX_AS
 *                   roots, most of them dead processes', and the synced
 *                   policy protects every new page table, which Linux has
 *                   just cleared through its direct map in one process
 *   WL_MANY         through several: a watch searches everything, as before
 * Linux writes a new page-table root through its direct map only, so the
 * common case is WL_ONE.  A writable 2 MiB leaf notes each of its 512 pages
 * (wl_note_large) by the linear page that maps it, and the lookup of that
 * page finds the large leaf, which then goes (spt_unwrite_leaf).  Notes live in pages allocated on first use (one
 * page covers 2 MiB of guest RAM); RAM above WL_MAX_GPA, or a note we had
 * no page for (wl_lost), means the full search.  Stale notes (the leaf was
 * dropped or rebuilt since) are harmless: the lookup checks the leaf.
 */
#define WL_ONE BIT(0)
#define WL_MANY BIT(1)
#define WL_ROOT_SHIFT 2
#define WL_ROOT_MASK (PAGE_SIZE - 1 - WL_ONE - WL_MANY)
_Static_assert(SHADOW_MAX_AS < (WL_ROOT_MASK >> WL_ROOT_SHIFT), "a record's index fits");

/* The note for a writable leaf at the linear page gva in record as. */
static u64 wl_value(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva)
{
	u64 root = as == &ctx->identity ? 0 : (u64)(as - ctx->as) + 1;

	return (gva & ~(PAGE_SIZE - 1)) | root << WL_ROOT_SHIFT | WL_ONE;
}

/* A note n meets a new writable leaf's v: the same page in another record
 * keeps the page but forgets the record; another page is WL_MANY. */
static u64 wl_merge(u64 n, u64 v)
{
	if (n == 0 || n == v)
		return v;
	if ((n & WL_ONE) && (n & ~(PAGE_SIZE - 1)) == (v & ~(PAGE_SIZE - 1)))
		return (v & ~(PAGE_SIZE - 1)) | WL_ONE;
	return WL_MANY;
}

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

/* A writable leaf for the page at gpa was built at linear address gva in as. */
void wl_note(struct shadow_ctx *ctx, const struct shadow_as *as, u64 gpa, u64 gva)
{
	u64 *n = wl_note_of(ctx, gpa, true);

	if (!n) {
		ctx->wl_lost = true;
		return;
	}
	*n = wl_merge(*n, wl_value(ctx, as, gva));
}

/* A writable 2 MiB leaf for the 2 MiB at gpa was built at linear gva (both
 * 2 MiB aligned): every page of it is writable through its own linear page.
 * wl_note() for each, but the 512 notes lie in one note page, found once
 * (this runs in the #PF exit). */
_Static_assert(WL_PER_PAGE * PAGE_SIZE == LARGE_SIZE, "one note page per 2 MiB");
void wl_note_large(struct shadow_ctx *ctx, const struct shadow_as *as, u64 gpa, u64 gva)
{
	u64 *n = wl_note_of(ctx, gpa, true);
	u64 v = wl_value(ctx, as, gva);

	if (!n) {
		ctx->wl_lost = true;
		return;
	}
	for (u64 i = 0; i < WL_PER_PAGE; i++)
		n[i] = wl_merge(n[i], v + i * PAGE_SIZE);
}

void wl_free(struct shadow_ctx *ctx)
{
	for (u64 i = 0; i < WL_DIR_SIZE; i++)
		if (ctx->wl_dir[i]) {
			ctx->ops.free_page(ctx->ops.opaque, ctx->wl_dir[i]);
			ctx->wl_dir[i] = NULL;
		}
}

/* Take write access to the page at hpa away from the leaf for gva in as. */
static void unwrite_in(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva, u64 hpa)
{
	int level;
	u64 *leaf = as->top && as_valid(ctx, as) ? spt_lookup(ctx, as, gva, &level) : NULL;

	if (leaf)
		spt_unwrite_leaf(ctx, leaf, level, hpa);
}

/* ... in every record that has one (a large leaf over it goes), or in
 * as[root - 1] only. */
static void write_protect_at(struct shadow_ctx *ctx, u64 gva, u64 hpa, u64 root)
{
	if (root) {
		unwrite_in(ctx, &ctx->as[root - 1], gva, hpa);
		return;
	}
	for_each_record(ctx, as)
		unwrite_in(ctx, as, gva, hpa);
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
			write_protect_at(ctx, *n & ~(PAGE_SIZE - 1), hpa,
					 (*n & WL_ROOT_MASK) >> WL_ROOT_SHIFT);
	}
	/* No writable leaf for it is left, and none is built while watched. */
	if (n)
		*n = 0;
}

/* The synced policy protects a guest page table (synced.c): the same job. */
void wl_revoke_writes(struct shadow_ctx *ctx, u64 page)
{
	write_protect_everywhere(ctx, page, gpa_to_hpa(ctx->gm, page));
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
