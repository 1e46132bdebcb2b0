#!/usr/bin/env bash
# bench-linux.sh - the Linux-guest numbers of `make bench`, measured in one
# run on the same emulator (Bochs):
#   boot-to-init  the guest kernel's uptime when /init starts, under formica
#                 divided by the same kernel booted bare (OVMF's EFI stub,
#                 tools/linux/bare-boot.sh).  Uptime is the guest's own
#                 clock (TSC), so both are in the same (emulated) time.
#   exits per fork+exec+exit: the hv logs its exit count at two marks the
#                 guest writes (port 0x510) around 1000 fork+exec of /bin/true.
#   where the hv's time went between the two marks: per exit reason the
#                 count, the handlers' TSC cycles and their mean, and the
#                 shadow pager's counters (faults by cause), per fork+exec.
# Also prints the wall-clock times, for the curious.  Takes ~10-20 minutes.
# BENCH_REUSE_BARE=1 keeps a bare run already in build/bench/bare (the same
# kernel and initramfs boot the same way bare: only formica's side changed);
# BENCH_SKIP_BARE=1 runs formica only (the bare column reads n/a).
# BENCH_HV=FILE boots that hv.bin instead of build/hv.bin (e.g. a build of
# another commit, for a before/after pair); BENCH_OUT=NAME names the log
# build/bench/NAME.log (default formica); BENCH_CFG=FILE replaces
# tools/configs/linux.cfg (e.g. one with antfarm = off).
set -u
cd "$(dirname "$0")/.."
B=build/bench
mkdir -p $B
N=${BENCH_FORKS:-1000}
EXTRA_APPLETS=printf tools/linux/mkinitramfs.sh $B/initramfs.cpio.gz \
	tools/linux/workloads/mark-start.sh forkexec:$N tools/linux/workloads/mark-end.sh >/dev/null
val() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$1" | head -1; }

if [ "${BENCH_SKIP_BARE:-0}" = 1 ]; then
	echo "bench-linux: no bare run (BENCH_SKIP_BARE=1)"
	bare_wall=
elif [ "${BENCH_REUSE_BARE:-0}" = 1 ] && [ -s $B/bare/serial.log ] && [ -s $B/bare/wall ]; then
	echo "bench-linux: bare run kept from $B/bare (BENCH_REUSE_BARE=1)"
	bare_wall=$(cat $B/bare/wall)
else
	echo "bench-linux: bare boot in Bochs (OVMF EFI stub)..."
	t0=$SECONDS
	tools/linux/bare-boot.sh --initrd $B/initramfs.cpio.gz --out $B/bare --timeout 1800 >/dev/null 2>&1
	bare_wall=$((SECONDS - t0))
	echo $bare_wall >$B/bare/wall
fi
bare_init=$(grep -a "FORMICA-INIT: start" $B/bare/serial.log 2>/dev/null | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | head -1)
bare_fork=$(grep -a "FORMICA-TIME: forkexec" $B/bare/serial.log 2>/dev/null | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' | head -1)

echo "bench-linux: the same kernel under formica..."
sed 's|initramfs.cpio.gz|bench.cpio.gz|' ${BENCH_CFG:-tools/configs/linux.cfg} > $B/formica.cfg
cp $B/initramfs.cpio.gz $B/bench.cpio.gz
tools/mkesp.sh $B/esp.img $B/formica.cfg build/formica.efi ${BENCH_HV:-build/hv.bin} build/linux/vmlinuz $B/bench.cpio.gz
LOG=$B/${BENCH_OUT:-formica}.log
t0=$SECONDS
tools/bochs-run.sh --esp $B/esp.img --log $LOG --megs 1024 --timeout 3000 >/dev/null
hv_wall=$((SECONDS - t0))
hv_init=$(grep -a "\[linux1\] FORMICA-INIT: start" $LOG | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | head -1)
hv_fork=$(grep -a "\[linux1\] FORMICA-TIME: forkexec" $LOG | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' | head -1)
# " exits=": the mark line also carries af_exits= (Antfarm's), later on it.
m1=$(grep -a "mark guest=linux1 value=1 " $LOG | sed -n 's/.* exits=\([0-9]*\).*/\1/p')
m2=$(grep -a "mark guest=linux1 value=2 " $LOG | sed -n 's/.* exits=\([0-9]*\).*/\1/p')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
echo
echo "Linux guest under formica vs bare, Bochs 2.7, Debian $(cat build/linux/version 2>/dev/null)"
printf '%-34s %12s %12s %8s\n' "" bare formica ratio
printf '%-34s %12s %12s %8s\n' "boot to /init (guest uptime, s)" "${bare_init:-n/a}" "${hv_init:-n/a}" "$(ratio "$hv_init" "$bare_init")"
printf '%-34s %12s %12s %8s\n' "$N fork+exec (guest time, s)" "${bare_fork:-n/a}" "${hv_fork:-n/a}" "$(ratio "$hv_fork" "$bare_fork")"
printf '%-34s %12s %12s %8s\n' "whole run (wall clock, s)" "$bare_wall" "$hv_wall" "$(ratio "$hv_wall" "$bare_wall")"
if [ -n "$m1" ] && [ -n "$m2" ]; then
	printf '%-34s %12s %12s\n' "VM exits per fork+exec+exit" "-" "$(awk -v a=$m1 -v b=$m2 -v n=$N 'BEGIN { printf "%.1f", (b - a) / n }')"
else
	echo "VM exits per fork+exec+exit: n/a (marks not seen; see $LOG)"
fi

# Between the marks: each mark is followed by its mark-exits (reason:count),
# mark-cycles (hv=all, reason:cycles) and mark-shadow (name=value) lines.
marks=$(grep -a -A3 "mark guest=linux1 value=[12] " $LOG | tr -d '\r' | grep -a "^\(.* \)\?mark-")
if [ "$(grep -c mark-cycles <<<"$marks")" = 2 ]; then
	echo
	echo "Between the marks, per fork+exec+exit (hv time in TSC cycles):"
	awk -v n=$N '
	{ k = $0; sub(/^.*mark-/, "", k); split(k, f, " "); kind = f[1]; i = ++seen[kind]
	  for (j = 3; j <= length(f); j++) {
		if (kind == "shadow" || kind == "cycles" && f[j] ~ /^hv=/) { split(f[j], kv, "="); key = kv[1] }
		else { split(f[j], kv, ":"); key = kv[1] }
		v[kind, key, i] = kv[2]; keys[kind, key] = 1
	  } }
	END {
		printf "%-8s %10s %14s %12s\n", "reason", "exits", "cycles", "mean"
		for (r = 0; r <= 2048; r++) { if (!(("exits", r) in keys)) continue
			c = v["exits", r, 2] - v["exits", r, 1]; t = v["cycles", r, 2] - v["cycles", r, 1]
			if (c > 0) printf "%-8s %10.1f %14.0f %12.0f\n", r, c / n, t / n, t / c }
		printf "%-8s %10s %14.0f\n", "hv all", "", (v["cycles", "hv", 2] - v["cycles", "hv", 1]) / n
		printf "shadow:"
		for (kk in keys) { split(kk, p, SUBSEP); if (p[1] != "shadow") continue
			d = v["shadow", p[2], 2] - v["shadow", p[2], 1]; if (d) printf " %s=%.1f", p[2], d / n }
		printf "\n"
	}' <<<"$marks"
fi
