/*
 * test_antfarm.c - Antfarm's inference rules (hv/antfarm/antfarm.c) on
 * synthetic event sequences.
 *
 * A tiny model of a guest: an array of 4 KiB "PML4 pages" in guest-physical
 * memory, written through guest_set(), which reports a write to Antfarm
 * exactly when the page is watched (as the shadow-paging core and the write
 * emulator would).  Each scenario plays what Linux 6.1 does for fork, exec,
 * vfork, exit and so on (see /work/shared/notes/antfarm-on-linux-6.md), and
 * checks the events.  After every step the invariants are checked: the
 * watched set is exactly the live roots, every live count equals the real
 * number of present user entries, and live == CREATEs - EXITs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "antfarm/antfarm.h"

#define NPAGES (AF_MAX_SPACES + 40)
#define PAGE0 0x1000000ull
#define ROOT(i) (PAGE0 + (uint64_t)(i) * 4096)
#define K ROOT(0) /* init_mm's root: kernel half only */

#define PTE(n) (0x2000000ull + (uint64_t)(n) * 4096 + 0x67) /* a present table entry */

static uint64_t pages[NPAGES][512];
static bool watched[NPAGES];
static struct af af;
static uint64_t now;
static struct af_event evs[8192];
static unsigned nev, next_ev;
static bool refuse_watch;
static unsigned max_page; /* highest page index the guest touched: bounds the checks */
static unsigned real_count[NPAGES]; /* the truth: present user entries of each page */

static unsigned pidx(uint64_t gpa)
{
	unsigned i;

	assert_true(gpa >= PAGE0 && gpa < ROOT(NPAGES));
	assert_int_equal(gpa & 0xfff, 0);
	i = (unsigned)((gpa - PAGE0) >> 12);
	if (i > max_page)
		max_page = i;
	return i;
}

/* ------------------------------------------------------------ the ops */

static void on_event(void *ctx, const struct af_event *ev)
{
	(void)ctx;
	assert_true(nev < sizeof(evs) / sizeof(evs[0]));
	evs[nev++] = *ev;
}

static bool on_watch(void *ctx, uint64_t gpa)
{
	(void)ctx;
	if (refuse_watch)
		return false;
	assert_false(watched[pidx(gpa)]); /* no double watch */
	watched[pidx(gpa)] = true;
	return true;
}

static void on_unwatch(void *ctx, uint64_t gpa)
{
	(void)ctx;
	assert_true(watched[pidx(gpa)]); /* only what was watched */
	watched[pidx(gpa)] = false;
}

static int on_count(void *ctx, uint64_t gpa)
{
	(void)ctx;
	if (gpa < PAGE0 || gpa >= ROOT(NPAGES))
		return -1;
	return (int)af_count_user(pages[pidx(gpa)]);
}

static const struct af_ops ops = { on_event, on_watch, on_unwatch, on_count, NULL };

/* ------------------------------------------------------------ invariants */

/* The zero list (antfarm.c) holds exactly the live records with an empty
 * user half, each once, and nzero is its length: a flush confirms the
 * exits on it and visits nothing else. */
static void check_zero_list(void)
{
	unsigned i, want = 0, n = 0;
	uint16_t k, prev = 0xffff;

	for (i = 0; i < AF_MAX_SPACES; i++)
		want += af.sp[i].state == 1 /* live */ && af.sp[i].count == 0;
	for (k = af.zero_head; k != 0xffff; prev = k, k = af.sp[k].lnext) {
		assert_true(k < AF_MAX_SPACES);
		assert_int_equal(af.sp[k].state, 1);
		assert_int_equal(af.sp[k].count, 0);
		assert_int_equal(af.sp[k].lprev, prev);
		if (++n > want)
			fail_msg("zero list: more than the %u empty live records (a cycle?)", want);
	}
	assert_int_equal(af.zero_tail, prev);
	assert_int_equal(n, want);
	assert_int_equal(af.nzero, want);
}

static void check_invariants(void)
{
	unsigned i;

	check_zero_list();
	assert_int_equal(af.live, af.st.creates - af.st.exits - af.st.forgotten);
	for (i = 0; i <= max_page; i++) {
		bool w = af_is_watched(&af, ROOT(i));

		if (w != watched[i])
			fail_msg("page %u: engine says watched=%d, paging core %d", i, w, watched[i]);
	}
	for (i = 0; i < AF_MAX_SPACES; i++) {
		const struct af_space *sp = &af.sp[i];

		if (sp->state == 1 /* live */ && sp->count != real_count[pidx(sp->asid)])
			fail_msg("root %#llx: count %u, page has %u", (unsigned long long)sp->asid,
				 sp->count, real_count[pidx(sp->asid)]);
	}
}

/* ------------------------------------------------------------ the guest */

/* One 8-byte store into a PML4 page (MOV, XCHG... the emulator would have
 * reported old and new). */
static void guest_set(uint64_t root, unsigned i, uint64_t v)
{
	uint64_t *e = &pages[pidx(root)][i];
	uint64_t old = *e;

	*e = v;
	if (i < 256)
		real_count[pidx(root)] += (v & 1) - (old & 1);
	now += 10;
	if (watched[pidx(root)])
		af_root_write(&af, root, i, old, v, now);
	check_invariants();
}

/* pgd_alloc(): a zeroed page, kernel half copied from init_mm. */
static void guest_pgd_alloc(uint64_t root)
{
	unsigned i;

	for (i = 0; i < 512; i++)
		if (pages[pidx(root)][i])
			guest_set(root, i, 0);
	for (i = 256; i < 512; i++)
		if (pages[0][i])
			guest_set(root, i, pages[0][i]);
}

/* fork: dup_mmap() fills the child's user half from the parent's. */
static void guest_fork(uint64_t child, uint64_t parent)
{
	unsigned i;

	guest_pgd_alloc(child);
	for (i = 0; i < 256; i++)
		if (pages[pidx(parent)][i] & 1)
			guest_set(child, i, PTE(pidx(child) * 512 + i));
}

/* exec: a fresh mm with text (entry 0) and stack (entry 255). */
static void guest_new_mm(uint64_t root)
{
	guest_pgd_alloc(root);
	guest_set(root, 0, PTE(pidx(root) * 512));
	guest_set(root, 255, PTE(pidx(root) * 512 + 255));
}

/* exit_mmap() -> free_pgtables(): p4d_clear on every user entry. */
static void guest_teardown(uint64_t root)
{
	unsigned i;

	for (i = 0; i < 256; i++)
		if (pages[pidx(root)][i] & 1)
			guest_set(root, i, 0);
}

static void load(unsigned vcpu, uint64_t cr3, uint64_t hint)
{
	now += 1000;
	af_cr3_load(&af, vcpu, cr3, now, hint);
	check_invariants();
}

/* ------------------------------------------------------------ events */

static void expect(enum af_event_kind kind, uint64_t asid, uint32_t gen, uint32_t live)
{
	const struct af_event *ev;

	if (next_ev >= nev)
		fail_msg("expected event %d asid %#llx, got none", kind, (unsigned long long)asid);
	ev = &evs[next_ev++];
	if (ev->kind != kind || ev->asid != asid || ev->gen != gen || ev->live != live)
		fail_msg("event %u: got kind %d asid %#llx gen %u live %u, want %d %#llx %u %u",
			 next_ev - 1, ev->kind, (unsigned long long)ev->asid, ev->gen, ev->live,
			 kind, (unsigned long long)asid, gen, live);
}

static void expect_none(void)
{
	if (next_ev != nev)
		fail_msg("unexpected event kind %d asid %#llx", evs[next_ev].kind,
			 (unsigned long long)evs[next_ev].asid);
}

static const struct af_event *last_ev(void)
{
	return &evs[next_ev - 1];
}

static void boot(uint32_t flags, uint64_t window)
{
	unsigned i;

	memset(pages, 0, sizeof(pages));
	memset(watched, 0, sizeof(watched));
	memset(real_count, 0, sizeof(real_count));
	max_page = 0;
	nev = next_ev = 0;
	now = 1000000;
	refuse_watch = false;
	af_init(&af, &ops, flags, window);
	/* init_mm: the kernel half only. */
	for (i = 256; i < 512; i += 17)
		pages[0][i] = PTE(100000 + i);
	load(0, K, 0);
	assert_int_equal(af.st.kernel_loads, 1);
	expect_none();
}

static int setup_plain(void **state)
{
	(void)state;
	boot(0, 0);
	return 0;
}

static int setup_exec_aware(void **state)
{
	(void)state;
	boot(AF_EXEC_AWARE, 1000000);
	return 0;
}

/* init (root 1) is running on vCPU 0. */
static void start_init(void)
{
	guest_new_mm(ROOT(1));
	load(0, ROOT(1), 0x1000);
	expect(AF_EV_CREATE, ROOT(1), 0, 1);
}

/* ------------------------------------------------------------ plain rules */

static void test_creation_and_switch(void **state)
{
	uint64_t asid;
	uint32_t gen;

	(void)state;
	start_init();
	assert_true(watched[1]);
	assert_true(af_current(&af, 0, &asid, &gen));
	assert_int_equal(asid, ROOT(1));

	/* fork: the child's root is filled while not loaded, then loaded */
	guest_fork(ROOT(2), ROOT(1));
	expect_none(); /* nothing until the first load */
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	/* back to the parent: a switch from the child */
	load(0, ROOT(1), 0x2000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	assert_int_equal(last_ev()->prev_asid, ROOT(2));

	/* a reload of the loaded root is a TLB flush, not a switch */
	load(0, ROOT(1), 0x2000);
	expect_none();
	assert_int_equal(af.st.reloads, 1);

	/* another vCPU: its own notion of current */
	load(1, ROOT(1), 0x3000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	assert_int_equal(last_ev()->prev_asid, 0); /* vCPU 1 ran nothing before */
	assert_int_equal(last_ev()->vcpu, 1);
	assert_int_equal(af.st.spaces_created, 2);
	assert_int_equal(af.st.anomalies, 0);
}

/* Inference switched off and on again at run time (the mark port): every
 * live root is unwatched, and after that each root counts afresh from its
 * next load, as a creation with a generation above every one known. */
static void test_forget_all(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	assert_true(watched[1] && watched[2]);

	af_forget_all(&af);
	assert_false(watched[1]);
	assert_false(watched[2]);
	assert_int_equal(af_live(&af), 0);
	assert_int_equal(af.st.creates, 2); /* counters survive */
	assert_int_equal(af.st.forgotten, 2);
	/* unwatched writes are no longer reported: the count is read afresh */
	guest_teardown(ROOT(2));
	guest_set(ROOT(2), 7, PTE(7));
	expect_none();

	load(0, ROOT(1), 0x1000);
	expect(AF_EV_CREATE, ROOT(1), 1, 1);
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 1, 2);
	assert_true(watched[1] && watched[2]);
	guest_teardown(ROOT(2));
	load(0, ROOT(1), 0x1000);
	expect(AF_EV_EXIT, ROOT(2), 1, 1);
	expect(AF_EV_SWITCH, ROOT(1), 1, 1);
	expect_none();
	assert_int_equal(af.st.anomalies, 0);
}

/* PCID and flag bits are not part of the id; bit 63 makes a load no flush. */
static void test_cr3_bits_masked(void **state)
{
	(void)state;
	start_init();
	load(1, ROOT(1) | 0x18 /* PWT|PCD */, 0);
	expect(AF_EV_SWITCH, ROOT(1), 0, 1);
	load(1, ROOT(1) | 0x5 | (1ull << 63), 0); /* PCID 5, no-flush */
	expect_none();                          /* the same root: a reload */
	assert_int_equal(af.st.reloads, 1);
	assert_int_equal(af.st.unreadable, 0);

	/* a no-flush load does not confirm an exit */
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	guest_teardown(ROOT(2));
	load(1, K | (1ull << 63), 0);
	expect_none();
	load(1, K, 0);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
}

/* exec: activate_mm() loads the new root, then the old one is torn down
 * while not loaded anywhere; its exit shows at the next CR3 load of any root
 * on any vCPU.  Plain mode counts two processes, as the paper did. */
static void test_exec(void **state)
{
	uint64_t cleared;

	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	/* the child execs */
	guest_new_mm(ROOT(3));
	load(0, ROOT(3), 0x5000);
	expect(AF_EV_CREATE, ROOT(3), 0, 3);
	guest_teardown(ROOT(2));
	cleared = now;
	expect_none(); /* count 0, but no flush yet */
	assert_true(watched[2]);

	load(1, K, 0); /* any load on any vCPU */
	expect(AF_EV_EXIT, ROOT(2), 0, 2);
	assert_int_equal(last_ev()->tsc, now);
	assert_int_equal(last_ev()->cleared_tsc, cleared);
	assert_int_equal(last_ev()->vcpu, 1);
	assert_false(watched[2]);
	assert_int_equal(af.st.spaces_created, 3);
	assert_int_equal(af.st.creates, 3);
	assert_int_equal(af.st.execs, 0);
}

/* vfork: the child borrows the parent's mm, so no CR3 load and no creation
 * until its exec; the parent's address space never dies. */
static void test_vfork_exec(void **state)
{
	(void)state;
	start_init();
	/* vfork: same mm; switching between the two tasks writes no CR3 */
	expect_none();
	/* the child execs */
	guest_new_mm(ROOT(2));
	load(0, ROOT(2), 0x6000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	/* the parent resumes */
	load(0, ROOT(1), 0x6000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	load(1, K, 0);
	expect_none(); /* nothing exited */
	assert_int_equal(af.st.spaces_created, 2);
}

/* exit: exit_mm() goes lazy, exit_mmap() clears the user half, and the
 * flush switches the CPU to init_mm's root: the exit, and no process for K. */
static void test_exit_via_kernel_root(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	guest_teardown(ROOT(2));
	load(0, K, 0x7000);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	expect_none();
	assert_int_equal(af.st.kernel_loads, 2);
	assert_false(af_is_watched(&af, K));
	assert_false(watched[0]);

	/* the parent is picked next: a switch, from nothing */
	load(0, ROOT(1), 0x1000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 1);
	assert_int_equal(last_ev()->prev_asid, 0);
}

/* A freed root page comes back as a root: a new creation, generation + 1.
 * Between, the guest uses it as an ordinary page; nobody reports writes. */
static void test_root_reuse(void **state)
{
	unsigned i;

	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	guest_teardown(ROOT(2));
	load(0, K, 0x1000);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);

	/* pgd_free(), then the page holds someone's data for a while */
	for (i = 0; i < 512; i++)
		guest_set(ROOT(2), i, 0x0101010101010101ull * (i & 0xff));
	assert_int_equal(af.st.root_writes, 2); /* the two teardown writes only */
	load(0, ROOT(1), 0x1000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 1);

	/* and is a PML4 again */
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 1, 2);
	guest_teardown(ROOT(2));
	load(0, K, 0x1000);
	expect(AF_EV_EXIT, ROOT(2), 1, 1);
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 2, 2);
}

/* A root the guest stops using without clearing it, whose page then holds
 * plain data (the glue calls af_root_abandon): it exits at the next flush,
 * and a later use of the page as a root is a new creation. */
static void test_root_abandoned(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	load(0, ROOT(1), 0x1000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	af_root_abandon(&af, ROOT(2), 77);
	assert_int_equal(af.st.abandoned, 1);
	af_root_abandon(&af, ROOT(3), 78); /* not a root: ignored */
	assert_int_equal(af.st.abandoned, 1);
	load(0, ROOT(1), 0x1000); /* the flush */
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 1, 2);
}

/* A kernel thread borrows whatever mm was loaded (lazy TLB): no CR3 load,
 * nothing to see.  If the borrowed mm's owner exits meanwhile, the exit is
 * confirmed by the first CR3 load anywhere, even while another vCPU still
 * holds the root lazily. */
static void test_kernel_thread_borrows(void **state)
{
	uint64_t asid;
	uint32_t gen;

	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(1, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	/* vCPU 1 switches to a kworker and back: nothing */
	expect_none();
	assert_true(af_current(&af, 1, &asid, &gen));
	assert_int_equal(asid, ROOT(2));

	/* the process on ROOT(2) exits on vCPU 0's watch (it migrated there);
	 * vCPU 1's kworker still borrows ROOT(2) */
	guest_teardown(ROOT(2));
	load(0, K, 0x1000);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	assert_false(af_current(&af, 1, &asid, &gen)); /* gone, though still loaded */

	/* the kworker on vCPU 1 switches to init: prev is not the dead one */
	load(1, ROOT(1), 0x9000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 1);
	assert_int_equal(last_ev()->prev_asid, 0);
	assert_int_equal(af.st.kernel_loads, 2);
}

/* A kernel thread drops the last reference to a child's mm while the
 * parent runs: the root is emptied with no CR3 load after it, so the exit
 * waits for the next flush (tools/antfarm/README.md, "What a window
 * counts").  af_emptied() shows it waiting, and the EXIT carries the time
 * the root was emptied, so a harness can count it in the right window. */
static void test_exit_confirmed_later(void **state)
{
	uint64_t emptied;

	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	load(0, ROOT(1), 0x1000); /* the child ran and is a zombie now */
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	assert_int_equal(af_emptied(&af), 0);

	guest_teardown(ROOT(2)); /* khugepaged's mmput, on ROOT(1) borrowed */
	emptied = now;           /* the last clear's time */
	expect_none();
	assert_int_equal(af_emptied(&af), 1);
	assert_int_equal(af_live(&af), 2); /* not an exit yet: no flush */

	now += 500000;
	load(0, ROOT(1), 0x1000); /* much later: the parent's next flush */
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	assert_int_equal(last_ev()->cleared_tsc, emptied);
	assert_int_equal(last_ev()->tsc, now);
	assert_int_equal(af_emptied(&af), 0);
}

/* Three children empty before one flush, the middle one refilled: the
 * flush confirms the other two, in the order they emptied (not the order of
 * their records), with each one's own clear time. */
static void test_flush_exits_in_emptied_order(void **state)
{
	uint64_t t3, t5;
	unsigned c;

	(void)state;
	start_init();
	for (c = 3; c <= 5; c++) {
		guest_fork(ROOT(c), ROOT(1));
		load(0, ROOT(c), 0x1000);
		expect(AF_EV_CREATE, ROOT(c), 0, c - 1);
	}
	load(0, ROOT(1), 0x1000);
	expect(AF_EV_SWITCH, ROOT(1), 0, 4);
	guest_teardown(ROOT(5));
	t5 = now;
	guest_teardown(ROOT(4));
	guest_teardown(ROOT(3));
	t3 = now;
	guest_set(ROOT(4), 7, PTE(7)); /* refilled before the flush: no exit */
	assert_int_equal(af_emptied(&af), 2);
	expect_none();

	load(0, ROOT(1), 0x1000);
	expect(AF_EV_EXIT, ROOT(5), 0, 3);
	assert_int_equal(last_ev()->cleared_tsc, t5);
	expect(AF_EV_EXIT, ROOT(3), 0, 2);
	assert_int_equal(last_ev()->cleared_tsc, t3);
	expect_none();
	assert_int_equal(af_emptied(&af), 0);
	assert_true(af_is_watched(&af, ROOT(4)));
}

/* The guest clears its root before freeing it: the count reaches zero as
 * the clears happen, and may climb again before any flush (then nothing
 * exited); only zero at a flush is an exit. */
static void test_clear_before_free(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	guest_set(ROOT(2), 7, PTE(7));
	guest_set(ROOT(2), 8, PTE(8));
	load(0, ROOT(2), 0x1000);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	/* munmap of everything, then a new mapping, all between flushes */
	guest_teardown(ROOT(2));
	assert_int_equal(af.nzero, 1);
	guest_set(ROOT(2), 100, PTE(100));
	assert_int_equal(af.nzero, 0);
	load(1, K, 0);
	expect_none();

	/* kernel-half writes do not count */
	guest_set(ROOT(2), 300, PTE(300));
	guest_set(ROOT(2), 300, 0);

	/* entry by entry through flag changes: present -> not present */
	guest_set(ROOT(2), 100, PTE(100) & ~1ull); /* P cleared, other bits kept */
	assert_int_equal(af.nzero, 1);
	guest_set(ROOT(2), 100, 0);                 /* not present -> not present */
	assert_int_equal(af.nzero, 1);
	load(1, ROOT(1), 0x1000);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	expect(AF_EV_SWITCH, ROOT(1), 0, 1);
	assert_false(watched[2]);
}

/* Counts never go negative nor above 256, whatever is reported. */
static void test_counts_bounded(void **state)
{
	unsigned i;

	(void)state;
	start_init();
	/* a write reported for a page that is not a root */
	af_root_write(&af, ROOT(5), 3, 0, PTE(1), now);
	assert_int_equal(af.st.stale_writes, 1);
	/* bogus: "present -> not present" on an entry the count does not have */
	guest_teardown(ROOT(1));
	af_root_write(&af, ROOT(1), 5, PTE(5), 0, now);
	assert_int_equal(af.st.anomalies, 1);
	assert_int_equal(af.nzero, 1);
	check_invariants();
	/* fill every user entry, then claim one more */
	for (i = 0; i < 256; i++)
		guest_set(ROOT(1), i, PTE(i));
	af_root_write(&af, ROOT(1), 17, 0, PTE(17), now);
	assert_int_equal(af.st.anomalies, 2);
	check_invariants();
	/* an index outside the page */
	af_root_write(&af, ROOT(1), 512, 0, 1, now);
	assert_int_equal(af.st.anomalies, 3);
	/* a vCPU beyond the table */
	af_cr3_load(&af, AF_MAX_VCPUS, ROOT(1), now, 0);
	assert_int_equal(af.st.anomalies, 4);
	expect_none();
}

/* A root the paging core cannot watch, or outside guest RAM, is not
 * tracked (and the failure is counted), never half-tracked. */
static void test_unwatchable_and_unreadable(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	refuse_watch = true;
	load(0, ROOT(2), 0);
	refuse_watch = false;
	expect_none();
	assert_int_equal(af.st.watch_failed, 1);
	load(0, 0xfff00000000ull, 0);
	expect_none();
	assert_int_equal(af.st.unreadable, 1);
	/* the next load of ROOT(2) can track it */
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
}

/* The table: full of live processes, a creation is refused and reported
 * once; exited records are recycled oldest first, and a recycled root's
 * generation is never reused. */
static void test_table_full(void **state)
{
	unsigned i;

	(void)state;
	start_init(); /* uses ROOT(1) */
	for (i = 2; i <= AF_MAX_SPACES; i++) {
		guest_fork(ROOT(i), ROOT(1));
		load(0, ROOT(i), 0);
		expect(AF_EV_CREATE, ROOT(i), 0, i);
	}
	assert_int_equal(af.live, AF_MAX_SPACES);

	guest_fork(ROOT(AF_MAX_SPACES + 1), ROOT(1));
	load(0, ROOT(AF_MAX_SPACES + 1), 0);
	expect(AF_EV_TABLE_FULL, ROOT(AF_MAX_SPACES + 1), 0, AF_MAX_SPACES);
	assert_false(watched[AF_MAX_SPACES + 1]);
	guest_fork(ROOT(AF_MAX_SPACES + 2), ROOT(1));
	load(0, ROOT(AF_MAX_SPACES + 2), 0);
	expect_none(); /* reported once per episode */
	assert_int_equal(af.st.table_full, 2);

	/* ROOT(2) exits (twice over, so it has generation 1), then ROOT(3) */
	guest_teardown(ROOT(2));
	load(0, K, 0);
	expect(AF_EV_EXIT, ROOT(2), 0, AF_MAX_SPACES - 1);
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 1, AF_MAX_SPACES);
	guest_teardown(ROOT(2));
	load(0, K, 0);
	expect(AF_EV_EXIT, ROOT(2), 1, AF_MAX_SPACES - 1);
	guest_teardown(ROOT(3));
	load(0, K, 0);
	expect(AF_EV_EXIT, ROOT(3), 0, AF_MAX_SPACES - 2);

	/* two new roots take the two dead records, ROOT(2)'s first.  Once a
	 * generation is forgotten, any root may be that one: all new roots
	 * start above the floor. */
	load(0, ROOT(AF_MAX_SPACES + 1), 0);
	expect(AF_EV_CREATE, ROOT(AF_MAX_SPACES + 1), 2, AF_MAX_SPACES - 1);
	assert_int_equal(af.st.evictions, 1);
	assert_int_equal(af.gen_floor, 2);
	load(0, ROOT(AF_MAX_SPACES + 2), 0);
	expect(AF_EV_CREATE, ROOT(AF_MAX_SPACES + 2), 2, AF_MAX_SPACES);
	assert_int_equal(af.st.evictions, 2);

	/* the table is full again; a new exit frees one, and ROOT(2), forgotten,
	 * comes back above every generation it had */
	guest_teardown(ROOT(4));
	load(0, K, 0);
	expect(AF_EV_EXIT, ROOT(4), 0, AF_MAX_SPACES - 1);
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 2, AF_MAX_SPACES);
	expect_none();
}

/* Many processes in random order: the invariants hold throughout. */
static void test_random_workload(void **state)
{
	unsigned step, i;
	uint64_t seed = 12345;
	bool alive[64] = { false };

	(void)state;
	start_init();
	alive[1] = true;
	for (step = 0; step < 5000; step++) {
		unsigned r, p, v;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = (unsigned)(seed >> 33);
		p = 2 + r % 60;
		v = (r >> 8) % 4;
		switch ((r >> 12) % 5) {
		case 0: /* fork into p if free */
			if (!alive[p]) {
				guest_fork(ROOT(p), ROOT(1));
				alive[p] = true;
			}
			load(v, ROOT(alive[p] ? p : 1), r >> 16);
			break;
		case 1: /* p exits */
			if (alive[p]) {
				guest_teardown(ROOT(p));
				alive[p] = false;
				load(v, K, 0);
			}
			break;
		case 2: /* p maps or unmaps something */
			if (alive[p])
				guest_set(ROOT(p), (r >> 16) % 256,
					  (r >> 24) & 1 ? PTE(r % 1000) : 0);
			break;
		default: /* a context switch */
			load(v, ROOT(alive[p] ? p : 1), r >> 16);
			break;
		}
	}
	for (i = 0; i < nev; i++)
		assert_true(evs[i].live <= 64);
	assert_int_equal(af.st.anomalies, 0);
	assert_true(af.st.creates > 100);
	assert_true(af.st.exits > 100);
}

/* ------------------------------------------------------------ exec-aware */

#define HINT_P 0xffffc90000010000ull /* the parent's kernel stack */
#define HINT_C 0xffffc90000020000ull /* the child's */
#define HINT_X 0xffffc90000030000ull /* someone else's, e.g. a kworker */

/* fork + exec is one process: CREATE for the child, then EXEC. */
static void test_exec_aware_fork_exec(void **state)
{
	(void)state;
	start_init();
	/* init forks, and schedule() runs the child: the load is on init's stack */
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), HINT_P);
	expect_none(); /* held: a fork child or an exec? */
	/* the child execs: the load is on the child's own stack */
	guest_new_mm(ROOT(3));
	load(0, ROOT(3), HINT_C);
	expect_none();
	/* exec_mmap() -> mmput(old_mm) */
	guest_teardown(ROOT(2));
	/* the next flush: ROOT(2)'s exit; it was init's fork child (init, the
	 * other task, never ran in it); its exit is held for ROOT(3) */
	load(1, K, HINT_X);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	expect_none();
	/* the child, now in ROOT(3), is switched out: it runs there -> exec */
	load(0, ROOT(1), HINT_C);
	expect(AF_EV_EXEC, ROOT(3), 0, 2);
	assert_int_equal(last_ev()->prev_asid, ROOT(2));
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	expect_none();
	assert_int_equal(af.st.spaces_created, 3);
	assert_int_equal(af.st.creates, 2);
	assert_int_equal(af.st.execs, 1);
	assert_int_equal(af.st.exits, 0);

	/* and the exec'd program exits: one EXIT */
	guest_teardown(ROOT(3));
	load(0, K, HINT_P);
	expect(AF_EV_EXIT, ROOT(3), 0, 1);
}

/* fork without exec: the parent is seen still running in its own mm. */
static void test_exec_aware_fork_only(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), HINT_P);
	expect_none();
	/* the child runs, switches to init (its stack, not init's) */
	load(0, ROOT(1), HINT_C);
	expect(AF_EV_SWITCH, ROOT(1), 0, 1); /* ROOT(2)'s CREATE still held */
	/* init switches out of ROOT(1) on its own stack: the child was a fork */
	load(0, ROOT(2), HINT_P);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	expect(AF_EV_SWITCH, ROOT(2), 0, 2);
	expect_none();
}

/* The daemon's double fork: the parent exits right after forking.  Its
 * mm dies, but its task was seen in it: the child is no exec. */
static void test_exec_aware_parent_exits(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	/* the parent (ROOT(2), task P, on vCPU 0) forks; the child runs first
	 * there, loaded on P's stack */
	guest_fork(ROOT(3), ROOT(2));
	load(0, ROOT(3), HINT_P);
	expect_none();
	/* P moves to vCPU 1 and exits there */
	load(1, ROOT(2), HINT_X);
	expect(AF_EV_SWITCH, ROOT(2), 0, 2);
	guest_teardown(ROOT(2));
	load(1, K, HINT_P);
	expect(AF_EV_CREATE, ROOT(3), 0, 3);
	expect(AF_EV_EXIT, ROOT(2), 0, 2);
	expect_none();
}

/* A fork child that exits before anything decided: CREATE then EXIT. */
static void test_exec_aware_short_child(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), HINT_P);
	guest_teardown(ROOT(2));
	load(0, K, HINT_C);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	expect_none();
}

/* vfork + exec: the child's exec leaves the parent's mm alive. */
static void test_exec_aware_vfork_exec(void **state)
{
	(void)state;
	start_init();
	guest_new_mm(ROOT(2));
	load(0, ROOT(2), HINT_C); /* the vfork child execs, on its stack */
	expect_none();
	/* the child is switched out, ROOT(1) still alive: not a replacement */
	load(0, ROOT(1), HINT_C);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	expect_none();
}

/* A plain exec by a long-lived process: no EXIT, no CREATE, one EXEC. */
static void test_exec_aware_exec_in_place(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0); /* no hint: a plain creation */
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	guest_new_mm(ROOT(3));
	load(0, ROOT(3), HINT_C);
	guest_teardown(ROOT(2));
	load(1, ROOT(1), HINT_X); /* the flush, elsewhere: ROOT(2)'s exit held */
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);
	expect_none();
	load(0, ROOT(3), HINT_C); /* a reload by the task: no verdict yet */
	expect_none();
	load(0, K, HINT_C); /* the task exits or switches out */
	expect(AF_EV_EXEC, ROOT(3), 0, 2);
	expect_none();
}

/* The program exec'd exits at once: old and new go in the same flush. */
static void test_exec_aware_exec_then_exit(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	guest_new_mm(ROOT(3));
	load(0, ROOT(3), HINT_C);
	guest_teardown(ROOT(2));
	guest_teardown(ROOT(3));
	load(0, K, HINT_C);
	expect(AF_EV_EXEC, ROOT(3), 0, 2);
	expect(AF_EV_EXIT, ROOT(3), 0, 1);
	expect_none();
}

/* The same, with the new root's record before the old one's in the table
 * (the new root is a reused page): the verdict must not depend on order. */
static void test_exec_aware_exec_then_exit_reversed(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	guest_teardown(ROOT(2));
	load(0, K, 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	expect(AF_EV_EXIT, ROOT(2), 0, 1);
	guest_fork(ROOT(3), ROOT(1));
	load(0, ROOT(3), 0);
	expect(AF_EV_CREATE, ROOT(3), 0, 2);
	/* ROOT(3)'s task execs into the reused page ROOT(2) */
	guest_new_mm(ROOT(2));
	load(0, ROOT(2), HINT_C);
	guest_teardown(ROOT(3));
	guest_teardown(ROOT(2));
	load(0, K, HINT_C);
	expect(AF_EV_EXEC, ROOT(2), 1, 2);
	assert_int_equal(last_ev()->prev_asid, ROOT(3));
	expect(AF_EV_EXIT, ROOT(2), 1, 1);
	expect_none();
}

/* Without evidence, the window decides: EXEC if the old one has gone. */
static void test_exec_aware_window(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);

	/* exec; the old mm goes; the task never switches out */
	guest_new_mm(ROOT(3));
	load(0, ROOT(3), HINT_C);
	guest_teardown(ROOT(2));
	load(1, K, HINT_X);
	expect_none();
	now += 2000000;
	load(1, ROOT(1), HINT_X);
	expect(AF_EV_EXEC, ROOT(3), 0, 2);
	expect(AF_EV_SWITCH, ROOT(1), 0, 2);

	/* a fork whose parent never runs again within the window: CREATE */
	guest_fork(ROOT(4), ROOT(3));
	load(0, ROOT(4), HINT_C);
	expect_none();
	now += 2000000;
	load(1, K, HINT_X);
	expect(AF_EV_CREATE, ROOT(4), 0, 3);
	expect_none();
}

/* Without hints the mode is inert: exactly the paper's events. */
static void test_exec_aware_without_hints(void **state)
{
	(void)state;
	start_init();
	guest_fork(ROOT(2), ROOT(1));
	load(0, ROOT(2), 0);
	expect(AF_EV_CREATE, ROOT(2), 0, 2);
	guest_new_mm(ROOT(3));
	load(0, ROOT(3), 0);
	expect(AF_EV_CREATE, ROOT(3), 0, 3);
	guest_teardown(ROOT(2));
	load(0, K, 0);
	expect(AF_EV_EXIT, ROOT(2), 0, 2);
	assert_int_equal(af.npending, 0);
}

/* Many fork+exec pairs, as in the paper's Table 1: 2N address spaces,
 * N processes in exec-aware mode, 2N in plain mode. */
static void fork_exec_loop(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint64_t child = ROOT(2 + 2 * (i % 8)), image = ROOT(3 + 2 * (i % 8));
		uint64_t hc = HINT_C + i * 0x4000ull;

		guest_fork(child, ROOT(1));
		load(0, child, HINT_P);  /* init's schedule() runs the child */
		guest_new_mm(image);
		load(0, image, hc);      /* execve */
		guest_teardown(child);   /* mmput(old_mm) */
		load(1, K, HINT_X);      /* some flush */
		load(0, ROOT(1), hc);    /* the child blocks; init runs */
		guest_teardown(image);   /* the program exits */
		load(0, K, hc);
		load(0, ROOT(1), HINT_X);
	}
}

static void test_fork_exec_counts_plain(void **state)
{
	(void)state;
	start_init();
	fork_exec_loop(1000);
	assert_int_equal(af.st.spaces_created, 2001);
	assert_int_equal(af.st.creates, 2001);
	assert_int_equal(af.st.exits, 2000);
	assert_int_equal(af.live, 1);
}

static void test_fork_exec_counts_exec_aware(void **state)
{
	(void)state;
	start_init();
	fork_exec_loop(1000);
	assert_int_equal(af.st.spaces_created, 2001);
	assert_int_equal(af.st.creates, 1001);
	assert_int_equal(af.st.execs, 1000);
	assert_int_equal(af.st.exits, 1000);
	assert_int_equal(af.live, 1);
	assert_int_equal(af.npending, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_creation_and_switch, setup_plain),
		cmocka_unit_test_setup(test_forget_all, setup_plain),
		cmocka_unit_test_setup(test_cr3_bits_masked, setup_plain),
		cmocka_unit_test_setup(test_exec, setup_plain),
		cmocka_unit_test_setup(test_vfork_exec, setup_plain),
		cmocka_unit_test_setup(test_exit_via_kernel_root, setup_plain),
		cmocka_unit_test_setup(test_root_reuse, setup_plain),
		cmocka_unit_test_setup(test_root_abandoned, setup_plain),
		cmocka_unit_test_setup(test_kernel_thread_borrows, setup_plain),
		cmocka_unit_test_setup(test_exit_confirmed_later, setup_plain),
		cmocka_unit_test_setup(test_clear_before_free, setup_plain),
		cmocka_unit_test_setup(test_flush_exits_in_emptied_order, setup_plain),
		cmocka_unit_test_setup(test_counts_bounded, setup_plain),
		cmocka_unit_test_setup(test_unwatchable_and_unreadable, setup_plain),
		cmocka_unit_test_setup(test_table_full, setup_plain),
		cmocka_unit_test_setup(test_random_workload, setup_plain),
		cmocka_unit_test_setup(test_exec_aware_fork_exec, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_fork_only, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_parent_exits, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_short_child, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_vfork_exec, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_exec_in_place, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_exec_then_exit, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_exec_then_exit_reversed, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_window, setup_exec_aware),
		cmocka_unit_test_setup(test_exec_aware_without_hints, setup_exec_aware),
		cmocka_unit_test_setup(test_fork_exec_counts_plain, setup_plain),
		cmocka_unit_test_setup(test_fork_exec_counts_exec_aware, setup_exec_aware),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
