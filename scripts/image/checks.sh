# shellcheck shell=bash
# Shared by scripts/image/test_podman.sh and test_docker.sh: the assertions on the image and
# the servers it is run against, the same for both engines. Sourced after lib.sh; the engine's
# script sets, before calling anything here:
#   CLI          the function that is the engine's client (pm, dk)
#   HC           where `image inspect` keeps the HEALTHCHECK (.HealthCheck, .Config.Healthcheck)
#   IN_NET       the command prefix that runs a process in the test's network namespace
#   ONESHOT_NET  the --network value one-shot runs use to join that namespace
#   IMAGE, CTR, WORK
#   IMAGE_ARM64  the image built after IMAGE with --platform $ARM64_PLATFORM
#   ARM64_DIR    a directory under build/ that its /probe is copied to (removed by the
#                engine's cleanup)

# Issue 14: the production image (the static binary, the CA bundle, passwd, group) at most
# 4.5 MB, as the engine counts it (.Size), for every platform.
IMAGE_MAX_BYTES=${IMAGE_MAX_BYTES:-4500000}
ARM64_PLATFORM=linux/arm64
REDIS_PORT=6379
TLS_PORT=8443
REDIS_PID=
TLS_PID=

# expect NAME GOT WANT: one line saying what differs.
expect() {
    [ "$2" = "$3" ] || die "$1 is $2, want $3"
}

# field FORMAT [IMAGE]: one field of the image's config ($IMAGE's by default).
field() { "$CLI" image inspect --format "$1" "${2:-$IMAGE}"; }

check_config() {
    expect "ENTRYPOINT" "$(field '{{json .Config.Entrypoint}}')" '["/probe"]'
    expect "CMD" "$(field '{{json .Config.Cmd}}')" '["serve","--listen","0.0.0.0:8080"]'
    expect "USER" "$(field '{{.Config.User}}')" "65532:65532"
    expect "EXPOSE" "$(field '{{json .Config.ExposedPorts}}')" '{"8080/tcp":{}}'
    expect "HEALTHCHECK" "$(field "{{json $HC.Test}}")" \
        '["CMD","/probe","check","--timeout","2s","http://127.0.0.1:8080/ready"]'
    expect "HEALTHCHECK interval, timeout, start period, retries" "$(field "{{with $HC}}
        {{- .Interval}} {{.Timeout}} {{.StartPeriod}} {{.Retries}}{{end}}")" "10s 3s 5s 3"
    say "ENTRYPOINT/CMD exec form, USER 65532:65532, EXPOSE 8080, HEALTHCHECK: as specified"
}

# check_file_list DIR: the image's root filesystem, unpacked at DIR, holds exactly the binary,
# the CA bundle, passwd and group, owned by root so the probe user cannot change them.
check_file_list() {
    local got want
    got=$(cd "$1" && find . -mindepth 1 -printf '%p %U:%G %m\n' | sort)
    want=$(printf '%s\n' './etc 0:0 755' './etc/group 0:0 644' './etc/passwd 0:0 644' \
        './etc/ssl 0:0 755' './etc/ssl/certs 0:0 755' \
        './etc/ssl/certs/ca-certificates.crt 0:0 644' './probe 0:0 755')
    [ "$got" = "$want" ] || die "unexpected files in the image: $(tr '\n' ',' <<<"$got")"
    say "files: /probe, /etc/passwd, /etc/group, /etc/ssl/certs/ca-certificates.crt (root-owned)"
}

# check_size [IMAGE]: the same bound for every platform's image.
check_size() {
    local image=${1:-$IMAGE} size
    size=$(field '{{.Size}}' "$image")
    say "size of $image: $size bytes ($((size / 1000)) kB), limit $IMAGE_MAX_BYTES"
    [ "$size" -le "$IMAGE_MAX_BYTES" ] || die "$image is $size bytes, over $IMAGE_MAX_BYTES"
}

# check_platform IMAGE OS/ARCH: what `image inspect` says the image is for.
check_platform() {
    expect "the platform of $1" "$(field '{{.Os}}/{{.Architecture}}' "$1")" "$2"
    say "$1: $2"
}

# The arm64 image, tested without running it (no binfmt_misc here): its platform, config and
# size, then its /probe copied out and run on the host with qemu-aarch64-static.
arm64_steps() {
    step "arm64 image: platform (image inspect)" check_platform "$IMAGE_ARM64" "$ARM64_PLATFORM"
    step "arm64 image: config" with_image "$IMAGE_ARM64" check_config
    step "arm64 image: size" check_size "$IMAGE_ARM64"
    step "arm64 image: copy /probe out (create, cp, rm)" arm64_extract
    step "arm64 /probe: ARM aarch64, statically linked" arm64_file
    step "arm64 /probe under qemu: version" arm64_run host 0 'probe ' version
    step "arm64 /probe under qemu: closed port -> 1" arm64_run host 1 'FAIL ' \
        check --timeout 1s tcp://127.0.0.1:1
}

# with_image IMAGE CMD...: CMD with $IMAGE standing for IMAGE.
with_image() {
    local IMAGE=$1
    shift
    "$@"
}

# arm64_extract: /probe of the arm64 image, through a container that is created (never
# started) and removed at once, to $ARM64_DIR/probe.
arm64_extract() {
    local ctr=$CTR-arm64
    mkdir -p "$ARM64_DIR"
    "$CLI" create --name "$ctr" --platform "$ARM64_PLATFORM" --pull never --network none \
        --no-healthcheck "$IMAGE_ARM64" </dev/null >/dev/null
    "$CLI" cp "$ctr:/probe" "$ARM64_DIR/probe"
    "$CLI" rm "$ctr" >/dev/null
    say "/probe of $IMAGE_ARM64: $(stat -c %s "$ARM64_DIR/probe") bytes"
}

arm64_file() {
    local what
    what=$(file -b "$ARM64_DIR/probe")
    quote "$what"
    case $what in "ELF 64-bit LSB executable, ARM aarch64,"*) ;; *)
        die "the arm64 image's /probe is not an ARM aarch64 executable" ;;
    esac
    case $what in *", statically linked"*) ;; *)
        die "the arm64 image's /probe is not statically linked" ;;
    esac
}

# arm64_run WHERE WANT_RC WANT_TEXT ARGS...: the arm64 /probe with ARGS under
# qemu-aarch64-static (called directly), on the machine's network (WHERE host) or in the
# test's namespace (ns, IN_NET); judged as run_check judges a one-shot run.
arm64_run() {
    local net=() want=$2 text=$3 out rc=0
    [ "$1" = host ] || net=("${IN_NET[@]}")
    shift 3
    out=$("${net[@]}" qemu-aarch64-static "$ARM64_DIR/probe" "$@" 2>&1 </dev/null) || rc=$?
    judge_run "$want" "$text" "$rc" "$out" "$@"
}

# redis_conf: requirepass from a random password that reaches probe only through the
# container's environment, as ${REDIS_PASSWORD} in the target.
redis_conf() {
    REDIS_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    export REDIS_PASSWORD
    (
        umask 077
        printf '%s\n' "bind 127.0.0.1 -::1" "port $REDIS_PORT" "requirepass $REDIS_PASSWORD" \
            'save ""' "appendonly no" "dir $WORK" "daemonize no" >"$WORK/redis.conf"
    )
}

redis_start() {
    "${IN_NET[@]}" redis-server "$WORK/redis.conf" >"$WORK/redis.log" 2>&1 </dev/null 9>&- &
    REDIS_PID=$!
    wait_ready "$REDIS_PID" "$WORK/redis.log" redis-server "answer PING" redis_ping
}

redis_ping() {
    REDISCLI_AUTH=$REDIS_PASSWORD "${IN_NET[@]}" redis-cli -p "$REDIS_PORT" ping 2>/dev/null |
        grep -q PONG
}

# wait_ready PID LOG NAME WHAT CMD...: a server started in the background is ready when CMD
# succeeds, within 5s; it fails at once, with its log's last line, when the server exits.
wait_ready() {
    local pid=$1 log=$2 name=$3 what=$4 _
    shift 4
    for _ in $(seq 50); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || die "$name exited: $(tail -n 1 "$log")"
        sleep 0.1
    done
    die "$name did not $what within 5s"
}

redis_stop() {
    [ -n "$REDIS_PID" ] || return 0
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
}

# run_check WANT_RC WANT_TEXT [RUN_OPTION...] ARGS...: a one-shot `run --rm IMAGE ARGS` in the
# namespace (ARGS start with the command, `check` or `version`); it must exit WANT_RC and
# print WANT_TEXT (any case), and never the password.
run_check() {
    local want=$1 text=$2 opts=() out rc=0
    shift 2
    while [ "$1" != check ] && [ "$1" != version ]; do
        opts+=("$1")
        shift
    done
    # Docker warns on every run that joins another container's network when the machine does
    # not forward IPv4 (the engine here is told not to turn it on); it is not probe's output.
    out=$("$CLI" run --rm --network "$ONESHOT_NET" --no-healthcheck -e REDIS_PASSWORD \
        "${opts[@]}" "$IMAGE" "$@" 2>&1 </dev/null) || rc=$?
    out=$(grep -v '^WARNING: IPv4 forwarding is disabled' <<<"$out" || true)
    judge_run "$want" "$text" "$rc" "$out" "$@"
}

# judge_run WANT_RC WANT_TEXT RC OUTPUT ARGS...: a run of probe ARGS that exited RC and
# printed OUTPUT must have exited WANT_RC and said WANT_TEXT (any case), never the password.
judge_run() {
    local want=$1 text=$2 rc=$3 out=$4
    shift 4
    quote "$out"
    no_secret "the output of $1" "$out"
    expect "exit status of $*" "$rc" "$want"
    grep -qiF -- "$text" <<<"$out" || die "the output of $* does not say \"$text\""
}

# run_host_check: the way most people run a one-shot probe, on the host's network, against a
# loopback port where nothing listens.
run_host_check() {
    local out rc=0
    out=$("$CLI" run --rm --network host --no-healthcheck "$IMAGE" check --timeout 1s \
        tcp://127.0.0.1:1 2>&1 </dev/null) || rc=$?
    quote "$out"
    expect "exit status of check tcp://127.0.0.1:1 on the host network" "$rc" 1
    grep -q 'connection refused' <<<"$out" || die "check tcp://127.0.0.1:1: no 'connection refused'"
}

# An HTTPS server with a self-signed certificate for 127.0.0.1: probe must verify the peer
# against the image's CA bundle, /etc/ssl/certs/ca-certificates.crt, which is proved by
# mounting a bundle holding just this certificate over it.
tls_start() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=probe-image-test -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$WORK/tls.key" -out "$WORK/tls.crt" </dev/null >/dev/null 2>&1 ||
        die "openssl could not make a test certificate"
    chmod 0644 "$WORK/tls.crt"
    "${IN_NET[@]}" openssl s_server -accept "127.0.0.1:$TLS_PORT" -www \
        -cert "$WORK/tls.crt" -key "$WORK/tls.key" </dev/null >"$WORK/tls.log" 2>&1 9>&- &
    TLS_PID=$!
    wait_ready "$TLS_PID" "$WORK/tls.log" "openssl s_server" listen tls_listening
}

tls_listening() {
    "${IN_NET[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$TLS_PORT" 2>/dev/null
}

tls_stop() {
    [ -z "$TLS_PID" ] || kill "$TLS_PID" 2>/dev/null || true
    TLS_PID=
}

# The one-shot runs both engines make: version, a closed port on the host network, Redis up,
# and HTTPS verified against a mounted CA bundle and against the image's own.
oneshot_steps() {
    step "one-shot version" run_check 0 'probe ' version
    step "one-shot check, --network host: closed port -> 1" run_host_check
    step "one-shot check: redis up -> exit 0" run_check 0 PONG \
        check "redis://:\${REDIS_PASSWORD}@localhost:$REDIS_PORT"
    step "arm64 /probe under qemu: redis up -> exit 0" arm64_run ns 0 PONG \
        check "redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT"
    step "https server (openssl s_server)" tls_start
    step "one-shot check: https, our CA as the bundle -> 0" run_check 0 200 \
        -v "$WORK/tls.crt:/etc/ssl/certs/ca-certificates.crt:ro" \
        check "https://127.0.0.1:$TLS_PORT/"
    step "one-shot check: https, image's CA bundle -> 1" run_check 1 certificate \
        check "https://127.0.0.1:$TLS_PORT/"
}

# quote TEXT: show what a container printed, indented.
quote() {
    local line
    while IFS= read -r line; do say "   | $line"; done <<<"$1"
}

# no_secret WHAT TEXT: TEXT does not hold the Redis password (none before redis_conf).
no_secret() {
    [ -n "${REDIS_PASSWORD:-}" ] || return 0
    case "$2" in *"$REDIS_PASSWORD"*) die "$1 shows the Redis password" ;; esac
}

serve_logs() {
    local logs
    logs=$("$CLI" logs "$CTR" 2>&1)
    quote "$logs"
    no_secret "the container log" "$logs"
    grep -q 'check=cache state=down' <<<"$logs" || die "the log has no state=down line for cache"
    grep -q 'check=cache state=up' <<<"$logs" || die "the log has no state=up line for cache"
}
