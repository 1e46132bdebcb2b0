/*
 * test_homog_tools.c - the host tools end to end, on a synthetic log.
 *
 * A made-up console log (hv lines, guest console lines, a forged and a
 * malformed sample line, samples split over two lines) goes through
 * build/samples2csv; the CSVs through build/homogeneity --csv, whose rows
 * must match what scipy computes from the same files (cli_expected.py)
 * to the 6 digits printed; and through homog-plot.sh, which must draw
 * PNGs.  The core's precision is test_homstat's business; this checks the
 * wiring: columns, growth series, pairs, decisions, files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "clirun.h"

static char dir[] = "/tmp/formica-homog-XXXXXX";
static char top[1024]; /* the tree's top: make unit runs tests from there */

/* A small deterministic generator, so every run sees the same log. */
static uint64_t seed = 88172645463325252ull;
static double uniform(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (double)(seed >> 11) / 9007199254740992.0;
}

/* Guests a and b: one process; c: its working set grows twice as fast. */
static void write_log(const char *path)
{
	FILE *f = fopen(path, "w");
	double wss[3] = { 3000, 3000, 3000 }, rate[3] = { 20, 20, 40 };
	const char *name[3] = { "a", "b", "c" };

	assert_non_null(f);
	fprintf(f, "BdsDxe: loading Boot0001\n[    0.000000] formica: hypervisor at 0x1000\n");
	for (int t = 1; t <= 150; t++)
		for (int g = 0; g < 3; g++) {
			double grow = rate[g] + 60 * (uniform() - 0.5);
			wss[g] += grow;
			fprintf(f, "[%5d.%06d] sample guest=%s t_ms=%d cr3_loads=%d wss_pages=%.0f",
				t, g, name[g], t * 1000, 100 + (int)(400 * uniform()), wss[g]);
			if (uniform() < 0.7)
				fprintf(f, " exit_cpuid=%d", 1 + (int)(5 * uniform()));
			fprintf(f, "\n[%5d.%06d] sample guest=%s t_ms=%d exit_hlt=%d hlt_ms=%d\n", t,
				g, name[g], t * 1000, 1 + (int)(50 * uniform()),
				(int)(900 * uniform()));
			fprintf(f, "[%5d.%06d] [%s] sample guest=a t_ms=%d wss_pages=1\n", t, g,
				name[g], t * 1000 + 1);
		}
	fprintf(f, "[  200.000000] sample guest=a t_ms=oops\n");
	fclose(f);
}

static int setup(void **state)
{
	char cmd[512], out[4096];
	if (!getcwd(top, sizeof(top)) || !mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/log.txt", dir);
	write_log(cmd);
	snprintf(cmd, sizeof(cmd), "build/samples2csv %s/log.txt %s/csv 2>&1", dir, dir);
	return clirun(cmd, out, sizeof(out));
}

static int teardown(void **state)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_csv_files(void **state)
{
	char path[256], line[256];

	snprintf(path, sizeof(path), "%s/csv/a.csv", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	/* the keys in order of first appearance, the two lines merged */
	assert_string_equal(line, "t_ms,cr3_loads,wss_pages,exit_cpuid,exit_hlt,hlt_ms\n");
	int rows = 0;
	while (fgets(line, sizeof(line), f))
		rows++;
	fclose(f);
	assert_int_equal(rows, 150); /* the forged and the malformed line: not rows */
}

/* What the tool and scipy compare on: columns, files, rows of --csv. */
static const struct {
	const char *column, *files;
	int rows;
} jobs[] = {
	{ "wss_pages", "a.csv b.csv", 6 },
	{ "wss_pages", "a.csv c.csv", 6 },
	{ "exit_cpuid", "b.csv c.csv", 6 },
	/* 3 pairs x 2 rank tests + 1 AD, for each of the two series */
	{ "cr3_loads", "a.csv b.csv c.csv", 14 },
	{ "wss_pages", "a.csv b.csv c.csv", 14 },
};
static char scipy[16384]; /* cli_expected.py's text for all jobs[] */

/* jobs[k] through the tool and through scipy: one cli_expected.py run
 * computes every job at the first call, as importing scipy costs most of
 * a run. */
static void compare_with_scipy(int k)
{
	char cmd[1024], got[8192], want[8192];
	size_t len;

	if (!scipy[0]) {
		len = snprintf(cmd, sizeof(cmd), "cd %s/csv && /usr/bin/python3 %s/tools/homogeneity/"
			       "tests/cli_expected.py", dir, top);
		for (size_t j = 0; j < sizeof(jobs) / sizeof(*jobs); j++)
			len += snprintf(cmd + len, sizeof(cmd) - len, "%s %s %s", j ? " --" : "",
					jobs[j].column, jobs[j].files);
		assert_true(len < sizeof(cmd));
		assert_int_equal(clirun(cmd, scipy, sizeof(scipy)), 0);
	}
	snprintf(cmd, sizeof(cmd), "cd %s/csv && %s/build/homogeneity --csv --column %s %s", dir,
		 top, jobs[k].column, jobs[k].files);
	assert_int_equal(clirun(cmd, got, sizeof(got)), 0);
	scipy_part(scipy, k, want, sizeof(want));
	assert_true(same_rows(got, want) > 1);
	int n = 0;
	for (const char *p = got; *p; p++)
		n += *p == '\n';
	assert_int_equal(n, jobs[k].rows + 1);
}

static void test_two_guests_vs_scipy(void **state)
{
	for (int k = 0; k < 3; k++)
		compare_with_scipy(k);
}

static void test_three_guests_vs_scipy(void **state)
{
	for (int k = 3; k < 5; k++)
		compare_with_scipy(k);
}

/* c's working set grows twice as fast: no test may call it a's. */
static void test_decides(void **state)
{
	char cmd[512], out[4096];

	snprintf(cmd, sizeof(cmd), "cd %s/csv && %s/build/homogeneity --csv --column wss_pages "
		 "a.csv c.csv | grep -c ',no$'", dir, top);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_true(atoi(out) >= 4);
	snprintf(cmd, sizeof(cmd), "cd %s/csv && %s/build/homogeneity --column wss_pages a.csv c.csv",
		 dir, top);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "wss_pages, growth series"));
	assert_non_null(strstr(out, "< 0.001000 | no"));
}

static void test_refuses(void **state)
{
	char cmd[512], out[4096];

	snprintf(cmd, sizeof(cmd), "cd %s/csv && %s/build/homogeneity --column nope a.csv b.csv "
		 "2>&1", dir, top);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "no column \"nope\""));
	snprintf(cmd, sizeof(cmd), "%s/build/homogeneity --column t_ms %s/csv/a.csv 2>&1",
		 top, dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 2);
	snprintf(cmd, sizeof(cmd), "%s/build/homogeneity --alpha 0.5 --column t_ms a b 2>&1",
		 top);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 2);
}

static void test_plots(void **state)
{
	const char *png[] = { "wss_pages.png", "wss_pages-growth.png", "exits-a.png",
			      "exits-c.png" };
	char cmd[512], out[4096];

	snprintf(cmd, sizeof(cmd), "tools/homogeneity/homog-plot.sh %s/png %s/csv/a.csv "
		 "%s/csv/b.csv %s/csv/c.csv 2>&1", dir, dir, dir, dir);
	if (clirun(cmd, out, sizeof(out)))
		fail_msg("homog-plot.sh: %s", out);
	for (size_t i = 0; i < sizeof(png) / sizeof(*png); i++) {
		char path[256], magic[8];
		struct stat st;
		snprintf(path, sizeof(path), "%s/png/%s", dir, png[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			fail_msg("no %s", path);
		assert_int_equal(fread(magic, 1, 8, f), 8);
		fclose(f);
		assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size > 5000); /* axes, lines and legend, not an empty page */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_files),
		cmocka_unit_test(test_two_guests_vs_scipy),
		cmocka_unit_test(test_three_guests_vs_scipy),
		cmocka_unit_test(test_decides),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_plots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
