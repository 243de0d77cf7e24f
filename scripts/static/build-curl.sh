#!/bin/sh
# build-curl.sh SRC BUILDDIR PREFIX
#
# A libcurl.a for build/probe-static: HTTP and HTTPS over OpenSSL (also over a unix socket:
# --unix-socket, gunicorn/uwsgi), HTTP/2 through nghttp2 (the
# grpc kind: h2c and ALPN h2; Debian's libnghttp2-dev ships libnghttp2.a, linked by
# mk/static.mk), and nothing else. probe gives curl numeric addresses (CURLOPT_RESOLVE), speaks
# no proxy, follows no redirect and sends no cookies, so those go too; the threaded resolver
# stays so that a name that did reach curl could not block the loop. The CA bundle defaults to
# Debian's path, which is where a scratch image puts it; there is no CA directory (it would
# need hashed links).
# Installs PREFIX/lib/libcurl.a and PREFIX/include/curl/.
# HOST=TRIPLET (aarch64-linux-gnu) cross-compiles with CC for that system (mk/arch.mk).
# OPENSSL=DIR: the OpenSSL to build against (scripts/static/build-openssl.sh's PREFIX).
set -eu

. "$(dirname "$0")/args.sh" "$@"
: "${OPENSSL:?OPENSSL=DIR names the OpenSSL to build against}"

rm -rf "$build"
mkdir -p "$build"
cd "$build"
echo "static: configuring curl ($(cat "$src/.debian-source" 2>/dev/null || echo "$src"))" >&2
# The multi handle's hash tables, sized for what probe gives one multi handle (at most 256
# checks, numeric addresses through CURLOPT_RESOLVE) instead of curl's 911 socket slots, 97
# connection slots and 71 DNS slots: each is allocated, zeroed and walked again at cleanup,
# which was a tenth of the instructions of a one-shot HTTP check (issue 14: the exec floor).
"$src/configure" \
    CC="$CC" CFLAGS="$STATIC_OPT" ${HOST:+--host="$HOST"} \
    CPPFLAGS="-DCURL_SOCKET_HASH_TABLE_SIZE=61 -DCURL_CONNECTION_HASH_SIZE=31 -DCURL_DNS_HASH_SIZE=7" \
    --prefix="$prefix" --disable-shared --enable-static \
    --disable-dependency-tracking --disable-silent-rules \
    --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
    --disable-proxy --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
    --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
    --disable-manual --disable-libcurl-option --disable-sspi --disable-ntlm --disable-ntlm-wb \
    --disable-tls-srp --enable-unix-sockets --disable-cookies --disable-doh --disable-mime \
    --disable-crypto-auth --disable-dateparse --disable-dnsshuffle \
    --disable-netrc --disable-progress-meter --disable-alt-svc --disable-hsts \
    --disable-headers-api --disable-websockets --disable-get-easy-options \
    --disable-openssl-auto-load-config \
    --enable-ipv6 --enable-threaded-resolver --disable-ares \
    --with-openssl="$OPENSSL" --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path \
    --without-ca-fallback \
    --without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl \
    --without-libgsasl --without-librtmp --without-libssh2 --without-libssh --with-nghttp2 \
    --without-ngtcp2 --without-nghttp3 --without-hyper --without-gssapi \
    >configure.log 2>&1 || { tail -40 configure.log >&2; exit 1; }
echo "static: building libcurl" >&2
make "$jobs" -C lib >make.log 2>&1 || { tail -40 make.log >&2; exit 1; }
make -C lib install >>make.log 2>&1
make -C include install >>make.log 2>&1
