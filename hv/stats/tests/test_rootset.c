/*
 * test_rootset.c - the interval's distinct roots (hv/stats/rootset.h):
 * duplicates counted once, root 0 a root like any other, clearing, and a
 * full set that stops at 3/4 and says so instead of looping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "stats/rootset.h"

static void test_distinct(void **state)
{
	static u64 slot[1024];
	struct rootset s;

	rootset_init(&s, slot, 1024);
	/* 500 roots 4 KiB apart (a fork storm's pgds), each loaded 3 times */
	for (int rep = 0; rep < 3; rep++)
		for (u64 r = 0; r < 500; r++)
			assert_int_equal(rootset_add(&s, 0x1000000 + r * 0x1000), rep == 0);
	assert_int_equal(s.n, 500);
	assert_false(s.overflow);
	assert_true(rootset_add(&s, 0));  /* page 0 as a root */
	assert_false(rootset_add(&s, 0));
	assert_true(rootset_add(&s, 0x1000000 + 500 * 0x1000));
	assert_int_equal(s.n, 502);
	rootset_clear(&s);
	assert_int_equal(s.n, 0);
	assert_true(rootset_add(&s, 0x1000000));
}

static void test_full(void **state)
{
	static u64 slot[16];
	struct rootset s;

	rootset_init(&s, slot, 16);
	for (u64 r = 1; r <= 100; r++)
		rootset_add(&s, r << 12);
	assert_int_equal(s.n, 12); /* 3/4 of 16 */
	assert_true(s.overflow);
	assert_false(rootset_add(&s, 1 << 12)); /* known keys still found */
	rootset_clear(&s);
	assert_false(s.overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
