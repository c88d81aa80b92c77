#!/bin/sh
# SNI start-up benchmark for s6-tlsd-io: per-connection cost with 1 name
# vs 200 names configured. Results are printed as Markdown tables (see
# doc/sni-bench.md for a run and how to read it).
# Usage: perf/sni/bench.sh [BUILD_DIR [CONNS]]
#   BUILD_DIR  a build tree with src/s6-tlsd-io (default: build-sni)
#   CONNS      measured connections per configuration (default: 200)
# Environment: SNI_BENCH_DIR, the work directory (default /tmp/sni-bench;
# the 200 keypairs made by gen-names.sh are kept there and reused).
# Needs: python3, openssl, strace, cc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build-sni}
conns=${2:-200}
many=200
work=${SNI_BENCH_DIR:-/tmp/sni-bench}
bin=$build/src/s6-tlsd-io
[ -x "$bin" ] || { echo "bench.sh: no $bin (build it first)" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$work/names/done" ] || [ ! -f "$work/names/name$((many - 1)).key" ]; then
	echo "bench.sh: making $many keypairs in $work/names" >&2
	sh "$here/gen-names.sh" "$work/names" "$many"
fi
cc -O2 -shared -fPIC -o "$work/countdecode.so" "$here/countdecode.c" -ldl
echo "# s6-tlsd-io SNI bench: $(date -u +%Y-%m-%dT%H:%MZ), $bin" \
	"(tree $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown))," \
	"$(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$conns connections per configuration"
exec python3 "$here/bench.py" --bin "$bin" --names "$work/names" --many "$many" \
	--conns "$conns" --preload "$work/countdecode.so" --json "$work/results.json"
