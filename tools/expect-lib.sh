# shellcheck shell=bash
# expect-lib.sh: the check of a guest test's NAME.expect against a serial
# log (format: guest-tests/README.md, "Expectations"), sourced by
# tools/itest.sh and tools/vblk-test.sh.
#
#   expect_check FILE LOG   returns 0 if every pattern of FILE matches some
#                           line of LOG and no '!' pattern matches any;
#                           otherwise prints why (one line) and returns 1.

expect_check() {
	local file=$1 log=$2 pat
	while IFS= read -r pat || [ -n "$pat" ]; do
		case $pat in '' | '#'*) continue ;; esac
		if [ "${pat#!}" != "$pat" ]; then
			grep -aEq -- "${pat#!}" "$log" && { echo "forbidden line present: ${pat#!}"; return 1; }
		else
			grep -aEq -- "$pat" "$log" || { echo "no line matches: $pat"; return 1; }
		fi
	done <"$file"
	return 0
}
