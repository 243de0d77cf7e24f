# probe: the container image.
#
#   base        Debian slim + the packages the static build and the unit tests need
#   build       `make static`: build/probe-static, one fully static binary
#   test        unit tests, and the static binary run in an empty root; production takes
#               its binary from here, so an image is never made from an untested binary
#   production  FROM scratch: /probe, CA certificates, /etc/passwd and /etc/group
#
# Multi-platform: every stage but production runs on the build machine's platform and
# cross-compiles for the target's (`make static ARCH=$TARGETARCH`, mk/arch.mk); the test stage
# runs a foreign binary with qemu-user-static. amd64 and arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t probe .
#   podman build --platform linux/arm64 --format docker -t probe:arm64 .
#
#   docker build -t probe .                  (BuildKit: Docker 23 or newer, or 20.10 with
#                                             DOCKER_BUILDKIT=1, as `make image-test` runs it)
#   podman build --format docker -t probe .  (keeps the HEALTHCHECK; `make image-test` does this)
#
# Other images take only the binary:  COPY --from=probe /probe /usr/local/bin/probe
#
# No `# syntax=` line on purpose: it makes BuildKit pull a frontend image from Docker Hub,
# and everything used here (RUN --mount=type=cache) is in the built-in frontend already.

ARG DEBIAN_VERSION=bookworm

FROM --platform=$BUILDPLATFORM debian:${DEBIAN_VERSION}-slim AS base
ARG TARGETARCH
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
# Keep downloaded .debs: /var/cache/apt is a cache mount, shared between builds, not a layer.
RUN rm -f /etc/apt/apt.conf.d/docker-clean \
 && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >/etc/apt/apt.conf.d/keep-downloads
# The package lists live in the Makefile (PKGS_BUILD, mk/static.mk's PKGS_STATIC): only those
# files (and mk/arch.mk, which names the architecture the static build is for, and
# mk/hiredis.mk) are copied here, so this layer changes only when they do. libcriterion-dev is
# for the unit tests in the test stage.
WORKDIR /src
COPY Makefile ./
COPY mk/arch.mk mk/static.mk mk/hiredis.mk mk/
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends make libcriterion-dev >/dev/null \
 && make deps-build deps-static ARCH="$TARGETARCH" \
 && { [ -z "$TARGETARCH" ] || [ "$TARGETARCH" = "$(dpkg --print-architecture)" ] || \
      apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null; }

FROM base AS build
ARG TARGETARCH
# OpenSSL (trimmed to a verifying TLS 1.2/1.3 client), libcurl, MariaDB Connector/C, libpq,
# hiredis (trixie's, for TLS), libev, c-ares, libyaml, jansson and libnghttp2, built with musl
# from Debian's source packages, depend only on the static build's scripts: their layer stays
# cached while probe's own sources change.
COPY scripts/static/ scripts/static/
RUN make static-libs ARCH="$TARGETARCH"
COPY probe/ probe/
RUN make static ARCH="$TARGETARCH"

FROM build AS test
ARG TARGETARCH
COPY tests/ tests/
# Unit tests only: the integration suite starts MariaDB, Redis and TLS servers and belongs to
# `make test` on the host (and `make image-test` runs this image against a real Redis).
# PKGS_TEST is narrowed to what the unit tests link against, so no server gets installed.
RUN make unit PKGS_TEST='$(PKGS_BUILD) libcriterion-dev'
# The static binary: no program interpreter, runs in an empty root with no /etc at all,
# and a check of a closed loopback port fails with exit 1 (never 2, which Docker reserves).
# Another architecture's (build/probe-static-ARCH) runs there under its qemu, beside it.
RUN set -eu; \
    bin=build/probe-static run=""; mkdir -p /empty /out; \
    if [ -n "$TARGETARCH" ] && [ "$TARGETARCH" != "$(dpkg --print-architecture)" ]; then \
        bin=build/probe-static-$TARGETARCH; \
        case $TARGETARCH in arm64) run=/qemu-aarch64-static ;; amd64) run=/qemu-x86_64-static ;; esac; \
        cp "/usr/bin$run" /empty/; fi; \
    if readelf -l "$bin" | grep -q 'program interpreter'; then \
        echo "$bin is dynamically linked" >&2; exit 1; fi; \
    cp "$bin" /empty/probe; \
    chroot /empty $run /probe version; \
    rc=0; chroot /empty $run /probe check --timeout 1s tcp://127.0.0.1:1 || rc=$?; \
    [ "$rc" = 1 ] || { echo "check of a closed port exited $rc, want 1" >&2; exit 1; }; \
    install -m 0755 "$bin" /out/probe

FROM base AS rootfs
# The only user: probe (65532, as distroless' nonroot). root stays for files it owns.
RUN mkdir -p /rootfs/etc/ssl/certs \
 && printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
                   'probe:x:65532:65532:probe:/nonexistent:/sbin/nologin' >/rootfs/etc/passwd \
 && printf '%s\n' 'root:x:0:' 'probe:x:65532:' >/rootfs/etc/group \
 && chmod 0644 /rootfs/etc/passwd /rootfs/etc/group \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/

FROM scratch AS production
COPY --from=rootfs /rootfs/ /
COPY --from=test /out/probe /probe
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/probe"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/probe", "check", "--timeout", "2s", "http://127.0.0.1:8080/ready"]
