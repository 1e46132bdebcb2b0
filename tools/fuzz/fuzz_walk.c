/*
 * fuzz_walk.c - libFuzzer harness for the guest page-table walker (hv/mm/walk.c).
 *
 * A guest writes its page tables and paging registers as it likes; the walker
 * must never read outside guest RAM and must answer as walk.h says.  The input
 * is a 48-byte header (CR0, CR3, CR4, EFER, the address, the access, the
 * guest's MAXPHYADDR), then 10-byte records {u16 offset, u64 value} that
 * write the non-zero entries of an 8 KiB fake guest RAM (malloc()ed to
 * exactly that size: ASan sees any read past it).  The harness
 * walks once with WALK_PEEK and once for real, and checks: the two agree;
 * PEEK and faults change no byte of RAM; a real walk changes only A and D
 * flags; a translation keeps the offset within its page and has the rights
 * the access needed; a fault's error code describes the access.
 */
#include <stdlib.h>
#include <string.h>

#include "mm/walk.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define RAM 0x2000u

struct input {
	u64 cr0, cr3, cr4, efer, gva;
	u32 access;
	u8 maxphyaddr;
	u8 pad[3];
};

static bool same_translation(const struct walk_result *a, const struct walk_result *b)
{
	return a->gpa == b->gpa && a->page_size == b->page_size && a->rw == b->rw &&
	       a->us == b->us && a->nx == b->nx && a->global == b->global &&
	       a->memtype == b->memtype && a->level == b->level;
}

static void check_ok(const struct guest_paging *pg, u64 gva, bool user, bool write,
		     bool fetch, const struct walk_result *r)
{
	u64 ps = r->page_size;

	CHECK(ps == 4096 || ps == (2u << 20) || ps == (4u << 20) || ps == (1u << 30));
	CHECK((r->gpa & (ps - 1)) == (gva & (ps - 1)) && r->page_gpa == (r->gpa & ~0xfffull));
	CHECK(pg->mode == PAGING_NONE ? r->gpa == gva : r->gpa < BIT(52));
	CHECK(!(r->memtype & ~(PTE_PWT | PTE_PCD | PTE_PAT)));
	CHECK(pg->nxe || !r->nx);
	CHECK(pg->pge || !r->global);
	if (user)
		CHECK(r->us);
	if (fetch)
		CHECK(!r->nx);
	if (write)
		CHECK(r->dirty && (r->rw || (!user && !pg->wp)));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { 0 };
	struct guest_paging pg;
	struct walk_result peek, res;

	if (size < sizeof(in))
		return 0;
	memcpy(&in, data, sizeof(in));
	static u8 *ram, before[RAM];
	if (!ram)
		ram = malloc(RAM); /* once, exactly RAM bytes */
	memset(ram, 0, RAM);
	for (size_t i = sizeof(in); i + 10 <= size; i += 10) {
		u16 off;
		memcpy(&off, data + i, 2);
		off = off % (RAM - 7) & ~3; /* 4-byte aligned, all 8 bytes inside */
		memcpy(ram + off, data + i + 2, 8);
	}
	memcpy(before, ram, RAM);
	struct gmem m = { ram, RAM };
	guest_paging_from_regs(&pg, in.cr0, in.cr3, in.cr4, in.efer, in.maxphyaddr);
	u32 access = in.access & (WALK_ACCESS_MASK | WALK_AC | WALK_IMPLICIT);
	/* What the access is, as the error code will describe it (walk.h):
	 * a fetch is no write, an implicit access is a supervisor one. */
	bool user = (access & WALK_USER) && !(access & WALK_IMPLICIT);
	bool write = (access & WALK_WRITE) && !(access & WALK_FETCH);

	enum walk_status st = walk_guest(&m, &pg, in.gva, access | WALK_PEEK, &peek);
	CHECK(memcmp(ram, before, RAM) == 0);
	enum walk_status st2 = walk_guest(&m, &pg, in.gva, access, &res);
	CHECK(st == st2); /* WALK_RETRY cannot happen: nothing else writes RAM */

	switch (st) {
	case WALK_OK:
		check_ok(&pg, in.gva, user, write, access & WALK_FETCH, &res);
		CHECK(same_translation(&peek, &res));
		/* Only A (bit 5) and D (bit 6) may have been set, nothing cleared. */
		for (u32 i = 0; i < RAM; i++)
			if (ram[i] != before[i])
				CHECK((ram[i] & before[i]) == before[i] &&
				      ((ram[i] ^ before[i]) & ~0x60) == 0 && i % 4 == 0);
		break;
	case WALK_FAULT:
		CHECK(memcmp(ram, before, RAM) == 0 && peek.error_code == res.error_code);
		CHECK(!(res.error_code & ~0x1fu) && (!(res.error_code & PFEC_RSVD) || (res.error_code & PFEC_P)));
		CHECK(!!(res.error_code & PFEC_W) == write && !!(res.error_code & PFEC_U) == user);
		CHECK(!(res.error_code & PFEC_I) || (access & WALK_FETCH));
		break;
	case WALK_BAD_TABLE:
		CHECK(memcmp(ram, before, RAM) == 0 && peek.bad_gpa == res.bad_gpa);
		CHECK(res.bad_gpa >= RAM); /* entries are aligned to their size */
		break;
	case WALK_BAD_ADDR:
		CHECK(pg.mode == PAGING_LONG4 ? (u64)((i64)(in.gva << 16) >> 16) != in.gva
					      : in.gva >> 32 != 0);
		break;
	default:
		abort(); /* WALK_RETRY, or something walk.h does not list */
	}
	return 0;
}
