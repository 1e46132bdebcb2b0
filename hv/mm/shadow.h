/*
 * shadow.h - shadow page tables: running a paging guest without EPT.
 *
 * Without EPT the CPU can use only page tables that give host-physical
 * addresses, so the hv keeps a shadow of the guest's tables per address
 * space and points the real CR3 at it; the shadow is a software TLB, filled
 * on #PF exits and flushed when the guest flushes.  hv/mm/README.md tells
 * the idea, the contract with the VMX/SVM glue (controls, registers, exits)
 * and what is not supported; the code is shadow.c (the #PF exit), spt.c
 * (the tables), roots.c (the per-root cache), watch.c (watched pages),
 * synced.c (the synced policy: write-protected guest page tables).
 */
#ifndef FORMICA_MM_SHADOW_H
#define FORMICA_MM_SHADOW_H

#include "types.h"
#include "mm/gmem.h"
#include "mm/walk.h"

#define SHADOW_MAX_AS 128    /* address-space records per context */
#define SHADOW_MAX_WATCH 512 /* watched guest-physical pages per context */
#define SHADOW_AS_HASH 256   /* hash buckets over the records' root keys (power of 2) */
/* Synced policy, young roots (synced.c): a root's user-half leaves are kept
 * in sync only from its (SYNC_YOUNG_LOADS + 1)th CR3 load on; the default of
 * shadow_ctx.sync_young, picked by measurement (hv/mm/README.md). */
#ifndef SYNC_YOUNG_LOADS
#define SYNC_YOUNG_LOADS 4
#endif

/* Root key of a guest address space: the page-table base in CR3.  PCID bits
 * 11:0 and the no-flush bit 63 are not part of it.  PAE page-directory-
 * pointer tables are 32-byte aligned, so bits 11:5 belong to their key. */
#define SHADOW_ROOT_MASK_LONG4 0x000ffffffffff000ull
#define SHADOW_ROOT_MASK_PAE 0x00000000ffffffe0ull
#define SHADOW_ROOT_MASK_32 0x00000000fffff000ull
#define SHADOW_NO_ROOT (~0ull) /* free record slot; also the paging-off record */

/* Available bits (ignored by the CPU) in shadow PDEs and PDPTEs, set when
 * the leaves below were cut from a guest page at least as large as the
 * entry's reach (SPTE_SPLIT), or from a 4 MiB page, which also covers the
 * buddy PDE (SPTE_SPLIT_4M).  INVLPG reads them; see shadow.c. */
#define SPTE_SPLIT BIT(9)
#define SPTE_SPLIT_4M BIT(10)

/* Where shadow table pages come from.  alloc_page returns a zeroed 4 KiB
 * page whose address is its host-physical address, or NULL; below_4g asks
 * for a page under 4 GiB (needed for the PAE-format top table, whose address
 * goes into a 32-bit CR3). */
struct shadow_as;
struct shadow_ops {
	void *(*alloc_page)(void *opaque, bool below_4g);
	void (*free_page)(void *opaque, void *page);
	/* Optional: a record is about to be recycled (table full, or
	 * shadow_as_drop); its owner may release as->ext. */
	void (*as_evict)(void *opaque, struct shadow_as *as);
	void *opaque;
};

/* One guest address space. */
struct shadow_as {
	u64 root;        /* key (see SHADOW_ROOT_MASK_*), SHADOW_NO_ROOT if the slot is free */
	u64 gen;         /* generation: unique within the context and increasing, so a
			  * root seen again after its record was dropped gets a new one */
	u64 *top;        /* shadow PML4 (or PAE PDPT), NULL while this root has no shadow */
	u64 last_load;   /* ctx->stats.cr3_loads at its last load: LRU for eviction */
	u64 nonglobal[8]; /* cached policy: bitmap of top-level slots with non-global leaves */
	u64 global[8];   /* ... and with global leaves (INVLPG looks only there) */
	u64 *log;        /* with ctx->leaf_log: log[0] = n, log[1..n] = linear pages
			  * given a non-global leaf since the last load (shadow.c) */
	u64 flush_gen;   /* ctx->flush_gen when this shadow was last valid: an older one
			  * is stale (a whole-context flush came) and is emptied at its next load */
	u64 faults;      /* #PF exits handled while this root was loaded */
	u64 cr3_loads;   /* times the guest loaded this root (1 = just created, or, under
			  * synced, its root page was just reused: synced.c, young roots) */
	void *ext;       /* owned by the process-inference engine; never touched here */
	i32 sync_head;   /* synced policy: first of the guest tables this shadow was built
			  * from (struct sync_rec, synced.h), -1 = none */
	u32 sync_unsync; /* ... how many of them are out of sync (resynced at a load) */
	/* bookkeeping (shadow.c, "the records"): indexes in ctx->as[], -1 = none */
	i16 hash_next;   /* next record in the same hash bucket */
	i16 lru_prev, lru_next; /* records in use, most recently loaded first; free ones
				 * are chained by lru_next from ctx->free_head */
};

/*
 * When a root is loaded into CR3:
 *  SHADOW_REFERENCE  start from an empty shadow, every time.  Obviously
 *                    right: only one shadow exists, and it is never older
 *                    than the last CR3 write.  Slow: every context switch
 *                    refaults the kernel's pages.
 *  SHADOW_CACHED     keep each root's shadow; on a load drop its non-global
 *                    entries only.  Right because a real TLB may keep global
 *                    translations across CR3 writes (SDM 4.10.4.1), and
 *                    INVLPG and CR4.PGE changes reach every root's shadow.
 *  SHADOW_SYNCED     keep each root's shadow whole: every guest page table a
 *                    shadow leaf was built from is write-protected, and a
 *                    trapped write to one drops the shadow entries built
 *                    from the entry written (synced.c), so a shadow never
 *                    holds more than the guest's tables say and a CR3 load
 *                    is a lookup.  Needs ctx->sync (else it acts as cached).
 *                    Acts as cached on purpose until the guest runs user
 *                    code, for a young root's user leaves and for global
 *                    leaves (synced.c, "Three kinds of leaf").  The default.
 */
enum shadow_policy {
	SHADOW_REFERENCE,
	SHADOW_CACHED,
	SHADOW_SYNCED,
};

struct shadow_stats {
	u64 faults;         /* shadow_page_fault() calls */
	u64 fixed;          /* ... that built a shadow entry (SHADOW_FIXED) */
	u64 injected;       /* ... that were the guest's own #PF (SHADOW_INJECT) */
	u64 dirty_upgrades; /* FIXED by making a read-only shadow entry writable */
	/* FIXED by filling an empty leaf, by cause: in a root loaded for the
	 * first time (new) or one loaded before (switch: the refill of what a
	 * CR3 load or flush dropped), at an address in the upper (kernel) or
	 * lower (user) half of the linear address space */
	u64 fill_new_kernel, fill_new_user, fill_switch_kernel, fill_switch_user;
	u64 large_leaves;   /* FIXED by building a 2 MiB shadow leaf (a fill or a
			     * dirty upgrade), for a guest page of 2 MiB or more */
	u64 watched_writes; /* SHADOW_WATCHED_WRITE */
	u64 bad_gpa;        /* SHADOW_BAD_GPA */
	u64 cr3_loads;
	u64 invlpgs;
	u64 flushes;        /* whole-context flushes (shadow_flush_all, paging changes) */
	u64 flushes_skipped; /* ... asked for with no leaf built since the last one (the
			      * second half of a CR4.PGE toggle): nothing to do */
	u64 as_evictions;   /* records recycled because the table was full */
	u64 pages;          /* shadow table pages held now */
	u64 pages_peak;
	u64 nomem;          /* allocations refused (after evicting what could be) */
	u64 watch_walks;    /* shadow_watch() calls that searched every shadow table */
	u64 watch_quick;    /* ... that looked at one linear page per record, or none */
	/* synced policy (synced.c) */
	u64 sync_writes;    /* trapped guest writes to a shadowed guest page table */
	u64 sync_zaps;      /* shadow entries (of any level) dropped for them */
	u64 sync_unshadows; /* guest tables let go: written often, or not emulable */
	u64 sync_unsyncs;   /* page tables let out of sync at a write */
	u64 sync_write_faults; /* ... at a write fault, so the guest's own store ran
				* (no emulation, no second fault: synced.c) */
	u64 sync_resyncs;   /* ... and brought back at their root's CR3 load */
	u64 sync_visits;    /* records looked at by those loads (their cost) */
	u64 sync_unsynced;  /* leaves built without a record (full): dropped at next load */
};

/* shadow_watch()'s memory of where a guest page was made writable (shadow.c,
 * "where a page is writable"): one u64 per guest page below WL_MAX_GPA, in
 * pages allocated on first use. */
#define WL_MAX_GPA (4ull << 30)
#define WL_PER_PAGE (PAGE_SIZE / 8)
#define WL_DIR_SIZE (WL_MAX_GPA / PAGE_SIZE / WL_PER_PAGE)

struct shadow_ctx {
	struct shadow_ops ops;
	const struct gmem *gm;
	enum shadow_policy policy;
	struct guest_paging paging; /* the guest's own CR0/CR3/CR4/EFER view */
	u64 max_pages;              /* 0: no limit but the allocator's */
	struct shadow_as *cur;      /* the loaded record: &identity when paging is off */
	struct shadow_as identity;  /* guest paging off: gva == gpa */
	struct shadow_as as[SHADOW_MAX_AS];
	i16 hash[SHADOW_AS_HASH];   /* root key -> first record of its bucket */
	i16 lru_head, lru_tail;     /* records in use, most recently loaded first */
	i16 free_head;              /* free records */
	u16 global_refs[512];       /* valid records whose global[] has the top-level slot */
	u64 flush_gen;              /* whole-context flushes so far (see shadow_as.flush_gen) */
	bool clean;                 /* no leaf built since the last whole-context flush */
	bool leaf_log;              /* cached policy: a CR3 load drops the logged non-global
				     * leaves instead of sweeping their tables (off until
				     * the glue turns it on; see shadow.c, "the leaf log") */
	u64 next_gen;
	u64 watched[SHADOW_MAX_WATCH]; /* sorted page-aligned gpas */
	u32 nwatched;
	bool tlb_flush;             /* see shadow_take_tlb_flush() */
	u64 *wl_dir[WL_DIR_SIZE];   /* where each guest page was made writable */
	bool wl_lost;               /* a note could not be kept: always walk */
	u64 *wss_seen;              /* NULL, or shadow_harvest()'s frame bitmap: see there */
	struct shadow_sync *sync;   /* synced policy's records (synced.h): the caller's
				     * memory, sync_init()ed; NULL: synced acts as cached */
	bool sync_strict;           /* synced: never let a page table out of sync (every
				     * write to it traps), so nothing is ever stale */
	bool user_seen;             /* a #PF exit with U/S = 1 came: the guest runs user
				     * code.  Until then synced acts as cached (the boot
				     * rule, synced.c); the first one empties its shadows */
	u32 sync_young;             /* synced: a root's user-half leaves follow the cached
				     * rule during its first sync_young CR3 loads (young
				     * roots, synced.c); shadow_init: SYNC_YOUNG_LOADS */
	bool large_leaves;          /* a guest page of 2 MiB or more may get a 2 MiB
				     * shadow leaf (shadow.c, "large leaves"); on after
				     * shadow_init, formica.cfg shadow_2m = off clears it */
	struct shadow_stats stats;
};

enum shadow_err {
	SHADOW_OK = 0,
	SHADOW_ENOMEM = -1, /* no page for a shadow table */
	SHADOW_ENOSPC = -2, /* the watch set is full */
	SHADOW_EINVAL = -3, /* bad argument (gpa outside guest RAM, misaligned RAM) */
	SHADOW_EBUSY = -4,  /* the record is the loaded one */
};

/* What a #PF exit turned out to be. */
enum shadow_fault_kind {
	SHADOW_FIXED,         /* shadow entry built: resume the guest, the instruction re-runs */
	SHADOW_INJECT,        /* the guest's own #PF: inject error_code, CR2 = gva */
	SHADOW_WATCHED_WRITE, /* an allowed write to a watched page: emulate it (gpa) */
	SHADOW_BAD_GPA,       /* a guest page table (bad_table) or the page (gpa) is outside RAM */
	SHADOW_UNSUPPORTED,   /* guest CR0.WP = 0 supervisor write to a read-only page */
	SHADOW_NOMEM,         /* no page for a shadow table, even after evicting */
	SHADOW_INCONSISTENT,  /* a fault the shadow cannot explain: a bug here or in the glue */
};

struct shadow_fault {
	enum shadow_fault_kind kind;
	u32 error_code; /* INJECT */
	u64 gpa;        /* WATCHED_WRITE, BAD_GPA: guest-physical byte address */
	bool bad_table; /* BAD_GPA: a paging structure (true) or the final page (false) */
	struct walk_result walk; /* the guest walk behind the decision */
};

/* Set up ctx for the guest memory gm (whose base must be page aligned), with
 * guest paging off.  ctx copies ops and keeps the pointer gm.  Nothing is
 * allocated yet: shadow_set_paging() with the guest's first register values
 * gives the first GUEST_CR3. */
int shadow_init(struct shadow_ctx *ctx, const struct shadow_ops *ops, const struct gmem *gm,
		enum shadow_policy policy);
/* Switch policy at run time: every shadow is emptied (the loaded root keeps
 * its top, so GUEST_CR3 is unchanged; the others are freed). */
void shadow_set_policy(struct shadow_ctx *ctx, enum shadow_policy policy);
/* Free every shadow page (calls as_evict for live records). */
void shadow_destroy(struct shadow_ctx *ctx);

/* The value for the VMCS GUEST_CR3 field now. */
u64 shadow_host_cr3(const struct shadow_ctx *ctx);

/* The guest wrote CR0, CR4 or EFER (or CR3 together with them): take its new
 * paging state.  Flushes every shadow if anything but CR3 changed.  Returns
 * the new GUEST_CR3 (0 if out of memory: stop the guest). */
u64 shadow_set_paging(struct shadow_ctx *ctx, const struct guest_paging *pg);

/* MOV to CR3: find or create the record for the root and give it a shadow as
 * the policy says.  With guest paging off, only remembers the value.  Returns
 * the new GUEST_CR3 (0 if out of memory: stop the guest). */
u64 shadow_cr3_load(struct shadow_ctx *ctx, u64 guest_cr3);

/* A #PF exit at gva with the hardware error code; rflags_ac = guest RFLAGS.AC
 * (only used when the guest has CR4.SMAP).  Returns out->kind. */
enum shadow_fault_kind shadow_page_fault(struct shadow_ctx *ctx, u64 gva, u32 error_code,
					 bool rflags_ac, struct shadow_fault *out);

/* INVLPG gva: drop the shadow entries for it, including the rest of a split
 * guest large page, in the loaded shadow and in every other that may hold a
 * global entry for it (their non-global ones go at their next load anyway). */
void shadow_invlpg(struct shadow_ctx *ctx, u64 gva);

/* Drop every shadow entry of every root (records and their tops stay, so the
 * GUEST_CR3 value is unchanged): the loaded shadow's now, the others' at
 * their next load (they are marked stale; the CPU only sees a loaded one). */
void shadow_flush_all(struct shadow_ctx *ctx);

/* Write-watch the guest-physical page containing gpa: existing shadow entries
 * for it become read-only at once (with VPID: INVVPID single-context after),
 * and allowed writes to it return SHADOW_WATCHED_WRITE. */
int shadow_watch(struct shadow_ctx *ctx, u64 gpa);
void shadow_unwatch(struct shadow_ctx *ctx, u64 gpa);
bool shadow_is_watched(const struct shadow_ctx *ctx, u64 gpa);

/*
 * Synced policy (synced.c).  A write fault on a guest page table the shadow
 * was built from also returns SHADOW_WATCHED_WRITE; whoever emulates it
 * (hv/antfarm/rootwrite.c, for every watched page) calls shadow_guest_write
 * for every store, after making it, so the shadow entries built from the
 * entries written are dropped.  Harmless for a page nobody protects.
 */
void shadow_guest_write(struct shadow_ctx *ctx, u64 gpa, u64 len);
/* The write at gpa cannot be emulated: give up the shadow's protection of
 * that guest page, so the guest may write it itself (its tables go out of
 * sync until their roots' next CR3 loads; with ctx->sync_strict every
 * shadow entry built from it is dropped now).  True if the shadow had
 * protected it. */
bool shadow_unshadow_frame(struct shadow_ctx *ctx, u64 gpa);
/* Writes to the page at gpa exit: it is watched, or a shadowed guest table. */
bool shadow_is_protected(const struct shadow_ctx *ctx, u64 gpa);

/* Address-space records, found by root key through a hash.  Iterate over
 * ctx->as[] (root != SHADOW_NO_ROOT) for all of them. */
u64 shadow_root_key(enum paging_mode mode, u64 cr3);
struct shadow_as *shadow_as_current(struct shadow_ctx *ctx); /* NULL with paging off */
struct shadow_as *shadow_as_find(struct shadow_ctx *ctx, u64 root_key);
/* Forget a root (its process is gone): the next load of it creates a new
 * record with a new generation.  SHADOW_EBUSY for the loaded root. */
int shadow_as_drop(struct shadow_ctx *ctx, u64 root_key);

/* True (once) if shadow entries the CPU may have cached were removed or
 * restricted, or shadow tables freed, since the last call.  With VPID the
 * glue calls it before every VM entry and on true issues INVVPID
 * single-context for the guest's VPID; without VPID every VM entry flushes
 * anyway and the flag can be ignored.  A FIXED fault alone never needs it:
 * the #PF already dropped the CPU's entries for that address (SDM 4.10.4.1). */
bool shadow_take_tlb_flush(struct shadow_ctx *ctx);

/*
 * Working-set harvesting (the estimators: hv/stats/wss.h).  Every present
 * shadow leaf whose A flag is set marks its guest page in the bitmap seen
 * (bit gpa >> 12; the caller sizes it for the guest's RAM) and has A
 * cleared, and the TLB is marked stale, so the CPU's next use of the leaf
 * walks the shadow again and sets A (the one write the CPU ever makes to a
 * shadow table; invariant 3 in shadow.c).  A leaf built by a #PF starts
 * with A set: a page first touched in this interval counts too.  Leaves
 * whose guest page is marked in drop (NULL: none) are removed instead,
 * after their A flag was noted: the next access to that page exits (the
 * sampling estimator's invalidation).  Returns the present leaves seen.
 * While ctx->wss_seen is set (to the same bitmap), a leaf the pager drops
 * between two harvests (CR3 load, INVLPG, flush) leaves its A flag there,
 * so an access is not lost because its translation went before the count.
 * No 2 MiB leaf is built while ctx->wss_seen is set, and a harvest drops
 * those it finds unseen (their A flag cannot say which 4 KiB page was used).
 */
u64 shadow_harvest(struct shadow_ctx *ctx, u64 *seen, const u64 *drop);

/* Translate gva with the guest's current paging state (for emulation). */
enum walk_status shadow_translate(struct shadow_ctx *ctx, u64 gva, u32 access,
				  struct walk_result *res);

/* The real control registers the CPU must run the guest with, given the
 * guest's values (VMX fixed bits still to be applied by the glue):
 * CR0.PG and CR0.WP forced on; CR4.PAE forced on, CR4.PGE/SMEP/SMAP as the
 * guest's when its paging is on (off otherwise), PSE/PCIDE/PKE/LA57 off;
 * EFER.NXE forced on (shadow entries use XD), EFER.LME = LMA = guest LMA. */
u64 shadow_real_cr0(u64 guest_cr0);
u64 shadow_real_cr4(u64 guest_cr4, u64 guest_cr0);
u64 shadow_real_efer(u64 guest_efer, u64 guest_cr0);

#endif
