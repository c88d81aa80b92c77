#!/bin/sh
# Makes the fuzz targets' seed corpus in OUTDIR, one directory per target
# (server keys anchors pem notif options dn). Throw-away keys only, made
# now by gen-certs.sh; nothing here is ever committed.
#
# Usage: tests/fuzz/make-corpus.sh OUTDIR
# Environment:
#   TLSD_BIN_DIR  where s6-tlsd-io is, for the sessions recorded through it
#                 (default: build-fuzz/src, else build/src; none: no
#                 recordings of real clients)
#   FUZZ_BIN_DIR  where fuzz_server is, for the deterministic full sessions
#                 (default: build-fuzz/tests/fuzz)
set -eu
out=${1:?usage: make-corpus.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

sh "$top/tests/gen-certs.sh" "$tmp/certs"
sh "$top/tests/gen-client-certs.sh" "$tmp/client-certs"

if [ -z "${TLSD_BIN_DIR:-}" ]; then
	for d in "$top/build-fuzz/src" "$top/build/src"; do
		if [ -x "$d/s6-tlsd-io" ]; then
			TLSD_BIN_DIR=$d
			break
		fi
	done
fi
clients=--no-clients
if [ -n "${TLSD_BIN_DIR:-}" ] && [ -x "$TLSD_BIN_DIR/s6-tlsd-io" ]; then
	export TLSD_BIN_DIR
	clients=
	# Recording, not testing: a sanitizer build's leak report is noise here.
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
else
	echo "make-corpus: no s6-tlsd-io (set TLSD_BIN_DIR): no client recordings" >&2
fi
python3 "$here/corpus.py" "$out" --certs "$tmp/certs" \
	--client-certs "$tmp/client-certs" $clients

fuzz_bin=${FUZZ_BIN_DIR:-$top/build-fuzz/tests/fuzz}
if [ -x "$fuzz_bin/fuzz_server" ]; then
	TLSD_FUZZ_WRITE_SEEDS="$out/server" "$fuzz_bin/fuzz_server" 2>"$tmp/seeds.log" || {
		cat "$tmp/seeds.log" >&2
		exit 1
	}
	tail -n 1 "$tmp/seeds.log" >&2
else
	echo "make-corpus: no fuzz_server in $fuzz_bin: no full-session seeds" >&2
fi
for d in server keys anchors pem notif options dn rt ec; do
	printf '%s: %s seeds\n' "$d" "$(ls "$out/$d" | wc -l)" >&2
done
