#!/usr/bin/env bash
# make bench (issue #6): probe against the tools people use today, side by side in one run.
#   bench/bench.sh           the benchmark; writes bench/results.md (BENCH_OUT)
#   bench/bench.sh profile   callgrind/perf profile of one-shot checks; writes bench/profile.md
#   bench/bench.sh wait      probe wait vs a mysqladmin loop: the delay from the dependency
#                            answering to the command running; writes bench/wait.md
# Starts nginx (a static /health file), redis-server with a password (and a TLS port with a
# throwaway CA's certificate, for rediss:// against `redis-cli --tls`) and mariadbd with a
# password user on free loopback ports in a temporary directory, and stops them on exit.
# Environment: BENCH_N rounds (200), BENCH_WARMUP (10), BENCH_WRK wrk settings under load
# ('-t1 -c32 -d10s': on 2 cores, one for wrk and one for the single-threaded server; -t2 makes
# wrk fight the server for its core), BENCH_WRK_LATENCY the same with one connection
# ('-t1 -c1 -d5s'),
# BENCH_WRK_RUNS runs of each (2), BENCH_IMAGE=1 builds the image (`make image`) to
# report its size, BENCH_PROFILE=1 also writes the profile. Run as root it installs the
# Debian packages it misses (`make deps-bench`). Needs build/probe, build/probe-static and
# build/bench/runner (`make bench` builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/sbin:/sbin

MODE=${1:-bench}
N=${BENCH_N:-200}
WARMUP=${BENCH_WARMUP:-10}
declare -A WRK=([load]="${BENCH_WRK:--t1 -c32 -d10s}" [latency]="${BENCH_WRK_LATENCY:--t1 -c1 -d5s}")
WRK_RUNS=${BENCH_WRK_RUNS:-2}
OUT=${BENCH_OUT:-bench/results.md}
WAIT_OUT=${BENCH_WAIT_OUT:-bench/wait.md}
PROFILE_OUT=${BENCH_PROFILE_OUT:-bench/profile.md}
STATIC=build/probe-static
STATIC_SYMS=build/static/probe-static.unstripped
DYN=build/probe
RUNNER=build/bench/runner
PLUGINS=/usr/lib/nagios/plugins
export REDIS_PASSWORD=bench-redis-pw MYSQL_PASSWORD=bench-mysql-pw PG_PASSWORD=bench-pg-pw
export REDISCLI_AUTH=$REDIS_PASSWORD MYSQL_PWD=$MYSQL_PASSWORD
MYSQL_USER=bench
MYSQL_DB=app

say() { printf '%s\n' "$*" >&2; }
die() {
    say "bench: $*"
    exit 1
}

for f in "$STATIC" "$DYN" "$RUNNER"; do
    [ -x "$f" ] || die "$f missing: run \`make bench\`"
done
for c in nginx redis-server redis-cli mariadbd mariadb-install-db mariadb mysqladmin wrk curl \
    wget python3 valgrind "$PLUGINS/check_http" "$PLUGINS/check_mysql"; do
    command -v "$c" >/dev/null && continue
    say "bench: $c missing; installing the packages (make deps-bench)"
    make --no-print-directory deps-bench
    break
done

TMP=$(mktemp -d /tmp/probe-bench.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until WHAT CMD...: retries CMD for up to 60 s.
wait_until() {
    local what=$1 i
    shift
    for ((i = 0; i < 600; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "$what did not come up (logs in $TMP)"
}

start_nginx() {
    local d=$TMP/nginx user=
    mkdir -p "$d/www" "$d/tmp"
    printf '{"status":"pass"}\n' >"$d/www/health"
    [ "$(id -u)" != 0 ] || user='user root;'
    # One worker: probe serve is one event loop on one thread.
    cat >"$d/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    server {
        listen 127.0.0.1:$HTTP_PORT;
        root $d/www;
        location = /health { default_type application/json; }
    }
}
EOF
    nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_until nginx curl -fsS "$HTTP_URL"
}

# A CA and a certificate for 127.0.0.1 (IP SAN), for the TLS port.
make_tls() {
    local d=$TMP/tls
    mkdir -p "$d"
    (cd "$d" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj /CN=bench-ca -keyout ca.key -out ca.crt &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
            -keyout srv.key -out srv.csr &&
        printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext &&
        openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
            -extfile srv.ext -out srv.crt) >"$d/openssl.log" 2>&1 ||
        die "openssl: $(tail -3 "$d/openssl.log")"
}

start_redis() {
    mkdir -p "$TMP/redis"
    make_tls
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --requirepass "$REDIS_PASSWORD" \
        --save '' --appendonly no --dir "$TMP/redis" --logfile "$TMP/redis/redis.log" \
        --tls-port "$REDISS_PORT" --tls-cert-file "$TMP/tls/srv.crt" \
        --tls-key-file "$TMP/tls/srv.key" --tls-auth-clients no &
    PIDS+=("$!")
    wait_until redis-server redis_up
}

redis_up() {
    [ "$(redis-cli -p "$REDIS_PORT" ping)" = PONG ] &&
        [ "$("${REDIS_TLS_CLI[@]}" "$REDISS_PORT" --no-auth-warning ping)" = PONG ]
}

# As tests/harness.c does it: a fresh datadir, small buffers, an init file for the user.
start_mariadb() {
    local d=$TMP/mariadb root=()
    mkdir -p "$d"
    [ "$(id -u)" != 0 ] || root=(--user=root)
    local common=(--no-defaults "--datadir=$d/data" "${root[@]}" --skip-name-resolve
        --skip-log-bin "--tmpdir=$d" --innodb-buffer-pool-size=16M --innodb-log-file-size=8M
        --innodb-use-native-aio=0)
    mariadb-install-db "${common[@]}" --auth-root-authentication-method=normal --skip-test-db \
        >"$d/install.log" 2>&1 || die "mariadb-install-db failed: $(tail -5 "$d/install.log")"
    cat >"$d/init.sql" <<EOF
CREATE DATABASE IF NOT EXISTS $MYSQL_DB;
CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON $MYSQL_DB.* TO '$MYSQL_USER'@'%';
EOF
    mariadbd "${common[@]}" "--socket=$d/mysql.sock" "--port=$MYSQL_PORT" \
        --bind-address=127.0.0.1 "--pid-file=$d/mariadbd.pid" "--log-error=$d/error.log" \
        "--init-file=$d/init.sql" --skip-networking=0 --performance-schema=OFF \
        --max-connections=200 --max-connect-errors=1000000 --loose-feedback=OFF &
    PIDS+=("$!")
    # mysqladmin ping passes on "access denied"; a query proves the user works.
    wait_until mariadbd mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" \
        -u "$MYSQL_USER" -e 'SELECT 1' "$MYSQL_DB"
}

# Debian's postgresql, SCRAM over TCP; as root it runs as the postgres user.
start_postgres() {
    local d=$TMP/pg bin as=()
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    [ "$(id -u)" != 0 ] || as=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
    mkdir -p "$d"
    [ "$(id -u)" != 0 ] || { chmod 711 "$TMP" && chown postgres "$d"; }
    "${as[@]}" "$bin/initdb" -D "$d/data" -U postgres -A trust -E UTF8 -N --no-instructions \
        >"$d/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$d/initdb.log")"
    printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$d/data/pg_hba.conf"
    printf "CREATE ROLE %s LOGIN PASSWORD '%s';\nCREATE DATABASE %s OWNER %s;\n" "$MYSQL_USER" \
        "$PG_PASSWORD" "$MYSQL_DB" "$MYSQL_USER" |
        "${as[@]}" "$bin/postgres" --single -D "$d/data" postgres >"$d/single.log" 2>&1 ||
        die "postgres --single failed: $(tail -5 "$d/single.log")"
    "${as[@]}" "$bin/postgres" -D "$d/data" -c port="$PG_PORT" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories="$d" -c fsync=off >"$d/server.log" 2>&1 &
    PIDS+=("$!")
    wait_until postgres "$DYN" check "$PG_URL"
}

start_servers() {
    HTTP_PORT=$(free_port)
    REDIS_PORT=$(free_port)
    REDISS_PORT=$(free_port)
    MYSQL_PORT=$(free_port)
    HTTP_URL=http://127.0.0.1:$HTTP_PORT/health
    REDIS_URL="redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT"
    REDISS_URL="rediss://:\${REDIS_PASSWORD}@127.0.0.1:$REDISS_PORT"
    MYSQL_URL="mysql://$MYSQL_USER:\${MYSQL_PASSWORD}@127.0.0.1:$MYSQL_PORT/$MYSQL_DB"
    PG_PORT=$(free_port)
    PG_URL="postgres://$MYSQL_USER:\${PG_PASSWORD}@127.0.0.1:$PG_PORT/$MYSQL_DB?sslmode=disable"
    say "-- servers: nginx :$HTTP_PORT, redis :$REDIS_PORT (TLS :$REDISS_PORT), mariadb :$MYSQL_PORT, postgres :$PG_PORT"
    start_nginx
    start_redis
    start_mariadb
    start_postgres
}

# ---- one-shot checks ----

CURL=(curl -fsS -o /dev/null)
REDIS_CLI=(redis-cli -h 127.0.0.1 -p)
REDIS_TLS_CLI=(redis-cli --tls --cacert "$TMP/tls/ca.crt" -h 127.0.0.1 -p)
MYSQLADMIN=(mysqladmin --protocol=tcp -h 127.0.0.1 -u "$MYSQL_USER" -P)

# The runner's arguments: GROUP:NAME COMMAND... separated by ---.
runner_args() {
    local chain three=("$HTTP_URL" "$MYSQL_URL" "$REDIS_URL") b
    chain="${CURL[*]} $HTTP_URL && ${REDIS_CLI[*]} $REDIS_PORT --no-auth-warning ping"
    chain+=" >/dev/null && ${MYSQLADMIN[*]} $MYSQL_PORT ping >/dev/null"
    for b in "$STATIC" "$DYN"; do
        ARGS+=("http:${b#build/}" "$b" check "$HTTP_URL" ---)
    done
    ARGS+=(http:curl "${CURL[@]}" "$HTTP_URL" ---
        http:wget wget -q -O /dev/null "$HTTP_URL" ---
        http:check_http "$PLUGINS/check_http" -H 127.0.0.1 -p "$HTTP_PORT" -u /health ---
        http:python3 python3 -c "import urllib.request; urllib.request.urlopen('$HTTP_URL')" ---)
    for b in "$STATIC" "$DYN"; do
        ARGS+=("redis:${b#build/}" "$b" check "$REDIS_URL" ---)
    done
    ARGS+=(redis:redis-cli "${REDIS_CLI[@]}" "$REDIS_PORT" --no-auth-warning ping ---)
    for b in "$STATIC" "$DYN"; do
        ARGS+=("rediss:${b#build/}" "$b" check --cacert "$TMP/tls/ca.crt" "$REDISS_URL" ---)
    done
    ARGS+=("rediss:redis-cli --tls" "${REDIS_TLS_CLI[@]}" "$REDISS_PORT" --no-auth-warning ping ---)
    for b in "$STATIC" "$DYN"; do
        ARGS+=("mysql:${b#build/}" "$b" check "$MYSQL_URL" ---)
    done
    ARGS+=(mysql:mysqladmin "${MYSQLADMIN[@]}" "$MYSQL_PORT" ping ---
        mysql:check_mysql "$PLUGINS/check_mysql" -H 127.0.0.1 -P "$MYSQL_PORT" -u "$MYSQL_USER"
        -p "$MYSQL_PASSWORD" -d "$MYSQL_DB" ---)
    # pg_isready only asks whether the server takes logins; psql logs in and runs the query.
    for b in "$STATIC" "$DYN"; do
        ARGS+=("postgres:${b#build/}" "$b" check "$PG_URL" ---)
    done
    ARGS+=(postgres:pg_isready pg_isready -h 127.0.0.1 -p "$PG_PORT" -U "$MYSQL_USER" ---
        "postgres:psql -c 'SELECT 1'" env PGPASSWORD="$PG_PASSWORD" PGSSLMODE=disable psql -X -q
        -h 127.0.0.1 -p "$PG_PORT" -U "$MYSQL_USER" -d "$MYSQL_DB" -c 'SELECT 1' ---)
    # Debian's pg_isready and psql are perl wrappers (pg_wrapper); the postgres image runs the
    # binaries themselves, which start much faster: measured too, so both comparisons show.
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    ARGS+=("postgres:pg_isready (binary)" "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
        -U "$MYSQL_USER" ---
        "postgres:psql (binary)" env PGPASSWORD="$PG_PASSWORD" PGSSLMODE=disable "$PGBIN/psql" -X
        -q -h 127.0.0.1 -p "$PG_PORT" -U "$MYSQL_USER" -d "$MYSQL_DB" -c 'SELECT 1' ---)
    for b in "$STATIC" "$DYN"; do
        ARGS+=("three:${b#build/}" "$b" check "${three[@]}" ---)
    done
    ARGS+=("three:shell chain" sh -c "$chain" --- floor:/bin/true /bin/true)
}

# program_files PATH: the real files of a program and of every shared library it loads (ldd).
program_files() {
    readlink -f "$1"
    { ldd "$1" 2>/dev/null || true; } |
        awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | xargs -r readlink -f
}

# evict_page_cache: drops every compared program and the shared libraries it loads from the page
# cache (POSIX_FADV_DONTNEED), so the warm-up pages each of them in through exec as from disk.
# Without it a file just written (probe, by the linker; the others, by dpkg) can sit in large
# page-cache folios, which this kernel maps whole: probe-static's file-backed RSS straight after
# the build was 4.8 MiB against 2-3 MiB once paged in by exec. Every command gets the same.
evict_page_cache() {
    local p f
    for p in "$STATIC" "$DYN" curl wget "$PLUGINS/check_http" "$PLUGINS/check_mysql" python3 \
        redis-cli mysqladmin pg_isready psql sh /bin/true nginx; do
        f=$(command -v "$p") || continue
        program_files "$f"
    done | sort -u >"$TMP/evict.files"
    python3 -c 'import os, sys
for f in open(sys.argv[1]).read().split():
    fd = os.open(f, os.O_RDONLY)
    os.fsync(fd)  # a file the linker just wrote is dirty, and dirty pages are not dropped
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$TMP/evict.files"
    EVICTED=$(wc -l <"$TMP/evict.files")
}

# fresh_build_rss: issue 14's "peak RSS of three checks <= 4 MiB even right after the build".
# probe-static is linked again (only the link: the objects and libraries stay) and, with the
# new file still in the page cache as the linker left it, the three checks run 20 times; the
# peak RSS over those runs goes to FRESH_RSS. The one-shot runs below start from an evicted
# page cache instead, as every compared program does.
fresh_build_rss() {
    say "-- three checks right after linking probe-static again"
    rm -f "$STATIC" "build/static/probe-static.unstripped"
    make --no-print-directory "$STATIC" >"$TMP/relink.log" 2>&1 ||
        die "relinking $STATIC failed: $(tail -5 "$TMP/relink.log")"
    "$RUNNER" -w 0 -n 20 -t 30 "fresh:probe-static" "$STATIC" check "$HTTP_URL" "$MYSQL_URL" \
        "$REDIS_URL" >"$TMP/fresh.tsv" || die "three checks after the relink failed: $(cat "$TMP/fresh.tsv")"
    FRESH_RSS=$(awk -F'\t' 'NR == 2 { print $7 }' "$TMP/fresh.tsv")
}

# floor_alone: one HTTP check of probe-static against /bin/true with nothing else between them
# (300 rounds, the two alternating). In the main run 25 commands take turns, and the larger
# ones (python3, psql, curl) push probe-static's own code out of the CPU caches, while
# /bin/true's ld.so and libc are the pages every other program uses too; this shows the
# floor without that. ALONE_HTTP and ALONE_TRUE: the medians in ms.
floor_alone() {
    say "-- one HTTP check against /bin/true, alone (300 rounds)"
    "$RUNNER" -w 10 -n 300 -t 30 "alone:probe-static" "$STATIC" check "$HTTP_URL" --- \
        "alone:/bin/true" /bin/true >"$TMP/alone.tsv" || die "the alone runs failed: $(cat "$TMP/alone.tsv")"
    ALONE_HTTP=$(awk -F'\t' '$1 == "alone:probe-static" { print $3 }' "$TMP/alone.tsv")
    ALONE_TRUE=$(awk -F'\t' '$1 == "alone:/bin/true" { print $3 }' "$TMP/alone.tsv")
}

# image_contents: the bytes the production stage copies into FROM scratch (the Dockerfile):
# the static binary, the CA bundle, /etc/passwd and /etc/group (two lines each).
image_contents() {
    local ca=/etc/ssl/certs/ca-certificates.crt
    IMAGE_CONTENT_BYTES=$(($(stat -c %s "$STATIC") + $(stat -c %s "$ca") + 150))
}

# ms VALUE: wrk's 123.45us / 1.23ms / 1.02s in milliseconds.
ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        printf "%.3f", u == "us" ? n / 1000 : u == "s" ? n * 1000 : n }'
}

# vm PID FIELD: a /proc/PID/status field (VmRSS, VmHWM) in KiB.
vm() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# wrk_run LOAD NAME URL: one wrk run with the settings of LOAD (load or latency); appends
# "LOAD NAME req/s p50 p99 non2xx errors" to $TMP/wrk.tsv.
wrk_run() {
    local out=$TMP/wrk.$1.$2.$RANDOM args
    read -r -a args <<<"${WRK[$1]}"
    wrk "${args[@]}" --latency "$3" >"$out" 2>&1 || die "wrk $3 failed: $(cat "$out")"
    awk -v kind="$1" -v name="$2" '
        $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { err = $0; sub(/.*Socket errors: */, "", err); gsub(/ /, "", err) }
        END { printf "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", kind, name, rps, p50, p99, bad, err == "" ? "-" : err }
    ' "$out" >>"$TMP/wrk.tsv"
}

# The serve benchmark: probe-static serve vs nginx under the same wrk settings, alternating,
# WRK_RUNS times each: first the load settings (BENCH_WRK), then one connection (latency).
bench_serve() {
    local port i load s rps p50 p99 bad err
    port=$(free_port)
    SERVE_URL=http://127.0.0.1:$port/health
    "$STATIC" serve --listen "127.0.0.1:$port" --interval 10s "$HTTP_URL" "$MYSQL_URL" \
        "$REDIS_URL" 2>"$TMP/serve.log" &
    SERVE_PID=$!
    PIDS+=("$SERVE_PID")
    wait_until "probe serve" curl -fsS -o /dev/null "http://127.0.0.1:$port/ready"
    sleep 0.5
    SERVE_RSS_IDLE=$(vm "$SERVE_PID" VmRSS)
    SERVE_RSS_SPLIT="RssAnon $(vm "$SERVE_PID" RssAnon), RssFile $(vm "$SERVE_PID" RssFile)"
    NGINX_WORKER=$(cat "/proc/$NGINX_PID/task/$NGINX_PID/children")
    NGINX_WORKER=${NGINX_WORKER%% *}
    NGINX_RSS_IDLE="$(vm "$NGINX_WORKER" VmRSS) (RssAnon $(vm "$NGINX_WORKER" RssAnon), RssFile $(vm "$NGINX_WORKER" RssFile))"
    : >"$TMP/wrk.tsv"
    for load in load latency; do
        for ((i = 0; i < WRK_RUNS; i++)); do
            say "-- wrk ${WRK[$load]} --latency, run $((i + 1)) of $WRK_RUNS"
            wrk_run "$load" nginx "$HTTP_URL"
            wrk_run "$load" probe-static "$SERVE_URL"
        done
    done
    SERVE_HWM=$(vm "$SERVE_PID" VmHWM)
    NGINX_HWM=$(vm "$NGINX_WORKER" VmHWM)
    # Per load and server: the best run by requests/s, its percentiles in ms, every run's req/s.
    for load in load latency; do
        for s in nginx probe-static; do
            read -r _ _ rps p50 p99 bad err < <(awk -v l=$load -v s=$s '$1 == l && $2 == s' \
                "$TMP/wrk.tsv" | sort -t$'\t' -k3,3gr | head -1)
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$load" "$s" "$rps" "$(ms "$p50")" \
                "$(ms "$p99")" "$bad" "$err" "$(awk -v l=$load -v s=$s '$1 == l && $2 == s {
                    printf "%s%.0f", n++ ? " / " : "", $3 }' "$TMP/wrk.tsv")"
        done
    done >"$TMP/serve.tsv"
}

# ---- probe wait: from "the dependency answers" to "the command runs" ----

# A gate in front of mariadbd: after DELAY seconds it listens on PORT, writes the time it did
# (the moment the dependency starts answering, to the waiters) to FILE, and forwards every
# connection to mariadbd. Before that, connections to PORT are refused, as to a server that
# is not up yet.
GATE_PY='import socket, sys, threading, time
port, target, delay, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
time.sleep(delay)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
with open(out, "w") as f:
    f.write("%.6f\n" % time.time())
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = s.accept()
    u = socket.create_connection(("127.0.0.1", target))
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()'

# Each trial starts three waiters at once against a closed gate that opens after a random
# 1-3 s: probe wait with its defaults (500ms doubling to 5s), probe wait with a fixed 500ms
# (--max-interval 500ms), and the shell loop people write. Each one's command writes the
# time it started; the delay is that minus the gate's opening. Appends to $TMP/wait.tsv.
bench_wait() {
    local n=${BENCH_WAIT_N:-20} i gate url delay gpid w pids stamp='date +%s.%N >"$0"'
    : >"$TMP/wait.tsv"
    for ((i = 0; i < n; i++)); do
        gate=$(free_port)
        url="mysql://$MYSQL_USER:\${MYSQL_PASSWORD}@127.0.0.1:$gate/$MYSQL_DB"
        delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 1 + 2 * rand() }')
        rm -f "$TMP"/wait.*.t
        pids=()
        "$STATIC" wait -q --timeout 30s "$url" -- sh -c "$stamp" "$TMP/wait.default.t" &
        pids+=("$!")
        "$STATIC" wait -q --timeout 30s --max-interval 500ms "$url" -- sh -c "$stamp" \
            "$TMP/wait.fixed.t" &
        pids+=("$!")
        sh -c 'until mysqladmin --protocol=tcp -h 127.0.0.1 -P "$1" -u "$2" ping >/dev/null 2>&1
               do sleep 0.5; done; date +%s.%N >"$3"' _ "$gate" "$MYSQL_USER" "$TMP/wait.loop.t" &
        pids+=("$!")
        python3 -c "$GATE_PY" "$gate" "$MYSQL_PORT" "$delay" "$TMP/wait.open.t" &
        gpid=$!
        PIDS+=("$gpid")
        for w in "${pids[@]}"; do wait "$w" || die "a waiter failed in trial $i"; done
        kill "$gpid" 2>/dev/null || true
        wait "$gpid" 2>/dev/null || true
        for w in default fixed loop; do
            awk -v w=$w -v d="$delay" -v o="$(cat "$TMP/wait.open.t")" '{ printf "%s\t%s\t%.1f\n", w, d, ($1 - o) * 1000 }' \
                "$TMP/wait.$w.t" >>"$TMP/wait.tsv"
        done
        say "-- wait trial $((i + 1)) of $n: gate opened after ${delay}s: $(awk -F'\t' -v k=$((i * 3)) 'NR > k { printf "%s %s ms  ", $1, $3 }' "$TMP/wait.tsv")"
    done
}

# wait_stat WAITER: "median max mean" of its delays in ms.
wait_stat() {
    awk -F'\t' -v w="$1" '$1 == w { print $3 }' "$TMP/wait.tsv" | sort -g | awk '
        { v[NR] = $1; s += $1 } END {
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", m, v[NR], s / NR }'
}

write_wait_results() {
    local w label med max mean
    {
        echo "# make bench-wait results"
        echo
        echo "Written by \`make bench-wait\` (bench/bench.sh wait). From the moment mariadbd starts"
        echo "answering to the moment the command starts, in ms, over ${BENCH_WAIT_N:-20} trials. In each"
        echo "trial three waiters start at once against a gate that refuses connections, then after a"
        echo "random 1-3 s listens and forwards to a running mariadbd (the gate's opening is the moment"
        echo "the dependency answers). Every waiter's command is \`sh -c 'date +%s.%N >FILE'\`."
        echo
        machine
        echo
        echo "| waiter | median ms | max ms | mean ms |"
        echo "|---|---:|---:|---:|"
        for w in default fixed loop; do
            case $w in
            default) label='`probe wait` (build/probe-static), defaults: 500ms doubling to 5s' ;;
            fixed) label='`probe wait --max-interval 500ms`: a fixed 500ms' ;;
            loop) label='`until mysqladmin ping; do sleep 0.5; done`' ;;
            esac
            read -r med max mean < <(wait_stat $w)
            printf '| %s | %s | %s | %s |\n' "$label" "$med" "$max" "$mean"
        done
        echo
        echo '```'
        cat "$TMP/wait-summary.txt"
        echo '```'
    } >"$WAIT_OUT"
}

wait_summary() {
    local fmed fmax lmed lmax dmed dmax
    read -r fmed fmax _ < <(wait_stat fixed)
    read -r lmed lmax _ < <(wait_stat loop)
    read -r dmed dmax _ < <(wait_stat default)
    printf 'probe wait, fixed 500ms: median %s ms, max %s ms; defaults: median %s ms, max %s ms; shell loop: median %s ms, max %s ms\n' \
        "$fmed" "$fmax" "$dmed" "$dmax" "$lmed" "$lmax"
    target "probe wait (fixed 500ms) max delay ms" "$fmax" "<=" 550
    target "probe wait (fixed 500ms) median / shell loop median" "$(ratio "$fmed" "$lmed")" "<" 1
}

# ---- sizes ----

curl_size() {
    local f total=0
    program_files "$(command -v curl)" | sort -u >"$TMP/curl.files"
    while read -r f; do total=$((total + $(stat -c %s "$f"))); done <"$TMP/curl.files"
    CURL_BYTES=$total
    CURL_FILES=$(wc -l <"$TMP/curl.files")
}

image_size() {
    IMAGE_NOTE="not built in this run (BENCH_IMAGE=1 builds it with \`make image\`)"
    IMAGE_BYTES=
    if [ "${BENCH_IMAGE:-0}" = 1 ]; then
        local t0=$EPOCHREALTIME
        say "-- make image"
        make --no-print-directory image >"$TMP/image.log" 2>&1 || die "make image failed: $(tail -5 "$TMP/image.log")"
        IMAGE_NOTE="probe:latest, built in this run by \`make image\` in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
    fi
    command -v podman >/dev/null && [ "$(id -u)" = 0 ] || return 0
    if IMAGE_BYTES=$(scripts/image/podman.sh image inspect --format '{{.Size}}' probe:latest 2>/dev/null); then
        [ "${BENCH_IMAGE:-0}" = 1 ] ||
            IMAGE_NOTE="probe:latest as built earlier ($(scripts/image/podman.sh image inspect --format '{{.Created}}' probe:latest | cut -c1-19)), not rebuilt in this run"
    else
        IMAGE_BYTES=
    fi
}

# ---- report ----

versions() {
    printf -- '- %s\n' \
        "probe: $("$STATIC" version | head -1) ($("$STATIC" version | sed -n 2p))" \
        "curl: $(curl --version | head -1)" \
        "wget: $(wget --version | head -1)" \
        "check_http / check_mysql: $("$PLUGINS/check_http" -V | head -1)" \
        "python3: $(python3 -V 2>&1)" \
        "redis-cli: $(redis-cli -v), redis-server: $(redis-server -v | awk '{ print $3 }')" \
        "mysqladmin: $(mysqladmin --version), server: $(mariadbd --version | awk '{ print $3 }')" \
        "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //')" \
        "wrk: $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
}

machine() {
    printf -- '- %s\n' \
        "date: $(date -u '+%Y-%m-%d %H:%M UTC')" \
        "CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), nproc $(nproc)" \
        "kernel: $(uname -sr), Debian $(cat /etc/debian_version)" \
        "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
}

# The runner's TSV as Markdown tables, one per group, ratio to that group's probe-static.
checks_table() {
    awk -F'\t' '
        NR == 1 { next }
        { split($1, g, ":"); grp[NR] = g[1]; name[NR] = g[2]; line[NR] = $0
          if (g[2] == "probe-static") base[g[1]] = $3
          if (!(g[1] in seen)) { seen[g[1]] = 1; order[++ng] = g[1] } }
        END {
            title["http"] = "One HTTP check"; title["redis"] = "One Redis check"
            title["rediss"] = "One Redis check over TLS (rediss://, verified against a CA file)"
            title["mysql"] = "One MySQL check"; title["postgres"] = "One PostgreSQL check"
            title["three"] = "Three checks (HTTP, MySQL, Redis)"
            title["floor"] = "Process exec floor (ratio to the one HTTP check of probe-static)"
            base["floor"] = base["http"]
            for (k = 1; k <= ng; k++) {
                G = order[k]
                printf "\n### %s\n\n", title[G]
                print "| command | median wall ms | min–max ms | median CPU ms | peak RSS KiB | ratio to probe-static (wall) | exit codes |"
                print "|---|---:|---:|---:|---:|---:|---|"
                for (i = 2; i <= NR; i++) {
                    if (grp[i] != G) continue
                    split(line[i], f, "\t")
                    printf "| %s | %.2f | %.2f–%.2f | %.2f | %d | %.2f | %s%s |\n", name[i], f[3], f[4],
                        f[5], f[6], f[7], f[3] / base[G], f[8], (f[9] > 0 ? " **FAILED " f[9] "×**" : "")
                }
            }
        }' "$TMP/checks.tsv"
}

serve_table() {
    echo
    echo "### \`probe serve\` /health vs nginx's static file, same wrk settings, alternating"
    echo
    echo "Best of $WRK_RUNS runs by req/s. Under load: \`wrk ${WRK[load]} --latency\`; one connection:"
    echo "\`wrk ${WRK[latency]} --latency\`. wrk runs on the same $(nproc) CPUs as the server."
    echo
    echo "| server | wrk | req/s (best) | req/s (each run) | p50 ms | p99 ms | non-2xx | socket errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    awk -F"\t" -v heavy="${WRK[load]}" -v lat="${WRK[latency]}" '
        { label = $2 == "nginx" ? "nginx, 1 worker, static file" : "probe serve (build/probe-static), 3 checks every 10s"
          printf "| %s | %s | %.0f | %s | %.3f | %.3f | %d | %s |\n", label, $1 == "load" ? heavy : lat,
              $3, $8, $4, $5, $6, $7 }' "$TMP/serve.tsv"
    echo
    echo "| server | RSS idle KiB (VmRSS) | RSS under load KiB |"
    echo "|---|---:|---:|"
    echo "| probe serve (build/probe-static) | $SERVE_RSS_IDLE ($SERVE_RSS_SPLIT) | VmHWM $SERVE_HWM (peak over every wrk run; not sampled, so nothing else runs beside wrk) |"
    echo "| nginx worker process | $NGINX_RSS_IDLE | VmHWM $NGINX_HWM |"
}

# serve_field LOAD NAME COLUMN: one number from $TMP/serve.tsv.
serve_field() { awk -F'\t' -v l="$1" -v s="$2" -v c="$3" '$1 == l && $2 == s { print $c }' "$TMP/serve.tsv"; }

# field GROUP:NAME COLUMN: one number from the runner's TSV.
field() { awk -F'\t' -v l="$1" -v c="$2" '$1 == l { print $c }' "$TMP/checks.tsv"; }

# target WHAT VALUE OP LIMIT: "target met" or "missed by X%".
target() {
    awk -v what="$1" -v v="$2" -v op="$3" -v lim="$4" 'BEGIN {
        ok = op == "<=" ? v <= lim : op == "<" ? v < lim : v >= lim
        printf "target %s: %s %s %s: ", what, v, op, lim
        if (ok) print "target met"
        else printf "missed by %.0f%%\n", op == ">=" ? (lim - v) / lim * 100 : (v - lim) / lim * 100 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

summary() {
    local ps pd hc cu ch rps_p rps_n
    ps=$(field http:probe-static 3)
    ch=$(field http:check_http 3)
    cu=$(field http:curl 3)
    printf '1 HTTP check: probe-static %.2f ms, probe %.2f ms, curl %.2f ms, wget %.2f ms, check_http %.2f ms, python3 %.2f ms\n' \
        "$ps" "$(field http:probe 3)" "$cu" "$(field http:wget 3)" "$ch" "$(field http:python3 3)"
    printf '1 Redis check: probe-static %.2f ms, redis-cli %.2f ms, ratio %s\n' "$(field redis:probe-static 3)" \
        "$(field redis:redis-cli 3)" "$(ratio "$(field redis:probe-static 3)" "$(field redis:redis-cli 3)")"
    printf '1 Redis check over TLS: probe-static %.2f ms, redis-cli --tls %.2f ms, ratio %s\n' \
        "$(field rediss:probe-static 3)" "$(field 'rediss:redis-cli --tls' 3)" \
        "$(ratio "$(field rediss:probe-static 3)" "$(field 'rediss:redis-cli --tls' 3)")"
    printf '1 MySQL check: probe-static %.2f ms, mysqladmin %.2f ms (ratio %s), check_mysql %.2f ms (ratio %s)\n' \
        "$(field mysql:probe-static 3)" "$(field mysql:mysqladmin 3)" \
        "$(ratio "$(field mysql:probe-static 3)" "$(field mysql:mysqladmin 3)")" \
        "$(field mysql:check_mysql 3)" "$(ratio "$(field mysql:probe-static 3)" "$(field mysql:check_mysql 3)")"
    pd=$(field 'three:probe-static' 3)
    hc=$(field 'three:shell chain' 3)
    printf '1 PostgreSQL check: probe-static %.2f ms, pg_isready %.2f ms (ratio %s), psql %.2f ms (ratio %s)\n' \
        "$(field postgres:probe-static 3)" "$(field postgres:pg_isready 3)" \
        "$(ratio "$(field postgres:probe-static 3)" "$(field postgres:pg_isready 3)")" \
        "$(field "postgres:psql -c 'SELECT 1'" 3)" \
        "$(ratio "$(field postgres:probe-static 3)" "$(field "postgres:psql -c 'SELECT 1'" 3)")"
    printf '1 PostgreSQL check against the binaries without the wrapper: pg_isready %.2f ms (ratio %s), psql %.2f ms (ratio %s)\n' \
        "$(field "postgres:pg_isready (binary)" 3)" \
        "$(ratio "$(field postgres:probe-static 3)" "$(field "postgres:pg_isready (binary)" 3)")" \
        "$(field "postgres:psql (binary)" 3)" \
        "$(ratio "$(field postgres:probe-static 3)" "$(field "postgres:psql (binary)" 3)")"
    printf '3 checks: probe %.2f ms, shell chain %.2f ms, ratio %s\n' "$pd" "$hc" "$(ratio "$pd" "$hc")"
    printf 'exec floor: /bin/true %.2f ms\n' "$(field floor:/bin/true 3)"
    rps_p=$(serve_field load probe-static 3)
    rps_n=$(serve_field load nginx 3)
    printf 'serve: probe %.0f req/s, nginx %.0f req/s, ratio %s; p99 under load probe %s ms, nginx %s ms; one connection probe %s ms, nginx %s ms\n' \
        "$rps_p" "$rps_n" "$(ratio "$rps_p" "$rps_n")" "$(serve_field load probe-static 5)" \
        "$(serve_field load nginx 5)" "$(serve_field latency probe-static 5)" "$(serve_field latency nginx 5)"
    target "1 HTTP check, probe-static / check_http" "$(ratio "$ps" "$ch")" "<=" 0.75
    target "1 HTTP check, probe-static / curl" "$(ratio "$ps" "$cu")" "<=" 0.3
    target "3 checks, probe-static / shell chain" "$(ratio "$pd" "$hc")" "<=" 0.25
    target "3 checks, probe-static peak RSS KiB" "$(field 'three:probe-static' 7)" "<=" 4096
    target "3 checks, probe-static peak RSS KiB right after the build" "$FRESH_RSS" "<=" 4096
    target "1 HTTP check, probe-static / /bin/true" "$(ratio "$ps" "$(field floor:/bin/true 3)")" "<=" 1.4
    printf '1 HTTP check alone against /bin/true (nothing between them): %.2f ms / %.2f ms, ratio %s\n' \
        "$ALONE_HTTP" "$ALONE_TRUE" "$(ratio "$ALONE_HTTP" "$ALONE_TRUE")"
    target "probe-static bytes (stripped, every kind)" "$STATIC_BYTES" "<=" 4194304
    if [ -n "$ARM64_BYTES" ]; then
        target "probe-static-arm64 bytes" "$ARM64_BYTES" "<=" 4194304
    fi
    target "production image contents, bytes" "$IMAGE_CONTENT_BYTES" "<=" 4500000
    if [ -n "$IMAGE_BYTES" ]; then
        target "production image, bytes (podman)" "$IMAGE_BYTES" "<=" 4500000
    fi
    target "serve req/s, probe / nginx" "$(ratio "$rps_p" "$rps_n")" ">=" 0.5
    target "serve p99 ms under load (wrk ${WRK[load]})" "$(serve_field load probe-static 5)" "<" 1
    target "serve p99 ms, one connection (wrk ${WRK[latency]})" "$(serve_field latency probe-static 5)" "<" 1
    target "serve RSS idle KiB" "$SERVE_RSS_IDLE" "<" 4096
}

write_results() {
    {
        echo "# make bench results"
        echo
        echo "Written by \`make bench\` (bench/bench.sh, bench/runner.c). One run: $N timed rounds after"
        echo "$WARMUP warm-up rounds; each round runs every command once, one after another, starting"
        echo "one command later each round. Wall time from fork to wait4, CPU (user+sys) and peak RSS"
        echo "from wait4's rusage, which includes the children a command waited for (the shell"
        echo "chain's curl, redis-cli and mysqladmin). Servers on loopback: nginx (1 worker, static"
        echo "file), redis-server with requirepass, mariadbd with a password user. Passwords through"
        echo "the environment (\`\${VAR}\` in probe's targets, REDISCLI_AUTH, MYSQL_PWD), except"
        echo "check_mysql which takes \`-p\`. Peak RSS is the kernel's high-water mark of resident"
        echo "pages, file-backed ones (the program's and its libraries' code) included; /bin/true shows"
        echo "the floor. Before the one-shot runs and again before the serve runs, every compared"
        echo "program and the shared libraries it loads ($EVICTED files) are dropped from the page cache"
        echo "(POSIX_FADV_DONTNEED), so each is paged in by exec as from disk: on this kernel a file"
        echo "just written by the linker or dpkg can sit in large page-cache folios that are mapped"
        echo "whole and inflate RSS. probe-static is also measured that way: linked again just before"
        echo "and left in the page cache, its three checks peaked at $FRESH_RSS KiB over 20 runs."
        echo
        echo "## Machine"
        echo
        machine
        echo
        echo "## Versions"
        echo
        versions
        echo
        echo "## One-shot checks"
        checks_table
        serve_table
        echo
        echo "## Sizes"
        echo
        echo "| what | bytes | MiB |"
        echo "|---|---:|---:|"
        printf '| build/probe-static (stripped, everything linked in) | %d | %.2f |\n' "$STATIC_BYTES" \
            "$(awk -v b="$STATIC_BYTES" 'BEGIN { print b / 1048576 }')"
        if [ -n "$ARM64_BYTES" ]; then
            printf '| build/probe-static-arm64 (the same for aarch64) | %d | %.2f |\n' "$ARM64_BYTES" \
                "$(awk -v b="$ARM64_BYTES" 'BEGIN { print b / 1048576 }')"
        fi
        printf '| what the production image holds (binary, CA bundle, passwd, group) | %d | %.2f |\n' \
            "$IMAGE_CONTENT_BYTES" "$(awk -v b="$IMAGE_CONTENT_BYTES" 'BEGIN { print b / 1048576 }')"
        if [ -n "$IMAGE_BYTES" ]; then
            printf '| production image (%s) | %d | %.2f |\n' "$IMAGE_NOTE" "$IMAGE_BYTES" \
                "$(awk -v b="$IMAGE_BYTES" 'BEGIN { print b / 1048576 }')"
        else
            printf '| production image | %s | |\n' "$IMAGE_NOTE"
        fi
        printf '| curl plus the %d shared libraries it loads (ldd, real files) | %d | %.2f |\n' \
            "$((CURL_FILES - 1))" "$CURL_BYTES" "$(awk -v b="$CURL_BYTES" 'BEGIN { print b / 1048576 }')"
        echo
        echo "## Summary"
        echo
        echo '```'
        cat "$TMP/summary.txt"
        echo '```'
    } >"$OUT"
}

# ---- profile ----

# callgrind LABEL BINARY TARGET...: one run under callgrind; prints its total Ir.
callgrind() {
    local f=$TMP/cg.$1.${2##*/}
    valgrind --tool=callgrind --callgrind-out-file="$f" "$2" check -t 60s "${@:3}" \
        >"$f.out" 2>"$f.log" || die "callgrind $1 $2 failed: $(tail -3 "$f.out" "$f.log")"
    callgrind_annotate "$f" | awk '/PROGRAM TOTALS/ { gsub(/,/, "", $1); print $1 }'
}

# top LABEL FILE COUNT [SKIP]: the first COUNT functions of a callgrind_annotate listing,
# leaving out lines that match SKIP.
top() {
    echo
    echo "### $1"
    echo
    echo '```'
    awk -v n="$3" -v skip="${4:-^$}" '/file:function/ { on = 1; getline; next }
        on && NF && $0 !~ skip { print; if (++k == n) exit }' "$2"
    echo '```'
}

# top_functions LABEL BINARY: the top functions of the callgrind run of LABEL with BINARY.
top_functions() {
    local f=$TMP/cg.$1.${2##*/}
    callgrind_annotate --inclusive=yes "$f" >"$f.incl"
    callgrind_annotate "$f" >"$f.self"
    echo
    echo "## $1, $2"
    top "$1, $2: top functions, inclusive" "$f.incl" 12
    [ "$2" = "$STATIC_SYMS" ] ||
        top "$1, $2: top functions, inclusive, without the dynamic loader" "$f.incl" 12 'ld-linux|dl-|/elf/|rtld'
    top "$1, $2: top functions, self" "$f.self" 10
}

profile() {
    local -A targets=([http]="$HTTP_URL" [redis]="$REDIS_URL" [mysql]="$MYSQL_URL")
    local k t
    say "-- callgrind"
    {
        echo "# probe profile: one-shot checks"
        echo
        echo "Written by \`make bench-profile\` (bench/bench.sh profile). Instructions (Ir) counted by"
        echo "\`valgrind --tool=callgrind\` for one \`probe check\` against local servers; top functions"
        echo "of the dynamic build (build/probe) and of the static one ($STATIC_SYMS: build/probe-static"
        echo "before strip). probe $("$DYN" version | head -1), $(date -u '+%Y-%m-%d %H:%M UTC')."
        echo
        echo "| checks | build/probe Ir | $STATIC_SYMS Ir |"
        echo "|---|---:|---:|"
        for k in http redis mysql; do
            printf '| %s | %s | %s |\n' "$k" "$(callgrind "$k" "$DYN" "${targets[$k]}")" \
                "$(callgrind "$k" "$STATIC_SYMS" "${targets[$k]}")"
        done
        printf '| three | %s | %s |\n' "$(callgrind three "$DYN" "$HTTP_URL" "$MYSQL_URL" "$REDIS_URL")" \
            "$(callgrind three "$STATIC_SYMS" "$HTTP_URL" "$MYSQL_URL" "$REDIS_URL")"
        printf '| (/bin/true) | %s | |\n' "$(valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.true" /bin/true 2>/dev/null && callgrind_annotate "$TMP/cg.true" | awk '/PROGRAM TOTALS/ { print $1 }' | tr -d ,)"
        for k in http redis mysql three; do top_functions "$k" "$DYN"; done
        for k in http redis mysql three; do top_functions "$k" "$STATIC_SYMS"; done
        echo
        echo "## perf stat"
        echo
        if command -v perf >/dev/null; then
            for t in "$STATIC" "$DYN"; do
                echo "\`perf stat -r 50 $t check http://…\`:"
                echo
                echo '```'
                perf stat -r 50 "$t" check "$HTTP_URL" 2>&1 >/dev/null | sed -n '/Performance counter/,$p' | sed '/^$/d'
                echo '```'
            done
        else
            echo "perf is not installed (linux-perf)."
        fi
    } >"$PROFILE_OUT"
    say "wrote $PROFILE_OUT"
}

# ---- main ----

T0=$EPOCHREALTIME
start_servers
if [ "$MODE" = profile ]; then
    profile
    exit 0
fi
if [ "$MODE" = wait ]; then
    bench_wait
    wait_summary | tee "$TMP/wait-summary.txt"
    write_wait_results
    say "wrote $WAIT_OUT"
    exit 0
fi
[ "$MODE" = bench ] || die "unknown mode $MODE (bench, wait or profile)"

ARGS=()
runner_args
fresh_build_rss
evict_page_cache
say "-- one-shot checks: $N rounds after $WARMUP warm-up rounds ($EVICTED files dropped from the page cache first)"
FAILED=0
"$RUNNER" -w "$WARMUP" -n "$N" -t 30 "${ARGS[@]}" >"$TMP/checks.tsv" || FAILED=1
floor_alone
say "-- probe serve vs nginx"
evict_page_cache
bench_serve
STATIC_BYTES=$(stat -c %s "$STATIC")
ARM64_BYTES=$(stat -c %s build/probe-static-arm64 2>/dev/null || true)
curl_size
image_size
image_contents
summary | tee "$TMP/summary.txt"
write_results
say "-- probe wait vs a shell loop"
bench_wait
wait_summary | tee "$TMP/wait-summary.txt"
write_wait_results
say "wrote $OUT in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
[ "${BENCH_PROFILE:-0}" != 1 ] || profile
[ "$FAILED" = 0 ] || die "some commands failed (see the exit codes in $OUT)"
