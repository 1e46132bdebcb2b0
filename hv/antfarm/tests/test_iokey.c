/*
 * test_iokey.c - request keys from Antfarm's current address space: two
 * processes in one guest get two keys, the kernel's root and guest keying
 * get key 0, a reused root page gets a new key, and a process that exited
 * is nobody even while its root is still loaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "antfarm/iokey.h"

/* A tiny guest: 4 root pages at 0x10000.., page 0 is init_mm's (no user half). */
#define NPAGES 4
#define ROOT(i) (0x10000ull + 0x1000ull * (i))
static u64 pages[NPAGES][512];
static struct af af;
static u64 now;

static unsigned pidx(u64 gpa)
{
	unsigned i = (unsigned)((gpa - ROOT(0)) >> 12);
	assert_true(gpa >= ROOT(0) && i < NPAGES);
	return i;
}

static bool on_watch(void *ctx, u64 gpa)
{
	return true;
}

static void on_unwatch(void *ctx, u64 gpa)
{
}

static int on_count(void *ctx, u64 gpa)
{
	return (int)af_count_user(pages[pidx(gpa)]);
}

static const struct af_ops ops = { NULL, on_watch, on_unwatch, on_count, NULL };

/* The guest writes PML4 entry i of root; Antfarm hears of watched pages. */
static void set_entry(u64 root, unsigned i, u64 v)
{
	u64 old = pages[pidx(root)][i];
	pages[pidx(root)][i] = v;
	if (af_is_watched(&af, root))
		af_root_write(&af, root, i, old, v, ++now);
}

static void load(u64 cr3)
{
	af_cr3_load(&af, 0, cr3, ++now, 0);
}

static int setup(void **state)
{
	memset(pages, 0, sizeof(pages));
	for (unsigned p = 0; p < NPAGES; p++)
		pages[p][511] = 0x5000 | AF_PTE_PRESENT; /* every root maps the kernel */
	af_init(&af, &ops, 0, 0);
	now = 0;
	return 0;
}

static void test_two_processes(void **state)
{
	assert_int_equal(iokey_current(&af, 0, IOKEY_PROCESS), IOKEY_NONE); /* nothing loaded */
	load(ROOT(0));
	assert_int_equal(iokey_current(&af, 0, IOKEY_PROCESS), IOKEY_NONE); /* kernel root */

	set_entry(ROOT(1), 0, 0x6000 | AF_PTE_PRESENT);
	set_entry(ROOT(2), 0, 0x7000 | AF_PTE_PRESENT);
	load(ROOT(1));
	u64 k1 = iokey_current(&af, 0, IOKEY_PROCESS);
	load(ROOT(2));
	u64 k2 = iokey_current(&af, 0, IOKEY_PROCESS);
	assert_int_not_equal(k1, IOKEY_NONE);
	assert_int_not_equal(k2, IOKEY_NONE);
	assert_int_not_equal(k1, k2);
	assert_int_equal(k1, iokey_make(ROOT(1), 0));
	/* PCID bits in CR3 do not change the process. */
	load(ROOT(1) | 0x5);
	assert_int_equal(iokey_current(&af, 0, IOKEY_PROCESS), k1);
	/* Keyed by guest, everything is one process. */
	assert_int_equal(iokey_current(&af, 0, IOKEY_GUEST), IOKEY_NONE);
	/* Another vCPU with nothing loaded. */
	assert_int_equal(iokey_current(&af, 1, IOKEY_PROCESS), IOKEY_NONE);
	assert_int_equal(iokey_current(&af, AF_MAX_VCPUS, IOKEY_PROCESS), IOKEY_NONE);
}

static void test_exit_and_reuse(void **state)
{
	set_entry(ROOT(1), 0, 0x6000 | AF_PTE_PRESENT);
	load(ROOT(1));
	u64 k1 = iokey_current(&af, 0, IOKEY_PROCESS);
	/* exit_mmap clears the user half; the exit is confirmed at the next load. */
	set_entry(ROOT(1), 0, 0);
	load(ROOT(0));
	assert_int_equal(iokey_current(&af, 0, IOKEY_PROCESS), IOKEY_NONE);
	/* The page becomes a root again: a new process, a new key. */
	set_entry(ROOT(1), 3, 0x8000 | AF_PTE_PRESENT);
	load(ROOT(1));
	u64 k1b = iokey_current(&af, 0, IOKEY_PROCESS);
	assert_int_not_equal(k1b, IOKEY_NONE);
	assert_int_not_equal(k1b, k1);
	assert_int_equal(k1b, iokey_make(ROOT(1), 1));
}

/* The packing: distinct (asid, gen) give distinct keys; none is 0. */
static void test_make(void **state)
{
	assert_int_not_equal(iokey_make(0, 0), IOKEY_NONE);
	assert_int_not_equal(iokey_make(0x1000, 0), iokey_make(0x2000, 0));
	assert_int_not_equal(iokey_make(0x1000, 0), iokey_make(0x1000, 1));
	assert_int_not_equal(iokey_make(0x000ffffffffff000ull, 0), iokey_make(0, 1));
	assert_int_equal(iokey_make(0x1fff, 0), iokey_make(0x1000, 0)); /* page address only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_two_processes, setup),
		cmocka_unit_test_setup(test_exit_and_reuse, setup),
		cmocka_unit_test_setup(test_make, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
