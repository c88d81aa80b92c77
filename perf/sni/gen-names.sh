#!/bin/sh
# Keypairs for the SNI start-up benchmark: N distinct EC P-256 keys, each
# with its own certificate (CN and SAN nameI.bench.test) signed by one
# intermediate, chain = leaf + intermediate.
# Usage: gen-names.sh OUTDIR N
# Layout: ca.pem, int.pem, nameI.key (PKCS#8 PEM), nameI.chain.pem for
# I in 0..N-1; `done` marks a complete run.
set -eu
out=${1:?usage: gen-names.sh OUTDIR N}
n=${2:?usage: gen-names.sh OUTDIR N}
mkdir -p "$out"
cd "$out"
rm -f done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { "$@" >/dev/null 2>&1 || { echo "gen-names: failed: $*" >&2; exit 1; }; }

printf '%s\n' 'basicConstraints=critical,CA:TRUE' \
	'keyUsage=critical,keyCertSign,cRLSign' >"$tmp/ca.ext"
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key"
q openssl req -x509 -new -key "$tmp/ca.key" -subj "/CN=SNI bench root" -days 30 \
	-sha256 -out ca.pem -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/int.key"
q openssl req -new -key "$tmp/int.key" -subj "/CN=SNI bench intermediate" \
	-out "$tmp/int.csr"
q openssl x509 -req -in "$tmp/int.csr" -CA ca.pem -CAkey "$tmp/ca.key" \
	-CAcreateserial -days 30 -sha256 -extfile "$tmp/ca.ext" -out int.pem

i=0
while [ "$i" -lt "$n" ]; do
	name=name$i.bench.test
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
		"subjectAltName=DNS:$name" >"$tmp/leaf.ext"
	q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "name$i.key"
	q openssl req -new -key "name$i.key" -subj "/CN=$name" -out "$tmp/leaf.csr"
	q openssl x509 -req -in "$tmp/leaf.csr" -CA int.pem -CAkey "$tmp/int.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$tmp/leaf.ext" \
		-out "$tmp/leaf.pem"
	cat "$tmp/leaf.pem" int.pem >"name$i.chain.pem"
	i=$((i + 1))
done
rm -f ./*.srl
: >done
