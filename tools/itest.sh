#!/usr/bin/env bash
# itest.sh RESULTS [SCRIPT...] - the integration tests.
#
# 1. Guest tests: boot formica once in Bochs with every guest-tests kernel
#    configured (tools/configs/itest.cfg), then check each NAME.expect
#    against the serial log: every pattern must match some line, a pattern
#    starting with '!' must match none.  One verdict per guest test.  A
#    test with no section in itest.cfg is booted by a harness of its own
#    (e.g. vblk: tools/vblk-test.sh) and skipped here.
# 2. Every SCRIPT given (the ITESTS of the */unit.mk fragments): each
#    prints "PASS name" / "FAIL name: why" lines and exits non-zero on a
#    failure.
# Writes "PASSED FAILED" to RESULTS.
#
# ITEST_BENCH=qemu boots the guest tests in QEMU TCG instead (-cpu max:
# AMD SVM, hv/svm/), and runs each SCRIPT with its QEMU switch on
# (LINUX_TEST_BENCH, TABLE1_BENCH, VBLK_TEST_BENCH, LINUX_DISK_BENCH=qemu).
# The exit counts an .expect names by VT-x basic exit reason are then
# looked for under the SVM exit code of the same event (svm_reason() below).
set -u
. "$(dirname "$0")/expect-lib.sh"
results=$1; shift
bench=${ITEST_BENCH:-bochs}
B=build/itest; [ "$bench" = qemu ] && B=build/itest-svm
mkdir -p $B
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# --- 1. guest tests in Bochs ------------------------------------------------
in_itest() { grep -q "^\[guest $1\]" tools/configs/itest.cfg; }
bins=()
for t in guest-tests/*.expect; do
	n=$(basename "$t" .expect); in_itest "$n" && bins+=("build/guest-tests/$n.bin")
done
tools/mkesp.sh $B/esp.img tools/configs/itest.cfg build/formica.efi build/hv.bin "${bins[@]}"
log=$B/serial.log
# VT-x exit reason -> the SVM exit code of the same event (APM Vol. 2, App. C):
# external interrupt and preemption timer -> INTR (SVM has one timer, the
# APIC's), HLT, INVLPG, CR access -> CR3 write, I/O instruction -> IOIO.
svm_reason() {
	sed -E -e 's/reason=(1|52) name="(\[\^"\]\*|[^"]*)"/reason=96 name="INTR"/' \
		-e 's/reason=12 name=/reason=120 name=/' -e 's/reason=14 name=/reason=121 name=/' \
		-e 's/reason=28 name="(\[\^"\]\*|[^"]*)"/reason=19 name="CR3 write"/' \
		-e 's/reason=30 name="(\[\^"\]\*|[^"]*)"/reason=123 name="IOIO"/'
}
start=$SECONDS
if [ "$bench" = qemu ]; then
	echo "itest: booting formica in QEMU (TCG, SVM) with ${#bins[@]} guest tests"
	tools/qemu-run.sh --esp $B/esp.img --log $log --timeout "${ITEST_TIMEOUT:-600}" > $B/qemu-run.out
	boot=$?
	facts=('svm: revision [0-9]+, [0-9]+ ASIDs' 'formica: guests run on svm' 'VMRUN succeeded')
else
	echo "itest: booting formica in Bochs with ${#bins[@]} guest tests (a few minutes)"
	tools/bochs-run.sh --esp $B/esp.img --log $log --timeout "${ITEST_TIMEOUT:-900}"
	boot=$?
	facts=('vmx: VMCS revision id 0x[0-9a-f]+' 'vmx: primary +wanted' 'VMLAUNCH succeeded')
fi
echo "itest: $bench boot took $((SECONDS - start)) s"
for t in guest-tests/*.expect; do
	n=$(basename "$t" .expect)
	if ! in_itest "$n"; then
		# Booted by its own harness (e.g. vblk by tools/vblk-test.sh), which
		# must have a config for it; an .expect nobody boots is a failure.
		grep -lq "^\[guest $n\]" tools/configs/*.cfg ||
			fail "guest-test $n" "no config in tools/configs boots it"
		continue
	fi
	exp=$t
	if [ "$bench" = qemu ]; then exp=$B/$n.expect; svm_reason <"$t" >"$exp"; fi
	if why=$(expect_check "$exp" $log); then pass "guest-test $n"; else fail "guest-test $n" "$why"; fi
done
# The run as a whole: a clean end, and the backend's facts the log must show.
for pat in "${facts[@]}" '^\[ *[0-9.]+\] summary: ' 'formica: all guests ended'; do
	if grep -aEq -- "$pat" $log; then pass "$bench-run log: $pat"; else fail "$bench-run log" "no line matches: $pat"; fi
done
[ $boot -eq 0 ] && pass "$bench-run ended cleanly" || fail "$bench-run" "no end marker (status $boot); see $log"
[ "$bench" = qemu ] && export LINUX_TEST_BENCH=qemu TABLE1_BENCH=qemu VBLK_TEST_BENCH=qemu \
	LINUX_DISK_BENCH=qemu

# --- 2. other integration scripts ---------------------------------------------
for s in "$@"; do
	out=$B/$(basename "$s").out
	t0=$SECONDS
	"$s" > "$out" 2>&1; st=$?
	cat "$out"
	echo "itest: $(basename "$s") ($bench) took $((SECONDS - t0)) s"
	p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
	[ $st -ne 0 ] && [ "$f" -eq 0 ] && { f=1; echo "FAIL $s: exited $st"; }
	passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed $failed" > "$results"
echo "itest: $passed passed, $failed failed"
[ $failed -eq 0 ]
