#!/bin/sh
# The benchmark of issue #8: builds the project (build-perf/, Release) and
# the benchmark's programs (perf/CMakeLists.txt), makes fresh certificates,
# runs every case against every server, and writes doc/perf.md and
# doc/perf-{bulk,latency,connrate}.png. Raw results:
# build-perf/perf-results.json.
#
#   sh perf/run.sh [--quick|--full]     (default --quick)
#   sh perf/run.sh --report             redo doc/ from the last results
#
# quick: about a minute; full: a few minutes (2-core machine). Installs what
# is missing from Debian's packages (root or sudo).
set -eu
cd "$(dirname "$0")/.."
mode=quick
case ${1:-} in
--quick | "") mode=quick ;;
--full) mode=full ;;
--report) mode=report ;;
*) echo "usage: sh perf/run.sh [--quick|--full|--report]" >&2; exit 100 ;;
esac
b=build-perf
py=/usr/bin/python3 # Debian's, which has python3-matplotlib

if [ "$mode" = report ]; then
	exec "$py" perf/report.py "$b/perf-results.json" doc
fi

pkgs="cmake gcc make pkg-config liburing-dev libbearssl-dev openssl
libssl-dev stunnel4 python3 python3-matplotlib linux-perf"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "perf: installing:$missing" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

echo "perf: building ($b, Release)" >&2
cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release -DTLSD_TESTS=OFF >/dev/null
cmake --build "$b" -j2 --target s6-tlsd-io s6-tlsd >/dev/null
cmake -S perf -B "$b/perf-tools" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b/perf-tools" -j2 >/dev/null
# A freshly written binary's pages stay dirty in the page cache until
# written back, and smaps then counts its text as Private_Dirty of every
# process mapping it alone: write it back before measuring memory.
sync
rm -rf "$b/certs"
sh tests/gen-certs.sh "$b/certs"

"$py" perf/bench.py --mode "$mode" --build "$b" --tools "$b/perf-tools" \
	--certs "$b/certs" --out "$b/perf-results.json"
mkdir -p doc
"$py" perf/report.py "$b/perf-results.json" doc
echo "perf: wrote doc/perf.md, doc/perf-bulk.png, doc/perf-latency.png," \
	"doc/perf-connrate.png ($b/perf-results.json)" >&2
