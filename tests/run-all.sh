#!/bin/sh
# Installs what is missing, builds with warnings as errors, and runs every
# test; then does it again with AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: tests/run-all.sh [--no-sanitize]
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

run() { # BUILDDIR CMAKE-ARGS...
	dir=$1
	shift
	cmake -S . -B "$dir" -DTLSD_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
	ctest --test-dir "$dir" --output-on-failure -j 2
}

if [ "${1:-}" != --no-sanitize ]; then
	echo "== sanitizer build (ASan + UBSan)"
	ASAN_OPTIONS=detect_leaks=1 run build-asan -DTLSD_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug
fi
echo "== release build"
run build -DCMAKE_BUILD_TYPE=RelWithDebInfo

# libFuzzer targets (tests/fuzz), a bounded run: TLSD_FUZZ_SECONDS per
# target (default 20; 0 skips this step).
fuzz_secs=${TLSD_FUZZ_SECONDS:-20}
if [ "$fuzz_secs" != 0 ]; then
	echo "== fuzzing (clang, libFuzzer + ASan + UBSan), $fuzz_secs s per target"
	sh tests/fuzz/run.sh "$fuzz_secs"
fi
