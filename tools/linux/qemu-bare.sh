#!/bin/bash
# qemu-bare.sh [--initrd F] [--append ARGS] [--megs N] [--timeout S] [--out FILE]
#              [--disk IMG]
#
# The quickest way to try a guest workload: Debian's kernel and an initramfs
# booted directly (-kernel/-initrd, no firmware, no hypervisor) in QEMU's
# TCG, serial console to FILE (default build/linux/qemu-bare.log) and to
# stdout.  No VT-x is involved, so this checks only the guest side (the
# initramfs, the workload programs, tracefs); numbers from it say nothing
# about Formica.  --disk IMG gives the guest a raw disk as a legacy
# (transitional) virtio-blk PCI device, what Formica offers its guests, so
# the disk workloads can be tried on it (the initramfs needs
# MODULES="virtio_pci virtio_blk").  Exits 0 when the guest printed "FORMICA-INIT: done", 1
# otherwise (timeout or kernel panic).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
INITRD=$TOP/build/linux/initramfs.cpio.gz
APPEND="console=ttyS0,115200 nokaslr acpi=off quiet cryptomgr.notests nowatchdog"
MEGS=1024
TIMEOUT=600
OUT=$TOP/build/linux/qemu-bare.log
DISK=()
while [ $# -gt 0 ]; do
	case "$1" in
	--initrd) INITRD=$2; shift 2 ;;
	--append) APPEND="$APPEND $2"; shift 2 ;;
	--megs) MEGS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--disk) DISK=(-drive "if=none,id=vd,format=raw,file=$2"
		-device virtio-blk-pci,drive=vd,disable-modern=on); shift 2 ;;
	*) echo "qemu-bare.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
"$TOP/tools/linux/fetch-kernel.sh" >/dev/null 2>&1
[ -r "$INITRD" ] || { echo "qemu-bare.sh: no initrd $INITRD" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
# acpi=off: the guest's poweroff -f only halts, so watch the log and stop
# QEMU ourselves once the guest is done, halted or panicked.
: >"$OUT"
qemu-system-x86_64 -machine pc -accel tcg -m "$MEGS" -display none \
	-no-reboot -kernel "$TOP/build/linux/vmlinuz" -initrd "$INITRD" \
	-append "$APPEND panic=-1" -serial "file:$OUT" -monitor none ${DISK[@]+"${DISK[@]}"} </dev/null &
QPID=$!
trap 'kill $QPID 2>/dev/null || true' EXIT
t=0
while kill -0 $QPID 2>/dev/null && [ $t -lt $((TIMEOUT * 2)) ]; do
	if grep -qE "System halted|Kernel panic|reboot: Power down" "$OUT"; then break; fi
	sleep 0.5; t=$((t + 1))
done
kill $QPID 2>/dev/null || true
cat "$OUT"
grep -q "FORMICA-INIT: done" "$OUT"
