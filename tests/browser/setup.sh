#!/usr/bin/env bash
# Idempotent setup of the browser tests: Debian's chromium (never a downloaded browser)
# and the npm packages from package-lock.json.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

if ! command -v "${CHROMIUM_BIN:-chromium}" >/dev/null 2>&1; then
  echo "[browser setup] apt-get install chromium" >&2
  if [[ "$(id -u)" == 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq >&2
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -qq chromium >&2
fi

stamp="node_modules/.browser-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "[browser setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
