/*
 * homogeneity.c - are the samples of several guests from one distribution?
 *
 *   homogeneity [--alpha A] [--csv] --column NAME FILE.csv FILE.csv...
 *
 * Reads column NAME of each file (samples2csv's per-guest tables) and runs
 * the seed's three tests on the values as sampled ("absolute") and on
 * their first difference, the growth per interval ("growth"): Wilcoxon
 * rank-sum and Siegel-Tukey for each pair of files, Anderson-Darling
 * k-sample once over all files.  It prints the p-values to 6 digits and
 * "homogeneous: yes/no" at alpha, as the seed's Tables 1.1-1.4, or with
 * --csv one row per test.  The statistics live in homstat.h; this file is
 * the glue (arguments, files, printing).  See README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvcol.h"
#include "homstat.h"

struct input {
	const char *path;
	char label[64]; /* the file's basename without .csv: the guest */
	double *v;
	size_t n;
};

struct outcome {
	int ok;           /* 0: the test could not run (too few values...) */
	double statistic; /* U1 of the pair's first file, or AD's T */
	double p;
	int bound;        /* as struct ad_result.bound; 0 for the rank tests */
	int exact;
};

static double alpha = 0.05;
static int csv;
static const char *column;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = 2 * cap + 4096 + 1);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
	} while (got);
	fclose(f);
	buf[len] = 0;
	return buf;
}

static int homogeneous(const struct outcome *o)
{
	if (o->bound)
		return o->bound > 0; /* alpha lies inside the table: decided */
	return o->p > alpha;
}

static void print_row(const char *test, const char *pair, const char *series,
		      const struct outcome *o)
{
	if (csv) {
		if (!o->ok)
			printf("%s%s%s,%s,%s,,,n/a\n", pair, *pair ? "," : "", column, series, test);
		else
			printf("%s%s%s,%s,%s,%.10g,%.6g,%s\n", pair, *pair ? "," : "", column, series,
			       test, o->statistic, o->p, homogeneous(o) ? "yes" : "no");
		return;
	}
	char p[32], name[40];
	if (!o->ok)
		snprintf(p, sizeof(p), "n/a");
	else if (o->bound)
		snprintf(p, sizeof(p), "%s%.6f", o->bound < 0 ? "< " : "> ", o->p);
	else if (o->p < 0.001) /* 6 decimals would hide how small */
		snprintf(p, sizeof(p), "%.6g", o->p);
	else
		snprintf(p, sizeof(p), "%.6f", o->p);
	snprintf(name, sizeof(name), "%s%s", test,
		 !o->ok || !strcmp(test, "Anderson-Darling") ? "" : o->exact ? " (exact)" : "");
	char st[32] = "n/a";
	if (o->ok)
		snprintf(st, sizeof(st), "%.6g", o->statistic);
	printf("%-24s | %-28s | %14s | %12s | %s\n", name, pair, st, p,
	       !o->ok ? "n/a" : homogeneous(o) ? "yes" : "no");
}

/* The rank tests for each pair, then AD over all, on one series. */
static void run_series(struct input *in, size_t k, const char *series, double **x, size_t *n)
{
	static const char *const rank_test[2] = { "Wilcoxon", "Siegel-Tukey" };
	static const char *const rank_csv[2] = { "wilcoxon", "siegel-tukey" };
	char pair[1024]; /* k labels of up to 63 characters */

	if (!csv) {
		printf("\n%s, %s series%s (alpha %g)\n", column, series,
		       strcmp(series, "growth") ? "" : " (first difference)", alpha);
		for (size_t i = 0; i < k; i++)
			printf("%s %s: n=%zu", i ? "," : " ", in[i].label, n[i]);
		printf("\n%-24s | %-28s | %14s | %12s | %s\n", "Test", "Pair", "Statistic",
		       "p-value", "Homogeneous");
		printf("-------------------------+------------------------------+----------------+"
		       "--------------+------------\n");
	}
	for (int t = 0; t < 2; t++)
		for (size_t i = 0; i < k; i++)
			for (size_t j = i + 1; j < k; j++) {
				struct mw_result r = { 0 };
				int rc = t ? siegel_tukey(x[i], n[i], x[j], n[j], MW_AUTO, &r)
					   : mann_whitney(x[i], n[i], x[j], n[j], MW_AUTO, &r);
				struct outcome o = { !rc, r.u1, r.p_value, 0, r.exact };
				if (csv)
					snprintf(pair, sizeof(pair), "%s|%s", in[i].label,
						 in[j].label);
				else
					snprintf(pair, sizeof(pair), "%s vs %s", in[i].label,
						 in[j].label);
				print_row(csv ? rank_csv[t] : rank_test[t],
					  csv && k == 2 ? "" : pair, series, &o);
			}

	struct ad_result a = { 0 };
	int rc = anderson_darling_k((const double *const *)x, n, k, &a);
	struct outcome o = { !rc, a.statistic, a.p_value, a.bound, 0 };
	pair[0] = 0;
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(pair);
		snprintf(pair + l, sizeof(pair) - l, "%s%s", i ? (csv ? "|" : " vs ") : "",
			 in[i].label);
	}
	if (!csv && k > 2)
		snprintf(pair, sizeof(pair), "all %zu (k-sample)", k);
	print_row(csv ? "anderson-darling" : "Anderson-Darling", csv && k == 2 ? "" : pair, series,
		  &o);
}

static void usage(void)
{
	fprintf(stderr, "usage: homogeneity [--alpha A] [--csv] --column NAME FILE.csv FILE.csv...\n"
			"  A between 0.001 and 0.25 (the range of Anderson-Darling's table)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int a = 1;

	for (; a < argc && !strncmp(argv[a], "--", 2); a++) {
		if (!strcmp(argv[a], "--csv")) {
			csv = 1;
		} else if (!strcmp(argv[a], "--column") && a + 1 < argc) {
			column = argv[++a];
		} else if (!strcmp(argv[a], "--alpha") && a + 1 < argc) {
			char *end;
			errno = 0;
			alpha = strtod(argv[++a], &end);
			if (*end || errno || !(alpha >= 0.001 && alpha <= 0.25))
				usage();
		} else {
			usage();
		}
	}
	size_t k = (size_t)(argc - a);
	if (!column || k < 2)
		usage();

	struct input *in = calloc(k, sizeof(*in));
	double **x = calloc(k, sizeof(*x));
	size_t *n = calloc(k, sizeof(*n));
	if (!in || !x || !n)
		return 1;
	for (size_t i = 0; i < k; i++) {
		char err[160], *text;
		in[i].path = argv[a + i];
		const char *base = strrchr(in[i].path, '/');
		base = base ? base + 1 : in[i].path;
		snprintf(in[i].label, sizeof(in[i].label), "%s", base);
		char *dot = strrchr(in[i].label, '.');
		if (dot && !strcmp(dot, ".csv"))
			*dot = 0;
		if (!(text = slurp(in[i].path))) {
			fprintf(stderr, "homogeneity: %s: %s\n", in[i].path, strerror(errno));
			return 1;
		}
		if (csv_column(text, column, &in[i].v, &in[i].n, err, sizeof(err))) {
			fprintf(stderr, "homogeneity: %s: %s\n", in[i].path, err);
			return 1;
		}
		free(text);
	}

	if (csv)
		printf("%scolumn,series,test,statistic,p_value,homogeneous\n", k > 2 ? "pair," : "");
	else if (k > 2)
		printf("%zu files: Wilcoxon and Siegel-Tukey for each pair (no correction for "
		       "multiple comparisons), Anderson-Darling one k-sample test over all.\n",
		       k);

	/* The absolute series: the values as sampled. */
	for (size_t i = 0; i < k; i++) {
		x[i] = in[i].v;
		n[i] = in[i].n;
	}
	run_series(in, k, "absolute", x, n);

	/* Growth: the change from one sample to the next, n-1 values. */
	for (size_t i = 0; i < k; i++) {
		n[i] = in[i].n ? in[i].n - 1 : 0;
		x[i] = malloc((n[i] ? n[i] : 1) * sizeof(double));
		if (!x[i])
			return 1;
		for (size_t j = 0; j < n[i]; j++)
			x[i][j] = in[i].v[j + 1] - in[i].v[j];
	}
	run_series(in, k, "growth", x, n);

	for (size_t i = 0; i < k; i++) {
		free(x[i]);
		free(in[i].v);
	}
	free(in);
	free(x);
	free(n);
	return 0;
}
