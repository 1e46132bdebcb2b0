/*
 * quick.c - schedquick: a seconds-long check that the compiled scheduler
 * and simulator work, for the guest's compile workload
 * (tools/linux/compile-kit.sh copies it to /src/schedsim/).  The full
 * benchmark, schedsim, reads 200 MiB per process in 8 workloads: about 1 s
 * natively, far too long at Bochs speed.  This runs one of them, two guests
 * with two sequential readers each, at 1/50 of the size, under FCFS and
 * anticipatory, and checks the claim schedsim checks: anticipation at least
 * doubles throughput.  Prints one line; exits 0 iff the check holds.
 */
#include <stdio.h>

#include "sim.h"

int main(void)
{
	struct disk_params dp;
	struct wl_sizes z;
	static struct workload w;
	struct sim_config fcfs = { SCHED_FCFS, false }, as = { SCHED_ANTICIPATORY, false };
	struct sim_result rf, ra;

	disk_default_params(&dp);
	wl_default_sizes(&z);
	z.read_bytes /= 50;
	wl_sequential(&w, &z, 2, 2);
	if (sim_run(&w, &fcfs, &dp, &rf) < 0 || sim_run(&w, &as, &dp, &ra) < 0) {
		printf("schedquick: out of memory\n");
		return 1;
	}
	double ratio = ra.mbps / rf.mbps;
	printf("schedquick: %s: fcfs %.2f MB/s, anticipatory %.2f MB/s, %.2fx %s\n", w.name,
	       rf.mbps, ra.mbps, ratio, ratio >= 2.0 ? "PASS" : "FAIL");
	return ratio >= 2.0 ? 0 : 1;
}
