#!/usr/bin/env bash
# Run the browser tests against the relay binary ($REMOTEDEV_BIN, default
# <repo>/target/debug/remotedev; build it first with `cargo build`). Screenshots go to
# <repo>/target/browser-artifacts/ ($BROWSER_ARTIFACTS).
# Usage: bash tests/browser/run.sh [extra node --test args, e.g. --test-name-pattern=rrd]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export REMOTEDEV_BIN="${REMOTEDEV_BIN:-$REPO/target/debug/remotedev}"

bash "$HERE/setup.sh"

if [[ ! -x "$REMOTEDEV_BIN" ]]; then
  echo "relay binary not found or not executable: $REMOTEDEV_BIN (run 'cargo build' in $REPO)" >&2
  exit 2
fi

rm -rf "${BROWSER_ARTIFACTS:-$REPO/target/browser-artifacts}"
cd "$HERE"
# One file at a time: each test starts a relay, an app and a browser on a 2-core machine.
exec node --test --test-concurrency=1 --test-timeout=120000 "$@" test/*.test.mjs
