#!/usr/bin/env bash
# make image: build the Dockerfile's production image with podman, no registry (IMAGE,
# default probe:latest). Run as root; installs podman, runc and debootstrap when missing.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"
IMAGE=${IMAGE:-probe:latest}

trap 'step_report $?' EXIT
step "packages" need_pkgs podman runc debootstrap
podman_setup
lock
step "base image $BASE_IMAGE" base_image
step "podman build $IMAGE" build_image "$IMAGE"
step "remove stale images of earlier builds" prune_stale
say "built $IMAGE ($(pm image inspect --format '{{.Size}}' "$IMAGE") bytes);" \
    "run it with scripts/image/podman.sh run --rm $IMAGE version"
