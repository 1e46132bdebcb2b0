#!/usr/bin/env bash
# homog-plot.sh [--column NAME] OUTDIR FILE.csv... - the seed's figures, as PNG.
#
# From samples2csv's per-guest tables (README.md) draws, with gnuplot:
#   OUTDIR/NAME.png         NAME (default wss_pages) over time, one line per
#                           guest (the seed's Figures 1 and 3)
#   OUTDIR/NAME-growth.png  its change per interval (Figures 2 and 4)
#   OUTDIR/exits-GUEST.png  exits by reason per interval, one line per
#                           exit_* column, one file per guest
# The guest is the file's name without .csv; time is t_ms in seconds.
# awk picks the columns by name, so new columns need no change here.
set -eu
col=wss_pages
if [ "${1:-}" = --column ]; then col=$2; shift 2; fi
[ $# -ge 2 ] || { echo "usage: homog-plot.sh [--column NAME] OUTDIR FILE.csv..." >&2; exit 2; }
out=$1; shift
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# extract FILE COLUMN... > DAT: t (s) and the named columns, space separated;
# a column missing from the header fails, an empty cell becomes NaN.
extract() {
	local f=$1; shift
	awk -F, -v want="$*" '
	NR == 1 {
		n = split(want, w, " ")
		for (i = 1; i <= NF; i++) at[$i] = i
		if (!("t_ms" in at)) { print FILENAME ": no t_ms column" > "/dev/stderr"; exit 1 }
		for (j = 1; j <= n; j++)
			if (!(w[j] in at)) { print FILENAME ": no column " w[j] > "/dev/stderr"; exit 1 }
		next
	}
	{
		line = $at["t_ms"] / 1000
		for (j = 1; j <= n; j++) line = line " " ($at[w[j]] == "" ? "NaN" : $at[w[j]])
		print line
	}' "$f"
}

# HOMOG_PLOT_SIZE=W,H: the picture's size in pixels (default 1100,650)
term="set terminal pngcairo size ${HOMOG_PLOT_SIZE:-1100,650} noenhanced font ',10'"
series=() growth=()
for f in "$@"; do
	g=$(basename "$f" .csv)
	extract "$f" "$col" > "$tmp/$g.dat"
	# growth per interval: the difference of consecutive samples
	awk 'NR > 1 { print $1, $2 - prev } { prev = $2 }' "$tmp/$g.dat" > "$tmp/$g.growth"
	series+=("'$tmp/$g.dat' using 1:2 with lines title '$g'")
	growth+=("'$tmp/$g.growth' using 1:2 with lines title '$g'")

	exits=$(head -1 "$f" | tr , '\n' | grep '^exit_' | tr '\n' ' ' || true)
	if [ -n "$exits" ]; then
		extract "$f" $exits > "$tmp/$g.exits"
		plots=() i=2
		for e in $exits; do
			plots+=("'$tmp/$g.exits' using 1:$i with lines title '${e#exit_}'")
			i=$((i + 1))
		done
		gnuplot <<-EOF
		$term
		set output '$out/exits-$g.png'
		set title 'exits by reason per interval: $g'
		set xlabel 'guest time (s)'; set ylabel 'exits per interval'
		set key outside right; set grid
		plot $(IFS=,; echo "${plots[*]}")
		EOF
	fi
done

gnuplot <<EOF
$term
set xlabel 'guest time (s)'; set key outside right; set grid
set output '$out/$col.png'
set title '$col over time'; set ylabel '$col'
plot $(IFS=,; echo "${series[*]}")
set output '$out/$col-growth.png'
set title '$col: growth per interval (first difference)'; set ylabel 'change per interval'
plot $(IFS=,; echo "${growth[*]}")
EOF
ls "$out"/*.png
