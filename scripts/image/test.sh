#!/usr/bin/env bash
# make image-test: build the Dockerfile and test the production image for real, on a Docker
# engine the test starts itself (scripts/image/test_docker.sh) or, when dockerd cannot start
# here, on podman (scripts/image/test_podman.sh). Says which engine ran. PROBE_IMAGE_ENGINE:
#   auto    (default) docker, podman when dockerd cannot start
#   docker  docker only: failing to start dockerd fails the test
#   podman  podman only (how the fallback is tested)
set -euo pipefail
dir=$(dirname "$0")
engine=${PROBE_IMAGE_ENGINE:-auto}

case $engine in
auto | docker)
    rc=0
    "$dir/test_docker.sh" || rc=$?
    if [ "$rc" != 75 ] || [ "$engine" = docker ]; then
        exit "$rc"
    fi
    echo "image: dockerd cannot start here: the image test falls back to podman" >&2
    exec "$dir/test_podman.sh"
    ;;
podman) exec "$dir/test_podman.sh" ;;
*)
    echo "image: error: PROBE_IMAGE_ENGINE is \"$engine\", want auto, docker or podman" >&2
    exit 2
    ;;
esac
