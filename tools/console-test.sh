#!/usr/bin/env bash
# console-test.sh - the consoles for machines without a legacy COM port
# (issue 15), in QEMU + OVMF with no COM port and a PCI 16550 instead
# (QEMU's pci-serial: class 07.00.02, an I/O BAR, as Intel AMT SoL shows).
#
#   pci     serial = pci: the hv finds the PCI UART and its log arrives
#           there whole, from its first line (written before PCI was
#           enumerated, replayed from the ring) to "powering off", with a
#           guest's own output in between.
#   auto    serial = auto: 0x3f8 does not answer, so the PCI UART is used.
#   screen  (in the pci run, screen = on, a std VGA whose GOP OVMF sets up)
#           after power-off (QEMU -no-shutdown keeps the picture) a
#           `screendump` through the QEMU monitor must equal, byte for
#           byte, build/screen-render's picture of the log the serial port
#           received: the framebuffer shows exactly the text the hv wrote.
#           Eight guests make the log longer than the screen (scrolling).
# Prints "PASS name" / "FAIL name: why", exits non-zero on a failure.
# Logs in build/console-test/.  CONSOLE_TIMEOUT (s, default 90) per boot.
set -u
out=build/console-test
mkdir -p $out
failed=0
pass() { echo "PASS console $1"; }
fail() { echo "FAIL console $1: $2"; failed=1; }
for f in build/formica.efi build/hv.bin build/guest-tests/hello.bin build/screen-render; do
	[ -f $f ] || { fail setup "no $f (make all)"; exit 1; }
done

boot() { # MODE SCREEN GUESTS: an ESP for `serial = MODE` and GUESTS hello
	# guests, booted; log in $out/MODE.log
	local mode=$1 screen=$2 cfg=$out/$1.cfg sock=$out/$1.mon
	printf 'serial = %s\nscreen = %s\nlog = summary\n' "$mode" "$screen" > $cfg
	for i in $(seq "$3"); do
		printf '\n[guest hello%s]\nkernel = \\formica\\hello.bin\nmem_mb = 16\n' $i >> $cfg
	done
	tools/mkesp.sh $out/$mode.img $cfg build/formica.efi build/hv.bin build/guest-tests/hello.bin >/dev/null || return 1
	rm -f $sock $out/$mode.ppm
	# The screendump: the monitor answers on a Unix socket.
	local dump="/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.sendall(b\"screendump \" + sys.argv[2].encode() + b\"\\n\")
time.sleep(2); s.close()' $sock $out/$mode.ppm"
	tools/qemu-run.sh --esp $out/$mode.img --pci-serial --log $out/$mode.log \
		--timeout "${CONSOLE_TIMEOUT:-90}" --then "$dump" -- \
		-device VGA -monitor unix:$sock,server=on,wait=off -no-shutdown > $out/$mode.qemu.out 2>&1
}

check_log() { # MODE
	local log=$out/$1.log
	if grep -aEq '^\[ *[0-9.]+\] formica: hypervisor at 0x' $log; then
		pass "$1: the hv's first line came out of the PCI UART"
	else
		fail "$1" "no 'formica: hypervisor at' line in $log"
	fi
	local line
	line=$(grep -aE 'console: PCI 16550 [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] .* bar[0-5] io 0x[0-9a-f]+' $log | head -1)
	if [ -n "$line" ]; then pass "$1: ${line#*] }"
	else fail "$1" "no 'console: PCI 16550 ...' line in $log"; fi
	if grep -aq '\[hello1\]' $log && grep -aq 'formica: powering off' $log; then
		pass "$1: a guest's output and the end of the log arrived"
	else
		fail "$1" "no [hello1] line or no 'formica: powering off' in $log"
	fi
}

t0=$SECONDS
boot pci on 8; check_log pci
t1=$SECONDS
echo "console: pci boot took $((t1 - t0)) s"

# --- screen: the screendump against the host renderer ------------------------
ppm=$out/pci.ppm
if [ ! -s $ppm ]; then
	fail screen "no screendump ($ppm); see $out/pci.qemu.out"
else
	read -r w h < <(/usr/bin/python3 -c '
import sys
d = open(sys.argv[1], "rb").read().split(b"\n", 3)
print(d[1].decode())' $ppm)
	grep -a 'screen:' $out/pci.log | sed 's/^/  console: /'
	echo "  console: $(wc -l < $out/pci.log) lines of log" 
	# OVMF drives the PCI UART too (its boot lines come first): the hv's
	# own output starts at its banner.
	sed -n '/^\[ *[0-9.]*\] formica: hypervisor at/,$p' $out/pci.log > $out/hv.log
	build/screen-render "$w" "$h" < $out/hv.log > $out/expected.ppm
	# The expected picture must hold text (a blank screen equals a blank picture).
	ink=$(/usr/bin/python3 -c '
import sys
d = open(sys.argv[1], "rb").read().split(b"\n", 3)[3]
print(sum(1 for i in range(0, len(d), 3) if d[i]))' $out/expected.ppm)
	if [ "$ink" -lt 10000 ]; then
		fail screen "the expected picture has only $ink lit pixels"
	elif cmp -s $ppm $out/expected.ppm; then
		pass "screen: the ${w}x${h} screendump equals the host rendering of the log ($ink lit pixels)"
	else
		diff=$(/usr/bin/python3 -c '
import sys
a = open(sys.argv[1], "rb").read().split(b"\n", 3)[3]
b = open(sys.argv[2], "rb").read().split(b"\n", 3)[3]
n = min(len(a), len(b))
print(sum(1 for i in range(0, n, 3) if a[i:i+3] != b[i:i+3]) + abs(len(a) - len(b)) // 3)' $ppm $out/expected.ppm)
		fail screen "${w}x${h} screendump differs from $out/expected.ppm in $diff pixels"
	fi
fi

t2=$SECONDS
boot auto off 1; check_log auto
echo "console: auto boot took $((SECONDS - t2)) s; all $((SECONDS - t0)) s"
exit $failed
