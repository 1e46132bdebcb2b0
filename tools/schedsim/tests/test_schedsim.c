/*
 * test_schedsim.c - the disk model against the figures it was fitted to, and
 * the benchmark's claim on a small version of the case study: with two or
 * more concurrent sequential readers, anticipatory scheduling keyed by
 * (guest, process) at least doubles FCFS's throughput, and keyed by guest
 * alone it does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "simdisk.h"
#include "onecase.h"
#include "sim.h"
#include "workload.h"

#define MS 1e6

static struct disk_params dp;

static int setup(void **unused)
{
	disk_default_params(&dp);
	return 0;
}

static void test_seek_curve(void **unused)
{
	assert_true(disk_seek_ms(&dp, 0) == 0);
	assert_in_range((int)(disk_seek_ms(&dp, 1) * 100), 95, 105);
	assert_in_range((int)(disk_seek_ms(&dp, dp.cylinders - 1) * 10), 175, 185);
	double below = disk_seek_ms(&dp, dp.seek_knee), above = disk_seek_ms(&dp, dp.seek_knee + 1);
	assert_true(above >= below && above - below < 0.01);

	/* Average over uniformly random pairs of cylinders: P(d) ~ (N - d). */
	double n = dp.cylinders, sum = 0, w = 0;
	for (u32 d = 1; d < dp.cylinders; d++) {
		sum += (n - d) * disk_seek_ms(&dp, d);
		w += n - d;
	}
	assert_in_range((int)(sum / w * 10), 80, 90);
}

/* Back-to-back 64 KiB reads stream at the zone's media rate. */
static double stream_mbps(struct disk *d, u64 lba)
{
	u64 t = 0, start = 0;
	for (int i = 0; i < 200; i++) {
		u64 done = disk_serve(d, lba + (u64)i * 128, 128, true, t);
		if (i == 0)
			start = done;
		t = done;
	}
	return 199 * 128 * 512.0 / ((t - start) / 1e9) / 1e6;
}

static void test_geometry_and_rates(void **unused)
{
	struct disk d;
	assert_int_equal(disk_init(&d, &dp), 0);
	assert_in_range((int)(d.sectors * 512 / 1000000000), 340, 360);
	assert_int_equal(disk_cylinder(&d, 0), 0);
	assert_int_equal(disk_cylinder(&d, d.sectors - 1), dp.cylinders - 1);
	assert_in_range((int)stream_mbps(&d, 0), 137, 141);
	assert_in_range((int)stream_mbps(&d, d.sectors - 100000), 68, 71);
	disk_free(&d);
}

/* Random 4 KiB reads over the whole disk: average seek plus half a turn. */
static void test_random_service(void **unused)
{
	struct disk d;
	assert_int_equal(disk_init(&d, &dp), 0);
	u64 rng = 1, t = 0;
	for (int i = 0; i < 5000; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		t = disk_serve(&d, (rng >> 20) % (d.sectors - 8), 8, true, t);
	}
	double mean = t / 5000.0 / MS;
	assert_true(mean > 8.5 + 4.17 - 1.0 && mean < 8.5 + 4.17 + 1.0);
	disk_free(&d);
}

/* A write that continues the last one streams on if it comes at once, and
 * waits for its sector to come round again if it comes 1 ms late. */
static void test_continuation(void **unused)
{
	struct disk d;
	assert_int_equal(disk_init(&d, &dp), 0);
	u64 t = disk_serve(&d, 1000, 8, false, 0);
	double media = 8 * d.rot_ns / (double)(d.cyl_start[1] / dp.surfaces);
	u64 t2 = disk_serve(&d, 1008, 8, false, t);
	assert_in_range(t2 - t, (u64)media - 2, (u64)media + 2);
	u64 t3 = disk_serve(&d, 1016, 8, false, t2 + 1000000);
	u64 expect = (u64)(d.rot_ns - 1000000 + media);
	assert_in_range(t3 - (t2 + 1000000), expect - 2, expect + 2);
	disk_free(&d);
}

static double throughput(const struct workload *w, enum sched_policy pol, bool guest_keys)
{
	struct sim_config c = { pol, guest_keys };
	struct sim_result r;
	assert_int_equal(sim_run(w, &c, &dp, &r), 0);
	assert_true(r.requests > 0);
	return r.mbps;
}

static void small_sizes(struct wl_sizes *z)
{
	wl_default_sizes(z);
	z->read_bytes = 16ull << 20;
}

static void test_claim_two_readers_in_one_guest(void **unused)
{
	struct wl_sizes z;
	struct workload w;
	small_sizes(&z);
	wl_sequential(&w, &z, 1, 2);
	double fcfs = throughput(&w, SCHED_FCFS, false);
	assert_true(throughput(&w, SCHED_ANTICIPATORY, false) >= 2 * fcfs);
	/* Knowing only the guest, the VMM sees one seeky process: no gain. */
	assert_true(throughput(&w, SCHED_ANTICIPATORY, true) < 1.5 * fcfs);
	assert_true(throughput(&w, SCHED_DEADLINE, false) < 1.5 * fcfs);
}

static void test_claim_readers_in_two_guests(void **unused)
{
	struct wl_sizes z;
	struct workload w;
	small_sizes(&z);
	wl_sequential(&w, &z, 2, 1);
	assert_true(throughput(&w, SCHED_ANTICIPATORY, false) >=
		    2 * throughput(&w, SCHED_FCFS, false));
	wl_sequential(&w, &z, 2, 2);
	assert_true(throughput(&w, SCHED_ANTICIPATORY, false) >=
		    2 * throughput(&w, SCHED_FCFS, false));
}

/* One reader: nothing to gain, and anticipation must not cost anything. */
static void test_single_reader_unharmed(void **unused)
{
	struct wl_sizes z;
	struct workload w;
	small_sizes(&z);
	wl_sequential(&w, &z, 1, 1);
	double fcfs = throughput(&w, SCHED_FCFS, false);
	assert_true(throughput(&w, SCHED_ANTICIPATORY, false) >= 0.99 * fcfs);
}

static void test_deterministic(void **unused)
{
	struct wl_sizes z;
	struct workload w;
	struct sim_config c = { SCHED_ANTICIPATORY, false };
	struct sim_result a, b;
	small_sizes(&z);
	wl_mixed(&w, &z, 2);
	assert_int_equal(sim_run(&w, &c, &dp, &a), 0);
	assert_int_equal(sim_run(&w, &c, &dp, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* schedsim --case: two processes of one guest, 2 MiB each, 500 MiB apart.
 * Keyed by process, anticipation streams them; keyed by guest it is FCFS;
 * a think time past antic_expire takes the gain away; bad words refused. */
static void test_onecase(void **unused)
{
	struct sim_result fcfs, as, asg, slow;
	char *a[] = { "fcfs", "process", "100", "64", "0:2048:2048", "0:1026048:2048" };
	assert_int_equal(onecase_run(6, a, &fcfs), 0);
	a[0] = "anticipatory";
	assert_int_equal(onecase_run(6, a, &as), 0);
	assert_true(as.mbps >= 2 * fcfs.mbps);
	assert_int_equal(as.requests, 64);
	assert_true(as.st.antic_hits > 0);
	a[1] = "guest";
	assert_int_equal(onecase_run(6, a, &asg), 0);
	assert_true(asg.mbps < 1.2 * fcfs.mbps);
	a[1] = "process";
	a[2] = "20000";
	assert_int_equal(onecase_run(6, a, &slow), 0);
	assert_true(slow.mbps < 1.2 * fcfs.mbps);

	char *bad[][6] = {
		{ "lifo", "process", "100", "64", "0:2048:2048", "0:1026048:2048" },
		{ "fcfs", "vm", "100", "64", "0:2048:2048", "0:1026048:2048" },
		{ "fcfs", "process", "100", "0", "0:2048:2048", "0:1026048:2048" },
		{ "fcfs", "process", "100", "64", "0:2048", "0:1026048:2048" },
		{ "fcfs", "process", "100", "64", "0:2048:0", "0:1026048:2048" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(onecase_run(6, bad[i], &slow), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_seek_curve, setup),
		cmocka_unit_test_setup(test_geometry_and_rates, setup),
		cmocka_unit_test_setup(test_random_service, setup),
		cmocka_unit_test_setup(test_continuation, setup),
		cmocka_unit_test_setup(test_claim_two_readers_in_one_guest, setup),
		cmocka_unit_test_setup(test_claim_readers_in_two_guests, setup),
		cmocka_unit_test_setup(test_single_reader_unharmed, setup),
		cmocka_unit_test_setup(test_deterministic, setup),
		cmocka_unit_test_setup(test_onecase, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
