#!/usr/bin/env bash
# Relay benchmark: libremotedev vs @redux-devtools/cli@5.0.0 (reference) vs a
# bare tokio-tungstenite forwarder (the ceiling on this machine), all in one run.
#
#   benches/run.sh                 # full run (~25-35 minutes), writes benches/results.md
#   BENCH_QUICK=1 benches/run.sh   # smoke run (~1 minute): a few scenarios, one run
#
# The load generator, the bare forwarder and the client send benchmark are the
# binaries of the tools crate (tools/, package remotedev-tools). The relay under test
# is pinned to CPU 1 and the load generator to CPU 0 (taskset), so the relay's CPU
# time per delivery is its own; every target runs BENCH_RUNS times (default 2) and
# every run is reported, each compared with the bare forwarder of the same run.
# Nothing here asserts speed: the goal table is informational, and CI may only run
# the smoke run to see that everything still starts and delivers.
#
# Environment knobs (all optional):
#   BENCH_QUICK        1 = smoke run: 1 s per scenario, one run, targets "libremotedev bare"
#   BENCH_TARGETS      targets to run, default "libremotedev libremotedev-wss reference bare"
#                      (libremotedev-wss: our relay with --protocol https and a test PKI
#                      made by tests/tls/make_test_pki.sh; loadgen over wss:// with --ca;
#                      only the 1x1 100 B and 10 KiB scenarios, next to libremotedev's rows)
#   BENCH_RUNS         runs of every target (default 2)
#   BENCH_DURATION     measured seconds per traffic scenario (default 8)
#   BENCH_WARMUP       warm-up seconds before measuring (default 1)
#   BENCH_SCENARIOS    names of the traffic scenarios to run (default: all, see below)
#   BENCH_IDLE         idle connection counts (default "1000 10000 100000"; counts the
#                      open-file limit cannot hold are reported as skipped)
#   BENCH_PORT         first TCP port to use on 127.0.0.1 (default 18700)
#   BENCH_OUT          report file (default benches/results.md)
#   BENCH_WAIT_RELAY   seconds to keep retrying `cargo build --release -p remotedev
#                      --bin remotedev` if it does not build yet (default 0)
#   BENCH_NO_PIN       1 = do not pin processes to CPUs
#
# Everything listens on and connects to 127.0.0.1 (loadgen connects from 127.0.0.1-8 in
# turn, for more than one address's worth of ephemeral ports). Each loop is
# bounded and every process started here is stopped by its pid before the script ends.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  TARGETS=${BENCH_TARGETS:-"libremotedev bare"}
  RUNS=${BENCH_RUNS:-1}
  DURATION=${BENCH_DURATION:-1}
  WARMUP=${BENCH_WARMUP:-0.5}
  IDLE_COUNTS=${BENCH_IDLE:-"1000"}
  SCENARIO_NAMES=${BENCH_SCENARIOS:-"1x1-100B-state 1x1-10KiB-state 10x5-1KiB-state"}
else
  TARGETS=${BENCH_TARGETS:-"libremotedev libremotedev-wss reference bare"}
  RUNS=${BENCH_RUNS:-2}
  DURATION=${BENCH_DURATION:-8}
  WARMUP=${BENCH_WARMUP:-1}
  IDLE_COUNTS=${BENCH_IDLE:-"1000 10000 100000"}
  SCENARIO_NAMES=${BENCH_SCENARIOS:-}
fi
PORT=${BENCH_PORT:-18700}
WAIT_RELAY=${BENCH_WAIT_RELAY:-0}
OUT_MD=${BENCH_OUT:-benches/results.md}
WORK=$ROOT/target/bench
mkdir -p "$WORK"
JSONL=$WORK/results.jsonl
: >"$JSONL"

# Traffic scenarios: name|loadgen arguments. Closed loop = max throughput with a
# bounded per-app in-flight window. Payload kinds (tools/src/bin/loadgen/payload.rs):
# `state` = the way RemoteDev apps send a state, one long JSON string holding a
# stringified lifted state (nested keys, arrays, escapes); `object` = a JSON object.
# The 5 MiB scenario keeps one message in flight: its p50 is the latency of one large
# state. The last one is open loop at a fixed rate.
ALL_SCENARIOS=(
  "1x1-100B-state|--apps 1 --monitors 1 --size 100 --window 256 --payload state"
  "1x1-100B-object|--apps 1 --monitors 1 --size 100 --window 256 --payload object"
  "1x1-1KiB-state|--apps 1 --monitors 1 --size 1024 --window 128 --payload state"
  "1x1-1KiB-object|--apps 1 --monitors 1 --size 1024 --window 128 --payload object"
  "1x1-10KiB-state|--apps 1 --monitors 1 --size 10240 --window 64 --payload state"
  "1x1-10KiB-object|--apps 1 --monitors 1 --size 10240 --window 64 --payload object"
  "1x1-100KiB-state|--apps 1 --monitors 1 --size 102400 --window 16 --payload state"
  "1x1-100KiB-object|--apps 1 --monitors 1 --size 102400 --window 16 --payload object"
  "1x1-1MiB-state|--apps 1 --monitors 1 --size 1048576 --window 4 --payload state"
  "1x1-1MiB-object|--apps 1 --monitors 1 --size 1048576 --window 4 --payload object"
  "10x5-1KiB-state|--apps 10 --monitors 5 --size 1024 --window 32 --payload state"
  "1x1-5MiB-state|--apps 1 --monitors 1 --size 5242880 --window 1 --payload state"
  "1x1-100B@1000/s|--apps 1 --monitors 1 --size 100 --rate 1000 --payload state"
)
SCENARIOS=()
for sc in "${ALL_SCENARIOS[@]}"; do
  if [ -z "$SCENARIO_NAMES" ] || [[ " $SCENARIO_NAMES " == *" ${sc%%|*} "* ]]; then
    SCENARIOS+=("$sc")
  fi
done

# Relay on CPU 1, load generator on CPU 0 (when there are two CPUs to pin to).
PIN_RELAY=()
PIN_LOAD=()
if [ "${BENCH_NO_PIN:-0}" != 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_RELAY=(taskset -c 1)
  PIN_LOAD=(taskset -c 0)
fi

log() { echo "[bench] $*" >&2; }

# 100 000 idle connections need 100 000+ descriptors in the relay and in loadgen.
ulimit -n 210000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "open file limit: $(ulimit -n)"

# ------------------------------------------------------------------ build ---
# The tools crate (tools/): loadgen, bare_forwarder, client_bench.
LOADGEN=$ROOT/target/release/loadgen
BARE=$ROOT/target/release/bare_forwarder
CLIENT_BENCH=$ROOT/target/release/client_bench
RELAY=$ROOT/target/release/remotedev

log "building the benchmark tools (release)"
if ! cargo build --release -p remotedev-tools 2>"$WORK/tools-build.log"; then
  # client_bench links the library; loadgen and bare_forwarder do not, so the
  # reference and the bare forwarder can still be measured while it does not build.
  log "tools did not build (see $WORK/tools-build.log); building loadgen and bare_forwarder without the library"
  rm -f "$CLIENT_BENCH"
  cargo build --release -p remotedev-tools --no-default-features 2>>"$WORK/tools-build.log" ||
    { log "tools build failed"; exit 1; }
fi

RELAY_OK=0
if [[ " $TARGETS " == *" libremotedev"* ]]; then
  deadline=$((SECONDS + WAIT_RELAY))
  while :; do
    if cargo build --release -p remotedev --bin remotedev 2>"$WORK/relay-build.log"; then
      RELAY_OK=1
      break
    fi
    [ "$SECONDS" -ge "$deadline" ] && break
    log "relay does not build yet; retrying in 30 s"
    sleep 30
  done
  [ "$RELAY_OK" = 1 ] || log "relay build failed: $(grep -m1 '^error' "$WORK/relay-build.log")"
fi

REF_DIR=$ROOT/benches/reference
REF_CLI=$REF_DIR/node_modules/@redux-devtools/cli/bin/redux-devtools.js
if [[ " $TARGETS " == *" reference "* ]] && [ ! -f "$REF_CLI" ]; then
  log "installing the reference (npm ci in benches/reference)"
  nodedir=
  [ -d /usr/include/node ] && nodedir=/usr
  (cd "$REF_DIR" && ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm_config_nodedir=$nodedir \
    npm ci --no-audit --no-fund >"$WORK/npm-ci.log" 2>&1) ||
    log "npm ci failed (see $WORK/npm-ci.log)"
fi

# ---------------------------------------------------------------- targets ---
LOADGEN_EXTRA=() # extra loadgen arguments for the current target (wss: --ca)
TPID= # pid we started
RPID= # pid of the process that owns the listening socket (measured)
URL=
MODE=

wait_port() { # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

listener_pid() { # port -> pid owning the listening socket
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

start_target() { # name -> sets TPID RPID URL MODE; returns 1 on failure
  local name=$1 ready= i
  PORT=$((PORT + 1))
  local logf=$WORK/$name-$PORT.log
  case $name in
  libremotedev)
    [ "$RELAY_OK" = 1 ] || return 1
    "${PIN_RELAY[@]}" "$RELAY" --hostname 127.0.0.1 --port "$PORT" --logLevel 1 --db :memory: >"$logf" 2>&1 &
    TPID=$!
    ready="ws://127.0.0.1:$PORT/socketcluster/"
    URL="ws://127.0.0.1:$PORT/socketcluster/"
    MODE=sc
    LOADGEN_EXTRA=()
    ;;
  libremotedev-wss)
    [ "$RELAY_OK" = 1 ] || return 1
    if [ ! -f "$WORK/pki/ca.pem" ]; then
      bash "$ROOT/tests/tls/make_test_pki.sh" "$WORK/pki" || return 1
    fi
    "${PIN_RELAY[@]}" "$RELAY" --hostname 127.0.0.1 --port "$PORT" --logLevel 1 --db :memory: \
      --protocol https --key "$WORK/pki/key.pem" --cert "$WORK/pki/chain.pem" >"$logf" 2>&1 &
    TPID=$!
    ready="wss://127.0.0.1:$PORT/socketcluster/"
    URL="wss://127.0.0.1:$PORT/socketcluster/"
    MODE=sc
    LOADGEN_EXTRA=(--ca "$WORK/pki/ca.pem")
    ;;
  reference)
    [ -f "$REF_CLI" ] || return 1
    # node itself (no npx wrapper), so $! is the relay process.
    "${PIN_RELAY[@]}" node -r "$REF_DIR/loopback.cjs" "$REF_CLI" --hostname 127.0.0.1 --port "$PORT" --logLevel 1 \
      >"$logf" 2>&1 &
    TPID=$!
    URL="ws://127.0.0.1:$PORT/socketcluster/"
    MODE=sc
    ;;
  bare)
    "${PIN_RELAY[@]}" "$BARE" --hostname 127.0.0.1 --port "$PORT" >"$logf" 2>&1 &
    TPID=$!
    ready="listening on"
    URL="ws://127.0.0.1:$PORT"
    MODE=bare
    ;;
  *)
    log "unknown target $name"
    return 1
    ;;
  esac
  if [ -n "$ready" ]; then
    for ((i = 0; i < 200; i++)); do
      grep -qF "$ready" "$logf" 2>/dev/null && break
      kill -0 "$TPID" 2>/dev/null || break
      sleep 0.1
    done
    grep -qF "$ready" "$logf" 2>/dev/null || { log "$name never printed '$ready'"; }
  fi
  if ! wait_port "$PORT" 20; then
    log "$name is not accepting on 127.0.0.1:$PORT; log:"
    tail -n 20 "$logf" >&2
    stop_target
    return 1
  fi
  RPID=$(listener_pid "$PORT")
  [ -n "$RPID" ] || RPID=$TPID
  log "$name up: $URL (started pid $TPID, listening pid $RPID, $(ps -o comm= -p "$RPID"))"
  sleep 0.5
  return 0
}

stop_target() {
  [ -n "$TPID" ] || return 0
  local p i
  for p in $RPID $TPID; do kill -TERM "$p" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    kill -0 "$TPID" 2>/dev/null || break
    sleep 0.1
  done
  for p in $RPID $TPID; do kill -KILL "$p" 2>/dev/null; done
  wait "$TPID" 2>/dev/null
  TPID=
  RPID=
}
trap 'stop_target' EXIT
trap 'stop_target; exit 130' INT TERM

error_row() { # target scenario message
  if [[ "$2" == idle-* ]]; then
    printf '{"target":"%s","scenario":"%s","run":%s,"idle":%s,"errors":["%s"]}\n' "$1" "$2" "$RUN" "${2#idle-}" "$3" >>"$JSONL"
  else
    printf '{"target":"%s","scenario":"%s","run":%s,"error":"%s"}\n' "$1" "$2" "$RUN" "$3" >>"$JSONL"
  fi
  log "$1 $2: $3"
}

run_loadgen() { # target scenario args...
  local t=$1 s=$2 out rc
  shift 2
  out=$(timeout 300 "${PIN_LOAD[@]}" "$LOADGEN" --url "$URL" --mode "$MODE" --relay-pid "$RPID" \
    --target "$t" --scenario "$s" --run "$RUN" "${LOADGEN_EXTRA[@]}" "$@" 2>"$WORK/loadgen-stderr.log")
  rc=$?
  if grep -q '^{' <<<"$out"; then
    grep '^{' <<<"$out" >>"$JSONL"
    grep '^#' <<<"$out" >&2
  else
    error_row "$t" "$s" "loadgen exited $rc without a result"
  fi
  if ! kill -0 "$RPID" 2>/dev/null; then
    log "$t died during $s"
    return 1
  fi
  return 0
}

T_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN=1
for ((RUN = 1; RUN <= RUNS; RUN++)); do
  for t in $TARGETS; do
    # Traffic scenarios share one relay process (peak RSS is reset per scenario).
    up=0
    for sc in "${SCENARIOS[@]}"; do
      name=${sc%%|*}
      read -r -a extra <<<"${sc#*|}"
      # TLS rows: 1 app -> 1 monitor at 100 B and 10 KiB, beside the plain ones
      if [ "$t" = libremotedev-wss ] && [ "$name" != 1x1-100B-state ] && [ "$name" != 1x1-10KiB-state ]; then continue; fi
      if [ "$up" = 0 ]; then
        if start_target "$t"; then up=1; else
          error_row "$t" "$name" "target did not start"
          continue
        fi
      fi
      run_loadgen "$t" "$name" --duration "$DURATION" --warmup "$WARMUP" "${extra[@]}" ||
        { stop_target; up=0; }
    done
    [ "$up" = 1 ] && stop_target
    # Idle scenarios: a fresh process each, so RSS growth is not hidden by
    # memory freed earlier.
    for n in $IDLE_COUNTS; do
      [ "$t" = libremotedev-wss ] && continue
      if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((n + 1000)) ]; then
        error_row "$t" "idle-$n" "skipped: open file limit $(ulimit -n) is below $((n + 1000))"
        continue
      fi
      if start_target "$t"; then
        run_loadgen "$t" "idle-$n" --idle "$n" --idle-hold 3
        stop_target
      else
        error_row "$t" "idle-$n" "target did not start"
      fi
    done
  done
done
RUN=1
# Client send: our AppClient (tools/src/bin/client_bench.rs) through our relay, next to
# the load generator's raw SocketCluster sender on the same relay as the baseline.
CLIENT_ROWS=
if [[ " $TARGETS " == *" libremotedev "* ]] && [ -x "$CLIENT_BENCH" ] && start_target libremotedev; then
  raw=$(timeout 120 "${PIN_LOAD[@]}" "$LOADGEN" --url "$URL" --mode sc --apps 1 --monitors 1 --size 1024 --window 64 \
    --duration "$DURATION" --warmup "$WARMUP" 2>/dev/null | grep -m1 '^{')
  client=$(timeout 120 "${PIN_LOAD[@]}" "$CLIENT_BENCH" --url "$URL" --size 1024 --window 64 --duration "$DURATION" 2>/dev/null | grep -m1 '^{')
  capi=$(timeout 120 "${PIN_LOAD[@]}" "$CLIENT_BENCH" --api c --url "$URL" --size 1024 --window 64 --duration "$DURATION" 2>/dev/null | grep -m1 '^{')
  stop_target
  CLIENT_ROWS=$(RAW="$raw" CLIENT="$client" CAPI="$capi" python3 - <<'PY'
import json, os
rows = []
raw = None
for name, key in (("raw SocketCluster sender (loadgen)", "RAW"), ("remotedev AppClient::send (client_bench)", "CLIENT"), ("remotedev C remotedev_app_send_action (client_bench --api c)", "CAPI")):
    try:
        r = json.loads(os.environ[key])
    except Exception:
        rows.append(f"| {name} | failed | | | | |")
        continue
    if key == "RAW":
        raw = r['msgs_per_s']
    share = f"{r['msgs_per_s'] / raw * 100:.0f} %" if raw else ""
    rows.append(f"| {name} | {r['msgs_per_s']:.0f} | {share} | {r['p50_us']:.0f} | {r['p99_us']:.0f} | {r['p999_us']:.0f} |")
print("\n".join(rows))
PY
)
fi
ELAPSED=$((SECONDS - T_START))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ----------------------------------------------------------------- report ---
{
  echo "# Relay benchmark results"
  echo
  echo "Generated by \`benches/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') in ${ELAPSED}s;" \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')."
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(uname -sr);" \
    "$(rustc --version 2>/dev/null), node $(node --version 2>/dev/null)."
  echo
  echo "Targets: **libremotedev** = \`target/release/remotedev\`;" \
    "**reference** = \`@redux-devtools/cli@5.0.0\` (benches/reference, node, bound to 127.0.0.1);" \
    "**bare** = \`tools/src/bin/bare_forwarder.rs\` (no protocol logic: the ceiling)."
  echo "Load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END" \
    "(anything else running on the machine skews the numbers; compare rows of one run only)."
  if [ ${#PIN_RELAY[@]} -gt 0 ]; then
    echo "Relay pinned to CPU 1, load generator to CPU 0 (taskset); $RUNS run(s) of every target."
  else
    echo "Load generator and relay share the same $(nproc) cores (not pinned); $RUNS run(s) of every target."
  fi
  echo "Traffic: ${WARMUP}s warm-up + ${DURATION}s measured;" \
    "a delivery = one message received by one monitor; latency = send → receipt at a monitor;" \
    "closed-loop scenarios keep a bounded per-app in-flight window (see run.sh); peak RSS = VmHWM/VmRSS of the relay process during the scenario."
  echo
  "$LOADGEN" --report "$JSONL"
  if [ -n "$CLIENT_ROWS" ]; then
    echo
    echo "### Client send (1 KiB state, 1 app -> 1 monitor through libremotedev, window 64)"
    echo
    echo "| sender | msgs/s at the monitor | of the raw sender's | p50 µs | p99 µs | p999 µs |"
    echo "|---|---:|---:|---:|---:|---:|"
    echo "$CLIENT_ROWS"
  fi
  if grep -q '"libremotedev-wss"' "$JSONL"; then
    echo
    echo "### TLS cost (libremotedev over wss:// vs ws://, same run)"
    echo
    echo "| scenario | run | ws deliveries/s | wss deliveries/s | wss / ws | ws p50 / p99 µs | wss p50 / p99 µs |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    JSONL="$JSONL" python3 - <<'PY'
import json, os
rows = {}
for line in open(os.environ["JSONL"]):
    try:
        r = json.loads(line)
    except Exception:
        continue
    if "deliveries_per_s" in r:
        rows[(r["target"], r["scenario"], r.get("run", 1))] = r
for (t, sc, run) in sorted(k for k in rows if k[0] == "libremotedev-wss"):
    p, s = rows.get(("libremotedev", sc, run)), rows.get(("libremotedev-wss", sc, run))
    if not p or not s:
        continue
    print(f"| {sc} | {run} | {p['deliveries_per_s']:.0f} | {s['deliveries_per_s']:.0f} | "
          f"{s['deliveries_per_s'] / p['deliveries_per_s']:.2f}× | {p['p50_us']:.0f} / {p['p99_us']:.0f} | "
          f"{s['p50_us']:.0f} / {s['p99_us']:.0f} |")
PY
  fi
} | tee "$OUT_MD"
log "raw results: $JSONL; report: $OUT_MD"
