#!/usr/bin/env bash
# run.sh OUT SECONDS RUNS NAME... - run the libFuzzer targets OUT/fuzz_NAME
# one after the other, each for SECONDS (or, if RUNS > 0, for RUNS
# executions), and print one line per target:
#     fuzz target=NAME execs=N crashes=M
# libFuzzer stops at the first crash; we restart it for the time (or runs)
# left, so one bug does not hide the rest of the run nor stop the other
# targets.  Crash inputs go to OUT/crashes/NAME/, the inputs libFuzzer found
# interesting to OUT/corpus/NAME/ (the seeds in tools/fuzz/corpus/NAME/ are
# only read), libFuzzer's own output to OUT/NAME.log.
set -u
out=$1 secs=$2 runs=$3; shift 3
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1
for name in "$@"; do
	bin=$out/fuzz_$name log=$out/$name.log
	mkdir -p "$out/corpus/$name" "$out/crashes/$name"
	: >"$log"
	execs=0 crashes=0 start=$(date +%s)
	while :; do
		if [ "$runs" -gt 0 ]; then
			limit=-runs=$((runs - execs))
		else
			limit=-max_total_time=$((secs - ($(date +%s) - start)))
		fi
		"$bin" $limit -timeout=10 -print_final_stats=1 \
			-artifact_prefix="$out/crashes/$name/" \
			"$out/corpus/$name" "tools/fuzz/corpus/$name" >"$log.run" 2>&1
		rc=$?
		cat "$log.run" >>"$log"
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.run")
		execs=$((execs + ${n:-0}))
		[ "$rc" -eq 0 ] && break
		crashes=$((crashes + 1))
		echo "run.sh: $name exited $rc, restarting" >>"$log"
		# Stop when the budget is spent, or when it cannot even start.
		[ -z "$n" ] || [ "$crashes" -ge 50 ] && break
		if [ "$runs" -gt 0 ]; then
			[ "$execs" -ge "$runs" ] && break
		else
			[ $(($(date +%s) - start)) -ge "$secs" ] && break
		fi
	done
	rm -f "$log.run"
	echo "fuzz target=$name execs=$execs crashes=$crashes"
done
