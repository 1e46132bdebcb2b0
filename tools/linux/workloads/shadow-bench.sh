# shadow-bench.sh - the guest side of tools/bench-linux.sh (a step script
# for tools/linux/mkinitramfs.sh).  Why this shape: the shadow pager's
# policies are compared in ONE boot, so both see the same kernel state and
# the same emulator load; every measured interval is run by /bin/ctxbench
# (tools/linux/workloads/ctxbench.c), which switches the policy itself and
# brackets the interval with mark bytes 1 and 2 on the Formica mark port,
# at which the hv logs its exit counts and shadow counters.  Bare, the same
# steps run and the port writes go nowhere, so the bare column has the
# same rounds.
#
# Order: pipe ping-pong rounds alternating between the policies; fork+exec
# rounds alternating between the cached and the synced policy; the
# parallel compile (GNU make -j4 of /src/schedsim with tcc, the compile kit
# of tools/linux/compile-kit.sh; cleaned before each round, outside the
# interval) in rounds alternating between the ping-pong policies but the
# reference one;
# inference on/off (afwork overhead: the memory touch, the compile); and
# last the reference policy's fork+exec, bounded by an alarm: under it a
# Linux guest in Bochs has been seen to stall in fork+exec (hv/mm/README.md), and
# what is measured before it must not be lost.
# bench-linux.sh substitutes the counts below.
ROUNDS=@ROUNDS@         # fork+exec rounds per policy (cached, synced)
FORKS=@FORKS@           # fork+exec per round
PINGS=@PINGS@           # pipe round trips per ping-pong round
PING_ROUNDS=@PING_ROUNDS@ # ping-pong rounds per policy
PING_POLICIES="@PING_POLICIES@" # the policies they alternate between
COMPILE_ROUNDS=@COMPILE_ROUNDS@ # compile rounds per policy (0: none)
COMPILE_LIMIT=@COMPILE_LIMIT@ # seconds of guest time per compile at most
MEM_ROUNDS=@MEM_ROUNDS@ # inference on/off rounds (0: none)
OVH_COMPILE_ROUNDS=@OVH_COMPILE_ROUNDS@ # the same for the compile (0: none)
REF_FORKS=@REF_FORKS@   # fork+exec under the reference policy (0: none)
LIMIT=@LIMIT@           # seconds of guest time per interval at most
KPROF=@KPROF@           # 1: each compile round's kernel profile (kprof.c)

export PATH=/usr/bin:/bin   # the compile kit's make and tcc are in /usr/bin
rc=0
run() {   # ctxbench's status 3 (timeout) is a measurement, not a failure
	/bin/ctxbench "$@"
	case $? in 0|3) ;; *) rc=1 ;; esac
}
# The guest kernel's own counters around an interval, as deltas:
#   FORMICA-GSTAT: NAME policy=P KEY=DELTA ...
# (the keys of GSTAT_KEYS from /proc/stat, /proc/vmstat, and the first CPU
# column of /proc/interrupts and /proc/softirqs), so benchcsv.py can set the
# bare and formica columns side by side.  A short list: formica's console
# cuts a guest line at ~450 characters.
GSTAT_KEYS="cpu_user cpu_system cpu_idle cpu_irq cpu_softirq ctxt intr processes pgfault
 pgalloc_dma32 pgalloc_normal softirq_TIMER softirq_HRTIMER softirq_SCHED softirq_RCU"
gstat_snap() {
	{ cat /proc/stat /proc/vmstat
	  sed 's/^ *\([^ ]*\): *\([0-9]*\).*/irq_\1 \2/' /proc/interrupts | tail -n +2
	  sed 's/^ *\([^ ]*\): *\([0-9]*\).*/softirq_\1 \2/' /proc/softirqs | tail -n +2
	} >"$1"
}
gstat_diff() {
	awk -v name="$1" -v pol="$2" -v keys="$GSTAT_KEYS" '
		$1 == "cpu" { v[FILENAME, "cpu_user"] = $2; v[FILENAME, "cpu_nice"] = $3
			v[FILENAME, "cpu_system"] = $4; v[FILENAME, "cpu_idle"] = $5
			v[FILENAME, "cpu_irq"] = $7; v[FILENAME, "cpu_softirq"] = $8; k["cpu_user"]; k["cpu_nice"]
			k["cpu_system"]; k["cpu_idle"]; k["cpu_irq"]; k["cpu_softirq"]; next }
		$1 ~ /^cpu/ { next }
		$2 ~ /^[0-9]+$/ { v[FILENAME, $1] = $2; k[$1] }
		END { line = "FORMICA-GSTAT: " name " policy=" pol
			n = split(keys, want, /[ \n]+/)
			for (i = 1; i <= n; i++) { x = want[i]; if (!(x in k)) continue
				line = line " " x "=" (v[ARGV[2], x] - v[ARGV[1], x]) }
			print line }' "$3" "$4"
}
order() {   # order R POLICY...: the policies, reversed in even rounds R
	local r=$1 o= p
	shift
	if [ $((r % 2)) = 1 ]; then echo "$@"; return; fi
	for p in "$@"; do o="$p $o"; done
	echo $o
}
# The compile skips the reference policy: it stalls Linux here (hv/mm/README.md),
# so its rounds would time only the alarm.
COMPILE_POLICIES=
for p in $PING_POLICIES; do [ $p = reference ] || COMPILE_POLICIES="$COMPILE_POLICIES $p"; done
r=1
while [ $r -le $PING_ROUNDS ]; do
	for p in $(order $r $PING_POLICIES); do run -t $LIMIT -p $p pingpong $PINGS; done
	r=$((r + 1))
done
r=1
while [ $r -le $ROUNDS ]; do
	if [ $((r % 2)) = 1 ]; then order="cached synced"; else order="synced cached"; fi
	for p in $order; do run -t $LIMIT -p $p forkexec $FORKS; done
	r=$((r + 1))
done
r=1
while [ $r -le $COMPILE_ROUNDS ]; do
	for p in $(order $r $COMPILE_POLICIES); do
		make -C /src/schedsim clean >/dev/null 2>&1 || rc=1
		[ $KPROF = 1 ] && { /bin/kprof reset || rc=1; }
		gstat_snap /tmp/gstat.a
		run -t $COMPILE_LIMIT -p $p run compile /usr/bin/make -j4 -C /src/schedsim
		gstat_snap /tmp/gstat.b
		gstat_diff compile $p /tmp/gstat.a /tmp/gstat.b
		[ $KPROF = 1 ] && { /bin/kprof dump compile $p 40 || rc=1; }
	done
	r=$((r + 1))
done
# Inference on/off, under formica.cfg's policy (ctxbench restored it).
if [ $MEM_ROUNDS -gt 0 ]; then
	/bin/afwork overhead $MEM_ROUNDS mem -- /bin/afwork mem 64 || rc=1
fi
# The compile's rounds differ by about 1% from one another (scheduling), more
# than the cost measured: hence more rounds than for the memory touch.
if [ $OVH_COMPILE_ROUNDS -gt 0 ]; then
	/bin/afwork overhead $OVH_COMPILE_ROUNDS compile -- /bin/sh -c \
		"make -C /src/schedsim clean >/dev/null 2>&1; make -j4 -C /src/schedsim >/dev/null 2>&1" ||
		rc=1
fi
[ $REF_FORKS -gt 0 ] && run -t $LIMIT -p reference forkexec $REF_FORKS
exit $rc
