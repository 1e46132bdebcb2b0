# table1-steps.sh - the guest steps of the Antfarm Table 1 run (a step
# script for tools/linux/mkinitramfs.sh, run by busybox sh in the guest):
#   EXTRA_TREES=build/antfarm/tree tools/linux/mkinitramfs.sh OUT tools/antfarm/table1-steps.sh
# Each afwork call is one measured window (marks 1 and 2 on port 0x510) and
# prints FORMICA-T1-SELF and FORMICA-T1-TRUTH lines; see tools/antfarm/README.md.
# A failing workload makes the whole step (and FORMICA-INIT status) fail,
# but the others still run.
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

# ---- compile: the parallel compile goes here, added with the compile kit:
# step /bin/afwork run compile -- make -j4 -C /src/...
# ---- end compile

step /bin/afwork lag 50 0
step /bin/afwork lag 50 2
step /bin/afwork overhead 2 mem -- /bin/afwork mem 64
exit $rc
