# disk-two.sh - a step for tools/linux/mkinitramfs.sh, after disk-pattern.sh:
# two processes use /dev/vda at the same time, so Formica's scheduler sees
# two processes of this guest with requests in flight together.
#
#   writer  rewrites the first half of the disk with the pattern's second
#           generation (gen=2), then reads it back and checks it
#   reader  reads the second half (still gen=1 from disk-pattern) twice
#           and checks it both times
#
# Both use O_DIRECT and 64 KiB requests; their patterns are made before
# either starts, so the two overlap on the disk and not in awk.  After it,
# the host expects gen=2 in the first half and gen=1 in the second
# (tools/linux-disk-test.sh).  Prints one line per process:
#
#   FORMICA-RESULT: disk-two proc=writer guest=NAME sectors=N ok|fail
#   FORMICA-RESULT: disk-two proc=reader guest=NAME sectors=N ok|fail
. /lib/formica/vda.sh

name=$(cmdline_arg guest unknown)
n=$(vda_sectors)
if [ -z "$n" ] || [ "$n" -lt 256 ]; then
	echo "FORMICA-RESULT: disk-two fail no /dev/vda"
	exit 1
fi
half=$((n / 2 / 128 * 128))      # whole 64 KiB blocks
rest=$((n - half))
pattern "$name" 2 0 $half >/tmp/two-w
pattern "$name" 1 $half $rest >/tmp/two-r
want_w=$(md5_of /tmp/two-w)
want_r=$(md5_of /tmp/two-r)

writer() {
	local st=ok got
	dd if=/tmp/two-w of=/dev/vda bs=64k oflag=direct 2>/dev/null || st=fail
	got=$(dd if=/dev/vda bs=64k count=$((half / 128)) iflag=direct 2>/dev/null | md5sum)
	[ "${got%% *}" = "$want_w" ] || st=fail
	echo "FORMICA-RESULT: disk-two proc=writer guest=$name sectors=$half $st"
	[ $st = ok ]
}
reader() {
	local st=ok got i
	for i in 1 2; do
		got=$(dd if=/dev/vda bs=64k skip=$((half / 128)) iflag=direct 2>/dev/null | md5sum)
		[ "${got%% *}" = "$want_r" ] || st=fail
	done
	echo "FORMICA-RESULT: disk-two proc=reader guest=$name sectors=$rest $st"
	[ $st = ok ]
}

writer & w=$!
reader & r=$!
st=0
wait $w || st=1
wait $r || st=1
rm -f /tmp/two-w /tmp/two-r
exit $st
