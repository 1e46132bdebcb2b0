# study-steps.sh - the guest's workload mix for the homogeneity study
# (tools/homogeneity/study.sh, `make homogeneity`): a step script for
# tools/linux/mkinitramfs.sh, run by busybox sh in every guest of the boot.
#
# Why a fixed mix, repeated: the study asks whether two kernels given the
# *same* work produce virtualization events from one distribution, so every
# guest runs exactly this, round after round, until the hypervisor stops it
# (max_ms in the study's formica.cfg).  The phases are the seed's: idle
# periods, busy loops, process switches, fork/exec storms, memory fill,
# file and disk I/O, a compile.  A phase whose tool is missing (no compile
# kit, no /dev/vda, no afwork) is skipped and says so once.
#
# The amounts are small because under Formica in an emulator each guest
# gets a few thousand exits a second (every context switch re-faults the
# shadow tables); measured round times are in tools/homogeneity/README.md.
# The compile is one tcc run (one file of Formica's scheduler, a third of a
# second natively), not the 14 of `make -j4` in table1, which would take
# most of a run.
#
# Prints one line per round, with each phase's guest time in centiseconds
# (fewer console exits than one line per phase):
#   FORMICA-HOM: round=R cs=TOTAL idle=.. busy=.. switch=.. fork=.. mem=..
#                file=.. disk=.. compile=..
# formica.rounds=N on the kernel command line ends the loop after N rounds
# (default: until stopped).
. /lib/formica/vda.sh
export PATH=/usr/bin:/bin

rounds=$(cmdline_arg rounds 0)
name=$(cmdline_arg guest unknown)
skipped=
have_compile=0; [ -x /usr/bin/tcc ] && [ -f /src/schedsim/sim/sim.c ] && have_compile=1
have_mem=0; [ -x /bin/afwork ] && have_mem=1
have_disk=0; n=$(vda_sectors); [ -n "$n" ] && [ "$n" -ge 2048 ] && have_disk=1
[ $have_compile = 1 ] || skipped="$skipped,compile"
[ $have_mem = 1 ] || skipped="$skipped,memfill"
[ $have_disk = 1 ] || skipped="$skipped,disk"
echo "FORMICA-HOM: start guest=$name rounds=$rounds skipped=${skipped#,}"

busy() {   # pure user-mode CPU: a shell counting loop, no system calls
	local i=0
	while [ $i -lt $1 ]; do i=$((i + 1)); done
}
forkexec() {   # N fork+exec of /bin/true (a path: not the shell builtin)
	local i=0
	while [ $i -lt $1 ]; do /bin/true; i=$((i + 1)); done
}
switches() {   # a pipe written a byte at a time: reader and writer alternate
	dd if=/dev/zero bs=1 count=$1 2>/dev/null | dd of=/dev/null bs=1 2>/dev/null
}
files() {   # N MiB written to the tmpfs, read back through md5sum, removed
	dd if=/dev/zero of=/tmp/hom-file bs=64k count=$(($1 * 16)) 2>/dev/null
	md5sum /tmp/hom-file >/dev/null
	rm -f /tmp/hom-file
}
disk() {   # 256 KiB written to /dev/vda around the page cache, read back
	dd if=/dev/zero of=/dev/vda bs=64k count=4 oflag=direct 2>/dev/null
	dd if=/dev/vda of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null
}

compile() {   # one compiler run: a file of the scheduler's simulator
	tcc -DFORMICA_HOST -I/src/schedsim/include -I/src/schedsim -I/src/schedsim/sim \
		-c -o /tmp/hom-sim.o /src/schedsim/sim/sim.c || echo "FORMICA-HOM: compile failed"
	rm -f /tmp/hom-sim.o
}
# phase NAME CMD...: run CMD, append NAME=centiseconds to the round's line
phase() {
	local name=$1 t0
	shift
	uptime_cs; t0=$UP
	"$@"
	uptime_cs
	line="$line $name=$((UP - t0))"
}

r=0
while [ "$rounds" = 0 ] || [ $r -lt "$rounds" ]; do
	r=$((r + 1)) line=
	uptime_cs; t0=$UP
	phase idle sleep 2                              # the guest halts
	phase busy busy 2000                            # user-mode CPU
	phase switch switches 200                       # process switches
	phase fork forkexec 20                          # fork/exec storm
	[ $have_mem = 1 ] && phase mem afwork mem 8     # memory fill: 8 MiB touched, freed
	phase file files 1                              # file I/O (tmpfs)
	[ $have_disk = 1 ] && phase disk disk           # disk I/O (virtio-blk)
	[ $have_compile = 1 ] && phase compile compile  # a compile
	uptime_cs
	echo "FORMICA-HOM: round=$r cs=$((UP - t0))$line"
done
