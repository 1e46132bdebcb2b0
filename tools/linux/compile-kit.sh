#!/bin/bash
# compile-kit.sh OUTDIR
#
# A small C build kit for the guest's "parallel compile" workload (the
# Antfarm paper's Table 1): Debian's tcc and GNU make, the glibc pieces they
# need to run and to link, and a real multi-file C program to build, laid
# out so that OUTDIR copied onto the initramfs root
# (EXTRA_TREES=OUTDIR tools/linux/mkinitramfs.sh ...) gives
#
#   /usr/bin/tcc, /usr/bin/make     dynamically linked against the glibc below
#   /lib64/ld-linux-x86-64.so.2     -> /lib/x86_64-linux-gnu/ (real dirs, as
#   /lib/x86_64-linux-gnu/*.so.*       Debian's libc6 package ships them)
#   /usr/lib/x86_64-linux-gnu/      crt*.o, libc.so/libm.so scripts, tcc/
#   /usr/include/                   glibc headers, the kernel's asm headers and
#                                   the linux/ headers those reach
#   /src/schedsim/                  Formica's scheduler + its simulator, with
#                                   a Makefile: make -j4 -C /src/schedsim
#
# Why tcc and not gcc: the guest later runs under the hypervisor in Bochs at
# ~50 MIPS, so the initrd must stay small and each compiler process cheap.
# gcc is cc1 + as + collect2 + ld per file (four execs and ~100 MB of
# binaries); tcc is one ~300 KB program that compiles, assembles and links.
#
# The .deb files are fetched once with `apt-get download` into
# build/linux/compile-kit/debs (delete that directory to refetch).
# Nothing is installed on the host.  Needs apt-get, dpkg-deb, readelf.
set -euo pipefail

die() { echo "compile-kit: error: $*" >&2; exit 1; }
log() { echo "compile-kit: $*" >&2; }

TOP=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 1 ] || die "usage: compile-kit.sh OUTDIR"
OUT=$1
DEBS=$TOP/build/linux/compile-kit/debs
PKGS="tcc make libc6 libc6-dev linux-libc-dev"
MA=x86_64-linux-gnu
for t in apt-get dpkg-deb readelf; do
	command -v $t >/dev/null || die "$t not found"
done

# ---------------------------------------------------------------- download
mkdir -p "$DEBS"
for p in $PKGS; do
	ls "$DEBS/${p}_"*.deb >/dev/null 2>&1 && continue
	log "apt-get download $p"
	# as root, apt drops to user _apt for downloads: let it write here
	( cd "$DEBS" && chmod 0777 . && apt-get download -q "$p" >&2 ) ||
		die "apt-get download $p failed (try 'apt-get update' as root)"
done

# ---------------------------------------------------------------- unpack
# Everything is unpacked into a scratch dir and only what the kit needs is
# copied out: a list of what we keep is easier to check than a list of
# what we delete (docs, man pages, locales, gconv, static libc, i386 tcc...).
X=$(mktemp -d "${TMPDIR:-/tmp}/compile-kit.XXXXXX")
trap 'rm -rf "$X"' EXIT
for p in $PKGS; do
	deb=$(ls "$DEBS/${p}_"*.deb | sort -V | tail -1)
	dpkg-deb -x "$deb" "$X" || die "dpkg-deb -x $deb failed (delete $DEBS and retry)"
	log "unpacked $(basename "$deb")"
done

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
keep() {   # keep PATH...: copy paths (relative to the unpacked root) to OUT
	local f
	for f in "$@"; do
		[ -e "$X/$f" ] || [ -L "$X/$f" ] || die "package file /$f missing"
		mkdir -p "$OUT/$(dirname "$f")"
		cp -a "$X/$f" "$OUT/$f"
	done
}

# Programs.  /bin stays busybox's: the initramfs has it as a real directory
# full of applet links, so the kit adds nothing there.
keep usr/bin/tcc usr/bin/make

# The dynamic loader at the path every x86-64 binary names as PT_INTERP.
# libc6 ships /lib64/ld-linux-x86-64.so.2 as an absolute symlink into
# /lib/x86_64-linux-gnu and /lib/... as real directories (no usrmerge inside
# the package), which fits the initramfs, whose /lib is a real directory too.
keep lib64/ld-linux-x86-64.so.2 lib/$MA/ld-linux-x86-64.so.2

# Shared libraries: what tcc and make need at run time (DT_NEEDED, followed
# to closure), plus libc and libm, which compiled programs link against.
needed() { readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
todo="usr/bin/tcc usr/bin/make lib/$MA/libc.so.6 lib/$MA/libm.so.6"
declare -A have=()
while [ -n "$todo" ]; do
	set -- $todo; f=$1; shift; todo="$*"
	[ -n "${have[$f]:-}" ] && continue
	have[$f]=1
	case "$f" in lib/*) keep "$f" ;; esac
	for n in $(needed "$X/$f"); do
		[ -e "$X/lib/$MA/$n" ] || die "$f needs $n, which no package here has"
		todo="$todo lib/$MA/$n"
	done
done

# Link time: the C runtime start files, the libc.so and libm.so linker
# scripts (tcc reads their GROUP/AS_NEEDED lines), libc_nonshared.a which
# libc.so names, and tcc's own runtime library and headers.  libm.so names
# libmvec.so.1 AS_NEEDED; tcc skips it when it is missing, so libmvec (1 MB)
# stays out.
keep usr/lib/$MA/crt1.o usr/lib/$MA/crti.o usr/lib/$MA/crtn.o \
	usr/lib/$MA/libc.so usr/lib/$MA/libc_nonshared.a usr/lib/$MA/libm.so \
	usr/lib/$MA/tcc/libtcc1.a usr/lib/$MA/tcc/include
# glibc's empty compatibility archives (4 KB each), so that Makefiles that
# say -lpthread, -ldl or -lrt still link.
for l in pthread dl rt; do keep usr/lib/$MA/lib$l.a; done

# Headers.  All of glibc's (libc6-dev's own list), the kernel's asm/ and
# asm-generic/ (glibc's bits/ include them), and of the kernel's 4.7 MB of
# linux/ only the headers reachable through #include from those.  Other
# kernel UAPI trees (sound, rdma, xen, drm...) are left out.
dpkg-deb -c "$(ls "$DEBS"/libc6-dev_*.deb | sort -V | tail -1)" |
	awk '{print $6}' | sed -n 's|^\./\(usr/include/.*[^/]\)$|\1|p' >"$X/libc-headers"
tar -C "$X" -cf - -T "$X/libc-headers" | tar -C "$OUT" -xf -   # one cp per file is slow
keep usr/include/$MA/asm usr/include/asm-generic
declare -A tried=()
while :; do
	# linux/ headers included from the kept tree and not yet tried
	new=$(grep -rhoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<linux/[^>]+>' \
		"$OUT/usr/include" | sed 's/.*<\(.*\)>/\1/' | sort -u |
		while read -r h; do [ -e "$OUT/usr/include/$h" ] || echo "$h"; done)
	added=0
	for h in $new; do
		[ -n "${tried[$h]:-}" ] && continue
		tried[$h]=1; added=1
		if [ -e "$X/usr/include/$h" ]; then keep "usr/include/$h"
		else log "note: <$h> is included but no package here has it"; fi
	done
	[ $added = 1 ] || break
done

# ---------------------------------------------------------------- program
# The program to build: Formica's disk request scheduler (sched/, the 7
# files the simulator links) and its simulator (tools/schedsim/, 4 files),
# copied from this tree as it is now, with a Makefile and a quick driver
# from tools/linux/compile-kit/.  The scheduler's files are named, not
# globbed: a file added to sched/ later (hdd_model.c, which needs a 128-bit
# integer tcc does not have) must not change or break the guest's compile.
# The layout mirrors the include paths the sources use: "sched/sched.h"
# from the top, "types.h" and "string.h" from include/ (hv/include).
S=$OUT/src/schedsim
mkdir -p "$S/include" "$S/sched" "$S/sim"
cp "$TOP/hv/include/types.h" "$TOP/hv/include/string.h" "$S/include/"
for f in anticipatory deadline fcfs params proc queue sched; do
	cp "$TOP/sched/$f.c" "$S/sched/"
done
cp "$TOP"/sched/*.h "$S/sched/"
cp "$TOP"/tools/schedsim/*.c "$TOP"/tools/schedsim/*.h "$S/sim/"
cp "$TOP"/tools/linux/compile-kit/Makefile.guest "$S/Makefile"
cp "$TOP"/tools/linux/compile-kit/quick.c "$S/quick.c"
nc=$(ls "$S"/*.c "$S"/*/*.c | wc -l)

# Fixed timestamps: the kit's bytes depend only on the inputs.  The sources
# get a time in the past so that make in the guest sees no .o as up to date.
find "$OUT" -exec touch -h -d @0 {} +

log "$OUT: $(du -sh --apparent-size "$OUT" | cut -f1) in $(find "$OUT" -type f | wc -l) files" \
	"(headers $(du -sh --apparent-size "$OUT/usr/include" | cut -f1)," \
	"libs $(du -sh --apparent-size "$OUT/lib" | cut -f1)); program: /src/schedsim, $nc .c files"
