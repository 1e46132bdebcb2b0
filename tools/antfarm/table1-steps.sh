# table1-steps.sh - the guest steps of the Antfarm Table 1 run (a step
# script for tools/linux/mkinitramfs.sh, run by busybox sh in the guest):
#   EXTRA_TREES=build/antfarm/tree tools/linux/mkinitramfs.sh OUT tools/antfarm/table1-steps.sh
# Each afwork call is one measured window (marks 1 and 2 on port 0x510) and
# prints FORMICA-T1-SELF and FORMICA-T1-TRUTH lines; see tools/antfarm/README.md.
# A failing workload makes the whole step (and FORMICA-INIT status) fail,
# but the others still run.
export PATH=/usr/bin:/bin   # make finds tcc in the compile kit's /usr/bin
rc=0
up_cs() { local u i; read u i </proc/uptime; echo $(( ${u%.*} * 100 + 1${u#*.} - 100 )); }
step() {   # step CMD...: run one afwork call, then its guest time
	local t0=$(up_cs) t1 st=ok
	echo "FORMICA-T1-STEP: $*"
	"$@" || { rc=1; st=fail; }
	t1=$(up_cs)
	echo "FORMICA-T1-STEP-END: status=$st seconds=$(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))$(( (t1 - t0) % 10 ))"
}

step /bin/afwork fork 1000
step /bin/afwork forkexec 1000
step /bin/afwork vforkexec 1000

# The parallel compile: Formica's scheduler and simulator built with tcc by
# GNU make -j4 (tools/linux/compile-kit), 14 tcc runs; cleaned outside the
# window.  Run three times, as three windows, so the row has some weight.
for r in 1 2 3; do
	make -C /src/schedsim clean >/dev/null 2>&1
	step /bin/afwork run compile -- /usr/bin/make -j4 -C /src/schedsim
done

# Lag (the paper's figure) at 0, 1, 2 and 4 busy background processes, and
# the cost of inference: the same runs with it on and off in this one boot.
for load in 0 1 2 4; do
	step /bin/afwork lag 50 $load
done
step /bin/afwork overhead 4 mem -- /bin/afwork mem 100
step /bin/afwork overhead 2 compile -- /bin/sh -c "make -C /src/schedsim clean >/dev/null 2>&1; make -j4 -C /src/schedsim >/dev/null 2>&1"
exit $rc
