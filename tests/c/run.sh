#!/usr/bin/env bash
# The C and Objective-C test suite of the C API (src/ffi, include/remotedev.h,
# bindings/objc). Run from anywhere:  bash tests/c/run.sh
#   1. installs what it needs when missing (apt: gcc clang valgrind gobjc
#      libgnustep-base-dev; cargo: cbindgen at the pinned version; npm: the interop peers)
#   2. fails when include/remotedev.h differs from a fresh cbindgen generation
#   3. builds the library, then the C tests with gcc and clang against the shared and
#      the static library, runs each, and runs them under valgrind memcheck
#   4. installs into a temporary PREFIX with bindings/c/install.sh and builds the C
#      examples with pkg-config; runs the counter app and the monitor against each other
#   5. builds and runs the Objective-C tests and examples with clang -fobjc-runtime=gcc
#      on GNUstep base
# The last line is "N passed, N failed" (N = steps).
set -euo pipefail
# Relays started with default options keep reports in the user's data directory
# (XDG_DATA_HOME); give this run a throwaway one.
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CBINDGEN_VERSION=0.29.0
OUT="$ROOT/target/c-tests"
mkdir -p "$OUT"
passed=0
failed=0
step() { printf '\n--> %s\n' "$*"; }
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
run() { # run NAME CMD...: one step
  local name="$1"
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

# --- 1. tools ---------------------------------------------------------------
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v clang >/dev/null || need+=(clang)
command -v valgrind >/dev/null || need+=(valgrind)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v gnustep-config >/dev/null || need+=(libgnustep-base-dev)
[[ -n "$(gcc -print-file-name=include/objc/objc.h 2>/dev/null | grep /)" && \
   -f "$(gcc -print-file-name=include/objc/objc.h)" ]] || need+=(gobjc)
if ((${#need[@]})); then
  step "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [[ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]]; then
  step "cargo install cbindgen $CBINDGEN_VERSION"
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --force --quiet
fi
step "interop peers (npm)"
bash tests/interop/setup.sh

# --- 2. header --------------------------------------------------------------
step "include/remotedev.h is fresh"
cbindgen --quiet --config cbindgen.toml --crate remotedev --output "$OUT/remotedev.fresh.h"
if diff -u include/remotedev.h "$OUT/remotedev.fresh.h"; then
  ok "header fresh"
else
  bad "include/remotedev.h is stale: run cbindgen --config cbindgen.toml --crate remotedev --output include/remotedev.h"
fi
want_version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
run "header version macro" grep -q "#define REMOTEDEV_VERSION \"$want_version\"" include/remotedev.h
run "header compiles as C++" sh -c "echo '#include \"remotedev.h\"' | g++ -x c++ -std=c++11 -Wall -Werror -Iinclude -fsyntax-only -"

# --- 3. C tests ---------------------------------------------------------------
step "test PKI for the TLS tests (openssl, made now, never checked in)"
command -v openssl >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq openssl >/dev/null
REMOTEDEV_TEST_PKI="$(mktemp -d)"
export REMOTEDEV_TEST_PKI
trap 'rm -rf "$XDG_DATA_HOME" "$REMOTEDEV_TEST_PKI"' EXIT
run "make test PKI" bash tests/tls/make_test_pki.sh "$REMOTEDEV_TEST_PKI"

step "cargo build --lib"
cargo build --lib --quiet
LIB="$ROOT/target/debug"
STATIC_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
CFLAGS="-std=c11 -Wall -Wextra -Werror -g -gdwarf-4 -Iinclude -Itests/c"
VALGRIND=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
  --show-leak-kinds=definite --num-callers=40 --suppressions=tests/c/valgrind-tls.supp)
for cc in gcc clang; do
  for kind in shared static; do
    bin="$OUT/test_c_api-$cc-$kind"
    step "C tests: $cc, $kind library"
    if [[ $kind == shared ]]; then
      built=$($cc $CFLAGS tests/c/test_c_api.c -o "$bin" -L"$LIB" -Wl,-rpath,"$LIB" -lremotedev -lpthread && echo y || true)
    else
      built=$($cc $CFLAGS tests/c/test_c_api.c -o "$bin" "$LIB/libremotedev.a" $STATIC_LIBS && echo y || true)
    fi
    if [[ "$built" != y ]]; then bad "build $cc $kind"; continue; fi
    run "C tests ($cc, $kind)" "$bin"
    run "C tests under valgrind ($cc, $kind)" "${VALGRIND[@]}" "$bin"
  done
done

# --- 4. install + pkg-config + examples ---------------------------------------
step "bindings/c/install.sh into a temporary PREFIX; examples via pkg-config"
PREFIX="$OUT/prefix"
rm -rf "$PREFIX"
PROFILE=debug bash bindings/c/install.sh "$PREFIX" >/dev/null
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
run "pkg-config finds remotedev $want_version" test "$(pkg-config --modversion remotedev)" = "$want_version"
run "build examples/c (shared, pkg-config)" sh -c "
  gcc -std=c11 -Wall -Werror examples/c/counter_app.c -o '$OUT/counter_app' \$(pkg-config --cflags --libs remotedev) -Wl,-rpath,'$PREFIX/lib' &&
  gcc -std=c11 -Wall -Werror examples/c/monitor.c -o '$OUT/monitor' \$(pkg-config --cflags --libs remotedev) -Wl,-rpath,'$PREFIX/lib'"
run "build examples/c (static, pkg-config)" sh -c "
  clang -std=c11 -Wall -Werror examples/c/counter_app.c -o '$OUT/counter_app-static' \$(pkg-config --cflags remotedev) \
    \$(pkg-config --variable=libdir remotedev)/libremotedev.a \$(pkg-config --static --libs remotedev | sed 's/-lremotedev//; s/-L[^ ]*//')"

# Runs a counter app (it spawns its own relay) and a monitor against it; the monitor
# must print the app's ACTION messages.
examples_talk() { # APP MONITOR
  local app="$1" monitor="$2" log="$OUT/example-app.log" mlog="$OUT/example-monitor.log" url=""
  "$app" 0 6 >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do
    url="$(sed -n 's/^relay listening on \(ws:[^ ]*\)$/\1/p' "$log")"
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  [[ -n "$url" ]] || { kill "$pid"; cat "$log"; return 1; }
  "$monitor" "$url" 3 >"$mlog" 2>&1 || true
  wait "$pid" || true
  grep -q '^ACTION from' "$mlog" || { cat "$log" "$mlog"; return 1; }
}
run "examples/c: counter app + monitor" examples_talk "$OUT/counter_app" "$OUT/monitor"

# --- 5. Objective-C -------------------------------------------------------------
step "Objective-C (clang -fobjc-runtime=gcc, GNUstep base)"
OBJC_INC="$(dirname "$(dirname "$(gcc -print-file-name=include/objc/objc.h)")")"
OBJCFLAGS="-fobjc-runtime=gcc $(gnustep-config --objc-flags | sed 's/-MMD -MP//') -I$OBJC_INC -Werror -Wno-unused-function -Iinclude -Ibindings/objc -Itests/c"
OBJCLIBS="-L$LIB -Wl,-rpath,$LIB -lremotedev $(gnustep-config --base-libs)"
if clang $OBJCFLAGS bindings/objc/RemoteDev.m tests/c/test_objc.m -o "$OUT/test_objc" $OBJCLIBS; then
  ok "build ObjC tests"
  run "ObjC tests" "$OUT/test_objc"
else
  bad "build ObjC tests"
fi
if clang $OBJCFLAGS bindings/objc/RemoteDev.m examples/objc/counter_app.m -o "$OUT/objc_counter_app" $OBJCLIBS &&
   clang $OBJCFLAGS bindings/objc/RemoteDev.m examples/objc/monitor.m -o "$OUT/objc_monitor" $OBJCLIBS; then
  ok "build examples/objc"
  run "examples/objc: counter app + monitor" examples_talk "$OUT/objc_counter_app" "$OUT/objc_monitor"
else
  bad "build examples/objc"
fi

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
