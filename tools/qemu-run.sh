#!/usr/bin/env bash
# qemu-run.sh --esp IMG --log FILE [--usb] [--pci-serial] [--timeout S] [--marker REGEX]
#             [--then CMD] [-- QEMU ARGS...]
#
# Boots formica in QEMU with OVMF.  Where /dev/kvm exists we use KVM with
# the host CPU (nested VT-x on an Intel host: the kvm_intel module needs
# nested=1; nested SVM on an AMD host: both untested); otherwise QEMU's TCG
# with -cpu max, which emulates AMD SVM (not VMX): formica runs its guests
# on hv/svm/.  The serial console goes to
# the terminal and to FILE.  Returns when QEMU exits (formica powers off),
# the marker appears, or the timeout passes.
#
# --usb: IMG is a USB stick (build/formica-usb.img) on an xHCI controller,
# the way a real machine boots it, instead of a plain disk.
# --pci-serial: no legacy COM port; FILE is the console of a PCI 16550
# (QEMU's pci-serial, class 07.00, an I/O BAR), as on a machine with a PCIe
# serial card or Intel AMT Serial-over-LAN (formica.cfg serial = pci/auto).
# --then CMD: run CMD (bash) once the marker is seen, before QEMU is
# stopped (tools/console-test.sh takes a screendump through the monitor).
set -u
esp= log= usb= pciser= then= timeout=120 marker='formica: (powering off|stopped)'
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--esp) esp=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--usb) usb=1; shift ;;
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
if [ -w /dev/kvm ]; then accel=(-enable-kvm -cpu host); echo "qemu-run: KVM, -cpu host"
else accel=(-cpu max); echo "qemu-run: no /dev/kvm: TCG, -cpu max (AMD SVM, no VT-x)"; fi
if [ -n "$usb" ]; then
	disk=(-device qemu-xhci,id=xhci -drive if=none,id=stick,format=raw,file="$esp"
		-device usb-storage,bus=xhci.0,drive=stick,removable=on)
else
	disk=(-drive format=raw,file="$esp")
fi
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
start=$SECONDS; rc=0
while kill -0 $pid 2>/dev/null; do
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
exit $rc
