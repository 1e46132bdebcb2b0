/*
 * wpset.h - the write-protect set: guest frames whose shadow leaves must
 * stay read-only, and who asked.
 *
 * Two owners trap writes to guest pages: Antfarm watches every live
 * page-table root (it must see each write to one), and the synced shadow
 * policy (issue 13) protects every guest page table it shadows (a write must
 * invalidate the shadows built from it).  A frame is protected while anyone
 * holds it, so the set keeps ONE count per frame, split by owner: a trapped
 * write is emulated once and fed to every owner that holds the frame, and
 * one owner letting go never unprotects a frame the other still needs.
 * Antfarm holds a root once; the shadow holds a table once per shadow page
 * built from it (one per role, spcache.h).
 *
 * Pure (no glue, no allocation): an open-addressed hash in the caller's
 * struct; lookups, adds and removals cost O(1) on average.  Not wired in
 * yet: shadow.c still keeps its own sorted watch list (shadow_watch).
 */
#ifndef FORMICA_MM_WPSET_H
#define FORMICA_MM_WPSET_H

#include "types.h"

#define WPSET_SLOTS 4096 /* power of 2 */
#define WPSET_MAX (WPSET_SLOTS / 4 * 3) /* frames held at most: probes stay short */

enum wp_owner {
	WP_ANTFARM, /* a page-table root Antfarm counts (rootwrite.h) */
	WP_SHADOW,  /* a guest page table the synced policy shadows */
	WP_OWNERS,
};

struct wp_slot {
	u64 gfn;               /* guest frame number; WPSET_EMPTY if the slot is free */
	u16 count[WP_OWNERS];  /* holds per owner */
};
#define WPSET_EMPTY (~0ull)

/* Frames protected per 2 MiB of guest-physical memory, below 4 GiB (above:
 * one count for all), so "is any page of these 2 MiB protected" is one read
 * (the shadow asks before it builds a 2 MiB leaf). */
#define WPSET_REGIONS 2048

struct wpset {
	struct wp_slot slot[WPSET_SLOTS];
	u32 used; /* frames held */
	u16 region[WPSET_REGIONS]; /* frames held in each 2 MiB below 4 GiB */
	u32 high;                  /* frames held at or above 4 GiB */
};

void wp_init(struct wpset *s);

/* owner takes a hold on gfn.  Returns 1 if the frame was not protected
 * before (the caller must now take write access away from its shadow
 * leaves), 0 if it already was, -1 if the set is full or a count would
 * overflow (nothing changed). */
int wp_hold(struct wpset *s, u64 gfn, enum wp_owner owner);

/* owner lets go of one hold.  Returns 1 if the frame is no longer
 * protected (its leaves may become writable again, lazily at their next
 * fault), 0 if someone still holds it, -1 if owner held none (nothing
 * changed). */
int wp_release(struct wpset *s, u64 gfn, enum wp_owner owner);

bool wp_is_protected(const struct wpset *s, u64 gfn);
/* Holds of owner on gfn (0 if none). */
u32 wp_holds(const struct wpset *s, u64 gfn, enum wp_owner owner);
/* Bit (1 << owner) for each owner holding gfn: whom a trapped write feeds. */
u32 wp_owners(const struct wpset *s, u64 gfn);
/* Is any frame of the 2 MiB region holding gfn protected?  (Above 4 GiB:
 * true if any frame up there is, which is never wrong.) */
bool wp_range_protected(const struct wpset *s, u64 gfn);

#endif
