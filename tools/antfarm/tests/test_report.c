/*
 * test_report.c - report.awk's window accounting, on small made-up logs.
 *
 * The Table 1 harness decides which window an exit belongs to (the one in
 * which its root was emptied, however late the confirming flush came), and
 * whether an exit was missed.  A mistake there either fails make test at
 * random or hides a real false negative, so each rule gets a log here: the
 * script runs under awk exactly as tools/table1.sh runs it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static char report[16384];

/* Run report.awk over the lines given; its stdout lands in report[]. */
static void run_report(const char *log)
{
	char path[] = "/tmp/formica-report-XXXXXX", cmd[256];
	int fd = mkstemp(path);
	size_t n;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, log, strlen(log)), (ssize_t)strlen(log));
	close(fd);
	snprintf(cmd, sizeof(cmd), "awk -f tools/antfarm/report.awk %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(report, 1, sizeof(report) - 1, p);
	report[n] = 0;
	assert_int_equal(pclose(p), 0);
	unlink(path);
}

#define MHZ "tsc: 1.000 MHz\n"
#define MARK(v, tsc, ex, zero)                                                                   \
	"mark guest=g value=" #v " exits=1 tsc=" #tsc " af_created=0 af_exited=" #ex               \
	" af_creates=0 af_exits=" #ex " af_execs=0 af_switches=0 af_live=1 af_zero=" #zero        \
	" af_rules=plain\n"
#define EXIT(tsc, asid, cleared)                                                                 \
	"ev tsc=" #tsc " guest=g event=exit asid=" #asid " gen=0 live=1 vcpu=0 cleared=" #cleared "\n"
#define TRUTH "[g] FORMICA-T1-TRUTH: workload=fork proc_create=0 as_create=0 proc_exit=2 as_exit=2 cs=0 lost=0\n"
/* the fork row: "fork | 0 0 0 0 | 2 2 <inferred> <+exec> | ..." */
#define ROW(ie, ipe) "fork       |       0       0        0      0 |       2       2 " ie " " ipe " |"

/* Both exits emptied and confirmed inside the window. */
static void test_exits_inside(void **state)
{
	(void)state;
	run_report(MHZ MARK(1, 1000, 0, 0) EXIT(1200, 0x1000, 1100) EXIT(1400, 0x2000, 1300)
		   MARK(2, 2000, 2, 0) TRUTH);
	assert_non_null(strstr(report, ROW("       2", "     2")));
	assert_null(strstr(report, "late exit"));
	assert_non_null(strstr(report, "no false negatives"));
}

/* The second root is emptied before the end mark, its flush comes after:
 * counted in the window, listed as late with its lag. */
static void test_exit_confirmed_after_window(void **state)
{
	(void)state;
	run_report(MHZ MARK(1, 1000, 0, 0) EXIT(1200, 0x1000, 1100) MARK(2, 2000, 1, 1) TRUTH
		   EXIT(2500, 0x2000, 1900));
	assert_non_null(strstr(report, ROW("       2", "     2")));
	assert_non_null(strstr(report, "late exit in fork: 0x2000/0 emptied 100.0 us before the end "
					"mark, confirmed 500.0 us after it (lag 600.0 us)"));
	assert_non_null(strstr(report, "no false negatives"));
}

/* Emptied at the end mark but never confirmed: a false negative. */
static void test_exit_never_confirmed(void **state)
{
	(void)state;
	run_report(MHZ MARK(1, 1000, 0, 0) EXIT(1200, 0x1000, 1100) MARK(2, 2000, 1, 1) TRUTH);
	assert_non_null(strstr(report, "FALSE NEGATIVES in: UNCONFIRMED: fork(1 emptied at the "
					"end mark, 0 confirmed later)"));
}

/* A root emptied before mark 1 and confirmed inside the window belongs to
 * the window before: the window shows one exit short of the truth. */
static void test_exit_from_before(void **state)
{
	(void)state;
	run_report(MHZ MARK(1, 1000, 0, 1) EXIT(1200, 0x1000, 900) EXIT(1400, 0x2000, 1300)
		   MARK(2, 2000, 2, 0) TRUTH);
	assert_non_null(strstr(report, ROW("       1", "     1")));
	assert_non_null(strstr(report, "FALSE NEGATIVES in: fork"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exits_inside),
		cmocka_unit_test(test_exit_confirmed_after_window),
		cmocka_unit_test(test_exit_never_confirmed),
		cmocka_unit_test(test_exit_from_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
