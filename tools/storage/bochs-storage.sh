#!/usr/bin/env bash
# bochs-storage.sh --esp IMG --data IMG --log FILE [--timeout S] [--marker REGEX]
#
# tools/bochs-run.sh with a second disk: boots formica in Bochs with the
# ESP as ata0-master and the data disk as ata0-slave (both flat images, a
# whole number of 16x63 cylinders).  Uses the same Bochs setup as
# bochs-run.sh (tools/linux/bochs-lib.sh).  Exit status: 0 marker seen,
# 124 timeout, 3 Bochs died first.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/linux/bochs-lib.sh"

esp= data= log= timeout=900 marker='formica: (powering off|stopped)' megs=512
while [ $# -gt 0 ]; do
	case $1 in
	--esp) esp=$2; shift 2 ;;
	--data) data=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--marker) marker=$2; shift 2 ;;
	--megs) megs=$2; shift 2 ;;
	*) echo "bochs-storage: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$esp" ] && [ -n "$data" ] && [ -n "$log" ] ||
	{ echo "usage: $0 --esp IMG --data IMG --log FILE" >&2; exit 2; }
dir=$(dirname "$log")
mkdir -p "$dir"
: >"$log"
rc="$log.bochsrc"
bochs_write_rc "$rc" "$(realpath "$esp")" "$(realpath "$log")" "$megs" "$log.bochs.log" || exit 2
size=$(stat -c %s "$data")
[ $((size % 516096)) = 0 ] || { echo "bochs-storage: $data is not a whole number of 16x63 cylinders" >&2; exit 2; }
echo "ata0-slave: type=disk, path=\"$(realpath "$data")\", mode=flat, cylinders=$((size / 516096)), heads=16, spt=63" >>"$rc"
BOCHS_WAIT_OTHERS=${BOCHS_WAIT_OTHERS:-600} bochs_start "$rc" "$dir" || exit 2
t0=$SECONDS
bochs_wait "$log" "$marker" "$timeout"; st=$?
sleep 1
bochs_stop
case $st in
0) echo "bochs-storage: marker seen after $((SECONDS - t0)) s; log in $log" ;;
1) echo "bochs-storage: timeout after ${timeout} s; log in $log"; exit 124 ;;
*) echo "bochs-storage: Bochs exited before the marker; see $log.bochs.log"; exit 3 ;;
esac
