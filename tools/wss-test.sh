#!/usr/bin/env bash
# wss-test.sh - the sampler's working-set estimators against guests whose
# working set is known (issue 14; part of make test, a few minutes of Bochs).
#
# Boots tools/configs/wss-test.cfg: guests wss_1k, wss_10k, wss_50k
# (guest-tests/wss.inc) each read exactly K pages (+3: code and stack) per
# sample interval.  From the hv's `sample` lines (build/samples2csv), for
# every interval that began after the guest printed "wss: warm":
#   (a) accessed-bit harvesting: wss_pages within 5% of K, and wss_new <= 3
#       once the interval before was after warm-up too (the set is steady);
#   (b) the sampling estimator: its stated interval [wss_est_lo,
#       wss_est_hi] (z = 3, hv/stats/wss.h) holds the true size, K..K+3.
# At least 3 such intervals per guest.  Prints PASS/FAIL lines.
# WSS_TEST_EMU=qemu runs it in QEMU's TCG on the SVM backend (seconds).
set -u
cd "$(dirname "$0")/.."
out=build/wss-test
mkdir -p $out
fails=0
pass() { echo "PASS wss $1"; }
fail() { echo "FAIL wss $1: $2"; fails=$((fails + 1)); }

make --no-print-directory -s all >/dev/null || { fail build "make all failed"; exit 1; }
tools/mkesp.sh $out/esp.img tools/configs/wss-test.cfg build/formica.efi build/hv.bin \
	build/guest-tests/wss_1k.bin build/guest-tests/wss_10k.bin build/guest-tests/wss_50k.bin
t0=$SECONDS
# WSS_TEST_EMU=qemu: QEMU's TCG instead, which emulates AMD SVM (hv/svm/)
if [ "${WSS_TEST_EMU:-bochs}" = qemu ]; then
	nice -n 5 tools/qemu-run.sh --esp $out/esp.img --log $out/serial.log \
		--timeout "${WSS_TEST_TIMEOUT:-1200}" >/dev/null
else
	nice -n 5 tools/bochs-run.sh --esp $out/esp.img --log $out/serial.log --megs 1024 \
		--timeout "${WSS_TEST_TIMEOUT:-1200}"
fi
st=$?
echo "wss-test: ${WSS_TEST_EMU:-bochs} took $((SECONDS - t0)) s wall; log in $out/serial.log"
[ $st -eq 0 ] && pass boot || fail boot "no clean end (status $st)"
rm -rf $out/csv
build/samples2csv $out/serial.log $out/csv || fail samples2csv "could not read the sample lines"

interval=$(sed -n 's/^sample_ms *= *//p' tools/configs/wss-test.cfg)
for g in 1k:1000 10k:10000 50k:50000; do
	name=wss_${g%%:*} K=${g##*:}
	warm=$(tr -d '\r' <$out/serial.log | grep -a -m1 "\[$name\] wss: warm" |
		sed 's/^\[ *\([0-9.]*\)\].*/\1/')
	csv=$out/csv/$name.csv
	[ -n "$warm" ] && [ -f "$csv" ] || { fail "$name" "no warm line or no samples"; continue; }
	# columns by name; rows of whole intervals after the warm line
	res=$(awk -F, -v K=$K -v warm="$warm" -v iv=$interval '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		($(c["t_ms"]) - iv) / 1000 < warm + 0 { next }
		{
			n++; w = $(c["wss_pages"]); new = $(c["wss_new"])
			lo = $(c["wss_est_lo"]); hi = $(c["wss_est_hi"])
			# wss_new: once the interval before was whole after warm-up too
			steady = ($(c["t_ms"]) - 2 * iv) / 1000 >= warm + 0
			if (w < 0.95 * K || w > 1.05 * K || (steady && new > 3)) bad_a++
			if (lo > K + 3 || hi < K) bad_b++
			worst = (w - K > worst) ? w - K : worst
			line = line sprintf(" t=%d:%d/%d[%d,%d]", $(c["t_ms"]), w, $(c["wss_est_pages"]), lo, hi)
		}
		END { printf "%d %d %d%s\n", n, bad_a, bad_b, line }' "$csv")
	set -- $res
	n=$1 bad_a=$2 bad_b=$3; shift 3
	echo "wss-test: $name K=$K intervals after warm-up (t_ms:harvest/estimate[interval]):$*"
	if [ "$n" -lt 3 ]; then
		fail "$name" "only $n whole intervals after warm-up"
		continue
	fi
	[ "$bad_a" -eq 0 ] && pass "$name harvest within 5% of K=$K in $n intervals" ||
		fail "$name harvest" "$bad_a of $n intervals off by more than 5% of K=$K (or wss_new > 3)"
	[ "$bad_b" -eq 0 ] && pass "$name sampling interval holds K=$K in $n intervals" ||
		fail "$name sampling" "$bad_b of $n intervals do not hold K=$K"
done
[ $fails -eq 0 ]
