#!/usr/bin/env bash
# start_remoto and start_nginx set NAME_pid, NAME_port (printf -v), which shellcheck can't see.
# shellcheck disable=SC2154
# Memory per idle keep-alive connection: `remoto hello --model event`, `--model thread` and
# nginx (one worker), one at a time. bench/tools/idle_conns opens CONNECTIONS (10,000)
# connections, makes one GET on each and then keeps them all open and silent; the server's
# memory (RSS and PSS, summed over all its processes, from /proc/PID/smaps_rollup) is taken
# before and after, and the difference divided by the connections. Kernel memory (socket
# buffers, the kernel side of each thread) is not in RSS and not counted: it is the same TCP
# stack for every server. Progress goes to stderr, the Markdown report to stdout.
#
# Environment: RUNS (3), CONNECTIONS (10000), SERVER_CPU (0), CLIENT_CPU (1); plus those of
# bench/lib/common.sh. Default runtime about a minute.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-10000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

bench_init idle_memory
# Both ends hold CONNECTIONS descriptors: the servers started below inherit the limit.
raise_nofile
[ "$(ulimit -n)" -gt $((CONNECTIONS + 100)) ] ||
  die "ulimit -n is $(ulimit -n); $CONNECTIONS connections need more (hard limit $(ulimit -Hn))"
command -v nginx >/dev/null || die "nginx is not installed (scripts/setup.sh)"
load_before=$(load_average)

results=$OUT_DIR/results.tsv
printf 'scenario\tserver\trun\trss_before_kib\trss_after_kib\tpss_before_kib\tpss_after_kib\trss_per_conn\tpss_per_conn\n' >"$results"
scenario="$CONNECTIONS idle keep-alive connections: server memory"

# measure NAME RUN PORT PID...: holds the connections against the server on PORT and
# records the memory of PID... before and after.
measure() {
  local name=$1 run=$2 port=$3
  shift 3
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" || die "$name does not answer"
  sleep 0.5
  local before after
  before=$(memory_kib "$@")
  local out=$OUT_DIR/idle_conns-${name//[^A-Za-z0-9]/_}-$run.txt
  taskset -c "$CLIENT_CPU" "$TOOLS/idle_conns" --port "$port" --connections "$CONNECTIONS" \
    >"$out" 2>&1 &
  local holder=$!
  started_pids+=("$holder")
  for _ in $(seq 1200); do
    grep -qs "^ready" "$out" && break
    kill -0 "$holder" 2>/dev/null || die "idle_conns failed against $name: $(cat "$out")"
    sleep 0.05
  done
  grep -q '^ready' "$out" || die "idle_conns did not open $CONNECTIONS connections in 60 s"
  sleep 1  # let the server finish its side of the last connections
  after=$(memory_kib "$@")
  stop_pid "$holder"
  "$python" - "$scenario" "$name" "$run" "${before% *}" "${before#* }" "${after% *}" \
    "${after#* }" "$CONNECTIONS" >>"$results" <<'EOF'
import sys
scenario, name, run = sys.argv[1:4]
rss0, pss0, rss1, pss1, n = (int(x) for x in sys.argv[4:9])
print("\t".join([scenario, name, run, str(rss0), str(rss1), str(pss0), str(pss1),
                 f"{(rss1 - rss0) * 1024 / n:.0f}", f"{(pss1 - pss0) * 1024 / n:.0f}"]))
EOF
  log "  $(tail -1 "$results" | cut -f2- | tr '\t' ' ')"
}

log "$scenario: $RUNS runs per server"
for run in $(seq "$RUNS"); do
  start_remoto event "$OUT_DIR/remoto-event-$run.log" taskset -c "$SERVER_CPU" \
    "$REMOTO_BIN" hello --model event --threads 1 --idle-timeout 600 -p 0
  measure "remoto event" "$run" "$event_port" "$event_pid"
  stop_pid "$event_pid"

  start_remoto thread "$OUT_DIR/remoto-thread-$run.log" taskset -c "$SERVER_CPU" \
    "$REMOTO_BIN" hello --model thread --max-clients $((CONNECTIONS + 100)) --idle-timeout 600 -p 0
  measure "remoto thread" "$run" "$thread_port" "$thread_pid"
  stop_pid "$thread_pid"

  start_nginx ngx "$OUT_DIR/nginx-$run" $((CONNECTIONS + 100)) "$SERVER_CPU"
  measure "nginx" "$run" "$ngx_port" "$ngx_pid" "$ngx_worker"
  stop_pid "$ngx_pid"
done

# nginx touches its whole connection table (worker_connections entries) at start, so part of
# what a connection costs it is in "before": measure that part from a second, small table.
start_nginx small "$OUT_DIR/nginx-small" 512 "$SERVER_CPU"
sleep 0.5
small_rss=$(memory_kib "$small_pid" "$small_worker" | cut -d' ' -f1)
stop_pid "$small_pid"
large_rss=$(awk -F'\t' '$2 == "nginx" { print $4; exit }' "$results")
slot_bytes=$(( (large_rss - small_rss) * 1024 / (CONNECTIONS + 100 - 512) ))
log "nginx: RSS before $small_rss KiB with 512 worker_connections, $large_rss KiB with $((CONNECTIONS + 100))"

load_after=$(load_average)

cat <<EOF
- Command: \`RUNS=$RUNS CONNECTIONS=$CONNECTIONS bench/idle_memory.sh\`
$(machine_line)
- Load average (1, 5, 15 min): $load_before before, $load_after after
- Servers: \`remoto hello --model event --threads 1 --idle-timeout 600\`, \`remoto hello
  --model thread --max-clients $((CONNECTIONS + 100)) --idle-timeout 600\`, nginx with
  \`worker_processes 1\`, \`worker_connections $((CONNECTIONS + 100))\` (master + worker
  counted), each alone, on CPU $SERVER_CPU. \`idle_conns --connections $CONNECTIONS\` on CPU
  $CLIENT_CPU: one GET per connection, then idle. Memory from /proc/PID/smaps_rollup, summed over
  the server's processes; per connection = (after − before) ÷ $CONNECTIONS.
- nginx touches its connection table (worker_connections entries) at start, so that part is in
  "before": started with 512 worker_connections instead, its RSS is $small_rss KiB, so each entry
  costs about $slot_bytes bytes on top of the per-connection figure below.
EOF
"$python" "$bench_dir/lib/table.py" "$results" --group scenario --row server --baseline nginx \
  --col 'rss_per_conn|RSS/connection (bytes)|,.0f|ratio' \
  --col 'pss_per_conn|PSS/connection (bytes)|,.0f|ratio' \
  --col 'rss_before_kib|RSS before (KiB)|,.0f' \
  --col 'rss_after_kib|RSS after (KiB)|,.0f'

"$python" - "$results" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(server, key):
    v = [float(r[key]) for r in rows if r["server"] == server]
    return statistics.median(v) if v else None
a, b = med("remoto event", "pss_per_conn"), med("nginx", "pss_per_conn")
if a is not None and b:
    verdict = "met" if a / b <= 0.5 else "missed"
    print(f"\nGoal: memory per idle connection at most half of nginx's: remoto event ÷ nginx "
          f"(PSS) = {a / b:.2f} — {verdict}")
EOF
log "done; raw results in $OUT_DIR"
