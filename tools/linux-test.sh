#!/usr/bin/env bash
# linux-test.sh - boot Debian's stock kernel under formica in Bochs and check
# what the guests print: first one guest, then two at once (time-sliced).
# Each guest runs tools/linux/mkinitramfs.sh's workload and powers off.
# The kernel is $FORMICA_KERNEL/vmlinuz (default build/linux: Debian's stock
# kernel); its release is printed first and must be what the guests report.
# Prints PASS/FAIL lines; exits non-zero on any failure.
# LINUX_TEST_BENCH=qemu boots in QEMU TCG instead (-cpu max: AMD SVM, hv/svm/).
set -u
cd "$(dirname "$0")/.."
B=build/linux-test
bench=${LINUX_TEST_BENCH:-bochs}
[ "$bench" = qemu ] && B=build/linux-test-svm
K=${FORMICA_KERNEL:-build/linux}
KVER=$(cat $K/version 2>/dev/null)
KVER_RE=$(printf '%s' "$KVER" | sed 's/[]\\.+*?^$(){}|[]/\\&/g')   # 6.12.118+deb12-amd64: + and . are literal
mkdir -p $B
echo "linux-test: kernel ${KVER:-unknown} ($(cat $K/package 2>/dev/null)) from $K/vmlinuz"
fails=0
pass() { echo "PASS $1 (kernel $KVER)"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

check_guest() { # LOG NAME TEST
	local log=$1 n=$2 t=$3
	local want=("\\[$n\\] FORMICA-INIT: start" "\\[$n\\] FORMICA-INIT: kernel=$KVER_RE[[:space:]]*$"
		"\\[$n\\] FORMICA-RESULT: forkexec n=1000 ok"
		"\\[$n\\] FORMICA-RESULT: tmpfs ok" "\\[$n\\] FORMICA-RESULT: cpuinfo lines=[1-9]"
		"\\[$n\\] FORMICA-INIT: done .*status=ok" "guest $n: ended=halted run_us=[0-9]+ exits=[0-9]+")
	for w in "${want[@]}"; do
		grep -aEq -- "$w" "$log" || { fail "$t $n" "no line matches: $w (see $log)"; return; }
	done
	grep -aEq "exits guest=$n reason=[0-9]+ " "$log" || { fail "$t $n" "no exit counts"; return; }
	pass "$t $n"
}

run() { # CONFIG TEST MEGS TIMEOUT GUESTS...
	local cfg=$1 t=$2 megs=$3 timeout=$4; shift 4
	# LINUX_TEST_ONLY=linux-two runs just that one.
	[ -z "${LINUX_TEST_ONLY:-}" ] || [ "$LINUX_TEST_ONLY" = "$t" ] || return 0
	tools/mkesp.sh $B/$t.img "$cfg" build/formica.efi build/hv.bin \
		$K/vmlinuz build/linux/initramfs.cpio.gz
	local t0=$SECONDS
	if [ "$bench" = qemu ]; then
		tools/qemu-run.sh --esp $B/$t.img --log $B/$t.log --timeout "$timeout" -- -m "$megs" \
			> $B/$t.qemu-run.out
	else
		tools/bochs-run.sh --esp $B/$t.img --log $B/$t.log --megs "$megs" --timeout "$timeout"
	fi
	local st=$?
	echo "linux-test: $t took $((SECONDS - t0)) s wall ($bench)"
	[ $st -eq 0 ] || fail "$t" "no clean end ($bench-run status $st)"
	for n in "$@"; do check_guest $B/$t.log "$n" "$t"; done
}

run tools/configs/linux.cfg linux-one 1024 "${LINUX_TEST_TIMEOUT:-1500}" linux1
run tools/configs/linux2.cfg linux-two 1536 "${LINUX_TEST_TIMEOUT:-2400}" linux1 linux2
[ $fails -eq 0 ]
