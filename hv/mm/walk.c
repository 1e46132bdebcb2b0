/*
 * walk.c - the guest page-table walker (SDM Vol. 3A chapter 4).
 *
 * One function does the work, walk_guest(), and it follows the order the SDM
 * gives the MMU: read the entry of each level from the table the level above
 * names; stop with a #PF at the first entry that is not present (P = 0) or
 * that sets a reserved bit; stop at the first entry that maps a page (level 1,
 * or PS = 1 where large pages exist); then check the access against the
 * rights combined over all the levels (SDM 4.6); and only if the access is
 * allowed, set the accessed and dirty flags (SDM 4.8).  Every read of guest
 * memory goes through gpa_ptr(): a guest page table outside guest RAM stops
 * the walk with WALK_BAD_TABLE instead of reading hypervisor memory.
 *
 * The modes differ only in shape (levels, entry size, index width), in which
 * bits are reserved, and in which levels carry R/W and U/S; those three
 * questions are answered by the small helpers below, so the walk itself is
 * written once.
 */
#include "types.h"
#include "string.h"
#include "mm/walk.h"

/* How many times an entry may change under us before we give up (WALK_RETRY). */
#define WALK_MAX_TRIES 16

void guest_paging_from_regs(struct guest_paging *pg, u64 cr0, u64 cr3, u64 cr4, u64 efer,
			    u8 maxphyaddr)
{
	memset(pg, 0, sizeof(*pg));
	if (!(cr0 & CR0_PG))
		pg->mode = PAGING_NONE;
	else if (efer & EFER_LME) /* LMA = LME && PG (SDM 9.8.5) */
		pg->mode = PAGING_LONG4;
	else if (cr4 & CR4_PAE)
		pg->mode = PAGING_PAE;
	else
		pg->mode = PAGING_32;
	pg->cr3 = cr3;
	pg->wp = cr0 & CR0_WP;
	pg->pse = cr4 & CR4_PSE;
	pg->pge = cr4 & CR4_PGE;
	pg->smep = cr4 & CR4_SMEP;
	pg->smap = cr4 & CR4_SMAP;
	pg->nxe = efer & EFER_NXE;
	pg->maxphyaddr = maxphyaddr;
}

/* The shape of each mode's tree: 32-bit paging has two levels of 1024
 * 4-byte entries; PAE has a 4-entry PDPT over two levels of 512 8-byte
 * entries; 4-level paging has four levels of 512 8-byte entries. */
struct mode_shape {
	int levels;
	int entry_bytes;
	int index_bits;
};

static const struct mode_shape shapes[] = {
	[PAGING_32] = { 2, 4, 10 },
	[PAGING_PAE] = { 3, 8, 9 },
	[PAGING_LONG4] = { 4, 8, 9 },
};

/* Bits hi..lo set (hi = 63 works: 2 << 63 wraps to 0). */
static inline u64 bits(int hi, int lo)
{
	return ((2ull << hi) - 1) & ~((1ull << lo) - 1);
}

static int maxphyaddr(const struct guest_paging *pg)
{
	int m = pg->maxphyaddr;

	if (m < 32)
		return 32;
	return m > 52 ? 52 : m;
}

/* Index of gva's entry in a table of `level` (1 = page table). */
static u64 table_index(const struct mode_shape *s, int level, u64 gva)
{
	int shift = PAGE_SHIFT + s->index_bits * (level - 1);

	return (gva >> shift) & ((1ull << s->index_bits) - 1);
}

/* Guest-physical address of the top-level table (SDM tables 4-3, 4-7, 4-12).
 * Bits of CR3 above MAXPHYADDR would have made MOV to CR3 fault; drop them. */
static u64 root_table(const struct guest_paging *pg)
{
	switch (pg->mode) {
	case PAGING_32:
		return pg->cr3 & 0xfffff000ull;
	case PAGING_PAE:
		return pg->cr3 & 0xffffffe0ull; /* the PDPT is 32-byte aligned */
	default:
		return pg->cr3 & PTE_ADDR & bits(maxphyaddr(pg) - 1, 0);
	}
}

/* Does this entry map a page, or point to the next table? */
static bool is_leaf(const struct guest_paging *pg, int level, u64 e)
{
	if (level == 1)
		return true;
	switch (pg->mode) {
	case PAGING_32:
		return level == 2 && pg->pse && (e & PTE_PS); /* PS is ignored without CR4.PSE */
	case PAGING_PAE:
		return level == 2 && (e & PTE_PS);
	default:
		return level <= 3 && (e & PTE_PS); /* 2 MiB and 1 GiB pages */
	}
}

/*
 * The bits of a present entry that must be 0 (SDM 4.3, 4.4.1, 4.4.2, 4.5.4).
 * A set reserved bit makes the walk stop with PFEC_P | PFEC_RSVD.  m is
 * maxphyaddr(pg), passed in because the walk asks at every level.
 */
static u64 reserved_bits(const struct guest_paging *pg, int m, int level, u64 e)
{
	u64 xd = pg->nxe ? 0 : PTE_NX;
	u64 r;

	switch (pg->mode) {
	case PAGING_32:
		/* Only a 4 MiB page has reserved bits: bits 20:13 carry physical
		 * address bits 39:32 (PSE-36) up to MAXPHYADDR, bit 21 is always
		 * reserved. */
		if (level == 2 && is_leaf(pg, level, e))
			return bits(21, (m > 40 ? 40 : m) - 19);
		return 0;
	case PAGING_PAE:
		r = bits(62, m);
		if (level == 3) /* PDPTE: no R/W, U/S, A, D, PS, G or XD here */
			return r | PTE_NX | bits(2, 1) | bits(8, 5);
		r |= xd;
		if (level == 2 && (e & PTE_PS))
			r |= bits(20, 13);
		return r;
	default:
		r = bits(51, m) | xd; /* bits 62:52 are ignored in 4-level entries */
		if (level == 4)
			r |= PTE_PS; /* no 512 GiB pages */
		else if (level == 3 && (e & PTE_PS))
			r |= bits(29, 13);
		else if (level == 2 && (e & PTE_PS))
			r |= bits(20, 13);
		return r;
	}
}

/* Do this level's R/W and U/S count?  PAE PDPTEs have neither (SDM 4.6). */
static bool carries_rights(const struct guest_paging *pg, int level)
{
	return !(pg->mode == PAGING_PAE && level == 3);
}

/* Does this level have an accessed flag?  Not PAE PDPTEs. */
static bool has_accessed_flag(const struct guest_paging *pg, int level)
{
	return !(pg->mode == PAGING_PAE && level == 3);
}

static u64 page_size_at(const struct guest_paging *pg, int level)
{
	if (level == 1)
		return PAGE_SIZE;
	if (pg->mode == PAGING_32)
		return 4ull << 20;
	return level == 2 ? 2ull << 20 : 1ull << 30;
}

/* Physical base of the page a final entry maps. */
static u64 page_base(const struct guest_paging *pg, u64 e, u64 size)
{
	if (pg->mode != PAGING_32)
		return e & PTE_ADDR & ~(size - 1);
	if (size == PAGE_SIZE)
		return e & 0xfffff000ull;
	/* 4 MiB page: bits 31:22 in place, bits 39:32 from entry bits 20:13. */
	return (e & 0xffc00000ull) | (((e >> 13) & 0xff) << 32);
}

/*
 * May this access go ahead, given the combined rights (SDM 4.6.1)?
 * A user-mode access needs a user page, and R/W for a write, and no XD for a
 * fetch; CR0.WP does not matter to it.  A supervisor access may do anything
 * except: fetch through XD; fetch from a user page with SMEP; touch user data
 * with SMAP unless RFLAGS.AC = 1 on an explicit access; write a read-only page
 * with CR0.WP = 1.
 */
static bool access_allowed(const struct guest_paging *pg, u32 access, bool rw, bool us, bool nx)
{
	bool write = access & WALK_WRITE;
	bool fetch = access & WALK_FETCH;

	if (access & WALK_USER) {
		if (!us)
			return false;
		if (fetch)
			return !nx;
		return !write || rw;
	}
	if (fetch)
		return !nx && !(us && pg->smep);
	if (us && pg->smap && (!(access & WALK_AC) || (access & WALK_IMPLICIT)))
		return false;
	return !write || rw || !pg->wp;
}

/*
 * The error code of a #PF for this access, without P and RSVD (SDM 4.7).
 * W/R and U/S describe the access, not the page.  I/D is reported only when
 * the CPU can tell fetches apart: with SMEP, or with XD in use.
 */
static u32 access_pfec(const struct guest_paging *pg, u32 access)
{
	u32 ec = access & (PFEC_W | PFEC_U);

	if ((access & WALK_FETCH) && (pg->smep || (pg->nxe && pg->mode != PAGING_32)))
		ec |= PFEC_I;
	return ec;
}

static u64 entry_load(const void *p, int bytes)
{
	if (bytes == 8)
		return __atomic_load_n((const u64 *)p, __ATOMIC_RELAXED);
	return __atomic_load_n((const u32 *)p, __ATOMIC_RELAXED);
}

/* Replace old by new only if the entry still holds old, as the CPU's locked
 * A/D update does: the guest (another vCPU) may have changed it meanwhile,
 * and OR-ing A into a not-present entry would corrupt what software keeps in
 * it (Linux keeps swap entries there). */
static bool entry_update(void *p, int bytes, u64 old, u64 new)
{
	if (bytes == 8)
		return __atomic_compare_exchange_n((u64 *)p, &old, new, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	u32 o = (u32)old;

	return __atomic_compare_exchange_n((u32 *)p, &o, (u32)new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* One walk; WALK_RETRY if an entry changed between our read and our A/D update. */
static enum walk_status walk_once(const struct gmem *m, const struct guest_paging *pg, u64 gva,
				  u32 access, struct walk_result *res)
{
	const struct mode_shape *s = &shapes[pg->mode];
	struct {
		void *p;
		u64 e;
		int level;
	} path[4];
	int n = 0;
	u64 table = root_table(pg);
	bool rw = true, us = true, nx = false;
	int m_bits = maxphyaddr(pg);
	u64 e;
	int level;

	for (level = s->levels;; level--) {
		u64 egpa = table + table_index(s, level, gva) * s->entry_bytes;
		void *p = gpa_ptr(m, egpa, s->entry_bytes);

		res->level = level;
		res->entry_gpa[level] = egpa;
		if (!p) {
			res->bad_gpa = egpa;
			return WALK_BAD_TABLE;
		}
		e = entry_load(p, s->entry_bytes);
		if (!(e & PTE_P)) {
			res->error_code = access_pfec(pg, access);
			return WALK_FAULT;
		}
		if (e & reserved_bits(pg, m_bits, level, e)) {
			res->error_code = access_pfec(pg, access) | PFEC_P | PFEC_RSVD;
			return WALK_FAULT;
		}
		path[n].p = p;
		path[n].e = e;
		path[n].level = level;
		n++;
		if (carries_rights(pg, level)) {
			rw = rw && (e & PTE_RW);
			us = us && (e & PTE_US);
		}
		if (pg->nxe && (e & PTE_NX)) /* when NXE = 0, bit 63 was reserved above */
			nx = true;
		if (is_leaf(pg, level, e))
			break;
		table = pg->mode == PAGING_32 ? (e & 0xfffff000ull) : (e & PTE_ADDR);
	}

	if (!access_allowed(pg, access, rw, us, nx)) {
		res->error_code = access_pfec(pg, access) | PFEC_P;
		return WALK_FAULT;
	}

	/* The access is allowed: now, and only now, mark the entries used.
	 * Usually they already are, and the loop writes nothing. */
	if (!(access & WALK_PEEK)) {
		for (int i = 0; i < n; i++) {
			u64 set = has_accessed_flag(pg, path[i].level) ? PTE_A : 0, old;

			if (i == n - 1 && (access & WALK_WRITE))
				set |= PTE_D;
			if ((path[i].e & set) == set)
				continue; /* what it needs is there (an alias below only adds) */
			/* A guest may use one entry at several levels (a table
			 * that points to itself).  Then this walk has already
			 * set A in it above: start from what we wrote, or the
			 * compare below fails on our own update and the retry
			 * reads a PAE PDPTE with A set, a reserved bit. */
			old = path[i].e;
			for (int j = 0; j < i; j++)
				if (path[j].p == path[i].p)
					old = path[j].e;
			if ((old | set) != old && !entry_update(path[i].p, s->entry_bytes, old, old | set))
				return WALK_RETRY;
			path[i].e = old | set;
		}
	}
	e = path[n - 1].e;

	res->page_size = page_size_at(pg, level);
	res->gpa = page_base(pg, e, res->page_size) + (gva & (res->page_size - 1));
	res->page_gpa = res->gpa & ~(PAGE_SIZE - 1);
	res->rw = rw;
	res->us = us;
	res->nx = nx;
	res->global = pg->pge && (e & PTE_G);
	res->dirty = e & PTE_D;
	res->memtype = e & (PTE_PWT | PTE_PCD);
	if (level == 1 ? (e & PTE_PAT) : (e & PTE_PAT_LARGE))
		res->memtype |= PTE_PAT;
	return WALK_OK;
}

enum walk_status walk_guest(const struct gmem *m, const struct guest_paging *pg, u64 gva,
			    u32 access, struct walk_result *res)
{
	memset(res, 0, sizeof(*res));

	/* Normalise the access the way the error code describes it: a fetch is
	 * not a write, and an implicit supervisor access is not a user access. */
	if (access & WALK_FETCH)
		access &= ~WALK_WRITE;
	if (access & WALK_IMPLICIT)
		access &= ~WALK_USER;

	if (pg->mode == PAGING_LONG4) {
		/* Bits 63:47 must all equal bit 47; otherwise the CPU raises #GP
		 * (or #SS) before paging is consulted. */
		if ((u64)((i64)(gva << 16) >> 16) != gva)
			return WALK_BAD_ADDR;
	} else if (gva >> 32) {
		return WALK_BAD_ADDR; /* linear addresses are 32 bits outside long mode */
	}

	if (pg->mode == PAGING_NONE) {
		/* No paging: no translation, no rights, no flags to set.  dirty
		 * is true because there is no D flag whose setting we must wait
		 * for. */
		res->gpa = gva;
		res->page_gpa = gva & ~(PAGE_SIZE - 1);
		res->page_size = PAGE_SIZE;
		res->rw = res->us = res->dirty = true;
		return WALK_OK;
	}

	for (int tries = 0; tries < WALK_MAX_TRIES; tries++) {
		enum walk_status st = walk_once(m, pg, gva, access, res);

		if (st != WALK_RETRY)
			return st;
		memset(res, 0, sizeof(*res));
	}
	return WALK_RETRY;
}
