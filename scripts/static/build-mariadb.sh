#!/bin/sh
# build-mariadb.sh SRC BUILDDIR PREFIX
#
# MariaDB Connector/C (libmariadb/ of Debian's mariadb source) as a static library for
# build/probe-static. Debian builds its authentication plugins as shared objects that the
# library dlopen()s, which a static binary cannot do; here the ones a health check meets are
# compiled in: mysql_native_password, caching_sha2_password and sha256_password (MySQL 8),
# client_ed25519 (MariaDB). dialog, mysql_clear_password, mysql_old_password, GSSAPI, zstd
# and the remote_io (curl) plugin are left out. The plugin directory points nowhere, so a
# server asking for another plugin gets "cannot be loaded", not a half-working static dlopen().
# Installs PREFIX/lib/libmariadbclient.a and PREFIX/include/mariadb/.
# HOST=TRIPLET (aarch64-linux-gnu) cross-compiles with CC for that system (mk/arch.mk).
# OPENSSL=DIR: the OpenSSL to build against (scripts/static/build-openssl.sh's PREFIX).
set -eu

. "$(dirname "$0")/args.sh" "$@"
: "${OPENSSL:?OPENSSL=DIR names the OpenSSL to build against}"

rm -rf "$build"
mkdir -p "$build"
echo "static: configuring Connector/C ($(cat "$src/.debian-source" 2>/dev/null || echo "$src"))" >&2
# zlib (the compressed protocol, which probe never asks for) is Connector/C's own copy.
cmake_configure "$src" "$build" \
    -DINSTALL_LIBDIR=lib -DINSTALL_INCLUDEDIR=include/mariadb \
    -DWITH_SSL=OPENSSL -DOPENSSL_ROOT_DIR="$OPENSSL" -DOPENSSL_USE_STATIC_LIBS=ON \
    -DWITH_EXTERNAL_ZLIB=OFF -DWITH_CURL=OFF -DWITH_UNIT_TESTS=OFF \
    -DWITH_MYSQLCOMPAT=OFF -DWITH_DOCS=OFF -DWITH_ICONV=OFF \
    -DDEFAULT_CHARSET=utf8mb4 \
    -DMARIADB_UNIX_ADDR=/run/mysqld/mysqld.sock \
    -DPLUGINDIR=/nonexistent/probe-static-has-no-plugin-dir \
    -DCLIENT_PLUGIN_MYSQL_NATIVE_PASSWORD=STATIC \
    -DCLIENT_PLUGIN_CACHING_SHA2_PASSWORD=STATIC \
    -DCLIENT_PLUGIN_SHA256_PASSWORD=STATIC \
    -DCLIENT_PLUGIN_CLIENT_ED25519=STATIC \
    -DCLIENT_PLUGIN_MYSQL_OLD_PASSWORD=OFF \
    -DCLIENT_PLUGIN_DIALOG=OFF \
    -DCLIENT_PLUGIN_MYSQL_CLEAR_PASSWORD=OFF \
    -DCLIENT_PLUGIN_AUTH_GSSAPI_CLIENT=OFF \
    -DCLIENT_PLUGIN_ZSTD=OFF \
    -DCLIENT_PLUGIN_REMOTE_IO=OFF \
    -DCLIENT_PLUGIN_REPLICATION=OFF
echo "static: building Connector/C" >&2
# Only the static library; the shared one and the tools are not needed.
make "$jobs" -C "$build" mariadbclient >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
# The public headers, as include/CMakeLists.txt installs them.
inc="$prefix/include/mariadb"
rm -rf "$inc"
mkdir -p "$prefix/lib" "$inc/mysql" "$inc/mariadb"
for h in mariadb_com.h mysql.h mariadb_stmt.h ma_pvio.h ma_tls.h ma_list.h errmsg.h \
    mariadb_dyncol.h mariadb_ctype.h mariadb_rpl.h mysqld_error.h; do
    cp "$src/include/$h" "$inc/"
done
cp "$build/include/mariadb_version.h" "$inc/"
cp "$src/include/mysql/client_plugin.h" "$src/include/mysql/plugin_auth.h" "$inc/mysql/"
cp "$src/include/mariadb/ma_io.h" "$inc/mariadb/"
cp "$build/libmariadb/libmariadbclient.a" "$prefix/lib/libmariadbclient.a"
