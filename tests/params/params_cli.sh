#!/bin/sh
# `ykt params` as an operator runs it, and packages signed by the OpenSSL
# command line (the platform's side, independent of our signing code):
#   - install prints one line and exits 0; the listing shows the version in
#     force and the pending one;
#   - a refusal is one line on stderr naming the reason, exit 1, and the
#     version in force does not change;
#   - a header signed by `openssl pkeyutl -digest sm3` with the
#     distinguishing ID 1234567812345678 verifies; with another ID it does
#     not; and `openssl pkeyutl -verify` accepts what ykt-params-pack signs.
# Usage: params_cli.sh YKT YKT-PARAMS-PACK DATA-DIR
set -eu
ykt=$(realpath "$1") pack=$(realpath "$2") data=$(realpath "$3")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ykt-params-cli.XXXXXX")
failures=0
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect STATUS PATTERN-IN-OUTPUT COMMAND...: exit status and a line of
# stdout+stderr matching the pattern
expect() {
  want=$1 pattern=$2; shift 2
  set +e; "$@" >out 2>err; got=$?; set -e
  [ "$got" = "$want" ] || fail "$* exited $got, expected $want: $(cat out err)"
  grep -q -- "$pattern" out err || fail "$*: no '$pattern' in: $(cat out err)"
}

in_force() { # SET VERSION
  "$ykt" params -c ykt.conf >list
  grep -Eq "^$1 +$2 +active" list || fail "$1 $2 not in force: $(cat list)"
}

"$pack" --genkey platform.key platform.pub >/dev/null
"$pack" --genkey other.key other.pub >/dev/null
cat >ykt.conf <<CONF
[device]
id = CLI-PARAMS
acquirer_city = 1000
acquirer_institution = 11011000FFFFFFFF
[hardware]
reader = sim:none.tap
sam = sim:none.psam
clock = sim:2026-11-21T08:00:00
[store]
path = records.db
[params]
dir = params
public_key = platform.pub
[purchase]
fare_fen = 200
CONF

printf '10001000000000012345\n10001000000000070001\n' >list.txt
printf -- '-10001000000000012345\n' >delta.txt
"$pack" --kind blacklist-full --version 3 --effective 2026-11-21T07:00:00 \
  --key platform.key list.txt v3.pkg >/dev/null
"$pack" --kind blacklist-full --version 2 --effective 2026-11-21T07:00:00 \
  --key platform.key list.txt v2.pkg >/dev/null
"$pack" --kind blacklist-delta --version 4 --base 3 --effective 2026-11-22T00:00:00 \
  --key platform.key delta.txt d4.pkg >/dev/null
"$pack" --kind blacklist-full --version 5 --effective 2026-11-21T07:00:00 \
  --unsigned list.txt unsigned.pkg >/dev/null
"$pack" --kind blacklist-full --version 5 --effective 2026-11-21T07:00:00 \
  --key other.key list.txt other.pkg >/dev/null

expect 0 "^blacklist  *- *none" "$ykt" params -c ykt.conf
expect 0 "^installed blacklist-full version 3: 2 entries, active$" \
  "$ykt" params install v3.pkg -c ykt.conf
in_force blacklist 3
expect 0 "^already installed: blacklist-full version 3" "$ykt" params install v3.pkg -c ykt.conf
expect 1 "^ykt: refused v2.pkg: stale: blacklist version 2 is not newer than installed version 3$" \
  "$ykt" params install v2.pkg -c ykt.conf
expect 1 "^ykt: refused unsigned.pkg: package is not signed$" \
  "$ykt" params install unsigned.pkg -c ykt.conf
expect 1 "^ykt: refused other.pkg: signature does not verify with the platform key$" \
  "$ykt" params install other.pkg -c ykt.conf
[ "$(wc -l <err)" = 1 ] || fail "a refusal is one line: $(cat err)"
expect 1 "^ykt: refused missing.pkg: missing.pkg: No such file or directory$" \
  "$ykt" params install missing.pkg -c ykt.conf
expect 0 "pending until 2026-11-22T00:00:00" "$ykt" params install d4.pkg -c ykt.conf
in_force blacklist 3
grep -Eq "^blacklist +4 +pending +2026-11-22T00:00:00 +1 +blacklist-delta on 3$" list ||
  fail "pending delta not listed: $(cat list)"
# the same database one day later: the delta is in force
sed 's/^clock = .*/clock = sim:2026-11-22T00:00:00/' ykt.conf >later.conf
"$ykt" params -c later.conf >list
grep -Eq "^blacklist +4 +active" list || fail "delta not in force next day: $(cat list)"

# JSON kinds from the documented examples
for k in whitelist:whitelist fare-table:fare-metro card-rules:card-rules \
  device-settings:device-settings; do
  "$pack" --kind "${k%%:*}" --version 1 --effective 2026-11-21T07:00:00 \
    --key platform.key "$data/params/${k#*:}.json" "${k#*:}.pkg" >/dev/null
  expect 0 "^installed ${k%%:*} version 1" "$ykt" params install "${k#*:}.pkg" -c ykt.conf
done
in_force fare-table 1
printf '{"type": "flat", "fare_fen": 200, "colour": "red"}' >bad.json
"$pack" --kind fare-table --version 2 --effective 2026-11-21T07:00:00 \
  --key platform.key bad.json bad.pkg >/dev/null
expect 1 "^ykt: refused bad.pkg: unknown key \"colour\"$" "$ykt" params install bad.pkg -c ykt.conf
in_force fare-table 1

# usage and configuration
expect 2 "Usage: ykt params" "$ykt" params uninstall v3.pkg -c ykt.conf
grep -v '^\[params\]\|^dir\|^public_key' ykt.conf >noparams.conf
expect 2 "no \[params\] dir" "$ykt" params -c noparams.conf

# the OpenSSL command line as the platform's signer
if command -v openssl >/dev/null 2>&1; then
  openssl genpkey -algorithm SM2 -out ossl.key 2>/dev/null
  openssl pkey -in ossl.key -pubout -out ossl.pub 2>/dev/null
  sed 's/^public_key = .*/public_key = ossl.pub/; s/^path = .*/path = ossl.db/; s/^dir = .*/dir = ossl-params/' \
    ykt.conf >ossl.conf
  "$pack" --kind blacklist-full --version 7 --effective 2026-11-21T07:00:00 --unsigned \
    list.txt unsigned7.pkg >/dev/null
  head -c 72 unsigned7.pkg >header
  tail -c +75 unsigned7.pkg >payload
  for id in 1234567812345678 1234567812345679; do
    openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt "distid:$id" -inkey ossl.key \
      -in header -out sig
    n=$(wc -c <sig)
    { cat header; printf "\\$(printf %03o $((n / 256)))\\$(printf %03o $((n % 256)))"; cat sig payload; } >"ossl-$id.pkg"
  done
  expect 0 "^installed blacklist-full version 7" "$ykt" params install ossl-1234567812345678.pkg -c ossl.conf
  rm -rf ossl-params ossl.db*
  expect 1 "signature does not verify" "$ykt" params install ossl-1234567812345679.pkg -c ossl.conf
  # and the other way round: OpenSSL verifies what ykt-params-pack signed
  "$pack" --kind blacklist-full --version 8 --effective 2026-11-21T07:00:00 --key ossl.key \
    list.txt signed8.pkg >/dev/null
  head -c 72 signed8.pkg >header8
  n=$(od -An -tu1 -j72 -N2 signed8.pkg | awk '{print $1 * 256 + $2}')
  tail -c +75 signed8.pkg | head -c "$n" >sig8
  openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
    -inkey ossl.pub -in header8 -sigfile sig8 >out 2>&1 || fail "openssl: $(cat out)"
else
  echo "openssl command not installed: OpenSSL command-line interoperability not checked" >&2
fi

[ "$failures" = 0 ] || { echo "$failures failure(s); files in $tmp" >&2; trap - EXIT; exit 1; }
echo "ykt params: all checks passed"
