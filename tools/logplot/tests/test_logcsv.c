/*
 * test_logcsv.c - logcsv.awk's tables, on small made-up console logs.
 *
 * The CSV files are what people take into their own analysis, and the
 * pictures of make run are drawn from the per-guest series, so a line read
 * wrongly (a column shifted, a rate divided by the wrong interval, a
 * guest's own console output taken for the hypervisor's) would mislead
 * quietly.  Each test writes a log, runs the script under awk exactly as
 * tools/logplot.sh does, and compares whole files.
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

static char dir[32];
static char text[16384];

/* Run logcsv.awk over the log given, into a fresh directory dir/. */
static void run_logcsv(const char *log)
{
	char path[64], cmd[256];
	FILE *f;

	strcpy(dir, "/tmp/formica-logcsv-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/serial.log", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(log, f) >= 0, 1);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/plot && awk -v out=%s -f tools/logplot/logcsv.awk %s",
		 dir, dir, path);
	assert_int_equal(system(cmd), 0);
}

/* The whole of dir/NAME in text[] ("" if there is no such file). */
static const char *file(const char *name)
{
	char path[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = 0;
	return text;
}

static int cleanup(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

#define MHZ "[    0.050000] tsc: 50.000 MHz, measured with PIT channel 2\n"

/* Every ev line is a row, one column per key; lines without a time stamp
 * (firmware, loader) and the guests' own console lines are not read, even
 * when a guest prints something that looks like an event. */
static void test_events_csv(void **state)
{
	(void)state;
	run_logcsv("BdsDxe: starting Boot0001\n"
		   "formica: boot\n" MHZ
		   "[    1.000000] ev tsc=50000000 guest=g1 event=create asid=0x1000 gen=0 live=1 vcpu=0\n"
		   "[    1.500000] [g1] ev tsc=1 guest=g1 event=create asid=0x666 gen=0 live=9 vcpu=0\n"
		   "[    2.000000] ev tsc=100000000 guest=g1 event=exit asid=0x1000 gen=0 live=0 vcpu=0 "
		   "cleared=99000000\n"
		   "[    2.500000] ev tsc=125000000 guest=g2 event=switches count=30 interval_us=100000\n"
		   "[    3.000000] ev tsc=150000000 guest=g2 event=switch asid=0x2000 gen=1 prev=0x3000 "
		   "prevgen=0 live=2 vcpu=0\n");
	assert_string_equal(file("events.csv"),
			    "time_s,tsc,guest,event,asid,gen,live,vcpu,prev,prevgen,cleared,count,interval_us\n"
			    "1.000000,50000000,g1,create,0x1000,0,1,0,,,,,\n"
			    "2.000000,100000000,g1,exit,0x1000,0,0,0,,,99000000,,\n"
			    "2.500000,125000000,g2,switches,,,,,,,,30,100000\n"
			    "3.000000,150000000,g2,switch,0x2000,1,2,0,0x3000,0,,,\n");
	assert_string_equal(file("plot/guests.txt"), "g1\ng2\n");
	assert_string_equal(file("plot/span"), "0.050000 3.000000\n");
	/* The timeline: live count after each event, +1 creation, -1 exit. */
	assert_string_equal(file("plot/g1.procs"), "1.000000 1 1\n2.000000 0 -1\n");
	/* Emptied at 99000000, confirmed at 100000000: 1e6 ticks at 50 MHz. */
	assert_string_equal(file("plot/g1.lag"), "20000.0\n");
	/* g2 has one verbose switch line: it wins over the switches line; one
	 * switch in the second from 3 to 4. */
	assert_string_equal(file("plot/g2.switches"), "3.000000 1.0\n4.000000 1.0\n");
}

/* Switches lines (log = switches): the count over the interval it covers
 * (which may be several sample intervals long), as switches per second, a
 * segment from its start to the line; a gap between lines (intervals
 * without switches print none) is zero; a line 0.2 ms late is no gap. */
static void test_switches_lines(void **state)
{
	(void)state;
	run_logcsv(MHZ "[    1.000000] ev tsc=1 guest=g event=switches count=30 interval_us=100000\n"
		       "[    2.000000] ev tsc=2 guest=g event=switches count=30 interval_us=300000\n"
		       "[    2.100200] ev tsc=3 guest=g event=switches count=5 interval_us=100000\n");
	assert_string_equal(file("plot/g.switches"), "0.900000 300.0\n1.000000 300.0\n"
						     "1.000000 0\n1.700000 0\n"
						     "1.700000 100.0\n2.000000 100.0\n"
						     "2.000200 50.0\n2.100200 50.0\n");
}

#define MARK(t, v, ex, sw)                                                                        \
	"[ " #t "] mark guest=g value=" #v " exits=" #ex " tsc=5 af_created=3 af_exited=2 "        \
	"af_creates=3 af_exits=2 af_execs=0 af_switches=" #sw " af_live=1 af_zero=0 af_rules=plain\n"

/* Marks: a row each; switches per second between marks when the log has
 * no switch lines; exits per second by reason between marks, named from
 * the end lines, the reasons under 1/200 of the exits left out; the
 * progress lines as all exits per second. */
static void test_marks_and_exits(void **state)
{
	(void)state;
	run_logcsv(MHZ
		   "[   10.000000] guest g: progress exits=1000 rip=0x1 cr3=0x2 last-exit=\"HLT\"\n"
		   MARK(10.500000, 1, 1000, 100)
		   "[   10.500001] mark-exits guest=g 0:500 12:499 30:1\n"
		   MARK(12.500000, 2, 2000, 300)
		   "[   12.500001] mark-exits guest=g 0:1200 12:799 30:1\n"
		   "[   20.000000] guest g: progress exits=3000 rip=0x1 cr3=0x2 last-exit=\"HLT\"\n"
		   "[   30.000000] summary: 1 guest(s)\n"
		   "[   30.000001] exits guest=g reason=0 name=\"exception or NMI\" count=1200\n"
		   "[   30.000002] exits guest=g reason=12 name=\"HLT\" count=800\n");
	assert_string_equal(file("marks.csv"),
			    "time_s,tsc,guest,value,exits,af_switches,af_live,af_created,af_exited\n"
			    "10.500000,5,g,1,1000,100,1,3,2\n"
			    "12.500000,5,g,2,2000,300,1,3,2\n");
	assert_string_equal(file("exits.csv"),
			    "time_s,guest,source,reason,name,count\n"
			    "10.000000,g,progress,all,\"all reasons\",1000\n"
			    "10.500001,g,mark,0,,500\n"
			    "10.500001,g,mark,12,,499\n"
			    "10.500001,g,mark,30,,1\n"
			    "12.500001,g,mark,0,,1200\n"
			    "12.500001,g,mark,12,,799\n"
			    "12.500001,g,mark,30,,1\n"
			    "20.000000,g,progress,all,\"all reasons\",3000\n"
			    "30.000001,g,end,0,\"exception or NMI\",1200\n"
			    "30.000002,g,end,12,\"HLT\",800\n");
	assert_string_equal(file("plot/g.switches"), "10.500000 100.0\n12.500000 100.0\n");
	/* 700 and 300 exits in 2 s; reason 30 had none in between. */
	assert_string_equal(file("plot/g.exits"), "time_s\t\"exception or NMI\"\t\"HLT\"\n"
						  "10.500001\t350.0\t150.0\n"
						  "12.500001\t350.0\t150.0\n");
	assert_string_equal(file("plot/g.progress"), "10.000000 200.0\n20.000000 200.0\n");
}

/* The progress lines' switch totals (every 10 s, in any log) are a finer
 * source than marks, which come only from workloads that write them. */
static void test_progress_switches(void **state)
{
	(void)state;
	run_logcsv(MHZ
		   "[   10.000000] guest g: progress exits=100 switches=50 rip=0x1 cr3=0x2 last-exit=\"HLT\"\n"
		   MARK(12.500000, 1, 1000, 100)
		   MARK(14.500000, 2, 1000, 900)
		   "[   20.000000] guest g: progress exits=300 switches=2050 rip=0x1 cr3=0x2 last-exit=\"HLT\"\n"
		   "[   30.000000] guest g: progress exits=300 switches=2050 rip=0x1 cr3=0x2 last-exit=\"HLT\"\n");
	assert_string_equal(file("plot/g.switches"), "10.000000 200.0\n20.000000 200.0\n"
						     "20.000000 0.0\n30.000000 0.0\n");
	assert_string_equal(file("plot/g.progress"), "10.000000 20.0\n20.000000 20.0\n"
						     "20.000000 0.0\n30.000000 0.0\n");
}

/* A guest name is the user's (formica.cfg): file names keep only safe
 * characters; without a tsc line there is no lag in microseconds. */
static void test_names_and_no_mhz(void **state)
{
	(void)state;
	run_logcsv("[    1.000000] ev tsc=9 guest=a/b event=exit asid=0x1 gen=0 live=0 vcpu=0 cleared=1\n");
	assert_string_equal(file("plot/guests.txt"), "a/b\n");
	assert_string_equal(file("plot/a_b.procs"), "1.000000 0 -1\n");
	assert_string_equal(file("plot/a_b.lag"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_events_csv, cleanup),
		cmocka_unit_test_teardown(test_switches_lines, cleanup),
		cmocka_unit_test_teardown(test_marks_and_exits, cleanup),
		cmocka_unit_test_teardown(test_progress_switches, cleanup),
		cmocka_unit_test_teardown(test_names_and_no_mhz, cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
