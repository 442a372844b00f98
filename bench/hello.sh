#!/usr/bin/env bash
# start_remoto and start_nginx set NAME_pid, NAME_port (printf -v), which shellcheck can't see.
# shellcheck disable=SC2154
# HTTP hello, side by side: wrk against `remoto hello --model event` (with its default driver,
# io_uring, and with `--backend asio`), `--model thread` and
# nginx (one worker, `return 200 "Hello, cliente!"`), interleaved run by run, server on one
# CPU and wrk on another. Scenarios: keep-alive with 50 and 256 connections, 16 pipelined
# requests per connection, a new connection per request. Reports medians of requests/s,
# p50/p99 latency and the server's CPU time per request (utime + stime of all its threads,
# from /proc/PID/stat; for nginx, its worker), since on a small machine wrk saturates before a
# good server does. Progress goes to stderr, the Markdown report to stdout, raw results (every
# wrk output and results.tsv) to OUT_DIR.
#
# Environment: RUNS (5), DURATION (seconds per run, 5), SCENARIOS (any of ka50 ka256 pipe16
# close; all by default), SERVER_CPU (0), CLIENT_CPU (1), EXTRA=1 to add `remoto hello --model
# event --threads 2` unpinned; plus those of bench/lib/common.sh (REMOTO_BIN, OUT_DIR).
# Default runtime: 4 scenarios x 4 servers x 5 runs x 5 s, about 7 minutes.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

RUNS=${RUNS:-5}
DURATION=${DURATION:-5}
SCENARIOS=${SCENARIOS:-ka50 ka256 pipe16 close}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
EXTRA=${EXTRA:-0}

bench_init hello
raise_nofile
command -v wrk >/dev/null || die "wrk is not installed (scripts/setup.sh)"
command -v nginx >/dev/null || die "nginx is not installed (scripts/setup.sh)"
load_before=$(load_average)

# --- servers ----------------------------------------------------------------------------
# Each server is a name, the PID whose CPU time counts, and a port.
names=() cpu_pids=() ports=()

log "starting servers"
start_remoto event "$OUT_DIR/remoto-event.log" \
  taskset -c "$SERVER_CPU" "$REMOTO_BIN" hello --model event --threads 1 -p 0
names+=("remoto event"); cpu_pids+=("$event_pid"); ports+=("$event_port")

# The event model's other driver (the default is io_uring where the kernel has it).
start_remoto event_asio "$OUT_DIR/remoto-event-asio.log" \
  taskset -c "$SERVER_CPU" "$REMOTO_BIN" hello --model event --backend asio --threads 1 -p 0
names+=("remoto event, asio"); cpu_pids+=("$event_asio_pid"); ports+=("$event_asio_port")

start_remoto thread "$OUT_DIR/remoto-thread.log" \
  taskset -c "$SERVER_CPU" "$REMOTO_BIN" hello --model thread -p 0
names+=("remoto thread"); cpu_pids+=("$thread_pid"); ports+=("$thread_port")

if [ "$EXTRA" = 1 ]; then
  start_remoto event2 "$OUT_DIR/remoto-event2.log" "$REMOTO_BIN" hello --model event --threads 2 -p 0
  names+=("remoto event, 2 threads, unpinned"); cpu_pids+=("$event2_pid"); ports+=("$event2_port")
fi

start_nginx ngx "$OUT_DIR/nginx" 4096 "$SERVER_CPU"
names+=("nginx"); cpu_pids+=("$ngx_worker"); ports+=("$ngx_port")

for i in "${!names[@]}"; do
  body=$(curl -fsS "http://127.0.0.1:${ports[$i]}/") || die "${names[$i]} does not answer"
  [ "$body" = "Hello, cliente!" ] || die "${names[$i]} answers '$body'"
done

# --- scenarios --------------------------------------------------------------------------
scenario_title() {
  case $1 in
    ka50) echo "Keep-alive, 50 connections" ;;
    ka256) echo "Keep-alive, 256 connections" ;;
    pipe16) echo "Pipelined, 16 requests per connection, 50 connections" ;;
    close) echo "New connection per request (Connection: close), 50 connections" ;;
    *) die "unknown scenario $1 (ka50 ka256 pipe16 close)" ;;
  esac
}

scenario_args() {
  case $1 in
    ka50) echo "-c 50 -s $bench_dir/wrk/report.lua" ;;
    ka256) echo "-c 256 -s $bench_dir/wrk/report.lua" ;;
    pipe16) echo "-c 50 -s $bench_dir/wrk/pipeline.lua" ;;
    close) echo "-c 50 -s $bench_dir/wrk/report.lua" ;;
  esac
}

results=$OUT_DIR/results.tsv
printf 'scenario\tserver\trun\trequests\tseconds\trps\tp50_us\tp99_us\terrors\tnon2xx\tcpu_s\tcpu_us_per_req\tcpu_pct\n' >"$results"

# run_one SCENARIO RUN INDEX: one wrk run against server INDEX, appended to results.tsv.
run_one() {
  local scenario=$1 run=$2 i=$3 title
  title=$(scenario_title "$scenario")
  local name=${names[$i]} pid=${cpu_pids[$i]} port=${ports[$i]}
  local -a args headers=()
  read -r -a args <<<"$(scenario_args "$scenario")"
  [ "$scenario" = close ] && headers=(-H 'Connection: close')
  local raw=$OUT_DIR/wrk-$scenario-${name// /_}-$run.txt
  local before after
  before=$(cpu_ticks "$pid")
  WRK_PIPELINE=16 taskset -c "$CLIENT_CPU" wrk -t 1 "${args[@]}" "${headers[@]}" \
    -d "${DURATION}s" --timeout 5s "http://127.0.0.1:$port/" >"$raw" 2>&1 ||
    die "wrk failed against $name: $(cat "$raw")"
  after=$(cpu_ticks "$pid")
  local line
  line=$(grep '^RESULT ' "$raw") || die "no RESULT line from wrk: $(cat "$raw")"
  "$python" - "$title" "$name" "$run" "$((after - before))" "$clock_ticks" "$line" "$scenario" \
    >>"$results" <<'EOF'
import sys
scenario, server, run, ticks, hz, line, short = sys.argv[1:8]
r = dict(kv.split("=") for kv in line.split()[1:])
if short == "pipe16":
    # wrk's latency percentiles are wrong with pipelining: its coordinated-omission correction
    # takes one request per round trip and adds samples below the histogram's minimum (a p99
    # of 0 results). Not reported.
    r["p50_us"] = r["p99_us"] = "nan"
requests = int(r["requests"])
seconds = int(r["duration_us"]) / 1e6
cpu = int(ticks) / int(hz)
per_req = cpu / requests * 1e6 if requests else float("nan")
print("\t".join(str(x) for x in [
    scenario, server, run, requests, f"{seconds:.3f}", f"{requests / seconds:.0f}",
    r["p50_us"], r["p99_us"], r["errors"], r["non2xx"], f"{cpu:.2f}", f"{per_req:.3f}",
    f"{cpu / seconds * 100:.0f}"]))
EOF
  log "  $(tail -1 "$results" | cut -f2- | tr '\t' ' ')"
}

for scenario in $SCENARIOS; do
  log "$(scenario_title "$scenario"): $RUNS runs of ${DURATION}s per server"
  for run in $(seq "$RUNS"); do
    for i in "${!names[@]}"; do
      run_one "$scenario" "$run" "$i"
      # Let connections closed by the last run leave (lingering closes, TIME_WAIT reuse).
      sleep 0.5
    done
  done
done

load_after=$(load_average)

# --- report -----------------------------------------------------------------------------
cat <<EOF
- Command: \`RUNS=$RUNS DURATION=$DURATION SCENARIOS="$SCENARIOS" EXTRA=$EXTRA bench/hello.sh\`
$(machine_line)
- Load average (1, 5, 15 min): $load_before before, $load_after after (the latter counts the
  benchmark's own threads: the thread model runs one per connection)
- Servers on CPU $SERVER_CPU (taskset), wrk on CPU $CLIENT_CPU: \`wrk -t 1 -c N -d ${DURATION}s\`;
  \`remoto hello --model event --threads 1\` (its default driver, io_uring) and with
  \`--backend asio\`, \`remoto hello --model thread\`, nginx with \`worker_processes 1\`.
  CPU/request is the server's utime+stime during the run over the requests served; server
  CPU % is the same time over the run's length (100 % = one core busy).
EOF
"$python" "$bench_dir/lib/table.py" "$results" --group scenario --row server --baseline nginx \
  --col 'rps|requests/s|,.0f|ratio' \
  --col 'p50_us|p50 (µs)|,.0f' \
  --col 'p99_us|p99 (µs)|,.0f' \
  --col 'cpu_us_per_req|CPU/request (µs)|.2f|ratio' \
  --col 'cpu_pct|server CPU %|.0f' \
  --col 'errors|errors|.0f'

# The issue's goals, from the same medians.
"$python" - "$results" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(scenario_prefix, server, key):
    v = [float(r[key]) for r in rows if r["scenario"].startswith(scenario_prefix) and r["server"] == server]
    return statistics.median(v) if v else None
def ratio(prefix, key):
    a, b = med(prefix, "remoto event", key), med(prefix, "nginx", key)
    return None if a is None or not b else a / b
def line(text, value, ok):
    if value is None:
        return
    print(f"- {text}: {value:.2f} — {'met' if ok(value) else 'missed'}")
print("\nGoals (remoto event ÷ nginx, medians above):\n")
line("CPU/request, keep-alive 50 connections (goal ≤ 0.8)", ratio("Keep-alive, 50", "cpu_us_per_req"), lambda x: x <= 0.8)
line("CPU/request, keep-alive 256 connections (goal ≤ 0.8)", ratio("Keep-alive, 256", "cpu_us_per_req"), lambda x: x <= 0.8)
line("requests/s, pipelined (goal ≥ 5)", ratio("Pipelined", "rps"), lambda x: x >= 5)
line("CPU/request, pipelined (lower is better)", ratio("Pipelined", "cpu_us_per_req"), lambda x: x <= 1)
line("requests/s, connection per request (goal ≥ 1)", ratio("New connection", "rps"), lambda x: x >= 1)
line("CPU/request, connection per request (goal ≤ 1)", ratio("New connection", "cpu_us_per_req"), lambda x: x <= 1)
EOF
log "done; raw results in $OUT_DIR"
