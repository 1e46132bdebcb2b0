/* Unit tests: the bounded string appender (sbuf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sbuf.h"

static void test_appends(void **state)
{
	char buf[64];
	struct sbuf s = sbuf_on(buf, sizeof(buf));
	sbuf_puts(&s, "cr3=");
	sbuf_putx(&s, 0x1234abcdull);
	sbuf_putc(&s, ' ');
	sbuf_putu(&s, 0);
	sbuf_putc(&s, ' ');
	sbuf_putu(&s, 18446744073709551615ull);
	sbuf_putc(&s, ' ');
	sbuf_putx(&s, 0);
	assert_int_equal(sbuf_end(&s), strlen("cr3=0x1234abcd 0 18446744073709551615 0x0"));
	assert_string_equal(buf, "cr3=0x1234abcd 0 18446744073709551615 0x0");
}

/* What does not fit is dropped, the NUL always fits, and a zero-size
 * buffer is never written. */
static void test_bounded(void **state)
{
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	struct sbuf s = sbuf_on(buf, 6);
	sbuf_puts(&s, "abcdefgh");
	sbuf_putu(&s, 42);
	assert_int_equal(sbuf_end(&s), 5);
	assert_string_equal(buf, "abcde");
	assert_int_equal(buf[6], 'x');

	struct sbuf z = sbuf_on(buf, 0);
	sbuf_puts(&z, "abc");
	assert_int_equal(sbuf_end(&z), 0);
	assert_int_equal(buf[0], 'a');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
