# lag.gp - the distribution of Antfarm's lag.
#   gnuplot -e "lags='a.lag b.lag'; names='a b'; lagcsv='lag.csv' (or ''); out='lag.png'" lag.gp
# Per guest, the lag from a root page emptied of user mappings to the exit
# being confirmed by the next flush (ev exit: tsc - cleared): Antfarm's own
# part of the exit lag.  Where the log has the lag workload's ground truth
# (FORMICA-LAG lines, matched by tools/antfarm/report.awk into lagcsv), also
# fork() -> creation seen and exit() -> exit seen.  The x axis is log10 of
# the lag, so the bins (5 per decade) are boxes of equal width.
set terminal pngcairo size 1000,450 font ",10"
set output out
set title "Antfarm lag distribution"
set xlabel "lag (log scale)"
set ylabel "events per bin"
set grid
set key top right
w = 0.2
bin(x) = x > 0 ? floor(log10(x) / w) * w + w / 2 : NaN
set boxwidth w
set style fill transparent solid 0.35 border
set xtics ("1 us" 0, "10 us" 1, "100 us" 2, "1 ms" 3, "10 ms" 4, "100 ms" 5, "1 s" 6, "10 s" 7)
set datafile separator ","
# The x range: whole decades around every series.
lo = 1e9; hi = -1e9
n = words(lags)
do for [i=1:n] {
	stats word(lags, i) using (log10($1)) nooutput
	lo = STATS_min < lo ? STATS_min : lo; hi = STATS_max > hi ? STATS_max : hi
}
if (lagcsv ne "") {
	do for [k=7:8] {
		stats lagcsv using (log10(column(k))) every ::1 nooutput
		lo = STATS_min < lo ? STATS_min : lo; hi = STATS_max > hi ? STATS_max : hi
	}
}
set xrange [floor(lo):ceil(hi + w)]
set yrange [0:*]
if (lagcsv ne "") {
	plot for [i=1:n] word(lags, i) using (bin($1)):(1) smooth frequency with boxes \
		title sprintf("%s: root emptied -> exit confirmed", word(names, i)), \
	     lagcsv using (bin($7)):(1) every ::1 smooth frequency with boxes title "fork() -> creation seen", \
	     lagcsv using (bin($8)):(1) every ::1 smooth frequency with boxes title "exit() -> exit seen"
} else {
	plot for [i=1:n] word(lags, i) using (bin($1)):(1) smooth frequency with boxes \
		title sprintf("%s: root emptied -> exit confirmed", word(names, i))
}
