#!/usr/bin/env bash
# Sets up and runs every test: the unit and integration tests on a release build, again under
# AddressSanitizer + UndefinedBehaviorSanitizer, the threaded ones under ThreadSanitizer, each
# libFuzzer target for a bounded time, and the format check.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 30)
#   STAGES="..."     subset of: format release asan tsan fuzz (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

stages=${STAGES:-"format release asan tsan fuzz"}
fuzz_seconds=${FUZZ_SECONDS:-30}
jobs=2
start=$(date +%s)
step() { printf '\n=== %s (%ss elapsed)\n' "$*" "$(( $(date +%s) - start ))"; }

has() { [[ " $stages " == *" $1 "* ]]; }

if has format; then
  step "clang-format check"
  git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
fi

if has release; then
  step "release build + all tests"
  cmake --preset release >/dev/null
  cmake --build --preset release
  ctest --test-dir build/release --output-on-failure -j "$jobs"
fi

if has asan; then
  step "AddressSanitizer + UndefinedBehaviorSanitizer build + all tests"
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs"
fi

if has tsan; then
  step "ThreadSanitizer build + threaded tests"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan --target remoto unit_net unit_services
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build/tsan --output-on-failure -j "$jobs" -L 'net|services|integration'
fi

if has fuzz; then
  step "libFuzzer targets, ${fuzz_seconds}s each"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  # Two targets at a time (two cores); each one's output is kept and shown on failure.
  mkdir -p build/fuzz/logs
  run_one() {
    local f=$1 name corpus seeds
    name=$(basename "$f")
    corpus=build/fuzz/corpus/$name
    seeds=tests/fuzz/seeds/${name#fuzz_}
    mkdir -p "$corpus"
    if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="build/fuzz/logs/$name-" "$corpus" $([ -d "$seeds" ] && echo "$seeds") \
        >"build/fuzz/logs/$name.log" 2>&1; then
      echo "--- $name: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/logs/$name.log" | grep -o '[0-9]*$') runs)"
    else
      echo "--- $name: FAILED"; tail -n 60 "build/fuzz/logs/$name.log"; return 1
    fi
  }
  export -f run_one
  export FUZZ_SECONDS=$fuzz_seconds
  ls build/fuzz/tests/fuzz/fuzz_* | xargs -P 2 -I{} bash -c 'run_one {}'
fi

step "all tests passed"
