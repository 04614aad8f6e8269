#!/usr/bin/env bash
# Builds the library in release mode and installs it for C / Objective-C programs:
#   PREFIX/include/remotedev.h            the C API
#   PREFIX/include/remotedev/*.h          the Objective-C wrapper headers (+ module map)
#   PREFIX/lib/libremotedev.{so,a}        shared and static library
#   PREFIX/lib/pkgconfig/remotedev.pc     for `pkg-config --cflags --libs remotedev`
#   PREFIX/share/remotedev/objc/*.m       the Objective-C wrapper sources
# Usage: bindings/c/install.sh PREFIX      (e.g. /usr/local or $HOME/.local)
# Set PROFILE=debug to install a debug build, LIBDIR to override PREFIX/lib.
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$(mkdir -p "$1" && cd "$1" && pwd)"
LIBDIR="${LIBDIR:-$PREFIX/lib}"
PROFILE="${PROFILE:-release}"
cd "$ROOT"
if [[ "$PROFILE" == release ]]; then cargo build --release --lib; else cargo build --lib; fi
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
install -d "$PREFIX/include/remotedev" "$LIBDIR/pkgconfig" "$PREFIX/share/remotedev/objc"
install -m 644 include/remotedev.h "$PREFIX/include/remotedev.h"
install -m 644 bindings/objc/*.h bindings/objc/module.modulemap "$PREFIX/include/remotedev/"
install -m 644 bindings/objc/*.m "$PREFIX/share/remotedev/objc/"
install -m 755 "target/$PROFILE/libremotedev.so" "$LIBDIR/libremotedev.so"
install -m 644 "target/$PROFILE/libremotedev.a" "$LIBDIR/libremotedev.a"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$LIBDIR|" -e "s|@VERSION@|$VERSION|" \
    -e "s|@PRIVATE_LIBS@|-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc|" \
    bindings/c/remotedev.pc.in > "$LIBDIR/pkgconfig/remotedev.pc"
echo "installed remotedev $VERSION into $PREFIX"
echo "  export PKG_CONFIG_PATH=$LIBDIR/pkgconfig:\$PKG_CONFIG_PATH"
echo "  cc app.c \$(pkg-config --cflags --libs remotedev)            # shared"
echo "  cc app.c \$(pkg-config --cflags remotedev) $LIBDIR/libremotedev.a \$(pkg-config --static --libs-only-l remotedev | sed 's/-lremotedev//')   # static"
