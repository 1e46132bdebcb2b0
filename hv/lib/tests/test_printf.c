/* Unit tests: kvsnprintf against the C library's snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kprintf.h"

#define SAME(...)                                                                      \
	do {                                                                           \
		char a[128], b[128];                                                   \
		int na = ksnprintf(a, sizeof(a), __VA_ARGS__);                         \
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);                          \
		assert_string_equal(a, b);                                             \
		assert_int_equal(na, nb);                                              \
	} while (0)

static void test_like_libc(void **s)
{
	SAME("plain");
	SAME("%d %d %d", 0, -1, 2147483647);
	SAME("%ld", (long)INT64_MIN);
	SAME("%u %lu", 4000000000u, 18446744073709551615ul);
	SAME("%x %X %lx", 0xbeefu, 0xbeefu, 0xfee00000ul);
	SAME("%08x|%-6d|%6d|%016lx", 0x2bu, 42, -42, 0x1234ul);
	SAME("%s|%10s|%-10s|", "abc", "right", "left");
	SAME("%c%c %5c", 'o', 'k', 'x');
	SAME("%o %%", 8u);
	SAME("[%5lu.%06lu] ", 12ul, 3456ul);
	SAME("%zu", (size_t)77);
}

static void test_truncation(void **s)
{
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	int n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");
	assert_int_equal(n, 10);
	assert_string_equal(buf, "0123456");
	assert_int_equal(ksnprintf(NULL, 0, "%d", 12345), 5);
}

static void test_pointer_and_null(void **s)
{
	char buf[64];
	ksnprintf(buf, sizeof(buf), "%p", (void *)0x1000);
	assert_string_equal(buf, "0x1000");
	ksnprintf(buf, sizeof(buf), "%s", (char *)NULL);
	assert_string_equal(buf, "(null)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_like_libc),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_pointer_and_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
