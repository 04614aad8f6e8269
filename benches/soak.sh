#!/usr/bin/env bash
# Soak benchmark (not a CI test): the relay under churn for MINUTES.
#
#   bash benches/soak.sh MINUTES        # e.g. 30
#
# Starts a release relay on 127.0.0.1 (SOAK_PORT, default 18950) and drives it with
# tools/src/bin/soak.rs: SOAK_CONNECTIONS connection slots (default 5000) of which
# SOAK_MONITORS monitors (default 40), each slot connecting, logging in, living 20-180 s
# (monitors 60-300 s), apps sending a `log` every SOAK_SEND_EVERY s on average (default
# 8), then closing cleanly or (one in five) resetting its TCP connection, and connecting
# again. Monitors check per-app order and that nothing sent while both were connected is
# lost. Relay RSS and open fds are sampled every second into benches/soak-samples.csv;
# the summary goes to stdout and benches/soak-summary.txt. Both processes run nice'd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
minutes="${1:?usage: benches/soak.sh MINUTES}"
port="${SOAK_PORT:-18950}"
# both processes hold SOAK_CONNECTIONS sockets: raise the soft limit to the hard one
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt "$(( ${SOAK_CONNECTIONS:-5000} + 200 ))" ] || { echo "soak: ulimit -n $(ulimit -n) is too low" >&2; exit 1; }
cargo build --release -p remotedev --bin remotedev
cargo build --release -p remotedev-tools --bin soak
nice -n 10 target/release/remotedev --hostname 127.0.0.1 --port "$port" --db :memory: --logLevel 1 \
  > /dev/null &
relay=$!
trap 'kill "$relay" 2>/dev/null || true' EXIT
sleep 1
kill -0 "$relay"
rc=0
nice -n 10 target/release/soak --url "ws://127.0.0.1:$port/socketcluster/" --pid "$relay" \
  --seconds "$((minutes * 60))" --connections "${SOAK_CONNECTIONS:-5000}" \
  --monitors "${SOAK_MONITORS:-40}" --send-every "${SOAK_SEND_EVERY:-8}" \
  --samples benches/soak-samples.csv | tee benches/soak-summary.txt || rc=$?
kill -0 "$relay" || { echo "soak: the relay exited" >&2; rc=1; }
kill -TERM "$relay"
wait "$relay" || true
trap - EXIT
exit $rc
