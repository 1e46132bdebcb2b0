#!/usr/bin/env bash
# usb-test.sh [IMG] - build/formica-usb.img (make usb) is what a USB stick
# needs, and boots from one.
#
#   layout   the image has a protective MBR (one 0xEE entry, 0x55AA) and a
#            valid GPT whose partition 1 is an EFI system partition (EF00)
#            holding EFI/BOOT/BOOTX64.EFI and formica/hv.bin
#   boot     QEMU q35 + OVMF with the image as a usb-storage stick on an
#            xHCI controller and no other disk: OVMF must boot it from the
#            USB device path, the loader must print its line, and the
#            hypervisor its first banner line.  What follows depends on
#            the CPU (on TCG without a backend for it the hv says VT-x is
#            missing and powers off), so the test stops at the banner.
# Prints "PASS name" / "FAIL name: why", exits non-zero on a failure.
# Logs in build/usb-test/.  Environment: USB_TIMEOUT (s, default 90).
set -u
img=${1:-build/formica-usb.img}
out=build/usb-test
mkdir -p $out
failed=0
pass() { echo "PASS usb $1"; }
fail() { echo "FAIL usb $1: $2"; failed=1; }
export MTOOLS_SKIP_CHECK=1

# --- layout --------------------------------------------------------------------
if [ ! -f "$img" ]; then
	fail layout "no $img (make usb)"
	exit 1
fi
mbr=$(od -An -tx1 -j 446 -N 66 "$img" | tr -d ' \n')
# Entry 1: boot flag, CHS, type at byte 4; the signature is the last 2 bytes.
if [ "${mbr:8:2}" = ee ] && [ "${mbr: -4}" = 55aa ]; then
	pass "layout: protective MBR"
else
	fail "layout" "no protective MBR (entry 1 type ${mbr:8:2}, signature ${mbr: -4})"
fi
# A GPT header at LBA 1 (UEFI spec 5.3.2), and sgdisk reads it as it is
# (on a disk without one it would build one in memory and say so).
sgdisk --verify "$img" > $out/verify.txt 2>&1
if [ "$(dd if="$img" bs=512 skip=1 count=1 status=none | head -c 8 | tr -d "\0")" != "EFI PART" ]; then
	fail "layout" "no GPT header signature at LBA 1"
elif grep -q 'No problems found' $out/verify.txt && ! grep -qi 'invalid GPT' $out/verify.txt; then
	pass "layout: GPT header at LBA 1, sgdisk --verify finds no problems"
else
	fail "layout" "sgdisk --verify: $(grep -v '^\**$' $out/verify.txt | head -3 | tr '\n' ' ')"
fi
part=$(sgdisk -p "$img" 2>/dev/null | awk '$1 == 1 { print $2, $6 }')
start=${part% *}
if [ "${part#* }" = EF00 ] && [ -n "$start" ]; then
	pass "layout: partition 1 is the ESP (EF00) at LBA $start"
	for f in EFI/BOOT/BOOTX64.EFI formica/hv.bin formica/formica.cfg; do
		if mdir -b -i "$img@@$((start * 512))" "::/$f" >/dev/null 2>&1; then
			pass "layout: ESP holds $f"
		else
			fail "layout" "no $f in the ESP"
		fi
	done
else
	fail "layout" "partition 1 is not an EFI system partition: ${part:-none}"
fi

# --- boot from an emulated USB stick ------------------------------------------
log=$out/serial.log
echo "usb: booting $img from a QEMU usb-storage stick (xHCI, OVMF)"
tools/qemu-run.sh --esp "$img" --usb --log $log --timeout "${USB_TIMEOUT:-90}" \
	--marker '^\[ *[0-9.]+\] formica: hypervisor at' > $out/qemu.out 2>&1
# OVMF names the boot option by its device path; ours must run through USB().
if grep -aEq 'BdsDxe: starting Boot[0-9A-F]+ .* from .*/USB\(' $log; then
	pass "boot: OVMF started the image from a USB device path"
else
	fail "boot" "OVMF did not start a USB boot option; see $log"
fi
if grep -aq '^formica: boot' $log; then pass "boot: the loader ran"
else fail "boot" "no loader line 'formica: boot'; see $log"; fi
if grep -aEq '^\[ *[0-9.]+\] formica: hypervisor at 0x[0-9a-f]+' $log; then
	pass "boot: the hypervisor printed its banner"
	grep -aE 'formica: hypervisor at|VT-x|SVM|formica: powering off' $log | head -4 | sed 's/^/  usb: /'
else
	fail "boot" "no hypervisor banner line; see $log"
fi
exit $failed
