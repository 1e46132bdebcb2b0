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
#include "antfarm/tests/afguest.h"

static int setup(void **state)
{
	afg_init();
	return 0;
}

static void test_two_processes(void **state)
{
	assert_int_equal(iokey_current(&afg, 0, IOKEY_PROCESS), IOKEY_NONE); /* nothing loaded */
	afg_load(0, AFG_ROOT(0));
	assert_int_equal(iokey_current(&afg, 0, IOKEY_PROCESS), IOKEY_NONE); /* kernel root */

	afg_set(AFG_ROOT(1), 0, 0x6000 | AF_PTE_PRESENT);
	afg_set(AFG_ROOT(2), 0, 0x7000 | AF_PTE_PRESENT);
	afg_load(0, AFG_ROOT(1));
	u64 k1 = iokey_current(&afg, 0, IOKEY_PROCESS);
	afg_load(0, AFG_ROOT(2));
	u64 k2 = iokey_current(&afg, 0, IOKEY_PROCESS);
	assert_int_not_equal(k1, IOKEY_NONE);
	assert_int_not_equal(k2, IOKEY_NONE);
	assert_int_not_equal(k1, k2);
	assert_int_equal(k1, iokey_make(AFG_ROOT(1), 0));
	/* PCID bits in CR3 do not change the process. */
	afg_load(0, AFG_ROOT(1) | 0x5);
	assert_int_equal(iokey_current(&afg, 0, IOKEY_PROCESS), k1);
	/* Keyed by guest, everything is one process. */
	assert_int_equal(iokey_current(&afg, 0, IOKEY_GUEST), IOKEY_NONE);
	/* Another vCPU with nothing loaded. */
	assert_int_equal(iokey_current(&afg, 1, IOKEY_PROCESS), IOKEY_NONE);
	assert_int_equal(iokey_current(&afg, AF_MAX_VCPUS, IOKEY_PROCESS), IOKEY_NONE);
}

static void test_exit_and_reuse(void **state)
{
	afg_set(AFG_ROOT(1), 0, 0x6000 | AF_PTE_PRESENT);
	afg_load(0, AFG_ROOT(1));
	u64 k1 = iokey_current(&afg, 0, IOKEY_PROCESS);
	/* exit_mmap clears the user half; the exit is confirmed at the next load. */
	afg_set(AFG_ROOT(1), 0, 0);
	afg_load(0, AFG_ROOT(0));
	assert_int_equal(iokey_current(&afg, 0, IOKEY_PROCESS), IOKEY_NONE);
	/* The page becomes a root again: a new process, a new key. */
	afg_set(AFG_ROOT(1), 3, 0x8000 | AF_PTE_PRESENT);
	afg_load(0, AFG_ROOT(1));
	u64 k1b = iokey_current(&afg, 0, IOKEY_PROCESS);
	assert_int_not_equal(k1b, IOKEY_NONE);
	assert_int_not_equal(k1b, k1);
	assert_int_equal(k1b, iokey_make(AFG_ROOT(1), 1));
}

/* The packing: distinct (asid, gen) give distinct keys; none is 0. */
static void test_make(void **state)
{
	assert_int_not_equal(iokey_make(0, 0), IOKEY_NONE);
	assert_int_not_equal(iokey_make(0x1000, 0), iokey_make(0x2000, 0));
	assert_int_not_equal(iokey_make(0x1000, 0), iokey_make(0x1000, 1));
	assert_int_not_equal(iokey_make(0x000ffffffffff000ull, 0), iokey_make(0, 1));
	assert_int_equal(iokey_make(0x1fff, 0), iokey_make(0x1000, 0)); /* page address only */
	/* ...and back, for the log lines */
	u64 k = iokey_make(0x000ffffffffff000ull, 0x7fffff);
	assert_int_equal(iokey_asid(k), 0x000ffffffffff000ull);
	assert_int_equal(iokey_gen(k), 0x7fffff);
	assert_int_equal(iokey_asid(iokey_make(0x5000, 3)), 0x5000);
	assert_int_equal(iokey_gen(iokey_make(0x5000, 3)), 3);
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
