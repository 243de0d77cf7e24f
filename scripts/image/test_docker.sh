#!/usr/bin/env bash
# The image test on a real Docker engine (scripts/image/test.sh picks the engine): a dockerd
# of its own under build/dk (docker_lib.sh), the base image imported from the local
# debootstrap tarball, the Dockerfile built with BuildKit (its apt cache mounts must work),
# then the production image tested as Docker users see it: `docker inspect` of the image's
# config, its files and size, and `probe serve` with the image's own CMD and HEALTHCHECK timed
# by moby's health runner: starting, healthy, unhealthy with probe's reason in
# .State.Health.Log when the real Redis stops, healthy again when it is back; then
# `docker stop`, timed. Exits 75 before testing anything when dockerd cannot start.
#
# The serve container gets a network namespace with only a loopback interface
# (--network none): the Redis and the HTTPS server are started in it from the host (nsenter),
# one-shot runs join it (--network container:), and the image's CMD listens on 0.0.0.0:8080
# there, unchanged, without taking a port of the machine.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/image/docker_lib.sh
. "$(dirname "$0")/docker_lib.sh"
# shellcheck source=scripts/image/checks.sh
. "$(dirname "$0")/checks.sh"

IMAGE=${IMAGE:-probe:test}
IMAGE_ARM64=${IMAGE_ARM64:-$IMAGE-arm64}
CTR=probe-image-test
CLI=dk
HC=.Config.Healthcheck
IN_NET=()
ONESHOT_NET=container:$CTR
WORK=$DK_DIR/work
ARM64_DIR=$DK_DIR/arm64
HEALTH_SEEN=0
declare -A HEALTH_RUNS=()

cleanup() {
    redis_stop
    tls_stop
    [ -z "$DOCKERD_PID" ] || dk rm -f "$CTR" "$CTR-arm64" >/dev/null 2>&1 || true
    dockerd_stop
}

# check_files: the image's layers (`docker save`) unpacked one over the other.
check_files() {
    local dir=$DK_DIR/save layer
    mkdir -p "$dir/rootfs"
    dk save "$IMAGE" | tar -x -C "$dir"
    for layer in $(jq -r '.[0].Layers[]' "$dir/manifest.json"); do
        tar -x --numeric-owner -p -C "$dir/rootfs" -f "$dir/$layer"
    done
    check_file_list "$dir/rootfs"
    rm -rf "$dir"
}

# ctr FORMAT: one field of the serve container's `docker inspect`.
ctr() { dk inspect --format "$1" "$CTR"; }

# serve_start: the image as shipped (default CMD, HEALTHCHECK with its own timing) with its
# targets from the environment and a 1s round interval, before Redis runs: health starts
# as "starting". It runs as the image's user, not root: the config, `docker top` and the
# kernel say so.
serve_start() {
    local pid top
    dk run -d --name "$CTR" --network none -e REDIS_PASSWORD \
        -e "PROBE_TARGETS=cache=redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT/0" \
        -e PROBE_INTERVAL=1s "$IMAGE" </dev/null >/dev/null
    pid=$(ctr '{{.State.Pid}}')
    [ "$pid" -gt 0 ] || die "container $CTR is not running: $(dk logs "$CTR" 2>&1 | tail -n 1)"
    IN_NET=(nsenter -t "$pid" -n)
    expect "health status at the start" "$(ctr '{{.State.Health.Status}}')" starting
    expect "the container's .Config.User" "$(ctr '{{.Config.User}}')" 65532:65532
    top=$(dk top "$CTR" -o pid,uid,gid,comm | awk 'NR == 2 { print $2 ":" $3, $4 }')
    expect "docker top's uid:gid and command" "$top" "65532:65532 probe"
    expect "Uid and Gid of pid $pid" "$(awk '/^(Uid|Gid):/ { printf "%s ", $2 }' \
        "/proc/$pid/status")" "65532 65532 "
    say "probe serve runs as pid $pid (on the machine), uid 65532; health: starting"
}

# health_record: every run in .State.Health.Log (moby keeps the last 5) is checked once:
# exit code 0 or 1 only (moby's own -1 for a timeout would mean probe missed its deadline,
# and 2 is reserved), and an output under the 4096 bytes moby cuts it at.
health_record() {
    local start code len
    while IFS='|' read -r start code len; do
        [ -n "$start" ] && [ -z "${HEALTH_RUNS[$start]:-}" ] || continue
        HEALTH_RUNS[$start]=$code
        HEALTH_SEEN=$((HEALTH_SEEN + 1))
        case $code in 0 | 1) ;; *) die "a health check exited $code, want 0 or 1" ;; esac
        [ "$len" -lt 4096 ] || die "a health check printed $len bytes: moby cuts at 4096"
    done < <(ctr '{{json .State.Health.Log}}' |
        jq -r '.[]? | "\(.Start)|\(.ExitCode)|\(.Output | utf8bytelength)"')
}

# The output of the last health-check run, as `docker inspect` shows it.
health_output() {
    ctr '{{json .State.Health.Log}}' | jq -r '.[-1]?.Output // ""'
}

# health_until WANT SECONDS [TEXT]: .State.Health.Status becomes WANT within SECONDS, as
# moby's runner decides it from the image's HEALTHCHECK (every 10s, unhealthy after 3
# failures in a row); the last run's output then says TEXT.
health_until() {
    local want=$1 text=${3:-} t0=${EPOCHREALTIME/./} ms=0 status out
    while [ "$ms" -lt $(($2 * 1000)) ]; do
        health_record
        status=$(ctr '{{.State.Health.Status}}')
        ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
        if [ "$status" = "$want" ]; then
            out=$(health_output)
            say "health: $want after ${ms}ms, failing streak" \
                "$(ctr '{{.State.Health.FailingStreak}}'); the last run's output:"
            quote "$out"
            [ -z "$text" ] || grep -qF -- "$text" <<<"$out" ||
                die ".State.Health.Log's last output does not say \"$text\""
            no_secret ".State.Health.Log" "$(ctr '{{json .State.Health}}')"
            return 0
        fi
        sleep 0.5
    done
    die "health is $status after $2s, want $want (last output: $(health_output | head -n 1))"
}

health_summary() {
    health_record
    say "health runs seen: $HEALTH_SEEN, every exit code 0 or 1, every output under 4096 bytes"
}

# serve_stop: `docker stop` sends SIGTERM to probe as PID 1 (no init in the image); it must
# end at once with exit 0, well before the 10s after which docker would SIGKILL it.
serve_stop() {
    local t0=${EPOCHREALTIME/./} ms code
    dk stop -t 10 "$CTR" >/dev/null
    ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
    code=$(ctr '{{.State.ExitCode}} {{.State.OOMKilled}}')
    expect "exit status of probe serve after docker stop (and OOM-killed)" "$code" "0 false"
    [ "$ms" -lt 1000 ] || die "docker stop took ${ms}ms, want under 1000ms"
    say "docker stop: exit 0 after ${ms}ms"
}

main() {
    local pkgs
    # The list is mk/image.mk's PKGS_IMAGE_DOCKER; this default is for a run without make.
    read -ra pkgs <<<"${PKGS_IMAGE_DOCKER:-docker.io debootstrap redis-server util-linux procps openssl jq qemu-user-static file}"
    step "packages" need_pkgs "${pkgs[@]}"
    mkdir -p "$STATE"
    lock
    step "dockerd start" dockerd_start
    say "engine: docker (dockerd $(dk version --format '{{.Server.Version}}'), BuildKit," \
        "storage vfs, under $DK_DIR)"
    step "base image $BASE_IMAGE" dk_base_image
    step "docker build $IMAGE (BuildKit)" dk_build "$IMAGE"
    step "BuildKit cache mounts (RUN --mount=type=cache)" dk_cache_mounts
    step "image config (docker image inspect)" check_config
    step "image files (docker save)" check_files
    step "image size" check_size
    step "image platform" check_platform "$IMAGE" "$NATIVE_PLATFORM"
    step "docker build $IMAGE_ARM64 (BuildKit, --platform $ARM64_PLATFORM)" \
        dk_build "$IMAGE_ARM64" "$ARM64_PLATFORM"
    arm64_steps
    redis_conf
    step "serve: start the image as shipped, health starting" serve_start
    step "redis-server start (in the container's namespace)" redis_start
    oneshot_steps
    step "health: healthy (moby's runner, every 10s)" health_until healthy 30 ready
    step "stop redis-server" redis_stop
    step "health: unhealthy after 3 failures, reason in the log" health_until unhealthy 60 \
        'not ready: cache (connect)'
    step "one-shot check: redis down -> exit 1" run_check 1 'connection refused' \
        check --timeout 1s "redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT"
    step "start redis-server again" redis_start
    step "health: healthy again" health_until healthy 30 ready
    step "health log: exit codes and output sizes" health_summary
    step "serve: docker stop" serve_stop
    step "serve: log shows the state changes, no password" serve_logs
    say "ok: $IMAGE and $IMAGE_ARM64 (engine: docker)"
}

trap 'rc=$?; cleanup; step_report $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
main
