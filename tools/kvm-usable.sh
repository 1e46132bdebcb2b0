#!/usr/bin/env bash
# kvm-usable.sh - can QEMU run formica under KVM on this host?  Prints "yes"
# (exit 0) or "no: WHY" (exit 1).  Used by qemu-run.sh and run-bench.sh.
#
# A writable /dev/kvm is not enough.  Formica is a hypervisor: under KVM
# its guest (QEMU's vCPU) must itself have VT-x or SVM, which takes KVM
# proper on a CPU that has them, with nested virtualization on.  Cloud
# machines break each step: a VM may have /dev/kvm from a paravirtual KVM
# (kvm_pvm: seen here on 2026-12-06, an Intel Xeon guest whose CPU shows no
# vmx flag) that runs only kernels built for it, so OVMF's first x87
# instruction ends QEMU with "KVM internal error ... emulation failure";
# or the kvm_intel / kvm_amd module may have nested=0.  Then TCG it is:
# QEMU emulates AMD SVM (-cpu max), slower but the same hv/svm/ code.
# FORMICA_KVM=no forces TCG; FORMICA_KVM=yes skips the checks.
set -u
case ${FORMICA_KVM:-auto} in
yes) echo "yes (FORMICA_KVM=yes)"; exit 0 ;;
no) echo "no: FORMICA_KVM=no"; exit 1 ;;
esac
[ -w /dev/kvm ] || { echo "no: no writable /dev/kvm"; exit 1; }
if grep -qw vmx /proc/cpuinfo; then mod=kvm_intel
elif grep -qw svm /proc/cpuinfo; then mod=kvm_amd
else
	echo "no: /dev/kvm is there but the CPU has neither vmx nor svm (a paravirtual KVM such as kvm_pvm?)"
	exit 1
fi
nested=$(cat /sys/module/$mod/parameters/nested 2>/dev/null)
case $nested in
Y|y|1) echo yes ;;
*) echo "no: $mod is not loaded with nested=1 (nested='${nested:-absent}')"; exit 1 ;;
esac
