#!/bin/sh
# s6-tlsd demo: an HTTPS "hello" server made of tcpserver, s6-tlsd and a
# shell script that knows nothing about TLS.
#
# Usage (on Debian 12, as root if packages are missing):
#     sh doc/demo/run-demo.sh
# then, in another terminal, the curl line it prints. Ctrl-C stops it.
#
# Environment: PORT (default 8443); BUILD, the build directory (default:
# build at the root of the repository).
#
# Steps: install the missing build dependencies (apt-get), build the
# project (Release), make a throw-away CA and server certificate under the
# build tree (tests/gen-certs.sh), and run, in the foreground:
#     tcpserver -v -c 100 127.0.0.1 $PORT \
#         env KEYFILE=... CERTFILE=... BUILD/src/s6-tlsd -- sh hello-http.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${PORT:-8443}
build=${BUILD:-$root/build}
pkgs="cmake gcc make pkg-config liburing-dev libbearssl-dev libcriterion-dev
ucspi-tcp openssl curl"

say() { printf 'run-demo: %s\n' "$*" >&2; }

install_missing() {
	missing=
	for p in $pkgs; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q ' installed$' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		say "missing packages:$missing; run me as root to install them"
		exit 1
	fi
	say "installing:$missing"
	apt-get update
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
}

build() {
	say "building in $build"
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	# the demo needs the two programs only, not the test suite
	cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
		--target s6-tlsd s6-tlsd-io >/dev/null
}

install_missing
build
certs=$build/demo-certs
say "generating a throw-away CA and server certificate in $certs"
sh "$root/tests/gen-certs.sh" "$certs"

srv=
# shellcheck disable=SC2317 # called from the trap
stop() {
	trap - INT TERM EXIT
	if [ -n "$srv" ]; then
		# tcpserver leads its own process group (setsid below): this
		# stops it and every connection still running under it
		kill -TERM -- "-$srv" 2>/dev/null || kill -TERM "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null || :
	fi
	say "stopped"
	exit 0
}
trap stop INT TERM EXIT

cat <<MSG

  Serving https://localhost:$port/ (Ctrl-C to stop). Try, in another terminal:

    curl --cacert $certs/ca.pem https://localhost:$port/

MSG

# setsid: its own session and process group, so that Ctrl-C reaches this
# script only, which then stops the whole group cleanly
setsid tcpserver -v -c 100 127.0.0.1 "$port" \
	env KEYFILE="$certs/ec256.key.pem" CERTFILE="$certs/ec256.chain.pem" \
	"$build/src/s6-tlsd" -- sh "$here/hello-http.sh" &
srv=$!
rc=0
wait "$srv" || rc=$?
srv=
trap - INT TERM EXIT
say "tcpserver exited with status $rc"
exit "$rc"
