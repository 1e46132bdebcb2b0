#!/usr/bin/python3
"""cli_expected.py COLUMN FILE.csv... [-- COLUMN FILE.csv...]...
- what `homogeneity --csv` must print, for each job.

Used by test_homog_tools.c: the same files through scipy 1.10, printed in
the tool's --csv format (README.md), so the test can hold the C tool's
wiring (column choice, growth series, pairs, alpha 0.05 decisions) against
scipy.  Siegel-Tukey scores come from scipy_expected.py.  Jobs separated
by "--" print one after the other, an empty line between: a test runs all
its comparisons in one go, since importing scipy is most of a run's time."""
import csv
import itertools
import os
import sys
import warnings

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scipy_expected import siegel_tukey_scores  # noqa: E402

ALPHA = 0.05


def main():
    jobs = [[]]
    for arg in sys.argv[1:]:
        if arg == "--":
            jobs.append([])
        else:
            jobs[-1].append(arg)
    for n, job in enumerate(jobs):
        if n:
            print()
        expected(job[0], job[1:])


def expected(col, files):
    names = [os.path.basename(f)[:-4] for f in files]
    data = []
    for f in files:
        with open(f) as fh:
            data.append(np.array([float(r[col]) for r in csv.DictReader(fh)]))
    k = len(files)
    print(("pair," if k > 2 else "") + "column,series,test,statistic,p_value,homogeneous")
    for series in ("absolute", "growth"):
        xs = data if series == "absolute" else [np.diff(d) for d in data]
        rows = []
        for test in ("wilcoxon", "siegel-tukey"):
            for i, j in itertools.combinations(range(k), 2):
                x, y = xs[i], xs[j]
                if test == "siegel-tukey":
                    s = siegel_tukey_scores(np.concatenate([x, y]))
                    x, y = s[:len(x)], s[len(x):]
                r = stats.mannwhitneyu(x, y)
                rows.append(("%s|%s" % (names[i], names[j]), test, r.statistic, r.pvalue,
                             r.pvalue > ALPHA))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = stats.anderson_ksamp(xs)
        p = r.significance_level
        rows.append(("|".join(names), "anderson-darling", r.statistic, p,
                     p == 0.25 or (p > ALPHA and p != 0.001)))
        for pair, test, st, p, yes in rows:
            print("%s%s,%s,%s,%.10g,%.6g,%s" % (pair + "," if k > 2 else "", col, series,
                                               test, st, p, "yes" if yes else "no"))


if __name__ == "__main__":
    main()
