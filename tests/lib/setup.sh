# Shared by the test suites' setup scripts (sourced, not run): the idempotent npm
# install from a lockfile and Debian's chromium (never a downloaded browser).

# npm_ci_once LABEL STAMP: `npm ci` in the current folder unless node_modules was
# installed from this very package-lock.json (recorded in node_modules/STAMP).
npm_ci_once() {
  local label="$1" stamp="node_modules/$2" want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "[$label setup] npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$want" > "$stamp"
  fi
}

# ensure_chromium LABEL: Debian's chromium, unless CHROMIUM_BIN names a browser or
# `chromium` is installed. Fails with one line where it cannot be installed.
ensure_chromium() {
  local label="$1"
  if [[ -n "${CHROMIUM_BIN:-}" ]] || command -v chromium >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[$label setup] chromium is missing: install it (or set CHROMIUM_BIN)" >&2
    return 1
  fi
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  echo "[$label setup] apt-get install chromium" >&2
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 \
    install -y -qq chromium >&2
}

# ensure_redis LABEL: Debian's redis-server (the cluster tests start private instances
# on loopback ports), unless REDIS_SERVER names one or `redis-server` is installed.
ensure_redis() {
  local label="$1"
  if [[ -n "${REDIS_SERVER:-}" ]] || command -v redis-server >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[$label setup] redis-server is missing: install it (or set REDIS_SERVER)" >&2
    return 1
  fi
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  echo "[$label setup] apt-get install redis-server" >&2
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 \
    install -y -qq --no-install-recommends redis-server >&2
  # Debian starts a system service on install; the tests never use it.
  "${sudo[@]}" service redis-server stop >/dev/null 2>&1 || true
}
