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

# ensure_postgres LABEL: Debian's PostgreSQL server binaries (/usr/lib/postgresql/<ver>/bin)
# for the tests that start a private server (tests/common/pg.rs); never a system service.
# Skipped when REMOTEDEV_PG_BIN names a folder with initdb. Fails with one line where it
# cannot be installed.
ensure_postgres() {
  local label="$1"
  if [[ -n "${REMOTEDEV_PG_BIN:-}" && -x "$REMOTEDEV_PG_BIN/initdb" ]] ||
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[$label setup] PostgreSQL is missing: install it (or set REMOTEDEV_PG_BIN)" >&2
    return 1
  fi
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  echo "[$label setup] apt-get install postgresql" >&2
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
  # The package would start a cluster as a service; the tests never use it.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 \
    install -y -qq --no-install-recommends postgresql >&2
}
