#!/usr/bin/env bash
# mkesp.sh [--partition LBA] IMG CONFIG EFI HVBIN [FILE...] - build a FAT ESP image:
#   EFI/BOOT/BOOTX64.EFI   the boot application
#   formica/formica.cfg    CONFIG
#   formica/hv.bin         the hypervisor
#   formica/<basename>     every other FILE (guest kernels, initrds)
# No root needed: mtools writes into the image file.  The size is what the
# files need plus slack, rounded to whole 16-head, 63-sector cylinders so
# Bochs accepts it as a flat disk.
#
# FORMICA_SHADOW=cached|synced|reference: the image's formica.cfg says
# "shadow = " that (replacing any shadow line of CONFIG), so every harness
# that builds its image here can run under another shadow policy
# (hv/mm/README.md) without a config of its own.  FORMICA_SHADOW_2M=on|off
# does the same for "shadow_2m = " (2 MiB shadow leaves), FORMICA_SAMPLE_MS=N
# for "sample_ms = " (0: no sampling, so no working-set harvest, which 2 MiB
# leaves need), FORMICA_LOG=summary|switches|verbose|counts for "log = ".
#
# --partition LBA: the volume is to sit in a partition starting at LBA (the
# USB image, tools/mkusb.sh).  FAT32 then, the file system the UEFI spec
# (13.3.1.1) names for an ESP and the one every firmware reads, at least
# 64 MiB (FAT32 needs 65525 clusters), a whole number of MiB, and the boot
# sector's "hidden sectors" field says where the partition starts.
set -eu
part=
if [ "$1" = --partition ]; then part=$2; shift 2; fi
img=$1 cfg=$2 efi=$3 hv=$4; shift 4
bytes=$(du -cb "$efi" "$hv" "$cfg" "$@" | tail -1 | cut -f1)
fatopts=()
if [ -n "$part" ]; then
	mib=$((1024 * 1024))
	size=$(( (bytes * 11 / 10 + 8 * mib + mib - 1) / mib * mib ))
	[ $size -ge $((64 * mib)) ] || size=$((64 * mib))
	fatopts=(-F 32 -h "$part")
else
	cyl=$((16 * 63 * 512))
	size=$(( (bytes * 11 / 10 + 8 * 1024 * 1024 + cyl - 1) / cyl * cyl ))
fi
mkdir -p "$(dirname "$img")"
# Built under a name of its own, then renamed: two makes that rebuild the
# same image at once (make test's two lanes) each write their own file.
out=$img
img=$out.tmp.$$
trap 'rm -f "$img"' EXIT
truncate -s "$size" "$img"
mkfs.fat "${fatopts[@]}" -n FORMICA "$img" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$img" ::/EFI ::/EFI/BOOT ::/formica
mcopy -i "$img" "$efi" ::/EFI/BOOT/BOOTX64.EFI
set_keys=() # "key = value" lines the environment puts in place of CONFIG's
[ -z "${FORMICA_SHADOW:-}" ] || set_keys+=("shadow = $FORMICA_SHADOW")
[ -z "${FORMICA_SHADOW_2M:-}" ] || set_keys+=("shadow_2m = $FORMICA_SHADOW_2M")
[ -z "${FORMICA_SAMPLE_MS:-}" ] || set_keys+=("sample_ms = $FORMICA_SAMPLE_MS")
[ -z "${FORMICA_LOG:-}" ] || set_keys+=("log = $FORMICA_LOG")
if [ ${#set_keys[@]} -gt 0 ]; then
	keys=$(printf '%s\n' "${set_keys[@]}" | sed 's/ = .*//' | paste -sd'|')
	{ printf '%s\n' "${set_keys[@]}"; grep -vE "^[[:space:]]*($keys)[[:space:]]*=" "$cfg"; } > "$img.cfg"
	cfg=$img.cfg
	trap 'rm -f "$img" "$img.cfg"' EXIT
fi
mcopy -i "$img" "$cfg" ::/formica/formica.cfg
mcopy -i "$img" "$hv" ::/formica/hv.bin
for f in "$@"; do mcopy -i "$img" "$f" "::/formica/$(basename "$f")"; done
mv -f "$img" "$out"
