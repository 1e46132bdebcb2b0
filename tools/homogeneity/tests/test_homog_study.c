/*
 * test_homog_study.c - the study's analysis step (tools/homogeneity/study.sh
 * --log), on a small fixed console log, without booting anything.
 *
 * tests/study-small.log is a cut of a real study log (QEMU, three guests,
 * a few dozen samples each, plus their FORMICA-HOM lines) and one made-up
 * guest, "late", that is sampled but never starts its workload.  study.sh
 * must: keep only the samples of whole intervals after each guest's
 * "FORMICA-HOM: start" line, leave "late" out and say so, test every pair
 * in formica.cfg's order, write table.csv with the header and rows
 * that agree with scipy on the same files (cli_expected.py), the per-round
 * tables, the seed-style tables and the plots.  The statistics themselves
 * are test_homstat's.
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

#define LOG "tools/homogeneity/tests/study-small.log"
static char dir[] = "/tmp/formica-study-XXXXXX";
static char top[1024];
static char summary[4096];

static int setup(void **state)
{
	char cmd[2048];
	if (!getcwd(top, sizeof(top)) || !mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "tools/homogeneity/study.sh --log %s --out %s/out "
		 "--columns 'wss_pages cr3_loads pf_exits' 2>&1", LOG, dir);
	return clirun(cmd, summary, sizeof(summary));
}

static int teardown(void **state)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int count_lines(const char *text)
{
	int n = 0;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

/* Which samples are the workload's: from the log, counted by hand (awk
 * below recounts them independently of study.sh's own cut). */
static void test_trims_to_workload(void **state)
{
	char cmd[2048], out[256];

	assert_non_null(strstr(summary, "late: "));
	assert_non_null(strstr(summary, "never started its workload: left out"));
	static const char *g[] = { "deb61", "deb61b", "cloud61" };
	for (int i = 0; i < 3; i++) {
		/* start = hv time of the start line; a sample counts when its
		 * interval (t_ms - 1000) began at or after it */
		snprintf(cmd, sizeof(cmd),
			 "awk -v g=%s '"
			 "index($0, \"[\" g \"] FORMICA-HOM: start\") && !s { s = substr($1, 2) + 0;"
			 "  if (s == 0) s = $2 + 0 }"
			 "$0 ~ (\"sample guest=\" g \" \") && s { split($0, a, \"t_ms=\");"
			 "  t = a[2] + 0; if ((t - 1000) / 1000 >= s) n++ }"
			 "END { print n + 0 }' %s", g[i], LOG);
		assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
		int want = atoi(out);
		assert_true(want >= 10);
		snprintf(cmd, sizeof(cmd), "tail -n +2 %s/out/workload/%s.csv | wc -l", dir, g[i]);
		assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
		assert_int_equal(atoi(out), want);
	}
}

static void test_table_csv(void **state)
{
	char cmd[2048], out[16384];

	snprintf(cmd, sizeof(cmd), "cat %s/out/table.csv", dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_memory_equal(out, "pair,column,series,test,statistic,p_value,homogeneous\n", 54);
	/* 3 pairs x 3 columns x 2 series x 3 tests; "late" in none */
	assert_int_equal(count_lines(out), 1 + 3 * 3 * 2 * 3);
	assert_null(strstr(out, "late"));
	assert_non_null(strstr(out, "\ndeb61|deb61b,"));
	assert_non_null(strstr(out, "\ndeb61|cloud61,"));
	assert_non_null(strstr(out, "\ndeb61b|cloud61,"));
	assert_null(strstr(out, "cloud61|deb61"));
}

/* Each pair's rows, without the pair, are what scipy gets from the files:
 * every column of every pair, all in one cli_expected.py run (importing
 * scipy is most of a run's time). */
static void test_rows_match_scipy(void **state)
{
	static const char *pairs[][2] = { { "deb61", "deb61b" }, { "deb61", "cloud61" },
					  { "deb61b", "cloud61" } };
	static const char *cols[] = { "wss_pages", "cr3_loads", "pf_exits" };
	char cmd[2048], got[8192], want[8192], all[16384];
	size_t len;

	len = snprintf(cmd, sizeof(cmd), "cd %s/out/workload && /usr/bin/python3 %s/tools/"
		       "homogeneity/tests/cli_expected.py", dir, top);
	for (int p = 0; p < 3; p++)
		for (int c = 0; c < 3; c++)
			len += snprintf(cmd + len, sizeof(cmd) - len, "%s %s %s.csv %s.csv",
					p || c ? " --" : "", cols[c], pairs[p][0], pairs[p][1]);
	assert_true(len < sizeof(cmd));
	assert_int_equal(clirun(cmd, all, sizeof(all)), 0);
	for (int p = 0; p < 3; p++)
		for (int c = 0; c < 3; c++) {
			snprintf(cmd, sizeof(cmd), "grep '^%s|%s,%s,' %s/out/table.csv | cut -d, -f2-",
				 pairs[p][0], pairs[p][1], cols[c], dir);
			assert_int_equal(clirun(cmd, got, sizeof(got)), 0);
			scipy_part(all, 3 * p + c, want, sizeof(want));
			const char *rows = strchr(want, '\n'); /* after scipy's header */

			assert_non_null(rows);
			assert_int_equal(same_rows(got, rows + 1), 6);
		}
}

/* rounds/: a row per round line of the guest, its counters the sum of the
 * samples in it: over all rounds, at most the workload's own total. */
static void test_rounds(void **state)
{
	char cmd[1024], out[256];

	snprintf(cmd, sizeof(cmd), "grep -c '\\[cloud61\\] FORMICA-HOM: round=' %s", LOG);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	int want = atoi(out);
	assert_true(want >= 1);
	snprintf(cmd, sizeof(cmd), "tail -n +2 %s/out/rounds/cloud61.csv | wc -l", dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), want);
	snprintf(cmd, sizeof(cmd), "awk -F, 'NR > 1 { s += $12 } END { print s + 0 }' "
		 "%s/out/rounds/cloud61.csv", dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	long in_rounds = atol(out);
	snprintf(cmd, sizeof(cmd), "awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "
		 "\"pf_exits\") c = i; next } { s += $c } END { print s + 0 }' "
		 "%s/out/csv/cloud61.csv", dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_true(in_rounds > 0 && in_rounds <= atol(out));
	snprintf(cmd, sizeof(cmd), "head -1 %s/out/table-rounds.csv", dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "pair,column,series,test,statistic,p_value,homogeneous\n");
}

static void test_tables_and_plots(void **state)
{
	char cmd[1024], out[256];
	struct stat st;

	snprintf(cmd, sizeof(cmd), "grep -c 'Anderson-Darling *| deb61 vs cloud61' %s/out/tables.txt",
		 dir);
	assert_int_equal(clirun(cmd, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 6); /* 3 columns x 2 series */
	assert_non_null(strstr(summary, "homogeneous (p > 0.05) per pair"));
	if (system("command -v gnuplot >/dev/null") != 0)
		return;
	snprintf(cmd, sizeof(cmd), "%s/out/plots/wss_pages-growth.png", dir);
	assert_int_equal(stat(cmd, &st), 0);
	assert_true(st.st_size > 1000);
	snprintf(cmd, sizeof(cmd), "%s/out/plots/exits-cloud61.png", dir);
	assert_int_equal(stat(cmd, &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trims_to_workload),
		cmocka_unit_test(test_table_csv),
		cmocka_unit_test(test_rows_match_scipy),
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_tables_and_plots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
