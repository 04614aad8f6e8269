#!/usr/bin/env bash
# Run the interop suite against the relay binary ($REMOTEDEV_BIN, default
# <repo>/target/debug/remotedev; build it first with `cargo build`).
# Usage: bash tests/interop/run.sh [extra node --test args, e.g. --test-name-pattern=python]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export REMOTEDEV_BIN="${REMOTEDEV_BIN:-$REPO/target/debug/remotedev}"

bash "$HERE/setup.sh"

if [[ ! -x "$REMOTEDEV_BIN" ]]; then
  echo "relay binary not found or not executable: $REMOTEDEV_BIN (run 'cargo build' in $REPO)" >&2
  exit 2
fi

cd "$HERE"
# Test files run one at a time (each test starts its own relays; timings are short and
# the machine is small); a test that hangs is failed after 90 s.
node --test --test-concurrency=1 --test-timeout=90000 "$@" test/*.test.mjs
# Cluster mode (issue 15): the real-app and payload tests once more with every monitor on a second
# relay sharing a private redis-server with the apps' relay.
if [[ $# -eq 0 ]]; then
  echo "[interop] real-apps and payloads tests with apps and monitors on different relays (INTEROP_SPLIT=1)" >&2
  INTEROP_SPLIT=1 node --test --test-concurrency=1 --test-timeout=90000 test/real-apps.test.mjs test/payloads.test.mjs
fi
