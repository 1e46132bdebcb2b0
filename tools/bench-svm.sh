#!/usr/bin/env bash
# bench-svm.sh - the Linux-guest numbers of `make bench` for the AMD SVM
# backend: the workload of tools/bench-linux.sh (boot to /init, then 1000
# fork+exec of /bin/true between two marks) on QEMU's TCG, bare and under
# formica, on the same emulator with the same clock.
#
# Why a script of its own: tools/bench-linux.sh measures Bochs + VT-x, where
# guest time is instruction-counted (BOCHS_IPS).  Here QEMU runs with
# -icount shift=4 (tools/qemu-run.sh): 16 ns of guest time per instruction,
# so guest times are instruction counts too, and the ratio formica / bare
# does not depend on what else the host runs.  Both boots use q35,
# -cpu max, the same kernel, command line, initramfs and 256 MiB; bare is
# booted directly (-kernel), formica from its ESP through OVMF.
#
# Prints a table and writes build/bench/svm.csv (metric,bare,formica,ratio).
# Environment: BENCH_FORKS (default 1000), BENCH_SVM_TIMEOUT (s, per boot,
# default 1800).  Logs in build/bench/svm/.
set -u
cd "$(dirname "$0")/.."
B=build/bench/svm
CSV=build/bench/svm.csv
mkdir -p $B
N=${BENCH_FORKS:-1000}
TIMEOUT=${BENCH_SVM_TIMEOUT:-1800}
ICOUNT=shift=4,sleep=off
EXTRA_APPLETS=printf tools/linux/mkinitramfs.sh $B/bench.cpio.gz \
	tools/linux/workloads/mark-start.sh forkexec:$N tools/linux/workloads/mark-end.sh >/dev/null
# The guest's command line, as formica gives it (tools/configs/linux.cfg).
sed 's|initramfs.cpio.gz|bench.cpio.gz|' tools/configs/linux.cfg >$B/formica.cfg
CMDLINE=$(sed -n 's/^cmdline = //p' $B/formica.cfg)

# ---------------------------------------------------------------- bare
echo "bench-svm: bare boot in QEMU TCG (-icount $ICOUNT)..."
t0=$SECONDS
: >$B/bare.log
qemu-system-x86_64 -machine q35 -cpu max -icount $ICOUNT -m 256 -display none -nodefaults \
	-no-reboot -kernel build/linux/vmlinuz -initrd $B/bench.cpio.gz \
	-append "$CMDLINE panic=-1" -serial file:$B/bare.log -monitor none </dev/null 2>$B/bare.err &
qpid=$!
trap 'kill $qpid 2>/dev/null' EXIT
while kill -0 $qpid 2>/dev/null && [ $((SECONDS - t0)) -lt "$TIMEOUT" ]; do
	grep -aqE "FORMICA-INIT: done|System halted|Kernel panic|reboot: Power down" $B/bare.log && break
	sleep 0.5
done
kill $qpid 2>/dev/null; wait $qpid 2>/dev/null
bare_wall=$((SECONDS - t0))

# ---------------------------------------------------------------- formica
echo "bench-svm: the same kernel under formica (QEMU TCG, AMD SVM)..."
tools/mkesp.sh $B/esp.img $B/formica.cfg build/formica.efi build/hv.bin build/linux/vmlinuz \
	$B/bench.cpio.gz
t0=$SECONDS
QEMU_ICOUNT=$ICOUNT tools/qemu-run.sh --esp $B/esp.img --log $B/formica.log --timeout "$TIMEOUT" \
	>$B/qemu-run.out
hv_wall=$((SECONDS - t0))

# ---------------------------------------------------------------- numbers
uptime_at() { grep -a "$2FORMICA-INIT: start" "$1" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | head -1; }
forks_in() { grep -a "$2FORMICA-TIME: forkexec" "$1" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' | head -1; }
bare_init=$(uptime_at $B/bare.log "") hv_init=$(uptime_at $B/formica.log "\\[linux1\\] ")
bare_fork=$(forks_in $B/bare.log "") hv_fork=$(forks_in $B/formica.log "\\[linux1\\] ")
# " exits=": the mark line also carries af_exits= (Antfarm's), later on it.
mark() { grep -a "mark guest=linux1 value=$1 " $B/formica.log | sed -n 's/.* exits=\([0-9]*\).*/\1/p'; }
m1=$(mark 1) m2=$(mark 2)
per_fork=n/a
[ -n "$m1" ] && [ -n "$m2" ] && per_fork=$(awk -v a=$m1 -v b=$m2 -v n=$N 'BEGIN { printf "%.1f", (b - a) / n }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

echo
echo "Linux guest under formica vs bare, QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG + AMD SVM (-icount $ICOUNT), Debian $(cat build/linux/version 2>/dev/null)"
printf '%-34s %12s %12s %8s\n' "" bare formica ratio
printf '%-34s %12s %12s %8s\n' "boot to /init (guest uptime, s)" "${bare_init:-n/a}" "${hv_init:-n/a}" "$(ratio "$hv_init" "$bare_init")"
printf '%-34s %12s %12s %8s\n' "$N fork+exec (guest time, s)" "${bare_fork:-n/a}" "${hv_fork:-n/a}" "$(ratio "$hv_fork" "$bare_fork")"
printf '%-34s %12s %12s %8s\n' "whole run (wall clock, s)" "$bare_wall" "$hv_wall" "$(ratio "$hv_wall" "$bare_wall")"
printf '%-34s %12s %12s\n' "VM exits per fork+exec+exit" "-" "$per_fork"
# The exits between the marks by SVM exit code (the line after each mark),
# named from the summary's "exits guest=linux1 reason=N name=..." lines.
{ grep -a "exits guest=linux1 reason=" $B/formica.log
  grep -a -A1 "mark guest=linux1 value=[12] " $B/formica.log | grep -a "mark-exits"; } |
	awk -v n=$N '/ exits guest=/ { split($0, a, "reason="); split(a[2], b, " ");
			 split($0, c, "name=\""); split(c[2], d, "\""); name[b[1]] = d[1]; next }
	{ m++; for (i = 4; i <= NF; i++) { split($i, kv, ":"); v[m, kv[1]] = kv[2]; k[kv[1]] = 1 } }
	END { printf "per fork+exec+exit by exit:"
	      for (r in k) if (v[2, r] - v[1, r] > 0)
		printf " %s=%.1f", (r in name ? name[r] : r), (v[2, r] - v[1, r]) / n
	      printf "\n" }'
{
	echo "metric,bare,formica,ratio"
	echo "boot_to_init_s,${bare_init:-},${hv_init:-},$(ratio "$hv_init" "$bare_init")"
	echo "forkexec_${N}_s,${bare_fork:-},${hv_fork:-},$(ratio "$hv_fork" "$bare_fork")"
	echo "wall_s,$bare_wall,$hv_wall,$(ratio "$hv_wall" "$bare_wall")"
	echo "exits_per_forkexec,,$per_fork,"
} >$CSV
echo "bench-svm: $CSV"
[ -n "$hv_fork" ] && [ -n "$bare_fork" ]
