#!/usr/bin/env bash
# logplot.sh LOG [DIR] - pictures and CSV tables of what a Formica run did.
#
# Reads a console log (make run's build/run-serial.log, or any serial log)
# and writes into DIR (default: the log's directory):
#   events.csv, marks.csv, exits.csv   the log's event lines as tables
#                                      (tools/logplot/logcsv.awk says which)
#   G-processes.png   per guest: live processes over time, with each
#                     creation and exit Antfarm inferred
#   G-rates.png       per guest: context switches and VM exits (by reason
#                     where the log has mark lines) per second
#   lag.png           the distribution of Antfarm's lag (all guests)
# and prints the path of every picture.  Plots with gnuplot (Debian:
# gnuplot-nox); the tables need only awk.
set -eu
log=$1 dir=${2:-$(dirname "$1")}
tools=$(dirname "$0")
here=$tools/logplot
[ -r "$log" ] || { echo "logplot: cannot read $log" >&2; exit 2; }
mkdir -p "$dir/plot"
# A previous run's pictures would pass for this one's (other guests' names).
rm -f "$dir"/plot/* "$dir"/*-processes.png "$dir"/*-rates.png "$dir/lag.png"
awk -v out="$dir" -f "$here/logcsv.awk" "$log"
echo "logplot: tables $dir/events.csv $dir/marks.csv $dir/exits.csv"
if ! command -v gnuplot >/dev/null; then
	echo "logplot: no gnuplot (apt-get install gnuplot-nox): no pictures" >&2
	exit 1
fi
nonempty() { [ -s "$1" ] && echo "$1" || echo ""; }
read -r t0 t1 < "$dir/plot/span" || { echo "logplot: no time-stamped lines in $log" >&2; exit 1; }
lags=() names=()
while read -r g; do
	f=$dir/plot/$(printf '%s' "$g" | tr -c 'A-Za-z0-9_.-' _)
	base=${f##*/}
	if [ -s "$f.procs" ]; then
		gnuplot -e "procs='$f.procs'; t0=$t0; t1=$t1; name='$g'; out='$dir/$base-processes.png'" "$here/processes.gp"
		echo "logplot: $dir/$base-processes.png"
	fi
	sw=$(nonempty "$f.switches") ex=$(nonempty "$f.exits") pr=$(nonempty "$f.progress")
	if [ -n "$sw$ex$pr" ]; then
		nex=0
		[ -n "$ex" ] && nex=$(( $(head -1 "$ex" | awk -F'\t' '{ print NF }') - 1 ))
		gnuplot -e "sw='$sw'; ex='$ex'; pr='$pr'; nex=$nex; t0=$t0; t1=$t1; name='$g'; out='$dir/$base-rates.png'" \
			"$here/rates.gp"
		echo "logplot: $dir/$base-rates.png"
	fi
	if [ -s "$f.lag" ]; then lags+=("$f.lag"); names+=("$base"); fi
done < "$dir/plot/guests.txt"
# The lag workload's ground truth, matched to the events by report.awk.
lagcsv=
if grep -aq 'FORMICA-LAG:' "$log"; then
	awk -v lagcsv="$dir/plot/truth-lag.csv" -f "$tools/antfarm/report.awk" "$log" >/dev/null
	[ "$(wc -l < "$dir/plot/truth-lag.csv")" -gt 1 ] && lagcsv=$dir/plot/truth-lag.csv
fi
if [ ${#lags[@]} -gt 0 ] || [ -n "$lagcsv" ]; then
	gnuplot -e "lags='${lags[*]}'; names='${names[*]}'; lagcsv='$lagcsv'; out='$dir/lag.png'" "$here/lag.gp"
	echo "logplot: $dir/lag.png"
fi
