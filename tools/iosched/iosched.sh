#!/usr/bin/env bash
# iosched.sh - `make iosched`: the Antfarm paper's VMM-level scheduling case
# study (issue 11, "The experiment") measured on Formica in Bochs.
#
# Two Linux guests (tools/configs/iosched.cfg), each with a 256 MiB
# /dev/vda on the data disk, `disk_model = hdd7200`.  In each, processes
# read their own region sequentially, 64 KiB at a time with O_DIRECT,
# bracketed by marks (tools/linux/workloads/iosched-read.sh): case 1x2 (one
# guest, two processes), 2x1, 2x2, one after the other in the same boot.
# One boot per policy: fcfs, deadline, anticipatory keyed by process,
# anticipatory keyed by guest (`iosched_key = guest`: what a VMM without
# process inference can do).  Each boot's console becomes CSV rows
# (iosched_csv.py, which also asks tools/schedsim what the model predicts
# for the same case and the measured think time):
#
#   build/iosched/iosched.csv   case,policy,key,mb_per_s,mean_think_us,
#                               antic_waits,antic_hits,antic_timeouts,model_mb_per_s
#   build/iosched/iosched.png   bars: measured and model MB/s per case and policy
#   build/iosched/RUN.log       each boot's console (RUN = policy-key)
#
# The kernel is Debian's 6.12 (build/linux-6.12, or FORMICA_KERNEL): its
# zstd payload unpacks in 34 s of hv time where 6.1's XZ one takes 184 s
# (two guests, Bochs), which is most of a boot.
#
# Options: --runs fcfs-process,deadline-process,anticipatory-process,
# anticipatory-guest (which boots; default all four), --cases 1x2,2x1,2x2,
# --mib N (MiB each process reads; default 8), --kib N (request size;
# default 64), --at S (guest uptime at which the first case starts;
# default 100: boot and module loading must be done by then in both guests,
# and were at 54-78 s with 6.12, 43 s with 6.1), --slot S (guest seconds per
# case; default 30), --timeout S (Bochs wall seconds per boot, default
# 3600), --parse-only (rebuild the CSV from the logs already there),
# --bench bochs|qemu (or IOSCHED_BENCH; default bochs: VT-x, the data disk
# on IDE; qemu: QEMU TCG with AMD SVM, the data disk on q35's AHCI,
# through tools/qemu-run.sh --data).
set -u
cd "$(dirname "$0")/../.."
B=build/iosched
K=${FORMICA_KERNEL:-build/linux-6.12}
runs=fcfs-process,deadline-process,anticipatory-process,anticipatory-guest
cases=1x2,2x1,2x2 mib=8 kib=64 at=100 slot=30 timeout=3600 parse_only=0
bench=${IOSCHED_BENCH:-bochs}
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--cases) cases=$2; shift 2 ;;
	--mib) mib=$2; shift 2 ;;
	--kib) kib=$2; shift 2 ;;
	--at) at=$2; shift 2 ;;
	--slot) slot=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--parse-only) parse_only=1; shift ;;
	--bench) bench=$2; shift 2 ;;
	*) echo "iosched: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p $B
KVER=$(cat $K/version 2>/dev/null)
initrd=$B/iosched.cpio.gz

if [ $parse_only = 0 ]; then
	MODULES="virtio_pci virtio_blk" KMODDIR=$K/modules/$KVER tools/linux/mkinitramfs.sh $initrd \
		tools/linux/workloads/iosched-read.sh 2>$B/mkinitramfs.log ||
		{ cat $B/mkinitramfs.log; exit 1; }
	# The data disk: sparse, whole 16x63 cylinders, past the last extent.
	# The workload only reads it, so holes (zeros) are as good as data.
	data=$B/data.img
	last=$(python3 tools/storage/disktool.py extents tools/configs/iosched.cfg |
		awk -F+ '{ e = $1 + $2; if (e > m) m = e } END { print m }')
	rm -f $data
	truncate -s $(( (last + 1007) / 1008 * 516096 )) $data
fi

for run in ${runs//,/ }; do
	policy=${run%-*} key=${run#*-}
	cfg=$B/$run.cfg log=$B/$run.log
	sed -e "s/^iosched = .*/iosched = $policy/" -e "s/^iosched_key = .*/iosched_key = $key/" \
		-e "s/formica\.io_cases=[^ ]*/formica.io_cases=$cases/" \
		-e "s/formica\.io_mib=[^ ]*/formica.io_mib=$mib/" \
		-e "s/formica\.io_kib=[^ ]*/formica.io_kib=$kib/" \
		-e "s/formica\.io_at=[^ ]*/formica.io_at=$at/" \
		-e "s/formica\.io_slot=[^ ]*/formica.io_slot=$slot/" tools/configs/iosched.cfg >$cfg
	[ $parse_only = 1 ] && continue
	tools/mkesp.sh $B/esp.img $cfg build/formica.efi build/hv.bin $K/vmlinuz $initrd || exit 1
	t0=$SECONDS
	echo "iosched: $run: booting kernel $KVER in $bench (cases $cases, $mib MiB per process, $kib KiB reads)"
	if [ "$bench" = qemu ]; then
		tools/qemu-run.sh --esp $B/esp.img --data $data --log $log --timeout "$timeout" \
			>$B/$run.out 2>&1
	else
		tools/storage/bochs-storage.sh --esp $B/esp.img --data $data --log $log --megs 1536 \
			--timeout "$timeout" >$B/$run.out 2>&1
	fi
	echo "iosched: $run: $(tail -1 $B/$run.out) ($((SECONDS - t0)) s wall)"
done

make --no-print-directory -s build/schedsim/schedsim || exit 1
csv=$B/iosched.csv
echo "case,policy,key,mb_per_s,mean_think_us,antic_waits,antic_hits,antic_timeouts,model_mb_per_s" >$csv
for run in ${runs//,/ }; do
	[ -s $B/$run.log ] || { echo "iosched: no log for $run" >&2; continue; }
	python3 tools/iosched/iosched_csv.py $B/$run.log $B/$run.cfg "${run%-*}" "${run#*-}" \
		"$cases" build/schedsim/schedsim >>$csv
done
# The table, grouped by case, and the chart's data: one row per case.
awk -F, 'NR > 1 { print }' $csv | sort -t, -k1,1 -s |
	awk -F, 'BEGIN { printf "  %-5s %-13s %-8s %9s %9s %7s %7s %8s %9s\n", "case", "policy",
		"key", "MB/s", "think_us", "waits", "hits", "timeouts", "model" }
	{ printf "  %-5s %-13s %-8s %9s %9s %7s %7s %8s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
awk -F, 'NR > 1 { v[$1 "," $2 "-" $3] = $4; m[$1 "," $2 "-" $3] = $9; if (!($1 in seen)) { seen[$1]; c[n++] = $1 } }
	END { split("fcfs-process deadline-process anticipatory-process anticipatory-guest", r, " ")
		for (i = 0; i < n; i++) {
			line = c[i]
			for (j = 1; j <= 4; j++) line = line " " (v[c[i] "," r[j]] == "" ? "?" : v[c[i] "," r[j]])
			for (j = 1; j <= 4; j++) line = line " " (m[c[i] "," r[j]] == "" ? "?" : m[c[i] "," r[j]])
			print line
		} }' $csv >$B/iosched.dat
gnuplot -e "dat='$B/iosched.dat'; png='$B/iosched.png'" tools/iosched/iosched.gp &&
	echo "iosched: $csv, $B/iosched.png"
