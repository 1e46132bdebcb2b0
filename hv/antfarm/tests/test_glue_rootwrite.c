/*
 * test_glue_rootwrite.c - the watched-write path of the paging glue, end to
 * end over the real pure cores: guest page tables (mm/tests/guest_pt.h),
 * the shadow pager, the walker, the instruction emulator and Antfarm.
 *
 * The simulated guest is laid out like Linux: a kernel root K (user half
 * empty, like init_mm's), process roots A and B whose kernel half is K's,
 * kernel text at 0xffffffff81000000 in two 4 KiB pages that are NOT
 * neighbours in guest-physical memory, and a direct map of the roots at
 * 0xffff888000000000 through which the "kernel" writes page tables.  Each
 * write goes the way it goes in the hv: shadow_page_fault() must say
 * SHADOW_WATCHED_WRITE, then af_emulate_write() does the rest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "antfarm/rootwrite.h"
#include "mm/synced.h"
#include "mm/tests/guest_pt.h"

#define CODE 0xffffffff81000000ull  /* two pages of kernel text */
#define CODE0_GPA 0x100000ull
#define CODE1_GPA 0x300000ull       /* not CODE0_GPA + 4 KiB, on purpose */
#define DMAP 0xffff888000000000ull  /* direct map of [ROOTS, ROOTS + 2 MiB) */
#define ROOTS 0x200000ull
#define ROOT_A (ROOTS + 0x1000)
#define ROOT_B (ROOTS + 0x2000)
#define PLAIN (ROOTS + 0x3000)      /* an ordinary page, never a root */
#define USER_TEXT 0x5000ull         /* gpa of a user page table (any gpa will do) */
#define RW_P (PTE_P | PTE_RW)

static struct gpt g;
static struct shadow_ctx sh;
static struct af af;
static struct af_event evs[32];
static unsigned nev;
static u64 tsc = 1000;
static u64 kroot;

/* ---- the shadow pager's page supply ---- */

static void *zpage(void *opaque, bool below_4g)
{
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	(void)opaque;
	(void)below_4g;
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static void page_free(void *opaque, void *page)
{
	(void)opaque;
	free(page);
}

/* ---- Antfarm's ops, as hv/guest/antfarm_glue.c wires them ---- */

static void on_event(void *ctx, const struct af_event *ev)
{
	(void)ctx;
	assert_true(nev < 32);
	evs[nev++] = *ev;
}

static bool on_watch(void *ctx, u64 root)
{
	return shadow_watch(ctx, root) == SHADOW_OK;
}

static void on_unwatch(void *ctx, u64 root)
{
	shadow_unwatch(ctx, root);
}

static int on_count(void *ctx, u64 root)
{
	const u64 *p = gpa_ptr(((struct shadow_ctx *)ctx)->gm, root, PAGE_SIZE);

	return p ? (int)af_count_user(p) : -1;
}

/* ---- helpers ---- */

static u64 *ram_q(u64 gpa)
{
	return (u64 *)(g.m.base + gpa);
}

/* Store instruction bytes at a kernel-text address, page by page. */
static void put_code(u64 gva, const u8 *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		u64 a = gva + i;
		u64 gpa = ((a - CODE) < PAGE_SIZE ? CODE0_GPA : CODE1_GPA) + (a & 0xfff);

		g.m.base[gpa] = b[i];
	}
}

/* MOV to CR3, as the glue does it: the shadow first, then Antfarm. */
static void load(u64 root)
{
	assert_true(shadow_cr3_load(&sh, root) != 0);
	af_cr3_load(&af, 0, root, tsc += 10, 0);
}

/* A new process root: K's kernel half, and n user entries from index first. */
static void make_root(u64 root, unsigned first, unsigned n)
{
	memset(ram_q(root), 0, PAGE_SIZE);
	memcpy(ram_q(root) + 256, ram_q(kroot) + 256, 256 * 8);
	for (unsigned i = 0; i < n; i++)
		ram_q(root)[first + i] = USER_TEXT | RW_P | PTE_US;
}

/*
 * The guest's write at fault_lin by the instruction at rip faults: the
 * shadow pager must call it a watched write, then the glue emulates it.
 */
static int guest_write(const u8 *insn, size_t n, struct emu_regs *r, u64 rip, u64 fault_lin,
		       u32 access, struct emu_insn *in)
{
	static const struct emu_segs segs = { 0, 0 };
	struct shadow_fault f;

	put_code(rip, insn, n);
	r->rip = rip;
	assert_int_equal(shadow_page_fault(&sh, fault_lin, PFEC_W | (access & WALK_USER), false, &f),
			 SHADOW_WATCHED_WRITE);
	return af_emulate_write(&af, &sh, r, &segs, access, fault_lin, tsc += 10, in);
}

static u32 count_of(u64 root)
{
	for (unsigned i = 0; i < AF_MAX_SPACES; i++)
		if (af.sp[i].asid == root && af.sp[i].state == 1 /* live */)
			return af.sp[i].count;
	fail_msg("0x%llx is not a live root", (unsigned long long)root);
	return 0;
}

static int setup(void **state)
{
	static const struct shadow_ops sops = { zpage, page_free, NULL, NULL };
	struct af_ops aops = { on_event, on_watch, on_unwatch, on_count, &sh };
	struct guest_paging pg;

	(void)state;
	gpt_init(&g, PAGING_LONG4);
	kroot = g.cr3;
	gpt_map(&g, CODE, CODE0_GPA, PAGE_SIZE, PTE_P, RW_P);
	gpt_map(&g, CODE + PAGE_SIZE, CODE1_GPA, PAGE_SIZE, PTE_P, RW_P);
	gpt_map(&g, DMAP, ROOTS, 2ull << 20, RW_P, RW_P);
	assert_int_equal(shadow_init(&sh, &sops, &g.m, SHADOW_REFERENCE), SHADOW_OK);
	pg = gpt_paging(&g);
	assert_true(shadow_set_paging(&sh, &pg) != 0);
	af_init(&af, &aops, 0, 0);
	nev = 0;
	make_root(ROOT_A, 0, 4);
	make_root(ROOT_B, 250, 2);
	return 0;
}

static struct shadow_sync sync_recs; /* the synced policy's records */

/* Under the synced shadow policy a root is also a guest table the shadow
 * holds: one emulated store feeds both owners.  Antfarm still counts its
 * user entries exactly; the shadow drops what it built through the entry. */
static void test_synced_write_feeds_both(void **state)
{
	static const u8 mov[] = { 0x48, 0x89, 0x07 }; /* mov %rax,(%rdi) */
	struct shadow_fault f;
	struct emu_regs r;
	struct emu_insn in;
	u64 a = DMAP + (ROOT_A - ROOTS);

	(void)state;
	sync_init(&sync_recs);
	sh.sync = &sync_recs;
	sh.user_seen = true; /* past synced's boot rule: user code has run */
	shadow_set_policy(&sh, SHADOW_SYNCED);
	load(ROOT_A);
	/* A fetch of kernel text walks through A's PML4: the shadow holds it. */
	assert_int_equal(shadow_page_fault(&sh, CODE + 0x40, PFEC_I, false, &f), SHADOW_FIXED);
	assert_true(shadow_is_protected(&sh, ROOT_A));

	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = a + 8 * 3; /* a user entry cleared */
	assert_int_equal(guest_write(mov, sizeof(mov), &r, CODE + 0x40, r.gpr[GPR_RDI], 0, &in),
			 EMU_OK);
	assert_int_equal(count_of(ROOT_A), 3);
	assert_int_equal(af.st.root_writes, 1);
	assert_int_equal(sh.stats.sync_writes, 1);

	/* The kernel entry the text was reached through, rewritten: Antfarm
	 * does not count it, the shadow drops the leaf built through it. */
	u64 zaps = sh.stats.sync_zaps;
	r.gpr[GPR_RDI] = a + 8 * 511;
	r.gpr[GPR_RAX] = ram_q(ROOT_A)[511];
	assert_int_equal(guest_write(mov, sizeof(mov), &r, CODE + 0x40, r.gpr[GPR_RDI], 0, &in),
			 EMU_OK);
	assert_int_equal(sh.stats.sync_zaps, zaps + 1);
	assert_int_equal(count_of(ROOT_A), 3);
	assert_int_equal(af.st.anomalies + af.st.stale_writes, 0);

	/* Antfarm letting go leaves the shadow's hold, and so the protection. */
	shadow_unwatch(&sh, ROOT_A);
	assert_true(shadow_is_protected(&sh, ROOT_A));
}

static int teardown(void **state)
{
	(void)state;
	shadow_destroy(&sh);
	gpt_free(&g);
	return 0;
}

/* ---- tests ---- */

static void test_fetch_crosses_pages(void **state)
{
	u8 want[EMU_MAX_INSN_LEN], got[EMU_MAX_INSN_LEN];
	u64 rip = CODE + PAGE_SIZE - 4;

	(void)state;
	for (unsigned i = 0; i < sizeof(want); i++)
		want[i] = (u8)(0xa0 + i);
	put_code(rip, want, sizeof(want));
	assert_int_equal(af_fetch_insn(&sh, rip, 0, got), EMU_MAX_INSN_LEN);
	assert_memory_equal(got, want, sizeof(want));
	/* The first page alone holds all 15: one translation. */
	assert_int_equal(af_fetch_insn(&sh, CODE + 16, 0, got), EMU_MAX_INSN_LEN);

	/* The next page unmapped: what the first page has. */
	gpt_set(&g, gpt_entry(&g, CODE + PAGE_SIZE, 1), 0);
	assert_int_equal(af_fetch_insn(&sh, rip, 0, got), 4);
	assert_memory_equal(got, want, 4);
	/* Nothing at rip. */
	assert_int_equal(af_fetch_insn(&sh, CODE + 2 * PAGE_SIZE, 0, got), 0);
	/* A user fetch from kernel text is no fetch. */
	assert_int_equal(af_fetch_insn(&sh, CODE + 16, WALK_USER, got), 0);
}

/* set_p4d()/p4d_clear() are MOVs; this one straddles two text pages. */
static void test_mov_across_pages(void **state)
{
	static const u8 mov[] = { 0x48, 0x89, 0x07 }; /* mov %rax,(%rdi) */
	struct emu_regs r;
	struct emu_insn in;

	(void)state;
	load(ROOT_A);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].kind, AF_EV_CREATE);
	assert_int_equal(count_of(ROOT_A), 4);

	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = DMAP + (ROOT_A - ROOTS) + 8 * 3;
	r.gpr[GPR_RAX] = 0;
	assert_int_equal(guest_write(mov, sizeof(mov), &r, CODE + PAGE_SIZE - 1,
				     r.gpr[GPR_RDI], 0, &in), EMU_OK);
	assert_int_equal(r.rip, CODE + PAGE_SIZE + 2);
	assert_int_equal(ram_q(ROOT_A)[3], 0);
	assert_int_equal(count_of(ROOT_A), 3);

	/* A new entry, written through the kernel alias of the same page. */
	r.gpr[GPR_RDI] = DMAP + (ROOT_A - ROOTS) + 8 * 100;
	r.gpr[GPR_RAX] = USER_TEXT | RW_P;
	assert_int_equal(guest_write(mov, sizeof(mov), &r, CODE + 0x40, r.gpr[GPR_RDI], 0, &in),
			 EMU_OK);
	assert_int_equal(ram_q(ROOT_A)[100], USER_TEXT | RW_P);
	assert_int_equal(count_of(ROOT_A), 4);
	assert_int_equal(af.st.root_writes, 2);
	assert_int_equal(af.st.anomalies + af.st.stale_writes, 0);
}

/* clear_page() of a root, then the flush that confirms the exit; a REP
 * STOS from mid-page stops at the page's end for the hardware to go on. */
static void test_clear_page_then_exit(void **state)
{
	static const u8 stos[] = { 0xf3, 0x48, 0xab }; /* rep stos %rax,(%rdi) */
	struct emu_regs r;
	struct emu_insn in;
	u64 a = DMAP + (ROOT_A - ROOTS);

	(void)state;
	load(ROOT_A);
	load(ROOT_B);
	load(kroot);
	assert_int_equal(nev, 2);

	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = a + 8 * 2; /* entries 2.. of A, on into B's page */
	r.gpr[GPR_RCX] = 1024;
	assert_int_equal(guest_write(stos, sizeof(stos), &r, CODE + 0x100, a + 8 * 2, 0, &in),
			 EMU_OK);
	assert_int_equal(r.gpr[GPR_RCX], 1024 - 510);
	assert_int_equal(r.gpr[GPR_RDI], a + PAGE_SIZE);
	assert_int_equal(r.rip, CODE + 0x100); /* not done: the guest resumes it */
	assert_int_equal(count_of(ROOT_A), 2);
	assert_int_equal(ram_q(ROOT_B)[250], USER_TEXT | RW_P | PTE_US); /* B untouched */

	r.gpr[GPR_RDI] = a;
	r.gpr[GPR_RCX] = 2;
	assert_int_equal(guest_write(stos, sizeof(stos), &r, CODE + 0x100, a, 0, &in), EMU_OK);
	assert_int_equal(r.rip, CODE + 0x103);
	assert_int_equal(count_of(ROOT_A), 0);
	assert_int_equal(nev, 2); /* no flush yet */

	load(kroot);
	assert_int_equal(nev, 3);
	assert_int_equal(evs[2].kind, AF_EV_EXIT);
	assert_int_equal(evs[2].asid, ROOT_A);
	assert_int_equal(evs[2].live, 1);
	assert_false(shadow_is_watched(&sh, ROOT_A));
	assert_true(shadow_is_watched(&sh, ROOT_B));
	assert_int_equal(af.st.root_writes, 256);
}

/* ptep_get_and_clear-style XCHG, the cmpxchg helpers, clear_bit. */
static void test_locked_writers(void **state)
{
	static const u8 xchg[] = { 0x48, 0x87, 0x07 };             /* xchg %rax,(%rdi) */
	static const u8 cmpxchg[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x0f }; /* lock cmpxchg %rcx,(%rdi) */
	static const u8 btr[] = { 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x00 }; /* lock btrq $0,(%rdi) */
	struct emu_regs r;
	struct emu_insn in;
	u64 b = DMAP + (ROOT_B - ROOTS), e250 = USER_TEXT | RW_P | PTE_US;

	(void)state;
	load(ROOT_B);
	memset(&r, 0, sizeof(r));

	r.gpr[GPR_RDI] = b + 8 * 250;
	assert_int_equal(guest_write(xchg, sizeof(xchg), &r, CODE, r.gpr[GPR_RDI], 0, &in), EMU_OK);
	assert_int_equal(r.gpr[GPR_RAX], e250);
	assert_int_equal(count_of(ROOT_B), 1);

	/* A CMPXCHG that fails writes the old value back: no change. */
	r.gpr[GPR_RDI] = b + 8 * 251;
	r.gpr[GPR_RAX] = 0x1234;
	r.gpr[GPR_RCX] = 0;
	assert_int_equal(guest_write(cmpxchg, sizeof(cmpxchg), &r, CODE, r.gpr[GPR_RDI], 0, &in),
			 EMU_OK);
	assert_false(r.rflags & RFLAGS_ZF);
	assert_int_equal(r.gpr[GPR_RAX], e250);
	assert_int_equal(count_of(ROOT_B), 1);
	/* ... and succeeds with the value it returned. */
	assert_int_equal(guest_write(cmpxchg, sizeof(cmpxchg), &r, CODE, r.gpr[GPR_RDI], 0, &in),
			 EMU_OK);
	assert_true(r.rflags & RFLAGS_ZF);
	assert_int_equal(ram_q(ROOT_B)[251], 0);
	assert_int_equal(count_of(ROOT_B), 0);

	/* Refilled before any flush: it never exited. */
	ram_q(ROOT_B)[251] = e250; /* (as if emulated; the count must follow) */
	af_root_write(&af, ROOT_B, 251, 0, e250, tsc);
	load(kroot);
	assert_int_equal(nev, 1);

	r.gpr[GPR_RDI] = b + 8 * 251;
	assert_int_equal(guest_write(btr, sizeof(btr), &r, CODE, r.gpr[GPR_RDI], 0, &in), EMU_OK);
	assert_true(r.rflags & RFLAGS_CF);
	assert_int_equal(ram_q(ROOT_B)[251], e250 & ~PTE_P);
	load(kroot);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[1].kind, AF_EV_EXIT);
	assert_int_equal(evs[1].asid, ROOT_B);
}

/* FS-relative operands, as per-CPU data would be. */
static void test_segment_base(void **state)
{
	static const u8 mov_fs[] = { 0x64, 0x48, 0x89, 0x07 }; /* mov %rax,%fs:(%rdi) */
	const struct emu_segs segs = { DMAP + (ROOT_A - ROOTS), 0 };
	struct emu_regs r;
	struct emu_insn in;
	struct shadow_fault f;
	u64 lin = DMAP + (ROOT_A - ROOTS) + 8;

	(void)state;
	load(ROOT_A);
	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = 8;
	r.rip = CODE;
	put_code(CODE, mov_fs, sizeof(mov_fs));
	assert_int_equal(shadow_page_fault(&sh, lin, PFEC_W, false, &f), SHADOW_WATCHED_WRITE);
	assert_int_equal(af_emulate_write(&af, &sh, &r, &segs, 0, lin, tsc, &in), EMU_OK);
	assert_int_equal(ram_q(ROOT_A)[1], 0);
	assert_int_equal(count_of(ROOT_A), 3);
}

/* What the glue must refuse: nothing may change, and the line names it. */
static void test_refusals(void **state)
{
	static const u8 xadd[] = { 0xf0, 0x48, 0x0f, 0xc1, 0x07 }; /* lock xadd %rax,(%rdi) */
	static const u8 mov[] = { 0x48, 0x89, 0x07 };
	const struct emu_segs segs = { 0, 0 };
	u64 a = DMAP + (ROOT_A - ROOTS), kcr3 = g.cr3;
	struct emu_regs r;
	struct emu_insn in;
	char line[160];
	int err;

	(void)state;
	load(ROOT_A);
	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = a;
	r.gpr[GPR_RAX] = 5;

	err = guest_write(xadd, sizeof(xadd), &r, CODE + PAGE_SIZE - 2, a, 0, &in);
	assert_int_equal(err, EMU_ERR_UNSUPPORTED);
	emu_format_error(line, sizeof(line), err, &in);
	assert_memory_equal(line, "unsupported instruction f0 48 0f c1 07", 38);
	assert_int_equal(r.rip, CODE + PAGE_SIZE - 2);
	assert_int_equal(r.gpr[GPR_RAX], 5);

	/* The bytes at RIP do not write the faulting address. */
	r.gpr[GPR_RDI] = a + 8;
	err = guest_write(mov, sizeof(mov), &r, CODE, a, 0, &in);
	assert_int_equal(err, EMU_ERR_ADDRESS);
	assert_int_equal(r.rip, CODE);

	/* CPL 3 code (user text mapped in A) storing into a supervisor page:
	 * the shadow pager would have injected a #PF, but the emulator's
	 * memory callbacks refuse it on their own too. */
	g.cr3 = ROOT_A;
	gpt_map(&g, 0x400000, CODE0_GPA, PAGE_SIZE, PTE_P | PTE_US, RW_P | PTE_US);
	g.cr3 = kcr3;
	put_code(CODE, mov, sizeof(mov)); /* CODE0_GPA, seen at 0x400000 */
	r.gpr[GPR_RDI] = a;
	r.rip = 0x400000;
	err = af_emulate_write(&af, &sh, &r, &segs, WALK_USER, a, tsc, &in);
	assert_int_equal(err, EMU_ERR_MEM);
	assert_int_equal(in.nraw, EMU_MAX_INSN_LEN);
	assert_int_equal(r.rip, 0x400000);

	/* No byte at RIP at all. */
	r.rip = CODE + 2 * PAGE_SIZE;
	err = af_emulate_write(&af, &sh, &r, &segs, 0, a, tsc, &in);
	assert_int_equal(err, EMU_ERR_MEM);
	assert_int_equal(in.nraw, 0);

	assert_int_equal(ram_q(ROOT_A)[0], USER_TEXT | RW_P | PTE_US);
	assert_int_equal(ram_q(ROOT_A)[1], USER_TEXT | RW_P | PTE_US);
	assert_int_equal(count_of(ROOT_A), 4);
	assert_int_equal(af.st.root_writes, 0);
}

/* An ordinary page written through the emulator is stored, not reported. */
static void test_plain_page_not_reported(void **state)
{
	static const u8 movl[] = { 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12 }; /* movl $0x12345678,(%rdi) */
	struct emu_regs r;
	struct emu_insn in;
	struct shadow_fault f;
	u64 lin = DMAP + (PLAIN - ROOTS) + 12;
	const struct emu_segs segs = { 0, 0 };

	(void)state;
	assert_int_equal(shadow_watch(&sh, PLAIN), SHADOW_OK); /* someone else's watch */
	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = lin;
	r.rip = CODE;
	put_code(CODE, movl, sizeof(movl));
	assert_int_equal(shadow_page_fault(&sh, lin, PFEC_W, false, &f), SHADOW_WATCHED_WRITE);
	assert_int_equal(af_emulate_write(&af, &sh, &r, &segs, 0, lin, tsc, &in), EMU_OK);
	assert_int_equal(ram_q(PLAIN)[1], 0x1234567800000000ull);
	assert_int_equal(af.st.root_writes + af.st.stale_writes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch_crosses_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mov_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_page_then_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_page_not_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synced_write_feeds_both, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
