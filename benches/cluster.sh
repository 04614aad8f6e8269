#!/usr/bin/env bash
# Cluster-mode benchmark (issue 15): app on relay A, monitor on relay B, delivered
# through a private redis-server, next to the same scenarios on one relay.
#
#   benches/cluster.sh        # ~1 minute, writes benches/results-cluster.md
#
# Environment knobs (all optional):
#   BENCH_DURATION   measured seconds per scenario (default 5)
#   BENCH_WARMUP     warm-up seconds (default 1)
#   BENCH_PORT       first TCP port on 127.0.0.1 (default 18800: redis, +1 A, +2 B)
#   BENCH_OUT        report file (default benches/results-cluster.md)
#   REDIS_SERVER     redis-server binary (default: redis-server on the PATH; installed
#                    by tests/lib/setup.sh ensure_redis)
#
# Everything listens on 127.0.0.1; every process started here is stopped by its pid.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
PORT=${BENCH_PORT:-18800}
OUT_MD=${BENCH_OUT:-benches/results-cluster.md}
REDIS=${REDIS_SERVER:-redis-server}
WORK=$ROOT/target/bench-cluster
mkdir -p "$WORK"
JSONL=$WORK/results.jsonl
: >"$JSONL"

SCENARIOS=(
  "1x1-100B|--apps 1 --monitors 1 --size 100 --window 256"
  "1x1-10KiB|--apps 1 --monitors 1 --size 10240 --window 64"
  "10x5-1KiB|--apps 10 --monitors 5 --size 1024 --window 32"
)

log() { echo "[bench-cluster] $*" >&2; }

# shellcheck source=../tests/lib/setup.sh
source tests/lib/setup.sh
ensure_redis bench-cluster

log "building the relay and loadgen (release)"
cargo build --release -p remotedev --bin remotedev 2>"$WORK/build.log"
cargo build --release -p remotedev-tools --bin loadgen 2>>"$WORK/build.log"
RELAY=$ROOT/target/release/remotedev
LOADGEN=$ROOT/target/release/loadgen

PIDS=()
DIRS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for d in "${DIRS[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing listens on port $1"
  return 1
}

REDIS_PORT=$PORT
A_PORT=$((PORT + 1))
B_PORT=$((PORT + 2))
REDIS_DIR=$(mktemp -d)
DIRS+=("$REDIS_DIR")
"$REDIS" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_port "$REDIS_PORT"
for p in "$A_PORT" "$B_PORT"; do
  "$RELAY" --port "$p" --db :memory: --logLevel 2 --redis "redis://127.0.0.1:$REDIS_PORT" \
    --cluster bench >"$WORK/relay-$p.log" 2>&1 &
  PIDS+=($!)
  wait_port "$p"
done
A_PID=${PIDS[1]}
sleep 1 # both relays subscribed on Redis

url() { echo "ws://127.0.0.1:$1/socketcluster/"; }
for entry in "${SCENARIOS[@]}"; do
  name=${entry%%|*}
  # shellcheck disable=SC2206
  args=(${entry#*|})
  log "$name: one relay (app and monitor on A)"
  "$LOADGEN" --url "$(url "$A_PORT")" "${args[@]}" --duration "$DURATION" --warmup "$WARMUP" \
    --target one-relay --scenario "$name" --relay-pid "$A_PID" >>"$JSONL"
  log "$name: through Redis (app on A, monitor on B)"
  "$LOADGEN" --url "$(url "$A_PORT")" --monitor-url "$(url "$B_PORT")" "${args[@]}" \
    --duration "$DURATION" --warmup "$WARMUP" --target cluster --scenario "$name" \
    --relay-pid "$A_PID" >>"$JSONL"
done

python3 - "$JSONL" "$OUT_MD" "$DURATION" <<'PY'
import json, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
out = [
    "# Cluster mode benchmark",
    "",
    f"`benches/cluster.sh`, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {sys.argv[3]} s per row, "
    "debug logging off, one redis-server, all on 127.0.0.1 of one machine, processes not pinned (two relays, Redis and the load generator share its cores).",
    "`one relay`: app and monitor on relay A. `cluster`: app on A, monitor on B, through Redis pub/sub.",
    "",
    "| scenario | setup | deliveries/s | p50 latency | p99 latency | lost |",
    "|---|---|---:|---:|---:|---:|",
]
for r in rows:
    out.append(f"| {r['scenario']} | {r['target']} | {r['deliveries_per_s']:.0f} | "
               f"{r['p50_us']/1000:.2f} ms | {r['p99_us']/1000:.2f} ms | {r['lost']} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
