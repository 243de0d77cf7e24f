#!/usr/bin/env bash
# podman with the store `make image` and `make image-test` use (build/image/):
#   scripts/image/podman.sh images
#   scripts/image/podman.sh run --rm --network host --no-healthcheck probe:latest \
#       check tcp://127.0.0.1:22
# (--no-healthcheck: without systemd, podman cannot schedule the image's health check and
# logs an error about it; a one-shot run does not need it.)
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"
podman_setup
exec "${PM[@]}" "$@"
