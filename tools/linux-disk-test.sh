#!/usr/bin/env bash
# linux-disk-test.sh - two Linux guests under formica in Bochs, each with
# its own disk (issue 11): the virtio-blk device the hv makes of the
# guest's extents of a second ATA disk (ata0-slave).
#
# The data disk starts with a known background in every sector
# (tools/storage/disktool.py mkdata), and the harness records the checksum
# of everything outside the extents.  Each guest loads virtio_pci and
# virtio_blk, writes its own pattern over all of /dev/vda and reads it
# back (tools/linux/workloads/disk-pattern.sh), then rewrites the first
# half while a second process reads the second half (disk-two.sh).  Then,
# on the host: each guest's extents, end to end, hold its pattern (first
# half generation 2, second half generation 1), and not one byte outside
# the extents changed, nor the ESP.
#
# Config: tools/configs/linux-disk.cfg.  Prints PASS/FAIL lines, exits
# non-zero on a failure.  Logs and images stay in build/linux-disk-test/.
# Environment: FORMICA_KERNEL (kernel kit, default build/linux-6.12),
# LINUX_DISK_TIMEOUT (Bochs wall seconds, default 1800),
# LINUX_DISK_CHECK_ONLY=1 (no boot: check the last run's log and images),
# LINUX_DISK_BENCH=qemu (QEMU's q35 under TCG instead: AMD SVM, hv/svm/,
# the data disk on an AHCI controller, tools/qemu-run.sh --data; logs in
# build/linux-disk-test-svm/).
set -u
cd "$(dirname "$0")/.."
B=build/linux-disk-test
bench=${LINUX_DISK_BENCH:-bochs}
[ "$bench" = qemu ] && B=build/linux-disk-test-svm
# Debian's 6.12 by default: its zstd kernel unpacks in the guest in a
# fraction of 6.1's XZ time (34 s against 184 s of hv time for two guests),
# and make test then boots both kernels (linux-test.sh runs 6.1).
K=${FORMICA_KERNEL:-build/linux-6.12}
[ -e $K/vmlinuz ] || make --no-print-directory $K/vmlinuz >/dev/null ||
	{ echo "FAIL linux-disk build: cannot fetch the kernel kit $K"; exit 1; }
CFG=tools/configs/linux-disk.cfg
T="python3 tools/storage/disktool.py"
DATA_SECTORS=64512 # 64 cylinders of 16 heads x 63 sectors (Bochs's flat disk)
GUESTS="linux1 linux2"
KVER=$(cat $K/version 2>/dev/null)
mkdir -p $B
echo "linux-disk-test: kernel ${KVER:-unknown} from $K/vmlinuz"
fails=0
pass() { echo "PASS linux-disk $1"; }
fail() { echo "FAIL linux-disk $1: $2"; fails=$((fails + 1)); }

# ---------------------------------------------------------------- boot
# The images, the checksums the checks compare against, and the boot.
data=$B/data.img log=$B/serial.log
boot() {
	local initrd=$B/disk.cpio.gz all st t0=$SECONDS
	MODULES="virtio_pci virtio_blk" KMODDIR=$K/modules/$KVER tools/linux/mkinitramfs.sh $initrd \
		tools/linux/workloads/disk-pattern.sh tools/linux/workloads/disk-two.sh \
		2>$B/mkinitramfs.log || { cat $B/mkinitramfs.log; fail build "cannot build the initramfs"; exit 1; }
	tools/mkesp.sh $B/esp.img $CFG build/formica.efi build/hv.bin $K/vmlinuz $initrd ||
		{ fail build "cannot build the ESP"; exit 1; }
	$T mkdata $data $DATA_SECTORS
	mapfile -t all < <($T extents $CFG)
	$T sum $data "${all[@]}" >$B/data.sum
	sha256sum <$B/esp.img | cut -d' ' -f1 >$B/esp.sum
	if [ "$bench" = qemu ]; then
		tools/qemu-run.sh --esp $B/esp.img --data $data --log $log \
			--timeout "${LINUX_DISK_TIMEOUT:-1800}" -- -m 1536 >$B/$bench.out 2>&1
	else
		tools/storage/bochs-storage.sh --esp $B/esp.img --data $data --log $log --megs 1536 \
			--timeout "${LINUX_DISK_TIMEOUT:-1800}" >$B/$bench.out 2>&1
	fi
	st=$?
	echo "linux-disk-test: $bench took $((SECONDS - t0)) s wall ($(tail -1 $B/$bench.out))"
	[ $st -eq 0 ] || fail boot "no clean end ($bench run status $st, log $log)"
}
[ -n "${LINUX_DISK_CHECK_ONLY:-}" ] || boot
mapfile -t all < <($T extents $CFG)

# ---------------------------------------------------------------- the guests
check_guest() { # NAME SECTORS
	local n=$1 sectors=$2 half=$(($2 / 2 / 128 * 128)) w
	# virtio_pci and its helpers are modules in 6.1, built in in 6.12.
	grep -aq "\\[$n\\] FORMICA-MODULE: virtio_blk.ko ok" $log ||
		{ fail "$n" "virtio_blk not loaded (see $log)"; return; }
	! grep -aq "\\[$n\\] FORMICA-MODULE: .* fail" $log ||
		{ fail "$n" "a module failed to load (see $log)"; return; }
	local want=(
		"\\[$n\\] FORMICA-RESULT: disk-pattern guest=$n sectors=$sectors md5=[0-9a-f]+ ok"
		"\\[$n\\] FORMICA-RESULT: disk-two proc=writer guest=$n sectors=$half ok"
		"\\[$n\\] FORMICA-RESULT: disk-two proc=reader guest=$n sectors=$((sectors - half)) ok"
		"\\[$n\\] FORMICA-INIT: done .*status=ok"
		"guest $n: ended=halted run_us=[0-9]+")
	for w in "${want[@]}"; do
		grep -aEq -- "$w" $log || { fail "$n" "no line matches: $w (see $log)"; return; }
	done
	# The hv's own view: the guest's requests went through the scheduler.
	grep -aEq "(^|[] ])io .*guest=$n .*reads=[1-9]" $log ||
		{ fail "$n" "no io line with reads for guest $n (see $log)"; return; }
	pass "$n guest checks ($(grep -ao "\\[$n\\] FORMICA-TIME: 01-disk-pattern seconds=[0-9.]*" $log |
		sed 's/.*=//') s pattern, $(grep -ao "\\[$n\\] FORMICA-TIME: 02-disk-two seconds=[0-9.]*" $log |
		sed 's/.*=//') s two processes, guest time)"
}

# ---------------------------------------------------------------- the disk
check_extents() { # NAME SECTORS
	local n=$1 sectors=$2 half=$(($2 / 2 / 128 * 128)) ext out
	mapfile -t ext < <($T extents $CFG "$n")
	out=$($T verify-guest $data "$n" "${ext[@]}")
	echo "$out" >$B/verify-$n.txt
	local want="verify-guest $n: $sectors/$sectors sectors carry its pattern, gen1=$((sectors - half)) gen2=$half"
	[ "$(echo "$out" | tail -1)" = "$want" ] ||
		{ fail "$n extents" "$(echo "$out" | tail -1) (want: ${want#*: })"; return; }
	pass "$n extents ${ext[*]} hold its pattern"
}

for n in $GUESTS; do
	sectors=0
	for e in $($T extents $CFG "$n"); do sectors=$((sectors + ${e#*+})); done
	check_guest "$n" $sectors
	check_extents "$n" $sectors
done
if [ "$($T sum $data "${all[@]}")" = "$(cat $B/data.sum)" ]; then
	pass "data disk outside the extents unchanged"
else
	fail "outside" "the data disk changed outside the extents"
fi
[ "$(sha256sum <$B/esp.img | cut -d' ' -f1)" = "$(cat $B/esp.sum)" ] && pass "ESP unchanged" ||
	fail "esp" "the ESP image changed"
[ $fails -eq 0 ]
