#!/usr/bin/env bash
# test-kernels.sh [KERNEL_DIR...] - the Antfarm-on-Linux test once per
# kernel of the kit (make test-kernels).
#
# Why: what Antfarm infers depends on how the guest kernel uses CR3, and
# that changes between kernel versions (6.12 schedules a vfork parent in
# the middle of its child's exec, where 6.1 did not).  A test that only
# ever boots today's linux-image-amd64 cannot tell a regression in Formica
# from a change in Debian's kernel, so the same test runs on every kernel
# fetched into the directories given (default: $KERNEL_KITS as make passes
# it, else build/linux build/linux-6.12; tools/linux/fetch-kernel.sh fills
# them, tools/linux/README.md lists them).  For each kernel it runs
# tools/antfarm-test.sh with FORMICA_KERNEL set (tools/table1.sh boots
# $FORMICA_KERNEL/vmlinuz), prefixes every PASS/FAIL line with the kernel
# release, checks that the guest really ran that release, and keeps the
# run's files in build/test-kernels/RELEASE/.  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- ${KERNEL_KITS:-build/linux build/linux-6.12}
passed=0 failed=0
count() { # reads PASS/FAIL lines, prefixes them, and counts them
	local tag=$1 line
	while IFS= read -r line; do
		case $line in
		PASS\ *) echo "PASS [$tag] ${line#PASS }"; passed=$((passed + 1)) ;;
		FAIL\ *) echo "FAIL [$tag] ${line#FAIL }"; failed=$((failed + 1)) ;;
		*) echo "$line" ;;
		esac
	done
}

for dir in "$@"; do
	ver=$(cat "$dir/version" 2>/dev/null)
	if [ ! -s "$dir/vmlinuz" ] || [ -z "$ver" ]; then
		echo "FAIL [$dir] kernel: not fetched (tools/linux/fetch-kernel.sh $dir PACKAGE)"
		failed=$((failed + 1))
		continue
	fi
	echo "test-kernels: kernel $ver ($(cat "$dir/package" 2>/dev/null)) from $dir"
	count "$ver" < <(FORMICA_KERNEL=$dir tools/antfarm-test.sh 2>&1)
	log=build/antfarm-test/serial.log
	# The guest's own uname -r (tools/linux/mkinitramfs.sh's /init).
	got=$(tr -d '\r' <$log 2>/dev/null | sed -n 's/.*FORMICA-INIT: kernel=//p' | head -n1)
	if [ "$got" = "$ver" ]; then
		echo "PASS [$ver] kernel (the guest ran $got)"; passed=$((passed + 1))
	else
		echo "FAIL [$ver] kernel: the guest reported '${got:-nothing}'"; failed=$((failed + 1))
	fi
	keep=build/test-kernels/$ver
	rm -rf "$keep"; mkdir -p "$keep"
	cp -p build/antfarm-test.report "$keep/report" 2>/dev/null
	cp -p $log build/antfarm-test/table1.csv build/antfarm-test/report.txt "$keep/" 2>/dev/null
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
