#!/usr/bin/env bash
# run-bench.sh auto|bochs|qemu - which emulator `make run` boots, printed on
# stdout ("bochs" or "qemu"); the reason goes to stderr, as make run's first
# line.
#
# Bochs emulates VT-x (hv/vmx/, the primary target) at about 50 M
# instructions per second on any host.  QEMU's TCG emulates AMD SVM
# (hv/svm/) several times faster, and where KVM can run a hypervisor
# (tools/kvm-usable.sh) QEMU runs the CPU's own VT-x or SVM nested
# (untested).  "auto" takes QEMU where the host has neither VT-x nor a
# usable KVM: Bochs would only be the slow way to the same guests.
set -u
want=${1:-auto}
vtx=no; grep -qw vmx /proc/cpuinfo 2>/dev/null && vtx=yes
kvm=no; "$(dirname "$0")"/kvm-usable.sh >/dev/null && kvm=yes
case $want in
bochs) echo "make run: Bochs, VT-x emulated (RUN_BENCH=bochs)" >&2; echo bochs ;;
qemu)
	if [ $kvm = yes ]; then echo "make run: QEMU with KVM, -cpu host (RUN_BENCH=qemu; nested, untested)" >&2
	else echo "make run: QEMU TCG, AMD SVM emulated (RUN_BENCH=qemu)" >&2; fi
	echo qemu ;;
auto)
	if [ $vtx = no ] && [ $kvm = no ]; then
		echo "make run: QEMU TCG, AMD SVM emulated: this host has neither VT-x nor a usable KVM, and QEMU is several times faster than Bochs here (RUN_BENCH=bochs for VT-x in Bochs)" >&2
		echo qemu
	else
		echo "make run: Bochs, VT-x emulated (host: VT-x $vtx, KVM $kvm; RUN_BENCH=qemu for QEMU)" >&2
		echo bochs
	fi ;;
*) echo "run-bench: RUN_BENCH must be auto, bochs or qemu, not '$want'" >&2; exit 2 ;;
esac
