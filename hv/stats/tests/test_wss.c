/*
 * test_wss.c - the working-set estimators' arithmetic (hv/stats/wss.h).
 *
 * (a): interval counts and pages new to the set from the two bitmaps.
 * (b): distinct random samples, touches counted once, the Wilson interval
 * against the same formula in doubles, and its coverage: a simulated guest
 * with exactly K pages in use, sampled interval after interval, must find K
 * inside the stated interval about as often as z = 3 promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/wss.h"

#define N 16384 /* 64 MiB of guest RAM */
#define W (N / 64)

static u64 seen[W], prev[W], sample[W];

static void fresh(struct wss *w, u32 n, u64 seed)
{
	memset(seen, 0, sizeof(seen));
	memset(prev, 0, sizeof(prev));
	memset(sample, 0, sizeof(sample));
	wss_init(w, N, seen, prev, sample, n, seed);
}

static void mark(u64 *m, u64 page)
{
	m[page / 64] |= 1ull << (page % 64);
}

static void test_count_and_new(void **state)
{
	struct wss w;

	fresh(&w, 0, 1);
	assert_int_equal(wss_words(N), W);
	assert_int_equal(wss_words(N + 1), W + 1);
	for (u64 p = 0; p < 100; p++)
		mark(seen, p);
	wss_count(&w);
	assert_int_equal(w.pages, 100);
	assert_int_equal(w.new_pages, 100);
	for (u64 i = 0; i < W; i++)
		assert_int_equal(seen[i], 0); /* cleared for the next interval */
	for (u64 p = 50; p < 170; p++)   /* 50 kept, 70 new */
		mark(seen, p);
	mark(seen, N - 1);
	wss_count(&w);
	assert_int_equal(w.pages, 121);
	assert_int_equal(w.new_pages, 71);
	wss_count(&w); /* an idle interval */
	assert_int_equal(w.pages, 0);
	assert_int_equal(w.new_pages, 0);
}

static void test_sample_draw_and_hits(void **state)
{
	struct wss w;
	u64 first = 0;

	fresh(&w, 400, 42);
	wss_next_sample(&w);
	assert_true(w.sampling);
	assert_int_equal(w.est_n, 0); /* no estimate before a full interval */
	u32 bits = 0;
	for (u64 i = 0; i < W; i++)
		bits += __builtin_popcountll(sample[i]);
	assert_int_equal(bits, 400); /* distinct pages */
	for (u64 p = 0; p < N && !first; p++)
		if (sample[p / 64] & (1ull << (p % 64)))
			first = p;
	/* A touch counts once; pages outside the sample or RAM do not. */
	wss_fault(&w, first << 12);
	wss_fault(&w, (first << 12) + 0x123);
	wss_fault(&w, (u64)N << 12);
	assert_int_equal(w.hits, 1);
	wss_next_sample(&w);
	assert_int_equal(w.est_hits, 1);
	assert_int_equal(w.est_n, 400);
	assert_int_equal(w.est, N / 400);
	assert_int_equal(w.hits, 0);

	/* n is cut to half of RAM; n = 0 is off. */
	fresh(&w, N, 1);
	assert_int_equal(w.n, N / 2);
	fresh(&w, 0, 1);
	wss_next_sample(&w);
	assert_false(w.sampling);
	wss_fault(&w, 0);
	assert_int_equal(w.hits, 0);
}

/* The interval in doubles, the way wss.h states it. */
static void wilson(double Nn, double n, double h, double *lo, double *hi)
{
	double ph = h / n, k = WSS_Z2 * (Nn - n) / (n * (Nn - 1));
	double r = sqrt(k * ph * (1 - ph) + k * k / 4);

	*lo = (ph + k / 2 - r) / (1 + k) * Nn;
	*hi = (ph + k / 2 + r) / (1 + k) * Nn;
}

static void test_estimate_matches_doubles(void **state)
{
	static const u64 Ns[] = { 512, 16384, 65536, 262144, 1u << 24 };
	static const u32 ns[] = { 1, 10, 100, 400, 256 };

	for (unsigned a = 0; a < 5; a++)
		for (unsigned b = 0; b < 5; b++) {
			u64 Nn = Ns[a];
			u32 n = ns[b];

			for (u32 h = 0; h <= n; h += n / 7 + 1) {
				u64 est, lo, hi;
				double dlo, dhi;

				wss_estimate(Nn, n, h, &est, &lo, &hi);
				wilson((double)Nn, n, h, &dlo, &dhi);
				assert_int_equal(est, (u64)h * Nn / n);
				assert_true(lo <= est && est <= hi);
				/* fixed point: within 2e-5 of N, and outwards of the
				 * exact ends by no more than that */
				double tol = 2e-5 * (double)Nn + 1;
				assert_true(fabs((double)lo - fmax(dlo, 0)) <= tol);
				assert_true(fabs((double)hi - fmin(dhi, (double)Nn)) <= tol);
			}
		}
	u64 e, lo, hi;
	wss_estimate(N, 0, 0, &e, &lo, &hi);
	assert_true(e == 0 && lo == 0 && hi == 0);
	/* everything sampled: no uncertainty left */
	wss_estimate(N, N, 123, &e, &lo, &hi);
	assert_int_equal(lo, 123);
	assert_true(hi == 123 || hi == 124);
}

/* A guest that uses exactly K pages every interval. */
static void test_coverage(void **state)
{
	static const u32 Ks[] = { 1000, 5000, 12000 };
	struct wss w;

	for (unsigned i = 0; i < 3; i++) {
		u32 K = Ks[i], covered = 0, rounds = 2000;
		double sum = 0;

		fresh(&w, 400, 7 + i);
		wss_next_sample(&w);
		for (u32 r = 0; r < rounds; r++) {
			for (u64 p = 0; p < K; p++) /* the guest touches its pages */
				wss_fault(&w, (p * 3 % N) << 12);
			wss_next_sample(&w);
			covered += w.est_lo <= K && K <= w.est_hi;
			sum += (double)w.est;
		}
		/* unbiased, and covered in ~99.7% of intervals */
		assert_true(fabs(sum / rounds - K) < 0.02 * K);
		assert_true(covered >= rounds * 985 / 1000);
		print_message("K=%u: mean estimate %.0f, K inside the interval %u/%u\n", K,
			      sum / rounds, covered, rounds);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_new),
		cmocka_unit_test(test_sample_draw_and_hits),
		cmocka_unit_test(test_estimate_matches_doubles),
		cmocka_unit_test(test_coverage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
