/*
 * synced.c - the synced shadow policy: shadows kept true to the guest's
 * tables by write-protecting the tables they were built from.
 *
 * Why: under the cached policy every context switch drops the incoming
 * root's user translations (a CR3 load flushes them on a real CPU, and the
 * hv cannot know which the guest changed), so each switch refaults the
 * process's working set: 114 of 174 #PF exits a fork+exec in Bochs.  Here
 * every guest table a leaf was walked through is write-protected (shadow
 * leaves that map its frame are read-only), each trapped write is emulated
 * (the emulator Antfarm uses for roots) and drops exactly the shadow
 * entries built from the guest entries written, in every root.  Then a
 * shadow never says more than the guest's tables do now, and a CR3 load of
 * a known root keeps it whole.  KVM, Xen and BitVisor do the same.
 * Page tables the guest is rewriting go out of sync instead of trapping
 * every store, until their root's next CR3 load ("Out of sync" below).
 *
 * The records (synced.h) say, per root, which guest table at which level
 * mapped which linear range when a leaf was built.  They are kept as long
 * as the root's shadow: emptying a shadow (as_clear) forgets its records.
 * A record is conservative: it may outlive the shadow entries built through
 * it (INVLPG dropped them, or a write above cut the path), which costs a
 * spurious zap or trap, never a stale translation.
 */
#include "types.h"
#include "string.h"
#include "mm/shadow_impl.h"
#include "mm/synced.h"

void sync_init(struct shadow_sync *s)
{
	wp_init(&s->wp);
	for (int i = 0; i < SYNC_HASH; i++)
		s->bucket[i] = s->frame[i] = NONE;
	for (int i = 0; i < SYNC_RECS; i++) {
		s->rec[i].hnext = i + 1 < SYNC_RECS ? i + 1 : NONE;
		s->rec[i].as = NONE;
	}
	s->free_head = 0;
	s->used = 0;
	memset(s->snap, 0, sizeof(s->snap));
	s->nsnaps = 0;
	s->pass = 0;
}

static bool sync_on(const struct shadow_ctx *ctx)
{
	return ctx->sync && ctx->policy == SHADOW_SYNCED && ctx->paging.mode != PAGING_NONE &&
	       ctx->user_seen;
}

static i16 as_idx(const struct shadow_ctx *ctx, const struct shadow_as *as)
{
	return (i16)(as - ctx->as);
}

static unsigned bucket_of(u64 gfn, i16 as)
{
	return (unsigned)((((gfn << 8) ^ (u64)as) * 0x9e3779b97f4a7c15ull) >> 40) & (SYNC_HASH - 1);
}

/* The frame bucket: every root's records of the tables in gfn hash here. */
static i32 *frame_head(struct shadow_sync *s, u64 gfn)
{
	return &s->frame[((gfn * 0x9e3779b97f4a7c15ull) >> 40) & (SYNC_HASH - 1)];
}

/* ------------------------------------------------------------ guest table shapes */

/* Is la in the upper (kernel) half of the linear address space? */
static bool upper_half(const struct shadow_ctx *ctx, u64 la)
{
	return ctx->paging.mode == PAGING_LONG4 ? (la >> 47) & 1 : (la >> 31) & 1;
}

/* The level of the guest's root table (a 32-bit guest's has two levels). */
static int root_level(const struct shadow_ctx *ctx)
{
	return top_level(ctx) - (ctx->paging.mode == PAGING_32);
}

/* What a guest table of `level` looks like in the current paging mode. */
struct tshape {
	u64 esize; /* bytes per entry */
	u64 nent;  /* entries */
	u64 span;  /* linear bytes one entry maps */
};

static struct tshape tshape(const struct shadow_ctx *ctx, int level)
{
	if (ctx->paging.mode == PAGING_32)
		return (struct tshape){ 4, 1024, PAGE_SIZE << (10 * (level - 1)) };
	if (ctx->paging.mode == PAGING_PAE && level == 3)
		return (struct tshape){ 8, 4, 1ull << 30 };
	return (struct tshape){ 8, 512, PAGE_SIZE << (9 * (level - 1)) };
}

/* ------------------------------------------------------------ table copies */

/* A copy of the guest frame gfn as it is now, shared with the records let
 * out of sync in this pass; -1 if there is no room (then the resync drops
 * everything built from the table).  A slot keeps its page when its last
 * record lets go (snap_put), and the next copy reuses it: a fork lets a few
 * tables out of sync and the next load brings them back, every time, and an
 * allocation costs a zeroed page the copy overwrites at once. */
static i16 snap_take(struct shadow_ctx *ctx, u64 gfn)
{
	struct shadow_sync *s = ctx->sync;
	const void *src = gpa_ptr(ctx->gm, gfn << PAGE_SHIFT, PAGE_SIZE);
	int free = -1;

	for (u32 i = 0; i < s->nsnaps; i++) {
		struct sync_snap *c = &s->snap[i];

		if (c->refs && c->gfn == gfn && c->pass == s->pass) {
			c->refs++;
			return (i16)i;
		}
		if (!c->refs && (free < 0 || (c->page && !s->snap[free].page)))
			free = (int)i; /* a free slot, one with a page if any */
	}
	if (free < 0 && s->nsnaps < SYNC_SNAPS)
		free = (int)s->nsnaps++;
	if (free < 0 || !src)
		return -1;
	struct sync_snap *c = &s->snap[free];

	if (!c->page)
		c->page = ctx->ops.alloc_page(ctx->ops.opaque, false);
	if (!c->page)
		return -1;
	memcpy(c->page, src, PAGE_SIZE);
	c->gfn = gfn;
	c->pass = s->pass;
	c->refs = 1;
	return (i16)free;
}

static void snap_put(struct shadow_ctx *ctx, i16 i)
{
	if (i >= 0)
		ctx->sync->snap[i].refs--; /* at 0 the slot is free; its page stays */
}

/* The context goes: give back the copies' pages. */
void sync_destroy(struct shadow_ctx *ctx)
{
	for (u32 i = 0; ctx->sync && i < ctx->sync->nsnaps; i++) {
		struct sync_snap *c = &ctx->sync->snap[i];

		if (c->page)
			ctx->ops.free_page(ctx->ops.opaque, c->page);
		c->page = NULL;
		c->refs = 0;
	}
}

/* ------------------------------------------------------------ the records */

/* A new record, held in the write-protect set; NULL if full (nothing changed). */
static struct sync_rec *rec_add(struct shadow_ctx *ctx, struct shadow_as *as, u64 table,
				u64 base, int level)
{
	struct shadow_sync *s = ctx->sync;
	u64 gfn = table >> PAGE_SHIFT;
	i32 i = s->free_head;
	int held;

	if (i == NONE)
		return NULL;
	held = wp_hold(&s->wp, gfn, WP_SHADOW);
	if (held < 0)
		return NULL;
	/* Newly protected: leaves built before may map the table writable. */
	if (held == 1 && !shadow_is_watched(ctx, table))
		wl_revoke_writes(ctx, table & ~(PAGE_SIZE - 1));

	struct sync_rec *r = &s->rec[i];
	unsigned b = bucket_of(gfn, as_idx(ctx, as));

	s->free_head = r->hnext;
	s->used++;
	r->table = table;
	r->base = base;
	r->as = as_idx(ctx, as);
	r->level = (u8)level;
	r->writes = 0;
	r->unsync = false;
	r->snap = -1;
	r->seen = 0;
	r->hnext = s->bucket[b];
	s->bucket[b] = i;
	i32 *fh = frame_head(s, gfn);
	r->fprev = NONE;
	r->fnext = *fh;
	if (r->fnext != NONE)
		s->rec[r->fnext].fprev = i;
	*fh = i;
	r->aprev = NONE;
	r->anext = as->sync_head;
	if (as->sync_head != NONE)
		s->rec[as->sync_head].aprev = i;
	as->sync_head = i;
	return r;
}

static void rec_del(struct shadow_ctx *ctx, i32 i)
{
	struct shadow_sync *s = ctx->sync;
	struct sync_rec *r = &s->rec[i];
	struct shadow_as *as = &ctx->as[r->as];
	i32 *link = &s->bucket[bucket_of(r->table >> PAGE_SHIFT, r->as)];

	while (*link != i)
		link = &s->rec[*link].hnext;
	*link = r->hnext;
	if (r->fprev != NONE)
		s->rec[r->fprev].fnext = r->fnext;
	else
		*frame_head(s, r->table >> PAGE_SHIFT) = r->fnext;
	if (r->fnext != NONE)
		s->rec[r->fnext].fprev = r->fprev;
	if (r->aprev != NONE)
		s->rec[r->aprev].anext = r->anext;
	else
		as->sync_head = r->anext;
	if (r->anext != NONE)
		s->rec[r->anext].aprev = r->aprev;
	if (r->unsync)
		as->sync_unsync--;
	else
		wp_release(&s->wp, r->table >> PAGE_SHIFT, WP_SHADOW);
	if (r->snap >= 0)
		snap_put(ctx, r->snap);
	r->hnext = s->free_head;
	r->as = NONE; /* free: loops that hold an index see it went */
	s->free_head = i;
	s->used--;
}

/* as's shadow was emptied: it was built from nothing any more. */
void sync_forget(struct shadow_ctx *ctx, struct shadow_as *as)
{
	if (!ctx->sync || as == &ctx->identity)
		return;
	while (as->sync_head != NONE)
		rec_del(ctx, as->sync_head);
}

/*
 * Three kinds of leaf for which keeping the shadow in sync costs more than
 * it can save, and the cached rule (the fallback for a leaf with no
 * record: logged, dropped at the root's next CR3 load, its tables not
 * protected; a global one kept until INVLPG or a flush) is used instead.
 *
 * The boot rule.  A booting kernel writes its own page tables all the time
 * (the direct map, vmalloc, module and percpu areas), and under synced each
 * of those writes to a shadowed table is trapped and emulated: 75k before
 * Linux's /init, 1.5x the boot time.  Until user code runs there is no
 * process whose shadow is worth keeping, so synced acts as cached until the
 * first #PF exit whose error code has U/S = 1 (a CPL 3 access; the one
 * sign of user mode that the pure core sees, and the same on VT-x, in the
 * exit's error code, and on SVM, in EXITINFO1: nothing else in a #PF exit
 * tells the CPL, and a user process's first access to each page of its new
 * address space faults, so the sign comes at once).  Then every shadow is
 * emptied once, so that every leaf from there on was built by synced's
 * rules, and synced works as synced.
 *
 * Young roots.  A process that lives for a few context switches (fork's
 * child before its exec, a /bin/true) gains nothing from a shadow kept
 * across its CR3 loads, and pays every write fault, resync and dirty-bit
 * exit of the protection.  So a root's user-half leaves follow the cached
 * rule until the root has been loaded ctx->sync_young times; from its next
 * load on (which drops those leaves, as cached does) they are recorded.
 * Its kernel-half leaves are recorded from the start: every root shares
 * those tables, so they are protected anyway.  Linux reuses root pages, so
 * a root's record outlives its process: a root is young again once its
 * table was written while it was not loaded (pgd_alloc() clearing the
 * page: sync_unsync_on_fault() below starts the count again).
 *
 * Global leaves.  The cached rule keeps a global leaf across CR3 loads
 * already, as long as synced could (until the guest's INVLPG or flush: a
 * TLB's licence); protecting the tables it came from would only trap the
 * kernel's writes to them (Linux's kernel half is global: a vmalloc'ed
 * stack at each fork, ~5 emulated stores a fork+exec).  With sync_strict
 * (nothing may be stale) they are recorded like the others.
 */
void sync_user_seen(struct shadow_ctx *ctx)
{
	ctx->user_seen = true;
	if (ctx->policy == SHADOW_SYNCED)
		empty_all(ctx);
}

static bool young_user_leaf(const struct shadow_ctx *ctx, const struct shadow_as *as, u64 gva)
{
	return as->cr3_loads <= ctx->sync_young && !upper_half(ctx, gva);
}

/*
 * A leaf for gva is about to be built in as from the walk w: record every
 * guest table the walk read, from the top down to the final entry's.  A
 * walk through a table is a use of it, so its write count starts again.
 * False if some table could not be recorded (no record or protection left)
 * or is not to be (the boot rule, a young root's user leaf, a global leaf:
 * above): then the leaf must be treated as the cached policy treats its
 * leaves.
 */
bool sync_note_walk(struct shadow_ctx *ctx, struct shadow_as *as, u64 gva,
		    const struct walk_result *w)
{
	bool all = true;

	if (!sync_on(ctx) || as == &ctx->identity || young_user_leaf(ctx, as, gva) ||
	    (w->global && !ctx->sync_strict))
		return false;
	for (int level = root_level(ctx); level >= w->level; level--) {
		struct tshape t = tshape(ctx, level);
		u64 idx = (gva / t.span) % t.nent;
		u64 table = w->entry_gpa[level] - idx * t.esize;
		u64 base = gva & ~(t.span * t.nent - 1);
		struct sync_rec *r = NULL;

		for (i32 i = ctx->sync->bucket[bucket_of(table >> PAGE_SHIFT, as_idx(ctx, as))];
		     i != NONE; i = ctx->sync->rec[i].hnext) {
			struct sync_rec *c = &ctx->sync->rec[i];

			if (c->table == table && c->base == base && c->level == level &&
			    c->as == as_idx(ctx, as)) {
				r = c;
				break;
			}
		}
		if (!r)
			r = rec_add(ctx, as, table, base, level);
		if (r && r->unsync) {
			u64 b = idx * 512 / t.nent;

			r->walked[b / 64] |= 1ull << (b % 64);
		}
		if (r)
			r->writes = 0;
		else
			all = false;
	}
	return all;
}

/* ------------------------------------------------------------ trapped writes */

/*
 * Drop as's shadow entries built from entries [first, last] of r's table.
 * Below an upper entry that goes, every shadow entry went, so the records
 * of the lower tables reached through it in this root are forgotten too:
 * else a root keeps records of tables it no longer uses (a reused root
 * frame keeps its dead process's), and keeps protecting pages that are
 * someone else's data by now.
 */
static void zap_entries(struct shadow_ctx *ctx, struct shadow_as *as, const struct sync_rec *r,
			u64 first, u64 last)
{
	struct tshape t = tshape(ctx, r->level);
	u64 start = r->base + first * t.span, len = (last - first + 1) * t.span;
	u64 gfn = r->table >> PAGE_SHIFT;
	int level = r->level;

	ctx->stats.sync_zaps += spt_zap_range(ctx, as, start, len);
	for (i32 i = level > 1 ? as->sync_head : NONE; i != NONE;) {
		struct sync_rec *c = &ctx->sync->rec[i];
		i32 next = c->anext;

		if (c->level < level && c->base - start < len && c->table >> PAGE_SHIFT != gfn)
			rec_del(ctx, i);
		i = next;
	}
}

/* Every record of the guest frame gfn, in every root with a live shadow:
 * fn(ctx, as, record index, arg).  fn may delete the record.  The frame
 * bucket holds them all, so a write to a process's page table visits its
 * one record, not each of up to SHADOW_MAX_AS roots (about 50 instructions
 * a root even with nothing there, at every trapped write). */
static void for_each_rec_of(struct shadow_ctx *ctx, u64 gfn,
			    void (*fn)(struct shadow_ctx *, struct shadow_as *, i32, void *),
			    void *arg)
{
	struct shadow_sync *s = ctx->sync;
	i32 i = *frame_head(s, gfn);

	while (i != NONE) {
		struct sync_rec *r = &s->rec[i];
		struct shadow_as *as = &ctx->as[r->as];
		i32 next = r->fnext;

		if (r->table >> PAGE_SHIFT == gfn && r->seen != s->pass && as->top &&
		    as_valid(ctx, as)) {
			r->seen = s->pass;
			fn(ctx, as, i, arg);
		}
		/* fn forgot records: if it was the next one, start over */
		if (next != NONE && s->rec[next].as == NONE)
			next = *frame_head(s, gfn);
		i = next;
	}
}

/* Stop shadowing through record i: drop all its table's entries' shadows. */
static void unshadow_rec(struct shadow_ctx *ctx, struct shadow_as *as, i32 i, void *unused)
{
	struct sync_rec *r = &ctx->sync->rec[i];

	zap_entries(ctx, as, r, 0, tshape(ctx, r->level).nent - 1);
	rec_del(ctx, i);
	ctx->stats.sync_unshadows++;
}

/*
 * Out of sync.  A page table the guest writes is usually being filled or
 * emptied (a demand fault, fork's copy-on-write marking, a teardown), and
 * trapping each store would cost an exit per PTE.  So, as KVM and Xen do,
 * at its first trapped write a page table is let out of sync: its record
 * gives up its hold (the frame may become writable), the shadow entries
 * built from it stay, a copy of the table is made, and the root's next CR3
 * load drops the entries that differ from the copy and takes the hold back
 * (sync_resync).  That is the cached policy's rule for that one table, and
 * x86's: the guest must INVLPG or load CR3 before it relies on an entry it
 * changed (INVLPG drops the leaf as under every policy).  Other roots'
 * records of the table go out of sync as the same write reaches them.  A
 * write the emulator cannot do lets every record of its table out of sync
 * the same way (pgd_ctor()'s REP MOVSQ into a new root: its kernel half is
 * then still there at the first load).
 */
static void unsync_rec(struct shadow_ctx *ctx, struct shadow_as *as, struct sync_rec *r)
{
	r->unsync = true;
	memset(r->walked, 0, sizeof(r->walked));
	as->sync_unsync++;
	wp_release(&ctx->sync->wp, r->table >> PAGE_SHIFT, WP_SHADOW);
	r->snap = snap_take(ctx, r->table >> PAGE_SHIFT);
	ctx->stats.sync_unsyncs++;
}

/* Bit i: entry k0 + i (i < n <= 64) was walked through since its table went
 * out of sync.  walked[] has 512 bits whatever the table's size
 * (sync_note_walk): a bit an entry in the common case, one for two entries
 * in a 1024-entry table, one for a quarter of the space in a PAE PDPT. */
static u64 walked_bits(const struct sync_rec *r, struct tshape t, u64 k0, u64 n)
{
	u64 m = 0;

	if (t.nent == 512)
		return r->walked[k0 / 64]; /* k0 % 64 == 0 */
	for (u64 i = 0; i < n; i++) {
		u64 b = (k0 + i) * 512 / t.nent;

		m |= ((r->walked[b / 64] >> (b % 64)) & 1) << i;
	}
	return m;
}

/* Bit i: entry k0 + i differs from its copy.  Eight entries at a time, one
 * by one only where those eight differ. */
static u64 changed_bits(const u8 *now, const u8 *then, struct tshape t, u64 k0, u64 n)
{
	u64 m = 0;

	for (u64 c = 0; c < n; c += 8) {
		u64 len = n - c < 8 ? n - c : 8, off = (k0 + c) * t.esize;

		if (!memcmp(now + off, then + off, len * t.esize))
			continue;
		for (u64 i = c; i < c + len; i++) {
			u64 k = k0 + i;

			if (t.esize == 8 ? ((const u64 *)now)[k] != ((const u64 *)then)[k]
					 : ((const u32 *)now)[k] != ((const u32 *)then)[k])
				m |= 1ull << i;
		}
	}
	return m;
}

/* Record i of as is out of sync: drop what changed since its copy (all,
 * without one), then hold its table again. */
static void resync_rec(struct shadow_ctx *ctx, struct shadow_as *as, i32 i)
{
	struct sync_rec *r = &ctx->sync->rec[i];
	struct tshape t = tshape(ctx, r->level);
	const u8 *now = gpa_ptr(ctx->gm, r->table, t.nent * t.esize);
	int held = wp_hold(&ctx->sync->wp, r->table >> PAGE_SHIFT, WP_SHADOW);

	ctx->stats.sync_resyncs++;
	if (r->snap < 0 || !now || held < 0) {
		zap_entries(ctx, as, r, 0, t.nent - 1);
		if (held >= 0)
			wp_release(&ctx->sync->wp, r->table >> PAGE_SHIFT, WP_SHADOW);
		rec_del(ctx, i);
		return;
	}
	const u8 *then = (const u8 *)ctx->sync->snap[r->snap].page + (r->table & (PAGE_SIZE - 1));

	/* An entry equal to its copy keeps its shadow only if no walk went
	 * through it meanwhile: 0 -> page -> 0 leaves a leaf of that page.
	 * So, 64 entries at a time, the ones walked or changed are dropped, a
	 * run of them with one zap_entries().  Most of a table is unchanged
	 * and unwalked: where none of the 64 was walked and all equal their
	 * copy (memcmp: REPE CMPSQ in the hv) nothing more is read. */
	for (u64 k0 = 0; k0 < t.nent; k0 += 64) {
		u64 n = t.nent - k0 < 64 ? t.nent - k0 : 64;
		u64 zap = walked_bits(r, t, k0, n);

		if (zap || memcmp(now + k0 * t.esize, then + k0 * t.esize, n * t.esize))
			zap |= changed_bits(now, then, t, k0, n);
		while (zap) {
			u64 first = (u64)__builtin_ctzll(zap), rest = ~(zap >> first);
			u64 len = rest ? (u64)__builtin_ctzll(rest) : 64 - first;

			zap_entries(ctx, as, r, k0 + first, k0 + first + len - 1);
			zap = first + len == 64 ? 0 : zap & ~0ull << (first + len);
		}
	}
	snap_put(ctx, r->snap);
	r->snap = -1;
	r->unsync = false;
	r->writes = 0;
	as->sync_unsync--;
	if (held == 1 && !shadow_is_watched(ctx, r->table))
		wl_revoke_writes(ctx, r->table & ~(PAGE_SIZE - 1));
}

/*
 * A write fault on the guest frame at gpa, which the shadow holds: the
 * guest is about to store into one of its tables.  If every record of it
 * is a user-half page table in a live shadow, that store, emulated, would
 * do nothing but let the table out of sync (wrote_rec; its written entry's
 * leaf is then dropped, which the resync's compare with the copy also
 * does).  So, as KVM does, let it out of sync now, before the store, and
 * let the guest's own instruction run on a writable leaf: one exit instead
 * of an emulated write followed by a second fault to make the leaf
 * writable.  A root that Antfarm does not watch, not loaded, goes the same way: a dead
 * process's root page that Linux clears for reuse (REP STOSQ: 512
 * emulated stores, ~190k cycles in Bochs, twice a fork+exec), and if the
 * page is a root again, its next load keeps the kernel half that did not
 * change.  Anything else (an upper or kernel-half table, a root Antfarm
 * watches, a stale root's hold, strict mode) keeps the emulated path.
 * True if the frame is no longer protected.
 */
bool sync_unsync_on_fault(struct shadow_ctx *ctx, u64 gpa)
{
	struct shadow_sync *s = ctx->sync;
	u64 gfn = gpa >> PAGE_SHIFT;

	if (!sync_on(ctx) || ctx->sync_strict || shadow_is_watched(ctx, gpa) ||
	    !wp_holds(&s->wp, gfn, WP_SHADOW))
		return false;
	for (i32 i = *frame_head(s, gfn); i != NONE; i = s->rec[i].fnext) {
		const struct sync_rec *r = &s->rec[i];
		const struct shadow_as *as = &ctx->as[r->as];

		if (r->table >> PAGE_SHIFT != gfn || r->unsync)
			continue;
		bool root = r->level == root_level(ctx);

		/* (not the loaded root: each walk through it out of sync would
		 * mark an entry, whose whole subtree its next load drops) */
		if (!((root && as != ctx->cur) || (r->level == 1 && !upper_half(ctx, r->base))) ||
		    !as->top || !as_valid(ctx, as))
			return false;
	}
	s->pass++; /* one copy for all its records (snap_take) */
	for (i32 i = *frame_head(s, gfn); i != NONE; i = s->rec[i].fnext) {
		struct sync_rec *r = &s->rec[i];

		if (r->table >> PAGE_SHIFT != gfn || r->unsync)
			continue;
		unsync_rec(ctx, &ctx->as[r->as], r);
		/* An idle root written: Linux clears a root page for a new
		 * process (pgd_alloc), so its next load starts a new life,
		 * young again (young roots, above). */
		if (r->level == root_level(ctx))
			ctx->as[r->as].cr3_loads = 0;
	}
	ctx->stats.sync_write_faults++;
	return !wp_is_protected(&s->wp, gfn);
}

static void unsync_cb(struct shadow_ctx *ctx, struct shadow_as *as, i32 i, void *unused)
{
	if (!ctx->sync->rec[i].unsync)
		unsync_rec(ctx, as, &ctx->sync->rec[i]);
}

/* as is being loaded: resync its tables let out of sync. */
void sync_resync(struct shadow_ctx *ctx, struct shadow_as *as)
{
	i32 i = as->sync_head;

	while (i != NONE && as->sync_unsync) {
		i32 next = ctx->sync->rec[i].anext;

		ctx->stats.sync_visits++;
		if (ctx->sync->rec[i].unsync)
			resync_rec(ctx, as, i);
		if (next != NONE && ctx->sync->rec[next].as == NONE)
			next = as->sync_head; /* forgotten below: start over */
		i = next;
	}
}

struct write { u64 gpa, len; };

static void wrote_rec(struct shadow_ctx *ctx, struct shadow_as *as, i32 i, void *arg)
{
	const struct write *wr = arg;
	struct sync_rec *r = &ctx->sync->rec[i];
	struct tshape t = tshape(ctx, r->level);
	u64 end = r->table + t.nent * t.esize;

	if (wr->gpa + wr->len <= r->table || wr->gpa >= end)
		return; /* beside a PAE PDPT that shares its page */
	u64 lo = wr->gpa > r->table ? wr->gpa : r->table;
	u64 hi = wr->gpa + wr->len < end ? wr->gpa + wr->len : end;

	zap_entries(ctx, as, r, (lo - r->table) / t.esize, (hi - 1 - r->table) / t.esize);
	if (r->unsync)
		return;
	bool often = ++r->writes >= SYNC_UNSHADOW_WRITES;
	bool root = r->level == root_level(ctx);

	/* A kernel-half table is shared by every root: out of sync, it would be
	 * resynced at every root's next load (a vmalloc'ed kernel stack at
	 * each fork).  Its few writes stay trapped instead. */
	if (!ctx->sync_strict && !(upper_half(ctx, r->base) && !root) && (r->level == 1 || often))
		unsync_rec(ctx, as, r);
	else if (ctx->sync_strict && often && !root)
		unshadow_rec(ctx, as, i, NULL);
}

void shadow_guest_write(struct shadow_ctx *ctx, u64 gpa, u64 len)
{
	u64 gfn = gpa >> PAGE_SHIFT;

	if (!sync_on(ctx) || !len || !wp_holds(&ctx->sync->wp, gfn, WP_SHADOW))
		return;
	ctx->stats.sync_writes++;
	ctx->sync->pass++;
	/* A store never crosses a page here: the emulator stores aligned qwords. */
	struct write wr = { gpa, len };

	for_each_rec_of(ctx, gfn, wrote_rec, &wr);
}

bool shadow_unshadow_frame(struct shadow_ctx *ctx, u64 gpa)
{
	u64 gfn = gpa >> PAGE_SHIFT;

	if (!ctx->sync || !wp_holds(&ctx->sync->wp, gfn, WP_SHADOW))
		return false;
	ctx->sync->pass++;
	for_each_rec_of(ctx, gfn, ctx->sync_strict ? unshadow_rec : unsync_cb, NULL);
	/* Records of roots whose shadow is stale (a flush came) still hold it:
	 * empty those shadows now, so nothing protects the frame any more. */
	for (i32 i = *frame_head(ctx->sync, gfn); i != NONE;) {
		struct sync_rec *r = &ctx->sync->rec[i];
		struct shadow_as *as = &ctx->as[r->as];

		if (r->table >> PAGE_SHIFT == gfn && !as_valid(ctx, as)) {
			as_clear(ctx, as); /* forgets r, maybe more: start over */
			i = *frame_head(ctx->sync, gfn);
		} else {
			i = r->fnext;
		}
	}
	return true;
}

/* Is any page of the 2 MiB at gpa (aligned) protected?  The fault path asks
 * before it builds a large leaf: a binary search of the watch list and one
 * per-2 MiB count of the write-protect set, not 512 lookups. */
bool range_protected(const struct shadow_ctx *ctx, u64 gpa)
{
	return watch_any_in(ctx, gpa, LARGE_SIZE) ||
	       (ctx->sync && wp_range_protected(&ctx->sync->wp, gpa >> PAGE_SHIFT));
}

bool shadow_is_protected(const struct shadow_ctx *ctx, u64 gpa)
{
	return shadow_is_watched(ctx, gpa) ||
	       (ctx->sync && wp_is_protected(&ctx->sync->wp, gpa >> PAGE_SHIFT));
}
