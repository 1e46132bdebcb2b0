/*
 * mannwhitney.c - Wilcoxon rank-sum / Mann-Whitney U test, two-sided.
 *
 * H0: x and y come from one continuous distribution.  Pool them, rank
 * (midrank.c), and sum the ranks of x: R1.  Wilcoxon (1945) used R1;
 * Mann and Whitney (1947) the equivalent U1 = R1 - n1(n1+1)/2, which
 * counts the pairs (x_i, y_j) with x_i > y_j (a tie counts 1/2).  Under
 * H0 every one of the C(n1+n2, n1) ways to split the ranks is equally
 * likely, so U1 has mean n1*n2/2 and is symmetric about it; a U far from
 * the middle says one sample tends to lie above the other.
 *
 * Two-sided p-value, as scipy 1.10's mannwhitneyu (default arguments):
 * U = max(U1, U2) with U2 = n1*n2 - U1, p = 2 * P(U' >= U), capped at 1.
 * P comes from the exact null distribution when a sample is small and
 * there are no ties, else from the normal approximation with a correction
 * for ties and for continuity (formulas below).
 */
#include <math.h>
#include <stdlib.h>

#include "homstat.h"

#define MW_EXACT_MAX_COST 2e9

/*
 * The exact null distribution of U for sample sizes m, n (no ties), by
 * Mann and Whitney's recurrence (Ann. Math. Stat. 18, 1947, eq. 2): look
 * at the largest of the m+n values.  If it is an x it beats all n y's,
 * otherwise it adds nothing, so the number of arrangements giving U = u is
 *	c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1),
 * with c(0; m, 0) = c(0; 0, n) = 1.  We keep one row c(.; i, j) for each
 * i <= m and sweep j up to n, so memory is (m+1)(mn+1) doubles; sums of
 * non-negative terms only, so the tails keep full relative precision.
 * Returns P(U >= u), or -1 if out of memory.
 */
static double exact_sf(size_t m, size_t n, double u)
{
	size_t top = m * n + 1;
	double *c = calloc((m + 1) * top, sizeof(*c));
	double tail = 0, total = 0;

	if (!c)
		return -1;
	for (size_t i = 0; i <= m; i++)
		c[i * top] = 1; /* j = 0: no y, U = 0 whatever i */
	for (size_t j = 1; j <= n; j++)
		/* Row i for j: row i-1 for j (already updated: ascending i)
		 * shifted by j, plus row i for j-1 (the old contents). */
		for (size_t i = 1; i <= m; i++)
			for (size_t v = i * j + 1; v-- > j;)
				c[i * top + v] += c[(i - 1) * top + v - j];
	for (size_t v = 0; v < top; v++) {
		total += c[m * top + v];
		if ((double)v >= u)
			tail += c[m * top + v];
	}
	free(c);
	return tail / total;
}

int mann_whitney(const double *x, size_t nx, const double *y, size_t ny, enum mw_method method,
		 struct mw_result *out)
{
	size_t n = nx + ny;
	double *v, *r, ties, r1 = 0;

	if (!nx || !ny || !(v = malloc(2 * n * sizeof(*v))))
		return -1;
	r = v + n;
	for (size_t i = 0; i < nx; i++)
		v[i] = x[i];
	for (size_t i = 0; i < ny; i++)
		v[nx + i] = y[i];
	ties = rank_mid(v, n, r);
	for (size_t i = 0; i < nx; i++)
		r1 += r[i];
	free(v);
	if (ties < 0)
		return -1;

	double n1 = (double)nx, n2 = (double)ny, nn = (double)n;
	double u1 = r1 - n1 * (n1 + 1) / 2, u2 = n1 * n2 - u1;
	double u = u1 > u2 ? u1 : u2;

	/* scipy's "auto": exact unless both samples exceed 8 values or
	 * there are ties (the exact distribution above assumes none).  One
	 * more condition of ours: exact_sf costs about (m n)^2 / 4 additions,
	 * so beyond MW_EXACT_MAX_COST (seconds; 8 values against ~11000) we
	 * take the normal approximation.  scipy 1.10's exact code runs out of
	 * memory long before such sizes, so no comparison is lost. */
	double cost = n1 * n1 * n2 * n2 / 4;
	if (method == MW_AUTO)
		method = (nx > 8 && ny > 8) || ties > 0 || cost > MW_EXACT_MAX_COST ? MW_ASYMPTOTIC
										   : MW_EXACT;
	out->u1 = u1;
	out->exact = method == MW_EXACT;
	if (method == MW_EXACT) {
		if (ties > 0)
			return -1;
		size_t m = nx < ny ? nx : ny; /* U's law is the same for (n, m) */
		double sf = exact_sf(m, n - m, u);
		if (sf < 0)
			return -1;
		out->p_value = fmin(1, 2 * sf);
		return 0;
	}
	/*
	 * Normal approximation.  Var U = n1 n2 (N+1) / 12 without ties; with
	 * tie groups of sizes t it is n1 n2 / 12 * ((N+1) - sum(t^3-t) /
	 * (N(N-1))) (Lehmann 1975, eq. 1.59; scipy's _get_mwu_z).  U takes
	 * integer (or half-integer) steps, so P(U' >= U) is better matched
	 * by the normal tail from U - 1/2: the continuity correction.
	 */
	double s = sqrt(n1 * n2 / 12 * ((nn + 1) - ties / (nn * (nn - 1))));
	if (!(s > 0)) { /* every value equal: nothing can be told apart */
		out->p_value = 1;
		return 0;
	}
	double z = (u - n1 * n2 / 2 - 0.5) / s;
	/* 2 * P(Z >= z) for standard normal Z is erfc(z / sqrt 2). */
	out->p_value = fmin(1, erfc(z / sqrt(2)));
	return 0;
}
