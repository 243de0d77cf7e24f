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
# OPENSSL=DIR builds hiredis_ssl against that OpenSSL's headers (build/probe-static's,
# scripts/static/build-openssl.sh); without it, against Debian's libssl-dev. That OpenSSL has
# no API deprecated in 1.1.x, and hiredis still calls SSL_library_init(), which since 1.1.0 is
# OPENSSL_init_ssl(0, NULL): it is given that definition, the one OpenSSL's header had.
set -eu

. "$(dirname "$0")/args.sh" "$@"

rm -rf "$build"
mkdir -p "$(dirname "$build")"
cp -a "$src" "$build"
echo "static: building hiredis with TLS ($(cat "$src/.debian-source" 2>/dev/null || echo "$src"))" >&2
# A few seconds on one core: no $jobs.
make -C "$build" CC="$CC" AR="${HOST:+$HOST-}ar" OPTIMIZATION="$STATIC_OPT" DEBUG_FLAGS=-g USE_SSL=1 \
    ${OPENSSL:+OPENSSL_PREFIX="$OPENSSL" CPPFLAGS="'-DSSL_library_init()=OPENSSL_init_ssl(0,NULL)'"} \
    libhiredis.a libhiredis_ssl.a >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
rm -rf "$prefix/include/hiredis"
mkdir -p "$prefix/include/hiredis/adapters" "$prefix/lib"
(cd "$build" && cp hiredis.h async.h read.h sds.h alloc.h sockcompat.h hiredis_ssl.h \
    "$prefix/include/hiredis/")
cp "$build"/adapters/*.h "$prefix/include/hiredis/adapters/"
cp "$build/libhiredis.a" "$build/libhiredis_ssl.a" "$prefix/lib/"
