#!/bin/sh
# Generate throw-away client CAs and client certificates for the client
# certificate tests (-Y / -y: crypto/anchors, crypto/peercert).
# Usage: gen-client-certs.sh OUTDIR
#
# Layout of OUTDIR (NAME.pem: the certificate, PEM; NAME.der: the same, DER;
# NAME.key: its PKCS#8 PEM key; NAME.chain.pem: what the client sends):
#   ca       client root CA, EC P-256, "C=FR, O=s6-tlsd tests, CN=Client Root CA"
#   ca2      second client root CA, RSA 2048 (CN=Client Root CA 2)
#   cas.pem  ca.pem then ca2.pem: a CAFILE with both
#   int      intermediate CA, EC, signed by ca
#   other    an unrelated CA, EC (nobody trusts it)
#   ec       client, EC, signed by ca; subject in scrambled order, with two
#            OUs, a UTF-8 locality and a comma in the CN
#   rsa      client, RSA 2048, signed by ca2
#   chained  client, EC, signed by int; chain = leaf + int
#   expired  client, EC, signed by ca, valid 2020-01-01 to 2020-01-02
#   self     client, EC, self-signed (not a CA)
#   stranger client, EC, signed by other
#   bigdn    client, EC, signed by ca, subject DN over 1 KiB (20 OUs)
set -eu
out=${1:?usage: gen-client-certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

q() { "$@" >/dev/null 2>&1 || { echo "gen-client-certs: failed: $*" >&2; exit 1; }; }

printf '%s\n' 'basicConstraints=critical,CA:TRUE' \
	'keyUsage=critical,keyCertSign,cRLSign' \
	'subjectKeyIdentifier=hash' >"$tmp/ca.ext"
printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
	'keyUsage=critical,digitalSignature' \
	'extendedKeyUsage=clientAuth' >"$tmp/leaf.ext"
# openssl ca, for the one certificate with explicit dates (OpenSSL 3.0's
# x509 -req has no -not_before / -not_after).
mkdir "$tmp/newcerts"
: >"$tmp/index.txt"
echo 1000 >"$tmp/serial"
cat >"$tmp/ca.cnf" <<EOF
[ca]
default_ca = cadef
[cadef]
database = $tmp/index.txt
new_certs_dir = $tmp/newcerts
serial = $tmp/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = supplied
organizationName = optional
EOF

ec() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
rsa() { q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"; }
der() { q openssl x509 -in "$1.pem" -outform DER -out "$1.der"; }

root() { # NAME SUBJECT
	q openssl req -x509 -new -key "$1.key" -subj "$2" -days 30 -sha256 \
		-out "$1.pem" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign
	der "$1"
}

# NAME ISSUER EXTFILE SUBJECT [REQ-ARGS...]: NAME.key exists already.
signed() {
	name=$1 issuer=$2 ext=$3 subj=$4
	shift 4
	q openssl req -new -key "$name.key" -subj "$subj" "$@" \
		-out "$tmp/$name.csr"
	q openssl x509 -req -in "$tmp/$name.csr" -CA "$issuer.pem" \
		-CAkey "$issuer.key" -CAcreateserial -days 30 -sha256 \
		-extfile "$ext" -out "$name.pem"
	der "$name"
	cp "$name.pem" "$name.chain.pem"
}

ec ca
root ca "/C=FR/O=s6-tlsd tests/CN=Client Root CA"
rsa ca2
root ca2 "/C=FR/O=s6-tlsd tests/CN=Client Root CA 2"
cat ca.pem ca2.pem >cas.pem
ec other
root other "/O=Somebody Else/CN=Unrelated CA"
ec int
signed int ca "$tmp/ca.ext" "/O=s6-tlsd tests/CN=Client Intermediate CA"

ec ec
signed ec ca "$tmp/leaf.ext" \
	"/CN=Client, EC/OU=Unit B/O=s6-tlsd tests/OU=Unit A/L=Zürich/ST=Vaud/C=CH" \
	-utf8
rsa rsa
signed rsa ca2 "$tmp/leaf.ext" "/O=s6-tlsd tests/CN=client rsa"
ec chained
signed chained int "$tmp/leaf.ext" "/O=s6-tlsd tests/CN=client chained"
cat chained.pem int.pem >chained.chain.pem
ec stranger
signed stranger other "$tmp/leaf.ext" "/O=s6-tlsd tests/CN=client stranger"
ec bigdn
ous=
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
	ous="$ous/OU=organisational unit number $i of a very large subject"
done
signed bigdn ca "$tmp/leaf.ext" "/O=s6-tlsd tests$ous/CN=client bigdn"

ec self
q openssl req -x509 -new -key self.key -subj "/O=s6-tlsd tests/CN=client self" \
	-days 30 -sha256 -out self.pem \
	-addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature
der self
cp self.pem self.chain.pem

ec expired
q openssl req -new -key expired.key -subj "/O=s6-tlsd tests/CN=client expired" \
	-out "$tmp/expired.csr"
q openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key \
	-in "$tmp/expired.csr" -out expired.pem -notext -preserveDN \
	-startdate 20200101000000Z -enddate 20200102000000Z \
	-extfile "$tmp/leaf.ext"
der expired
cp expired.pem expired.chain.pem
rm -f ./*.srl
