#!/bin/sh
# build-libpq.sh SRC BUILDDIR PREFIX
#
# libpq (src/interfaces/libpq of Debian's postgresql-15 source) as a static library for
# build/probe-static. Debian's libpq.a is built with GSSAPI and LDAP, whose static libraries
# Debian does not ship, and it needs libpgcommon/libpgport, which libpq-dev leaves out; so
# only libpq and what it needs (src/port, src/common, the generated headers) are built here,
# with OpenSSL and without GSSAPI, LDAP, readline, ICU and zlib (libpq uses none of them for
# a health check: GSS encryption and LDAP service lookups are not offered).
# Installs PREFIX/lib/libpq.a, libpgcommon_shlib.a, libpgport_shlib.a and the client headers.
# HOST=TRIPLET (aarch64-linux-gnu) cross-compiles with CC for that system (mk/arch.mk).
# OPENSSL=DIR: the OpenSSL to build against (scripts/static/build-openssl.sh's PREFIX).
set -eu

. "$(dirname "$0")/args.sh" "$@"
: "${OPENSSL:?OPENSSL=DIR names the OpenSSL to build against}"

# Not a sub-make, as PostgreSQL's own GNUmakefile wrapper does: its Makefile.global makes the
# generated headers (utils/errcodes.h, ...) only in a top-level make, so under `make static`
# (a sub-make, as in the Dockerfile's build stage) src/port failed without them.
unset MAKELEVEL

rm -rf "$build"
mkdir -p "$build"
build=$(cd "$build" && pwd)
echo "static: configuring libpq ($(cat "$src/.debian-source" 2>/dev/null || echo "$src"))" >&2
# A VPATH build keeps the unpacked source clean; Debian's patches set the socket directory.
(cd "$build" && "$src/configure" CC="$CC" CFLAGS="$STATIC_OPT" \
    CPPFLAGS="-I$OPENSSL/include" LDFLAGS="-L$OPENSSL/lib" ${HOST:+--host="$HOST"} \
    --prefix="$prefix" --with-openssl --without-gssapi --without-ldap --without-readline \
    --without-icu --without-zlib --without-llvm --without-libxml --without-pam \
    --with-system-tzdata=/usr/share/zoneinfo \
    --with-pgport=5432) >"$build/configure.log" 2>&1 || { tail -40 "$build/configure.log" >&2; exit 1; }
echo "static: building libpq" >&2
# The generated headers first (utils/errcodes.h and friends): src/port and src/common, which
# libpq's Makefile builds, include them, and under a parallel make nothing orders the two.
make -C "$build/src/backend" generated-headers >"$build/make.log" 2>&1 ||
    { tail -40 "$build/make.log" >&2; exit 1; }
make "$jobs" -C "$build/src/interfaces/libpq" all-static-lib >>"$build/make.log" 2>&1 ||
    { tail -40 "$build/make.log" >&2; exit 1; }
make "$jobs" -C "$build/src/common" libpgcommon_shlib.a >>"$build/make.log" 2>&1 &&
    make "$jobs" -C "$build/src/port" libpgport_shlib.a >>"$build/make.log" 2>&1 ||
    { tail -40 "$build/make.log" >&2; exit 1; }
mkdir -p "$prefix/lib" "$prefix/include"
cp "$build/src/interfaces/libpq/libpq.a" "$build/src/common/libpgcommon_shlib.a" \
    "$build/src/port/libpgport_shlib.a" "$prefix/lib/"
cp "$src/src/interfaces/libpq/libpq-fe.h" "$src/src/interfaces/libpq/libpq-events.h" \
    "$src/src/include/postgres_ext.h" "$build/src/include/pg_config_ext.h" "$prefix/include/"
