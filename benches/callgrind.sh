#!/usr/bin/env bash
# Instructions per delivery of our relay and of the bare forwarder, counted by
# valgrind's callgrind. Unlike wall-clock throughput, instruction counts barely move
# when other processes load the machine, so variants can be compared on a busy box.
#
#   benches/callgrind.sh                      # every scenario below, both targets
#   CG_SCENARIOS="1x1-10KiB-string" benches/callgrind.sh
#   CG_PROFILE=benches/profile-10k.txt CG_SCENARIOS=1x1-10KiB-string CG_TARGETS=libremotedev benches/callgrind.sh
#
# Each target runs twice per scenario under callgrind (pinned to one core, like the
# relay in benches/run.sh), once with N1 and once with N2 messages per app sent by
# loadgen --messages; instructions per delivery = (Ir(N2) - Ir(N1)) / deliveries(N2 - N1),
# so start-up, handshakes and shutdown cancel out.
#
# callgrind counts each iteration of a `rep movsb`/`rep stosb` as one instruction, so
# glibc's memcpy/memset of large blocks (which use them) would count one instruction
# per byte, far above what they cost. Both targets run with GLIBC_TUNABLES that keep
# memcpy/memset on their vector loops, so copies count about what they cost.
#
# Environment knobs (all optional):
#   CG_TARGETS     "libremotedev bare" (default)
#   CG_SCENARIOS   scenario names from the list below (default: all)
#   CG_SCALE       multiplies the message counts (default 1; 0.25 for a quick look)
#   CG_PORT        first port on 127.0.0.1 (default 18900)
#   CG_PROFILE     write callgrind_annotate's top 25 functions of our relay's N2 run
#                  of the (first) scenario to this file
#   CG_OUT         JSON lines file (default target/bench/callgrind.jsonl)
#   CG_BUILD       0 = do not build (use the binaries in target/release)
#   CG_RELAY       relay binary to measure (default target/release/remotedev)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
WORK=$ROOT/target/bench/callgrind
mkdir -p "$WORK"
TARGETS=${CG_TARGETS:-"libremotedev bare"}
SCALE=${CG_SCALE:-1}
PORT=${CG_PORT:-18900}
OUT=${CG_OUT:-$ROOT/target/bench/callgrind.jsonl}
LOADGEN=$ROOT/target/release/loadgen
BARE=$ROOT/target/release/bare_forwarder
RELAY=${CG_RELAY:-$ROOT/target/release/remotedev}

# name|loadgen arguments (the same as benches/run.sh)
ALL=(
  "1x1-100B-object|--apps 1 --monitors 1 --size 100 --window 256 --payload object"
  "1x1-1KiB-string|--apps 1 --monitors 1 --size 1024 --window 128 --payload string"
  "1x1-10KiB-object|--apps 1 --monitors 1 --size 10240 --window 64 --payload object"
  "1x1-10KiB-string|--apps 1 --monitors 1 --size 10240 --window 64 --payload string"
  "1x1-10KiB-state|--apps 1 --monitors 1 --size 10240 --window 64 --payload state"
  "1x1-100KiB-state|--apps 1 --monitors 1 --size 102400 --window 16 --payload state"
  "1x1-1MiB-state|--apps 1 --monitors 1 --size 1048576 --window 4 --payload state"
  "10x5-1KiB-state|--apps 10 --monitors 5 --size 1024 --window 32 --payload state"
)
log() { echo "[callgrind] $*" >&2; }
command -v valgrind >/dev/null || { log "valgrind is not installed"; exit 1; }

if [ "${CG_BUILD:-1}" != 0 ]; then
  cargo build --release -p remotedev-tools -p remotedev --bin remotedev --bin loadgen \
    --bin bare_forwarder 2>"$WORK/build.log" || { log "build failed: see $WORK/build.log"; exit 1; }
fi

PID=
stop() {
  [ -n "$PID" ] || return 0
  kill -TERM "$PID" 2>/dev/null
  local i
  for ((i = 0; i < 600; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  PID=
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

wait_port() {
  local i
  for ((i = 0; i < 600; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# run target scenario-args messages outfile -> prints "Ir deliveries"
run_one() {
  local t=$1 args=$2 n=$3 cg=$4 url mode
  PORT=$((PORT + 1))
  local vg=(env GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4294967295:glibc.cpu.x86_rep_stosb_threshold=4294967295
    valgrind --tool=callgrind --callgrind-out-file="$cg" --dump-instr=no)
  case $t in
  libremotedev)
    taskset -c 1 "${vg[@]}" "$RELAY" --hostname 127.0.0.1 --port "$PORT" --logLevel 1 --db :memory: \
      >"$WORK/$t.log" 2>&1 &
    url="ws://127.0.0.1:$PORT/socketcluster/" mode=sc ;;
  bare)
    taskset -c 1 "${vg[@]}" "$BARE" --hostname 127.0.0.1 --port "$PORT" >"$WORK/$t.log" 2>&1 &
    url="ws://127.0.0.1:$PORT" mode=bare ;;
  esac
  PID=$!
  if ! wait_port "$PORT"; then
    log "$t did not start; log:"; tail -5 "$WORK/$t.log" >&2; stop; return 1
  fi
  local line
  # shellcheck disable=SC2086
  line=$(taskset -c 0 timeout 900 "$LOADGEN" --url "$url" --mode "$mode" --messages "$n" --warmup 0 \
    --duration 100000 --drain 600 $args 2>/dev/null | grep -m1 '^{')
  stop
  local delivered lost ir
  delivered=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["delivered"] if not r["lost"] and not r["errors"] else -1)' "$line" 2>/dev/null)
  ir=$(grep -m1 '^totals:' "$cg" 2>/dev/null | awk '{print $2}')
  [ -n "$ir" ] || ir=$(grep -m1 '^summary:' "$cg" 2>/dev/null | awk '{print $2}')
  echo "${ir:-0} ${delivered:--1}"
}

: >"$OUT.tmp"
for sc in "${ALL[@]}"; do
  name=${sc%%|*}
  args=${sc#*|}
  if [ -n "${CG_SCENARIOS:-}" ] && [[ " $CG_SCENARIOS " != *" $name "* ]]; then continue; fi
  size=$(grep -o -- '--size [0-9]*' <<<"$args" | awk '{print $2}')
  apps=$(grep -o -- '--apps [0-9]*' <<<"$args" | awk '{print $2}')
  # About 64 MiB (scaled) of payload per app in the larger run, at least 30 messages.
  n2=$(python3 -c "print(max(30, min(20000, int(64*2**20/$size/$apps*$SCALE))))")
  n1=$((n2 / 3))
  for t in $TARGETS; do
    read -r ir1 d1 < <(run_one "$t" "$args" "$n1" "$WORK/$t-$name-1.out")
    read -r ir2 d2 < <(run_one "$t" "$args" "$n2" "$WORK/$t-$name-2.out")
    if [ "${d1:--1}" -lt 0 ] || [ "${d2:--1}" -lt 0 ] || [ "$d2" -le "$d1" ]; then
      log "$t $name: a run failed (deliveries $d1 / $d2)"
      printf '{"target":"%s","scenario":"%s","error":"run failed"}\n' "$t" "$name" >>"$OUT.tmp"
      continue
    fi
    per=$(python3 -c "print(round(($ir2-$ir1)/($d2-$d1)))")
    log "$t $name: $per instructions per delivery ($n1 and $n2 messages per app)"
    printf '{"target":"%s","scenario":"%s","ir_per_delivery":%s,"deliveries":[%s,%s],"ir":[%s,%s]}\n' \
      "$t" "$name" "$per" "$d1" "$d2" "$ir1" "$ir2" >>"$OUT.tmp"
    if [ -n "${CG_PROFILE:-}" ] && [ "$t" = libremotedev ] && [ ! -s "$CG_PROFILE.done" ]; then
      {
        echo "# callgrind_annotate (exclusive) of $RELAY, scenario $name, $n2 messages per app"
        echo "# ($d2 deliveries; $per instructions per delivery net of start-up)"
        callgrind_annotate --inclusive=no "$WORK/$t-$name-2.out" 2>/dev/null | sed -n '1,/^$/d;p' |
          grep -v '^--' | sed -e 's|/root/.cargo/registry/src/[^/]*/||' -e 's|/rustc/[0-9a-f]*/library/||' |
          sed -n '1,32p'
      } >"$CG_PROFILE"
      echo 1 >"$CG_PROFILE.done"
    fi
  done
done
rm -f "${CG_PROFILE:-/nonexistent}.done"
mv "$OUT.tmp" "$OUT"
# Ratios, ours / bare, per scenario.
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {(r["target"], r["scenario"]): r.get("ir_per_delivery") for r in rows}
print("| scenario | libremotedev instr/delivery | bare instr/delivery | ratio |")
print("|---|---:|---:|---:|")
for sc in dict.fromkeys(r["scenario"] for r in rows):
    a, b = by.get(("libremotedev", sc)), by.get(("bare", sc))
    ratio = f"{a / b:.2f}×" if a and b else "-"
    print(f"| {sc} | {a if a else '-'} | {b if b else '-'} | {ratio} |")
PY
[ -n "${CG_KEEP:-}" ] || for f in "$WORK"/*.out; do rm -f "$f"; done
