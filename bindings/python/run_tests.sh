#!/usr/bin/env bash
# Python binding tests: builds and installs the package with pip into a fresh venv,
# then runs pytest (warnings are errors, per-test timeout) including the stub check and
# the interop tests with the real node and PyPI clients.
#   bash bindings/python/run_tests.sh [extra pytest args]
# Env: PYTHON (default python3), REMOTEDEV_PY_VENV (default bindings/python/.venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
# Relays started with default options keep reports in the user's data directory;
# tests must not touch it, so this run gets a throwaway one.
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
VENV="${REMOTEDEV_PY_VENV:-$HERE/.venv}"

echo "[python] fresh venv $VENV" >&2
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-test.txt"

echo "[python] pip install ./bindings/python" >&2
# Cargo's target dir stays bindings/python/target, so rebuilds are incremental.
"$PY" -m pip install --quiet --disable-pip-version-check "$HERE"

echo "[python] cargo build --bin remotedev (python -m remotedev --help must list its flags)" >&2
(cd "$REPO" && cargo build --quiet --bin remotedev)
export REMOTEDEV_BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/remotedev"

echo "[python] npm packages of the interop suite (real socketcluster-client)" >&2
INTEROP_PYTHON="$PY" bash "$REPO/tests/interop/setup.sh"

cd "$HERE/tests"   # not the source tree: tests import the installed package
rc=0
"$PY" -m pytest -p no:cacheprovider -W error --timeout 120 -q -rfEs "$@" . || rc=$?
case "$rc" in
  0) echo "[python] all tests passed" >&2 ;;
  5) echo "[python] FAILED: no tests ran" >&2; exit 1 ;;
  *) echo "[python] FAILED (pytest exit $rc)" >&2; exit "$rc" ;;
esac
