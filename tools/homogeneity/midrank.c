/*
 * midrank.c - ranks with ties, the common first step of the rank tests.
 *
 * A rank test replaces every observation by its position in the pooled,
 * sorted sample, so that only the order matters and the test is free of
 * the distribution (Lehmann, "Nonparametrics", 1975, ch. 1).  Equal values
 * cannot be ordered; the usual convention, and scipy's rankdata(method=
 * "average"), gives each of t tied values the mean of the t ranks they
 * occupy (the "midrank").  Ties shrink the variance of a rank sum by a
 * term in sum(t^3 - t), which we return alongside (see mannwhitney.c).
 */
#include <stdlib.h>

#include "homstat.h"

static int by_value(const void *a, const void *b)
{
	double x = ((const struct keyed *)a)->v, y = ((const struct keyed *)b)->v;
	return (x > y) - (x < y);
}

struct keyed *sort_pooled(const double *x, size_t nx, const double *y, size_t ny)
{
	size_t n = nx + ny;
	struct keyed *k = malloc((n ? n : 1) * sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ i < nx ? x[i] : y[i - nx], i };
	qsort(k, n, sizeof(*k), by_value);
	return k;
}

double rank_mid(const double *v, size_t n, double *rank)
{
	struct keyed *k = sort_pooled(v, n, NULL, 0);
	double ties = 0;

	if (!k)
		return -1;
	/* A run k[a..b) of equal values occupies ranks a+1..b: mean (a+1+b)/2. */
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && k[b].v == k[a].v; b++)
			;
		double t = (double)(b - a), mid = (double)(a + 1 + b) / 2;
		for (size_t j = a; j < b; j++)
			rank[k[j].i] = mid;
		ties += t * t * t - t;
	}
	free(k);
	return ties;
}
