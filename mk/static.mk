# Issue #4: `make static` builds build/probe-static, one fully static executable that runs in
# an empty root with only /etc/hosts, /etc/resolv.conf and a CA bundle; `make test-static`
# proves it in a chroot against real servers on loopback.
#
# Debian's libcurl.a drags in Kerberos, LDAP, IDN..., Debian's libmariadb.a has only
# mysql_native_password built in (the other authentication plugins are dlopen()ed), Debian's
# libpq.a needs GSSAPI and LDAP (no static libraries) and libpgcommon/libpgport (not shipped),
# and Debian's libcrypto.a is 3.3 MiB of every algorithm OpenSSL has (issue 14: probe-static
# <= 4 MiB). So OpenSSL, trimmed to a verifying TLS 1.2/1.3 client, and the four libraries that
# use it (curl, Connector/C, libpq and hiredis, compiled against its headers) are built here
# from Debian's source packages (`apt-get source`, patches applied), once, under build/static/.
#
# The C library is musl (Debian's musl-dev), not glibc: static glibc's start-up detects the CPU
# and its caches with some 70 `cpuid` instructions, each a trap to the hypervisor in a VM (6 us
# here), so an empty static glibc program took 0.58 ms against musl's 0.11 ms and /bin/true's
# 0.66 ms (issue 14: one HTTP check <= 1.4x /bin/true). So the libraries Debian ships static
# (glibc's, built with _FORTIFY_SOURCE) are built from their source packages too: libev,
# c-ares, libyaml, jansson and libnghttp2 (scripts/static/build-lib.sh). scripts/static/ says how.

# `make static ARCH=arm64` (mk/arch.mk) builds build/probe-static-arm64 the same way, under
# build/static-arm64/, with Debian's cross compiler; the sources under build/static/src are
# the same for every architecture.
STATIC_DIR     := $(BUILD)/static$(ARCH_SUFFIX)
STATIC_SRC     := $(BUILD)/static/src
STATIC_BIN     := $(BUILD)/probe-static$(ARCH_SUFFIX)
STATIC_PREFIX  := $(STATIC_DIR)/prefix
# No unwind tables: C code without exceptions needs them only for backtraces and thread
# cancellation, and probe-static has neither (it never cancels a thread); they were 10% of it.
STATIC_OPT     := -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
                  -fno-unwind-tables
STATIC_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) $(STATIC_OPT) \
                  -isystem $(STATIC_PREFIX)/include -isystem $(STATIC_PREFIX)/include/mariadb
# The compiler: musl's gcc (mk/arch.mk's ARCH_MUSL), with the kernel's headers after musl's own
# (OpenSSL's random seeding includes <asm/unistd.h>; musl-dev has no kernel headers). A script
# written by the rule below; every library is built with it.
STATIC_CC      := $(CURDIR)/$(STATIC_DIR)/bin/cc
STATIC_KHDR    := $(STATIC_DIR)/kernel-headers
# Debian's kernel headers: linux-libc-dev natively (asm/ under the multiarch directory),
# linux-libc-dev-ARCH-cross across (all three under /usr/TRIPLET/include).
ARCH_KERNEL_INC     = $(if $(ARCH_CROSS),/usr/$(ARCH_TRIPLET)/include,/usr/include)
ARCH_KERNEL_HEADERS = $(if $(ARCH_CROSS),$(ARCH_KERNEL_INC),/usr/include/$(ARCH_TRIPLET_$(ARCH)))/asm \
                      $(ARCH_KERNEL_INC)/linux $(ARCH_KERNEL_INC)/asm-generic
STATIC_OBJS    := $(SRCS:probe/%.c=$(STATIC_DIR)/obj/%.o) $(STATIC_DIR)/obj/ssl_defaults.o
STATIC_OPENSSL := $(STATIC_PREFIX)/lib/libssl.a
STATIC_CURL    := $(STATIC_PREFIX)/lib/libcurl.a
STATIC_MARIADB := $(STATIC_PREFIX)/lib/libmariadbclient.a
STATIC_LIBPQ   := $(STATIC_PREFIX)/lib/libpq.a
STATIC_HIREDIS := $(STATIC_PREFIX)/lib/libhiredis.a
# Built by scripts/static/build-lib.sh, one Debian source package each.
STATIC_SMALL   := libev c-ares libyaml jansson nghttp2
STATIC_LIBEV   := $(STATIC_PREFIX)/lib/libev.a
STATIC_CARES   := $(STATIC_PREFIX)/lib/libcares.a
STATIC_YAML    := $(STATIC_PREFIX)/lib/libyaml.a
STATIC_JANSSON := $(STATIC_PREFIX)/lib/libjansson.a
STATIC_NGHTTP2 := $(STATIC_PREFIX)/lib/libnghttp2.a
# What every build script runs (its arguments and settings).
STATIC_SCRIPTS := scripts/static/args.sh
# Everything built from source, in the order the link takes it.
STATIC_BUILT   := $(STATIC_CURL) $(STATIC_MARIADB) $(STATIC_LIBPQ) $(STATIC_HIREDIS) \
                  $(STATIC_LIBEV) $(STATIC_CARES) $(STATIC_YAML) $(STATIC_JANSSON) \
                  $(STATIC_NGHTTP2) $(STATIC_OPENSSL)
STATIC_LIBS    := $(STATIC_CURL) $(STATIC_MARIADB) $(STATIC_LIBPQ) \
                  $(STATIC_PREFIX)/lib/libpgcommon_shlib.a $(STATIC_PREFIX)/lib/libpgport_shlib.a \
                  $(STATIC_PREFIX)/lib/libhiredis_ssl.a $(STATIC_HIREDIS) \
                  $(STATIC_LIBEV) $(STATIC_CARES) $(STATIC_YAML) $(STATIC_JANSSON) \
                  $(STATIC_NGHTTP2) $(STATIC_OPENSSL) $(STATIC_PREFIX)/lib/libcrypto.a -lm -lpthread
# --wrap: OpenSSL's default CA file is Debian's real path, and libssl is not set up in a run
# that has no TLS target (scripts/static/ssl_defaults.c).
STATIC_LDFLAGS := -static -Wl,--gc-sections -Wl,-O1 \
                  -Wl,--wrap=X509_get_default_cert_file -Wl,--wrap=X509_get_default_cert_dir \
                  -Wl,--wrap=OPENSSL_init_ssl
# g++: nghttp2's CMake project declares C++ and checks its compiler, though only its C library
# is built (ENABLE_LIB_ONLY); nothing of probe-static is C++. pkg-config: curl's configure finds
# nghttp2 with it.
PKGS_STATIC      := gcc g++ make libc6-dev linux-libc-dev ca-certificates dpkg-dev cmake \
                    xz-utils binutils perl pkg-config $(call arch_dev,musl-dev)
# Across: the cross toolchain (its kernel headers too) and musl-dev:ARCH (multiarch).
PKGS_STATIC      += $(PKGS_ARCH_CROSS)
# What the scripts are given: the compiler, the GNU host triplet across (empty natively), the
# optimisation, pkg-config looking only at the .pc files of what was built here.
STATIC_TOOLS      = CC='$(STATIC_CC)' HOST='$(ARCH_TRIPLET)' STATIC_OPT='$(STATIC_OPT)' \
                    PKG_CONFIG_LIBDIR='$(CURDIR)/$(STATIC_PREFIX)/lib/pkgconfig' PKG_CONFIG_PATH=
PKGS_STATIC_TEST := $(sort $(PKGS_STATIC) $(PKGS_BUILD) file redis-server mariadb-server \
                    postgresql openssl iproute2 python3-grpcio)
PKGS_STATIC_TEST += memcached

.PHONY: static static-libs test-static clean-static deps-static deps-static-test test-arm64 deps-arm64-test

static: deps-static
	$(MAKE) $(STATIC_BIN)

# The Makefile's deps-* recipe, run with this target's package list.
deps-static deps-static-test deps-arm64-test:
	@$(ARCH_ENABLE)
	@$(MAKE) --no-print-directory deps-build PKGS_BUILD='$(PKGS_$(shell echo $(@:deps-%=%) | tr a-z- A-Z_))'

# The libraries built from source, alone: the Dockerfile's cached layer below probe's sources.
static-libs: $(STATIC_BUILT)

# musl's gcc with the kernel headers (STATIC_CC above).
$(STATIC_CC): | deps-static
	@mkdir -p $(@D) $(STATIC_KHDR)
	for d in $(ARCH_KERNEL_HEADERS); do [ -d "$$d" ] || { echo "no kernel headers at $$d" >&2; exit 1; }; \
	  ln -sfn "$$d" $(STATIC_KHDR)/$${d##*/}; done
	printf '#!/bin/sh\n# musl gcc, the kernel headers after its own (mk/static.mk)\nexec %s-gcc %s "$$@" -idirafter %s\n' \
	  '$(ARCH_MUSL)' '$(ARCH_MUSL_FLAGS)' '$(CURDIR)/$(STATIC_KHDR)' >$@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

# Debian's sources, patched, unpacked once (scripts/static/fetch-source.sh); hiredis' is
# mk/hiredis.mk's.
$(STATIC_SMALL:%=$(STATIC_SRC)/%/.debian-source): | deps-static
	sh scripts/static/fetch-source.sh $(BUILD)/static $(@D:$(STATIC_SRC)/%=%) $(@D)

$(STATIC_SRC)/openssl/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(BUILD)/static openssl $(STATIC_SRC)/openssl

$(STATIC_SRC)/curl/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(BUILD)/static curl $(STATIC_SRC)/curl

$(STATIC_SRC)/libmariadb/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(BUILD)/static mariadb $(STATIC_SRC)/libmariadb libmariadb

$(STATIC_SRC)/postgresql/.debian-source: | deps-static
	sh scripts/static/fetch-source.sh $(BUILD)/static postgresql-15 $(STATIC_SRC)/postgresql

# libev, c-ares, libyaml, jansson, libnghttp2: no OpenSSL (curl links nghttp2 through pkg-config).
# LIB_PKG: the source package each is built from.
$(STATIC_LIBEV):   LIB_PKG := libev
$(STATIC_CARES):   LIB_PKG := c-ares
$(STATIC_YAML):    LIB_PKG := libyaml
$(STATIC_JANSSON): LIB_PKG := jansson
$(STATIC_NGHTTP2): LIB_PKG := nghttp2
$(STATIC_LIBEV):   $(STATIC_SRC)/libev/.debian-source
$(STATIC_CARES):   $(STATIC_SRC)/c-ares/.debian-source
$(STATIC_YAML):    $(STATIC_SRC)/libyaml/.debian-source
$(STATIC_JANSSON): $(STATIC_SRC)/jansson/.debian-source
$(STATIC_NGHTTP2): $(STATIC_SRC)/nghttp2/.debian-source
$(STATIC_LIBEV) $(STATIC_CARES) $(STATIC_YAML) $(STATIC_JANSSON) $(STATIC_NGHTTP2): \
                   scripts/static/build-lib.sh $(STATIC_SCRIPTS) | $(STATIC_CC)
	$(STATIC_TOOLS) sh scripts/static/build-lib.sh $(STATIC_SRC)/$(LIB_PKG) \
	  $(STATIC_DIR)/$(LIB_PKG)-build $(STATIC_PREFIX)

# OpenSSL first: the other four compile against its headers (OPENSSL=) and are rebuilt with it.
$(STATIC_OPENSSL): $(STATIC_SRC)/openssl/.debian-source scripts/static/build-openssl.sh \
                   $(STATIC_SCRIPTS) | $(STATIC_CC)
	$(STATIC_TOOLS) sh scripts/static/build-openssl.sh $(STATIC_SRC)/openssl \
	  $(STATIC_DIR)/openssl-build $(STATIC_PREFIX)

$(STATIC_LIBPQ): $(STATIC_SRC)/postgresql/.debian-source scripts/static/build-libpq.sh \
                 $(STATIC_SCRIPTS) $(STATIC_OPENSSL)
	$(STATIC_TOOLS) OPENSSL=$(CURDIR)/$(STATIC_PREFIX) sh scripts/static/build-libpq.sh \
	  $(STATIC_SRC)/postgresql $(STATIC_DIR)/libpq-build $(STATIC_PREFIX)

$(STATIC_CURL): $(STATIC_SRC)/curl/.debian-source scripts/static/build-curl.sh \
                $(STATIC_SCRIPTS) $(STATIC_OPENSSL) $(STATIC_NGHTTP2)
	$(STATIC_TOOLS) OPENSSL=$(CURDIR)/$(STATIC_PREFIX) sh scripts/static/build-curl.sh \
	  $(STATIC_SRC)/curl $(STATIC_DIR)/curl-build $(STATIC_PREFIX)

$(STATIC_MARIADB): $(STATIC_SRC)/libmariadb/.debian-source scripts/static/build-mariadb.sh \
                   $(STATIC_SCRIPTS) $(STATIC_OPENSSL)
	$(STATIC_TOOLS) OPENSSL=$(CURDIR)/$(STATIC_PREFIX) sh scripts/static/build-mariadb.sh \
	  $(STATIC_SRC)/libmariadb $(STATIC_DIR)/mariadb-build $(STATIC_PREFIX)

# hiredis from the same source as every other build's (mk/hiredis.mk), but for this ARCH and
# against this OpenSSL.
$(STATIC_HIREDIS): $(HIREDIS_SRC)/.debian-source scripts/static/build-hiredis.sh \
                   $(STATIC_SCRIPTS) $(STATIC_OPENSSL)
	$(STATIC_TOOLS) OPENSSL=$(CURDIR)/$(STATIC_PREFIX) sh scripts/static/build-hiredis.sh \
	  $(HIREDIS_SRC) $(STATIC_DIR)/hiredis-build $(STATIC_PREFIX)

# Headers come from the libraries built above, never from Debian's -dev packages.
$(STATIC_DIR)/obj/%.o: probe/%.c | $(STATIC_BUILT)
	@mkdir -p $(@D)
	$(STATIC_CC) $(STATIC_CFLAGS) -MMD -MP -c $< -o $@

$(STATIC_DIR)/obj/ssl_defaults.o: scripts/static/ssl_defaults.c probe/tls.h | $(STATIC_BUILT)
	@mkdir -p $(@D)
	$(STATIC_CC) $(STATIC_CFLAGS) -Iprobe -c $< -o $@

# Kept unstripped for `nm` (test-static checks which MySQL plugins are in) and size analysis.
$(STATIC_DIR)/probe-static.unstripped: $(STATIC_OBJS) $(STATIC_BUILT)
	$(STATIC_CC) $(STATIC_OPT) $(STATIC_LDFLAGS) -o $@ $(STATIC_OBJS) $(STATIC_LIBS)

$(STATIC_BIN): $(STATIC_DIR)/probe-static.unstripped
	$(ARCH_CROSS)strip --strip-all -R .comment -o $@ $<
	@echo "$@: $$(stat -c %s $@) bytes"

# A fake MySQL 8 server that offers only caching_sha2_password (MariaDB cannot).
$(STATIC_DIR)/test/mysql_sha2: tests/static/mysql_sha2.c | deps-static-test
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -lcrypto

test-static: deps-static-test
	$(MAKE) $(BUILD)/probe-static $(BUILD)/probe $(STATIC_DIR)/test/mysql_sha2
	PROBE_STATIC=$(CURDIR)/$(BUILD)/probe-static \
	  PROBE_STATIC_UNSTRIPPED=$(CURDIR)/$(STATIC_DIR)/probe-static.unstripped \
	  PROBE_DYNAMIC=$(CURDIR)/$(BUILD)/probe MYSQL_SHA2=$(CURDIR)/$(STATIC_DIR)/test/mysql_sha2 \
	  sh tests/static/run.sh

# Issue 14: build/probe-static-arm64 under qemu-aarch64-static (called directly: no binfmt_misc),
# copied into the same empty root and run against the same loopback servers as test-static
# (tests/static/run.sh with a runner). The helpers (build/probe, mysql_sha2) are the machine's
# own. Emulation slows TLS and startup, not the loop's timers: under qemu a 500 ms or 2 s
# deadline ended 19-33 ms past T (exec included), so the bound is amd64's; ARM64_SLACK_MS
# (added to it) is there for a slower runner.
PKGS_ARM64_TEST := $(PKGS_STATIC_TEST) qemu-user-static
ARM64_SLACK_MS  := 0

test-arm64: deps-arm64-test
	$(MAKE) static ARCH=arm64
	$(MAKE) ARCH=$(NATIVE_ARCH) $(BUILD)/probe $(BUILD)/static/test/mysql_sha2
	PROBE_STATIC=$(CURDIR)/$(BUILD)/probe-static-arm64 \
	  PROBE_STATIC_UNSTRIPPED=$(CURDIR)/$(BUILD)/static-arm64/probe-static.unstripped \
	  PROBE_DYNAMIC=$(CURDIR)/$(BUILD)/probe MYSQL_SHA2=$(CURDIR)/$(BUILD)/static/test/mysql_sha2 \
	  PROBE_RUNNER=$$(command -v qemu-aarch64-static) PROBE_DEADLINE_SLACK_MS=$(ARM64_SLACK_MS) \
	  PROBE_SUITE=test-arm64 sh tests/static/run.sh

# Everything static, the downloaded sources included.
clean-static:
	rm -rf $(STATIC_DIR) $(STATIC_BIN)

-include $(STATIC_OBJS:.o=.d)
