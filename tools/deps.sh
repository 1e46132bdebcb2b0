#!/usr/bin/env bash
# deps.sh PKG... - make sure the Debian packages the build needs are installed.
# As root: installs what is missing with apt-get.  Otherwise: prints the one
# command to run and fails.
set -u
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "formica: missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "formica: run:  sudo apt-get install -y ${missing[*]}"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || true
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
