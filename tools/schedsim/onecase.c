/*
 * onecase.c - `schedsim --case`: the model's answer for one measured run.
 *
 * `make iosched` (tools/iosched/) measures the schedulers inside Formica,
 * with the hv's integer copy of this disk model timing a real driver, and
 * wants beside each measured number what the model predicts for the same
 * run: the same policy and key, the same processes reading the same disk
 * positions in the same request size, and the think time the hv measured
 * between a process's completion and its next request.  Every process
 * starts at time 0 and reads synchronously (one request outstanding), as
 * `dd iflag=direct` does.  Output is one line of key=value pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onecase.h"

#define KIB 1024ull

static int usage(void)
{
	fprintf(stderr,
		"usage: schedsim --case fcfs|deadline|anticipatory process|guest THINK_US REQ_KIB "
		"GUEST:LBA:KIB...\n"
		"  one process per GUEST:LBA:KIB: it reads KIB KiB sequentially from sector LBA\n");
	return 2;
}

static bool parse_proc(const char *s, u32 *guest, u64 *lba, u64 *kib)
{
	char *e;
	*guest = (u32)strtoul(s, &e, 0);
	if (*e != ':')
		return false;
	*lba = strtoull(e + 1, &e, 0);
	if (*e != ':')
		return false;
	*kib = strtoull(e + 1, &e, 0);
	return *e == 0 && *kib > 0;
}

int onecase_run(int argc, char **argv, struct sim_result *r)
{
	struct sim_config c = { 0 };
	if (argc < 5)
		return -1;
	if (strcmp(argv[0], "fcfs") == 0)
		c.policy = SCHED_FCFS;
	else if (strcmp(argv[0], "deadline") == 0)
		c.policy = SCHED_DEADLINE;
	else if (strcmp(argv[0], "anticipatory") == 0)
		c.policy = SCHED_ANTICIPATORY;
	else
		return -1;
	if (strcmp(argv[1], "guest") == 0)
		c.guest_keys_only = true;
	else if (strcmp(argv[1], "process") != 0)
		return -1;
	double think_us = atof(argv[2]);
	u64 req_kib = strtoull(argv[3], NULL, 0);
	if (think_us < 0 || req_kib == 0 || req_kib > 1024 || argc - 4 > WL_MAX_PROCS)
		return -1;

	static struct workload w;
	u32 in_guest[WL_MAX_PROCS] = { 0 };
	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "case");
	for (int i = 4; i < argc; i++) {
		u32 g;
		u64 lba, kib;
		if (!parse_proc(argv[i], &g, &lba, &kib) || g >= WL_MAX_PROCS)
			return -1;
		struct wl_proc *p = &w.procs[w.nprocs++];
		*p = (struct wl_proc){
			.kind = WL_SEQ_READ, .guest = g, .key = 0x1000ull * ++in_guest[g],
			.start = lba, .span = kib * KIB / 512, .req_sectors = (u32)(req_kib * KIB / 512),
			.requests = (kib + req_kib - 1) / req_kib, .think_ns = (u64)(think_us * 1000),
			.depth = 1,
		};
		w.seq_readers++;
	}

	struct disk_params dp;
	disk_default_params(&dp);
	return sim_run(&w, &c, &dp, r) < 0 ? -2 : 0;
}

int onecase_main(int argc, char **argv)
{
	struct sim_result r;
	int err = onecase_run(argc, argv, &r);
	if (err == -1)
		return usage();
	if (err < 0) {
		fprintf(stderr, "schedsim: out of memory\n");
		return 2;
	}
	printf("mb_per_s=%.2f mean_ms=%.3f antic_waits=%llu antic_hits=%llu antic_timeouts=%llu\n",
	       r.mbps, r.mean_ms, (unsigned long long)r.st.antic_waits,
	       (unsigned long long)r.st.antic_hits, (unsigned long long)r.st.antic_timeouts);
	return 0;
}
