/*
 * homstat.h - two-sample and k-sample homogeneity tests (a pure core).
 *
 * "Do these samples come from one distribution?"  The second seed
 * (Markeeva, Melekhova, Tormasov, Trudy MIPT 2014) asks it of the
 * virtualization events two guest OSes produce, with three rank tests:
 * Wilcoxon rank-sum (a shift in location), Siegel-Tukey (a difference in
 * spread) and Anderson-Darling k-sample (any difference in the
 * distribution functions).  Each function here takes plain arrays of
 * doubles and returns the statistic and its p-value; no I/O, no globals,
 * so the unit tests can hold every number against scipy and R.
 * The formulas and their sources are in the .c files; the choices (which
 * approximation when) follow scipy 1.10 so the cross-check is exact.
 */
#ifndef HOMSTAT_H
#define HOMSTAT_H

#include <stddef.h>

/* Which null distribution the Mann-Whitney p-value comes from. */
enum mw_method {
	MW_AUTO,       /* exact if either sample has <= 8 values and no ties
			  (and the computation is not huge: mannwhitney.c) */
	MW_EXACT,      /* the permutation distribution of U (no ties allowed) */
	MW_ASYMPTOTIC, /* normal approximation, tie and continuity corrected */
};

struct mw_result {
	double u1;       /* U of the first sample: R1 - n1(n1+1)/2 (scipy's statistic) */
	double p_value;  /* two-sided */
	int exact;       /* 1 if the exact distribution was used */
};

/* A value and where it came from: what the rank tests sort. */
struct keyed {
	double v;
	size_t i;
};

/*
 * sort_pooled - x[0..nx) then y[0..ny) as one array of struct keyed
 * (index i counts through x then y), sorted by value; malloc'd, NULL if
 * out of memory.  y may be NULL when ny is 0.
 */
struct keyed *sort_pooled(const double *x, size_t nx, const double *y, size_t ny);

/*
 * rank_mid - midranks of v[0..n) into rank[] (1-based; tied values share
 * the mean of the ranks they span).  Returns the tie term sum(t^3 - t)
 * over the groups of t equal values, which the variance of the rank sum
 * needs.  Returns -1 if out of memory.
 */
double rank_mid(const double *v, size_t n, double *rank);

/*
 * mann_whitney - Wilcoxon rank-sum / Mann-Whitney U test, two-sided.
 * Returns 0, or -1 if a sample is empty, MW_EXACT is asked for tied data,
 * or memory runs out.
 */
int mann_whitney(const double *x, size_t nx, const double *y, size_t ny, enum mw_method method,
		 struct mw_result *out);

/*
 * siegel_tukey_scores - the Siegel-Tukey rank transform of the pooled
 * sample x then y: out[0..nx) for x, out[nx..nx+ny) for y.  Returns 0 or -1.
 */
int siegel_tukey_scores(const double *x, size_t nx, const double *y, size_t ny, double *out);

/* siegel_tukey - Mann-Whitney on the Siegel-Tukey scores.  As mann_whitney. */
int siegel_tukey(const double *x, size_t nx, const double *y, size_t ny, enum mw_method method,
		 struct mw_result *out);

/* The significance levels of Scholz & Stephens' Table 2. */
#define AD_NLEVELS 7
extern const double ad_levels[AD_NLEVELS];

struct ad_result {
	double a2akn;      /* A2akN, eq. (7): the midrank (ties) statistic */
	double sigma;      /* its standard deviation under H0, eq. (4) */
	double statistic;  /* (A2akN - (k-1)) / sigma: scipy's "statistic" */
	double critical[AD_NLEVELS]; /* critical values for ad_levels[] */
	double p_value;    /* interpolated, or the table's end (see bound) */
	int bound;         /* 0: interpolated; +1: p > 0.25 (p_value 0.25);
			      -1: p < 0.001 (p_value 0.001) */
};

/*
 * anderson_darling_k - Anderson-Darling k-sample test with ties (Scholz
 * and Stephens 1987, the midrank version).  samples[i] has n[i] values.
 * Returns 0, or -1 if k < 2, a sample is empty, there are fewer than 4
 * values in all, all values are equal, or memory runs out.
 */
int anderson_darling_k(const double *const *samples, const size_t *n, size_t k,
		       struct ad_result *out);

/* Just the p-value step: from the standardized statistic and k. */
double ad_pvalue(double statistic, size_t k, double critical[AD_NLEVELS], int *bound);

#endif
