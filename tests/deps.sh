#!/bin/sh
# Installs what building and testing need, from Debian's packages, when it
# is missing. Usage: tests/deps.sh [build|test|demo]
set -eu
what=${1:-test}
pkgs="cmake gcc make pkg-config liburing-dev libbearssl-dev openssl"
case $what in
test) pkgs="$pkgs libcriterion-dev python3 gnutls-bin curl ucspi-tcp" ;;
demo) pkgs="$pkgs curl ucspi-tcp" ;;
esac
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
