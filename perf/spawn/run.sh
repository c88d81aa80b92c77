#!/bin/sh
# Builds spawn-bench and runs it for a few parent footprints.
# Usage: perf/spawn/run.sh [N]   (results go to stdout)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -Wall -Wextra -o "$tmp/spawn-bench" "$here/spawn-bench.c"
# the child: a trivial static program, so that exec + dynamic loading of
# the child does not drown the difference between spawn methods
printf 'int main(void){return 0;}\n' >"$tmp/nop.c"
cc -O2 -static -o "$tmp/nop" "$tmp/nop.c" 2>/dev/null ||
	cc -O2 -o "$tmp/nop" "$tmp/nop.c"
n=${1:-2000}
for mib in 0 16 256; do
	"$tmp/spawn-bench" -n "$n" -m "$mib" "$tmp/nop"
done
"$tmp/spawn-bench" -n "$n" -m 0 /bin/true
