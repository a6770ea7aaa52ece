#!/usr/bin/env bash
# run-fuzzer.sh HARDENING_BUILD TARGET [SECONDS [RUNS]]: replays the target's checked-in regression inputs (crashers found
# earlier, tests/fuzz/regressions/TARGET/), then fuzzes it for SECONDS (default 60) from seeds made from real files.
# New interesting inputs accumulate in HARDENING_BUILD/fuzz/corpus/TARGET; a crash leaves its input in
# HARDENING_BUILD/fuzz/crashes/TARGET/ and fails the run (copy it into regressions/ once fixed).
# Long run, e.g. an hour:  tests/fuzz/run-fuzzer.sh build/hardening model_file 3600
set -euo pipefail
build=$(cd "$1" && pwd)
target=$2
seconds=${3:-60}
# With RUNS (as ctest does) the run is a fixed number of inputs from a fixed seed, so that it is repeatable.
runs=${4:-}
limits=(-max_total_time="$seconds")
[ -n "$runs" ] && limits=(-runs="$runs" -seed=1 -max_total_time=900)
here=$(cd "$(dirname "$0")" && pwd)
fuzzer="$build/tests/fuzz/fuzz_$target"
[ -x "$fuzzer" ] || { echo "run-fuzzer: $fuzzer not built (build the main tree; it builds build/hardening)"; exit 1; }

seeds="$build/fuzz/seeds"
[ -d "$seeds/$target" ] || "$build/tests/fuzz/fuzz_seeds" "$seeds"
corpus="$build/fuzz/corpus/$target"
crashes="$build/fuzz/crashes/$target"
mkdir -p "$corpus" "$crashes"

regressions="$here/regressions/$target"
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  echo "run-fuzzer: replaying $(ls "$regressions" | wc -l) regression input(s)"
  "$fuzzer" -runs=0 "$regressions"/*
fi
# -rss_limit_mb: a loader that allocated without bound would stop here rather than take the machine.
"$fuzzer" "$corpus" "$seeds/$target" "${limits[@]}" -rss_limit_mb=3072 -timeout=30 \
  -artifact_prefix="$crashes/" -print_final_stats=1 2>&1 | tail -n 25
exit "${PIPESTATUS[0]}"
