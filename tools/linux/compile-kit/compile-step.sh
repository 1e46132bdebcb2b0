# compile-step.sh: the "parallel compile" workload, a step for
# tools/linux/mkinitramfs.sh, run by busybox sh in the guest.  Needs the
# kit from tools/linux/compile-kit.sh in the initramfs:
#
#   tools/linux/compile-kit.sh build/linux/compile-kit/tree
#   EXTRA_TREES=build/linux/compile-kit/tree tools/linux/mkinitramfs.sh \
#       OUT.cpio.gz tools/linux/compile-kit/compile-step.sh
#
# Cleans /src/schedsim, builds it with `make -jJ` (tcc, one process per .c
# file) and runs the short check program it built.  Prints
#
#   FORMICA-RESULT: compile files=N ok|fail      N = compiler runs (-c lines)
#   FORMICA-TIME: compile jobs=J procs=P seconds=S.SS   P = all tcc runs
#   FORMICA-RESULT: compile-run ok|fail
#   FORMICA-TIME: compile-run seconds=S.SS
#
# J is 4 unless the kernel command line says formica.compile_jobs=J[,J...]
# (e.g. 1,4: the build is done once per value, cleaning in between).  The
# kernel ignores the dotted unknown parameter but keeps it in /proc/cmdline,
# so bare-boot.sh/qemu-bare.sh --append can choose it without rebuilding
# the initramfs.

export PATH=/usr/bin:/bin
SRC=/src/schedsim
LOG=/tmp/compile.log

up_cs() { local u i; read u i </proc/uptime; echo $(( ${u%.*} * 100 + 1${u#*.} - 100 )); }
fmt_cs() { printf '%d.%02d' $(( $1 / 100 )) $(( $1 % 100 )); }

JOBS=4
for a in $(cat /proc/cmdline); do
	case "$a" in formica.compile_jobs=*) JOBS=${a#*=} ;; esac
done

rc=0
for j in $(IFS=,; echo $JOBS); do   # split on commas (no tr in the initramfs)
	make -C $SRC clean >/dev/null 2>&1
	t0=$(up_cs)
	if make -j"$j" -C $SRC >$LOG 2>&1; then ok=ok; else ok=fail; rc=1; fi
	t1=$(up_cs)
	cat $LOG
	# count the compiler runs from make's echo of each recipe line
	files=0 procs=0
	while read -r cmd rest; do
		[ "$cmd" = tcc ] || continue
		procs=$((procs + 1))
		case " $rest " in *" -c "*) files=$((files + 1)) ;; esac
	done <$LOG
	echo "FORMICA-RESULT: compile files=$files $ok"
	echo "FORMICA-TIME: compile jobs=$j procs=$procs seconds=$(fmt_cs $((t1 - t0)))"
done

t0=$(up_cs)
if $SRC/schedquick; then r=ok; else r=fail; rc=1; fi
t1=$(up_cs)
echo "FORMICA-RESULT: compile-run $r"
echo "FORMICA-TIME: compile-run seconds=$(fmt_cs $((t1 - t0)))"
exit $rc
