#!/usr/bin/env bash
# Idempotent install of the pinned reference relays (tests/reference/node_modules):
# `npm ci` from package-lock.json, skipped while the lockfile and the Node version are the
# ones of the last successful install (stamp file). Quiet unless it fails.
#
# Both relays use the native sqlite3 module (cli@5: sqlite3 5.1.7, remotedev-server@0.3.1:
# sqlite3 4.2.0), which is compiled here from source against the local Node headers;
# electron (a dependency of cli@5 for its desktop UI, not used by the tests) must not
# download its binary. A fresh install takes about 2 minutes, mostly the two compilations.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

command -v node >/dev/null || { echo "[reference setup] node not found (need >= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "[reference setup] npm not found" >&2; exit 1; }

export ELECTRON_SKIP_BINARY_DOWNLOAD=1
# never fetch prebuilt native binaries; build them (node-pre-gyp / prebuild-install honour it)
export npm_config_build_from_source=true
# node-gyp: use the installed Node headers instead of downloading them
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi
export JOBS="${JOBS:-max}"

stamp="node_modules/.reference-install.sha256"
want="$( { sha256sum package-lock.json | cut -d' ' -f1; node --version; } | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "[reference setup] npm ci (reference relays, ~2 min on a fresh machine)" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  echo "[reference setup] npm ci failed:" >&2
  grep -v -E '^npm (error|warn) *$' "$log" | head -n 30 >&2
  exit 1
fi
for f in node_modules/@redux-devtools/cli/bin/redux-devtools.js node_modules/remotedev-server/bin/remotedev.js; do
  [[ -f "$f" ]] || { echo "[reference setup] $f missing after npm ci" >&2; exit 1; }
done
for m in node_modules/sqlite3 node_modules/remotedev-server/node_modules/sqlite3; do
  node -e "require('./$m')" 2>>"$log" || { echo "[reference setup] native $m does not load:" >&2; tail -n 20 "$log" >&2; exit 1; }
done
echo "$want" >"$stamp"
