#!/bin/sh
# Builds the libFuzzer targets with clang in build-fuzz, makes a fresh seed
# corpus, and runs each target for SECONDS (default 30). Prints the
# executions per target; exits nonzero if any target found a crash (the
# input is then in build-fuzz/fuzz-artifacts/; see tests/fuzz/README.md).
#
# Usage: tests/fuzz/run.sh [SECONDS]
# Environment: FUZZ_TARGETS  the targets to run (default: all, e.g. "dn notif")
#              FUZZ_ARGS     more libFuzzer options for every target
set -eu
secs=${1:-30}
cd "$(dirname "$0")/../.."
top=$(pwd)
b=build-fuzz
targets=${FUZZ_TARGETS:-server keys anchors pem notif options dn rt ec}
jobs=$(nproc 2>/dev/null || echo 2)

sh tests/deps.sh fuzz
command -v clang >/dev/null || {
	echo "run.sh: clang is missing (tests/deps.sh fuzz installs it)" >&2
	exit 1
}
echo "== building the fuzz targets (clang, libFuzzer + ASan + UBSan) in $b"
CC=clang cmake -S . -B "$b" -DTLSD_FUZZ=ON -DTLSD_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$b" -j "$jobs" --target fuzz s6-tlsd-io >/dev/null

echo "== seed corpus"
rm -rf "$b/fuzz-seeds"
TLSD_BIN_DIR="$top/$b/src" FUZZ_BIN_DIR="$top/$b/tests/fuzz" \
	sh tests/fuzz/make-corpus.sh "$b/fuzz-seeds"

mkdir -p "$b/fuzz-artifacts" "$b/fuzz-logs"
failed=
for t in $targets; do
	bin=$b/tests/fuzz/fuzz_$t
	corpus=$b/fuzz-corpus/$t # grows from run to run
	log=$b/fuzz-logs/fuzz_$t.log
	mkdir -p "$corpus"
	set -- -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$b/fuzz-artifacts/fuzz_$t-"
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	# inputs that once found a bug come first (tests/fuzz/regress/TARGET)
	regress=
	[ -d "tests/fuzz/regress/$t" ] && regress=tests/fuzz/regress/$t
	rc=0
	# shellcheck disable=SC2086
	"$bin" "$@" ${FUZZ_ARGS:-} "$corpus" "$b/fuzz-seeds/$t" $regress \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ "$rc" = 0 ]; then
		printf 'fuzz_%-8s %10s executions in %s s (%s/s), coverage %s, corpus %s\n' \
			"$t" "${execs:-?}" "$secs" "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" \
			"${cov:-?}" "$(ls "$corpus" | wc -l)"
	else
		failed="$failed fuzz_$t"
		echo "fuzz_$t FAILED (exit $rc) after ${execs:-?} executions; log: $log" >&2
		grep -E 'invariant failed|ERROR:|SUMMARY|Test unit written' "$log" >&2 || tail -n 30 "$log" >&2
	fi
done
if [ -n "$failed" ]; then
	echo "fuzzing found crashes in:$failed (reproduce: see tests/fuzz/README.md)" >&2
	exit 1
fi
