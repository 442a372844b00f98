#!/usr/bin/env bash
# start_remoto and start_nginx set NAME_pid, NAME_port (printf -v), which shellcheck can't see.
# shellcheck disable=SC2154
# TCP and UDP echo against iperf3 on loopback, interleaved run by run, server on one CPU and
# client on another.
#
# TCP: iperf3 (-c, one direction; and --bidir, both at once) is the anchor; `remoto tcp echo`
# (event model with one I/O thread, and thread model) is driven by bench/tools/tcp_echo_load,
# which sends continuously and reads the echo back at the same time. The figure is payload
# throughput in one direction: iperf3's bytes received, the load tool's bytes echoed back.
# An echo moves every byte both ways, so it does the work of iperf3 --bidir, not of plain
# iperf3; both anchors are reported.
# UDP: iperf3 -u -b 0 -l SIZE (one-way datagrams/s received by the iperf3 server) is the
# anchor; `remoto udp echo` is driven by bench/tools/udp_echo_load, which keeps a window of
# datagrams in flight and counts the replies per second.
#
# Besides throughput, the server's CPU time per unit of work (utime+stime over the run, over
# the bytes or datagrams moved in it), which a loaded machine disturbs far less.
#
# Environment: RUNS (5), DURATION (seconds per run, 5), PARTS (tcp udp), TCP_CONNECTIONS (1: connections of the load tool, iperf3 -P),
# UDP_SIZES (64 1400), UDP_WINDOW (256), SERVER_CPU (0), CLIENT_CPU (1); plus those of
# bench/lib/common.sh. Default runtime about 4 minutes.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

RUNS=${RUNS:-5}
DURATION=${DURATION:-5}
PARTS=${PARTS:-tcp udp}
TCP_CONNECTIONS=${TCP_CONNECTIONS:-1}
UDP_SIZES=${UDP_SIZES:-64 1400}
UDP_WINDOW=${UDP_WINDOW:-256}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

bench_init echo
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/setup.sh)"
load_before=$(load_average)

# --- servers ----------------------------------------------------------------------------
# iperf3 -s serves one test at a time and stays up; it is restarted if a test kills it.
iperf_pid="" iperf_port=""
start_iperf() {
  iperf_port=$(free_port tcp)
  taskset -c "$SERVER_CPU" iperf3 -s -p "$iperf_port" >>"$OUT_DIR/iperf3-server.log" 2>&1 &
  iperf_pid=$!
  started_pids+=("$iperf_pid")
  for _ in $(seq 100); do
    [ -n "$(ss -Hltn "sport = :$iperf_port")" ] && return
    kill -0 "$iperf_pid" 2>/dev/null || die "iperf3 -s exited: $(tail -3 "$OUT_DIR/iperf3-server.log")"
    sleep 0.05
  done
  die "iperf3 -s did not listen within 5 s"
}
ensure_iperf() {
  if [ -z "$iperf_pid" ] || ! kill -0 "$iperf_pid" 2>/dev/null; then
    [ -n "$iperf_pid" ] && log "iperf3 -s died; restarting it"
    start_iperf
  fi
}

log "starting servers"
ensure_iperf
case " $PARTS " in *" tcp "*)
  start_remoto tcp_event "$OUT_DIR/remoto-tcp-event.log" \
    taskset -c "$SERVER_CPU" "$REMOTO_BIN" tcp echo --model event --threads 1 -p 0
  start_remoto tcp_thread "$OUT_DIR/remoto-tcp-thread.log" \
    taskset -c "$SERVER_CPU" "$REMOTO_BIN" tcp echo --model thread -p 0
  ;;
esac
case " $PARTS " in *" udp "*)
  start_remoto udp "$OUT_DIR/remoto-udp.log" \
    taskset -c "$SERVER_CPU" "$REMOTO_BIN" udp echo --threads 1 -p 0
  ;;
esac

results=$OUT_DIR/results.tsv
printf 'scenario\tserver\trun\tvalue\tgbit_s\tcpu_s\tcpu_pct\tcpu_per_unit\n' >"$results"

now() { date +%s.%N; }

# record SCENARIO SERVER RUN VALUE TICKS START END: one line of results.tsv. VALUE is bytes/s
# (TCP) or datagrams/s (UDP) over DURATION; the server's CPU time is taken over the client's
# whole run (a few ms longer: connection set-up). cpu_per_unit: server CPU ms per GB (TCP:
# 1e9 bytes of one-direction payload) or µs per datagram (UDP).
record() {
  "$python" - "$@" "$clock_ticks" "$DURATION" >>"$results" <<'EOF'
import sys
scenario, server, run, value, ticks, start, end, hz, duration = sys.argv[1:10]
cpu = int(ticks) / int(hz)
wall = float(end) - float(start)
value = float(value)
units = value * float(duration)
per_unit = cpu * 1e3 / (units / 1e9) if scenario.startswith("TCP") else cpu * 1e6 / units
print("\t".join([scenario, server, run, f"{value:.0f}", f"{value * 8 / 1e9:.3f}",
                 f"{cpu:.2f}", f"{cpu / wall * 100:.0f}", f"{per_unit:.3f}"]))
EOF
  log "  $(tail -1 "$results" | cut -f2- | tr '\t' ' ')"
}

# iperf_run SCENARIO NAME RUN JSON_EXPR ARGS...: one iperf3 client run; JSON_EXPR (Python,
# over `end`, the JSON's "end" object) gives the figure.
iperf_run() {
  local scenario=$1 name=$2 run=$3 expr=$4
  shift 4
  ensure_iperf
  local raw=$OUT_DIR/iperf3-${name//[^A-Za-z0-9]/_}-$run.json before after start end value
  before=$(cpu_ticks "$iperf_pid")
  start=$(now)
  taskset -c "$CLIENT_CPU" iperf3 -c 127.0.0.1 -p "$iperf_port" -t "$DURATION" -J "$@" \
    >"$raw" 2>&1 || die "iperf3 -c $* failed: $(tail -5 "$raw")"
  end=$(now)
  after=$(cpu_ticks "$iperf_pid")
  value=$("$python" -c "import json, sys; end = json.load(open(sys.argv[1]))['end']; print($expr)" "$raw")
  record "$scenario" "$name" "$run" "$value" "$((after - before))" "$start" "$end"
}

# load_run SCENARIO NAME RUN PID TOOL ARGS...: one run of a load tool against a remoto server.
load_run() {
  local scenario=$1 name=$2 run=$3 pid=$4 tool=$5
  shift 5
  local raw=$OUT_DIR/$tool-${name//[^A-Za-z0-9]/_}-$run.txt before after start end value
  before=$(cpu_ticks "$pid")
  start=$(now)
  taskset -c "$CLIENT_CPU" "$TOOLS/$tool" --duration "$DURATION" --warmup 0 "$@" >"$raw" 2>&1 ||
    die "$tool $* failed: $(cat "$raw")"
  end=$(now)
  after=$(cpu_ticks "$pid")
  value=$(sed -n 's/.*received_per_second=\([0-9]*\).*/\1/p' "$raw")
  [ -n "$value" ] || die "$tool printed no result: $(cat "$raw")"
  record "$scenario" "$name" "$run" "$value" "$((after - before))" "$start" "$end"
}

# --- TCP --------------------------------------------------------------------------------
if [[ " $PARTS " == *" tcp "* ]]; then
  scenario="TCP, $TCP_CONNECTIONS connection(s): payload throughput, one direction"
  log "$scenario: $RUNS runs of ${DURATION}s per server"
  for run in $(seq "$RUNS"); do
    iperf_run "$scenario" "iperf3" "$run" "end['sum_received']['bits_per_second'] / 8" \
      -P "$TCP_CONNECTIONS"
    sleep 0.5
    iperf_run "$scenario" "iperf3 --bidir (each direction)" "$run" \
      "(end['sum_received']['bits_per_second'] + end['sum_received_bidir_reverse']['bits_per_second']) / 16" \
      -P "$TCP_CONNECTIONS" --bidir
    sleep 0.5
    load_run "$scenario" "remoto tcp echo, event" "$run" "$tcp_event_pid" tcp_echo_load \
      --port "$tcp_event_port" --connections "$TCP_CONNECTIONS"
    sleep 0.5
    load_run "$scenario" "remoto tcp echo, thread" "$run" "$tcp_thread_pid" tcp_echo_load \
      --port "$tcp_thread_port" --connections "$TCP_CONNECTIONS"
    sleep 0.5
  done
fi

# --- UDP --------------------------------------------------------------------------------
if [[ " $PARTS " == *" udp "* ]]; then
  for size in $UDP_SIZES; do
    scenario="UDP, $size-byte datagrams: datagrams/s"
    log "$scenario: $RUNS runs of ${DURATION}s per server"
    for run in $(seq "$RUNS"); do
      iperf_run "$scenario" "iperf3 -u -b 0 (one way)" "$run" \
        "end['sum_received']['bytes'] / $size / end['sum_received']['seconds']" \
        -u -b 0 -l "$size"
      sleep 0.5
      load_run "$scenario" "remoto udp echo (replies)" "$run" "$udp_pid" udp_echo_load \
        --port "$udp_port" --size "$size" --window "$UDP_WINDOW"
      sleep 0.5
    done
  done
fi

load_after=$(load_average)

# --- report -----------------------------------------------------------------------------
cat <<EOF
- Command: \`RUNS=$RUNS DURATION=$DURATION PARTS="$PARTS" TCP_CONNECTIONS=$TCP_CONNECTIONS UDP_SIZES="$UDP_SIZES" bench/echo.sh\`
$(machine_line)
- Load average (1, 5, 15 min): $load_before before, $load_after after
- Servers on CPU $SERVER_CPU (taskset), clients on CPU $CLIENT_CPU. \`iperf3 -s\`;
  \`remoto tcp echo --model event --threads 1\`, \`remoto tcp echo --model thread\`,
  \`remoto udp echo --threads 1\`. Clients: \`iperf3 -c -t $DURATION -P $TCP_CONNECTIONS
  [--bidir]\`, \`iperf3 -c -u -b 0 -l SIZE -t $DURATION\`, \`tcp_echo_load --connections
  $TCP_CONNECTIONS\` (64 KiB writes), \`udp_echo_load --window $UDP_WINDOW\`.
- Server CPU is its utime+stime over the client's run: per GB (10⁹ bytes) of payload moved in
  one direction (TCP), per datagram received (iperf3) or echoed (remoto: one received and one
  sent), and as a share of the run (100 % = one core busy).
EOF
if [[ " $PARTS " == *" tcp "* ]]; then
  "$python" "$bench_dir/lib/table.py" <(grep -e '^scenario' -e '^TCP' "$results") \
    --group scenario --row server --baseline iperf3 \
    --col 'gbit_s|Gbit/s|.2f|ratio' --col 'cpu_per_unit|server CPU ms/GB|.0f|ratio' \
    --col 'cpu_pct|server CPU %|.0f'
fi
if [[ " $PARTS " == *" udp "* ]]; then
  "$python" "$bench_dir/lib/table.py" <(grep -e '^scenario' -e '^UDP' "$results") \
    --group scenario --row server --baseline 'iperf3 -u -b 0 (one way)' \
    --col 'value|datagrams/s|,.0f|ratio' --col 'cpu_per_unit|server CPU µs/datagram|.2f|ratio' \
    --col 'cpu_pct|server CPU %|.0f'
fi

"$python" - "$results" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(scenario, server, key="value"):
    v = [float(r[key]) for r in rows if r["scenario"] == scenario and r["server"] == server]
    return statistics.median(v) if v else None
print("\nGoal: within 10 % of iperf3 (throughput ratios of the medians above; CPU/unit ratio\n"
      "in brackets, lower is better):\n")
for scenario in dict.fromkeys(r["scenario"] for r in rows):
    if scenario.startswith("TCP"):
        pairs = [("remoto tcp echo, event", "iperf3"),
                 ("remoto tcp echo, event", "iperf3 --bidir (each direction)")]
    else:
        pairs = [("remoto udp echo (replies)", "iperf3 -u -b 0 (one way)")]
    for ours, anchor in pairs:
        a, b = med(scenario, ours), med(scenario, anchor)
        if a is None or not b:
            continue
        verdict = "met" if a / b >= 0.9 else "missed"
        ca, cb = med(scenario, ours, "cpu_per_unit"), med(scenario, anchor, "cpu_per_unit")
        cpu = f" (CPU/unit {ca / cb:.2f})" if ca is not None and cb else ""
        print(f"- {scenario}: {ours} ÷ {anchor} = {a / b:.2f}{cpu} — {verdict}")
EOF
log "done; raw results in $OUT_DIR"
