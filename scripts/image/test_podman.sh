#!/usr/bin/env bash
# The image test on podman (scripts/image/test.sh picks the engine): build the Dockerfile with
# podman (no registry) and test the production image for real: its config, its files, its
# size, then `probe serve` with the image's own CMD and HEALTHCHECK against a real Redis that
# is stopped and started again, and one-shot `probe check` runs. Run as root; installs what
# it needs. Prints how long each step took.
#
# The Redis and the containers share a private network namespace that has only a loopback
# interface: the image's CMD listens on 0.0.0.0:8080 there, unchanged, without taking or
# exposing a port of the machine.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/image/checks.sh
. "$(dirname "$0")/checks.sh"

IMAGE=${IMAGE:-probe:test}
IMAGE_ARM64=${IMAGE_ARM64:-$IMAGE-arm64}
NS=probe-image-test-$$
CTR=probe-image-test-$$
CLI=pm
HC=.HealthCheck
IN_NET=(ip netns exec "$NS")
ONESHOT_NET=ns:/run/netns/$NS
WORK=
ARM64_DIR=$STATE/arm64

cleanup() {
    # One name a call: given a name that does not exist, podman 4.3 removes none of them.
    pm rm -f -t 0 "$CTR" >/dev/null 2>&1 || true
    pm rm -f -t 0 "$CTR-arm64" >/dev/null 2>&1 || true
    pm rmi "$IMAGE_ARM64" >/dev/null 2>&1 || true
    rm -rf "$ARM64_DIR"
    redis_stop
    tls_stop
    [ ! -e "/run/netns/$NS" ] || ip netns delete "$NS" || true
    [ -z "$WORK" ] || rm -rf "$WORK"
}

check_files() {
    local dir
    dir=$(pm image mount "$IMAGE")
    check_file_list "$dir"
    pm image unmount "$IMAGE" >/dev/null
}

# The namespace, and the Redis config in a fresh work directory.
netns_up() {
    WORK=$(mktemp -d /tmp/probe-image-test.XXXXXX)
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    redis_conf
}

# serve_start: the image as shipped (default CMD, HEALTHCHECK) with its targets from the
# environment, and a 1s round interval so a state change shows within a second.
serve_start() {
    local pid uid
    # Without systemd podman cannot time the health checks itself and says so; they are
    # run here with `podman healthcheck run`, as its timer would.
    pm run -d --name "$CTR" --network "$ONESHOT_NET" --health-interval disable -e REDIS_PASSWORD \
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
    say "engine: podman ($(podman --version 2>/dev/null | awk '{ print $NF }'))"
    local pkgs
    # The list is mk/image.mk's PKGS_IMAGE_PODMAN; this default is for a run without make.
    read -ra pkgs <<<"${PKGS_IMAGE_PODMAN:-podman runc debootstrap redis-server iproute2 openssl qemu-user-static file}"
    step "packages" need_pkgs "${pkgs[@]}"
    podman_setup
    lock
    step "base image $BASE_IMAGE" base_image
    step "podman build $IMAGE" build_image "$IMAGE"
    step "podman build $IMAGE_ARM64 (--platform $ARM64_PLATFORM)" \
        build_image "$IMAGE_ARM64" "$ARM64_PLATFORM"
    step "remove stale images of earlier builds" prune_stale
    step "image config" check_config
    step "image files" check_files
    step "image size" check_size
    step "image platform" check_platform "$IMAGE" "$NATIVE_PLATFORM"
    arm64_steps
    step "network namespace (loopback only)" netns_up
    step "redis-server start" redis_start
    oneshot_steps
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
    say "ok: $IMAGE and $IMAGE_ARM64 (engine: podman)"
}

trap 'rc=$?; cleanup; step_report $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
main
