# rates.gp - one guest's context switches and VM exits per second.
#   gnuplot -e "sw='G.switches'; ex='G.exits'; pr='G.progress'; nex=N; t0=A; t1=B; name='G'; out='G-rates.png'" rates.gp
# Top: context switches per second (logcsv.awk picks the finest source the
# log has).  Bottom: exits per second by reason between consecutive mark
# lines (nex reasons), or, in a log without two marks, all exits together
# between the hv's 10 s progress lines.  An empty file name: that part
# says the log has no such counts.
# Both share the time axis t0..t1 (the whole log) and the margins.
set terminal pngcairo size 1000,700 font ",10"
set output out
# 12 colours that stay apart (the default cycle repeats after 8).
array c[12] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", \
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"]
do for [i=1:12] { set linetype i lc rgb c[i] lw 1.5 }
set multiplot layout 2,1 title sprintf("%s: context switches and VM exits", name)
set lmargin at screen 0.08
set rmargin at screen 0.72
set grid
set xrange [t0:t1]
set xlabel "time since the hypervisor started (s)"
set key outside right top
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
set ylabel "context switches / s"
if (sw ne "") {
	plot sw using 1:2 with lines lw 2 lc rgb "#4575b4" title "switches"
} else {
	set label 1 "no per-interval switch counts in this log" at graph 0.5, 0.5 center
	set yrange [0:1]
	plot -1 notitle
	unset label 1
	set yrange [0:*]
}
set ylabel "VM exits / s"
if (ex ne "") {
	set title "by reason, between mark lines"
	plot for [i=2:nex+1] ex using 1:i with lines lt (i - 1) title columnheader(i)
} else {
	if (pr ne "") {
		set title "all reasons, between progress lines"
		plot pr using 1:2 with lines lw 2 lc rgb "#d73027" title "all exits"
	} else {
		set label 1 "no exit counts over time in this log" at graph 0.5, 0.5 center
		set yrange [0:1]
		plot -1 notitle
	}
}
unset multiplot
