#!/usr/bin/env bash
# Build the .deb, install it into a fresh Debian 12 root made with
# debootstrap, and run `ykt version` and `ykt selftest` there.  Not run by
# CI: it downloads a base system and takes minutes.  Root (debootstrap and
# chroot).  Output goes to stdout; docs/packaging-selftest.txt keeps the
# last run's.
#   tests/package/debootstrap-selftest.sh [WORKDIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/ykt-debootstrap-XXXXXX)}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$work/root"

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
command -v debootstrap >/dev/null || { echo "debootstrap is not installed"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (debootstrap, chroot)"; exit 1; }

echo "== build the package"
build="$work/src"
rm -rf "$build" && mkdir -p "$build"
git -C "$src" archive HEAD | tar -x -C "$build"
(cd "$build" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
  { tail -n 30 "$work/build.log"; exit 1; }
deb=$(ls "$work"/ykt-validator_*_*.deb)
echo "built $(basename "$deb")"

echo "== debootstrap bookworm into $root"
[ -x "$root/bin/sh" ] || debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log"; exit 1; }

echo "== install the package"
cp "$deb" "$root/tmp/"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq "/tmp/$(basename "$deb")" >"$work/install.log" 2>&1 ||
  { tail -n 30 "$work/install.log"; exit 1; }
chroot "$root" dpkg -s ykt-validator | sed -n 's/^\(Version\|Depends\): /\1: /p'
chroot "$root" getent passwd ykt
chroot "$root" stat -c '%n %U:%G %a' /var/lib/ykt /etc/ykt/ykt.conf 2>&1 || true

echo "== ykt version"
chroot "$root" ykt version
echo "== ykt selftest (no reader, PSAM or display in a chroot: failures expected and named)"
set +e
chroot "$root" ykt selftest -c /etc/ykt/ykt.conf
echo "selftest exit status: $?"
