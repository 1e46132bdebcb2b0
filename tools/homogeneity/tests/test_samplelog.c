/*
 * test_samplelog.c - log lines to per-guest CSV tables, and CSV columns back.
 *
 * The log mixes the hv's lines, the guests' console lines (which a guest
 * controls entirely) and the sampler's lines; only the last may land in a
 * table, and a malformed one must be refused, not half-read.  Then the
 * CSV reader must find the column and refuse what is not a number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csvcol.h"
#include "samplelog.h"

static int add(struct sample_log *log, const char *line, const char **why)
{
	*why = "";
	return sample_log_add(log, line, strlen(line), why);
}

static void test_parse_fields(void **state)
{
	static struct sample_line s;
	const char *why = "", *l = "[   12.345678] sample guest=deb-61_a t_ms=12000 exit_cpuid=3 "
				  "wss_pages=1234 hlt_ms=0.5\n";

	assert_int_equal(sample_parse(l, strlen(l), &s, &why), 1);
	assert_int_equal(s.glen, 8);
	assert_memory_equal(s.guest, "deb-61_a", 8);
	assert_int_equal(s.nkv, 4);
	assert_memory_equal(s.kv[0].key, "t_ms", 4);
	assert_memory_equal(s.kv[3].key, "hlt_ms", 6);
	assert_int_equal(s.kv[3].vlen, 3);
	/* Without the hv's timestamp too (kprintf_raw). */
	l = "sample guest=a t_ms=1";
	assert_int_equal(sample_parse(l, strlen(l), &s, &why), 1);
}

static void test_not_sample_lines(void **state)
{
	static struct sample_line s;
	const char *why = "";
	const char *skip[] = {
		"[    0.100000] formica: hypervisor at 0x3df2f000",
		/* a guest printing a sample line: its console prefix gives it away */
		"[    1.000000] [deb61] sample guest=deb61 t_ms=1 wss_pages=1",
		"[deb61] sample guest=deb61 t_ms=1",
		"\x1b[2Jsample guest=a t_ms=1",
		"samples guest=a t_ms=1",
		"",
	};
	for (size_t i = 0; i < sizeof(skip) / sizeof(*skip); i++)
		assert_int_equal(sample_parse(skip[i], strlen(skip[i]), &s, &why), 0);
}

static void test_malformed(void **state)
{
	static struct sample_line s;
	const char *why;
	const char *bad[] = {
		"sample t_ms=1 guest=a",           /* guest first */
		"sample guest=a wss_pages=1",      /* then t_ms */
		"sample guest=a/b t_ms=1",         /* not a guest name */
		"sample guest=a t_ms=1 x=1e3",     /* not a plain decimal */
		"sample guest=a t_ms=1 x=",        /* empty value */
		"sample guest=a t_ms=1 X=1",       /* key: lower case */
		"sample guest=a t_ms=1 x=1 x=2",   /* twice */
		"sample guest=a t_ms=1 x=1.",      /* no fraction digits */
		"sample guest=a",                  /* no t_ms */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		assert_int_equal(sample_parse(bad[i], strlen(bad[i]), &s, &why), -1);
		assert_non_null(why);
	}
	/* A line as long as the console's buffer may have been cut. */
	char longl[SAMPLE_LINE_MAX + 8];
	int n = snprintf(longl, sizeof(longl), "sample guest=a t_ms=1 x=");
	memset(longl + n, '7', sizeof(longl) - 1 - (size_t)n);
	longl[sizeof(longl) - 1] = 0;
	assert_int_equal(sample_parse(longl, strlen(longl), &s, &why), -1);
}

static void test_tables(void **state)
{
	struct sample_log *log = sample_log_new();
	const char *why;

	assert_non_null(log);
	assert_int_equal(add(log, "[ 1.0] sample guest=a t_ms=1000 wss_pages=10 exit_hlt=2", &why), 1);
	assert_int_equal(add(log, "[ 1.0] [a] sample guest=a t_ms=1000 wss_pages=99", &why), 0);
	assert_int_equal(add(log, "[ 1.0] sample guest=b t_ms=1000 wss_pages=7", &why), 1);
	/* the same sample continued on a second line */
	assert_int_equal(add(log, "[ 1.0] sample guest=a t_ms=1000 io_reqs=4", &why), 1);
	assert_int_equal(add(log, "[ 1.0] sample guest=a t_ms=1000 io_reqs=5", &why), -1);
	/* a new key later: earlier rows get 0 (exit_*) or nothing */
	assert_int_equal(add(log, "[ 2.0] sample guest=a t_ms=2000 wss_pages=12 exit_cpuid=1 af_live=3",
			     &why), 1);
	assert_int_equal(add(log, "[ 3.0] sample guest=a t_ms=1500 wss_pages=12", &why), -1);
	assert_string_equal(why, "t_ms goes back (one boot per log)");

	assert_int_equal(sample_log_guests(log), 2);
	assert_string_equal(sample_log_guest(log, 0), "a");
	assert_int_equal(sample_log_rows(log, 0), 2);
	char *csv = sample_log_csv(log, 0);
	assert_string_equal(csv, "t_ms,wss_pages,exit_hlt,io_reqs,exit_cpuid,af_live\n"
				 "1000,10,2,4,0,\n"
				 "2000,12,0,,1,3\n");
	free(csv);
	csv = sample_log_csv(log, 1);
	assert_string_equal(csv, "t_ms,wss_pages\n1000,7\n");
	free(csv);
	sample_log_free(log);
}

static void test_csv_column(void **state)
{
	double *v;
	size_t n;
	char err[128];

	assert_int_equal(csv_column("t_ms,wss\r\n1,10\n2,12.5\n\n3,-4\n", "wss", &v, &n, err,
				    sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_true(v[0] == 10 && v[1] == 12.5 && v[2] == -4);
	free(v);
	assert_int_equal(csv_column("t_ms,wss\n1,10\n", "t_ms", &v, &n, err, sizeof(err)), 0);
	assert_true(n == 1 && v[0] == 1);
	free(v);
	assert_int_equal(csv_column("t_ms,wss\n1,10\n", "ws", &v, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: no column \"ws\" in the header");
	assert_int_equal(csv_column("t_ms,wss\n1,10\n2,\n", "wss", &v, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "line 3: no value in column \"wss\"");
	assert_null(v);
	assert_int_equal(csv_column("t_ms,wss\n1\n", "wss", &v, &n, err, sizeof(err)), -1);
	assert_int_equal(csv_column("a,b\n1,x1\n", "b", &v, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: \"x1\" is not a number");
	assert_int_equal(csv_column("a,b\n1,nan\n", "b", &v, &n, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_not_sample_lines),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_csv_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
