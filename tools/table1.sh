#!/usr/bin/env bash
# table1.sh [--steps FILE] [--out DIR] [--timeout S] [--cfg FILE] [--kernel DIR]
#
# Reproduce Antfarm's Table 1 (and its lag figure and overhead numbers) on
# our Linux guest: build an initramfs holding tools/antfarm's afwork (the
# workloads and the tracefs ground truth) and the compile kit, boot it under
# formica in Bochs, and turn the serial log into the table
# (tools/antfarm/report.awk).  Writes to DIR (default build/table1):
#   serial.log   the whole console: hv lines, Antfarm events, guest output
#   table1.csv   the table, with the paper's Linux 2.6 numbers beside ours
#   lag.csv      one row per fork of the lag runs
#   report.txt   what this script printed
# The steps file decides what runs (default tools/antfarm/table1-steps.sh;
# make bench uses tools/antfarm/bench-steps.sh: lag and overhead only).
# The kernel is DIR/vmlinuz, a directory tools/linux/fetch-kernel.sh filled
# (default $FORMICA_KERNEL, else build/linux: Debian's stock kernel).
# TABLE1_BENCH=qemu boots in QEMU TCG instead (-cpu max: AMD SVM, hv/svm/).
set -eu
cd "$(dirname "$0")/.."
steps=tools/antfarm/table1-steps.sh out=build/table1 timeout=7200 cfg=tools/configs/table1.cfg
kernel=${FORMICA_KERNEL:-build/linux}
while [ $# -gt 0 ]; do
	case $1 in
	--steps) steps=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--cfg) cfg=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	*) echo "table1.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
AFWORK_TREE=build/antfarm/tree
COMPILE_KIT=build/linux/compile-kit/tree
for d in $AFWORK_TREE $COMPILE_KIT; do
	[ -d $d ] || { echo "table1.sh: $d missing (make table1 builds it)" >&2; exit 2; }
done
[ -s "$kernel/vmlinuz" ] && [ -s "$kernel/version" ] ||
	{ echo "table1.sh: no kernel in $kernel (tools/linux/fetch-kernel.sh $kernel)" >&2; exit 2; }
echo "table1: kernel $(cat "$kernel/version") ($kernel/vmlinuz)"
EXTRA_TREES="$AFWORK_TREE $COMPILE_KIT" tools/linux/mkinitramfs.sh "$out/table1.cpio.gz" "$steps"
tools/mkesp.sh "$out/esp.img" "$cfg" build/formica.efi build/hv.bin "$kernel/vmlinuz" \
	"$out/table1.cpio.gz"
t0=$SECONDS
st=0
if [ "${TABLE1_BENCH:-bochs}" = qemu ]; then
	tools/qemu-run.sh --esp "$out/esp.img" --log "$out/serial.log" --timeout "$timeout" \
		> "$out/qemu-run.out" || st=$?
else
	tools/bochs-run.sh --esp "$out/esp.img" --log "$out/serial.log" --megs 1024 --timeout "$timeout" || st=$?
fi
echo "table1: ${TABLE1_BENCH:-bochs} ran $((SECONDS - t0)) s wall (status $st)"
grep -a "FORMICA-T1-ERROR\|FORMICA-INIT: done" "$out/serial.log" || true
awk -v csv="$out/table1.csv" -v lagcsv="$out/lag.csv" -f tools/antfarm/report.awk "$out/serial.log" |
	tee "$out/report.txt"
[ $st -eq 0 ] && grep -aq "FORMICA-INIT: done .*status=ok" "$out/serial.log"
