#!/usr/bin/env bash
# storage-test.sh - the storage self-test on real controller models (issue 6).
#
#   ahci         QEMU q35 under TCG: ESP on the built-in ICH9 AHCI, a 64 MiB
#                data disk on a second ich9-ahci; `selftest = storage` must
#                PASS, before the CPU backend comes up (QEMU TCG: AMD-V),
#                and its flush after each extent (FLUSH CACHE EXT) succeed.
#   ahci-refuse  same machine, extents that overlap or run past the end:
#                each refused with its own line, the self-test FAILs and
#                writes nothing.
#   ahci-errors  the data disk behind QEMU's blkdebug: one read fails once
#                (logged, port recovered, NCQ off, retried: succeeds), one
#                sector fails every write and read (logged, retried, the
#                request fails): the self-test FAILs with exactly those
#                errors and the hv goes on to its CPU backend.
#   ahci-timeout the data disk throttled by QEMU to 16 KiB/s, so a 256 KiB
#                request outlives the 10 s deadline: logged, COMRESET,
#                retried, times out again, fails; the hv goes on.
#   gpt-esp      one GPT disk holding the ESP partition and the guests'
#                space: an extent on the ESP and one on the partition table
#                are refused, the one behind the ESP is tested.
#   ide-qemu     QEMU pc (i440FX, PIIX3 IDE, bus-master DMA) as a quick IDE
#                check, with one read failing once (blkdebug): logged,
#                channel reset, retried, the self-test still PASSes.
#   ide-bochs    Bochs (i440FX, PIIX3 IDE): ESP ata0-master, data disk
#                ata0-slave; the self-test must PASS, its flushes succeed.
#   iosched-ahci QEMU q35 AHCI, `selftest = iosched`: two sequential and
#                one random stream per guest, each keyed as a process,
#                through sched/'s three policies and the AHCI driver; every
#                read verified, FCFS in arrival order, anticipation hits.
#   iosched-ide  the same in Bochs over IDE.
# Every boot also checks that the hv wrote nothing outside its extents: the
# data disk outside the extents and the ESP image are checksummed before
# and after, and every sector inside the extents must carry the pattern
# (tools/storage/disktool.py).
#
# Prints "PASS name" or "FAIL name: why" per sub-test, exits non-zero on
# any failure.  Options: --only NAME[,NAME] to run some.  Logs stay in
# build/storage/, and the disk images too when a sub-test failed.
# Environment: STORAGE_TIMEOUT (QEMU, s, default 180),
# STORAGE_BOCHS_TIMEOUT (default 900).
set -u
cd "$(dirname "$0")/.."
B=build/storage
T="python3 tools/storage/disktool.py"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
[ -f "$OVMF_CODE" ] || OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd
QTIMEOUT=${STORAGE_TIMEOUT:-180}
BTIMEOUT=${STORAGE_BOCHS_TIMEOUT:-900}
DATA_SECTORS=131040 # 130 cylinders of 16 heads x 63 sectors: Bochs's flat disk geometry
only=
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift 2 ;;
	*) echo "storage-test: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$B"
fails=0
passes=0
pass() { echo "PASS $1"; passes=$((passes + 1)); }
# After the storage steps the hv goes on to its CPU backend: guests run on
# VT-x or AMD-V (QEMU's TCG emulates SVM), or a line says neither exists.
BACKEND_RE='formica: (guests run on (vmx|svm)|no guest can run without VT-x or AMD-V)'
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }
want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# Extents of a config, as LBA+N words (from its `disk =` lines).
extents_of() { sed -n 's/^[[:space:]]*disk[[:space:]]*=[[:space:]]*\([0-9x]*+[0-9x]*\).*/\1/p' "$1"; }

build_esp() { # CONFIG IMG
	make --no-print-directory -s ESP_IMG="$2" CONFIG="$1" "$2" >"$B/make.log" 2>&1 ||
		{ cat "$B/make.log"; return 1; }
}

QPID=
cleanup() { [ -n "$QPID" ] && kill "$QPID" 2>/dev/null; QPID=; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# run_qemu LOG MACHINE ARGS...: boots, returns when QEMU exits (the hv
# powers off) or after QTIMEOUT.  Returns 124 on timeout.
run_qemu() {
	local log=$1 machine=$2; shift 2
	: >"$log"
	qemu-system-x86_64 -machine "$machine" -m 512 -cpu max -nodefaults -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-serial file:"$log" -display none "$@" </dev/null >"$log.qemu" 2>&1 &
	QPID=$!
	local t0=$SECONDS
	while kill -0 "$QPID" 2>/dev/null; do
		if [ $((SECONDS - t0)) -ge "$QTIMEOUT" ]; then
			cleanup
			return 124
		fi
		sleep 0.5
	done
	wait "$QPID" 2>/dev/null
	QPID=
	return 0
}

# disk_checks LOG DATA DATA_SUM_BEFORE ESP ESP_SUM_BEFORE EXTENTS...
# What every boot must leave alone; on failure prints the reason.
disk_checks() {
	local log=$1 data=$2 before=$3 esp=$4 esp_before=$5; shift 5
	local after
	after=$($T sum "$data" "$@")
	[ "$after" = "$before" ] || { echo "data disk changed outside the extents"; return 1; }
	after=$(sha256sum <"$esp" | cut -d' ' -f1)
	[ "$after" = "$esp_before" ] || { echo "ESP image changed"; return 1; }
	return 0
}

# flushes_ok LOG: one flush per extent went to the disk and succeeded;
# prints "N flushes, max T us" (or why not) for the PASS line.
flushes_ok() {
	local n bad max
	n=$(grep -ac 'storage selftest: flush on .*: ok (0), [0-9]* us' "$1")
	bad=$(grep -a 'storage selftest: flush on ' "$1" | grep -avc ': ok (0), ')
	[ "$n" -gt 0 ] && [ "$bad" = 0 ] || { echo "flushes: $n ok, $bad failed"; return 1; }
	max=$(grep -ao 'storage selftest: flush on .*: ok (0), [0-9]* us' "$1" | tr -d '\r' |
		sed 's/.*, \([0-9]*\) us/\1/' | sort -n | tail -1)
	echo "$n flushes, max $max us"
}

# ---------------------------------------------------------------- AHCI
test_ahci() {
	local name=ahci cfg=tools/configs/storage-ahci.cfg esp=$B/esp-ahci.img data=$B/data-ahci.img
	local log=$B/ahci.log ext
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	mapfile -t ext < <(extents_of "$cfg")
	local before esp_before
	before=$($T sum "$data" "${ext[@]}")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	run_qemu "$log" q35 \
		-drive if=none,id=esp,format=raw,file="$esp" -device ide-hd,drive=esp,bus=ide.0 \
		-device ahci,id=ahci \
		-drive if=none,id=d0,format=raw,file="$data" -device ide-hd,drive=d0,bus=ahci.0
	[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	grep -aq 'storage selftest: PASS' "$log" ||
		{ fail $name "no 'storage selftest: PASS' ($(grep -a 'storage selftest: FAIL' "$log" | head -1)) log $log"; return; }
	grep -aq 'storage selftest: PASS .*(AHCI' "$log" ||
		{ fail $name "self-test did not run over AHCI"; return; }
	# The self-test runs before, and regardless of, the CPU backend's
	# bring-up (VT-x, or AMD-V, which QEMU's TCG has).
	local st vt
	st=$(grep -an 'storage selftest: PASS' "$log" | head -1 | cut -d: -f1)
	vt=$(grep -anE "$BACKEND_RE|vmx:|svm:" "$log" | head -1 | cut -d: -f1)
	[ -n "$vt" ] && [ "$st" -lt "$vt" ] ||
		{ fail $name "self-test line not before the CPU backend's (lines $st/$vt)"; return; }
	local why
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before" "${ext[@]}") ||
		{ fail $name "$why"; return; }
	$T verify "$data" "${ext[@]}" >"$log.verify" ||
		{ fail $name "pattern missing inside the extents ($(tail -1 "$log.verify"))"; return; }
	local fl
	fl=$(flushes_ok "$log") || { fail $name "$fl"; return; }
	pass "$name ($(grep -ao 'write [0-9]* KiB/s, read [0-9]* KiB/s' "$log" | tail -1), $fl)"
}

test_ahci_refuse() {
	local name=ahci-refuse cfg=tools/configs/storage-refuse.cfg esp=$B/esp-refuse.img
	local data=$B/data-refuse.img log=$B/refuse.log
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	local before esp_before
	before=$($T sum "$data")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	run_qemu "$log" q35 \
		-drive if=none,id=esp,format=raw,file="$esp" -device ide-hd,drive=esp,bus=ide.0 \
		-device ahci,id=ahci \
		-drive if=none,id=d0,format=raw,file="$data" -device ide-hd,drive=d0,bus=ahci.0
	[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	local re
	for re in \
		'guest "overlap2" extent 1 \(LBA 1099\+10\): refused: overlaps guest "overlap1" extent 0' \
		'guest "pastend" extent 0 \(LBA 131000\+41\): refused: past the end of the disk \(131040 sectors\)' \
		'guest "selfoverlap" extent 1 \(LBA 20050\+100\): refused: overlaps guest "selfoverlap" extent 0' \
		'storage selftest: FAIL 0 extents' \
		"$BACKEND_RE"; do
		grep -aEq "$re" "$log" || { fail $name "no line matching: $re (log $log)"; return; }
	done
	local why
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before") || { fail $name "$why"; return; }
	pass $name
}

test_ahci_errors() {
	local name=ahci-errors cfg=tools/configs/storage-ahci.cfg esp=$B/esp-ahci.img
	local data=$B/data-errors.img log=$B/errors.log ext
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	mapfile -t ext < <(extents_of "$cfg")
	# blkdebug: a rule becomes active at its event and then fails any
	# request touching its sector (once: just the first).
	cat >"$B/blkdebug.cfg" <<-EOF
	[inject-error]
	event = "read_aio"
	errno = "5"
	sector = "3000"
	once = "on"

	[inject-error]
	event = "write_aio"
	errno = "5"
	sector = "61000"
	EOF
	local before esp_before
	before=$($T sum "$data" "${ext[@]}")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	run_qemu "$log" q35 \
		-drive if=none,id=esp,format=raw,file="$esp" -device ide-hd,drive=esp,bus=ide.0 \
		-device ahci,id=ahci \
		-drive if=none,id=d0,format=raw,file="blkdebug:$B/blkdebug.cfg:$data" \
		-device ide-hd,drive=d0,bus=ahci.0
	[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	local re
	for re in \
		'ahci0\.p0: task file error: .*READ FPDMA QUEUED LBA 2560\+512' \
		'ahci0\.p0: NCQ off after the error' \
		'ahci0\.p0: retrying LBA 2560\+512' \
		'guest "alpha" extent 0 .* 0 bad sectors, 0 I/O errors' \
		'storage selftest: write LBA 60512\+512 on ahci0\.p0: I/O error' \
		'storage selftest: read LBA 60512\+512 on ahci0\.p0: I/O error' \
		'storage selftest: FAIL 4 extents .* 2 I/O errors, 0 bad sectors' \
		"$BACKEND_RE"; do
		grep -aEq "$re" "$log" || { fail $name "no line matching: $re (log $log)"; return; }
	done
	local why
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before" "${ext[@]}") ||
		{ fail $name "$why"; return; }
	pass $name
}

test_ahci_timeout() {
	local name=ahci-timeout cfg=tools/configs/storage-timeout.cfg esp=$B/esp-timeout.img
	local data=$B/data-timeout.img log=$B/timeout.log ext
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	mapfile -t ext < <(extents_of "$cfg")
	local before esp_before
	before=$($T sum "$data" "${ext[@]}")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	run_qemu "$log" q35 \
		-drive if=none,id=esp,format=raw,file="$esp" -device ide-hd,drive=esp,bus=ide.0 \
		-device ahci,id=ahci \
		-drive if=none,id=d0,format=raw,file="$data",throttling.bps-total=16384 \
		-device ide-hd,drive=d0,bus=ahci.0
	[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	local re
	for re in \
		'ahci0\.p0: (READ|WRITE) [A-Z ]+ LBA 4096\+512 timed out after 10000 ms' \
		'ahci0\.p0: COMRESET' \
		'ahci0\.p0: retrying LBA 4096\+512' \
		'storage selftest: (read|write) LBA 4096\+512 on ahci0\.p0: timeout' \
		'storage selftest: FAIL 1 extents .* [12] I/O errors' \
		"$BACKEND_RE"; do
		grep -aEq "$re" "$log" || { fail $name "no line matching: $re (log $log)"; return; }
	done
	local why
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before" "${ext[@]}") ||
		{ fail $name "$why"; return; }
	pass $name
}

test_gpt_esp() {
	local name=gpt-esp cfg=tools/configs/storage-gpt.cfg esp=$B/esp-gpt.img
	local disk=$B/gpt-disk.img log=$B/gpt.log
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkgpt "$disk" "$esp" $DATA_SECTORS
	local esp_range good=40000+4096
	esp_range=$($T esp-range "$disk")
	local before esp_before
	before=$($T sum "$disk" $good)
	esp_before=$($T range-sum "$disk" "$esp_range")
	run_qemu "$log" q35 -drive if=none,id=d0,format=raw,file="$disk" -device ide-hd,drive=d0,bus=ide.0
	[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	local re esp_re=${esp_range/+/\\+}
	for re in \
		'storage: ahci0\.p0: GPT, 1 ESP' \
		"protected LBA ${esp_re}: the EFI System Partition" \
		'guest disk ahci0\.p0 .*partitioned disk with an ESP' \
		"guest \"onesp\" extent 0 \\(LBA 4096\\+64\\): refused: overlaps the EFI System Partition \\(LBA ${esp_re}\\)" \
		'guest "table" extent 0 \(LBA 10\+10\): refused: overlaps the partition table' \
		'guest "after" extent 0 \(LBA 40000\+4096\) on ahci0\.p0: .* 0 bad sectors, 0 I/O errors' \
		'storage selftest: FAIL 1 extents .* 0 I/O errors, 0 bad sectors, 2 extents refused'; do
		grep -aEq "$re" "$log" || { fail $name "no line matching: $re (log $log)"; return; }
	done
	[ "$($T sum "$disk" $good)" = "$before" ] ||
		{ fail $name "disk changed outside the one valid extent"; return; }
	[ "$($T range-sum "$disk" "$esp_range")" = "$esp_before" ] ||
		{ fail $name "ESP partition changed"; return; }
	$T verify "$disk" $good >"$log.verify" ||
		{ fail $name "pattern missing inside the valid extent"; return; }
	pass $name
}

# ---------------------------------------------------------------- IDE
test_ide_qemu() {
	local name=ide-qemu cfg=tools/configs/storage-ide.cfg esp=$B/esp-ide.img data=$B/data-ideq.img
	local log=$B/ide-qemu.log ext
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	mapfile -t ext < <(extents_of "$cfg")
	local before esp_before
	before=$($T sum "$data" "${ext[@]}")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	# The first request touching sector 3000 fails once (QEMU blkdebug:
	# the rule arms at the first read): the driver must log it, reset the
	# channel, retry and succeed.
	cat >"$B/blkdebug-ide.cfg" <<-EOF
	[inject-error]
	event = "read_aio"
	errno = "5"
	sector = "3000"
	once = "on"
	EOF
	run_qemu "$log" pc \
		-drive if=none,id=esp,format=raw,file="$esp" -device ide-hd,drive=esp,bus=ide.0,unit=0 \
		-drive if=none,id=d0,format=raw,file="blkdebug:$B/blkdebug-ide.cfg:$data" \
		-device ide-hd,drive=d0,bus=ide.0,unit=1
	[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	grep -aq 'storage selftest: PASS .*(IDE' "$log" ||
		{ fail $name "no 'storage selftest: PASS' over IDE ($(grep -a 'storage selftest: FAIL' "$log" | head -1)) log $log"; return; }
	local re
	for re in 'ide0\.0s: (READ|WRITE) DMA EXT LBA 2560\+512 failed \(status 0x[0-9a-f]+ error 0x04' \
		'ide0\.0s: retrying LBA 2560\+512'; do
		grep -aEq "$re" "$log" || { fail $name "no line matching: $re (log $log)"; return; }
	done
	local why
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before" "${ext[@]}") ||
		{ fail $name "$why"; return; }
	$T verify "$data" "${ext[@]}" >"$log.verify" ||
		{ fail $name "pattern missing inside the extents ($(tail -1 "$log.verify"))"; return; }
	pass "$name ($(grep -ao '(IDE[^)]*)' "$log" | tail -1) $(grep -ao 'write [0-9]* KiB/s, read [0-9]* KiB/s' "$log" | tail -1))"
}

test_ide_bochs() {
	local name=ide-bochs cfg=tools/configs/storage-ide.cfg esp=$B/esp-ide.img data=$B/data-ide.img
	local log=$B/ide-bochs.log ext
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	mapfile -t ext < <(extents_of "$cfg")
	local before esp_before
	before=$($T sum "$data" "${ext[@]}")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	tools/storage/bochs-storage.sh --esp "$esp" --data "$data" --log "$log" \
		--timeout "$BTIMEOUT" --marker 'storage selftest: (PASS|FAIL)|formica: (powering off|stopped)' \
		>"$log.run" 2>&1
	local rc=$?
	[ $rc = 124 ] && { fail $name "Bochs timeout after ${BTIMEOUT}s (log $log)"; return; }
	[ $rc != 0 ] && { fail $name "Bochs failed ($(tail -1 "$log.run"))"; return; }
	grep -aq 'storage selftest: PASS .*(IDE' "$log" ||
		{ fail $name "no 'storage selftest: PASS' over IDE ($(grep -a 'storage selftest: FAIL' "$log" | head -1)) log $log"; return; }
	local why
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before" "${ext[@]}") ||
		{ fail $name "$why"; return; }
	$T verify "$data" "${ext[@]}" >"$log.verify" ||
		{ fail $name "pattern missing inside the extents ($(tail -1 "$log.verify"))"; return; }
	local fl
	fl=$(flushes_ok "$log") || { fail $name "$fl"; return; }
	pass "$name ($(grep -ao '(IDE[^)]*)' "$log" | tail -1) $(grep -ao 'write [0-9]* KiB/s, read [0-9]* KiB/s' "$log" | tail -1), $fl)"
}

# ---------------------------------------------------------------- iosched
# test_iosched ahci|ide: `selftest = iosched` over AHCI in QEMU q35 or over
# IDE in Bochs; the self-test's verdict, the transport it ran on, and the
# disk outside the extents untouched.
test_iosched() {
	local bus=$1 name=iosched-$1 cfg=tools/configs/storage-iosched.cfg esp=$B/esp-iosched.img
	local data=$B/data-iosched-$1.img log=$B/iosched-$1.log ext before esp_before rc why
	build_esp "$cfg" "$esp" || { fail $name "cannot build the ESP"; return; }
	$T mkdata "$data" $DATA_SECTORS
	mapfile -t ext < <(extents_of "$cfg")
	before=$($T sum "$data" "${ext[@]}")
	esp_before=$(sha256sum <"$esp" | cut -d' ' -f1)
	if [ "$bus" = ahci ]; then
		run_qemu "$log" q35 \
			-drive if=none,id=esp,format=raw,file="$esp" -device ide-hd,drive=esp,bus=ide.0 \
			-device ahci,id=ahci \
			-drive if=none,id=d0,format=raw,file="$data" -device ide-hd,drive=d0,bus=ahci.0
		[ $? = 124 ] && { fail $name "QEMU timeout after ${QTIMEOUT}s (log $log)"; return; }
	else
		tools/storage/bochs-storage.sh --esp "$esp" --data "$data" --log "$log" \
			--timeout "$BTIMEOUT" \
			--marker 'iosched selftest: (PASS|FAIL)|formica: (powering off|stopped)' \
			>"$log.run" 2>&1
		rc=$?
		[ $rc = 124 ] && { fail $name "Bochs timeout after ${BTIMEOUT}s (log $log)"; return; }
		[ $rc != 0 ] && { fail $name "Bochs failed ($(tail -1 "$log.run"))"; return; }
	fi
	grep -aqi "iosched selftest: start, .*($bus" "$log" ||
		{ fail $name "self-test did not run over ${bus^^} (log $log)"; return; }
	grep -aq 'iosched selftest: PASS' "$log" ||
		{ fail $name "no 'iosched selftest: PASS' ($(grep -a 'iosched selftest: FAIL' "$log" | head -1)) log $log"; return; }
	why=$(disk_checks "$log" "$data" "$before" "$esp" "$esp_before" "${ext[@]}") ||
		{ fail $name "$why"; return; }
	pass "$name ($(grep -ao 'anticipatory read: .*' "$log" | tr -d '\r' | head -1))"
}

make --no-print-directory -s build/formica.efi build/hv.bin >"$B/make.log" 2>&1 ||
	{ cat "$B/make.log"; fail build "make failed"; exit 1; }
want ahci && test_ahci
want ahci-refuse && test_ahci_refuse
want ahci-errors && test_ahci_errors
want ahci-timeout && test_ahci_timeout
want gpt-esp && test_gpt_esp
want ide-qemu && test_ide_qemu
want ide-bochs && test_ide_bochs
want iosched-ahci && test_iosched ahci
want iosched-ide && test_iosched ide
# The disk images are 64 MiB each: keep them only when something failed.
[ "$fails" -eq 0 ] && rm -f "$B"/data-*.img "$B"/gpt-disk.img
echo "storage-test: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
