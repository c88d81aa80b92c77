#!/bin/sh
# Installs what building and testing need, from Debian's packages, when it
# is missing. Usage: tests/deps.sh [build|test|demo|fuzz]
set -eu
what=${1:-test}
pkgs="cmake gcc make pkg-config liburing-dev libbearssl-dev openssl"
case $what in
test) pkgs="$pkgs libcriterion-dev python3 python3-cryptography testssl.sh sslscan gnutls-bin curl ucspi-tcp s6 execline systemd dpkg-dev file man-db groff-base valgrind clang libclang-rt-14-dev" ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev libcriterion-dev python3 gnutls-bin" ;;
demo) pkgs="$pkgs curl ucspi-tcp" ;;
esac
# The interop tests' Java and Node.js clients: Debian's packages only when
# no javac / node is on PATH (another JDK or Node.js may be installed).
if [ "$what" = test ]; then
	command -v javac >/dev/null 2>&1 || pkgs="$pkgs default-jdk-headless"
	command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
