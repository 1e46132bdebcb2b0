# iosched-read.sh - the workload of `make iosched` (issue 11, "The
# experiment"), a step for tools/linux/mkinitramfs.sh: the Antfarm paper's
# anticipatory-scheduling case study.  Processes each read their own region
# of /dev/vda sequentially in 64 KiB requests (io_kib) with O_DIRECT (one
# request outstanding, like a program reading a file), bracketed by marks
# on port 0x510 so the hv's log times them on its own clock.
#
# One boot runs several cases, one after the other, in every guest at once.
# Guests cannot talk to each other, so the cases are started by the clock:
# case k's processes are started at guest uptime AT + k * SLOT seconds and
# begin reading one second later (by then every guest has forked them).
# Formica gives every guest the host's TSC (TSC_OFFSET 0) and boots them
# together, so their uptimes agree to within a few time slices; the marks
# show the real start and end of each process on the hv's clock.  A case GxP runs P processes
# in each guest whose index is below G; the other guests sleep through it.
# Process p of P reads from sector p * (disk size / P).
#
# Kernel command line (formica.*):
#   guest=NAME  io_index=I (this guest's index, 0...)
#   io_cases=1x2,2x1,2x2  io_mib=M (MiB per process)  io_at=S  io_slot=S
#   io_kib=K (request size, KiB; default 64)
#
# Marks: case k (0, 1, ...) start 0x20 + k, end 0x30 + k, once per process.
# Prints per process, then per guest:
#   FORMICA-RESULT: iosched case=GxP guest=NAME proc=p lba=L bytes=B bs_kib=K seconds=S ok|fail
#   FORMICA-RESULT: iosched case=GxP guest=NAME idle
#   FORMICA-RESULT: iosched case=GxP guest=NAME late_cs=N   (started N cs late)
. /lib/formica/vda.sh

name=$(cmdline_arg guest unknown)
index=$(cmdline_arg io_index 0)
cases=$(cmdline_arg io_cases 1x2,2x1,2x2)
mib=$(cmdline_arg io_mib 4)
at=$(cmdline_arg io_at 0)
slot=$(cmdline_arg io_slot 30)
kib=$(cmdline_arg io_kib 64)
n=$(vda_sectors)
if [ -z "$n" ] || [ "$n" = 0 ]; then
	echo "FORMICA-RESULT: iosched fail no /dev/vda"
	exit 1
fi

reader() { # CASE PROC PROCS K GO: one process's read, between its marks
	local c=$1 p=$2 procs=$3 k=$4 go=$5 t0 t1 st=ok got
	local spb=$((kib * 2))                      # sectors per block
	local blk=$((n / procs * p / spb))          # first block of its region
	local count=$((mib * 1024 / kib))
	mark_file $((0x20 + k)); mark_file $((0x30 + k))
	wait_uptime $go
	mark $((0x20 + k))
	uptime_cs; t0=$UP
	got=$(dd if=/dev/vda of=/dev/null bs=${kib}k skip=$blk count=$count iflag=direct 2>&1) ||
		st=fail
	uptime_cs; t1=$UP
	mark $((0x30 + k))
	case "$got" in *"$count+0 records in"*) ;; *) st=fail; echo "$got" ;; esac
	echo "FORMICA-RESULT: iosched case=$c guest=$name proc=$p lba=$((blk * spb)) bytes=$((count * kib * 1024)) bs_kib=$kib seconds=$(fmt_cs $((t1 - t0))) $st"
	[ $st = ok ]
}

k=0
rc=0
for c in $(IFS=,; echo $cases); do
	guests=${c%x*} procs=${c#*x}
	start=$(( (at + k * slot) * 100 ))
	wait_uptime $start
	[ "$LATE" = 0 ] || echo "FORMICA-RESULT: iosched case=$c guest=$name late_cs=$LATE"
	if [ "$index" -lt "$guests" ]; then
		pids=
		p=0
		while [ $p -lt $procs ]; do
			reader $c $p $procs $k $((start + 100)) & pids="$pids $!"
			p=$((p + 1))
		done
		for pid in $pids; do wait $pid || rc=1; done
	else
		echo "FORMICA-RESULT: iosched case=$c guest=$name idle"
	fi
	k=$((k + 1))
done
exit $rc
