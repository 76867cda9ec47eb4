#!/usr/bin/env bash
# The systemd units of the Debian package as systemd itself reads them:
# `systemd-analyze verify` must accept both, and the offline security
# assessment must stay at the exposure recorded in docs/packaging.md or
# lower.  Arguments: the source root and the built ykt binary.
set -uo pipefail
src="$1" ykt="$2"
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed (package systemd)"; exit 77; }
command -v man >/dev/null || { echo "SKIP: man not installed (package man-db): verify checks Documentation="; exit 77; }
dir=$(mktemp -d) && trap 'rm -rf "$dir"' EXIT
# the units name /usr/bin/ykt; verify checks that the command exists
sed "s|/usr/bin/ykt|$ykt|g" "$src/debian/ykt-validator.service" >"$dir/ykt-validator.service"
sed "s|/usr/bin/ykt|$ykt|g" "$src/debian/ykt-validator.ykt-sync.service" >"$dir/ykt-sync.service"
fail=0
if ! out=$(MANPATH="$src/docs/man" systemd-analyze verify "$dir/ykt-validator.service" "$dir/ykt-sync.service" 2>&1) || [ -n "$out" ]; then
  echo "systemd-analyze verify:"; echo "$out"; fail=1
fi
# ceilings: what docs/packaging.md records (0.6 and 1.2 when written)
for pair in ykt-validator.service:1.0 ykt-sync.service:1.5; do
  unit=${pair%%:*} ceiling=${pair##*:}
  level=$(systemd-analyze security --offline=yes "$dir/$unit" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -z "$level" ]; then
    echo "$unit: no exposure level from systemd-analyze security"; fail=1
  elif awk -v l="$level" -v c="$ceiling" 'BEGIN { exit !(l > c) }'; then
    echo "$unit: exposure $level above $ceiling"; fail=1
  else
    echo "$unit: exposure $level (ceiling $ceiling)"
  fi
done
exit $fail
