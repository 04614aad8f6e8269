#!/usr/bin/env bash
# Idempotent setup of the browser tests: Debian's chromium (never a downloaded browser)
# and the npm packages from package-lock.json.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# shellcheck source=../lib/setup.sh
source "$HERE/../lib/setup.sh"
ensure_chromium browser
npm_ci_once browser .browser-lock.sha256
