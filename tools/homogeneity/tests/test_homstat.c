/*
 * test_homstat.c - the homogeneity tests against scipy and R, and by hand.
 *
 * scipy_expected.py (run by make just before this test is built) writes
 * input vectors with what scipy 1.10 and R's kSamples compute for them;
 * each case is recomputed here and must agree to 1e-6 relative (REL).
 * Where scipy's Anderson-Darling p-value is only a bound (outside its
 * table, 0.001..0.25) we check that kSamples' p-value is on the side the
 * bound claims.  A few cases are worked by hand from the papers'
 * definitions, so a shared misreading of scipy would still show.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "homstat.h"

#ifndef HOMSTAT_EXPECTED
#define HOMSTAT_EXPECTED "build/unit/homstat-expected.txt"
#endif
#define REL 1e-6

/* Relative agreement; 0 only matches (nearly) 0. */
static double rel_err(double got, double want)
{
	double d = fabs(got - want), s = fmax(fabs(got), fabs(want));
	return s < 1e-300 ? d : d / s;
}

/* One line of the expectations file, split into tokens. */
struct line {
	char *tok[4096];
	int n, next;
};

static double num(struct line *l)
{
	assert_true(l->next < l->n);
	return strtod(l->tok[l->next++], NULL);
}

static void read_values(struct line *l, double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = num(l);
}

/* Calls fn on every line starting with tag; returns how many. */
static int for_each_case(const char *tag, void (*fn)(struct line *))
{
	FILE *f = fopen(HOMSTAT_EXPECTED, "r");
	char *buf = NULL;
	size_t cap = 0;
	int cases = 0;

	if (!f)
		fail_msg("cannot open %s (made by tools/homogeneity/tests/scipy_expected.py)",
			 HOMSTAT_EXPECTED);
	while (getline(&buf, &cap, f) > 0) {
		struct line l = { .n = 0 };
		for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
			assert_true(l.n < 4096);
			l.tok[l.n++] = t;
		}
		if (l.n && !strcmp(l.tok[0], tag)) {
			l.next = 1;
			fn(&l);
			cases++;
		}
	}
	free(buf);
	fclose(f);
	return cases;
}

static double worst_u, worst_p, worst_ad_t, worst_ad_p, worst_ks_t, worst_ks_p_inside;
static int bounds_checked;

static enum mw_method parse_method(const char *s)
{
	if (!strcmp(s, "exact"))
		return MW_EXACT;
	if (!strcmp(s, "asymptotic"))
		return MW_ASYMPTOTIC;
	assert_string_equal(s, "auto");
	return MW_AUTO;
}

static void check_two_sample(struct line *l, int siegel)
{
	enum mw_method m = parse_method(l->tok[l->next++]);
	size_t nx = (size_t)num(l), ny = (size_t)num(l);
	double *v = malloc((nx + ny) * sizeof(*v));
	struct mw_result r;

	read_values(l, v, nx + ny);
	double u_want = num(l), p_want = num(l);
	if (siegel)
		assert_int_equal(siegel_tukey(v, nx, v + nx, ny, m, &r), 0);
	else
		assert_int_equal(mann_whitney(v, nx, v + nx, ny, m, &r), 0);
	double eu = rel_err(r.u1, u_want), ep = rel_err(r.p_value, p_want);
	if (eu > REL || ep > REL)
		fail_msg("%s n=%zu,%zu: U1 %.17g want %.17g, p %.17g want %.17g",
			 siegel ? "siegel-tukey" : "mann-whitney", nx, ny, r.u1, u_want,
			 r.p_value, p_want);
	worst_u = fmax(worst_u, eu);
	worst_p = fmax(worst_p, ep);
	free(v);
}

static void check_mw(struct line *l)
{
	check_two_sample(l, 0);
}

static void check_st(struct line *l)
{
	check_two_sample(l, 1);
}

/* Reads "K N1..NK values..." and runs our test on it. */
static void run_ad(struct line *l, struct ad_result *r, double **store)
{
	size_t k = (size_t)num(l), n[8], total = 0;
	const double *s[8];

	assert_true(k >= 2 && k <= 8);
	for (size_t i = 0; i < k; i++)
		total += n[i] = (size_t)num(l);
	*store = malloc(total * sizeof(double));
	read_values(l, *store, total);
	for (size_t i = 0, off = 0; i < k; off += n[i++])
		s[i] = *store + off;
	assert_int_equal(anderson_darling_k(s, n, k, r), 0);
}

static void check_ad(struct line *l)
{
	struct ad_result r;
	double *v;

	run_ad(l, &r, &v);
	double t_want = num(l), p_want = num(l);
	double et = rel_err(r.statistic, t_want), ep = rel_err(r.p_value, p_want);
	if (et > REL || ep > REL)
		fail_msg("anderson-darling: T %.17g want %.17g, p %.17g want %.17g", r.statistic,
			 t_want, r.p_value, p_want);
	/* scipy returns the table's ends exactly when it caps. */
	assert_int_equal(r.bound == 1, p_want == 0.25 && r.statistic < r.critical[0]);
	assert_int_equal(r.bound == -1, p_want == 0.001);
	worst_ad_t = fmax(worst_ad_t, et);
	worst_ad_p = fmax(worst_ad_p, ep);
	free(v);
}

static void check_ad_ksamples(struct line *l)
{
	struct ad_result r;
	double *v;

	run_ad(l, &r, &v);
	double t_r = num(l), p_r = num(l);
	/* ad.test prints T.AD to 5 significant digits: 5e-5 relative. */
	double et = rel_err(r.statistic, t_r);
	if (et > 5e-5 + 1e-9)
		fail_msg("anderson-darling vs kSamples: T %.17g, kSamples %.17g", r.statistic, t_r);
	worst_ks_t = fmax(worst_ks_t, et);
	if (r.bound == -1 && !(p_r < 0.001))
		fail_msg("p < 0.001 claimed, kSamples says %.17g (T %.6g)", p_r, r.statistic);
	if (r.bound == 1 && !(p_r > 0.25))
		fail_msg("p > 0.25 claimed, kSamples says %.17g (T %.6g)", p_r, r.statistic);
	bounds_checked += r.bound != 0;
	if (!r.bound)
		worst_ks_p_inside = fmax(worst_ks_p_inside, rel_err(r.p_value, p_r));
	free(v);
}

static void test_mann_whitney_vs_scipy(void **state)
{
	int n = for_each_case("mw", check_mw);
	assert_true(n >= 100);
	print_message("mann-whitney: %d cases, max rel err U1 %.3g, p %.3g\n", n, worst_u, worst_p);
}

static void test_siegel_tukey_vs_scipy(void **state)
{
	worst_u = worst_p = 0;
	int n = for_each_case("st", check_st);
	assert_true(n >= 100);
	print_message("siegel-tukey: %d cases, max rel err U1 %.3g, p %.3g\n", n, worst_u, worst_p);
}

static void test_anderson_darling_vs_scipy(void **state)
{
	int n = for_each_case("ad", check_ad);
	assert_true(n >= 50);
	print_message("anderson-darling: %d cases, max rel err T %.3g, p %.3g\n", n, worst_ad_t,
		      worst_ad_p);
}

static void test_anderson_darling_vs_ksamples(void **state)
{
	int n = for_each_case("adr", check_ad_ksamples);
	assert_true(n >= 50);
	assert_true(bounds_checked >= 10); /* the generator makes both sides */
	print_message("anderson-darling vs kSamples: %d cases, max rel err T %.3g (5-digit "
		      "print); %d bounds confirmed; inside the table our (scipy's) p differs "
		      "from kSamples' by up to %.3g relative\n",
		      n, worst_ks_t, bounds_checked, worst_ks_p_inside);
}

/* By hand, from the definitions. */

static void test_midranks(void **state)
{
	double v[] = { 3, 1, 4, 1, 5, 9, 2, 6, 5 }, r[9];
	double want[] = { 4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5 };

	/* two pairs of ties: sum(t^3 - t) = 6 + 6 */
	assert_true(rank_mid(v, 9, r) == 12);
	for (int i = 0; i < 9; i++)
		assert_true(r[i] == want[i]);
}

static void test_siegel_tukey_scores_by_hand(void **state)
{
	/* N = 10 distinct values, already sorted: Siegel & Tukey's scores
	 * 1 4 5 8 9 10 7 6 3 2 from the lowest to the highest. */
	double x[] = { 10, 20, 30, 40, 50 }, y[] = { 60, 70, 80, 90, 100 }, s[10];
	double want[] = { 1, 4, 5, 8, 9, 10, 7, 6, 3, 2 };
	assert_int_equal(siegel_tukey_scores(x, 5, y, 5, s), 0);
	for (int i = 0; i < 10; i++)
		assert_true(s[i] == want[i]);
	/* Ties share the mean: 1 1 2 | 3 3 -> scores 1 4 | 5 3 2 become
	 * 2.5 2.5 5 | 2.5 2.5 (the 3s: (3 + 2) / 2). */
	double a[] = { 1, 1, 2 }, b[] = { 3, 3 }, t[5];
	double want_t[] = { 2.5, 2.5, 5, 2.5, 2.5 };
	assert_int_equal(siegel_tukey_scores(a, 3, b, 2, t), 0);
	for (int i = 0; i < 5; i++)
		assert_true(t[i] == want_t[i]);
}

static void test_mann_whitney_by_hand(void **state)
{
	/* x = {1, 2}, y = {3, 4}: U1 = 0; of the C(4,2) = 6 equally likely
	 * splits only this one and its mirror are as extreme: p = 2/6. */
	double x[] = { 1, 2 }, y[] = { 3, 4 };
	struct mw_result r;
	assert_int_equal(mann_whitney(x, 2, y, 2, MW_AUTO, &r), 0);
	assert_true(r.exact && r.u1 == 0);
	assert_true(fabs(r.p_value - 1.0 / 3) < 1e-15);
	/* Ties force the normal approximation, and exact refuses them. */
	double t[] = { 1, 1 };
	assert_int_equal(mann_whitney(t, 2, y, 2, MW_AUTO, &r), 0);
	assert_false(r.exact);
	assert_int_equal(mann_whitney(t, 2, y, 2, MW_EXACT, &r), -1);
	assert_int_equal(mann_whitney(x, 0, y, 2, MW_AUTO, &r), -1);
	/* 3 values against 40000: exact would take 3.6e9 steps; auto goes
	 * normal (z = (60000 - 1/2) / 20001, p = 0.0027). */
	size_t big = 40000;
	double *b = malloc(big * sizeof(*b)), z[] = { -1, -2, -3 };
	for (size_t i = 0; i < big; i++)
		b[i] = (double)i;
	assert_int_equal(mann_whitney(z, 3, b, big, MW_AUTO, &r), 0);
	assert_false(r.exact);
	assert_true(r.u1 == 0 && r.p_value > 0.0026 && r.p_value < 0.0028);
	free(b);
}

static void test_anderson_darling_refuses(void **state)
{
	double a[] = { 1, 1, 1 }, b[] = { 1, 1 }, c[] = { 2 };
	const double *s[] = { a, b };
	size_t n[] = { 3, 2 };
	struct ad_result r;

	assert_int_equal(anderson_darling_k(s, n, 2, &r), -1); /* all equal */
	assert_int_equal(anderson_darling_k(s, n, 1, &r), -1); /* k < 2 */
	s[1] = c;
	n[1] = 0;
	assert_int_equal(anderson_darling_k(s, n, 2, &r), -1); /* empty */
	n[0] = 2;
	n[1] = 1;
	assert_int_equal(anderson_darling_k(s, n, 2, &r), -1); /* N < 4 */
	n[0] = 3;
	assert_int_equal(anderson_darling_k(s, n, 2, &r), 0);
}

/* The p-value interpolation reproduces its own table at the nodes to the
 * accuracy of a 3-parameter fit through 7 points (a few percent). */
static void test_ad_pvalue_table(void **state)
{
	double crit[AD_NLEVELS];
	int bound;

	for (size_t k = 2; k <= 10; k++) {
		ad_pvalue(0, k, crit, &bound);
		for (int i = 0; i < AD_NLEVELS; i++) {
			double p = ad_pvalue(crit[i], k, crit, &bound);
			assert_int_equal(bound, 0);
			assert_true(rel_err(p, ad_levels[i]) < 0.1);
		}
		assert_true(ad_pvalue(crit[0] - 1e-9, k, crit, &bound) == 0.25 && bound == 1);
		assert_true(ad_pvalue(crit[6] + 1e-9, k, crit, &bound) == 0.001 && bound == -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_midranks),
		cmocka_unit_test(test_siegel_tukey_scores_by_hand),
		cmocka_unit_test(test_mann_whitney_by_hand),
		cmocka_unit_test(test_anderson_darling_refuses),
		cmocka_unit_test(test_ad_pvalue_table),
		cmocka_unit_test(test_mann_whitney_vs_scipy),
		cmocka_unit_test(test_siegel_tukey_vs_scipy),
		cmocka_unit_test(test_anderson_darling_vs_scipy),
		cmocka_unit_test(test_anderson_darling_vs_ksamples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
