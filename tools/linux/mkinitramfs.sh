#!/bin/bash
# mkinitramfs.sh [OUTFILE] [WORKLOAD...]
#
# Build a small gzip'ed newc cpio initramfs for Formica's Linux guest:
# busybox-static as /bin/busybox plus symlinks for the applets /init uses,
# and an /init shell script that mounts /proc /sys /dev /tmp, runs the
# workload steps, prints machine-readable results on the console (ttyS0
# when the kernel runs with console=ttyS0) and powers off (poweroff -f).
#
# OUTFILE defaults to build/linux/initramfs.cpio.gz.
#
# WORKLOAD steps, run in the order given (default: forkexec tmpfs cpuinfo):
#   forkexec[:N]  N fork+exec of /bin/true (default 1000), counting the runs
#                 that succeeded:  FORMICA-RESULT: forkexec n=1000 ok
#   tmpfs         write a file in the tmpfs on /tmp and read it back:
#                 FORMICA-RESULT: tmpfs ok|fail
#   cpuinfo       cat /proc/cpuinfo:   FORMICA-RESULT: cpuinfo lines=N
#   PATH.sh       any shell script: copied in as /workload/NN-NAME.sh and run
#                 with busybox sh (it may use the applets listed in APPLETS
#                 below plus EXTRA_APPLETS); it prints its own results.
#                 Helpers shared by such scripts (workloads/lib/*.sh) are
#                 always copied to /lib/formica/, for them to source
# Each step is followed by   FORMICA-TIME: STEP seconds=S.SS   (guest time).
#
# /init prints, in order:
#   FORMICA-INIT: start uptime=S.SS          (guest /proc/uptime at init start)
#   FORMICA-INIT: kernel=RELEASE
#   ... FORMICA-RESULT / FORMICA-TIME lines ...
#   FORMICA-INIT: done uptime=S.SS status=ok|fail
#
# Environment:
#   MODULES="m1 m2"  kernel modules to put in and insmod at boot, before the
#                    workload (hook for virtio/block drivers later).  Their
#                    dependencies are resolved from modules.dep of the tree
#                    tools/linux/fetch-kernel.sh unpacked (KMODDIR), loaded
#                    deepest first.  None are needed by today's workload.
#   KMODDIR=DIR      lib/modules/VERSION tree (default build/linux/modules/
#                    $(cat build/linux/version))
#   EXTRA_APPLETS="a b"  more busybox applet symlinks for custom workloads
#   BUSYBOX_BIN=PATH a static busybox to use instead of /bin/busybox
#   EXTRA_TREES="D1 D2"  directories whose contents are copied into the
#                    initramfs root, in order (later ones win): static
#                    workload programs, a compiler kit.  Symlinks are kept.
set -euo pipefail

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
log() { echo "mkinitramfs: $*" >&2; }

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUTFILE=${1:-$TOP/build/linux/initramfs.cpio.gz}
[ $# -gt 0 ] && shift
WORKLOAD=("$@")
[ ${#WORKLOAD[@]} -gt 0 ] || WORKLOAD=(forkexec tmpfs cpuinfo)

is_static() {   # no PT_INTERP program header = statically linked
	local h
	command -v readelf >/dev/null || return 0   # cannot tell; trust it
	h=$(readelf -lW "$1" 2>/dev/null) || return 1
	case "$h" in *"program interpreter"*) return 1 ;; esac
	return 0
}
BUSYBOX=
for b in ${BUSYBOX_BIN:-} /bin/busybox /usr/bin/busybox; do
	# must be the static one: there is no libc in the initramfs
	if [ -x "$b" ] && is_static "$(readlink -f "$b")"; then BUSYBOX=$b; break; fi
done
[ -n "$BUSYBOX" ] || die "no static busybox found: apt-get install busybox-static"
command -v cpio >/dev/null || die "cpio not found: apt-get install cpio"
command -v gzip >/dev/null || die "gzip not found"

# Applets /init and the built-in steps use.  `true` is exec'd as /bin/true.
APPLETS="sh mount umount mkdir cat echo true wc poweroff insmod sleep uname dd md5sum rm awk ${EXTRA_APPLETS:-}"

mkdir -p "$(dirname "$OUTFILE")"
OUTFILE=$(cd "$(dirname "$OUTFILE")" && pwd)/$(basename "$OUTFILE")
STAGE=$(mktemp -d "$(dirname "$OUTFILE")/.initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,workload,lib/modules,lib/formica}
cp "$TOP"/tools/linux/workloads/lib/*.sh "$STAGE/lib/formica/"
cp "$BUSYBOX" "$STAGE/bin/busybox"
HAVE=" $("$BUSYBOX" --list | tr '\n' ' ') "
for a in $APPLETS; do
	case "$HAVE" in *" $a "*) ;; *) die "busybox has no applet '$a'" ;; esac
	ln -sf busybox "$STAGE/bin/$a"
done

# ---------------------------------------------------------------- extra trees
for d in ${EXTRA_TREES:-}; do
	[ -d "$d" ] || die "EXTRA_TREES: '$d' is no directory"
	cp -a "$d"/. "$STAGE"/
	log "extra tree $d: $(find "$d" -type f | wc -l) files"
done

# ---------------------------------------------------------------- modules
# Hook for later: MODULES="virtio_pci virtio_blk" copies those .ko files and
# everything they depend on (per modules.dep) and /init insmods them in
# dependency order.  Requested modules that are built in are skipped.
MODLIST=()
if [ -n "${MODULES:-}" ]; then
	if [ -z "${KMODDIR:-}" ]; then
		[ -s "$TOP/build/linux/version" ] || die "MODULES given but no fetched kernel: run tools/linux/fetch-kernel.sh"
		KMODDIR=$TOP/build/linux/modules/$(cat "$TOP/build/linux/version")
	fi
	[ -s "$KMODDIR/modules.dep" ] || die "no $KMODDIR/modules.dep (run tools/linux/fetch-kernel.sh, which runs depmod)"
	declare -A SEEN=()
	depline() {   # module name -> "path: dep dep..." line of modules.dep
		local n=${1//-/_}
		grep -m1 -E "(^|/)${n}\.ko(\.[a-z]+)?:" "$KMODDIR/modules.dep" || true
	}
	resolve() {   # post-order walk: dependencies first
		local line path deps d
		line=$(depline "$1")
		if [ -z "$line" ]; then
			if grep -qE "(^|/)${1//-/_}\.ko$" "$KMODDIR/modules.builtin" 2>/dev/null; then
				log "module $1 is built into the kernel; skipping"; return 0
			fi
			die "module '$1' not in $KMODDIR/modules.dep"
		fi
		path=${line%%:*}; deps=${line#*:}
		[ -n "${SEEN[$path]:-}" ] && return 0
		SEEN[$path]=1
		for d in $deps; do resolve "$(basename "${d%%.ko*}")"; done
		MODLIST+=("$path")
	}
	for m in $MODULES; do resolve "$m"; done
	# Compressed modules (Debian's 6.12 ships .ko.xz) go in uncompressed:
	# busybox insmod here reads only plain .ko files, and the kernel takes
	# them either way (the signature covers the uncompressed module).
	: >"$STAGE/lib/modules/load-order"
	for p in "${MODLIST[@]}"; do
		b=$(basename "$p")
		case "$b" in
		*.ko) cp "$KMODDIR/$p" "$STAGE/lib/modules/" ;;
		*.ko.xz) b=${b%.xz}; xz -dc "$KMODDIR/$p" >"$STAGE/lib/modules/$b" ;;
		*.ko.zst) b=${b%.zst}; zstd -qdc "$KMODDIR/$p" >"$STAGE/lib/modules/$b" ;;
		*) die "module $p: unknown compression" ;;
		esac
		echo "$b" >>"$STAGE/lib/modules/load-order"
	done
	log "modules (load order): $(tr '\n' ' ' <"$STAGE/lib/modules/load-order")"
fi

# ---------------------------------------------------------------- workload
STEPS=()
n=0
for w in "${WORKLOAD[@]}"; do
	case "$w" in
	forkexec) STEPS+=("step_forkexec 1000") ;;
	forkexec:*)
		c=${w#forkexec:}
		[[ "$c" =~ ^[0-9]+$ ]] || die "bad count in '$w'"
		STEPS+=("step_forkexec $c") ;;
	tmpfs) STEPS+=("step_tmpfs") ;;
	cpuinfo) STEPS+=("step_cpuinfo") ;;
	*.sh)
		[ -r "$w" ] || die "workload script '$w' not readable"
		n=$((n + 1))
		name=$(printf '%02d-%s' "$n" "$(basename "$w")")
		cp "$w" "$STAGE/workload/$name"
		STEPS+=("step_script /workload/$name") ;;
	*) die "unknown workload step '$w' (forkexec[:N] tmpfs cpuinfo PATH.sh)" ;;
	esac
done

# ---------------------------------------------------------------- /init
{
cat <<'INIT'
#!/bin/sh
# Formica guest /init (generated by tools/linux/mkinitramfs.sh)
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# /dev/console is the last console= of the kernel command line (ttyS0).
exec </dev/console >/dev/console 2>&1

STATUS=ok
# guest uptime in centiseconds, from /proc/uptime ("12.34 5.67")
up_cs() { local u i; read u i </proc/uptime; echo $(( ${u%.*} * 100 + 1${u#*.} - 100 )); }
fmt_cs() { printf '%d.%02d' $(( $1 / 100 )) $(( $1 % 100 )); }
timed() {   # timed NAME CMD...: run a step, then print its guest time
	local name=$1 t0 t1
	shift
	t0=$(up_cs)
	"$@" || STATUS=fail
	t1=$(up_cs)
	echo "FORMICA-TIME: $name seconds=$(fmt_cs $((t1 - t0)))"
}

T0=$(up_cs)
echo "FORMICA-INIT: start uptime=$(fmt_cs $T0)"
echo "FORMICA-INIT: kernel=$(uname -r)"

# Modules (MODULES= at build time), already in dependency order.
if [ -s /lib/modules/load-order ]; then
	while read m; do
		if insmod "/lib/modules/$m"; then echo "FORMICA-MODULE: $m ok"
		else echo "FORMICA-MODULE: $m fail"; STATUS=fail; fi
	done </lib/modules/load-order
fi

step_forkexec() {   # N fork+exec of /bin/true (a path: no shell builtin)
	local want=$1 i=0 n=0
	while [ $i -lt $want ]; do
		/bin/true && n=$((n + 1))
		i=$((i + 1))
	done
	if [ $n -eq $want ]; then echo "FORMICA-RESULT: forkexec n=$n ok"
	else echo "FORMICA-RESULT: forkexec n=$n fail"; return 1; fi
}

step_tmpfs() {   # a line of text and 1 MiB of zeros, written and read back
	local f=/tmp/formica-tmpfs.txt z=/tmp/formica-zero s="formica tmpfs $$ $(uname -r)" r ok=1
	echo "$s" >$f || ok=0
	read r <$f || ok=0
	[ "$r" = "$s" ] || ok=0
	dd if=/dev/zero of=$z bs=4096 count=256 2>/dev/null || ok=0
	[ "$(dd if=$z bs=4096 2>/dev/null | wc -c)" -eq 1048576 ] || ok=0
	# md5 of 1 MiB of zero bytes (cheaper than busybox cmp's byte loop)
	set -- $(md5sum $z)
	[ "$1" = b6d81b360a5672d80c27430f39153e2c ] || ok=0
	rm -f $f $z
	if [ $ok = 1 ]; then echo "FORMICA-RESULT: tmpfs ok"
	else echo "FORMICA-RESULT: tmpfs fail"; return 1; fi
}

step_cpuinfo() {
	cat /proc/cpuinfo
	echo "FORMICA-RESULT: cpuinfo lines=$(wc -l </proc/cpuinfo)"
}

step_script() { sh "$1"; }

INIT
for s in "${STEPS[@]}"; do
	name=${s#step_}; name=${name%% *}
	[ "$name" = script ] && name=$(basename "${s#step_script }" .sh)
	echo "timed $name $s"
done
cat <<'INIT'

T1=$(up_cs)
echo "FORMICA-INIT: done uptime=$(fmt_cs $T1) status=$STATUS"
sync
poweroff -f
# poweroff should not return; never let /init exit (that panics the kernel)
while :; do sleep 3600; done
INIT
} >"$STAGE/init"
chmod 755 "$STAGE/init"

# The kernel's built-in initramfs already has /dev/console, which it opens
# for /init before our devtmpfs is mounted, so no device nodes are needed
# here (and building this needs no root).
# Fixed timestamps and order: the same inputs give the same bytes.
find "$STAGE" -exec touch -h -d @0 {} +
( cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible ) | gzip -9 -n >"$OUTFILE.tmp"
mv "$OUTFILE.tmp" "$OUTFILE"
log "$OUTFILE: $(stat -c %s "$OUTFILE") bytes; steps: ${WORKLOAD[*]}${MODULES:+; modules: $MODULES}"
