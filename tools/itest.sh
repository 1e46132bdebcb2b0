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
set -u
. "$(dirname "$0")/expect-lib.sh"
results=$1; shift
B=build/itest
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
echo "itest: booting formica in Bochs with ${#bins[@]} guest tests (a few minutes)"
tools/bochs-run.sh --esp $B/esp.img --log $log --timeout "${ITEST_TIMEOUT:-900}"
boot=$?
for t in guest-tests/*.expect; do
	n=$(basename "$t" .expect)
	in_itest "$n" || continue
	if why=$(expect_check "$t" $log); then pass "guest-test $n"; else fail "guest-test $n" "$why"; fi
done
# The run as a whole: a clean end, and the VMX facts the log must show.
for pat in 'vmx: VMCS revision id 0x[0-9a-f]+' 'vmx: primary +wanted' 'VMLAUNCH succeeded' \
	'^\[ *[0-9.]+\] summary: ' 'formica: all guests ended'; do
	if grep -aEq -- "$pat" $log; then pass "bochs-run log: $pat"; else fail "bochs-run log" "no line matches: $pat"; fi
done
[ $boot -eq 0 ] && pass "bochs-run ended cleanly" || fail "bochs-run" "no end marker (status $boot); see $log"

# --- 2. other integration scripts ---------------------------------------------
for s in "$@"; do
	out=$B/$(basename "$s").out
	"$s" > "$out" 2>&1; st=$?
	cat "$out"
	p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
	[ $st -ne 0 ] && [ "$f" -eq 0 ] && { f=1; echo "FAIL $s: exited $st"; }
	passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed $failed" > "$results"
echo "itest: $passed passed, $failed failed"
[ $failed -eq 0 ]
