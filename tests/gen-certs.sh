#!/bin/sh
# Generate throw-away keys and certificates for the tests and the demo.
# Usage: gen-certs.sh OUTDIR
# Nothing here is ever committed: every run makes fresh keys.
#
# Layout of OUTDIR:
#   ca.pem ca.key              root CA (EC P-256)
#   int.pem int.key            intermediate CA, signed by the root
#   NAME.key.pem               PKCS#8 PEM private key
#   NAME.key.der               PKCS#8 DER
#   NAME.key.trad.pem          traditional PEM (SEC1 "EC PRIVATE KEY" or
#                              PKCS#1 "RSA PRIVATE KEY")
#   NAME.key.trad.der          traditional DER
#   NAME.crt.pem NAME.crt.der  the leaf alone (CN=localhost, SAN localhost
#                              and 127.0.0.1), signed by the intermediate
#   NAME.chain.pem             leaf then intermediate
# for NAME in ec256 ec384 ec521 rsa2048.
set -eu
out=${1:?usage: gen-certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%s\n' 'basicConstraints=critical,CA:TRUE' \
	'keyUsage=critical,keyCertSign,cRLSign' \
	'subjectKeyIdentifier=hash' >"$tmp/ca.ext"
printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
	'keyUsage=critical,digitalSignature' \
	'extendedKeyUsage=serverAuth' \
	'subjectAltName=DNS:localhost,IP:127.0.0.1' >"$tmp/leaf.ext"

q() { "$@" >/dev/null 2>&1 || { echo "gen-certs: failed: $*" >&2; exit 1; }; }

q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
q openssl req -x509 -new -key ca.key -subj "/O=s6-tlsd tests/CN=Test Root CA" \
	-days 30 -sha256 -out ca.pem -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out int.key
q openssl req -new -key int.key -subj "/O=s6-tlsd tests/CN=Test Intermediate CA" \
	-out "$tmp/int.csr"
q openssl x509 -req -in "$tmp/int.csr" -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 30 -sha256 -extfile "$tmp/ca.ext" -out int.pem

leaf() { # NAME GENPKEY-ARGS...
	name=$1
	shift
	q openssl genpkey "$@" -out "$name.key.pem"
	q openssl pkey -in "$name.key.pem" -outform DER -out "$name.key.der"
	q openssl pkey -in "$name.key.pem" -traditional -out "$name.key.trad.pem"
	q openssl pkey -in "$name.key.pem" -traditional -outform DER \
		-out "$name.key.trad.der"
	q openssl req -new -key "$name.key.pem" \
		-subj "/O=s6-tlsd tests/CN=localhost" -out "$tmp/$name.csr"
	q openssl x509 -req -in "$tmp/$name.csr" -CA int.pem -CAkey int.key \
		-CAcreateserial -days 30 -sha256 -extfile "$tmp/leaf.ext" \
		-out "$name.crt.pem"
	q openssl x509 -in "$name.crt.pem" -outform DER -out "$name.crt.der"
	cat "$name.crt.pem" int.pem >"$name.chain.pem"
}

leaf ec256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
leaf ec384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
leaf ec521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
leaf rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
rm -f ./*.srl
