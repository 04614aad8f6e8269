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
exec node --test --test-concurrency=1 --test-timeout=90000 "$@" test/*.test.mjs
