/*
 * test_hdd_model.c - the integer disk model against the floating-point one
 * it was ported from (tools/schedsim/simdisk.c, linked in): same geometry
 * sector for sector, same seek curve, and, for one long trace of mixed
 * requests fed to both, each from the same state, completion times equal
 * to within 1 ns (each model rounds its sum to ns once; see hdd_model.c).  Plus the integer model's
 * own properties at the edges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "simdisk.h"
#include "sched/hdd_model.h"

static struct disk fd;   /* the float model */
static struct hdd hd;    /* the integer model */

static int setup(void **unused)
{
	struct disk_params dp;
	struct hdd_params hp;
	disk_default_params(&dp);
	hdd_default_params(&hp);
	assert_int_equal(disk_init(&fd, &dp), 0);
	assert_int_equal(hdd_init(&hd, &hp), 0);
	return 0;
}

static int teardown(void **unused)
{
	disk_free(&fd);
	return 0;
}

/* The parameters are the same numbers in other units. */
static void test_params_match(void **unused)
{
	const struct disk_params *f = &fd.p;
	const struct hdd_params *h = &hd.p;
	assert_true(f->rpm == h->rpm);
	assert_int_equal(f->cylinders, h->cylinders);
	assert_int_equal(f->surfaces, h->surfaces);
	assert_true(f->outer_mbps == h->outer_mbps && f->inner_mbps == h->inner_mbps);
	assert_int_equal(f->seek_knee, h->seek_knee);
	assert_int_equal(llround(f->seek_a * 1e9), h->seek_a_ps);
	assert_int_equal(llround(f->seek_b * 1e9), h->seek_b_ps);
	assert_int_equal(llround(f->seek_c * 1e9), h->seek_c_ps);
	assert_int_equal(llround(f->seek_e * 1e9), h->seek_e_ps);
	assert_true(f->iface_mbps == h->iface_mbps);
	assert_int_equal(f->cache_sectors, h->cache_sectors);
}

/* Every cylinder starts at the same LBA in both, and LBAs map back. */
static void test_geometry(void **unused)
{
	assert_int_equal(hd.sectors, fd.sectors);
	for (u32 c = 0; c <= fd.p.cylinders; c++)
		assert_int_equal(hdd_cylinder_start(&hd, c), fd.cyl_start[c]);
	for (u32 c = 0; c < fd.p.cylinders; c += 997) {
		u64 s = fd.cyl_start[c], e = fd.cyl_start[c + 1] - 1;
		assert_int_equal(hdd_cylinder(&hd, s), c);
		assert_int_equal(hdd_cylinder(&hd, e), disk_cylinder(&fd, e));
		assert_int_equal(hdd_cylinder(&hd, (s + e) / 2), c);
	}
	assert_int_equal(hdd_cylinder(&hd, hd.sectors - 1), fd.p.cylinders - 1);
	u64 past = hd.sectors + 12345;
	assert_int_equal(hdd_cylinder(&hd, past), disk_cylinder(&fd, past));
}

/* Within 1 ps of the float curve at every distance. */
static void test_seek_curve(void **unused)
{
	double worst = 0;
	for (u32 dist = 0; dist < fd.p.cylinders; dist++) {
		double f = disk_seek_ms(&fd.p, dist) * 1e9;
		double diff = fabs(f - (double)hdd_seek_ps(&hd.p, dist));
		if (diff > worst)
			worst = diff;
	}
	assert_true(worst <= 1.0);
}

static u64 lcg(u64 *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/*
 * One trace, both models.  Each step picks a kind of request so that every
 * branch of the model is taken often: a sequential read (read-ahead), a
 * sequential write after a gap (same-track wait), a short and a long seek
 * (both pieces of the seek curve), transfers from 1 to 2048+ sectors, and
 * gaps from none to 50 ms.
 */
static void test_same_service_times(void **unused)
{
	u64 seed = 42, now = 1000, lba = 0;
	u64 exact = 0, n = 20000, worst = 0;
	for (u64 i = 0; i < n; i++) {
		u64 kind = lcg(&seed) % 6;
		u32 nsect = 1 + (u32)(lcg(&seed) % (kind == 5 ? 4096 : 256));
		bool read = kind != 1;
		if (kind == 2)
			lba += lcg(&seed) % 20000;
		else if (kind >= 3)
			lba = lcg(&seed) * 9973 % (fd.sectors - 5000);
		if (lba + nsect > fd.sectors)
			lba = 0;
		u64 a = disk_serve(&fd, lba, nsect, read, now);
		u64 b = hdd_serve(&hd, lba, nsect, read, now);
		u64 diff = a > b ? a - b : b - a;
		if (diff == 0)
			exact++;
		if (diff > worst)
			worst = diff;
		assert_true(diff <= 1);
		/* Every request starts from the same state.  The only state
		 * rounding can touch is the last completion time, and there a
		 * 1 ns difference matters: a request that continues the last
		 * one at exactly its completion waits for nothing, 1 ns later
		 * it waits a whole turn. */
		assert_int_equal(hd.head_lba, fd.head_lba);
		assert_int_equal(hd.head_cyl, fd.head_cyl);
		assert_int_equal(hd.rng, fd.rng);
		assert_true(hd.last_read == fd.last_read);
		hd.last_done = fd.last_done;
		lba += nsect;
		u64 gap = lcg(&seed) % 4 == 0 ? 0 : lcg(&seed) % 50000000;
		now = a + gap;
	}
	/* Off by 1 ns only when the float sum sits within a few ps of a half
	 * ns: rare.  A systematic 1 ns error in any one branch would show here. */
	assert_true(exact >= n - n / 500);
	assert_int_equal(hd.seeks, fd.seeks);
	assert_int_equal(hd.seek_sectors, fd.seek_sectors);
	print_message("hdd_model: %llu requests, %llu identical to the ns, worst %llu ns\n",
		      (unsigned long long)n, (unsigned long long)exact, (unsigned long long)worst);
}

/* Back-to-back sequential reads stream at the zone's media rate: 140 MB/s
 * outside, half that inside (the figures the float model was fitted to). */
static void test_stream_rates(void **unused)
{
	u64 lbas[2] = { 0, hd.sectors - 200 * 128 - 1 };
	u32 want[2] = { 140, 70 };
	for (int k = 0; k < 2; k++) {
		struct hdd d;
		struct hdd_params p;
		hdd_default_params(&p);
		assert_int_equal(hdd_init(&d, &p), 0);
		u64 t = 0, start = 0;
		for (int i = 0; i < 200; i++) {
			u64 done = hdd_serve(&d, lbas[k] + (u64)i * 128, 128, true, t);
			if (i == 0)
				start = done;
			t = done;
		}
		u64 mbps = 199ull * 128 * 512 * 1000 / (t - start); /* bytes/ns x 1000 */
		assert_in_range(mbps, want[k] - 2, want[k] + 1);
	}
}

static void test_bad_params(void **unused)
{
	struct hdd d;
	struct hdd_params p;
	hdd_default_params(&p);
	p.cylinders = HDD_MAX_CYLINDERS + 1;
	assert_int_equal(hdd_init(&d, &p), -1);
	hdd_default_params(&p);
	p.rpm = 0;
	assert_int_equal(hdd_init(&d, &p), -1);
	hdd_default_params(&p);
	p.inner_mbps = 200;
	assert_int_equal(hdd_init(&d, &p), -1);
	/* A disk of exactly HDD_ZONE-multiple cylinders (the map's last slot). */
	hdd_default_params(&p);
	p.cylinders = 2 * HDD_ZONE;
	assert_int_equal(hdd_init(&d, &p), 0);
	assert_int_equal(hdd_cylinder_start(&d, 2 * HDD_ZONE), d.sectors);
	assert_int_equal(hdd_cylinder(&d, d.sectors - 1), 2 * HDD_ZONE - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_params_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_geometry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seek_curve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_service_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_params, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
