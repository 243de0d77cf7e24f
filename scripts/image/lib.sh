# shellcheck shell=bash
# Shared by scripts/image/*.sh: where podman keeps its state for this project, and how it is
# called. Sourced, not run.
#
# Podman here runs rootful with its own store under build/image/ (vfs driver, runc, no
# default rlimits), so it never touches or depends on the machine's /var/lib/containers and
# `make clean` removes it all. No registry is ever contacted: the Debian base image is made
# locally with debootstrap and builds run with --pull=never.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${PROBE_IMAGE_STATE:-$ROOT/build/image}
DEBIAN_VERSION=${DEBIAN_VERSION:-bookworm}
BASE_IMAGE=debian:$DEBIAN_VERSION-slim
NATIVE_PLATFORM=linux/$(dpkg --print-architecture)

export CONTAINERS_CONF=$STATE/containers.conf

TIMINGS=()
STEP_NAME=

say() { printf '%s\n' "image: $*" >&2; }
die() { printf '%s\n' "image: error: $*" >&2; exit 1; }

# pm ARGS...: podman with this project's store and runtime settings. Every call goes here.
# Descriptor 9 is the lock (see lock): conmon would otherwise inherit it and could outlive us.
PM=(podman --root "$STATE/storage" --runroot "$STATE/run" --tmpdir "$STATE/tmp"
    --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend file)
pm() { "${PM[@]}" "$@" 9>&-; }

# step NAME CMD...: run CMD and record how long it took. CMD runs as a plain statement so
# `set -e` still applies inside it; when it fails, step_report (on EXIT) names the step.
step() {
    STEP_NAME=$1
    STEP_T0=${EPOCHREALTIME/./}
    shift
    say "-- $STEP_NAME"
    "$@"
    step_record ok
}

step_record() {
    local ms=$(((${EPOCHREALTIME/./} - STEP_T0) / 1000))
    TIMINGS+=("$(printf '%-50s %5d.%01ds %s' "$STEP_NAME" $((ms / 1000)) $((ms % 1000 / 100)) \
        "$1")")
    say "   ${TIMINGS[-1]}"
    STEP_NAME=
}

# step_report RC: called from the EXIT trap; prints the timings and, on failure, which step.
step_report() {
    local rc=$1 failed=${STEP_NAME:-} line
    [ -z "$failed" ] || step_record FAILED
    say "timings:"
    for line in "${TIMINGS[@]}"; do say "   $line"; done
    [ "$rc" = 0 ] || say "FAILED: ${failed:-setup} (exit $rc)"
}

# need_pkgs PKG...: install the missing Debian packages (as root), like `make deps-*`.
need_pkgs() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root to install)"
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

# podman_setup: the config podman needs here, written once. crun and podman's default
# rlimits both fail on this kind of machine; runc with no default ulimits works.
podman_setup() {
    [ "$(id -u)" = 0 ] || die "podman runs rootful here: run as root"
    mkdir -p "$STATE/storage" "$STATE/run" "$STATE/tmp"
    printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
}

# lock: one image build or test at a time per store. Held on descriptor 9 until we exit;
# nothing started in the background may inherit it (9>&-).
lock() {
    exec 9>"$STATE/lock"
    flock -n 9 || die "another image build or test is using $STATE (lock held)"
}

# base_image: the local $BASE_IMAGE the Dockerfile starts FROM, made with debootstrap (from
# its default mirror, or DEBIAN_MIRROR when set), since nothing is pulled from a registry.
# Skipped when the image exists; the rootfs tarball is kept too, so after `podman rmi` it is
# re-imported in seconds. Made to look like Debian's slim image: no docs, man pages or
# locales (now or when packages are installed later), no apt lists, no downloaded packages.
base_image() {
    if pm image exists "$BASE_IMAGE"; then
        say "$BASE_IMAGE: present"
        return 0
    fi
    base_tar
    pm import --quiet --change 'CMD ["bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
    say "$BASE_IMAGE: imported from $BASE_TAR"
}

# base_tar: $BASE_TAR, the slim debootstrap rootfs both engines import as $BASE_IMAGE; made
# once and kept in $STATE.
BASE_TAR=$STATE/$DEBIAN_VERSION-minbase.tar
base_tar() {
    local tar=$BASE_TAR dir=$STATE/rootfs.tmp
    mkdir -p "$STATE"
    if [ ! -s "$tar" ]; then
        rm -rf "$dir"
        debootstrap --variant=minbase "$DEBIAN_VERSION" "$dir" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} \
            </dev/null >"$STATE/debootstrap.log" 2>&1 ||
            die "debootstrap $DEBIAN_VERSION failed: see $STATE/debootstrap.log"
        slim_rootfs "$dir"
        tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
        mv "$tar.tmp" "$tar"
        rm -rf "$dir"
    fi
}

slim_rootfs() {
    local dir=$1
    cat >"$dir/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
    echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/no-languages"
    find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    rm -rf "${dir:?}"/usr/share/man/* "${dir:?}"/usr/share/info/* "${dir:?}"/usr/share/locale/*
    rm -rf "${dir:?}"/var/lib/apt/lists/* "${dir:?}"/var/cache/apt/*.bin \
        "${dir:?}"/var/cache/apt/archives/*.deb
    rm -rf "${dir:?}"/var/log/* "${dir:?}"/tmp/* "${dir:?}"/dev/*
}

# build_image TAG [PLATFORM]: podman build of the Dockerfile, no pulls, docker format (the
# OCI format has no HEALTHCHECK), logged to $STATE/build.log, or for another PLATFORM
# (linux/arm64) to $STATE/build-arm64.log. Podman 4.3 sets TARGETARCH from --platform but not
# BUILDPLATFORM, which the build stages' FROM needs: it is passed, the machine's own.
build_image() {
    local platform=${2:-} log=$STATE/build.log
    [ -z "$platform" ] || log=$STATE/build-${platform#*/}.log
    run_build podman "$log" step_times "${PM[@]}" build \
        --isolation chroot --pull=never --format docker --layers --force-rm \
        ${platform:+--platform "$platform" --build-arg "BUILDPLATFORM=$NATIVE_PLATFORM"} \
        --build-arg "DEBIAN_VERSION=$DEBIAN_VERSION" -t "$1" -f "$ROOT/Dockerfile" "$ROOT"
}

# run_build ENGINE LOG STEP_TIMES CMD...: an image build, bounded by IMAGE_BUILD_TIMEOUT
# seconds. Its output goes to LOG with the seconds since the start on each line; STEP_TIMES
# then reads LOG and says how long each Dockerfile step took; the log's end is shown when
# the build fails.
run_build() {
    local engine=$1 log=$2 times=$3 rc=0 limit=${IMAGE_BUILD_TIMEOUT:-2700}
    shift 3
    timeout -k 30 "$limit" "$@" </dev/null 9>&- 2>&1 | stamp_lines >"$log" || rc=$?
    "$times" <"$log"
    if [ "$rc" != 0 ]; then
        tail -n 60 "$log" >&2
        [ "$rc" != 124 ] || die "$engine build timed out after ${limit}s (log: $log)"
        die "$engine build failed (exit $rc; log: $log)"
    fi
}

# prune_stale: vfs stores every layer as a full copy of its root filesystem, so each
# rebuild after a source change adds gigabytes. Remove the untagged images that the last
# build of each platform ($STATE/build.log, build-arm64.log) neither made nor took from the
# cache: leftovers of earlier builds. Leaves first, so a stale chain goes up to where it
# joins this build's.
prune_stale() {
    local keep id removed n=0
    keep=" $(awk '$2 == "-->" { id = ($3 == "Using" ? $5 : $3); print substr(id, 1, 11) }' \
        "$STATE"/build*.log | tr '\n' ' ')"
    while :; do
        removed=0
        for id in $(pm images --all --quiet --filter dangling=true); do
            case $keep in *" ${id:0:11} "*) continue ;; esac
            pm rmi "$id" >/dev/null 2>&1 && removed=$((removed + 1))
        done
        n=$((n + removed))
        [ "$removed" -gt 0 ] || break
    done
    say "removed $n stale images and the layers only they used;" \
        "store now $(du -sh "$STATE/storage" | cut -f1)"
}

stamp_lines() {
    local t0=${EPOCHREALTIME/./} line ms
    while IFS= read -r line; do
        ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
        printf '%5d.%01d %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$line"
    done
}

# step_times: from a stamped build log, each "[stage] STEP" line with the time until the next
# one; "cached" when the layer cache answered it. A stage that another one copies from is
# built when that COPY comes up, so its steps are listed inside the copying stage's.
step_times() {
    awk '
        function flush(t) {
            if (step != "")
                printf "image:      %6.1fs %s%s\n", t - start, (cached ? "(cached) " : ""), step
            step = ""
        }
        $2 ~ /^\[[0-9]+\/[0-9]+\]$/ && $3 == "STEP" {
            flush($1); start = $1; cached = 0; first = 1
            step = substr($0, index($0, $2))
            if (length(step) > 100) step = substr(step, 1, 97) "..."
            next
        }
        first && $2 == "-->" && $3 == "Using" { cached = 1 }
        { first = 0 }
        $2 == "Successfully" || $2 == "Error:" { flush($1) }
        END { flush($1) }
    ' >&2
}
