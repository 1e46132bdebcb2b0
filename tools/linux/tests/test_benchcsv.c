/*
 * test_benchcsv.c - tools/linux/benchcsv.py on small made-up logs.
 *
 * make bench's Linux table pairs the k-th mark pair of the hv's log with the
 * k-th FORMICA-BENCH line of the guest, sums rounds per shadow policy and
 * takes the median of inference on/off ratios.  A slip there (pairs shifted
 * by one, a policy's rounds counted twice, a mean for a median) gives a
 * table that looks right and is not, so each rule gets a log here; the
 * script runs as tools/bench-linux.sh runs it.
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

static char csv[8192];

static void put(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Run benchcsv.py on the two logs (bare may be NULL); the CSV lands in csv[]. */
static void run(const char *formica, const char *bare)
{
	char fp[] = "/tmp/formica-bcsv-f-XXXXXX", bp[] = "/tmp/formica-bcsv-b-XXXXXX";
	char op[] = "/tmp/formica-bcsv-o-XXXXXX", cmd[512];
	FILE *f;
	size_t n;

	put(fp, formica);
	put(op, "");
	if (bare)
		put(bp, bare);
	snprintf(cmd, sizeof(cmd), "python3 tools/linux/benchcsv.py --formica %s %s%s --out %s >/dev/null",
		 fp, bare ? "--bare " : "", bare ? bp : "", op);
	assert_int_equal(system(cmd), 0);
	f = fopen(op, "r");
	assert_non_null(f);
	n = fread(csv, 1, sizeof(csv) - 1, f);
	csv[n] = 0;
	fclose(f);
	unlink(fp);
	unlink(op);
	if (bare)
		unlink(bp);
}

/* An hv mark line and its shadow counters (exits and CR3 loads so far). */
#define MARK(v, exits, cr3)                                                                    \
	"[   1.000] mark guest=linux1 value=" #v " exits=" #exits " tsc=1 af_created=0 "          \
	"af_rules=plain shadow=cached\n"                                                        \
	"mark-exits guest=linux1 0:" #exits "\n"                                                 \
	"mark-cycles guest=linux1 hv=" #exits "0 0:" #exits "0\n"                                \
	"mark-shadow guest=linux1 faults=" #exits " cr3_loads=" #cr3 "\n"
#define FE(p, ms) "FORMICA-BENCH: forkexec policy=" #p " n=100 ns=" #ms "000000 ok\n"
#define HV(line) "[linux1] " line
#define INIT(up) "FORMICA-INIT: start uptime=" #up "\n"

/* Rounds sum per policy; the k-th mark pair goes with the k-th interval,
 * even when the guest's lines come late (after later marks: the UART). */
static void test_rounds_and_pairs(void **state)
{
	(void)state;
	run(HV(INIT(20.00)) MARK(32, 0, 0) MARK(1, 100, 0) MARK(2, 400, 0) MARK(33, 400, 0)
		    MARK(1, 400, 0) MARK(2, 1400, 0) HV(FE(reference, 2500))
		    HV(FE(cached, 5000)) MARK(1, 2000, 0) MARK(2, 2500, 0) HV(FE(cached, 3000)),
	    INIT(10.00) FE(reference, 1000) FE(cached, 1000) FE(cached, 2000));
	assert_non_null(strstr(csv, "metric,bare,formica,ratio\n"));
	assert_non_null(strstr(csv, "boot_to_init_s,10.00,20.00,2.00\n"));
	/* cached: 5 + 3 s over 200 fork+exec; bare 1 + 2 */
	assert_non_null(strstr(csv, "forkexec_200_s/cached,3,8,2.67\n"));
	assert_non_null(strstr(csv, "forkexec_100_s/reference,1,2.5,2.50\n"));
	/* exits: (400 - 100) for the reference round, (1400-400) + (2500-2000) cached */
	assert_non_null(strstr(csv, "exits_per_forkexec/reference,,3,\n"));
	assert_non_null(strstr(csv, "exits_per_forkexec/cached,,7.5,\n"));
}

/* Pipe round trips: two switches each; CR3 loads per switch too. */
static void test_pingpong(void **state)
{
	(void)state;
	run(MARK(1, 1000, 50) MARK(2, 1800, 450)
		    HV("FORMICA-BENCH: pingpong policy=cached n=100 ns=2000000 ns_per_rt=20000 ok\n"),
	    "FORMICA-BENCH: pingpong policy=cached n=100 ns=1000000 ns_per_rt=10000 ok\n");
	assert_non_null(strstr(csv, "pipe_round_trip_us/cached,10.00,20.00,2.00\n"));
	assert_non_null(strstr(csv, "exits_per_switch/cached,,4,\n"));
	assert_non_null(strstr(csv, "cr3_loads_per_switch/cached,,2,\n"));
}

/* Inference overhead: the median of the rounds' own on/off ratios (not the
 * ratio of means, which one slow round moves), in percent; no ratio. */
static void test_overhead_median(void **state)
{
	(void)state;
	run(HV("FORMICA-OVERHEAD: workload=mem round=0 antfarm=on tsc=1010\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=0 antfarm=off tsc=1000\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=1 antfarm=off tsc=1000\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=1 antfarm=on tsc=1020\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=2 antfarm=on tsc=9000\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=2 antfarm=off tsc=1000\n"),
	    NULL);
	assert_non_null(strstr(csv, "inference_overhead_pct/mem,,2,\n"));
}

/* A line cut short at the end of a run (a bare kernel's console lost the
 * rest at power-off) is skipped, not a crash: the rounds before it count,
 * and a round left with one side has no ratio. */
static void test_overhead_cut_line(void **state)
{
	(void)state;
	run(HV("FORMICA-OVERHEAD: workload=mem round=0 antfarm=on tsc=1010\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=0 antfarm=off tsc=1000\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=1 antfarm=off tsc=1000\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=1 antfarm=on tsc=1030\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=2 antfarm=on tsc=1500\n")
		    HV("FORMICA-OVERHEAD: workload=mem round=2 antfarm=off ts\n"),
	    NULL);
	assert_non_null(strstr(csv, "inference_overhead_pct/mem,,2,\n"));
}

/* Fewer mark pairs than intervals: no exit counts at all, rather than
 * counts paired with the wrong interval. */
static void test_missing_marks(void **state)
{
	(void)state;
	run(MARK(1, 0, 0) MARK(2, 10, 0) HV(FE(cached, 1000)) HV(FE(cached, 1000)), NULL);
	assert_non_null(strstr(csv, "forkexec_200_s/cached,,2,\n"));
	assert_null(strstr(csv, "exits_per_forkexec"));
}

/* An interval the guest's alarm cut short: its n is what was done, and a
 * row says how many timed out. */
static void test_timeout(void **state)
{
	(void)state;
	run(MARK(1, 0, 0) MARK(2, 10, 0)
		    HV("FORMICA-BENCH: forkexec policy=reference n=7 ns=60000000000 timeout\n"),
	    NULL);
	assert_non_null(strstr(csv, "forkexec_7_s/reference,,60.00,\n"));
	assert_non_null(strstr(csv, "forkexec_timeouts/reference,,1,\n"));
}

/* Bare has no shadow policy: a policy the bare run had no row for (an
 * older bare run) takes the cached row's bare value. */
static void test_bare_for_another_policy(void **state)
{
	(void)state;
	run(MARK(1, 0, 0) MARK(2, 10, 0) HV(FE(synced, 4000)), FE(cached, 2000));
	assert_non_null(strstr(csv, "forkexec_100_s/synced,2,4,2.00\n"));
}

/* The compile (ctxbench run NAME): one run a round, so its rows are the
 * median of the rounds (12 s, where the mean would be 24), per policy and
 * against bare's median of the same policy's rounds. */
#define CC(p, ms) "FORMICA-BENCH: compile policy=" #p " n=1 ns=" #ms "000000 ok\n"
static void test_compile_median(void **state)
{
	(void)state;
	run(MARK(1, 0, 0) MARK(2, 100, 0) HV(CC(cached, 10000)) MARK(1, 100, 0) MARK(2, 1100, 0)
		    HV(CC(synced, 20000)) MARK(1, 1100, 0) MARK(2, 1300, 0) HV(CC(cached, 50000))
		    MARK(1, 1300, 0) MARK(2, 1400, 0) HV(CC(cached, 12000)),
	    CC(cached, 1000) CC(synced, 2000) CC(cached, 3000) CC(cached, 2000));
	assert_non_null(strstr(csv, "compile_s/cached,2,12.00,6.00\n"));
	assert_non_null(strstr(csv, "compile_s/synced,2,20.00,10.00\n"));
	/* exits of the cached rounds: 100, 200, 100 */
	assert_non_null(strstr(csv, "exits_per_compile/cached,,100.00,\n"));
	assert_non_null(strstr(csv, "shadow_faults_per_compile/synced,,1000.00,\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds_and_pairs),
		cmocka_unit_test(test_pingpong),
		cmocka_unit_test(test_overhead_median),
		cmocka_unit_test(test_overhead_cut_line),
		cmocka_unit_test(test_missing_marks),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_bare_for_another_policy),
		cmocka_unit_test(test_compile_median),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
