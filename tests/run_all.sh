#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, the Rust unit, integration and
# conformance tests (including the client against our relay and the two reference relays
# from npm), and the interop suite that drives our relay with the real npm and PyPI
# clients, and the browser tests of the embedded monitor UI. Installs what those need
# (npm packages from lockfiles, a Python venv, Debian's chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
# Relays started with default options (the C and Python tests, examples) keep reports
# in the user's data directory (XDG_DATA_HOME); give this run a throwaway one.
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT

# One full run gains nothing from incremental caches, which would double target/'s size.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings (workspace: the library and tools/)"
cargo clippy --workspace --all-targets -- -D warnings
# the in-process relay the fuzz targets drive (fuzz/ itself needs nightly: not run here)
cargo clippy -p remotedev --lib --features fuzzing -- -D warnings

step "openssl and curl (the TLS tests make their test CA with openssl and query the https report API with curl)"
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${need[@]}" >/dev/null ||
    { apt-get update -qq >/dev/null && apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${need[@]}" >/dev/null; }
fi

step "redis-server and PostgreSQL (the cluster, PostgreSQL and ops tests start private instances)"
# shellcheck source=lib/setup.sh
source tests/lib/setup.sh
ensure_redis run_all
ensure_postgres run_all

step "install the real peers (npm packages from lockfiles, Python venv)"
bash tests/interop/setup.sh
bash tests/reference/setup.sh

step "cargo test (unit, integration, conformance, client against all three relays)"
# tests/examples.rs runs the example programs as other tools do
cargo build --workspace --examples
cargo test --workspace --all-targets
# fuzz findings replayed through the fuzz harness (feature fuzzing; fuzz/ needs nightly)
cargo test -p remotedev --features fuzzing --test fuzz_regressions

step "C and Objective-C: header freshness, gcc/clang x shared/static, valgrind, GNUstep"
bash tests/c/run.sh

step "Python package (fresh venv, pip install, pytest)"
bash bindings/python/run_tests.sh

step "interop with the real clients"
cargo build -p remotedev --bin remotedev
REMOTEDEV_BIN="$PWD/target/debug/remotedev" bash tests/interop/run.sh

step "the monitor UI in a real browser (Debian chromium + playwright-core)"
REMOTEDEV_BIN="$PWD/target/debug/remotedev" bash tests/browser/run.sh
