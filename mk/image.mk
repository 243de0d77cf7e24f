# The container image (issue #4): the Dockerfile's production image, built from a local
# debootstrap base, never from a registry. `make image` builds with podman; `make image-test`
# tests on a Docker engine it starts itself under build/dk (dockerd, BuildKit), or on podman
# when dockerd cannot start here (PROBE_IMAGE_ENGINE=auto|docker|podman picks). Both run as
# root and install what they miss: PKGS_IMAGE_PODMAN, PKGS_IMAGE_DOCKER. Podman's store is
# build/image/ (`scripts/image/podman.sh` is podman on it). IMAGE names the tag.

PKGS_IMAGE_PODMAN := podman runc debootstrap redis-server iproute2 openssl qemu-user-static file
PKGS_IMAGE_DOCKER := docker.io debootstrap redis-server util-linux procps openssl jq qemu-user-static file
export PKGS_IMAGE_PODMAN PKGS_IMAGE_DOCKER

.PHONY: image image-test

# Build the image (default probe:latest).
image:
	scripts/image/build.sh

# Build it (as probe:test) and test it for real: config, files, size, `probe serve` with
# the image's own CMD and HEALTHCHECK against a real Redis on a private loopback.
image-test:
	scripts/image/test.sh
