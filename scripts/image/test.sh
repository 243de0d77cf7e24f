#!/usr/bin/env bash
# make image-test: build the Dockerfile with podman (no registry) and test the production
# image for real: its config, its files, its size, then `probe serve` with the image's own
# CMD and HEALTHCHECK against a real Redis that is stopped and started again, and one-shot
# `probe check` runs. Run as root; installs what it needs. Prints how long each step took.
#
# The Redis and the containers share a private network namespace that has only a loopback
# interface: the image's CMD listens on 0.0.0.0:8080 there, unchanged, without taking or
# exposing a port of the machine.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"

IMAGE=${IMAGE:-probe:test}
IMAGE_MAX_BYTES=${IMAGE_MAX_BYTES:-15000000}
NS=probe-image-test-$$
NET=ns:/run/netns/$NS
CTR=probe-image-test-$$
REDIS_PORT=6379
TLS_PORT=8443
WORK=
REDIS_PID=
TLS_PID=

cleanup() {
    pm rm -f -t 0 "$CTR" >/dev/null 2>&1 || true
    redis_stop
    [ -z "$TLS_PID" ] || kill "$TLS_PID" 2>/dev/null || true
    [ ! -e "/run/netns/$NS" ] || ip netns delete "$NS" || true
    [ -z "$WORK" ] || rm -rf "$WORK"
}

# expect NAME GOT WANT: one line saying what differs.
expect() {
    [ "$2" = "$3" ] || die "$1 is $2, want $3"
}

# field FORMAT: one field of the image's config.
field() { pm image inspect --format "$1" "$IMAGE"; }

check_config() {
    expect "ENTRYPOINT" "$(field '{{json .Config.Entrypoint}}')" '["/probe"]'
    expect "CMD" "$(field '{{json .Config.Cmd}}')" '["serve","--listen","0.0.0.0:8080"]'
    expect "USER" "$(field '{{.Config.User}}')" "65532:65532"
    expect "EXPOSE" "$(field '{{json .Config.ExposedPorts}}')" '{"8080/tcp":{}}'
    expect "HEALTHCHECK" "$(field '{{json .HealthCheck.Test}}')" \
        '["CMD","/probe","check","--timeout","2s","http://127.0.0.1:8080/ready"]'
    expect "HEALTHCHECK interval, timeout, start period, retries" "$(field '{{with .HealthCheck}}
        {{- .Interval}} {{.Timeout}} {{.StartPeriod}} {{.Retries}}{{end}}')" "10s 3s 5s 3"
    say "ENTRYPOINT/CMD exec form, USER 65532:65532, EXPOSE 8080, HEALTHCHECK: as specified"
}

# check_files: the image holds exactly the binary, the CA bundle, passwd and group, owned by
# root so the probe user cannot change them.
check_files() {
    local dir got want
    dir=$(pm image mount "$IMAGE")
    got=$(cd "$dir" && find . -mindepth 1 -printf '%p %U:%G %m\n' | sort)
    pm image unmount "$IMAGE" >/dev/null
    want=$(printf '%s\n' './etc 0:0 755' './etc/group 0:0 644' './etc/passwd 0:0 644' \
        './etc/ssl 0:0 755' './etc/ssl/certs 0:0 755' \
        './etc/ssl/certs/ca-certificates.crt 0:0 644' './probe 0:0 755')
    [ "$got" = "$want" ] || die "unexpected files in the image: $(tr '\n' ',' <<<"$got")"
    say "files: /probe, /etc/passwd, /etc/group, /etc/ssl/certs/ca-certificates.crt (root-owned)"
}

check_size() {
    local size
    size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
    say "size: $size bytes ($((size / 1000)) kB), limit $IMAGE_MAX_BYTES"
    [ "$size" -lt "$IMAGE_MAX_BYTES" ] || die "the image is $size bytes, over $IMAGE_MAX_BYTES"
}

# The namespace, and the Redis config: requirepass from a random password that reaches probe
# only through the container's environment, as ${REDIS_PASSWORD} in the target.
netns_up() {
    WORK=$(mktemp -d /tmp/probe-image-test.XXXXXX)
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    REDIS_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    export REDIS_PASSWORD
    (
        umask 077
        printf '%s\n' "bind 127.0.0.1 -::1" "port $REDIS_PORT" "requirepass $REDIS_PASSWORD" \
            'save ""' "appendonly no" "dir $WORK" "daemonize no" >"$WORK/redis.conf"
    )
}

redis_start() {
    local _
    ip netns exec "$NS" redis-server "$WORK/redis.conf" >"$WORK/redis.log" 2>&1 </dev/null 9>&- &
    REDIS_PID=$!
    for _ in $(seq 50); do
        if REDISCLI_AUTH=$REDIS_PASSWORD ip netns exec "$NS" \
            redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
            return 0
        fi
        kill -0 "$REDIS_PID" 2>/dev/null ||
            die "redis-server exited: $(tail -n 1 "$WORK/redis.log")"
        sleep 0.1
    done
    die "redis-server did not answer PING within 5s"
}

redis_stop() {
    [ -n "$REDIS_PID" ] || return 0
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
}

# run_check WANT_RC WANT_TEXT [PODMAN_OPTION...] ARGS...: a one-shot `podman run --rm IMAGE
# ARGS` in the namespace (ARGS start with the command, `check`); it must exit WANT_RC and
# print WANT_TEXT (any case), and never the password.
run_check() {
    local want=$1 text=$2 opts=() out rc=0
    shift 2
    while [ "$1" != check ] && [ "$1" != version ]; do
        opts+=("$1")
        shift
    done
    out=$(pm run --rm --network "$NET" --no-healthcheck -e REDIS_PASSWORD "${opts[@]}" \
        "$IMAGE" "$@" 2>&1 </dev/null) || rc=$?
    quote "$out"
    no_secret "the output of $1" "$out"
    expect "exit status of $*" "$rc" "$want"
    grep -qiF -- "$text" <<<"$out" || die "the output of $* does not say \"$text\""
}

# run_host_check: the way most people run a one-shot probe, on the host's network, against a
# loopback port where nothing listens.
run_host_check() {
    local out rc=0
    out=$(pm run --rm --network host --no-healthcheck "$IMAGE" check --timeout 1s \
        tcp://127.0.0.1:1 2>&1 </dev/null) || rc=$?
    quote "$out"
    expect "exit status of check tcp://127.0.0.1:1 on the host network" "$rc" 1
    grep -q 'connection refused' <<<"$out" || die "check tcp://127.0.0.1:1: no 'connection refused'"
}

# An HTTPS server with a self-signed certificate for 127.0.0.1: probe must verify the peer
# against the image's CA bundle, /etc/ssl/certs/ca-certificates.crt, which is proved by
# mounting a bundle holding just this certificate over it.
tls_start() {
    local _
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=probe-image-test -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$WORK/tls.key" -out "$WORK/tls.crt" </dev/null >/dev/null 2>&1 ||
        die "openssl could not make a test certificate"
    chmod 0644 "$WORK/tls.crt"
    ip netns exec "$NS" openssl s_server -accept "127.0.0.1:$TLS_PORT" -www \
        -cert "$WORK/tls.crt" -key "$WORK/tls.key" </dev/null >"$WORK/tls.log" 2>&1 9>&- &
    TLS_PID=$!
    for _ in $(seq 50); do
        ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$TLS_PORT" 2>/dev/null && return 0
        kill -0 "$TLS_PID" 2>/dev/null ||
            die "openssl s_server exited: $(tail -n 1 "$WORK/tls.log")"
        sleep 0.1
    done
    die "openssl s_server did not listen within 5s"
}

# quote TEXT: show what a container printed, indented.
quote() {
    local line
    while IFS= read -r line; do say "   | $line"; done <<<"$1"
}

no_secret() {
    case "$2" in *"$REDIS_PASSWORD"*) die "$1 shows the Redis password" ;; esac
}

# serve_start: the image as shipped (default CMD, HEALTHCHECK) with its targets from the
# environment, and a 1s round interval so a state change shows within a second.
serve_start() {
    local pid uid
    # Without systemd podman cannot time the health checks itself and says so; they are
    # run here with `podman healthcheck run`, as its timer would.
    pm run -d --name "$CTR" --network "$NET" --health-interval disable -e REDIS_PASSWORD \
        -e "PROBE_TARGETS=cache=redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT/0" \
        -e PROBE_INTERVAL=1s "$IMAGE" </dev/null >/dev/null 2>"$WORK/run.err" ||
        die "podman run $IMAGE failed: $(grep -v 'systemd connection' "$WORK/run.err" | tail -n 1)"
    grep -v 'systemd connection' "$WORK/run.err" >&2 || true
    pid=$(pm inspect --format '{{.State.Pid}}' "$CTR")
    [ "$pid" -gt 0 ] || die "container $CTR is not running: $(pm logs "$CTR" 2>&1 | tail -n 1)"
    uid=$(awk '/^Uid:/ { print $2 ":" $3 }' "/proc/$pid/status")
    expect "uid of probe serve in the container" "$uid" "65532:65532"
    say "probe serve runs as pid $pid (on the machine), uid 65532"
}

# health_until WANT SECONDS: run the image's HEALTHCHECK (`podman healthcheck run`) until
# it answers WANT (healthy: exit 0, unhealthy: exit 1), for at most SECONDS.
health_until() {
    local want=$1 t0=${EPOCHREALTIME/./} ms=0 out rc code=0
    [ "$want" = healthy ] || code=1
    while [ "$ms" -lt $(($2 * 1000)) ]; do
        rc=0
        out=$(pm healthcheck run "$CTR" 2>&1 </dev/null) || rc=$?
        ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
        if [ "$rc" = "$code" ]; then
            say "healthcheck: $want after ${ms}ms: $(health_output)"
            return 0
        fi
        sleep 0.1
    done
    die "healthcheck not $want after $2s (last: exit $rc, $out; $(health_output))"
}

# The output of the last health-check run, as podman keeps it (what docker inspect shows).
health_output() {
    pm inspect --format '{{range .State.Health.Log}}{{println .Output}}{{end}}' "$CTR" |
        grep . | tail -n 1 | tr -s ' ' || true
}

# health_status_unhealthy: podman's own verdict, which counts failures only after the
# start period (5s) and turns unhealthy after 3 in a row (retries).
health_status_unhealthy() {
    local _ status
    for _ in $(seq 100); do
        pm healthcheck run "$CTR" >/dev/null 2>&1 </dev/null || true
        status=$(pm inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' \
            "$CTR")
        case $status in unhealthy*)
            say "health status: unhealthy, failing streak ${status#* }"
            return 0
            ;;
        esac
        sleep 0.2
    done
    die "health status is $status after 20s of failing checks, want unhealthy"
}

serve_logs() {
    local logs
    logs=$(pm logs "$CTR" 2>&1)
    quote "$logs"
    no_secret "the container log" "$logs"
    grep -q 'check=cache state=down' <<<"$logs" || die "the log has no state=down line for cache"
    grep -q 'check=cache state=up' <<<"$logs" || die "the log has no state=up line for cache"
}

# serve_stop: SIGTERM to probe as PID 1 (no init in the image) must end it, exit 0, at once.
serve_stop() {
    local t0=${EPOCHREALTIME/./} ms code
    pm stop -t 10 "$CTR" >/dev/null 2>"$WORK/stop.err" ||
        die "podman stop failed: $(grep -v 'systemd connection' "$WORK/stop.err" | tail -n 1)"
    grep -v 'systemd connection' "$WORK/stop.err" >&2 || true
    ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
    code=$(pm inspect --format '{{.State.ExitCode}}' "$CTR")
    expect "exit status of probe serve after SIGTERM" "$code" 0
    [ "$ms" -lt 5000 ] || die "podman stop took ${ms}ms: probe did not stop on SIGTERM"
    say "podman stop: exit 0 after ${ms}ms"
}

main() {
    step "packages" need_pkgs podman runc debootstrap redis-server iproute2 openssl
    podman_setup
    lock
    step "base image $BASE_IMAGE" base_image
    step "podman build $IMAGE" build_image "$IMAGE"
    step "remove stale images of earlier builds" prune_stale
    step "image config" check_config
    step "image files" check_files
    step "image size" check_size
    step "network namespace (loopback only)" netns_up
    step "one-shot version" run_check 0 'probe ' version
    step "one-shot check, --network host: closed port -> 1" run_host_check
    step "redis-server start" redis_start
    step "one-shot check: redis up -> exit 0" run_check 0 PONG \
        check "redis://:\${REDIS_PASSWORD}@localhost:$REDIS_PORT"
    step "https server (openssl s_server)" tls_start
    step "one-shot check: https, our CA as the bundle -> 0" run_check 0 200 \
        -v "$WORK/tls.crt:/etc/ssl/certs/ca-certificates.crt:ro" \
        check "https://127.0.0.1:$TLS_PORT/"
    step "one-shot check: https, image's CA bundle -> 1" run_check 1 certificate \
        check "https://127.0.0.1:$TLS_PORT/"
    step "serve: start the image as shipped" serve_start
    step "healthcheck passes" health_until healthy 10
    step "stop redis-server" redis_stop
    step "healthcheck fails after the next round" health_until unhealthy 10
    step "health status turns unhealthy (retries=3)" health_status_unhealthy
    step "one-shot check: redis down -> exit 1" run_check 1 'connection refused' \
        check --timeout 1s "redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT"
    step "start redis-server again" redis_start
    step "healthcheck passes again" health_until healthy 10
    step "serve: SIGTERM" serve_stop
    step "serve: log shows the state changes, no password" serve_logs
    say "ok: $IMAGE"
}

trap 'rc=$?; cleanup; step_report $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
main
