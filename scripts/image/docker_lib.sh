# shellcheck shell=bash
# Sourced by scripts/image/test_docker.sh after lib.sh: a Docker engine (Debian's docker.io,
# moby 20.10) that the test starts itself and removes afterwards, everything under $DK_DIR.
#
# dockerd runs in a mount namespace of its own with a tmpfs on /run: moby 20.10 keeps plugin
# state in /run/docker/plugins and containerd's shims put their sockets in /run/containerd/s,
# whatever --exec-root says, so nothing of it reaches the machine's /run, and every mount the
# engine makes goes away with the namespace. Its trust key (/etc/docker/key.json by default)
# is kept in $DK_DIR by the daemon config; no iptables, no IP forwarding, no bridge, and the
# containers' cgroups under a parent named after $DK_DIR, removed at the end. The client is
# /usr/bin/docker (the 20.10 client, which drives the daemon's BuildKit without buildx) with
# its config in $DK_DIR/client, so nothing is written to ~/.docker.

DK_DIR=${PROBE_DOCKER_DIR:-$ROOT/build/dk}
DK_SOCK=$DK_DIR/docker.sock
DK_CGROUP=probe-dk-$(printf '%s' "$DK_DIR" | cksum | cut -d' ' -f1)
DOCKER=/usr/bin/docker
# DOCKERD=false stands for a machine where dockerd cannot run (how the fallback is tested).
DOCKERD=${DOCKERD:-dockerd}
DOCKERD_PID=

export DOCKER_HOST=unix://$DK_SOCK DOCKER_CONFIG=$DK_DIR/client DOCKER_BUILDKIT=1
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION

# dk ARGS...: the docker client on this engine. Descriptor 9 (the lock) is not passed on.
dk() { "$DOCKER" "$@" 9>&-; }

# dk_kill_pids SIGNAL PID...: signal the live ones; what is gone is skipped.
dk_kill_pids() {
    local sig=$1 pid
    shift
    for pid in "$@"; do kill "-$sig" "$pid" 2>/dev/null || true; done
}

# dk_pids: every process of an earlier or this run: the daemon and containerd, the shims
# and servers whose command line names $DK_DIR, and whatever is in the containers' cgroups.
dk_pids() {
    local f pid
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] || continue
        { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "$DK_DIR/" && echo "$pid"
    done
    find /sys/fs/cgroup -path "*/$DK_CGROUP/*" -name cgroup.procs -exec cat {} + 2>/dev/null
}

# dk_sweep: end every process dk_pids finds (TERM, then KILL after 5s), lazily unmount what
# is mounted under $DK_DIR in our namespace, remove the containers' cgroups and $DK_DIR.
# The start of a run calls it too, so a run that was killed leaves nothing in the next's way.
dk_sweep() {
    local pids _ m
    mapfile -t pids < <(dk_pids | sort -u)
    if [ ${#pids[@]} -gt 0 ]; then
        dk_kill_pids TERM "${pids[@]}"
        for _ in $(seq 50); do
            mapfile -t pids < <(dk_pids | sort -u)
            [ ${#pids[@]} -gt 0 ] || break
            sleep 0.1
        done
        [ ${#pids[@]} = 0 ] || dk_kill_pids KILL "${pids[@]}"
    fi
    awk -v d="$DK_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    find /sys/fs/cgroup -depth -type d -path "*/$DK_CGROUP*" -exec rmdir {} + 2>/dev/null || true
    rm -rf "$DK_DIR"
}

# dockerd_start: a fresh engine on $DK_SOCK within 30s, or exit 75 (the caller's cue to use
# podman) saying why.
dockerd_start() {
    local _ probe_path=$DK_DIR/exec/containerd/containerd.sock.ttrpc
    [ ${#probe_path} -lt 100 ] || {
        say "dockerd cannot start: $DK_DIR is too long for its sockets (108 bytes); set" \
            "PROBE_DOCKER_DIR to a shorter directory"
        exit 75
    }
    command -v "$DOCKERD" >/dev/null && [ -x "$DOCKER" ] || {
        say "dockerd cannot start: $DOCKERD or $DOCKER is missing"
        exit 75
    }
    [ ! -e "$DK_DIR" ] || say "removing what an earlier run left in $DK_DIR"
    dk_sweep
    mkdir -p "$DK_DIR/data" "$DK_DIR/exec" "$DK_DIR/client" "$DK_DIR/work"
    printf '{"deprecated-key-path": "%s"}\n' "$DK_DIR/key.json" >"$DK_DIR/daemon.json"
    # shellcheck disable=SC2016
    unshare --mount --propagation private -- sh -c 'mount -t tmpfs -o mode=0755 probe-dk /run &&
        exec "$@"' sh "$DOCKERD" --config-file "$DK_DIR/daemon.json" \
        --pidfile "$DK_DIR/docker.pid" --data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" \
        -H "unix://$DK_SOCK" --storage-driver vfs --bridge none --iptables=false \
        --ip6tables=false --ip-forward=false --ip-masq=false --cgroup-parent "/$DK_CGROUP" \
        --exec-opt native.cgroupdriver=cgroupfs </dev/null >"$DK_DIR/dockerd.log" 2>&1 9>&- &
    DOCKERD_PID=$!
    for _ in $(seq 300); do
        dk version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
        if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
            say "dockerd cannot start: $({ grep -i 'level=\(error\|fatal\)\|failed' \
                "$DK_DIR/dockerd.log" || echo "$DOCKERD exited"; } | tail -n 1 | cut -c1-300)"
            exit 75
        fi
        sleep 0.1
    done
    say "dockerd cannot start: no answer on $DK_SOCK within 30s"
    exit 75
}

# dockerd_stop: the engine's own shutdown (it stops its containers and containerd), then
# the sweep for anything left and the removal of $DK_DIR.
dockerd_stop() {
    local _ t0=${EPOCHREALTIME/./}
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        kill -TERM "$DOCKERD_PID" 2>/dev/null || true
        for _ in $(seq 150); do
            kill -0 "$DOCKERD_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    DOCKERD_PID=
    dk_sweep
    say "engine stopped, $DK_DIR removed in $(((${EPOCHREALTIME/./} - t0) / 1000))ms"
}

# dk_base_image: the local debootstrap rootfs (lib.sh's base_tar) as $BASE_IMAGE.
dk_base_image() {
    base_tar
    dk import --change 'CMD ["bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
    say "$BASE_IMAGE: imported from $BASE_TAR"
}

# dk_build TAG [PLATFORM]: the Dockerfile with BuildKit, on the host's network (there is no
# bridge), logged to $STATE/docker-build.log, which outlives $DK_DIR; for another PLATFORM
# (linux/arm64, BuildKit sets BUILDPLATFORM and TARGETARCH) to docker-build-arm64.log.
dk_build() {
    local platform=${2:-} log=$STATE/docker-build.log
    [ -z "$platform" ] || log=$STATE/docker-build-${platform#*/}.log
    run_build docker "$log" buildkit_step_times "$DOCKER" build \
        --network host --progress plain ${platform:+--platform "$platform"} \
        --build-arg "DEBIAN_VERSION=$DEBIAN_VERSION" -t "$1" -f "$ROOT/Dockerfile" "$ROOT"
}

# buildkit_step_times: from a stamped `--progress plain` log, each "#N [stage i/n] STEP"
# with the time BuildKit gives it, or "(cached)", in the order they finished.
buildkit_step_times() {
    awk '
        $2 ~ /^#[0-9]+$/ && $3 ~ /^\[/ && !($2 in name) {
            s = substr($0, index($0, $3))
            name[$2] = length(s) > 100 ? substr(s, 1, 97) "..." : s
        }
        $2 ~ /^#[0-9]+$/ && ($2 in name) && $3 == "CACHED" {
            printf "image:         (cached) %s\n", name[$2]
        }
        $2 ~ /^#[0-9]+$/ && ($2 in name) && ($3 == "DONE" || $3 == "ERROR") {
            printf "image:      %6s %s%s\n", $4, ($3 == "ERROR" ? "FAILED " : ""), name[$2]
        }
    ' >&2
}

# dk_cache_mounts: the apt caches of the base stage are BuildKit cache mounts
# (RUN --mount=type=cache): after the build the engine holds them as exec.cachemount
# records with the downloaded packages in them, not as part of any layer.
dk_cache_mounts() {
    local rows
    rows=$(dk system df -v | awk '$2 == "exec.cachemount"')
    [ -n "$rows" ] || die "no exec.cachemount in the build cache: RUN --mount=type=cache unused"
    quote "$rows"
    awk '$3 ~ /^0B?$/ { bad = 1 } END { exit bad }' <<<"$rows" ||
        die "an apt cache mount is empty after the build"
    say "BuildKit cache mounts: $(wc -l <<<"$rows") (apt archives and lists)"
}
