# disk-pattern.sh - a step for tools/linux/mkinitramfs.sh: write a known
# pattern over the whole of /dev/vda, read it back, check it.
#
# The pattern (lib/vda.sh) names the guest and the sector in every sector,
# so tools/linux-disk-test.sh can check on the host that each guest's
# extents hold its own pattern and nothing else moved.  Writes and reads go
# around the page cache (O_DIRECT), so the read really comes from the disk,
# 64 KiB per request.  Prints
#
#   FORMICA-RESULT: disk-pattern guest=NAME sectors=N md5=M ok|fail
#
# or "FORMICA-RESULT: disk-pattern fail no /dev/vda" when there is no disk.
. /lib/formica/vda.sh

name=$(cmdline_arg guest unknown)
n=$(vda_sectors)
if [ -z "$n" ] || [ "$n" = 0 ]; then
	echo "FORMICA-RESULT: disk-pattern fail no /dev/vda"
	exit 1
fi
pat=/tmp/disk-pattern
pattern "$name" 1 0 "$n" >$pat
want=$(md5_of $pat)
st=ok
dd if=$pat of=/dev/vda bs=64k oflag=direct 2>/tmp/dd.err || { st=fail; cat /tmp/dd.err; }
got=$(dd if=/dev/vda bs=64k iflag=direct 2>/tmp/dd.err | md5sum) || st=fail
got=${got%% *}
[ "$got" = "$want" ] || { st=fail; echo "disk-pattern: read back md5 $got, wrote $want"; cat /tmp/dd.err; }
rm -f $pat
echo "FORMICA-RESULT: disk-pattern guest=$name sectors=$n md5=$want $st"
[ $st = ok ]
