#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, the Rust unit, integration and
# conformance tests, and the interop suite that drives the relay with the real npm and
# PyPI clients. Installs what those need (npm packages from the lockfile, a Python venv).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo test (unit, integration, conformance)"
cargo test --all-targets

step "interop with the real clients"
cargo build --bin remotedev
REMOTEDEV_BIN="$PWD/target/debug/remotedev" bash tests/interop/run.sh
