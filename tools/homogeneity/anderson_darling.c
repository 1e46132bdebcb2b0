/*
 * anderson_darling.c - the Anderson-Darling k-sample test, with ties.
 *
 * F. W. Scholz and M. A. Stephens, "K-Sample Anderson-Darling Tests",
 * JASA 82 (1987) 918-924.  H0: k samples come from one (unknown)
 * distribution.  The statistic compares each sample's empirical
 * distribution function with that of the pooled sample, squared, weighted
 * by 1/(H(1-H)) so that the tails count as much as the middle (this is
 * what makes it more powerful than Kolmogorov-Smirnov for the shapes the
 * seed cares about), and summed over the pooled values.
 *
 * With ties, Scholz & Stephens define (section 7, eq. 7) the "midrank"
 * version: over the L distinct pooled values z*_1 < ... < z*_L, with
 *	l_j   = how many pooled values equal z*_j,
 *	B_j   = how many pooled values are <= z*_j,   Ba_j = B_j - l_j/2,
 *	M_ij  = how many values of sample i are <= z*_j,
 *	f_ij  = how many values of sample i equal z*_j, Ma_ij = M_ij - f_ij/2,
 *   A2akN = (N-1)/N^2 * sum_i 1/n_i * sum_j l_j (N Ma_ij - n_i Ba_j)^2
 *				            / (Ba_j (N - Ba_j) - N l_j / 4).
 * This is scipy's anderson_ksamp(midrank=True) (its default) and the
 * second version of R kSamples' ad.test.
 *
 * Under H0 A2akN has mean k-1 and the variance of eq. (4) below; the
 * standardized T = (A2akN - (k-1)) / sigma is compared with the upper
 * quantiles of Table 2, which the paper fits as b0 + b1/sqrt(m) + b2/m
 * for m = k-1 degrees of freedom.  The p-value between the tabulated
 * levels (0.25 ... 0.001) comes, as in scipy 1.10, from a least-squares
 * quadratic in T through log(level); outside them we report the end of the
 * table and say which side we are on (struct ad_result.bound).
 */
#include <math.h>
#include <stdlib.h>

#include "homstat.h"

const double ad_levels[AD_NLEVELS] = { 0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001 };

/* Scholz & Stephens 1987, Table 2: t_m(alpha) ~ b0 + b1/sqrt(m) + b2/m. */
static const double tb0[AD_NLEVELS] = { 0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085 };
static const double tb1[AD_NLEVELS] = { -0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615 };
static const double tb2[AD_NLEVELS] = { -0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154 };

/*
 * Var A2kN under H0, Scholz & Stephens eq. (4), for k samples of sizes
 * n_i, N in all (they use it for the midrank version too):
 *	H = sum_i 1/n_i,  h = sum_{i=1}^{N-1} 1/i,
 *	g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1/((N-i) j),
 *	a = (4g-6)(k-1) + (10-6g)H
 *	b = (2g-4)k^2 + 8hk + (2g-14h-4)H - 8h + 4g - 6
 *	c = (6h+2g-2)k^2 + (4h-4g+6)k + (2h-6)H + 4h
 *	d = (2h+6)k^2 - 4hk
 *	var = (aN^3 + bN^2 + cN + d) / ((N-1)(N-2)(N-3)).
 */
static double ad_variance(const size_t *n, size_t k, size_t total)
{
	double N = (double)total, K = (double)k, H = 0, h = 0, g = 0, inner = 0;

	for (size_t i = 0; i < k; i++)
		H += 1.0 / (double)n[i];
	for (size_t i = 1; i < total; i++)
		h += 1.0 / (double)i;
	/* inner = sum_{j=i+1}^{N-1} 1/j, grown from i = N-2 downwards. */
	for (size_t i = total - 2; i >= 1; i--) {
		inner += 1.0 / (double)(i + 1);
		g += inner / (N - (double)i);
	}
	double a = (4 * g - 6) * (K - 1) + (10 - 6 * g) * H;
	double b = (2 * g - 4) * K * K + 8 * h * K + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
	double c = (6 * h + 2 * g - 2) * K * K + (4 * h - 4 * g + 6) * K + (2 * h - 6) * H + 4 * h;
	double d = (2 * h + 6) * K * K - 4 * h * K;
	return (((a * N + b) * N + c) * N + d) / ((N - 1) * (N - 2) * (N - 3));
}

/*
 * Least-squares quadratic y ~ c0 + c1 t + c2 t^2 through n points, with
 * t = x - mean(x) so the normal equations stay well conditioned; solved
 * by Gaussian elimination with partial pivoting.  (numpy.polyfit, which
 * scipy uses, solves the same least-squares problem by SVD.)
 */
static void fit_quadratic(const double *x, const double *y, size_t n, double *xm, double c[3])
{
	double s[5] = { 0 }, r[3] = { 0 }, m[3][4];

	*xm = 0;
	for (size_t i = 0; i < n; i++)
		*xm += x[i] / (double)n;
	for (size_t i = 0; i < n; i++) {
		double t = x[i] - *xm, p = 1;
		for (int e = 0; e < 5; e++, p *= t) {
			s[e] += p;
			if (e < 3)
				r[e] += p * y[i];
		}
	}
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++)
			m[i][j] = s[i + j];
		m[i][3] = r[i];
	}
	for (int col = 0; col < 3; col++) {
		int piv = col;
		for (int i = col + 1; i < 3; i++)
			if (fabs(m[i][col]) > fabs(m[piv][col]))
				piv = i;
		for (int j = 0; j < 4; j++) {
			double t = m[col][j];
			m[col][j] = m[piv][j];
			m[piv][j] = t;
		}
		for (int i = col + 1; i < 3; i++) {
			double f = m[i][col] / m[col][col];
			for (int j = col; j < 4; j++)
				m[i][j] -= f * m[col][j];
		}
	}
	for (int i = 2; i >= 0; i--) {
		double v = m[i][3];
		for (int j = i + 1; j < 3; j++)
			v -= m[i][j] * c[j];
		c[i] = v / m[i][i];
	}
}

double ad_pvalue(double statistic, size_t k, double critical[AD_NLEVELS], int *bound)
{
	double m = (double)(k - 1), lo = INFINITY, hi = -INFINITY, logp[AD_NLEVELS];

	for (int i = 0; i < AD_NLEVELS; i++) {
		critical[i] = tb0[i] + tb1[i] / sqrt(m) + tb2[i] / m;
		logp[i] = log(ad_levels[i]);
		lo = fmin(lo, critical[i]);
		hi = fmax(hi, critical[i]);
	}
	if (statistic < lo) {
		*bound = 1;
		return ad_levels[0];
	}
	if (statistic > hi) {
		*bound = -1;
		return ad_levels[AD_NLEVELS - 1];
	}
	double xm, c[3], t;
	fit_quadratic(critical, logp, AD_NLEVELS, &xm, c);
	t = statistic - xm;
	*bound = 0;
	return exp(c[0] + (c[1] + c[2] * t) * t);
}

int anderson_darling_k(const double *const *samples, const size_t *n, size_t k,
		       struct ad_result *out)
{
	size_t total = 0;

	if (k < 2)
		return -1;
	for (size_t i = 0; i < k; i++) {
		if (!n[i])
			return -1;
		total += n[i];
	}
	if (total < 4)
		return -1;

	/* Pool the samples, remembering whose each value is. */
	double *v = malloc(total * sizeof(*v));
	size_t *owner = malloc(total * sizeof(*owner));
	double *m = calloc(2 * k, sizeof(*m)); /* M_ij so far, f_ij of this run */
	struct keyed *z = NULL;
	if (v && owner && m) {
		for (size_t i = 0, p = 0; i < k; i++)
			for (size_t j = 0; j < n[i]; j++, p++) {
				v[p] = samples[i][j];
				owner[p] = i;
			}
		z = sort_pooled(v, total, NULL, 0);
	}
	if (!z) {
		free(v);
		free(owner);
		free(m);
		return -1;
	}

	double N = (double)total, sum = 0, *f = m + k;
	size_t runs = 0;
	for (size_t a = 0, b; a < total; a = b, runs++) {
		/* The run z[a..b) holds the l_j values equal to z*_j. */
		for (size_t i = 0; i < k; i++)
			f[i] = 0;
		for (b = a; b < total && z[b].v == z[a].v; b++)
			f[owner[z[b].i]] += 1;
		double l = (double)(b - a), ba = (double)b - l / 2;
		double den = ba * (N - ba) - N * l / 4;
		for (size_t i = 0; i < k; i++) {
			m[i] += f[i];
			double ma = m[i] - f[i] / 2, dev = N * ma - (double)n[i] * ba;
			if (den > 0)
				sum += l * dev * dev / den / (double)n[i];
		}
	}
	free(v);
	free(owner);
	free(m);
	free(z);
	if (runs < 2) /* one distinct value: the statistic is 0/0 */
		return -1;

	out->a2akn = sum * (N - 1) / (N * N);
	out->sigma = sqrt(ad_variance(n, k, total));
	out->statistic = (out->a2akn - (double)(k - 1)) / out->sigma;
	out->p_value = ad_pvalue(out->statistic, k, out->critical, &out->bound);
	return 0;
}
