#!/bin/sh
# Generate throw-away server keypairs for the SNI tests (-k snilevel,
# KEYFILE:x / CERTFILE:x), and one client certificate whose subject needs
# escaping (SSL_PEER_CERT_SUBJECT).
# Usage: gen-sni-certs.sh OUTDIR
# Nothing here is ever committed: every run makes fresh keys.
#
# Layout of OUTDIR:
#   ca.pem ca.key        root CA (EC P-256), "O=s6-tlsd sni tests, CN=SNI Root CA"
#   ca.der               the same, DER
#   int.pem int.key      intermediate CA (EC P-256), signed by the root
#   TAG.ALG.key          PKCS#8 PEM private key
#   TAG.ALG.crt.pem      the leaf alone, signed by the intermediate
#   TAG.ALG.crt.der      the same, DER
#   TAG.ALG.chain.pem    leaf then intermediate (what CERTFILE:x names)
# for ALG in ec (P-256) and rsa (2048), and TAG / subject CN / SAN:
#   example          example.com       DNS:example.com
#   www              www.example.com   DNS:www.example.com
#   wild             *.example.com     DNS:*.example.com
#   other            other.org         DNS:other.org
#   default          default.invalid   DNS:default.invalid  (the plain pair)
# Subjects are "O=s6-tlsd sni tests, OU=TAG-ALG, CN=<name>", so the leaf a
# client received tells both which name and which key type was served.
#   esc.key esc.pem esc.der esc.chain.pem
#                        client certificate (EC), signed by the
#                        intermediate, chain = leaf + intermediate; its
#                        subject holds every character the notification
#                        escapes (see test_io_clientcert.py)
set -eu
out=${1:?usage: gen-sni-certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

q() { "$@" >/dev/null 2>&1 || { echo "gen-sni-certs: failed: $*" >&2; exit 1; }; }

printf '%s\n' 'basicConstraints=critical,CA:TRUE' \
	'keyUsage=critical,keyCertSign,cRLSign' \
	'subjectKeyIdentifier=hash' >"$tmp/ca.ext"
printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
	'keyUsage=critical,digitalSignature' \
	'extendedKeyUsage=clientAuth' >"$tmp/client.ext"

q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
q openssl req -x509 -new -key ca.key -subj "/O=s6-tlsd sni tests/CN=SNI Root CA" \
	-days 30 -sha256 -out ca.pem -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
q openssl x509 -in ca.pem -outform DER -out ca.der
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out int.key
q openssl req -new -key int.key \
	-subj "/O=s6-tlsd sni tests/CN=SNI Intermediate CA" -out "$tmp/int.csr"
q openssl x509 -req -in "$tmp/int.csr" -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 30 -sha256 -extfile "$tmp/ca.ext" -out int.pem

server() { # TAG NAME
	tag=$1 name=$2
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=serverAuth' \
		"subjectAltName=DNS:$name" >"$tmp/$tag.ext"
	for alg in ec rsa; do
		base=$tag.$alg
		if [ "$alg" = ec ]; then
			q openssl genpkey -algorithm EC \
				-pkeyopt ec_paramgen_curve:P-256 -out "$base.key"
		else
			q openssl genpkey -algorithm RSA \
				-pkeyopt rsa_keygen_bits:2048 -out "$base.key"
		fi
		q openssl req -new -key "$base.key" \
			-subj "/O=s6-tlsd sni tests/OU=$tag-$alg/CN=$name" \
			-out "$tmp/$base.csr"
		q openssl x509 -req -in "$tmp/$base.csr" -CA int.pem \
			-CAkey int.key -CAcreateserial -days 30 -sha256 \
			-extfile "$tmp/$tag.ext" -out "$base.crt.pem"
		q openssl x509 -in "$base.crt.pem" -outform DER -out "$base.crt.der"
		cat "$base.crt.pem" int.pem >"$base.chain.pem"
	done
}

server example example.com
server www www.example.com
server wild '*.example.com'
server other other.org
server default default.invalid

# The client certificate with a subject full of special characters:
#   C=FR, ST=" lead", L="trail ", O="a,b=c+d<e>f#g\h", OU="#hash",
#   CN="line1<NL>line2" (a real newline), given in scrambled order.
# -subj: a backslash escapes the next character.
nl='
'
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out esc.key
q openssl req -new -key esc.key -utf8 \
	-subj "/CN=line1${nl}line2/OU=#hash/O=a,b=c\\+d<e>f#g\\\\h/L=trail /ST= lead/C=FR" \
	-out "$tmp/esc.csr"
q openssl x509 -req -in "$tmp/esc.csr" -CA int.pem -CAkey int.key \
	-CAcreateserial -days 30 -sha256 -extfile "$tmp/client.ext" -out esc.pem
q openssl x509 -in esc.pem -outform DER -out esc.der
cat esc.pem int.pem >esc.chain.pem
rm -f ./*.srl
