/*
 * siegel_tukey.c - the Siegel-Tukey test for a difference in spread.
 *
 * Siegel and Tukey (JASA 55, 1960, "A nonparametric sum of ranks procedure
 * for relative spread in unpaired samples") rank the pooled sample from
 * both ends towards the middle: the smallest value gets 1, the largest two
 * get 2 and 3, the next two smallest 4 and 5, the next two largest 6 and 7,
 * and so on.  Extreme values get small scores, central ones large scores,
 * so a sample that is more spread out has a small score sum.  Because the
 * scores are again a permutation of 1..N, the Wilcoxon rank-sum test and
 * its null distribution apply unchanged: we run mann_whitney on the
 * scores.  Tied values get the mean of their scores (as midranks do).
 *
 * The test assumes both samples have the same median; with a shift in
 * location it also reacts to the shift.  The seed used R code from
 * r-statistics.com (its ref. [14]); this follows the paper's definition.
 */
#include <stdlib.h>

#include "homstat.h"

int siegel_tukey_scores(const double *x, size_t nx, const double *y, size_t ny, double *out)
{
	size_t n = nx + ny;
	struct keyed *k = sort_pooled(x, nx, y, ny);
	double *score = malloc((n ? n : 1) * sizeof(*score));

	if (!k || !score) {
		free(k);
		free(score);
		return -1;
	}

	/* score[p] for sorted position p: 1 to the low end, then alternately
	 * two from the high end and two from the low end. */
	size_t lo = 0, hi = n, next = 1;
	if (n)
		score[lo++] = (double)next++;
	for (int from_top = 1; lo < hi; from_top = !from_top)
		for (int twice = 0; twice < 2 && lo < hi; twice++)
			score[from_top ? --hi : lo++] = (double)next++;

	/* Tied values: each gets the mean score of its run. */
	for (size_t a = 0, b; a < n; a = b) {
		double sum = 0;
		for (b = a; b < n && k[b].v == k[a].v; b++)
			sum += score[b];
		for (size_t j = a; j < b; j++)
			out[k[j].i] = sum / (double)(b - a);
	}
	free(k);
	free(score);
	return 0;
}

int siegel_tukey(const double *x, size_t nx, const double *y, size_t ny, enum mw_method method,
		 struct mw_result *out)
{
	double *s;
	int rc;

	if (!nx || !ny || !(s = malloc((nx + ny) * sizeof(*s))))
		return -1;
	rc = siegel_tukey_scores(x, nx, y, ny, s);
	if (!rc)
		rc = mann_whitney(s, nx, s + nx, ny, method, out);
	free(s);
	return rc;
}
