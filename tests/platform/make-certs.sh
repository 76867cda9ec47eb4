#!/bin/sh
# Test PKI for the uplink, made fresh by each test (openssl CLI), never kept:
#   ca.pem / ca.key            the platform operator's CA
#   server.pem / server.key    the platform, for 127.0.0.1 and localhost
#   DEVICE.pem / DEVICE.key    one client certificate per terminal, subject CN = DEVICE
#   rogue-ca.*, rogue-server.*, rogue-DEVICE.*   the same from a CA nobody trusts
# Usage: make-certs.sh DIR DEVICE...   (EC P-256 keys: quick to make)
set -eu
dir=$1
shift
cd "$dir"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

ca() { # name subject
  openssl req -x509 $ec -keyout "$1.key" -out "$1.pem" -days 30 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}

leaf() { # name subject ca extension-lines
  openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost'
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

ca ca "/O=ykt test platform/CN=ykt test CA"
ca rogue-ca "/O=somebody else/CN=rogue CA"
leaf server "/O=ykt test platform/CN=ykt-platform.test" ca "$server_ext"
leaf rogue-server "/O=somebody else/CN=ykt-platform.test" rogue-ca "$server_ext"
for d in "$@"; do
  leaf "$d" "/O=ykt test fleet/CN=$d" ca "$client_ext"
  leaf "rogue-$d" "/O=somebody else/CN=$d" rogue-ca "$client_ext"
done
chmod 600 ./*.key
