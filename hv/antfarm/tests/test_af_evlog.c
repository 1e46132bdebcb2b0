/*
 * test_af_evlog.c - Antfarm's event lines (hv/antfarm/evlog.c).
 *
 * The lines are an interface (tools parse them), so they are compared
 * whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "antfarm/evlog.h"

#define HZ 2000000000ull /* a 2 GHz TSC */

static struct af_log lg;
static char buf[AF_LOG_LINE_MAX];

static struct af_event ev(enum af_event_kind kind, uint64_t tsc, uint64_t asid, uint32_t gen,
			  uint32_t live)
{
	struct af_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.tsc = tsc;
	e.asid = asid;
	e.gen = gen;
	e.live = live;
	return e;
}

static void test_verbose_lines(void **state)
{
	struct af_event e;
	size_t n;

	(void)state;
	af_log_init(&lg, "linux1", AF_LOG_VERBOSE, HZ, 100000, 0);

	e = ev(AF_EV_CREATE, 123456789, 0x1234000, 0, 5);
	n = af_log_event(&lg, &e, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "ev tsc=123456789 guest=linux1 event=create asid=0x1234000 gen=0 "
				 "live=5 vcpu=0\n");

	e = ev(AF_EV_EXIT, 200, 0xfffff000, 4294967295u, 0);
	e.vcpu = 3;
	e.cleared_tsc = 150;
	af_log_event(&lg, &e, buf, sizeof(buf));
	assert_string_equal(buf, "ev tsc=200 guest=linux1 event=exit asid=0xfffff000 "
				 "gen=4294967295 live=0 vcpu=3 cleared=150\n");

	e = ev(AF_EV_SWITCH, 300, 0x2000, 1, 2);
	e.prev_asid = 0;
	af_log_event(&lg, &e, buf, sizeof(buf));
	assert_string_equal(buf, "ev tsc=300 guest=linux1 event=switch asid=0x2000 gen=1 prev=0x0 "
				 "prevgen=0 live=2 vcpu=0\n");

	e = ev(AF_EV_EXEC, 18446744073709551615ull, 0xabc000, 2, 7);
	e.prev_asid = 0xdef000;
	e.prev_gen = 9;
	af_log_event(&lg, &e, buf, sizeof(buf));
	assert_string_equal(buf, "ev tsc=18446744073709551615 guest=linux1 event=exec "
				 "asid=0xabc000 gen=2 prev=0xdef000 prevgen=9 live=7 vcpu=0\n");

	e = ev(AF_EV_TABLE_FULL, 1, 0x5000, 0, 1024);
	af_log_event(&lg, &e, buf, sizeof(buf));
	assert_string_equal(buf, "ev tsc=1 guest=linux1 event=table_full asid=0x5000 live=1024 "
				 "vcpu=0\n");

	/* verbose mode never writes summary lines */
	assert_int_equal(af_log_tick(&lg, 10 * HZ, buf, sizeof(buf)), 0);
}

/* The longest possible line fits AF_LOG_LINE_MAX. */
static void test_longest_line_fits(void **state)
{
	struct af_event e;
	size_t n;

	(void)state;
	af_log_init(&lg, "0123456789012345678901234567890123456789", AF_LOG_VERBOSE, HZ, 1, 0);
	assert_int_equal(strlen(lg.guest), AF_LOG_NAME_LEN - 1); /* name truncated */
	e = ev(AF_EV_EXEC, ~0ull, ~0ull, ~0u, ~0u);
	e.prev_asid = ~0ull;
	e.prev_gen = ~0u;
	e.vcpu = ~0u;
	n = af_log_event(&lg, &e, buf, sizeof(buf));
	assert_true(n < sizeof(buf) - 1); /* not cut by the buffer */
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(n, strlen(buf));
	e.kind = AF_EV_EXIT;
	e.cleared_tsc = ~0ull;
	n = af_log_event(&lg, &e, buf, sizeof(buf));
	assert_true(n < sizeof(buf) - 1);
}

static void test_truncation(void **state)
{
	struct af_event e = ev(AF_EV_CREATE, 123456789, 0x1234000, 0, 5);
	char small[20];

	(void)state;
	af_log_init(&lg, "g", AF_LOG_VERBOSE, HZ, 1, 0);
	memset(small, 'x', sizeof(small));
	assert_int_equal(af_log_event(&lg, &e, small, sizeof(small)), 19);
	assert_string_equal(small, "ev tsc=123456789 g\n");
	assert_int_equal(af_log_event(&lg, &e, small, 1), 0);
	assert_int_equal(small[0], 0);
}

/* Summary mode (the default): switches are neither written nor sampled
 * (their counts are in the mark and end lines); other events are written. */
static void test_summary_mode(void **state)
{
	struct af_event sw = ev(AF_EV_SWITCH, 0, 0x1000, 0, 3), cr;
	unsigned i;

	(void)state;
	af_log_init(&lg, "linux1", AF_LOG_SUMMARY, HZ, 100000, 1000);
	for (i = 0; i < 5; i++) {
		sw.tsc = 1000 + i * 1000;
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(af_log_event(&lg, &sw, buf, sizeof(buf)), 0);
		assert_int_equal(buf[0], 0);
	}
	assert_int_equal(af_log_tick(&lg, 1000 + HZ, buf, sizeof(buf)), 0);
	assert_int_equal(af_log_tick(&lg, 1000 + 10 * HZ, buf, sizeof(buf)), 0);
	cr = ev(AF_EV_CREATE, 7000, 0x2000, 0, 4);
	assert_true(af_log_event(&lg, &cr, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ev tsc=7000 guest=linux1 event=create asid=0x2000 gen=0 live=4 "
				 "vcpu=0\n");
}

/* Counts mode: no creation, exit, exec or switch line, no interval line;
 * only the table_full warning. */
static void test_counts_mode(void **state)
{
	static const enum af_event_kind quiet[] = { AF_EV_CREATE, AF_EV_EXIT, AF_EV_SWITCH,
						    AF_EV_EXEC };
	struct af_event e;
	unsigned i;

	(void)state;
	af_log_init(&lg, "linux1", AF_LOG_COUNTS, HZ, 100000, 0);
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		e = ev(quiet[i], 1000 + i, 0x2000, 0, 4);
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(af_log_event(&lg, &e, buf, sizeof(buf)), 0);
		assert_int_equal(buf[0], 0);
	}
	assert_int_equal(af_log_tick(&lg, 10 * HZ, buf, sizeof(buf)), 0);
	e = ev(AF_EV_TABLE_FULL, 9000, 0x3000, 0, 64);
	assert_true(af_log_event(&lg, &e, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ev tsc=9000 guest=linux1 event=table_full asid=0x3000 live=64 "
				 "vcpu=0\n");
}

/* Switches mode: switches counted per interval, one line per interval. */
static void test_switches_mode(void **state)
{
	struct af_event sw = ev(AF_EV_SWITCH, 0, 0x1000, 0, 3), cr;
	unsigned i;

	(void)state;
	/* 100 ms intervals from TSC 1000 */
	af_log_init(&lg, "linux1", AF_LOG_SWITCHES, HZ, 100000, 1000);
	for (i = 0; i < 5; i++) {
		sw.tsc = 1000 + i * 1000;
		assert_int_equal(af_log_tick(&lg, sw.tsc, buf, sizeof(buf)), 0);
		assert_int_equal(af_log_event(&lg, &sw, buf, sizeof(buf)), 0); /* counted only */
	}
	/* other events are written at once */
	cr = ev(AF_EV_CREATE, 7000, 0x2000, 0, 4);
	assert_true(af_log_event(&lg, &cr, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ev tsc=7000 guest=linux1 event=create asid=0x2000 gen=0 live=4 "
				 "vcpu=0\n");

	/* the interval ends at 1000 + 0.1 s of TSC */
	assert_int_equal(af_log_tick(&lg, 1000 + HZ / 10 - 1, buf, sizeof(buf)), 0);
	assert_true(af_log_tick(&lg, 1000 + HZ / 10, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ev tsc=200001000 guest=linux1 event=switches count=5 "
				 "interval_us=100000\n");
	/* counted once */
	assert_int_equal(af_log_tick(&lg, 1000 + HZ / 10 + 5, buf, sizeof(buf)), 0);

	/* an interval without switches writes nothing; a late tick closes all
	 * whole intervals up to now in one line */
	assert_int_equal(af_log_tick(&lg, 1000 + 2 * HZ / 10, buf, sizeof(buf)), 0);
	sw.tsc = 1000 + 2 * HZ / 10 + 10;
	af_log_event(&lg, &sw, buf, sizeof(buf));
	af_log_event(&lg, &sw, buf, sizeof(buf));
	assert_true(af_log_tick(&lg, 1000 + 5 * HZ / 10 + 3, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ev tsc=1000001000 guest=linux1 event=switches count=2 "
				 "interval_us=300000\n");
	assert_int_equal(lg.interval_start, 1000 + 5 * HZ / 10);

	/* a tick from before the interval (another CPU's TSC) is ignored */
	assert_int_equal(af_log_tick(&lg, 5, buf, sizeof(buf)), 0);
}

static void test_tsc_to_us(void **state)
{
	(void)state;
	assert_int_equal(af_tsc_to_us(HZ, HZ), 1000000);
	assert_int_equal(af_tsc_to_us(HZ / 1000, HZ), 1000);
	assert_int_equal(af_tsc_to_us(1999, HZ), 0);
	assert_int_equal(af_tsc_to_us(2000, HZ), 1);
	/* no overflow at 2^64 - 1 ticks of a 3 GHz TSC: 6148914691 s */
	assert_int_equal(af_tsc_to_us(~0ull, 3000000000ull), 6148914691236517ull);
	assert_int_equal(af_tsc_to_us(77, 0), 77); /* rate unknown: ticks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbose_lines),
		cmocka_unit_test(test_longest_line_fits),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_summary_mode),
		cmocka_unit_test(test_switches_mode),
		cmocka_unit_test(test_counts_mode),
		cmocka_unit_test(test_tsc_to_us),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
