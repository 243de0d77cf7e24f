# Issue 14: build/probe-static for another architecture (Graviton: arm64). ARCH is a Debian
# architecture name, the machine's own by default. Only the static build follows a foreign
# ARCH (mk/static.mk, mk/hiredis.mk): Debian's cross compiler, the from-source libraries built
# for it under build/static-ARCH/ (every library probe-static links, hiredis and OpenSSL too),
# ARCH's musl through multiarch (musl-dev:arm64). The native build's paths and names stay as
# they were: build/static/, build/hiredis/, build/probe-static.

NATIVE_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
ARCH        ?= $(NATIVE_ARCH)
# An empty ARCH= (a Dockerfile's $TARGETARCH under a builder that does not set it) is native.
ifeq ($(strip $(ARCH)),)
override ARCH := $(NATIVE_ARCH)
endif
# GNU triplets and Debian's cross compiler packages of the architectures probe is built for.
ARCH_TRIPLET_amd64 := x86_64-linux-gnu
ARCH_TRIPLET_arm64 := aarch64-linux-gnu
ARCH_GCC_amd64     := gcc-x86-64-linux-gnu
ARCH_GCC_arm64     := gcc-aarch64-linux-gnu
# musl's, for the static build (mk/static.mk): Debian's musl-dev of that architecture installs
# TRIPLET-gcc, gcc with musl's specs, and musl's headers and libraries.
ARCH_MUSL_amd64    := x86_64-linux-musl
ARCH_MUSL_arm64    := aarch64-linux-musl
ARCH_MUSL          := $(ARCH_MUSL_$(ARCH))
# aarch64 gcc calls libgcc's outline atomics, whose set-up asks glibc's __getauxval, which musl
# does not have: inline (ARMv8.0) atomics instead, as musl's own build uses.
ARCH_MUSL_FLAGS_arm64 := -mno-outline-atomics
ARCH_MUSL_FLAGS    := $(ARCH_MUSL_FLAGS_$(ARCH))

ifeq ($(ARCH),$(NATIVE_ARCH))
ARCH_SUFFIX  :=
ARCH_TRIPLET :=
ARCH_CROSS   :=
else
ARCH_TRIPLET := $(ARCH_TRIPLET_$(ARCH))
ifeq ($(ARCH_TRIPLET),)
$(error ARCH=$(ARCH): probe builds for amd64 or arm64)
endif
ARCH_SUFFIX  := -$(ARCH)
ARCH_CROSS   := $(ARCH_TRIPLET)-
endif

# Debian packages of ARCH: musl-dev natively, musl-dev:arm64 across (multiarch).
arch_dev = $(if $(ARCH_CROSS),$(addsuffix :$(ARCH),$(1)),$(1))
# The cross toolchain (nothing natively), with the kernel headers of its architecture.
PKGS_ARCH_CROSS := $(if $(ARCH_CROSS),$(ARCH_GCC_$(ARCH)) libc6-dev-$(ARCH)-cross)

# Multiarch: dpkg must know ARCH before apt can install its packages (root; the package
# lists are then updated by the deps-* recipe, which runs apt-get update before installing).
ARCH_ENABLE = $(if $(ARCH_CROSS),dpkg --print-foreign-architectures | grep -qx '$(ARCH)' || \
              { [ "$$(id -u)" = 0 ] || { echo "dpkg does not know $(ARCH): run as root" >&2; exit 1; }; \
                echo "dpkg --add-architecture $(ARCH)"; dpkg --add-architecture $(ARCH); },:)
