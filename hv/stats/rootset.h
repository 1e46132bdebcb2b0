/*
 * rootset.h - the distinct page-table roots a guest loaded in one sample
 * interval (the seed's process count, `cr3_distinct`).
 *
 * The shadow pager's records cannot say it: Antfarm drops the record of an
 * exited process, so a fork+exec storm's short-lived roots would be gone
 * by the sample.  So every CR3 load goes into a small open-addressing hash
 * set (linear probing, caller's memory), emptied at each sample.  A full
 * set stops growing and says so (`overflow`): the count is then a floor.
 */
#ifndef FORMICA_STATS_ROOTSET_H
#define FORMICA_STATS_ROOTSET_H

#include "types.h"

struct rootset {
	u64 *slot;     /* nslots entries; 0 = empty (a root key is never 0: see below) */
	u32 nslots;    /* a power of two */
	u32 n;         /* distinct keys in the set */
	bool overflow; /* a key was not added: the set was 3/4 full */
};

/* slot: nslots zeroed u64s, nslots a power of two >= 4. */
void rootset_init(struct rootset *s, u64 *slot, u32 nslots);
/* Add a root key (page-aligned guest-physical address; 0 is stored as a
 * distinct marker value).  Returns true if it was new. */
bool rootset_add(struct rootset *s, u64 key);
/* Empty it for the next interval. */
void rootset_clear(struct rootset *s);

#endif
