#!/usr/bin/env bash
# bochs-run.sh --esp IMG --log FILE [--timeout S] [--marker REGEX] [--megs N]
#              [--stream] [--data IMG]
#
# Boots formica in Bochs (which emulates VT-x) headless, with the serial
# console written to FILE.  Bochs has no exit device, so we watch FILE for
# the marker formica prints at its end (default: "formica: powering off" or
# "formica: stopped" after a panic), then stop Bochs by its pid.
# --stream also copies the console to stdout as it grows (make run).
# --data IMG attaches a flat data disk as ata0-slave (the guests' disk:
# a whole number of 16x63 cylinders), as tools/storage/bochs-storage.sh does.
# Exit status: 0 marker seen, 124 timeout, 3 Bochs died first.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/linux/bochs-lib.sh"

esp= log= timeout=600 marker='formica: (powering off|stopped)' megs=1024 stream=0 data=
while [ $# -gt 0 ]; do
	case $1 in
	--esp) esp=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--marker) marker=$2; shift 2 ;;
	--megs) megs=$2; shift 2 ;;
	--stream) stream=1; shift ;;
	--data) data=$2; shift 2 ;;
	*) echo "bochs-run: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$esp" ] && [ -n "$log" ] || { echo "usage: $0 --esp IMG --log FILE" >&2; exit 2; }
dir=$(dirname "$log")
mkdir -p "$dir"
: > "$log"
rc="$log.bochsrc"
bochs_write_rc "$rc" "$(realpath "$esp")" "$(realpath "$log")" "$megs" "$log.bochs.log" || exit 2
if [ -n "$data" ]; then
	size=$(stat -c %s "$data") || exit 2
	[ $((size % 516096)) = 0 ] || { echo "bochs-run: $data is not a whole number of 16x63 cylinders" >&2; exit 2; }
	echo "ata0-slave: type=disk, path=\"$(realpath "$data")\", mode=flat, cylinders=$((size / 516096)), heads=16, spt=63" >>"$rc"
fi
bochs_start "$rc" "$dir" || exit 2
if [ $stream = 1 ]; then
	tail -n +1 -f "$log" --pid="$BOCHS_PID" &
	tailpid=$!
fi
t0=$SECONDS
bochs_wait "$log" "$marker" "$timeout"; st=$?
sleep 1 # let the last lines reach the file
bochs_stop
[ $stream = 1 ] && { kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null; }
case $st in
0) echo "bochs-run: end marker seen after $((SECONDS - t0)) s; log in $log" ;;
1) echo "bochs-run: timeout after ${timeout} s; log in $log"; exit 124 ;;
*) echo "bochs-run: Bochs exited before the end marker; see $log.bochs.log"; exit 3 ;;
esac
