#!/bin/sh
# tests/static/run.sh — build/probe-static in an empty root, against real servers.
#
# Run by `make test-static` (as root: it uses chroot), which sets:
#   PROBE_STATIC             build/probe-static
#   PROBE_STATIC_UNSTRIPPED  the same before strip (nm: which MySQL plugins are in)
#   PROBE_DYNAMIC            build/probe (checks the fake MySQL 8 server itself)
#   MYSQL_SHA2               tests/static/mysql_sha2.c, built
# and, for another architecture's binary (`make test-arm64`: build/probe-static-arm64):
#   PROBE_RUNNER             a static emulator (qemu-aarch64-static), copied into the root
#                            and run there in front of /probe; no binfmt_misc is needed
#   PROBE_DEADLINE_SLACK_MS  added to the deadline test's bound (emulation is slower)
#   PROBE_SUITE              the name in messages (test-arm64)
#
# The root holds only /probe, /etc/hosts, /etc/resolv.conf and /etc/ssl/certs/
# ca-certificates.crt (a test CA) — what a FROM scratch image holds — and probe runs there
# with an empty environment, as root and as an unprivileged user. On loopback: redis-server
# with requirepass and a TLS port (rediss://, a certificate from the test CA), memcached,
# mariadbd (mysql_native_password and ed25519 users, TLS), the gRPC health server of
# tests/helpers (h2c and TLS), openssl s_server (a certificate from the test CA, and one from
# no known CA), and the fake MySQL 8 server that offers caching_sha2_password, which MariaDB
# cannot; an HTTP app on a unix socket in the root. Names (web.test, db.test, cache.test)
# come from the root's /etc/hosts, read by c-ares.
set -eu

: "${PROBE_STATIC:?set PROBE_STATIC (make test-static sets it)}"
: "${PROBE_STATIC_UNSTRIPPED:?}" "${PROBE_DYNAMIC:?}" "${MYSQL_SHA2:?}"
: "${PROBE_RUNNER:=}" "${PROBE_DEADLINE_SLACK_MS:=0}" "${PROBE_SUITE:=test-static}"
PATH="$PATH:/usr/sbin:/sbin"

passed=0
failed=0
pids=""
ports=""
tmp=""

ok() {
    passed=$((passed + 1))
    printf 'ok   %s\n' "$1"
}

not_ok() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
    shift
    for line in "$@"; do printf '     %s\n' "$line"; done
}

die() {
    printf '%s: %s\n' "$PROBE_SUITE" "$*" >&2
    exit 1
}

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    [ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || die "needs root (chroot)"
for f in "$PROBE_STATIC" "$PROBE_STATIC_UNSTRIPPED" "$PROBE_DYNAMIC" "$MYSQL_SHA2" $PROBE_RUNNER; do
    [ -x "$f" ] || die "$f: not built"
done
chroot=$(command -v chroot) || die "chroot not found (coreutils)"
tmp=$(mktemp -d /tmp/probe-static-test.XXXXXX)
chmod 755 "$tmp"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A loopback port nothing listens on, and that this script has not handed out yet.
free_port() {
    while :; do
        p=$(($(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000))
        case " $ports " in *" $p "*) continue ;; esac
        if [ -z "$(ss -Htan "( sport = :$p )")" ]; then
            ports="$ports $p"
            echo "$p"
            return
        fi
    done
}

# wait_listen PORT PID NAME LOG: until PORT is listening; the server must stay alive.
wait_listen() {
    i=0
    while [ -z "$(ss -Hltn "( sport = :$1 )")" ]; do
        kill -0 "$2" 2>/dev/null || die "$3 exited: $(tail -5 "$4" 2>/dev/null)"
        i=$((i + 1))
        [ $i -lt 300 ] || die "$3 is not listening on $1 after 30s: $(tail -5 "$4" 2>/dev/null)"
        sleep 0.1
    done
}

# ---- the binary itself ------------------------------------------------------------------

desc=$(file -b "$PROBE_STATIC")
case "$desc" in
*"statically linked"*) ok "file: $desc" ;;
*) not_ok "file says statically linked" "$desc" ;;
esac
lddout=$(ldd "$PROBE_STATIC" 2>&1 || true)
case "$lddout" in
*"not a dynamic executable"*) ok "ldd: not a dynamic executable" ;;
*) not_ok "ldd says not a dynamic executable" "$lddout" ;;
esac
# Built in, not dlopen()ed: Debian's libmariadb.a has only mysql_native_password.
syms=$(nm "$PROBE_STATIC_UNSTRIPPED")
for s in mysql_native_password caching_sha2_password sha256_password client_ed25519; do
    if printf '%s\n' "$syms" | grep -q " [DdRr] ${s}_client_plugin\$"; then
        ok "MySQL plugin $s is linked in"
    else
        not_ok "MySQL plugin $s is linked in" "no ${s}_client_plugin symbol"
    fi
done

# Issue 14: at most 4 MiB with every kind, because OpenSSL is the trimmed one
# (scripts/static/build-openssl.sh). Each of these is linked in with Debian's libcrypto.a: the
# default provider's triple DES, the engine API curl calls when OpenSSL has engines, the
# binary-field curves in the curve table.
size=$(stat -c %s "$PROBE_STATIC")
if [ "$size" -le 4194304 ]; then
    ok "size: $size bytes, at most 4 MiB"
else
    not_ok "size at most 4 MiB (4194304 bytes)" "$size bytes"
fi
for s in ossl_des_ede3_cbc_functions ENGINE_init EC_GF2m_simple_method; do
    if printf '%s\n' "$syms" | grep -q " ${s}\$"; then
        not_ok "trimmed OpenSSL: no $s" "$(printf '%s\n' "$syms" | grep " ${s}\$")"
    else
        ok "trimmed OpenSSL: no $s"
    fi
done

# Linked with musl (mk/static.mk): static glibc's start-up probes the CPU and its caches with
# some 70 cpuid instructions, each a trap to the hypervisor in a VM. musl's start-up is
# __init_libc; glibc's static one reads the auxiliary vector in _dl_aux_init.
if printf '%s\n' "$syms" | grep -q " T __init_libc\$" &&
    ! printf '%s\n' "$syms" | grep -q " _dl_aux_init\$"; then
    ok "the C library is musl"
else
    not_ok "the C library is musl" "$(printf '%s\n' "$syms" | grep -E ' (__init_libc|_dl_aux_init)$')"
fi

# ---- the root: the binary, hosts, resolv.conf, a CA bundle --------------------------------

pki="$tmp/pki"
mkdir -p "$pki"
(
    cd "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=probe-static-test-ca -keyout ca.key -out ca.crt
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=web.test \
        -keyout srv.key -out srv.csr
    printf 'subjectAltName=DNS:web.test,DNS:db.test,DNS:cache.test,IP:127.0.0.1\n' >srv.ext
    openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile srv.ext -out srv.crt
    # A client certificate from the CA, for the mTLS server.
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=probe-client \
        -keyout client.key -out client.csr
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile client.ext -out client.crt
    # mariadbd's: DNS:db.test alone, as RDS certificates name only DNS names.
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=db.test \
        -keyout db.key -out db.csr
    printf 'subjectAltName=DNS:db.test\n' >db.ext
    openssl x509 -req -in db.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile db.ext -out db.crt
    # The same names, self-signed.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=web.test -addext subjectAltName=DNS:web.test,IP:127.0.0.1 \
        -keyout other.key -out other.crt
    # The same names again, from a CA nobody trusts (the chain is sent, its root is unknown).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=untrusted-ca -keyout uca.key -out uca.crt
    openssl x509 -req -in srv.csr -CA uca.crt -CAkey uca.key -CAcreateserial -days 2 \
        -extfile srv.ext -out unknown.crt
    cat unknown.crt uca.crt >unknown-chain.crt
    # The server's key and names, expired a day ago.
    openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days -1 \
        -extfile srv.ext -out expired.crt
    # RSA, as RDS, ElastiCache and most public sites still sign: for the TLS 1.2 server.
    openssl req -newkey rsa:2048 -nodes -subj /CN=web.test -keyout rsa.key -out rsa.csr
    openssl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile srv.ext -out rsa.crt
    chmod 644 ./*.key
) >"$tmp/pki.log" 2>&1 || die "openssl: $(tail -5 "$tmp/pki.log")"

root="$tmp/root"
mkdir -p "$root/etc/ssl/certs"
cp "$PROBE_STATIC" "$root/probe"
# The emulator, if any, is the only other file: /probe runs as /RUNNER /probe.
runner=""
want_files="./etc/hosts ./etc/resolv.conf ./etc/ssl/certs/ca-certificates.crt ./probe "
if [ -n "$PROBE_RUNNER" ]; then
    runner="/$(basename "$PROBE_RUNNER")"
    cp "$PROBE_RUNNER" "$root$runner"
    want_files="$want_files.$runner "
fi
printf '127.0.0.1 localhost web.test db.test cache.test nocert.test\n::1 localhost ip6-localhost\n' \
    >"$root/etc/hosts"
# Nothing answers DNS on 127.0.0.1:53: a name outside /etc/hosts fails at once.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$root/etc/resolv.conf"
cp "$pki/ca.crt" "$root/etc/ssl/certs/ca-certificates.crt"
chmod -R a+rX "$root"
files=$(cd "$root" && find . -type f | sort | tr '\n' ' ')
if [ "$files" = "$want_files" ]; then
    ok "the root holds only: $files"
else
    not_ok "the root holds only the binary, hosts, resolv.conf, CA bundle" "$files"
fi

# in_root [USER] ARGS...: run /probe in the root with an empty environment; sets out, rc, ms.
in_root() {
    spec=""
    case "$1" in --user=*) spec="--userspec=${1#--user=}" && shift ;; esac
    t0=$(now_ms)
    out=$(env -i "$chroot" ${spec:+"$spec"} "$root" $runner /probe "$@" 2>&1) && rc=0 || rc=$?
    ms=$(($(now_ms) - t0))
}

# expect NAME RC PATTERN...: the last in_root exited RC and its output matches each grep ERE.
expect() {
    name=$1 want=$2
    shift 2
    if [ "$rc" != "$want" ]; then
        not_ok "$name" "exit $rc, want $want" "$out"
        return
    fi
    for pat in "$@"; do
        if ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
            not_ok "$name" "no match for /$pat/" "$out"
            return
        fi
    done
    ok "$name${ms:+ (${ms}ms)}"
}

in_root version
expect "probe-static version" 0 '^probe [0-9]' '^libcurl 7\.[0-9.]+ \(OpenSSL/3' \
    '^libmariadb 3\.' '^hiredis 1\.[0-9]+\.[0-9]+ \(TLS' '^libpq 1[0-9]\.' '^nghttp2 1\.' '^c-ares ' '^libyaml '
printf '%s\n' "$out" | sed 's/^/     /'

# ---- servers ------------------------------------------------------------------------------

# PostgreSQL (Debian's postgresql): TLS with the names-and-IP certificate, SCRAM. It refuses
# to run as root, so it runs as the postgres user (setpriv execs: $! is the server).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/postgres" ] || die "postgres not found: install postgresql"
pg="$tmp/pg"
pg_port=$(free_port)
pg_pw="static-pg-pw"
as_pg() { setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; }
mkdir -p "$pg"
cp "$pki/srv.crt" "$pki/srv.key" "$pg/"
chown -R postgres "$pg"
chmod 600 "$pg/srv.key"
as_pg "$pg_bin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 -N --no-instructions \
    >"$pg/initdb.log" 2>&1 || die "initdb: $(tail -5 "$pg/initdb.log")"
printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$pg/data/pg_hba.conf"
printf "CREATE ROLE app LOGIN PASSWORD '%s';\n" "$pg_pw" |
    as_pg "$pg_bin/postgres" --single -D "$pg/data" postgres >"$pg/single.log" 2>&1 ||
    die "postgres --single: $(tail -5 "$pg/single.log")"
as_pg "$pg_bin/postgres" -D "$pg/data" -c port="$pg_port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$pg" -c fsync=off -c ssl=on -c ssl_cert_file="$pg/srv.crt" \
    -c ssl_key_file="$pg/srv.key" >"$pg/server.log" 2>&1 &
pg_pid=$!
pids="$pids $pg_pid"
wait_listen "$pg_port" $pg_pid postgres "$pg/server.log"
i=0
until "$PROBE_DYNAMIC" check -q "postgres://app:$pg_pw@127.0.0.1:$pg_port/postgres" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || die "postgres does not take logins: $(tail -5 "$pg/server.log")"
    sleep 0.1
done

have_v6=0
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then have_v6=1; fi

redis_port=$(free_port)
redis_tls_port=$(free_port)
redis_pw="static-redis-pw"
mkdir -p "$tmp/redis"
{
    [ $have_v6 = 1 ] && echo "bind 127.0.0.1 ::1" || echo "bind 127.0.0.1"
    printf 'port %s\ndaemonize no\nprotected-mode no\nsave ""\nappendonly no\n' "$redis_port"
    printf 'dir %s\nlogfile ""\nrequirepass %s\n' "$tmp/redis" "$redis_pw"
    printf 'tls-port %s\ntls-cert-file %s\ntls-key-file %s\ntls-auth-clients no\n' \
        "$redis_tls_port" "$pki/srv.crt" "$pki/srv.key"
} >"$tmp/redis/redis.conf"
redis-server "$tmp/redis/redis.conf" >"$tmp/redis/log" 2>&1 &
pids="$pids $!"
wait_listen "$redis_port" $! redis-server "$tmp/redis/log"
wait_listen "$redis_tls_port" $! "redis-server (TLS)" "$tmp/redis/log"

# memcached refuses to run as root without -u.
mc_port=$(free_port)
mc_listen=127.0.0.1
[ $have_v6 = 0 ] || mc_listen="127.0.0.1,[::1]"
memcached -l "$mc_listen" -p "$mc_port" -U 0 -m 16 -t 1 -u nobody >"$tmp/memcached.log" 2>&1 &
pids="$pids $!"
wait_listen "$mc_port" $! memcached "$tmp/memcached.log"

# openssl s_server on a free loopback port, answering with its -www page:
#   s_server NAME DESCRIPTION CERT KEY [OPTION...]   sets NAME_port.
s_server() {
    sname=$1 sdesc=$2 scert=$3 skey=$4
    shift 4
    sport=$(free_port)
    openssl s_server -accept "127.0.0.1:$sport" -cert "$scert" -key "$skey" "$@" -www -quiet \
        >"$tmp/$sname.log" 2>&1 &
    pids="$pids $!"
    wait_listen "$sport" $! "openssl s_server ($sdesc)" "$tmp/$sname.log"
    eval "${sname}_port=$sport"
}

s_server https "the test CA" "$pki/srv.crt" "$pki/srv.key"
s_server mtls "client certificates" "$pki/srv.crt" "$pki/srv.key" -Verify 1 -CAfile "$pki/ca.crt"
s_server other "self-signed" "$pki/other.crt" "$pki/other.key"
# The verification cases (issue 14: the trimmed OpenSSL keeps them all): a chain from an
# unknown CA, an expired certificate, TLS 1.2 alone with an RSA certificate, TLS 1.3 alone.
s_server unknown "unknown CA" "$pki/unknown-chain.crt" "$pki/srv.key"
s_server expired "expired" "$pki/expired.crt" "$pki/srv.key"
s_server tls12 "TLS 1.2, RSA" "$pki/rsa.crt" "$pki/rsa.key" -tls1_2
s_server tls13 "TLS 1.3" "$pki/srv.crt" "$pki/srv.key" -tls1_3

# gRPC health servers (python3-grpcio), h2c and TLS with the test CA's certificate.
grpc_helper="$(cd "$(dirname "$0")/../helpers" && pwd)/grpc_health.py"
mkdir -p "$tmp/grpc"
echo SERVING >"$tmp/grpc/_default"
echo NOT_SERVING >"$tmp/grpc/down"
grpc_port=$(free_port)
/usr/bin/python3 "$grpc_helper" "$grpc_port" "$tmp/grpc" >"$tmp/grpc.log" 2>&1 &
pids="$pids $!"
wait_listen "$grpc_port" $! "grpc_health.py" "$tmp/grpc.log"
grpcs_port=$(free_port)
/usr/bin/python3 "$grpc_helper" "$grpcs_port" "$tmp/grpc" --tls "$pki/srv.crt" "$pki/srv.key" \
    >"$tmp/grpcs.log" 2>&1 &
pids="$pids $!"
wait_listen "$grpcs_port" $! "grpc_health.py --tls" "$tmp/grpcs.log"

# An app on a unix socket in the root, as gunicorn serves one: Spring's health document.
mkdir -p "$root/run"
/usr/bin/python3 -c '
import http.server, os, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"{\"status\":\"UP\",\"components\":{\"db\":{\"status\":\"DOWN\"}}}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.UnixStreamServer):
    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("unix", 0)
S(sys.argv[1], H).serve_forever()
' "$root/run/app.sock" >"$tmp/app.log" 2>&1 &
pids="$pids $!"
i=0
until [ -S "$root/run/app.sock" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || die "the unix socket app did not start: $(cat "$tmp/app.log")"
    sleep 0.05
done

sha2_pw="static-sha2-pw"
for mode in plain switch; do
    sw=""
    [ $mode = plain ] || sw=--switch
    "$MYSQL_SHA2" app "$sha2_pw" ${sw:+"$sw"} >"$tmp/sha2-$mode.port" 2>"$tmp/sha2-$mode.log" &
    pids="$pids $!"
    i=0
    until [ -s "$tmp/sha2-$mode.port" ]; do
        i=$((i + 1))
        [ $i -lt 100 ] || die "mysql_sha2 did not start: $(cat "$tmp/sha2-$mode.log")"
        sleep 0.05
    done
done
sha2_port=$(cat "$tmp/sha2-plain.port")
sha2_switch_port=$(cat "$tmp/sha2-switch.port")

mysql_port=$(free_port)
mysql_pw="static-app-pw"
ed_pw="static-ed-pw"
plugdir=""
for d in /usr/lib/mysql/plugin /usr/lib/mariadb/plugin /usr/lib64/mysql/plugin; do
    [ -f "$d/auth_ed25519.so" ] && plugdir=$d && break
done
my="$tmp/mariadb"
mkdir -p "$my"
mariadb-install-db --no-defaults --datadir="$my/data" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --user=root --skip-log-bin --tmpdir="$my" \
    --innodb-buffer-pool-size=16M --innodb-log-file-size=8M --innodb-use-native-aio=0 \
    >"$my/install.log" 2>&1 || die "mariadb-install-db: $(tail -5 "$my/install.log")"
{
    echo "DROP USER IF EXISTS ''@'localhost';"
    echo "CREATE DATABASE app;"
    echo "CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(32));"
    echo "INSERT INTO app.items VALUES (1, 'one');"
    echo "CREATE USER 'app'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$mysql_pw');"
    echo "GRANT ALL PRIVILEGES ON app.* TO 'app'@'%';"
    echo "CREATE DATABASE static_base_done;"
    if [ -n "$plugdir" ]; then
        echo "CREATE USER 'ed'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('$ed_pw');"
        echo "GRANT ALL PRIVILEGES ON app.* TO 'ed'@'%';"
        echo "CREATE DATABASE static_ed25519_done;"
    fi
} >"$my/init.sql"
set -- --no-defaults --datadir="$my/data" --socket="$my/mysql.sock" --port="$mysql_port" \
    --bind-address=127.0.0.1 --pid-file="$my/mariadbd.pid" --log-error="$my/error.log" \
    --tmpdir="$my" --init-file="$my/init.sql" --user=root --skip-networking=0 \
    --skip-name-resolve --skip-log-bin --performance-schema=OFF --innodb-buffer-pool-size=16M \
    --innodb-log-file-size=8M --innodb-use-native-aio=0 --loose-feedback=OFF \
    --ssl-ca="$pki/ca.crt" --ssl-cert="$pki/db.crt" --ssl-key="$pki/db.key"
[ -z "$plugdir" ] || set -- "$@" --plugin-dir="$plugdir" --plugin-load-add=auth_ed25519
mariadbd "$@" >"$my/stdout.log" 2>&1 &
pids="$pids $!"
mysql_pid=$!
wait_listen "$mysql_port" $mysql_pid mariadbd "$my/error.log"
# The init file has run when its last database exists.
i=0
until [ -d "$my/data/static_base_done" ]; do
    kill -0 $mysql_pid 2>/dev/null || die "mariadbd exited: $(tail -5 "$my/error.log")"
    i=$((i + 1))
    [ $i -lt 300 ] || die "mariadbd: the init file did not run: $(tail -5 "$my/error.log")"
    sleep 0.1
done
[ -z "$plugdir" ] || [ -d "$my/data/static_ed25519_done" ] ||
    die "mariadbd: the ed25519 user was not created: $(tail -5 "$my/error.log")"

# ---- the fake MySQL 8 server is honest --------------------------------------------------
# The dynamic build loads Debian's caching_sha2_password.so; without it, it must fail.

t_dyn() {
    out=$(env "$@" 2>&1) && rc=0 || rc=$?
    ms=""
}
t_dyn "$PROBE_DYNAMIC" check "mysql://app:$sha2_pw@127.0.0.1:$sha2_port/app"
expect "fake MySQL 8: the dynamic probe passes with Debian's plugin" 0 '^PASS .*ping ok'
t_dyn MARIADB_PLUGIN_DIR=/nonexistent "$PROBE_DYNAMIC" check \
    "mysql://app:$sha2_pw@127.0.0.1:$sha2_port/app"
expect "fake MySQL 8: a client without caching_sha2_password fails" 1 \
    '^FAIL .*caching_sha2_password'

# ---- probe-static in the root ------------------------------------------------------------

web="web=https://web.test:$https_port/"
db="db=mysql://app:$mysql_pw@db.test:$mysql_port/app"
cache="cache=redis://:$redis_pw@cache.test:$redis_port/0"
sha2="sha2=mysql://app:$sha2_pw@127.0.0.1:$sha2_port/app"
sha2sw="sha2switch=mysql://app:$sha2_pw@127.0.0.1:$sha2_switch_port/app"
set -- "$web" "$db" "$cache" "$sha2" "$sha2sw"
n=5
if [ -n "$plugdir" ]; then
    set -- "$@" "ed25519=mysql://ed:$ed_pw@127.0.0.1:$mysql_port/app"
    n=6
fi

for who in 0:0 65534:65534; do
    in_root --user=$who check "$@"
    expect "as $who: HTTPS (default CA bundle), MySQL, Redis by name, caching_sha2_password" 0 \
        '^PASS web .* 200 ' '^PASS db .*ping ok' '^PASS cache .*PONG' '^PASS sha2 .*ping ok' \
        '^PASS sha2switch .*ping ok'
    if [ "$(printf '%s\n' "$out" | grep -c '^PASS ')" != $n ]; then
        not_ok "as $who: $n PASS lines" "$out"
    fi
done
if [ -n "$plugdir" ]; then
    if printf '%s\n' "$out" | grep -q '^PASS ed25519 .*ping ok'; then
        ok "ed25519 (MariaDB) passes"
    else
        not_ok "ed25519 (MariaDB) passes" "$out"
    fi
else
    not_ok "ed25519 tested" "auth_ed25519.so not found: install mariadb-server"
fi

in_root check --json "$web" "$cache"
expect "--json: the health document" 0 '"status": ?"pass"'

in_root check --cacert /etc/ssl/certs/ca-certificates.crt "https://127.0.0.1:$https_port/"
expect "HTTPS by address with --cacert" 0 '^PASS https .* 200 '

in_root check "https://web.test:$other_port/"
expect "HTTPS with a self-signed certificate fails" 1 '^FAIL https .*tls: .*self-signed'

in_root check "https://web.test:$unknown_port/"
expect "HTTPS from an unknown CA fails" 1 '^FAIL https .*tls: .*local issuer'

in_root check "https://web.test:$expired_port/"
expect "HTTPS with an expired certificate fails" 1 '^FAIL https .*tls: .*expired'

# nocert.test is in the root's /etc/hosts, not in the certificate.
in_root check "https://nocert.test:$https_port/"
expect "HTTPS to a name the certificate lacks fails" 1 '^FAIL https .*tls: .*nocert\.test'

in_root check "https://web.test:$tls12_port/"
expect "HTTPS to a TLS 1.2-only server with an RSA certificate passes" 0 '^PASS https .* 200 '

in_root check "https://web.test:$tls13_port/"
expect "HTTPS to a TLS 1.3-only server passes" 0 '^PASS https .* 200 '

# mTLS: the client certificate and key go into the root only now (the root's own contents
# were checked above).
mkdir -p "$root/etc/probe"
cp "$pki/client.crt" "$pki/client.key" "$root/etc/probe/"
chmod a+r "$root/etc/probe/client.crt" "$root/etc/probe/client.key"
in_root check --cert /etc/probe/client.crt --key /etc/probe/client.key \
    "https://web.test:$mtls_port/"
expect "HTTPS with a client certificate (mTLS) passes" 0 '^PASS https .* 200 '
in_root check "https://web.test:$mtls_port/"
expect "HTTPS without the client certificate the server requires fails, and says so" 1 \
    '^FAIL https .*tls: the server asked for a client certificate and none was given'
in_root check --cert /etc/probe/client.crt --key /etc/probe/nope.key "https://web.test:$mtls_port/"
expect "a missing client key is one line before any check" 1 '^probe: --cert: cannot load the key'

in_root check "grpc://web.test:$grpc_port" "grpcs://web.test:$grpcs_port"
expect "gRPC health over h2c and over TLS (default CA bundle, ALPN h2)" 0 '^PASS grpc .*SERVING' \
    '^PASS grpcs .*SERVING'

in_root check "grpc://127.0.0.1:$grpc_port/down"
expect "gRPC NOT_SERVING fails" 1 '^FAIL grpc .*NOT_SERVING'

in_root check "grpcs://web.test:$other_port/"
expect "gRPC over TLS from an unknown CA fails" 1 '^FAIL grpcs .*tls: '

in_root check "redis://:wrong-password@cache.test:$redis_port/0"
expect "Redis with a wrong password fails" 1 '^FAIL redis .*(WRONGPASS|invalid password)'

# rediss: verified against the root's CA bundle and the name from its /etc/hosts.
for who in 0:0 65534:65534; do
    in_root --user=$who check "rediss://:$redis_pw@cache.test:$redis_tls_port/0"
    expect "as $who: Redis over TLS by name (default CA bundle)" 0 '^PASS rediss .*PONG'
done

in_root check --cacert /etc/ssl/certs/ca-certificates.crt "rediss://:$redis_pw@127.0.0.1:$redis_tls_port"
expect "Redis over TLS by address with --cacert" 0 '^PASS rediss .*PONG'

in_root check --json "rediss://:$redis_pw@localhost:$redis_tls_port"
expect "Redis over TLS: a name the certificate lacks fails in tls" 1 '"reason": ?"tls"' \
    'hostname mismatch'

in_root check "rediss://:$redis_pw@cache.test:$redis_port"
expect "rediss:// to the plain port fails at once" 1 '^FAIL rediss .*plain Redis'

if [ $have_v6 = 1 ]; then
    in_root check "redis://:$redis_pw@[::1]:$redis_port/0"
    expect "Redis over ::1" 0 '^PASS redis .*PONG'
fi

for who in 0:0 65534:65534; do
    in_root --user=$who check "sessions=memcached://cache.test:$mc_port"
    expect "as $who: memcached by name answers its version" 0 '^PASS sessions .* 1\.[0-9]+\.[0-9]+ '
done

if [ $have_v6 = 1 ]; then
    in_root check "memcached://[::1]:$mc_port"
    expect "memcached over ::1" 0 '^PASS memcached .* 1\.[0-9]+\.[0-9]+ '
fi

in_root check --json "memcached://cache.test:$(free_port)"
expect "memcached refused: a datastore, reason connect" 1 '"componentType": ?"datastore"' \
    '"reason": ?"connect"' '"output": ?"connection refused"'

in_root check "mysql://app:wrong-password@db.test:$mysql_port/app"
expect "MySQL with a wrong password fails" 1 '^FAIL mysql .*1045 Access denied'

in_root check "mysql://app:wrong-password@127.0.0.1:$sha2_port/app"
expect "caching_sha2_password with a wrong password fails" 1 '^FAIL mysql .*1045 Access denied'

in_root check "mysql://app:$mysql_pw@db.test:$mysql_port/app?query=SELECT%20name%20FROM%20items"
expect "MySQL query" 0 '^PASS mysql .*query ok: one'

# No ssl-ca: OpenSSL's default CA file, which must be the root's bundle. The certificate names
# only DNS:db.test, resolved by the root's /etc/hosts: verify-identity checks the URL's name.
in_root check "mysql://app:$mysql_pw@db.test:$mysql_port/app?ssl-mode=verify-identity"
expect "MySQL verify-identity by name, DNS-only certificate, default CA bundle" 0 \
    '^PASS mysql .*ping ok'

in_root check "mysql://app:$mysql_pw@127.0.0.1:$mysql_port/app?ssl-mode=verify-identity"
expect "MySQL verify-identity by IP fails: the certificate names only db.test" 1 \
    '^FAIL mysql .*tls: the server certificate does not name 127\.0\.0\.1'

in_root check "mysql://app:$mysql_pw@127.0.0.1:$mysql_port/app?ssl-mode=verify-ca"
expect "MySQL verify-ca by IP checks the chain only" 0 '^PASS mysql .*ping ok'

# Connector/C names the OS user when none is given (getpwuid in a root without passwd).
in_root --user=65534:65534 check "mysql://db.test:$mysql_port/app"
expect "MySQL without a user, unprivileged, no /etc/passwd: an answer, not a crash" 1 \
    '^FAIL mysql .*1045 Access denied'

in_root check "postgres://app:$pg_pw@db.test:$pg_port/postgres"
expect "PostgreSQL with a password (SCRAM), by name from /etc/hosts" 0 '^PASS postgres .*query ok: 1'

in_root check "postgres://app:wrong-password@db.test:$pg_port/postgres"
expect "PostgreSQL with a wrong password fails" 1 \
    '^FAIL postgres .*28P01 password authentication failed for user "app"'

# No sslrootcert: the system bundle (the root's), the name from the URL, the address from c-ares.
in_root check "postgres://app:$pg_pw@db.test:$pg_port/postgres?sslmode=verify-full&query=SELECT%20ssl%20FROM%20pg_stat_ssl%20WHERE%20pid%3Dpg_backend_pid()"
expect "PostgreSQL TLS verify-full by name against the default CA bundle" 0 \
    '^PASS postgres .*query ok: t'

# localhost is in the root's /etc/hosts but not in the server certificate.
in_root check "postgres://app:$pg_pw@localhost:$pg_port/postgres?sslmode=verify-full"
expect "PostgreSQL verify-full for a name not in the certificate fails" 1 \
    '^FAIL postgres .*does not match host name "localhost"'

# libpq names the OS user when none is given (getpwuid_r in a root without passwd).
in_root --user=65534:65534 check "postgres://db.test:$pg_port/postgres"
expect "PostgreSQL without a user, unprivileged, no /etc/passwd: an answer, not a crash" 1 \
    '^FAIL postgres '

in_root check --timeout 1s "tcp://nowhere.invalid:80"
expect "a name outside /etc/hosts fails in dns (c-ares, no NSS)" 1 '^FAIL tcp .*dns'

# HTTP over a unix socket (curl built with unix sockets), JSON checked by the static libjansson;
# the URL's host is only the Host header and is never looked up.
in_root check --unix-socket /run/app.sock --expect-json /status=UP \
    "http://app.internal/actuator/health"
expect "http over a unix socket, --expect-json" 0 '^PASS http +http://app.internal/actuator/health +200 '
in_root check --unix-socket /run/app.sock --expect-json /components/db/status=UP \
    "http://app.internal/actuator/health"
expect "--expect-json mismatch names the pointer" 1 \
    '^FAIL http .*/components/db/status is "DOWN", expected UP'
in_root check --unix-socket /run/none.sock "http://app.internal/"
expect "a missing unix socket fails fast" 1 '^FAIL http .*unix socket /run/none.sock: No such file'

# A peer that accepts and never speaks MySQL: the deadline holds.
in_root check --timeout 500ms "mysql://app:x@127.0.0.1:$redis_port/app"
expect "the deadline holds (500ms)" 1 '^FAIL mysql .*timeout after 500ms'
if [ "$ms" -gt $((800 + PROBE_DEADLINE_SLACK_MS)) ]; then
    not_ok "the 500ms deadline run took ${ms}ms (bound: 600ms + exec + ${PROBE_DEADLINE_SLACK_MS}ms)"
fi

# The sidecar: serve from the root, asked by the dynamic build from outside.
serve_port=$(free_port)
env -i "$chroot" "$root" $runner /probe serve --listen "127.0.0.1:$serve_port" --interval 1s \
    "$cache" "$db" >"$tmp/serve.log" 2>&1 &
serve_pid=$!
pids="$pids $serve_pid"
wait_listen "$serve_port" $serve_pid "probe-static serve" "$tmp/serve.log"
i=0
until "$PROBE_DYNAMIC" check -q "http://127.0.0.1:$serve_port/ready" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 50 ] || break
    sleep 0.1
done
t_dyn "$PROBE_DYNAMIC" check --expect-body '"status":"pass"' "http://127.0.0.1:$serve_port/health"
expect "probe-static serve: /health from the root" 0 '^PASS http .* 200 '
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null && rc=0 || rc=$?
out=$(cat "$tmp/serve.log")
ms=""
expect "probe-static serve: SIGTERM, exit 0" 0

printf '%s: %d passed, %d failed\n' "$PROBE_SUITE" "$passed" "$failed"
[ "$failed" = 0 ]
