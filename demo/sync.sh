#!/bin/sh
# After the demo shift: the depot sync.  Makes a throw-away test PKI, starts
# the reference platform (tests/platform) on a free loopback port, runs
# `ykt sync` on the shift's records (demo/shift.db), shows what the platform
# received, and stops it.  docs/uplink.md.
#
# Usage: sh demo/sync.sh [BUILD_DIR]    (default: build)
set -eu
build=${1:-build}
demo=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$demo")
work=$(mktemp -d "${TMPDIR:-/tmp}/ykt-demo-sync-XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

sh "$root/tests/platform/make-certs.sh" "$work" DEMO-BUS-0001
"$build/tests/platform/ykt-platform" --cert "$work/server.pem" --key "$work/server.key" \
  --client-ca "$work/ca.pem" --db "$work/platform.db" \
  --keys "$root/tests/data/keys/issuer-sm4.keys" --port-file "$work/port" >"$work/platform.log" &
pid=$!
i=0
while [ ! -s "$work/port" ]; do
  i=$((i + 1))
  [ $i -le 100 ] && kill -0 "$pid" 2>/dev/null || { cat "$work/platform.log"; exit 1; }
  sleep 0.05
done

# the demo's device and store, and how to reach the platform
cat >"$work/sync.conf" <<EOF
[device]
id = DEMO-BUS-0001
acquirer_city = 1000
acquirer_institution = 11011000FFFFFFFF
[hardware]
reader = sim:$demo/shift.tap
sam = sim:$root/tests/data/psam/psam.psam
[store]
path = $demo/shift.db
[purchase]
fare_fen = 200
[uplink]
url = https://127.0.0.1:$(cat "$work/port")
client_cert = DEMO-BUS-0001.pem
client_key = DEMO-BUS-0001.key
ca = ca.pem
EOF
status=0
"$build/terminal/ykt" sync -c "$work/sync.conf" || status=$?
kill "$pid" && wait "$pid" || true
pid=
tail -n 1 "$work/platform.log"
exit $status
