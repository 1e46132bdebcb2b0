/*
 * test_sample.c - `sample` lines (hv/stats/sample.h) in the format
 * tools/homogeneity/README.md defines and samples2csv reads.
 *
 * Checks: the exit_<reason> keys, counters as differences and gauges as
 * given, exit reasons without exits left out, hlt_ms with three decimals,
 * and a long sample split into lines under SAMPLE_BODY_MAX that each carry
 * the head, with every pair exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/sample.h"
#include "samplelog.h" /* tools/homogeneity: what samples2csv reads */
#include "vmx/vmx_pure.h"

static char lines[32][SAMPLE_BODY_MAX + 8];
static int nlines;

static void collect(void *ctx, const char *line)
{
	assert_true(nlines < 32);
	assert_true(strlen(line) <= SAMPLE_BODY_MAX);
	strcpy(lines[nlines++], line);
}

static const char *names(u32 r)
{
	switch (r) {
	case 0: return "exception or NMI";
	case 10: return "CPUID";
	case 28: return "control-register access";
	case 30: return "I/O instruction";
	case 33: return "VM-entry failure: invalid guest state";
	case 52: return "VMX-preemption timer expired";
	default: return r < 70 ? "a long made-up name for an exit reason, to fill lines" : NULL;
	}
}

static const struct sample_out out = { collect, NULL, names };

static void test_exit_keys(void **state)
{
	char k[64];

	assert_int_equal(sample_exit_key("exception or NMI", 0, k, sizeof(k)), 21);
	assert_string_equal(k, "exit_exception_or_nmi");
	sample_exit_key("I/O instruction", 30, k, sizeof(k));
	assert_string_equal(k, "exit_i_o_instruction");
	sample_exit_key("VM-entry failure: invalid guest state", 33, k, sizeof(k));
	assert_string_equal(k, "exit_vm_entry_failure_invalid_guest_state");
	sample_exit_key(" --HLT-- ", 12, k, sizeof(k)); /* no '_' at the ends */
	assert_string_equal(k, "exit_hlt");
	sample_exit_key(NULL, 75, k, sizeof(k));
	assert_string_equal(k, "exit_reason_75");
	sample_exit_key("?", 0x9f, k, sizeof(k)); /* SVM's name for an unknown code */
	assert_string_equal(k, "exit_reason_159");
	sample_exit_key("#PF", 0x4e, k, sizeof(k)); /* SVM's exception exits */
	assert_string_equal(k, "exit_pf");
	sample_exit_key("control-register access", 28, k, 10); /* cut, still a string */
	assert_string_equal(k, "exit_cont");
}

static void test_one_line(void **state)
{
	struct sample_totals a = { 0 }, b = { 0 };
	struct sample_now now = { .t_ms = 12000, .cr3_distinct = 3, .af_live = 2,
				  .wss_pages = 1003, .wss_new = 7 };

	a.exits[0] = 100;
	b.exits[0] = 150;
	a.exits[10] = b.exits[10] = 4; /* none in the interval: left out */
	b.exits[28] = 9;
	b.pf_exits = 40;
	a.cr3_loads = 1;
	b.cr3_loads = 10;
	b.af_created = 2;
	b.af_switches = 5;
	b.invlpg = 3;
	b.irq_injected = 11;
	b.hlt_exits = 6;
	a.hlt_ns = 1000000000;
	b.hlt_ns = 1012345678; /* 12.345678 ms */
	b.io_reqs = 2;
	b.io_bytes = 8192;
	nlines = 0;
	assert_int_equal(sample_print("deb61", &a, &b, &now, &out), 1);
	assert_string_equal(lines[0],
			    "sample guest=deb61 t_ms=12000 exit_exception_or_nmi=50 "
			    "exit_control_register_access=9 pf_exits=40 cr3_loads=9 cr3_distinct=3 "
			    "af_created=2 af_exited=0 af_switches=5 af_live=2 invlpg=3 "
			    "irq_injected=11 hlt_exits=6 hlt_ms=12.345 io_reqs=2 io_bytes=8192 "
			    "wss_pages=1003 wss_new=7");

	/* with the sampling estimator */
	now.est_n = 400;
	now.est_hits = 25;
	now.est_pages = 1024;
	now.est_lo = 600;
	now.est_hi = 1700;
	nlines = 0;
	sample_print("g", &b, &b, &now, &out);
	assert_int_equal(nlines, 1);
	assert_non_null(strstr(lines[0], " hlt_ms=0.000 "));
	assert_non_null(strstr(lines[0], " wss_new=7 wss_est_pages=1024 wss_est_lo=600 "
					 "wss_est_hi=1700 wss_est_hits=25 wss_est_n=400"));
	assert_null(strstr(lines[0], "exit_"));
}

/* Every exit reason busy: several lines, each with the head, each pair once. */
static void test_split(void **state)
{
	struct sample_totals a = { 0 }, b = { 0 };
	struct sample_now now = { .t_ms = 5 };
	char key[64], want[96];

	for (u32 r = 0; r < SAMPLE_EXIT_SLOTS; r++)
		b.exits[r] = 1000000 + r;
	nlines = 0;
	int n = sample_print("a_guest-name_of_31_characters__", &a, &b, &now, &out);
	assert_true(n >= 3);
	assert_int_equal(n, nlines);
	for (int i = 0; i < n; i++)
		assert_memory_equal(lines[i], "sample guest=a_guest-name_of_31_characters__ t_ms=5 ",
				    52);
	for (u32 r = 0; r < SAMPLE_EXIT_SLOTS; r++) {
		int found = 0;

		sample_exit_key(names(r), r, key, sizeof(key));
		snprintf(want, sizeof(want), " %s=%u", key, 1000000 + r);
		for (int i = 0; i < n; i++) {
			/* keys of made-up reasons repeat: count by value too */
			const char *p = lines[i];
			while ((p = strstr(p, want))) {
				char end = p[strlen(want)];
				found += end == ' ' || end == 0;
				p++;
			}
		}
		assert_int_equal(found, 1);
	}
	assert_non_null(strstr(lines[n - 1], " wss_new=0"));
}

static const char *vmx_names(u32 r)
{
	const char *n = exit_reason_name(r);

	return strcmp(n, "unknown exit reason") ? n : NULL;
}

static void test_round_trip(void **state)
{
	static const struct sample_out vmx_out = { collect, NULL, vmx_names };
	static struct sample_totals t[3];
	struct sample_now now = { .wss_pages = 10, .wss_new = 10 };
	struct sample_log *log = sample_log_new();
	const char *why = NULL;
	char stamped[600];

	for (u32 r = 0; r < SAMPLE_EXIT_SLOTS; r++)
		t[1].exits[r] = r + 1; /* every reason: a split sample */
	t[2] = t[1];
	t[2].exits[12] += 5;
	t[2].cr3_loads = 4;
	t[2].hlt_ns = 2500000;
	for (int s = 1; s <= 2; s++) {
		nlines = 0;
		now.t_ms = 1000 * (u64)s;
		sample_print("deb61", &t[s - 1], &t[s], &now, &vmx_out);
		if (s == 1)
			assert_true(nlines >= 2);
		for (int i = 0; i < nlines; i++) {
			snprintf(stamped, sizeof(stamped), "[   %d.000001] %s", s, lines[i]);
			assert_int_equal(sample_log_add(log, stamped, strlen(stamped), &why), 1);
		}
	}
	assert_int_equal(sample_log_guests(log), 1);
	assert_int_equal(sample_log_rows(log, 0), 2);
	char *csv = sample_log_csv(log, 0);
	assert_non_null(csv);
	/* The header: t_ms, then every key in order; the second row has 0 for
	 * the exits it lacks and 5 HLT exits. */
	assert_memory_equal(csv, "t_ms,exit_exception_or_nmi,exit_external_interrupt,", 50);
	assert_non_null(strstr(csv, ",exit_hlt,"));
	assert_non_null(strstr(csv, ",exit_reason_35,"));
	assert_non_null(strstr(csv, ",wss_pages,wss_new\n1000,1,2,"));
	assert_non_null(strstr(csv, "\n2000,0,0,"));
	assert_non_null(strstr(csv, ",4,0,0,0,0,0,0,0,0,2.500,0,0,10,10\n"));
	free(csv);
	sample_log_free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_keys),
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
