/*
 * spcache.c - the index of shadow pages by (gfn, level, role) (spcache.h).
 *
 * One chained hash on the gfn alone: a bucket's chain holds every shadow
 * page of the frames hashing there, so the lookup of one role and the walk
 * over all roles of a frame (what a trapped write needs) are the same walk.
 * Descriptors come from a fixed array with a free list: no allocation.
 */
#include "types.h"
#include "string.h"
#include "mm/spcache.h"

#define END (-1)

u32 sp_role(const struct guest_paging *pg, int level, bool rw, bool us, bool nx)
{
	u32 r = (u32)level | (u32)pg->mode << SP_ROLE_MODE_SHIFT;

	r |= pg->wp ? SP_ROLE_WP : 0;
	r |= pg->nxe ? SP_ROLE_NXE : 0;
	r |= pg->smep ? SP_ROLE_SMEP : 0;
	r |= pg->smap ? SP_ROLE_SMAP : 0;
	r |= pg->pse ? SP_ROLE_PSE : 0;
	r |= rw ? SP_ROLE_RW : 0;
	r |= us ? SP_ROLE_US : 0;
	r |= nx ? SP_ROLE_NX : 0;
	return r;
}

static u32 bucket_of(u64 gfn)
{
	return (u32)((gfn * 0x9e3779b97f4a7c15ull) >> 32) & (SPCACHE_HASH - 1);
}

void sp_init(struct spcache *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < SPCACHE_HASH; i++)
		c->bucket[i] = END;
	for (int i = 0; i < SPCACHE_MAX; i++)
		c->sp[i].next = i + 1 < SPCACHE_MAX ? i + 1 : END;
	c->free_head = 0;
}

/* From chain position i on, the first shadow page of gfn. */
static struct sp *of_gfn_from(struct spcache *c, i32 i, u64 gfn)
{
	for (; i != END; i = c->sp[i].next)
		if (c->sp[i].gfn == gfn)
			return &c->sp[i];
	return NULL;
}

struct sp *sp_first_of_gfn(struct spcache *c, u64 gfn)
{
	return of_gfn_from(c, c->bucket[bucket_of(gfn)], gfn);
}

struct sp *sp_next_of_gfn(struct spcache *c, struct sp *sp)
{
	return of_gfn_from(c, sp->next, sp->gfn);
}

struct sp *sp_find(struct spcache *c, u64 gfn, u32 role)
{
	struct sp *sp;

	for (sp = sp_first_of_gfn(c, gfn); sp; sp = sp_next_of_gfn(c, sp))
		if (sp->role == role)
			return sp;
	return NULL;
}

struct sp *sp_add(struct spcache *c, u64 gfn, u32 role, u64 *table)
{
	u32 b = bucket_of(gfn);
	struct sp *sp;

	if (c->free_head == END)
		return NULL;
	sp = &c->sp[c->free_head];
	c->free_head = sp->next;
	*sp = (struct sp){ .gfn = gfn, .role = role, .table = table, .next = c->bucket[b] };
	c->bucket[b] = (i32)(sp - c->sp);
	c->used++;
	return sp;
}

void sp_del(struct spcache *c, struct sp *sp)
{
	i32 i = (i32)(sp - c->sp);
	i32 *link = &c->bucket[bucket_of(sp->gfn)];

	while (*link != i)
		link = &c->sp[*link].next;
	*link = sp->next;
	memset(sp, 0, sizeof(*sp));
	sp->next = c->free_head;
	c->free_head = i;
	c->used--;
}
