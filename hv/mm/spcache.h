/*
 * spcache.h - the synced policy's index of shadow pages: one shadow table
 * per guest page table and role, shared by every root that reaches it.
 *
 * The cached policy (shadow.c) keeps one shadow tree per root, so the kernel
 * half is rebuilt in each, and user translations die at every CR3 load
 * because nothing tells the hv when the guest rewrites its tables.  The
 * synced policy (issue 13; KVM's and Xen's design) write-protects each guest
 * page table it shadows (wpset.h) and keys the shadow of that table by:
 *   gfn    the guest page table's frame;
 *   level  which level it is (1 = page table ... 4 = PML4);
 *   role   everything else that changes what the shadow entries must say:
 *          the paging mode, CR0.WP, EFER.NXE, CR4.SMEP/SMAP, and the rights
 *          the levels above grant (R/W, U/S, XD), which the leaves inherit.
 * A second root reaching the same kernel PDPT with the same role then finds
 * its shadow already built, and a CR3 load of a known root is a lookup.
 * A trapped write to a gfn reaches every shadow page of that gfn, whatever
 * its role (sp_first_of_gfn / sp_next_of_gfn).
 *
 * Pure: descriptors live in the caller's struct, tables are the caller's
 * pointers.  Not wired in yet: no policy uses it until it passes the
 * differential test (hv/mm/tests/test_shadow_diff.c).
 */
#ifndef FORMICA_MM_SPCACHE_H
#define FORMICA_MM_SPCACHE_H

#include "types.h"
#include "mm/walk.h"

#define SPCACHE_MAX 2048   /* shadow pages described at most */
#define SPCACHE_HASH 1024  /* buckets, by gfn (power of 2) */

/* Role bits (sp_role()). */
#define SP_ROLE_LEVEL(r) ((r) & 7u)
#define SP_ROLE_MODE_SHIFT 3 /* enum paging_mode, 2 bits */
#define SP_ROLE_WP BIT(5)
#define SP_ROLE_NXE BIT(6)
#define SP_ROLE_SMEP BIT(7)
#define SP_ROLE_SMAP BIT(8)
#define SP_ROLE_PSE BIT(9)
#define SP_ROLE_RW BIT(10)  /* every level above allows writes */
#define SP_ROLE_US BIT(11)  /* ... allows user accesses */
#define SP_ROLE_NX BIT(12)  /* some level above forbids fetches */

/* The role of the shadow of a guest table at `level` reached with the
 * combined rights rw/us/nx of the levels above it. */
u32 sp_role(const struct guest_paging *pg, int level, bool rw, bool us, bool nx);

struct sp {
	u64 gfn;        /* the guest page table shadowed */
	u32 role;
	u64 *table;     /* the shadow table (the caller's page) */
	u32 parents;    /* shadow entries pointing at it (roots count as one each) */
	bool unsync;    /* a leaf table let out of sync: resync before use */
	i32 next;       /* bucket chain, or free list */
};

struct spcache {
	struct sp sp[SPCACHE_MAX];
	i32 bucket[SPCACHE_HASH];
	i32 free_head;
	u32 used;
};

void sp_init(struct spcache *c);
/* The shadow page for (gfn, role), or NULL. */
struct sp *sp_find(struct spcache *c, u64 gfn, u32 role);
/* A new descriptor for (gfn, role) -> table (which must not be described
 * yet), parents = 0; NULL if the cache is full. */
struct sp *sp_add(struct spcache *c, u64 gfn, u32 role, u64 *table);
void sp_del(struct spcache *c, struct sp *sp);
/* Every shadow page of gfn, whatever the role: for (sp = sp_first_of_gfn();
 * sp; sp = sp_next_of_gfn(sp)).  Deleting the current one ends the walk. */
struct sp *sp_first_of_gfn(struct spcache *c, u64 gfn);
struct sp *sp_next_of_gfn(struct spcache *c, struct sp *sp);

#endif
