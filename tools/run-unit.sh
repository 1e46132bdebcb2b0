#!/usr/bin/env bash
# run-unit.sh RESULTS BIN... - run cmocka test binaries, print their output,
# and write "PASSED FAILED" (counts of test cases) to RESULTS.
#
# The binaries run $(nproc) at a time (UNIT_JOBS=N for another number):
# run one by one, the slowest few kept a core idle for most of the suite.
# Each writes to a log of its own, and the logs are printed whole and in
# the order given, each as soon as it and every one before it are done, so
# the output is what a serial run prints.
set -u
out=$1; shift
export ASAN_OPTIONS=detect_leaks=0
njobs=${UNIT_JOBS:-$(nproc)}
[ "$njobs" -ge 1 ] 2>/dev/null || njobs=1
logs=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$logs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bins=("$@")
declare -A index_of=() # pid -> index in bins, while running
declare -a rc_of=()    # index -> exit status, once done
passed=0; failed=0; started=0; shown=0
while [ "$shown" -lt ${#bins[@]} ]; do
	while [ "$started" -lt ${#bins[@]} ] && [ ${#index_of[@]} -lt "$njobs" ]; do
		"${bins[started]}" >"$logs/$started" 2>&1 &
		index_of[$!]=$started
		started=$((started + 1))
	done
	# (bash's own "Aborted" notice would land between other binaries'
	# output: the "exited" line below says it)
	wait -n -p pid 2>/dev/null; rc=$?
	rc_of[${index_of[$pid]}]=$rc
	unset "index_of[$pid]"
	while [ -n "${rc_of[shown]-}" ]; do
		t=${bins[shown]}; log=$logs/$shown; rc=${rc_of[shown]}
		cat "$log"
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		# A binary that crashed before cmocka's summary counts as one failure.
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "unit: $t exited $rc"; fi
		passed=$((passed + p)); failed=$((failed + f))
		shown=$((shown + 1))
	done
done
# Never a pass by mistake: had this loop stopped early, say so and fail.
if [ "$shown" -ne ${#bins[@]} ]; then
	failed=$((failed + 1)); echo "unit: run-unit.sh stopped after $shown binaries"
fi
echo "$passed $failed" > "$out"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
