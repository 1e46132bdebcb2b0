#!/usr/bin/env bash
# summary.sh RESULT... - add up "PASSED FAILED" files and print the closing
# line of `make test`.  A missing file means that stage did not run: one failure.
set -u
p=0; f=0
for r in "$@"; do
	if [ -s "$r" ]; then read -r a b < "$r"; p=$((p + a)); f=$((f + b))
	else echo "test: $r missing (stage did not finish)"; f=$((f + 1)); fi
done
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
