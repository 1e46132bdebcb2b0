#!/usr/bin/env bash
# bench-linux.sh - the Linux-guest numbers of `make bench`, measured in one
# run on the same emulator (Bochs): the same kernel and initramfs booted
# bare (OVMF's EFI stub, tools/linux/bare-boot.sh) and under formica, with
# the guest steps of tools/linux/workloads/shadow-bench.sh:
#   boot to /init   the guest kernel's uptime when /init starts (guest TSC,
#                   so both sides are in the same emulated time)
#   pipe round trip two processes passing a byte: BENCH_PING_ROUNDS rounds
#                   of BENCH_PINGS round trips per shadow policy, the
#                   policies alternating in one boot (mark port 0x20/0x21/0x22)
#   fork+exec       BENCH_ROUNDS rounds of BENCH_FORKS fork+exec of
#                   /bin/true under the cached policy and as many under
#                   the synced one, alternating, then BENCH_REF_FORKS
#                   under the reference policy, last and bounded by an
#                   alarm of BENCH_LIMIT guest seconds (it can stall)
#   exits per fork+exec, per context switch: the hv's exit counts at the
#                   mark bytes 1 and 2 that bracket each interval
#                   (tools/linux/workloads/ctxbench.c runs every interval)
#   parallel compile  GNU make -j4 of /src/schedsim (Formica's scheduler
#                   and simulator, one tcc run per file: the compile kit of
#                   tools/linux/compile-kit.sh), BENCH_COMPILE_ROUNDS rounds
#                   per policy alternating like the ping-pong ones (but
#                   never under the reference policy, which stalls), cleaned
#                   before each, at most BENCH_COMPILE_LIMIT guest seconds
#                   each (default 600); median of the rounds, exits and
#                   shadow faults per compile, and each round's counters
#   inference overhead  afwork overhead: a 64 MiB touch (BENCH_MEM_ROUNDS)
#                   and the compile (BENCH_OVH_COMPILE_ROUNDS, default 8),
#                   inference on and off alternating, under formica.cfg's
#                   policy, median of the rounds' on/off ratios
# Writes build/bench/linux.csv (metric,bare,formica,ratio; made by
# tools/linux/benchcsv.py) and prints it, then where the hv's time went per
# fork+exec and per compile round (exit reasons, TSC cycles, shadow faults
# by cause).  ~15 min bare, 20-40 under formica.
# BENCH_REUSE_BARE=1 keeps a bare run already in build/bench/bare (made
# from the same initramfs: only formica's side changed);
# BENCH_SKIP_BARE=1 runs formica only (the bare column stays empty).
# BENCH_TIMEOUT: wall seconds for the formica boot (default 3000);
# BENCH_BARE_TIMEOUT: for the bare one (default 1800).
# BENCH_PING_POLICIES: the policies the ping-pong rounds alternate between
# (default "cached synced reference"; the reference one costs BENCH_LIMIT
# guest seconds a round in Bochs, see hv/mm/README.md).
# BENCH_HV=FILE boots that hv.bin instead of build/hv.bin (e.g. a build of
# another commit, for a before/after pair); BENCH_OUT=NAME names the log
# build/bench/NAME.log (default formica) and the CSV build/bench/NAME.csv
# (default linux); BENCH_CFG=FILE replaces tools/configs/linux.cfg (e.g.
# one with antfarm = off, or shadow = reference).
# BENCH_KPROF=1: both kernels boot with profile=2 and each compile round
# ends with the guest kernel's own tick profile by function
# (tools/linux/workloads/kprof.c; FORMICA-KPROF lines), which benchcsv.py
# sets side by side (a bare run kept with BENCH_REUSE_BARE=1 must have been
# made with it too).
# BENCH_LOG: formica.cfg "log" for the formica boot (default counts: Antfarm
# infers as always but writes no line per creation and exit; ~4 lines per
# fork+exec outrun the 115200-baud UART, and the wait for it would be timed
# as the shadow pager's; summary puts them back, and the mark-console lines
# then show the wait).
set -u
cd "$(dirname "$0")/.."
B=build/bench
mkdir -p $B
ROUNDS=${BENCH_ROUNDS:-5}
FORKS=${BENCH_FORKS:-200}
PINGS=${BENCH_PINGS:-1000}
PING_ROUNDS=${BENCH_PING_ROUNDS:-3}
MEM_ROUNDS=${BENCH_MEM_ROUNDS:-4}
OVH_COMPILE_ROUNDS=${BENCH_OVH_COMPILE_ROUNDS:-8}
REF_FORKS=${BENCH_REF_FORKS:-200}
PING_POLICIES=${BENCH_PING_POLICIES:-cached synced reference}
COMPILE_ROUNDS=${BENCH_COMPILE_ROUNDS:-3}
COMPILE_LIMIT=${BENCH_COMPILE_LIMIT:-600}
LIMIT=${BENCH_LIMIT:-60}
KPROF=${BENCH_KPROF:-0}
[ "$KPROF" = 1 ] && KPROF_ARG=profile=2 || KPROF_ARG=
sed -e "s/@ROUNDS@/$ROUNDS/; s/@FORKS@/$FORKS/; s/@PINGS@/$PINGS/; s/@PING_ROUNDS@/$PING_ROUNDS/" \
	-e "s/@MEM_ROUNDS@/$MEM_ROUNDS/; s/@REF_FORKS@/$REF_FORKS/; s/@LIMIT@/$LIMIT/" \
	-e "s/@PING_POLICIES@/$PING_POLICIES/; s/@COMPILE_ROUNDS@/$COMPILE_ROUNDS/" \
	-e "s/@COMPILE_LIMIT@/$COMPILE_LIMIT/; s/@KPROF@/$KPROF/" \
	-e "s/@OVH_COMPILE_ROUNDS@/$OVH_COMPILE_ROUNDS/" \
	tools/linux/workloads/shadow-bench.sh >$B/shadow-bench.sh
EXTRA_TREES="build/linux/bench-tree build/antfarm/tree build/linux/compile-kit/tree" \
	tools/linux/mkinitramfs.sh $B/initramfs.cpio.gz $B/shadow-bench.sh >/dev/null || exit 1

if [ "${BENCH_SKIP_BARE:-0}" = 1 ]; then
	echo "bench-linux: no bare run (BENCH_SKIP_BARE=1)"
	bare_wall=
elif [ "${BENCH_REUSE_BARE:-0}" = 1 ] && [ -s $B/bare/serial.log ] && [ -s $B/bare/wall ]; then
	echo "bench-linux: bare run kept from $B/bare (BENCH_REUSE_BARE=1)"
	bare_wall=$(cat $B/bare/wall)
else
	echo "bench-linux: bare boot in Bochs (OVMF EFI stub)..."
	t0=$SECONDS
	tools/linux/bare-boot.sh --initrd $B/initramfs.cpio.gz --out $B/bare --timeout ${BENCH_BARE_TIMEOUT:-1800} \
		${KPROF_ARG:+--append $KPROF_ARG} >/dev/null 2>&1
	bare_wall=$((SECONDS - t0))
	echo $bare_wall >$B/bare/wall
fi

echo "bench-linux: the same kernel under formica..."
sed -e 's|initramfs.cpio.gz|bench.cpio.gz|' -e "s|^cmdline = .*|& $KPROF_ARG|" \
	${BENCH_CFG:-tools/configs/linux.cfg} > $B/formica.cfg
cp $B/initramfs.cpio.gz $B/bench.cpio.gz
FORMICA_LOG=${BENCH_LOG:-counts} tools/mkesp.sh $B/esp.img $B/formica.cfg build/formica.efi ${BENCH_HV:-build/hv.bin} build/linux/vmlinuz $B/bench.cpio.gz
LOG=$B/${BENCH_OUT:-formica}.log
t0=$SECONDS
tools/bochs-run.sh --esp $B/esp.img --log $LOG --megs 1024 --timeout ${BENCH_TIMEOUT:-3000} >/dev/null
hv_wall=$((SECONDS - t0))

echo
echo "Linux guest under formica vs bare, Bochs 2.7, Debian $(cat build/linux/version 2>/dev/null)," \
	"$ROUNDS x $FORKS fork+exec cached and synced, $REF_FORKS reference, $PING_ROUNDS x $PINGS round trips" \
	"and $COMPILE_ROUNDS compiles per policy"
CSV=$B/${BENCH_OUT:-linux}.csv
[ "${BENCH_SKIP_BARE:-0}" = 1 ] && bare_arg=() || bare_arg=(--bare $B/bare/serial.log)
python3 tools/linux/benchcsv.py --formica $LOG "${bare_arg[@]}" --out $CSV || exit 1
echo "whole run (wall clock, s): bare ${bare_wall:-n/a}, formica $hv_wall; table in $CSV"
grep -aq "FORMICA-INIT: done .*status=ok" $LOG || { echo "bench-linux: the guest did not finish ok (see $LOG)"; exit 1; }
