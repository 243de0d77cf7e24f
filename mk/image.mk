# The container image (issue #4): the Dockerfile's production image, built with podman from
# a local debootstrap base, never from a registry. Both run as root and install podman, runc,
# debootstrap (and for the test redis-server, iproute2, openssl) when missing; podman's store
# is build/image/ (`scripts/image/podman.sh` is podman on it). IMAGE names the tag.

.PHONY: image image-test

# Build the image (default probe:latest).
image:
	scripts/image/build.sh

# Build it (as probe:test) and test it for real: config, files, size, `probe serve` with
# the image's own CMD and HEALTHCHECK against a real Redis on a private loopback.
image-test:
	scripts/image/test.sh
