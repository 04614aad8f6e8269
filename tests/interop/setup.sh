#!/usr/bin/env bash
# Idempotent setup of the interop test dependencies:
#   - npm packages from package-lock.json (npm ci; skipped when already in sync)
#   - a Python venv at tests/interop/.venv with python/requirements.txt
#   - Debian's chromium for test/access-browser.test.mjs (driven by the pinned npm
#     playwright-core; never a browser download), unless CHROMIUM_BIN names one
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# --- node ---
stamp="node_modules/.interop-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "[interop setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

# --- browser ---
if [[ -z "${CHROMIUM_BIN:-}" ]] && ! command -v chromium >/dev/null 2>&1 \
   && ! command -v chromium-browser >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "[interop setup] apt-get install chromium" >&2
    apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq chromium >&2
  else
    echo "[interop setup] chromium is missing: apt-get install chromium (or set CHROMIUM_BIN)" >&2
  fi
fi

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
