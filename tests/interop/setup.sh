#!/usr/bin/env bash
# Idempotent setup of the interop test dependencies:
#   - npm packages from package-lock.json (npm ci; skipped when already in sync)
#   - a Python venv at tests/interop/.venv with python/requirements.txt
#   - Debian's chromium for test/access-browser.test.mjs (driven by the pinned npm
#     playwright-core; never a browser download), unless CHROMIUM_BIN names one
#   - Debian's redis-server for test/cluster.test.mjs, unless REDIS_SERVER names one
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# shellcheck source=../lib/setup.sh
source "$HERE/../lib/setup.sh"
npm_ci_once interop .interop-lock.sha256
# Only test/access-browser.test.mjs needs it, and it says so when it is missing.
ensure_chromium interop || true
# test/cluster.test.mjs starts private redis-server instances.
ensure_redis interop

# --- python ---
if [[ -n "${INTEROP_PYTHON:-}" ]]; then
  # caller supplies an interpreter; only make sure the pinned packages are there
  if ! "$INTEROP_PYTHON" -c 'import socketclusterclient' 2>/dev/null; then
    "$INTEROP_PYTHON" -m pip install --quiet -r python/requirements.txt >&2
  fi
else
  venv="$HERE/.venv"
  pystamp="$venv/.interop-req.sha256"
  pwant="$(sha256sum python/requirements.txt | cut -d' ' -f1)"
  if [[ ! -x "$venv/bin/python" ]]; then
    echo "[interop setup] creating venv $venv" >&2
    python3 -m venv "$venv" >&2 || {
      echo "[interop setup] python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  if [[ ! -f "$pystamp" || "$(cat "$pystamp" 2>/dev/null)" != "$pwant" ]]; then
    echo "[interop setup] pip install -r python/requirements.txt" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements.txt >&2
    echo "$pwant" > "$pystamp"
  fi
fi
