#!/usr/bin/env bash
# Serializer throughput, side by side: remoto's serpent/json/marshal/msgpack (bench/serial_bench,
# Google Benchmark) against Python's own serializers (bench/serial_python.py) and, for msgpack
# and json, the raw C++ libraries (msgpack-cxx, nlohmann-json), all on the payloads in
# bench/data/ (bench/make_serial_data.py). Both run pinned to the same CPU. Prints one Markdown
# table of medians of CPU-time rates (MB = 1e6 bytes) with the goals checked: remoto >= 20x
# Python for serpent (pure Python), >= 2x Python for json/marshal/msgpack (C), and within 2x of
# the raw C++ library.
# Raw results (Google Benchmark JSON, Python JSON lines) go to OUT_DIR.
#
# Environment: SERIAL_BENCH (the serial_bench binary; default build/release/bench/serial_bench,
# built with the release preset if missing), CPU (1), REPETITIONS (5), OUT_DIR (default a new
# /tmp/remoto-bench-serial.XXXXXX). Runtime: about 2.5 minutes.
set -euo pipefail

bench_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)
python=/usr/bin/python3
CPU=${CPU:-1}
REPETITIONS=${REPETITIONS:-5}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/remoto-bench-serial.XXXXXX)}
mkdir -p "$OUT_DIR"

log() { printf 'serial.sh: %s\n' "$*" >&2; }

if [ -z "${SERIAL_BENCH:-}" ]; then
  SERIAL_BENCH=$repo_dir/build/release/bench/serial_bench
  if [ ! -x "$SERIAL_BENCH" ]; then
    log "building serial_bench (cmake --preset release)"
    (cd "$repo_dir" && cmake --preset release >&2 &&
      cmake --build --preset release --target serial_bench >&2)
  fi
fi
[ -x "$SERIAL_BENCH" ] || { log "error: no serial_bench at $SERIAL_BENCH"; exit 1; }
log "raw results in $OUT_DIR"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "remoto and raw C++ libraries: $SERIAL_BENCH ($REPETITIONS repetitions, CPU $CPU)"
taskset -c "$CPU" "$SERIAL_BENCH" --benchmark_repetitions="$REPETITIONS" \
  --benchmark_report_aggregates_only=true --benchmark_format=json \
  >"$OUT_DIR/serial_bench.json" 2>"$OUT_DIR/serial_bench.stderr"
log "Python: serial_python.py (median of $REPETITIONS, CPU $CPU)"
taskset -c "$CPU" "$python" "$bench_dir/serial_python.py" --json --repeats "$REPETITIONS" \
  >"$OUT_DIR/python.jsonl"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
  "$("$python" --version), serpent $("$python" -c 'import serpent; print(serpent.__version__)')," \
  "msgpack $("$python" -c 'import msgpack; print(".".join(map(str, msgpack.version)))')"
echo "Load average (1, 5, 15 min): $load_before before, $load_after after"
echo
"$python" "$bench_dir/serial_table.py" "$OUT_DIR/serial_bench.json" "$OUT_DIR/python.jsonl"
