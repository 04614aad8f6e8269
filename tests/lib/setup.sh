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

# apt_install LABEL PACKAGE...: Debian packages, with one `apt-get update` per test run
# (APT_UPDATED is exported, so the suites run_all.sh calls share it). Fails with one line
# where apt-get is missing.
apt_install() {
  local label="$1"
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[$label setup] $* missing and no apt-get here: install it by hand" >&2
    return 1
  fi
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  echo "[$label setup] apt-get install $*" >&2
  if [[ -z "${APT_UPDATED:-}" ]]; then
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
    export APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 \
    install -y -qq "$@" >&2
}

# ensure_chromium LABEL: Debian's chromium, unless CHROMIUM_BIN names a browser or
# `chromium` is installed.
ensure_chromium() {
  if [[ -n "${CHROMIUM_BIN:-}" ]] || command -v chromium >/dev/null 2>&1; then
    return 0
  fi
  apt_install "$1" chromium
}

# ensure_redis LABEL: Debian's redis-server (the cluster tests start private instances
# on loopback ports), unless REDIS_SERVER names one or `redis-server` is installed.
ensure_redis() {
  if [[ -n "${REDIS_SERVER:-}" ]] || command -v redis-server >/dev/null 2>&1; then
    return 0
  fi
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  apt_install "$1" redis-server
  # Debian starts a system service on install; the tests never use it.
  "${sudo[@]}" service redis-server stop >/dev/null 2>&1 || true
}

# ensure_postgres LABEL: Debian's PostgreSQL server binaries (/usr/lib/postgresql/<ver>/bin)
# for the tests that start a private server (tests/common/pg.rs); never a system service.
# Skipped when REMOTEDEV_PG_BIN names a folder with initdb.
ensure_postgres() {
  if [[ -n "${REMOTEDEV_PG_BIN:-}" && -x "$REMOTEDEV_PG_BIN/initdb" ]] ||
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    return 0
  fi
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  apt_install "$1" postgresql
  # The package may start a cluster as a service; the tests never use it.
  "${sudo[@]}" service postgresql stop >/dev/null 2>&1 || true
}
