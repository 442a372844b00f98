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
# built with the release preset if missing), CPU (1), REPETITIONS (rounds, 5), OUT_DIR (default a
# new /tmp/remoto-bench-serial.XXXXXX). Runtime: about 3 minutes.
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
# Interleaved: each round runs remoto's benchmarks once and Python's once, back to back, so
# that the machine's slow and fast spells (a VM's throughput moves by tens of percent within
# minutes) fall on both sides; the table takes medians over the rounds, and each ratio is the
# median of the rounds' own ratios.
for round in $(seq "$REPETITIONS"); do
  log "round $round of $REPETITIONS: remoto and raw C++ libraries ($SERIAL_BENCH), then Python, CPU $CPU"
  taskset -c "$CPU" "$SERIAL_BENCH" --benchmark_format=json \
    >"$OUT_DIR/serial_bench.$round.json" 2>"$OUT_DIR/serial_bench.$round.stderr"
  taskset -c "$CPU" "$python" "$bench_dir/serial_python.py" --json --repeats 3 \
    >"$OUT_DIR/python.$round.jsonl"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
  "$("$python" --version), serpent $("$python" -c 'import serpent; print(serpent.__version__)')," \
  "msgpack $("$python" -c 'import msgpack; print(".".join(map(str, msgpack.version)))')"
echo "Load average (1, 5, 15 min): $load_before before, $load_after after"
echo
rounds=()
for round in $(seq "$REPETITIONS"); do
  rounds+=("$OUT_DIR/serial_bench.$round.json" "$OUT_DIR/python.$round.jsonl")
done
"$python" "$bench_dir/serial_table.py" "${rounds[@]}"
