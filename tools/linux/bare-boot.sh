#!/bin/bash
# bare-boot.sh [options]
#
# Boot Debian's stock kernel BARE (no hypervisor) in Bochs through OVMF and
# the kernel's own EFI stub, with the initramfs of mkinitramfs.sh; watch the
# serial log for FORMICA-INIT: done (or a kernel panic, or the timeout), stop
# Bochs by its pid and print the timings.  This is the "bare run on the same
# emulator" baseline for `make bench`.
#
# How the EFI stub gets its command line and initrd (see README.md):
#   --method shell (default)  OVMF.fd has the UEFI Shell built in and boots it
#       when the disk has no EFI/BOOT/BOOTX64.EFI; the Shell runs
#       \startup.nsh from the ESP, which starts \linux.efi (the bzImage) with
#       "initrd=\initrd.img console=ttyS0,..." as its load options.  Debian's
#       kernel has CONFIG_EFI_GENERIC_STUB_INITRD_CMDLINE_LOADER=y, so the
#       stub reads initrd= from the volume it was loaded from.  Costs the
#       Shell's 5 s (virtual) "Press ESC" countdown.
#   --method uki      EFI/BOOT/BOOTX64.EFI = a unified kernel image: Debian's
#       systemd-stub (package systemd-boot-efi, linuxx64.efi.stub; used from
#       /usr/lib/systemd/boot/efi/ if installed, else apt-get download'ed and
#       unpacked under build/linux/) with .cmdline, .linux and .initrd
#       sections added by objcopy.  OVMF boots it with no Shell; the stub
#       starts the kernel with the embedded command line and hands it the
#       initrd through LINUX_EFI_INITRD_MEDIA_GUID (LoadFile2).
#   --method direct   EFI/BOOT/BOOTX64.EFI = the bzImage itself.  OVMF passes
#       no load options on this path, so the kernel gets an empty command
#       line and no initrd: the kernel runs (its timer ticks show in bochs.log)
#       but prints nothing on COM1, and has no root to mount.  Kept
#       as a demonstration (it ends on the timeout).
#
# Options:
#   --timeout S        give up after S seconds of wall time (default 600)
#   --megs N           guest memory in MB (default 512)
#   --append "ARGS"    extra kernel command line arguments
#   --cmdline "ARGS"   replace the default command line (initrd= is added)
#   --initrd FILE      initramfs (default: build/linux/initramfs.cpio.gz,
#                      rebuilt by mkinitramfs.sh when missing or stale)
#   --out DIR          where to put esp.img, bochsrc, serial.log, result
#                      (default build/linux/bare)
#
# Output: human-readable timings on stdout, and DIR/result (KEY=VALUE lines:
# kernel, wall_start_s, wall_done_s, guest_start_uptime_s, ...).
# Exit status: 0 if FORMICA-INIT: done arrived with status=ok, 1 otherwise.
set -euo pipefail

die() { echo "bare-boot: error: $*" >&2; exit 2; }
log() { echo "bare-boot: $*" >&2; }

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=bochs-lib.sh
. "$HERE/bochs-lib.sh"

TIMEOUT=600
MEGS=512
METHOD=shell
OUT=$TOP/build/linux/bare
INITRD=
APPEND=
# Why each argument (README.md has the measurements):
#   console=/earlyprintk=  everything on COM1, which Bochs writes to a file
#   nokaslr                same addresses every boot (debuggable, comparable)
#   mitigations=off        no PTI/retpoline work on an emulated CPU
#   clearcpuid=aperfmperf  Bochs' Haswell model sets CPUID.6:ECX[0] but has no
#                          MSRs 0xE7/0xE8: the kernel read both on every tick,
#                          each a #GP and two lines in bochs.log
#   cryptomgr.notests      skip crypto self-tests (~230 s guest time, ~60%
#                          of boot-to-init, at Bochs' default ips)
#   nowatchdog             no soft-lockup detector (it fires during the W+X
#                          page-table check, which is slow under Bochs)
CMDLINE="console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 nokaslr mitigations=off clearcpuid=aperfmperf cryptomgr.notests nowatchdog"
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--megs) MEGS=$2; shift 2 ;;
	--method) METHOD=$2; shift 2 ;;
	--append) APPEND=$2; shift 2 ;;
	--cmdline) CMDLINE=$2; shift 2 ;;
	--initrd) INITRD=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
[[ "$MEGS" =~ ^[0-9]+$ ]] || die "--megs wants MB"
case "$METHOD" in shell|uki|direct) ;; *) die "--method is shell, uki or direct" ;; esac
for t in mkfs.fat mcopy mmd; do
	command -v $t >/dev/null || die "$t not found: apt-get install dosfstools mtools"
done

# ---------------------------------------------------------------- inputs
"$HERE/fetch-kernel.sh" >/dev/null || die "fetch-kernel.sh failed"
KDIR=$TOP/build/linux
KREL=$(cat "$KDIR/version")
if [ -z "$INITRD" ]; then
	INITRD=$KDIR/initramfs.cpio.gz
	if [ ! -s "$INITRD" ] || [ "$HERE/mkinitramfs.sh" -nt "$INITRD" ]; then
		"$HERE/mkinitramfs.sh" "$INITRD" || die "mkinitramfs.sh failed"
	fi
fi
[ -s "$INITRD" ] || die "initrd $INITRD missing"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ESP=$OUT/esp.img
RC=$OUT/bochsrc
SERIAL=$OUT/serial.log
BLOG=$OUT/bochs.log
RESULT=$OUT/result
rm -f "$SERIAL" "$BLOG" "$RESULT"

FULLCMD="initrd=\\initrd.img $CMDLINE${APPEND:+ $APPEND}"
[ "$METHOD" = uki ] && FULLCMD="$CMDLINE${APPEND:+ $APPEND}"
[ "$METHOD" = direct ] && FULLCMD="(none: OVMF passes no load options)"

sd_stub() {   # path of systemd-stub's linuxx64.efi.stub, fetched if needed
	local s=/usr/lib/systemd/boot/efi/linuxx64.efi.stub d=$TOP/build/linux/systemd-stub deb
	[ -r "$s" ] && { echo "$s"; return; }
	[ -r "$d/x/usr/lib/systemd/boot/efi/linuxx64.efi.stub" ] && { echo "$d/x/usr/lib/systemd/boot/efi/linuxx64.efi.stub"; return; }
	mkdir -p "$d" && chmod 0777 "$d"
	( cd "$d" && apt-get download -q systemd-boot-efi >&2 ) || die "cannot apt-get download systemd-boot-efi"
	deb=$(ls "$d"/systemd-boot-efi_*.deb 2>/dev/null | head -n1 || true)
	[ -n "$deb" ] || die "apt-get download systemd-boot-efi left no .deb in $d"
	dpkg-deb -x "$deb" "$d/x" || die "dpkg-deb -x $deb failed"
	echo "$d/x/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
}

# ---------------------------------------------------------------- ESP
# A "superfloppy" FAT image (no partition table: OVMF mounts the whole disk),
# a whole number of 16-head/63-sector cylinders for Bochs' flat disk, built
# with mtools (no loop mounts, no root).
need=$(( ( $(stat -c %s "$KDIR/vmlinuz") + $(stat -c %s "$INITRD") ) / 1024 + 4096 ))
cylkb=504   # 16*63*512 bytes
kb=$(( (need + cylkb - 1) / cylkb * cylkb ))
[ $kb -lt 16128 ] && kb=16128
rm -f "$ESP"
mkfs.fat -C -n FORMICA "$ESP" $kb >/dev/null || die "mkfs.fat failed"
export MTOOLS_SKIP_CHECK=1
case "$METHOD" in
shell)
	# The Shell does not take startup.nsh from EFI/BOOT/; it looks in the
	# root of each mapped file system.  Lines end in CRLF.
	printf '%s\r\n' \
		'@echo -off' \
		'echo FORMICA-ESP: startup.nsh' \
		'fs0:' \
		"\\linux.efi $FULLCMD" \
		'echo FORMICA-ESP: linux.efi returned' >"$OUT/startup.nsh"
	mcopy -i "$ESP" "$KDIR/vmlinuz" ::/linux.efi
	mcopy -i "$ESP" "$INITRD" ::/initrd.img
	mcopy -i "$ESP" "$OUT/startup.nsh" ::/startup.nsh
	;;
uki)
	command -v objcopy >/dev/null || die "objcopy not found: apt-get install binutils"
	STUB=$(sd_stub)
	printf '%s' "$FULLCMD" >"$OUT/cmdline.txt"
	# Section addresses past the stub's own image (which ends below 0x20000);
	# the kernel (< 16 MB) and initrd must not overlap.
	objcopy \
		--add-section .cmdline="$OUT/cmdline.txt" --change-section-vma .cmdline=0x30000 \
		--add-section .linux="$KDIR/vmlinuz" --change-section-vma .linux=0x2000000 \
		--add-section .initrd="$INITRD" --change-section-vma .initrd=0x3000000 \
		"$STUB" "$OUT/uki.efi" || die "objcopy could not build the UKI"
	mmd -i "$ESP" ::/EFI ::/EFI/BOOT
	mcopy -i "$ESP" "$OUT/uki.efi" ::/EFI/BOOT/BOOTX64.EFI
	;;
direct)
	mmd -i "$ESP" ::/EFI ::/EFI/BOOT
	mcopy -i "$ESP" "$KDIR/vmlinuz" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$ESP" "$INITRD" ::/initrd.img
	;;
esac

# ---------------------------------------------------------------- run
bochs_write_rc "$RC" "$ESP" "$SERIAL" "$MEGS" "$BLOG"
log "kernel $KREL, method $METHOD, ${MEGS} MB, timeout ${TIMEOUT}s"
log "cmdline: $FULLCMD"
: >"$SERIAL"
# One Bochs at a time on this shared machine: wait for anyone else's first.
export BOCHS_WAIT_OTHERS=${BOCHS_WAIT_OTHERS:-1800}
bochs_start "$RC" "$OUT"
log "bochs pid $BOCHS_PID; serial log $SERIAL"
# serial.timeline: every serial line prefixed with the wall seconds since
# Bochs started at which we saw it (0.2 s resolution or so).
(
	t0=$BOCHS_T0
	tail -n +1 -F "$SERIAL" --pid="$BOCHS_PID" 2>/dev/null | while IFS= read -r line; do
		now=${EPOCHREALTIME/./}
		us=$(( now - t0 / 1000 ))
		printf '%d.%02d %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "${line%$'\r'}"
	done
) >"$OUT/serial.timeline" &
TLPID=$!

# Marker -> wall seconds since Bochs started, first time seen.
declare -A SEEN=()
MARKERS=(
	"shell|UEFI Interactive Shell"
	"nsh|FORMICA-ESP: startup.nsh"
	"stub|EFI stub: "
	"linux|Linux version "
	"init_start|FORMICA-INIT: start"
	"done|FORMICA-INIT: done"
	"panic|Kernel panic"
)
el() { awk -v a="$1" -v b="$(bochs_now_ns)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }
outcome=timeout
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
	for m in "${MARKERS[@]}"; do
		k=${m%%|*}; pat=${m#*|}
		if [ -z "${SEEN[$k]:-}" ] && grep -aqF "$pat" "$SERIAL"; then
			SEEN[$k]=$(el "$BOCHS_T0")
			log "+${SEEN[$k]}s $pat"
		fi
	done
	[ -n "${SEEN[done]:-}" ] && { outcome="done"; break; }
	[ -n "${SEEN[panic]:-}" ] && { sleep 2; outcome=panic; break; }
	kill -0 "$BOCHS_PID" 2>/dev/null || { outcome=bochs-exited; break; }
	[ "$(date +%s)" -ge "$deadline" ] && break
	sleep 0.2
done
TOTAL=$(el "$BOCHS_T0")
bochs_stop
trap - EXIT INT TERM
wait "$TLPID" 2>/dev/null || true   # tail --pid ends once Bochs is gone

# ---------------------------------------------------------------- report
g() { grep -a "$1" "$SERIAL" | head -n1 | tr -d '\r' || true; }
up_start=$(g 'FORMICA-INIT: start' | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p')
up_done=$(g 'FORMICA-INIT: done' | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p')
status=$(g 'FORMICA-INIT: done' | sed -n 's/.*status=\([a-z]*\).*/\1/p')
{
	echo "kernel=$KREL"
	echo "method=$METHOD"
	echo "megs=$MEGS"
	echo "outcome=$outcome"
	echo "status=${status:-}"
	echo "wall_total_s=$TOTAL"
	for k in shell nsh stub linux init_start "done"; do echo "wall_${k}_s=${SEEN[$k]:-}"; done
	echo "guest_start_uptime_s=${up_start:-}"
	echo "guest_done_uptime_s=${up_done:-}"
	# FORMICA-RESULT: forkexec n=1000 ok  -> result_forkexec=n=1000 ok
	# FORMICA-TIME: forkexec seconds=2.5  -> time_forkexec_s=2.5
	# FORMICA-MODULE: virtio.ko ok        -> module_virtio.ko=ok
	grep -a -E '^FORMICA-(RESULT|TIME|MODULE):' "$SERIAL" | tr -d '\r' |
		sed -E -e 's/^FORMICA-TIME: ([^ ]+) seconds=(.*)$/time_\1_s=\2/' \
			-e 's/^FORMICA-([A-Z]+): ([^ ]+) (.*)$/\L\1\E_\2=\3/' || true
	echo "cmdline=$FULLCMD"
} >"$RESULT"

echo "bare-boot: kernel $KREL ($METHOD, ${MEGS} MB): $outcome${status:+, status=$status}"
printf '  wall time from Bochs start: UEFI Shell %ss, startup.nsh %ss, EFI stub %ss, Linux banner %ss,\n' \
	"${SEEN[shell]:--}" "${SEEN[nsh]:--}" "${SEEN[stub]:--}" "${SEEN[linux]:--}"
printf '    FORMICA-INIT: start %ss, FORMICA-INIT: done %ss (Bochs stopped at %ss)\n' \
	"${SEEN[init_start]:--}" "${SEEN[done]:--}" "$TOTAL"
printf '  guest uptime: at init start %ss, at done %ss\n' "${up_start:--}" "${up_done:--}"
grep -a -E '^FORMICA-(RESULT|TIME|MODULE):' "$SERIAL" | tr -d '\r' | sed 's/^/  /' || true
echo "  serial log: $SERIAL (with wall times: $OUT/serial.timeline); summary: $RESULT"
[ "$outcome" = "done" ] && [ "$status" = ok ]
