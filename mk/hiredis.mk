# Issue 12: rediss:// needs hiredis >= 1.0 with hiredis_ssl; Debian bookworm ships 0.14 without
# TLS. A newer release's Debian source package (FETCH_SUITE, scripts/static/fetch-source.sh) is
# built once under build/hiredis/ into two static libraries that every build links: build/probe,
# build/asan/probe, the unit tests and build/probe-static (mk/static.mk), so rediss:// works the
# same in each and nothing of hiredis is needed at run time. The stamp is written last, so an
# interrupted build is redone; every compile waits for it (order-only: a rebuilt hiredis does
# not recompile probe, but a parallel make never compiles against missing headers).

HIREDIS_SUITE  := trixie
# The machine's own architecture: build/probe-static (of any ARCH) builds its own from the
# same source against its own OpenSSL (mk/static.mk).
HIREDIS_SRC    := $(BUILD)/hiredis/src
HIREDIS_DIR    := $(BUILD)/hiredis
HIREDIS_PREFIX := $(HIREDIS_DIR)/prefix
HIREDIS_STAMP  := $(HIREDIS_DIR)/.built
HIREDIS_CFLAGS := -I$(HIREDIS_PREFIX)/include
HIREDIS_LIBS   := $(HIREDIS_PREFIX)/lib/libhiredis_ssl.a $(HIREDIS_PREFIX)/lib/libhiredis.a
# What fetching and building it needs beyond a compiler: apt-get source, dpkg-source, OpenSSL.
PKGS_HIREDIS   := gcc make libc6-dev libssl-dev dpkg-dev xz-utils ca-certificates

.PHONY: hiredis deps-hiredis

hiredis: $(HIREDIS_STAMP)

# The Makefile's deps-* recipe, run with this target's package list.
deps-hiredis:
	@$(MAKE) --no-print-directory deps-build PKGS_BUILD='$(PKGS_HIREDIS)'

$(HIREDIS_SRC)/.debian-source: | deps-hiredis
	FETCH_SUITE=$(HIREDIS_SUITE) sh scripts/static/fetch-source.sh $(BUILD)/hiredis hiredis \
	  $(HIREDIS_SRC)

$(HIREDIS_STAMP): $(HIREDIS_SRC)/.debian-source scripts/static/build-hiredis.sh \
                  scripts/static/args.sh
	rm -f $@
	CC='$(CC)' sh scripts/static/build-hiredis.sh $(HIREDIS_SRC) $(HIREDIS_DIR)/build \
	  $(HIREDIS_PREFIX)
	cat $(HIREDIS_SRC)/.debian-source >$@

# Every compile of probe (and of the unit tests, which include its headers) waits for the
# headers; the links take the libraries through the Makefile's LIBS.
$(OBJS) $(ASAN_OBJS) $(BUILD)/test_unit $(BUILD)/probe $(BUILD)/asan/probe: | $(HIREDIS_STAMP)
# The fuzz targets that link every kind (mk/fuzz.mk).
$(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_url: | $(HIREDIS_STAMP)
