# vda.sh - helpers for the disk workloads (disk-pattern.sh, disk-two.sh,
# iosched-read.sh), sourced from /lib/formica/vda.sh in the guest.
#
# The guest's disk is /dev/vda: Formica's virtio-blk device, whose sectors
# are the guest's extents of the physical disk laid end to end.  The
# pattern written to it must be checkable from the host without knowing
# what the guest did, so each 512-byte sector says who wrote it and where:
#
#   "FORMICA-DISK guest=NAME sector=N gen=G", padded with spaces to 511
#   bytes, then "\n"      (N = sector of /dev/vda, G = which write pass)
#
# tools/storage/disktool.py verify-guest builds the same bytes on the host.
# The guest's name comes from formica.guest=NAME on the kernel command line
# (the kernel ignores the unknown dotted parameter and keeps it).

# up_cs: guest uptime in centiseconds (from /proc/uptime).  uptime_cs sets
# UP to it without the fork of a $(...): forks are slow under shadow paging
# in Bochs, and the readers of iosched-read.sh must start together.
uptime_cs() { local u i; read u i </proc/uptime; UP=$(( ${u%.*} * 100 + 1${u#*.} - 100 )); }
up_cs() { uptime_cs; echo $UP; }
fmt_cs() { printf '%d.%02d' $(( $1 / 100 )) $(( $1 % 100 )); }

# cmdline_arg KEY DEFAULT: the value of formica.KEY= on the command line.
cmdline_arg() {
	local a
	for a in $(cat /proc/cmdline); do
		case "$a" in formica.$1=*) echo "${a#*=}"; return ;; esac
	done
	echo "$2"
}

# vda_sectors: size of /dev/vda in 512-byte sectors, or nothing.
vda_sectors() { [ -b /dev/vda ] && cat /sys/block/vda/size; }

# pattern NAME GEN FIRST COUNT: COUNT sectors of the pattern to stdout.
# One awk process (busybox), not a shell loop: it is a few seconds even
# under Bochs.
pattern() {
	awk -v g="$1" -v gen="$2" -v a="$3" -v n="$4" 'BEGIN {
		for (i = a; i < a + n; i++)
			printf "%-511s\n", "FORMICA-DISK guest=" g " sector=" i " gen=" gen
	}'
}

# md5_of FILE|-: the md5 of a file or of stdin, alone.
md5_of() { set -- $(md5sum "$1"); echo "$1"; }

# mark V: write byte V (0-255) to Formica's mark port 0x510 (1296), which
# the hv logs as "mark guest=NAME value=V ... tsc=T" (see mark-start.sh).
# The byte comes from a file (mark_file V makes it beforehand), so a mark
# costs one fork and exec (dd), not a pipeline's two forks.
mark_file() { [ -e /tmp/mark-$1 ] || printf "\\$(printf %o "$1")" >/tmp/mark-$1; }
mark() { mark_file $1; dd if=/tmp/mark-$1 of=/dev/port bs=1 seek=1296 count=1 2>/dev/null; }

# wait_uptime CS: sleep until the guest's uptime is CS centiseconds; sets
# LATE to how late (cs) it already was, 0 if on time.  No $(...) forks.
wait_uptime() {
	uptime_cs
	while [ "$UP" -lt "$1" ]; do
		sleep "$((($1 - UP) / 100)).$(printf %02d $((($1 - UP) % 100)))"
		uptime_cs
	done
	LATE=$((UP - $1 < 5 ? 0 : UP - $1))
}
