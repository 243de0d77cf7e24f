#!/bin/sh
# build-hiredis.sh SRC BUILDDIR PREFIX
#
# libhiredis.a and libhiredis_ssl.a (hiredis >= 1.0: TLS, the libev adapter) for every build of
# probe: build/probe, the sanitized test build and build/probe-static link them statically, so
# rediss:// works the same in each and no libhiredis is needed at run time. Debian bookworm's
# hiredis is 0.14, without TLS; SRC is a newer release's Debian source package
# (fetch-source.sh with FETCH_SUITE). Position-independent (hiredis' own -fPIC): the dynamic
# build is a PIE. Only the static libraries and the headers are installed:
# PREFIX/lib/libhiredis{,_ssl}.a, PREFIX/include/hiredis/ (adapters/ included).
# HOST=TRIPLET (aarch64-linux-gnu) cross-compiles with CC and that system's ar (mk/arch.mk).
set -eu

[ $# -eq 3 ] || { echo "usage: $0 SRC BUILDDIR PREFIX" >&2; exit 2; }
src=$(cd "$1" && pwd)
build=$2
prefix=$(mkdir -p "$3" && cd "$3" && pwd)
# A few seconds on one core: no -j, and none of the calling make's flags.
unset MAKEFLAGS MFLAGS

rm -rf "$build"
mkdir -p "$(dirname "$build")"
cp -a "$src" "$build"
echo "static: building hiredis with TLS ($(cat "$src/.debian-source" 2>/dev/null || echo "$src"))" >&2
make -C "$build" CC="${CC:-gcc}" AR="${HOST:+$HOST-}ar" OPTIMIZATION="${STATIC_OPT:--Os}" DEBUG_FLAGS=-g USE_SSL=1 \
    libhiredis.a libhiredis_ssl.a >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
rm -rf "$prefix/include/hiredis"
mkdir -p "$prefix/include/hiredis/adapters" "$prefix/lib"
(cd "$build" && cp hiredis.h async.h read.h sds.h alloc.h sockcompat.h hiredis_ssl.h \
    "$prefix/include/hiredis/")
cp "$build"/adapters/*.h "$prefix/include/hiredis/adapters/"
cp "$build/libhiredis.a" "$build/libhiredis_ssl.a" "$prefix/lib/"
