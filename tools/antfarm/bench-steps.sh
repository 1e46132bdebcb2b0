# bench-steps.sh - the guest steps of make bench's Antfarm part (a step
# script for tools/linux/mkinitramfs.sh; tools/table1.sh --steps): lag at
# 0, 1, 2 and 4 busy background processes, then the cost of inference, the
# same workload timed with inference on and off, alternating, in this boot.
# Lines: tools/antfarm/README.md; the host side: tools/antfarm/report.awk.
export PATH=/usr/bin:/bin
rc=0
for load in 0 1 2 4; do
	/bin/afwork lag 100 $load || rc=1
done
/bin/afwork overhead 4 mem -- /bin/afwork mem 100 || rc=1
# 100 fork+exec by the shell (afwork forkexec would open a traced window)
/bin/afwork overhead 4 forkexec -- /bin/sh -c 'i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i + 1)); done' || rc=1
# 8 rounds: one compile round differs from the next by ~1% (scheduling),
# more than the cost measured (tools/antfarm/README.md, "Overhead")
/bin/afwork overhead 8 compile -- /bin/sh -c "make -C /src/schedsim clean >/dev/null 2>&1; make -j4 -C /src/schedsim >/dev/null 2>&1" || rc=1
exit $rc
