/*
 * rootset.c - a set of page-table roots (rootset.h says why).  Keys are
 * page-aligned, so their low bits carry nothing: the hash multiplies by a
 * large odd constant (Fibonacci hashing) and takes the top bits.
 */
#include "types.h"
#include "string.h"
#include "stats/rootset.h"

/* Root 0 (a guest may use page 0 as a table) is stored as this: no root
 * key has bit 0 set. */
#define ZERO_KEY 1ull

void rootset_init(struct rootset *s, u64 *slot, u32 nslots)
{
	s->slot = slot;
	s->nslots = nslots;
	rootset_clear(s);
}

void rootset_clear(struct rootset *s)
{
	memset(s->slot, 0, (u64)s->nslots * sizeof(u64));
	s->n = 0;
	s->overflow = false;
}

bool rootset_add(struct rootset *s, u64 key)
{
	u64 k = key ? key : ZERO_KEY;
	u32 mask = s->nslots - 1;
	u32 i = (u32)((k * 0x9e3779b97f4a7c15ull) >> 40) & mask;

	for (;; i = (i + 1) & mask) {
		if (s->slot[i] == k)
			return false;
		if (!s->slot[i])
			break;
	}
	if ((s->n + 1) * 4 > s->nslots * 3) { /* keep probes short: 3/4 full at most */
		s->overflow = true;
		return false;
	}
	s->slot[i] = k;
	s->n++;
	return true;
}
