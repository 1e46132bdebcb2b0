/*
 * test_tsc_freq.c - the TSC rate from CPUID leaves 15H/16H and the PIT
 * (hv/lib/tsc_freq.c).  CPUID values are those of real parts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "types.h"
#include "tsc_freq.h"

static void test_cpuid15_with_crystal(void **state)
{
	/* A 24 MHz crystal, ratio 188/2: 2.256 GHz (Ice Lake server style). */
	struct tsc_cpuid c = { .max_leaf = 0x1b, .l15_eax = 2, .l15_ebx = 188,
			       .l15_ecx = 24000000, .l16_eax = 2200 };
	enum tsc_source src = TSC_SRC_GUESS;
	assert_int_equal(tsc_hz_from_cpuid(&c, &src), 2256000000ull);
	assert_int_equal(src, TSC_SRC_CPUID15);
	/* 38.4 MHz crystal (Atom-class), ratio 0x3e/2 (62/2) -> 1190.4 MHz. */
	c = (struct tsc_cpuid){ .max_leaf = 0x16, .l15_eax = 2, .l15_ebx = 62, .l15_ecx = 38400000 };
	assert_int_equal(tsc_hz_from_cpuid(&c, &src), 1190400000ull);
}

static void test_cpuid16_when_no_crystal(void **state)
{
	/* Skylake client: leaf 15H has the ratio but ECX = 0; base 3400 MHz. */
	struct tsc_cpuid c = { .max_leaf = 0x16, .l15_eax = 2, .l15_ebx = 284, .l15_ecx = 0,
			       .l16_eax = 3400 };
	enum tsc_source src = TSC_SRC_GUESS;
	assert_int_equal(tsc_hz_from_cpuid(&c, &src), 3400000000ull);
	assert_int_equal(src, TSC_SRC_CPUID16);
	/* No leaf 16H: nothing stated. */
	c.max_leaf = 0x15;
	assert_int_equal(tsc_hz_from_cpuid(&c, &src), 0);
}

static void test_no_leaf(void **state)
{
	enum tsc_source src = TSC_SRC_GUESS;
	/* AMD EPYC: max basic leaf 0x10; leaf 15H never read. */
	struct tsc_cpuid c = { .max_leaf = 0x10, .l15_eax = 1, .l15_ebx = 1, .l15_ecx = 1 };
	assert_int_equal(tsc_hz_from_cpuid(&c, &src), 0);
	/* Leaf 15H present but zero (not enumerated). */
	c = (struct tsc_cpuid){ .max_leaf = 0x20, .l16_eax = 2000 };
	assert_int_equal(tsc_hz_from_cpuid(&c, &src), 0);
	assert_int_equal(src, TSC_SRC_GUESS);
}

static void test_choose(void **state)
{
	enum tsc_source src;
	bool dis;
	/* Both agree within 1%: CPUID's exact value. */
	assert_int_equal(tsc_choose(2256000000ull, TSC_SRC_CPUID15, 2255000000ull, &src, &dis),
			 2256000000ull);
	assert_int_equal(src, TSC_SRC_CPUID15);
	assert_false(dis);
	/* An emulator: CPUID says 3 GHz, the TSC really ticks 50 MHz. */
	assert_int_equal(tsc_choose(3000000000ull, TSC_SRC_CPUID16, 50000000ull, &src, &dis),
			 50000000ull);
	assert_int_equal(src, TSC_SRC_PIT);
	assert_true(dis);
	/* The PIT gated off: CPUID alone. */
	assert_int_equal(tsc_choose(3400000000ull, TSC_SRC_CPUID16, 0, &src, &dis), 3400000000ull);
	assert_int_equal(src, TSC_SRC_CPUID16);
	assert_false(dis);
	/* No CPUID leaf (AMD): the PIT. */
	assert_int_equal(tsc_choose(0, TSC_SRC_CPUID15, 2700192000ull, &src, &dis), 2700192000ull);
	assert_int_equal(src, TSC_SRC_PIT);
	/* Neither. */
	assert_int_equal(tsc_choose(0, TSC_SRC_CPUID15, 0, &src, &dis), 1000000000ull);
	assert_int_equal(src, TSC_SRC_GUESS);
	/* Exactly 1% apart still agrees. */
	assert_int_equal(tsc_choose(101000000ull, TSC_SRC_CPUID15, 100000000ull, &src, &dis),
			 101000000ull);
	assert_false(dis);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid15_with_crystal),
		cmocka_unit_test(test_cpuid16_when_no_crystal),
		cmocka_unit_test(test_no_leaf),
		cmocka_unit_test(test_choose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
