#!/usr/bin/env bash
# study.sh [--log FILE] [--out DIR] [--bench bochs|qemu] [--guest-seconds S]
#          [--timeout S] [--columns "A B ..."] [--every N]
#
# The homogeneity study of the second seed (issue 14, `make homogeneity`):
# one boot of tools/configs/homogeneity.cfg - Debian's 6.1 kernel twice (the
# same-kernel control), 6.12 and the cloud flavour, side by side, each
# running tools/homogeneity/study-steps.sh and sampled every second - then,
# for every pair of guests and every column, the three tests on the
# absolute series and on its growth.  Writes to DIR (default
# build/homogeneity-study/; build/homogeneity is the tool's binary):
#   serial.log      the whole console
#   csv/GUEST.csv   one row per sample (build/samples2csv)
#   table.csv       pair,column,series,test,statistic,p_value,homogeneous
#   tables.txt      the same in the seed's format (Tables 1.1-1.4), per pair
#   summary.txt     samples per guest and "homogeneous" verdicts per pair
#   pvalues.md      table.csv as one Markdown table, a row per pair and column
#   rounds/, table-rounds.csv, tables-rounds.txt, pvalues-rounds.md
#                   the same per workload round instead of per second
#   plots/          wss_pages and its growth per guest, exits by reason
#
# --log FILE skips the boot and analyses FILE (a whole or a partial log):
# the cheap path, used by the test (tools/homogeneity/tests/study-test.sh).
# --bench qemu boots in QEMU TCG (AMD SVM backend) instead of Bochs (VT-x).
# --guest-seconds S: every guest stops after S s of guest time (max_ms).
# --every N: test only every Nth workload sample (default 1: all).  The
# rank tests assume independent samples; one-second samples of a workload
# that repeats every ~25 s are not, and thinning them is a cheap check of
# how much that matters (the growth series is then per N samples).
set -eu
cd "$(dirname "$0")/../.."
out=build/homogeneity-study log= bench=${HOMOG_BENCH:-qemu} secs=600 timeout=4800 every=1
columns="wss_pages cr3_loads pf_exits cr3_distinct hlt_exits"
while [ $# -gt 0 ]; do
	case $1 in
	--log) log=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	--guest-seconds) secs=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--columns) columns=$2; shift 2 ;;
	--every) every=$2; shift 2 ;;
	*) echo "study.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for t in build/samples2csv build/homogeneity; do
	[ -x $t ] || { echo "study.sh: $t missing (make)" >&2; exit 2; }
done
mkdir -p "$out"

# ---------------------------------------------------------------- the boot
# KITS: guest-file suffix and kernel directory (tools/linux/fetch-kernel.sh).
KITS="61:build/linux 612:build/linux-6.12 cloud:build/linux-cloud"
boot() {
	local files=() k suf dir ver t0 st=0
	for k in $KITS; do
		suf=${k%%:*} dir=${k#*:}
		ver=$(cat $dir/version 2>/dev/null) ||
			{ echo "study.sh: no kernel in $dir (make $dir/vmlinuz)" >&2; exit 2; }
		echo "study: kernel $suf = $ver"
		mkdir -p "$out/esp"
		cp $dir/vmlinuz "$out/esp/vmlinuz-$suf"
		# virtio_blk for the guest's disk: from this kernel's own modules
		MODULES="virtio_pci virtio_blk" KMODDIR=$dir/modules/$ver \
			EXTRA_TREES="build/antfarm/tree build/linux/compile-kit/tree" \
			tools/linux/mkinitramfs.sh "$out/esp/study-$suf.cpio.gz" \
			tools/homogeneity/study-steps.sh 2>"$out/mkinitramfs-$suf.log" ||
			{ cat "$out/mkinitramfs-$suf.log" >&2; exit 2; }
		files+=("$out/esp/vmlinuz-$suf" "$out/esp/study-$suf.cpio.gz")
	done
	sed "s/^max_ms = .*/max_ms = $((secs * 1000))/" tools/configs/homogeneity.cfg >"$out/formica.cfg"
	tools/mkesp.sh "$out/esp.img" "$out/formica.cfg" build/formica.efi build/hv.bin "${files[@]}"
	[ -f "$out/data.img" ] || python3 tools/storage/disktool.py mkdata "$out/data.img" 64512
	echo "study: $bench, every guest for $secs s of guest time (timeout $timeout s wall)"
	t0=$SECONDS
	if [ "$bench" = qemu ]; then
		# the data disk on the second port of q35's built-in AHCI
		nice -n 5 tools/qemu-run.sh --esp "$out/esp.img" --log "$out/serial.log" \
			--timeout "$timeout" -- -m 1536 \
			-drive if=none,id=data,format=raw,file="$out/data.img" \
			-device ide-hd,drive=data,bus=ide.1 >"$out/qemu-run.out" || st=$?
	else
		nice -n 5 tools/bochs-run.sh --esp "$out/esp.img" --data "$out/data.img" \
			--log "$out/serial.log" --megs 1536 --timeout "$timeout" || st=$?
	fi
	echo "study: $bench ran $((SECONDS - t0)) s wall (status $st)"
	log=$out/serial.log
}
[ -n "$log" ] || boot

# ---------------------------------------------------------------- analysis
[ -s "$log" ] || { echo "study.sh: no log $log" >&2; exit 1; }
rm -rf "$out/csv" "$out/workload" "$out/plots"
build/samples2csv "$log" "$out/csv"
# The guests in formica.cfg's order: the order the hv loads them ("guest
# NAME: ..." lines), then any other guest in the order it was sampled.
guests=()
for g in $(tr -d '\r' <"$log" | sed -n -e 's/^\[[ 0-9.]*\] guest \([A-Za-z0-9_-]*\): .*/\1/p' \
		-e 's/^\[[ 0-9.]*\] sample guest=\([A-Za-z0-9_-]*\) .*/\1/p' | awk '!seen[$0]++'); do
	[ -f "$out/csv/$g.csv" ] && guests+=("$g")
done
[ ${#guests[@]} -gt 0 ] || { echo "study.sh: no sample lines in $log" >&2; exit 1; }
# Only the workload is compared, not the boot (which takes the kernels
# very different times): workload/GUEST.csv keeps the samples whose
# interval began after the guest's "FORMICA-HOM: start" line (hv time,
# which is a little ahead of the guest's t_ms: the cut errs late).  A guest
# that never got there is left out, and said so.
mkdir -p "$out/workload"
tested=()
{
	echo "samples per guest (log $log):"
	for g in "${guests[@]}"; do
		all=$(($(wc -l <"$out/csv/$g.csv") - 1))
		start=$(tr -d '\r' <"$log" | grep -a -m1 "\[$g\] FORMICA-HOM: start" |
			sed 's/^\[ *\([0-9.]*\)\].*/\1/')
		rounds=$(tr -d '\r' <"$log" | grep -ac "\[$g\] FORMICA-HOM: round=" || true)
		if [ -z "$start" ]; then
			echo "  $g: $all samples, never started its workload: left out"
			continue
		fi
		awk -F, -v start="$start" -v every="$every" 'NR == 1 { print; next }
			prev / 1000 >= start + 0 && k++ % every == 0 { print } { prev = $1 }' \
			"$out/csv/$g.csv" >"$out/workload/$g.csv"
		n=$(($(wc -l <"$out/workload/$g.csv") - 1))
		echo "  $g: $all samples, workload from ${start%.*} s: $n samples tested (every $every), $rounds rounds done"
	done
} | tee "$out/summary.txt"
# (the loop above ran in a pipe: read its verdicts back)
for g in "${guests[@]}"; do
	[ -f "$out/workload/$g.csv" ] && [ "$(wc -l <"$out/workload/$g.csv")" -ge 3 ] && tested+=("$g")
done
guests=("${tested[@]}")
[ ${#guests[@]} -ge 2 ] || { echo "study.sh: fewer than two guests ran their workload" >&2; exit 1; }

# test_pairs DIR TABLE TEXT COLUMN...: every pair of guests (formica.cfg's
# order), every column both have, into TABLE (CSV) and TEXT (the seed's
# tables).
test_pairs() {
	local dir=$1 table=$2 text=$3 i j a b c
	shift 3
	echo "pair,column,series,test,statistic,p_value,homogeneous" >"$table"
	: >"$text"
	for ((i = 0; i < ${#guests[@]}; i++)); do
		for ((j = i + 1; j < ${#guests[@]}; j++)); do
			a=${guests[i]} b=${guests[j]}
			for c in "$@"; do
				# a column some guest lacks (no such exit at all) is skipped
				head -1 "$dir/$a.csv" | tr , '\n' | grep -qx "$c" &&
					head -1 "$dir/$b.csv" | tr , '\n' | grep -qx "$c" || continue
				build/homogeneity --csv --column "$c" "$dir/$a.csv" "$dir/$b.csv" |
					tail -n +2 | sed "s/^/$a|$b,/" >>"$table"
				build/homogeneity --column "$c" "$dir/$a.csv" "$dir/$b.csv" >>"$text"
				echo >>"$text"
			done
		done
	done
}
test_pairs "$out/workload" "$out/table.csv" "$out/tables.txt" $columns

# Per unit of work instead of per second: rounds/GUEST.csv has a row per
# workload round (the guest's FORMICA-HOM round line): its guest time and
# phase times (centiseconds, from the guest), and the counters of the
# samples whose t_ms falls in the round (so to within a sample at either
# end).  Where the host, not the kernel, sets how much happens in a second
# (an emulator shared by four guests), per-second samples compare the
# host's pace; per-round ones compare what the kernel does for one round.
mkdir -p "$out/rounds"
for g in "${guests[@]}"; do
	tr -d '\r' <"$log" | awk -v g="$g" -v csv="$out/csv/$g.csv" '
	BEGIN {
		getline hdr <csv; nh = split(hdr, h, ",")
		for (i = 1; i <= nh; i++) col[h[i]] = i
		while ((getline line <csv) > 0) {
			split(line, f, ","); ns++; t[ns] = f[col["t_ms"]] / 1000
			pf[ns] = f[col["pf_exits"]]; cr[ns] = f[col["cr3_loads"]]
			hl[ns] = f[col["hlt_exits"]]; nw[ns] = f[col["wss_new"]]
			ws[ns] = f[col["wss_pages"]]
		}
		print "t_ms,round,cs,idle,busy,switch,fork,mem,file,disk,compile,pf_exits,cr3_loads,hlt_exits,wss_new,wss_max"
	}
	index($0, "[" g "] FORMICA-HOM: ") {
		ts = $0; sub(/^\[ */, "", ts); ts += 0
		if ($0 ~ /FORMICA-HOM: start/) { from = ts; next }
		if ($0 !~ /FORMICA-HOM: round=/ || from == "") next
		delete kv
		for (i = 1; i <= NF; i++) if (split($i, p, "=") == 2) kv[p[1]] = p[2]
		spf = scr = shl = snw = wmax = 0
		for (k = 1; k <= ns; k++)
			if (t[k] > from && t[k] <= ts) {
				spf += pf[k]; scr += cr[k]; shl += hl[k]; snw += nw[k]
				if (ws[k] > wmax) wmax = ws[k]
			}
		printf "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", ts * 1000, kv["round"],
			kv["cs"], kv["idle"], kv["busy"], kv["switch"], kv["fork"], kv["mem"],
			kv["file"], kv["disk"], kv["compile"], spf, scr, shl, snw, wmax
		from = ts
	}' >"$out/rounds/$g.csv"
done
test_pairs "$out/rounds" "$out/table-rounds.csv" "$out/tables-rounds.txt" \
	cs fork pf_exits cr3_loads wss_max

# Headline: per pair, how many of its tests said "homogeneous".
echo "homogeneous (p > 0.05) per pair, of the tests run:" | tee -a "$out/summary.txt"
headline() {
	awk -F, 'NR > 1 && $7 != "n/a" { n[$1]++; if ($7 == "yes") y[$1]++ }
		END { for (p in n) printf "  %-18s %3d of %3d\n", p, y[p], n[p] }' "$1" | sort
}
headline "$out/table.csv" | tee -a "$out/summary.txt"
echo "per round ($(($(wc -l <"$out/rounds/${guests[0]}.csv") - 1)) rounds of ${guests[0]}): homogeneous per pair" |
	tee -a "$out/summary.txt"
headline "$out/table-rounds.csv" | tee -a "$out/summary.txt"

# The same as one Markdown table (README.md shows it): a row per pair and
# column, the six p-values; "no" (p <= 0.05) in bold; Anderson-Darling's
# table bounds as "< 0.001" and "> 0.25".
markdown() {   # TABLE.csv > TABLE.md
	awk -F, 'NR == 1 { next }
	{ key = $1 "," $2; if (!(key in row)) order[++n] = key
	  p = $6
	  if ($4 == "anderson-darling" && p == 0.25) p = "> 0.25"
	  if ($4 == "anderson-darling" && p == 0.001) p = "< 0.001"
	  if ($7 == "no") p = "**" p "**"
	  row[key] = row[key] " | " p }
	END { print "| pair | column | abs. Wilcoxon | abs. Siegel-Tukey | abs. Anderson-Darling | growth Wilcoxon | growth Siegel-Tukey | growth Anderson-Darling |"
	      print "|---|---|---|---|---|---|---|---|"
	      for (i = 1; i <= n; i++) {
		split(order[i], k, ","); sub(/\|/, " vs ", k[1])
		printf "| %s | %s%s |\n", k[1], k[2], row[order[i]] } }' \
	"$1"
}
markdown "$out/table.csv" >"$out/pvalues.md"
markdown "$out/table-rounds.csv" >"$out/pvalues-rounds.md"

if command -v gnuplot >/dev/null; then
	csvs=("${guests[@]/#/$out/workload/}"); csvs=("${csvs[@]/%/.csv}")
	tools/homogeneity/homog-plot.sh "$out/plots" "${csvs[@]}" >/dev/null
	tools/homogeneity/homog-plot.sh --column cr3_loads "$out/plots" "${csvs[@]}" >/dev/null
	echo "study: plots in $out/plots"
fi
echo "study: $out/table.csv ($(($(wc -l <"$out/table.csv") - 1)) rows), $out/tables.txt"
