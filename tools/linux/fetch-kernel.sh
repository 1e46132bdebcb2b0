#!/bin/bash
# fetch-kernel.sh [OUTDIR [PACKAGE]]
#
# Fetch a Debian amd64 kernel and unpack it into OUTDIR (default:
# build/linux/ at the top of the repo).  PACKAGE (default linux-image-amd64,
# Debian's stock kernel) is a metapackage, resolved to the versioned package
# it depends on today (linux-image-6.12-amd64 -> linux-image-6.12.N+debV-amd64),
# or a versioned package itself (linux-image-6.1.0-57-amd64).  Each kernel
# wants its own OUTDIR: the kit's list is KERNEL_KITS in tools/linux/unit.mk.
# Leaves:
#
#   OUTDIR/vmlinuz     the bzImage (also a valid EFI application: EFI stub)
#   OUTDIR/modules/    holds VERSION/, the lib/modules/VERSION tree; the
#                      package ships no modules.dep (its postinst runs
#                      depmod), so we run depmod on it (kmod's, or
#                      busybox's as a fallback)
#   OUTDIR/vmlinux     the decompressed kernel ELF (stripped), cut out of the
#                      bzImage's XZ payload with the host's xz: booting it
#                      through its PVH entry (ELF note XEN_ELFNOTE_PHYS32_ENTRY,
#                      Debian has CONFIG_PVH=y) skips the in-guest XZ
#                      decompression, ~4.5e9 emulated instructions in Bochs
#   OUTDIR/config, OUTDIR/System.map   from the package
#   OUTDIR/version     the kernel release string, e.g. 6.1.0-56-amd64
#   OUTDIR/package     the exact package name and Debian version
#
# Idempotent: if OUTDIR/vmlinuz already belongs to the version that
# PACKAGE currently resolves to, nothing is downloaded.
# Needs apt-get/apt-cache (Debian); runs `apt-get update` once if the
# package lists do not know PACKAGE (that needs root).
set -euo pipefail

die() { echo "fetch-kernel: error: $*" >&2; exit 1; }
log() { echo "fetch-kernel: $*" >&2; }

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$TOP/build/linux}
META=${2:-linux-image-amd64}
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

command -v apt-cache >/dev/null || die "apt-cache not found (this script needs a Debian host)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

resolve() {
	# A metapackage: the first "Depends: linux-image-X.Y..." line.  A
	# versioned package depends on no other kernel image: itself, if apt
	# knows it.
	local dep
	dep=$(apt-cache depends "$META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
	if [ -n "$dep" ]; then
		echo "$dep"
	elif apt-cache show "$META" 2>/dev/null | grep -q '^Version: '; then
		echo "$META"
	fi
}

PKG=$(resolve || true)
if [ -z "$PKG" ]; then
	log "apt does not know $META; running apt-get update"
	if [ "$(id -u)" != 0 ]; then
		die "package lists are empty or stale and we are not root: run 'sudo apt-get update' first"
	fi
	apt-get update -qq >&2 || die "apt-get update failed (no network to the Debian mirror?)"
	PKG=$(resolve || true)
	[ -n "$PKG" ] || die "could not resolve $META to a kernel package (apt-cache depends $META shows no linux-image-N dependency)"
fi
REL=${PKG#linux-image-}          # e.g. 6.1.0-56-amd64, 6.12.118+deb12-amd64
REL=${REL%-unsigned}

run_depmod() {
	# depmod wants BASEDIR/lib/modules/VERSION: point a scratch base at ours.
	local base="$OUT/.depmod-base"
	rm -rf "$base"; mkdir -p "$base/lib"
	ln -s ../../modules "$base/lib/modules"
	local dm
	if dm=$(command -v depmod || ls /sbin/depmod /usr/sbin/depmod 2>/dev/null | head -n1) && [ -n "$dm" ]; then
		"$dm" -a -b "$base" "$REL" || die "depmod failed on $OUT/modules/$REL"
	elif command -v busybox >/dev/null; then
		busybox depmod -b "$base" "$REL" || die "busybox depmod failed on $OUT/modules/$REL"
	else
		die "no depmod: install kmod (apt-get install kmod) or busybox-static"
	fi
	rm -rf "$base"
	[ -s "$OUT/modules/$REL/modules.dep" ] || die "depmod produced no modules.dep"
}

extract_vmlinux() {
	# bzImage: setup is (setup_sects+1)*512 bytes (setup_sects at 0x1f1);
	# payload_offset (0x248) and payload_length (0x24c) locate the
	# compressed kernel inside the protected-mode part.  Debian compresses
	# it with XZ up to 6.1 and with zstd from 6.12 on; the magic says which.
	local sects poff plen magic tool
	sects=$(od -An -tu1 -j 497 -N1 "$OUT/vmlinuz" | tr -d ' ')
	poff=$(od -An -tu4 -j 584 -N4 "$OUT/vmlinuz" | tr -d ' ')
	plen=$(od -An -tu4 -j 588 -N4 "$OUT/vmlinuz" | tr -d ' ')
	poff=$(( (sects + 1) * 512 + poff ))
	magic=$(dd if="$OUT/vmlinuz" bs=64k iflag=skip_bytes,count_bytes skip=$poff count=6 status=none | od -An -tx1 | tr -d ' ')
	case $magic in
	fd377a585a00) tool="xz -dc --single-stream" ;;
	28b52ffd*) tool="zstd -dcq" ;;
	*) log "warning: the bzImage payload is neither XZ nor zstd ($magic): not extracting vmlinux"; return 0 ;;
	esac
	command -v "${tool%% *}" >/dev/null ||
		{ log "warning: no ${tool%% *} (apt-get install xz-utils zstd): not extracting vmlinux"; return 0; }
	# zstd may complain about the padding after the frame; the frame is
	# whole if the ELF came out.
	dd if="$OUT/vmlinuz" bs=64k iflag=skip_bytes,count_bytes skip=$poff count=$plen status=none |
		$tool >"$OUT/vmlinux.tmp" 2>/dev/null || true
	[ "$(od -An -tx1 -N4 "$OUT/vmlinux.tmp" | tr -d ' ')" = 7f454c46 ] ||
		die "could not decompress the kernel payload"
	mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
}

if [ -s "$OUT/vmlinuz" ] && [ -d "$OUT/modules/$REL" ] && [ "$(cat "$OUT/version" 2>/dev/null)" = "$REL" ]; then
	[ -s "$OUT/modules/$REL/modules.dep" ] || { log "running depmod"; run_depmod; }
	[ -s "$OUT/vmlinux" ] || { log "extracting vmlinux"; extract_vmlinux; }
	log "kernel $REL already in $OUT (cached)"
	echo "$OUT/vmlinuz"
	exit 0
fi

DEBVER=$(apt-cache show "$PKG" 2>/dev/null | sed -n 's/^Version: //p' | head -n1 || true)
[ -n "$DEBVER" ] || die "apt-cache show $PKG gives no Version"
log "$META -> $PKG ($DEBVER)"

DL="$OUT/deb"
mkdir -p "$DL"
DEB=$(ls "$DL"/"${PKG}"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$DEB" ]; then
	log "downloading $PKG (about 70 MB)"
	# apt-get download writes to the current directory; as root it drops
	# privileges to _apt, which must be able to write there.
	( cd "$DL" && chmod 0777 . && apt-get download -q "$PKG" >&2 ) ||
		die "apt-get download $PKG failed (try 'apt-get update' as root)"
	DEB=$(ls "$DL"/"${PKG}"_*.deb 2>/dev/null | head -n1 || true)
	[ -n "$DEB" ] || die "apt-get download reported success but no ${PKG}_*.deb in $DL"
fi

log "unpacking $(basename "$DEB")"
X="$OUT/.unpack"
rm -rf "$X"
dpkg-deb -x "$DEB" "$X" || die "dpkg-deb -x $DEB failed (corrupt download? delete $DL and retry)"
[ -f "$X/boot/vmlinuz-$REL" ] || die "package has no boot/vmlinuz-$REL"
[ -d "$X/lib/modules/$REL" ] || die "package has no lib/modules/$REL"

rm -rf "$OUT/modules" "$OUT/vmlinuz" "$OUT/vmlinux" "$OUT/config" "$OUT/System.map" "$OUT/version"
mkdir -p "$OUT/modules"
mv "$X/lib/modules/$REL" "$OUT/modules/$REL"
mv "$X/boot/vmlinuz-$REL" "$OUT/vmlinuz"
[ -f "$X/boot/config-$REL" ] && mv "$X/boot/config-$REL" "$OUT/config"
[ -f "$X/boot/System.map-$REL" ] && mv "$X/boot/System.map-$REL" "$OUT/System.map"
rm -rf "$X"
log "running depmod"
run_depmod
log "extracting vmlinux"
extract_vmlinux
echo "$PKG $DEBVER" >"$OUT/package"
echo "$REL" >"$OUT/version"   # written last: marks a complete unpack
log "kernel $REL ready: $OUT/vmlinuz, $OUT/modules/$REL"
echo "$OUT/vmlinuz"
