/*
 * wpset.c - the write-protect set (wpset.h).
 *
 * Open addressing with linear probing: a frame lives in the first free slot
 * at or after its hash.  Removal does not leave a tombstone; it moves later
 * members of the same probe run back into the hole (Knuth's Algorithm R,
 * TAOCP vol. 3, 6.4), so every lookup stops at the first empty slot and the
 * set never degrades however many frames come and go.
 */
#include "types.h"
#include "string.h"
#include "mm/wpset.h"

static u32 home(u64 gfn)
{
	return (u32)((gfn * 0x9e3779b97f4a7c15ull) >> 32) & (WPSET_SLOTS - 1);
}

static u32 next(u32 i)
{
	return (i + 1) & (WPSET_SLOTS - 1);
}

/* The per-2 MiB count of gfn's region (wpset.h). */
static void region_add(struct wpset *s, u64 gfn, int d)
{
	u64 r = gfn >> 9;

	if (r < WPSET_REGIONS)
		s->region[r] = (u16)(s->region[r] + d);
	else
		s->high = (u32)(s->high + d);
}

bool wp_range_protected(const struct wpset *s, u64 gfn)
{
	u64 r = gfn >> 9;

	return r < WPSET_REGIONS ? s->region[r] != 0 : s->high != 0;
}

void wp_init(struct wpset *s)
{
	for (u32 i = 0; i < WPSET_SLOTS; i++) {
		s->slot[i].gfn = WPSET_EMPTY;
		memset(s->slot[i].count, 0, sizeof(s->slot[i].count));
	}
	s->used = 0;
	memset(s->region, 0, sizeof(s->region));
	s->high = 0;
}

/* The slot holding gfn, or the empty slot that ends its probe run. */
static struct wp_slot *probe(const struct wpset *s, u64 gfn)
{
	u32 i = home(gfn);

	while (s->slot[i].gfn != WPSET_EMPTY && s->slot[i].gfn != gfn)
		i = next(i);
	return (struct wp_slot *)&s->slot[i];
}

static u32 total(const struct wp_slot *w)
{
	u32 n = 0;

	for (int o = 0; o < WP_OWNERS; o++)
		n += w->count[o];
	return n;
}

int wp_hold(struct wpset *s, u64 gfn, enum wp_owner owner)
{
	struct wp_slot *w = probe(s, gfn);

	if (w->gfn == gfn) {
		if (w->count[owner] == 0xffff)
			return -1;
		w->count[owner]++;
		return 0;
	}
	if (s->used >= WPSET_MAX || gfn == WPSET_EMPTY)
		return -1;
	w->gfn = gfn;
	memset(w->count, 0, sizeof(w->count));
	w->count[owner] = 1;
	s->used++;
	region_add(s, gfn, 1);
	return 1;
}

/* Empty slot i and close the hole (Algorithm R): a later member of the run
 * moves into it unless its home lies cyclically in (hole, member]. */
static void remove_at(struct wpset *s, u32 hole)
{
	u32 i = hole;

	for (;;) {
		i = next(i);
		if (s->slot[i].gfn == WPSET_EMPTY)
			break;
		u32 h = home(s->slot[i].gfn);
		bool stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i);

		if (stays)
			continue;
		s->slot[hole] = s->slot[i];
		hole = i;
	}
	s->slot[hole].gfn = WPSET_EMPTY;
	memset(s->slot[hole].count, 0, sizeof(s->slot[hole].count));
	s->used--;
}

int wp_release(struct wpset *s, u64 gfn, enum wp_owner owner)
{
	struct wp_slot *w = probe(s, gfn);

	if (w->gfn != gfn || w->count[owner] == 0)
		return -1;
	w->count[owner]--;
	if (total(w))
		return 0;
	region_add(s, gfn, -1);
	remove_at(s, (u32)(w - s->slot));
	return 1;
}

bool wp_is_protected(const struct wpset *s, u64 gfn)
{
	return probe(s, gfn)->gfn == gfn;
}

u32 wp_holds(const struct wpset *s, u64 gfn, enum wp_owner owner)
{
	const struct wp_slot *w = probe(s, gfn);

	return w->gfn == gfn ? w->count[owner] : 0;
}

u32 wp_owners(const struct wpset *s, u64 gfn)
{
	const struct wp_slot *w = probe(s, gfn);
	u32 m = 0;

	for (int o = 0; o < WP_OWNERS && w->gfn == gfn; o++)
		if (w->count[o])
			m |= 1u << o;
	return m;
}
