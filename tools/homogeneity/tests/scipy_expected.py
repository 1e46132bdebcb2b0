#!/usr/bin/python3
"""scipy_expected.py OUT [SEED] - reference values for test_homstat.c.

Run by `make unit` (Debian's /usr/bin/python3, python3-scipy; Rscript with
r-cran-ksamples) before test_homstat is built: writes the input vectors
AND what scipy (and R's kSamples) say about them, one case per line, so the
C test recomputes every case and compares.  Nothing here is committed as
a number: change scipy and the expectations change with it.

Line formats (whitespace separated; floats as repr, i.e. exact doubles):
  mw METHOD NX NY x... y... U1 P       scipy.stats.mannwhitneyu
  st METHOD NX NY x... y... U1 P       mannwhitneyu on Siegel-Tukey scores
  ad K N1..NK values... STAT P         scipy.stats.anderson_ksamp (midrank)
  adr K N1..NK values... STAT P        R kSamples: ad.test's version-2
                                       T.AD (printed to 5 digits) and ad.pval
                                       at scipy's statistic, unrounded
METHOD is auto, exact or asymptotic.  The first line is a '#' comment
naming the versions and the seed.
"""
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import scipy
from scipy import stats


def siegel_tukey_scores(pooled):
    """Siegel & Tukey 1960: 1 to the smallest, then two from the top, two
    from the bottom, ...; ties get their mean.  Written independently of
    the C version (a list of sorted positions in scoring order)."""
    n = len(pooled)
    order = []                     # sorted positions, in the order scored
    lo, hi = 0, n - 1
    order.append(lo)
    lo += 1
    take_top = True
    while lo <= hi:
        for _ in range(2):
            if lo > hi:
                break
            if take_top:
                order.append(hi)
                hi -= 1
            else:
                order.append(lo)
                lo += 1
        take_top = not take_top
    by_pos = np.empty(n)
    for score, pos in enumerate(order, start=1):
        by_pos[pos] = score
    idx = np.argsort(pooled, kind="stable")
    sorted_vals = np.asarray(pooled)[idx]
    out = np.empty(n)
    for v in np.unique(sorted_vals):
        where = np.nonzero(sorted_vals == v)[0]
        out[idx[where]] = by_pos[where].mean()
    return out


def fmt(vals):
    return " ".join(repr(float(v)) for v in vals)


def two_sample_cases(rng):
    """(x, y, method) tuples: fixed, exact-sized, tied, shifted, large."""
    cases = [
        ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], "auto"),
        ([1.5, 2.5, 0.3], [0.1, 4.2, 3.3, 2.2], "auto"),
        ([1, 2, 2, 3, 3, 3], [2, 3, 4, 4, 5], "auto"),        # ties: normal
        ([5, 5, 5], [5, 5, 5, 5], "asymptotic"),             # all tied
        ([3.0], [1.0, 2.0], "auto"),
        (list(range(20)), list(range(10, 30)), "auto"),
    ]
    for _ in range(30):                                     # small, no ties
        nx, ny = rng.integers(1, 9), rng.integers(1, 12)
        cases.append((rng.normal(size=nx), rng.normal(0.7, 1.5, size=ny), "auto"))
    for _ in range(10):                                     # exact, larger
        nx, ny = rng.integers(9, 30), rng.integers(9, 30)
        cases.append((rng.normal(size=nx), rng.normal(0.5, size=ny), "exact"))
    for _ in range(30):                                     # ties
        nx, ny = rng.integers(3, 60), rng.integers(3, 60)
        cases.append((rng.integers(0, 6, size=nx), rng.integers(1, 7, size=ny), "auto"))
    for _ in range(20):                                     # large, asymptotic
        nx, ny = rng.integers(50, 400), rng.integers(50, 400)
        cases.append((rng.exponential(2.0, size=nx), rng.exponential(2.6, size=ny), "auto"))
    for _ in range(5):                                      # tiny p-values
        n = rng.integers(200, 400)
        cases.append((rng.normal(size=n), rng.normal(2.0, size=n), "auto"))
    for _ in range(10):                                     # spread differs
        n = rng.integers(20, 200)
        cases.append((rng.normal(0, 1, size=n), rng.normal(0, 3, size=n), "auto"))
    return cases


def ad_cases(rng):
    """Lists of samples for anderson_ksamp, k = 2..5."""
    cases = [
        [[1, 2, 3, 3, 5, 8], [2, 4, 4, 9, 11, 12, 13]],
        [[1.0, 2.0], [3.0, 4.0]],
        [[0, 0, 1], [0, 1, 1, 1], [2, 0, 1]],
    ]
    for c in range(80):
        k = rng.integers(2, 6)
        # A third each: H0 true, a small shift (p mostly inside scipy's
        # table, 0.001..0.25), a large one (p far below 0.001).
        shift = (0.0, rng.uniform(0.02, 0.15), rng.uniform(0.5, 1.5))[c % 3]
        ties = rng.random() < 0.4
        s = []
        for i in range(k):
            n = rng.integers(5, 150)
            if ties:
                s.append(np.floor(rng.normal(i * shift, 1, size=n) * 2))
            else:
                s.append(rng.normal(i * shift, 1, size=n))
        cases.append(s)
    return cases


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20140923
    rng = np.random.default_rng(seed)
    rver = subprocess.run(["Rscript", "-e", 'cat(format(packageVersion("kSamples")))'],
                          check=True, capture_output=True, text=True).stdout.strip()
    lines = ["# scipy %s numpy %s kSamples %s seed %d" %
             (scipy.__version__, np.__version__, rver, seed)]

    for x, y, method in two_sample_cases(rng):
        x, y = np.asarray(x, float), np.asarray(y, float)
        r = stats.mannwhitneyu(x, y, method=method)
        head = "%s %d %d %s %s" % (method, len(x), len(y), fmt(x), fmt(y))
        lines.append("mw %s %r %r" % (head, float(r.statistic), float(r.pvalue)))
        sc = siegel_tukey_scores(np.concatenate([x, y]))
        # Exact needs untied scores; tied data go asymptotic either way.
        r = stats.mannwhitneyu(sc[:len(x)], sc[len(x):], method=method)
        lines.append("st %s %r %r" % (head, float(r.statistic), float(r.pvalue)))

    for_r = []                      # every case again, for kSamples
    for s in ad_cases(rng):
        s = [np.asarray(v, float) for v in s]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # "p-value capped"
            r = stats.anderson_ksamp(s)
        head = "%d %s %s" % (len(s), " ".join(str(len(v)) for v in s),
                             " ".join(fmt(v) for v in s))
        lines.append("ad %s %r %r" % (head, float(r.statistic), float(r.significance_level)))
        for_r.append((head, s, float(r.statistic)))

    # R's kSamples, one Rscript run over all cases.  ad.test rounds its
    # table to 5 digits, so the p-value comes from kSamples:::ad.pval (the
    # function ad.test calls) at scipy's full-precision statistic.
    if for_r:
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "in.txt")
            with open(src, "w") as f:
                for _, s, t in for_r:
                    f.write(repr(t) + "|" +
                            ";".join(",".join(repr(float(v)) for v in x) for x in s) + "\n")
            prog = ('suppressMessages(library(kSamples)); options(digits=17);'
                    'for (l in readLines("%s")) {'
                    ' f <- strsplit(l, "|", fixed=TRUE)[[1]];'
                    ' s <- lapply(strsplit(strsplit(f[2], ";")[[1]], ","), as.numeric);'
                    ' a <- ad.test(s, method="asymptotic")$ad;'
                    ' p <- kSamples:::ad.pval(as.numeric(f[1]), length(s) - 1, 2);'
                    ' cat(sprintf("%%.17g %%.17g\\n", a[2, 2], p)) }' % src)
            res = subprocess.run(["Rscript", "-e", prog], check=True,
                                 capture_output=True, text=True).stdout.split("\n")
        for (head, _, _), r in zip(for_r, res):
            t, p = r.split()
            lines.append("adr %s %s %s" % (head, t, p))

    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
