#!/usr/bin/env bash
# mkusb.sh IMG CONFIG EFI HVBIN [FILE...] - a whole-disk image for a USB stick.
#
# build/esp.img is a bare FAT volume: fine for Bochs and QEMU, but many
# firmwares look for the EFI system partition only in a partition table.
# This wraps the same files (tools/mkesp.sh) in what a disk from a shop has:
#   LBA 0         protective MBR (one partition of type 0xEE over the disk,
#                 so MBR-only tools see the disk as used, UEFI spec 5.2.3)
#   LBA 1-33      primary GPT header and partition entries
#   1 MiB ...     partition 1: the ESP (type EF00), FAT32
#   last 33 LBAs  backup GPT (UEFI spec 5.3.1)
# `dd if=IMG of=/dev/sdX bs=1M` then makes the stick bootable; README.md,
# "Booting it", says how to find the right sdX.  sgdisk (Debian: gdisk)
# writes the tables; no root, no loop device.
set -eu
img=$1; shift
mib=$((1024 * 1024))
start=2048                        # first LBA of the ESP: 1 MiB, aligned
fat=$img.esp
tools/mkesp.sh --partition $start "$fat" "$@"
fat_bytes=$(stat -c %s "$fat")
rm -f "$img"
truncate -s $((mib + fat_bytes + mib)) "$img"   # 1 MiB after it: the backup GPT
sgdisk --clear --new=1:$start:+$((fat_bytes / 512)) --typecode=1:EF00 \
	--change-name=1:"Formica ESP" "$img" >/dev/null
dd if="$fat" of="$img" bs=1M seek=1 conv=notrunc status=none
rm -f "$fat"
sgdisk --verify "$img" | grep -q 'No problems found' || { sgdisk --verify "$img"; exit 1; }
echo "mkusb: $img ($(( (fat_bytes + 2 * mib) / mib )) MiB): GPT + protective MBR, ESP at LBA $start"
