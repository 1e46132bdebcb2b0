#!/usr/bin/env bash
# qemu-run.sh --esp IMG --log FILE [--usb] [--data IMG] [--pci-serial] [--timeout S]
#             [--marker REGEX] [--then CMD] [-- QEMU ARGS...]
#
# Boots formica in QEMU with OVMF.  Where KVM can run a hypervisor
# (tools/kvm-usable.sh: /dev/kvm, a CPU with VT-x or SVM, nested on) we use
# KVM with the host CPU (nested VT-x or SVM: both untested); otherwise
# QEMU's TCG with -cpu max, which emulates AMD SVM (not VMX): formica runs
# its guests on hv/svm/.  The serial console goes to
# the terminal and to FILE.  Returns when QEMU exits (formica powers off),
# the marker appears, or the timeout passes.
#
# --usb: IMG is a USB stick (build/formica-usb.img) on an xHCI controller,
# the way a real machine boots it, instead of a plain disk.
# --data IMG: a second disk, the guests' (raw), on an AHCI controller of its
# own (ich9-ahci), as tools/storage-test.sh sets it up: the physical disk
# the hv's AHCI driver (hv/storage/ahci.c) serves the guests' extents from.
# --pci-serial: no legacy COM port; FILE is the console of a PCI 16550
# (QEMU's pci-serial, class 07.00, an I/O BAR), as on a machine with a PCIe
# serial card or Intel AMT Serial-over-LAN (formica.cfg serial = pci/auto).
# --then CMD: run CMD (bash) once the marker is seen, before QEMU is
# stopped (tools/console-test.sh takes a screendump through the monitor).
set -u
esp= log= usb= data= pciser= then= timeout=120 marker='formica: (powering off|stopped)'
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--esp) esp=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--usb) usb=1; shift ;;
	--data) data=$2; shift 2 ;;
	--pci-serial) pciser=1; shift ;;
	--then) then=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--marker) marker=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	*) echo "qemu-run: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$esp" ] && [ -n "$log" ] || { echo "usage: $0 --esp IMG --log FILE" >&2; exit 2; }
code=/usr/share/OVMF/OVMF_CODE_4M.fd
[ -f "$code" ] || code=/usr/share/OVMF/OVMF_CODE.fd
kvm=$("$(dirname "$0")"/kvm-usable.sh) && kvm=yes
if [ "$kvm" = yes ]; then accel=(-enable-kvm -cpu host); echo "qemu-run: KVM, -cpu host"
else accel=(-cpu max); echo "qemu-run: TCG, -cpu max (AMD SVM, no VT-x); KVM $kvm"; fi
# TCG: guest time from the instruction count (-icount), as in Bochs.
# Without it QEMU's TCG clock is the host's: while QEMU's vCPU thread or
# the thread that fires the APIC timer waits for one of the host's shared
# CPUs, guest time runs on, and the hv's deadline timer reaches it late
# (measured: "alarm:" line of the hv's summary, up to 100 ms with other
# emulators running).  With it, guest time stops when QEMU is not running,
# and the timer fires at its instruction.  shift=4: 16 ns per instruction,
# 62.5 M instructions per guest second (Bochs here: BOCHS_IPS, 50 M).
# QEMU_ICOUNT= (empty) turns it off: host time, for the curious.
[ "$kvm" = yes ] || icount=${QEMU_ICOUNT-shift=4,sleep=off}
[ -n "${icount:-}" ] && accel+=(-icount "$icount") && echo "qemu-run: -icount $icount"
if [ -n "$usb" ]; then
	disk=(-device qemu-xhci,id=xhci -drive if=none,id=stick,format=raw,file="$esp"
		-device usb-storage,bus=xhci.0,drive=stick,removable=on)
else
	disk=(-drive format=raw,file="$esp")
fi
[ -n "$data" ] && disk+=(-device ahci,id=ahci -drive if=none,id=data,format=raw,file="$data"
	-device ide-hd,drive=data,bus=ahci.0)
serial=(-serial file:"$log")
[ -n "$pciser" ] && serial=(-serial none -chardev file,id=pcicon,path="$log"
	-device pci-serial,chardev=pcicon)
mkdir -p "$(dirname "$log")"; : > "$log"
qemu-system-x86_64 -machine q35 -m 1024 "${accel[@]}" -nodefaults -no-reboot \
	-drive if=pflash,format=raw,readonly=on,file="$code" \
	"${disk[@]}" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	"${serial[@]}" -display none "${extra[@]}" </dev/null &
pid=$!
tail -n +1 -f "$log" --pid=$pid 2>/dev/null &
tailpid=$!
start=$SECONDS; rc=0; sched=
while kill -0 $pid 2>/dev/null; do
	# /proc/PID/task/*/schedstat: ns on a CPU, ns waiting for one, slices.
	# The busiest thread is the one that runs the guest.
	s=$(cat /proc/$pid/task/*/schedstat 2>/dev/null | sort -n | tail -1) && [ -n "$s" ] && sched=$s
	if grep -aEq "$marker" "$log"; then
		sleep 1
		[ -n "$then" ] && { bash -c "$then" || rc=$?; }
		break
	fi
	if [ $((SECONDS - start)) -ge "$timeout" ]; then echo "qemu-run: timeout after ${timeout}s"; rc=124; break; fi
	sleep 0.5
done
kill $pid 2>/dev/null; wait $pid 2>/dev/null
kill $tailpid 2>/dev/null; wait $tailpid 2>/dev/null
echo "qemu-run: done in $((SECONDS - start)) s, log in $log"
# How much of that the guest's thread ran, and how long it waited for one of
# the host's CPUs (other processes): with -icount, guest time stops while it waits.
[ -n "$sched" ] && set -- $sched &&
	echo "qemu-run: QEMU's busiest thread ran $(($1 / 1000000000)) s, waited $(($2 / 1000000000)) s for a host CPU"
exit $rc
