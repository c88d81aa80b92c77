#!/bin/sh
# Installs what is missing, then: the test suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, a bounded run of the libFuzzer targets, and
# the test suite in a release build, last, so that the output ends with
# ctest's summary. Warnings are errors in every build.
# Usage: tests/run-all.sh [--no-sanitize]
#   TLSD_FUZZ_SECONDS  seconds per fuzz target (default 20; 0 skips)
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

run() { # BUILDDIR CTEST-ARGS -- CMAKE-ARGS...
	dir=$1
	shift
	targs=
	while [ "$1" != -- ]; do
		targs="$targs $1"
		shift
	done
	shift
	cmake -S . -B "$dir" -DTLSD_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
	# shellcheck disable=SC2086
	ctest --test-dir "$dir" --output-on-failure -j 2 $targs
}

if [ "${1:-}" != --no-sanitize ]; then
	echo "== sanitizer build (ASan + UBSan)"
	# The external scanners (testssl.sh, sslscan) judge the protocol
	# offer, the same in both builds: they run in the release build.
	ASAN_OPTIONS=detect_leaks=1 run build-asan -E e2e_scan -- \
		-DTLSD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi

fuzz_secs=${TLSD_FUZZ_SECONDS:-20}
if [ "$fuzz_secs" != 0 ]; then
	echo "== fuzzing (clang, libFuzzer + ASan + UBSan), $fuzz_secs s per target"
	sh tests/fuzz/run.sh "$fuzz_secs"
fi

echo "== release build"
run build -- -DCMAKE_BUILD_TYPE=RelWithDebInfo
