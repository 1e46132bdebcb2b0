/*
 * synced.h - the synced shadow policy's memory: which guest page tables each
 * shadow was built from.
 *
 * Why: the cached policy must drop a root's user translations at every CR3
 * load, because a guest may have rewritten its tables since without telling
 * anyone (a real TLB is flushed by that load).  If instead every guest table
 * a shadow leaf came from is write-protected, every such rewrite exits, and
 * the shadow can be corrected at that moment and kept across CR3 loads.  For
 * that the hv must know, for a written guest table, which shadow entries
 * came from it: one record per (root, guest table, the linear range it maps
 * there).  Each record holds its table's frame once in the write-protect set
 * (wpset.h, owner WP_SHADOW).  synced.c has the code.
 */
#ifndef FORMICA_MM_SYNCED_H
#define FORMICA_MM_SYNCED_H

#include "types.h"
#include "mm/wpset.h"

#define SYNC_RECS 8192   /* records at most per context */
#define SYNC_HASH 4096   /* buckets, by (guest table frame, root) (power of 2) */
/* Trapped writes to an upper table (not a page table, which goes at its
 * first) without a walk through it in between, after which the shadow lets
 * it out of sync: the guest is rewriting it (a new root's clear_page(), an
 * exiting process's teardown), not using it.  With sync_strict it is
 * unshadowed instead (all built from it dropped now), except a root:
 * dropping all a root's shadow would refault its kernel half. */
#define SYNC_UNSHADOW_WRITES 4

struct sync_rec {
	u64 table;        /* guest-physical address of the table's entry 0 */
	u64 base;         /* linear address its entry 0 maps in this root */
	i32 hnext;        /* next in its hash bucket, or in the free list */
	i32 fprev, fnext; /* the records of tables in its frame bucket, every
			   * root's (shadow_sync.frame): what one write reaches */
	i32 aprev, anext; /* the root's records (shadow_as.sync_head) */
	i16 as;           /* index of the root's record in ctx->as[] */
	u8 level;         /* 1 = page table ... 4 = PML4 */
	u8 writes;        /* trapped writes since a walk last went through it */
	bool unsync;      /* let out of sync: it holds no protection, and the
			   * root's next CR3 load resyncs it (synced.c) */
	i16 snap;         /* ... the copy of the table made then (sync->snap), -1 none */
	u64 seen;         /* shadow_sync.pass that last visited it (a write reaches a
			   * record once even when a deletion restarts the walk) */
	u64 walked[8];    /* out of sync: entries walked through since (512 bits; a
			   * 1024-entry table shares one per pair): their leaves may
			   * come from a value the copy never saw */
};

/* A copy of a guest table made when its records went out of sync: at the
 * next CR3 load only the entries that differ from it are dropped.  Records
 * let go in one pass (one trapped write reaching every root) share one. */
#define SYNC_SNAPS 64
struct sync_snap {
	u64 gfn;   /* the frame copied */
	u64 pass;  /* shadow_sync.pass when copied */
	u64 *page; /* the copy (from ops.alloc_page), kept for reuse when the
		    * slot is free; NULL: none yet */
	u32 refs;  /* records that point at it; 0: slot free */
};

struct shadow_sync {
	struct wpset wp;  /* guest frames the shadow holds (owner WP_SHADOW only;
			   * Antfarm's roots are the sorted watch list, watch.c) */
	struct sync_rec rec[SYNC_RECS];
	i32 bucket[SYNC_HASH];  /* by (frame, root): the fault path's lookup */
	i32 frame[SYNC_HASH];   /* by frame alone: a trapped write visits only the
				 * records of its table, not every root */
	i32 free_head;
	u32 used;
	struct sync_snap snap[SYNC_SNAPS];
	u32 nsnaps;       /* slots ever used (snap[nsnaps...] are unused): a
			   * copy looks at these only, usually a handful */
	u64 pass;         /* trapped writes and let-gos so far */
};

void sync_init(struct shadow_sync *s);

#endif
