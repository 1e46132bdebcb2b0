#!/usr/bin/env bash
# run-unit.sh RESULTS BIN... - run cmocka test binaries, print their output,
# and write "PASSED FAILED" (counts of test cases) to RESULTS.
set -u
out=$1; shift
export ASAN_OPTIONS=detect_leaks=0
passed=0; failed=0
for t in "$@"; do
	log=$(mktemp)
	"$t" >"$log" 2>&1; rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	# A binary that crashed before cmocka's summary counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "unit: $t exited $rc"; fi
	passed=$((passed + p)); failed=$((failed + f))
	rm -f "$log"
done
echo "$passed $failed" > "$out"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
