/*
 * schedsim.c - schedsim: the scheduler benchmark.  Runs every workload under
 * every policy on the disk model and prints one table per workload, then
 * checks the claim the anticipatory policy exists for: with two or more
 * concurrent sequential readers that think less than antic_expire between
 * reads, it at least doubles FCFS's throughput.
 *
 *	schedsim            print the tables and the check
 *	schedsim --check    the same, and exit 1 if the check fails
 *	schedsim --case ... one given workload under one policy (onecase.c)
 *
 * The output depends on nothing but the code: run it twice and diff.
 */
#include <stdio.h>
#include <string.h>

#include "onecase.h"
#include "sim.h"

struct column {
	const char *name;
	struct sim_config c;
};

static const struct column columns[] = {
	{ "fcfs", { SCHED_FCFS, false } },
	{ "deadline", { SCHED_DEADLINE, false } },
	{ "anticipatory", { SCHED_ANTICIPATORY, false } },
	/* The Antfarm point: the same policy in a VMM that knows only guests. */
	{ "anticipatory, guest key", { SCHED_ANTICIPATORY, true } },
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))
#define CLAIM_RATIO 2.0

static void print_disk(const struct disk_params *dp)
{
	struct disk d;
	if (disk_init(&d, dp) < 0)
		return;
	printf("disk model: %.0f rpm, %u cylinders x %u surfaces, %.1f GB, %.0f-%.0f MB/s media,\n"
	       "  seek %.2f ms track-to-track, %.2f ms at %u cylinders, %.2f ms full stroke,\n"
	       "  %u KiB read-ahead; one request at a time.  MB = 10^6 bytes.\n\n",
	       dp->rpm, dp->cylinders, dp->surfaces, d.sectors * 512 / 1e9, dp->outer_mbps,
	       dp->inner_mbps, disk_seek_ms(dp, 1), disk_seek_ms(dp, dp->seek_knee),
	       dp->seek_knee, disk_seek_ms(dp, dp->cylinders - 1), dp->cache_sectors / 2);
	disk_free(&d);
}

/* Runs one workload under every column, prints its table; returns AS / FCFS. */
static double run_table(const struct workload *w, const struct disk_params *dp)
{
	struct sim_result r[NCOLS];

	printf("== %s: %s\n", w->name, w->desc);
	printf("%-24s %8s %9s %9s %10s %8s %17s\n", "policy", "MB/s", "mean ms", "p99 ms",
	       "seek GiB", "x fcfs", "antic wait/hit/to");
	for (size_t i = 0; i < NCOLS; i++) {
		if (sim_run(w, &columns[i].c, dp, &r[i]) < 0) {
			fprintf(stderr, "schedsim: out of memory\n");
			return 0;
		}
		char antic[32] = "-";
		if (columns[i].c.policy == SCHED_ANTICIPATORY)
			snprintf(antic, sizeof(antic), "%llu/%llu/%llu",
				 (unsigned long long)r[i].st.antic_waits,
				 (unsigned long long)r[i].st.antic_hits,
				 (unsigned long long)r[i].st.antic_timeouts);
		printf("%-24s %8.2f %9.2f %9.2f %10.1f %8.2f %17s\n", columns[i].name,
		       r[i].mbps, r[i].mean_ms, r[i].p99_ms, r[i].seek_gib,
		       r[i].mbps / r[0].mbps, antic);
	}
	printf("\n");
	return r[2].mbps / r[0].mbps;
}

/* The claim is for readers that come back within antic_expire. */
static bool small_think(const struct workload *w)
{
	struct sched_params p;
	sched_default_params(SCHED_ANTICIPATORY, &p);
	for (u32 i = 0; i < w->nprocs; i++)
		if (w->procs[i].kind == WL_SEQ_READ && w->procs[i].think_ns >= p.antic_expire)
			return false;
	return true;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--case") == 0)
		return onecase_main(argc - 2, argv + 2);
	bool check = argc > 1 && strcmp(argv[1], "--check") == 0;
	struct disk_params dp;
	struct wl_sizes z;
	static struct workload w[10];
	int n = 0;

	disk_default_params(&dp);
	wl_default_sizes(&z);
	wl_sequential(&w[n++], &z, 1, 1);
	wl_sequential(&w[n++], &z, 1, 2);
	wl_sequential(&w[n++], &z, 2, 1);
	wl_sequential(&w[n++], &z, 2, 2);
	wl_sequential(&w[n++], &z, 2, 4);
	/* When anticipation cannot pay: readers that think longer than
	 * antic_expire.  The policy must see it and stay out of the way. */
	struct wl_sizes slow = z;
	slow.think_ns = 10 * 1000 * 1000;
	wl_sequential(&w[n++], &slow, 2, 2);
	wl_random(&w[n++], &z, 2, 2);
	wl_mixed(&w[n++], &z, 2);

	print_disk(&dp);
	double ratio[10];
	for (int i = 0; i < n; i++)
		ratio[i] = run_table(&w[i], &dp);

	bool ok = true;
	printf("check: anticipatory >= %.0fx fcfs throughput with 2+ concurrent sequential "
	       "readers\n", CLAIM_RATIO);
	for (int i = 0; i < n; i++) {
		if (w[i].seq_readers < 2)
			continue;
		if (!small_think(&w[i])) {
			printf("  %-24s %6.2fx  (not claimed: think time > antic_expire)\n",
			       w[i].name, ratio[i]);
			continue;
		}
		bool pass = ratio[i] >= CLAIM_RATIO;
		ok = ok && pass;
		printf("  %-24s %6.2fx  %s\n", w[i].name, ratio[i], pass ? "PASS" : "FAIL");
	}
	printf("check: %s\n", ok ? "PASS" : "FAIL");
	return check && !ok ? 1 : 0;
}
