# probe — container health-check probe.
# `make` builds build/probe; `make test` installs what it needs, builds and runs every test;
# `make run` starts throwaway servers on loopback and checks them.

CC      ?= gcc
BUILD   := build
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
           -Wcast-qual -Werror
CFLAGS  ?= -O2 -g
# Recursive (=) on purpose: pkg-config runs when a rule needs it, after deps-* installed it.
PKGS_PC  = libcurl libmariadb libcares yaml-0.1 openssl libpq jansson
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN)
# hiredis (>= 1.0, with TLS) is built under build/ and linked statically: mk/hiredis.mk.
PCFLAGS  = $(HIREDIS_CFLAGS) $(shell pkg-config --cflags $(PKGS_PC) 2>/dev/null)
LIBS     = -lev $(HIREDIS_LIBS) $(shell pkg-config --libs $(PKGS_PC) 2>/dev/null) -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS      := $(wildcard probe/*.c)
LIB_SRCS  := $(filter-out probe/main.c,$(SRCS))
OBJS      := $(SRCS:probe/%.c=$(BUILD)/obj/%.o)
ASAN_OBJS := $(SRCS:probe/%.c=$(BUILD)/asan/%.o)
ASAN_LIB  := $(LIB_SRCS:probe/%.c=$(BUILD)/asan/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
# The test harness (tests/harness.h): the child runner, servers, certificates, sockets, and the
# JSON reader; libc and probe/text.c (UTF-8) only, so every test binary and the demo link all of it.
HARNESS_SRCS := $(wildcard tests/harness_*.c) tests/json_reader.c
HARNESS_HDRS := tests/harness.h tests/harness_int.h tests/json_reader.h
INTG_SRCS := $(wildcard tests/integration/*.c) $(HARNESS_SRCS) probe/text.c
HELPERS   := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c)) \
             $(patsubst tests/helpers/%.py,$(BUILD)/helpers/%.py,$(wildcard tests/helpers/*.py))

# Debian packages each target needs; `make deps-*` installs the missing ones when run as root.
PKGS_BUILD := gcc make pkg-config libev-dev libcurl4-openssl-dev libmariadb-dev \
              libc-ares-dev libyaml-dev libssl-dev libpq-dev ca-certificates libjansson-dev
PKGS_TEST  := $(PKGS_BUILD) libcriterion-dev redis-server mariadb-server postgresql openssl procps iproute2 strace
PKGS_RUN   := $(PKGS_BUILD) redis-server mariadb-server postgresql openssl
# memcached: tests/integration/test_memcached.c and `make run`.
PKGS_TEST  += memcached
PKGS_RUN   += memcached
# gRPC: tests/helpers/grpc_health.py.
PKGS_TEST  += python3-grpcio

.PHONY: all run test unit integration integration-static clean deps-build deps-test deps-run format

all: $(BUILD)/probe

$(BUILD)/obj/%.o: probe/%.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PCFLAGS) -MMD -MP -c $< -o $@

# The test build carries test-only hooks (PROBE_TEST_HOOKS); the shipped binaries do not.
$(BUILD)/asan/%.o: probe/%.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PCFLAGS) -O1 $(SAN) -DPROBE_TEST_HOOKS -MMD -MP -c $< -o $@

$(BUILD)/probe: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/asan/probe: $(ASAN_OBJS)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LIBS)

$(BUILD)/test_unit: $(UNIT_SRCS) tests/json_reader.c tests/json_reader.h $(ASAN_LIB) | deps-test
	$(CC) $(CFLAGS) -O1 $(SAN) $(PCFLAGS) -Iprobe -Itests -o $@ $(UNIT_SRCS) tests/json_reader.c $(ASAN_LIB) $(LIBS) -lcriterion

$(BUILD)/test_integration: $(INTG_SRCS) $(HARNESS_HDRS) | deps-test
	$(CC) $(CFLAGS) -O1 $(SAN) -Iprobe -Itests -o $@ $(INTG_SRCS) -lcriterion -lm

$(BUILD)/helpers/%: tests/helpers/%.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lm

# Scripted helpers (the gRPC server) run from build/helpers beside the compiled ones.
$(BUILD)/helpers/%.py: tests/helpers/%.py
	@mkdir -p $(@D)
	install -m 755 $< $@

unit: $(BUILD)/test_unit
	$(BUILD)/test_unit

integration: $(BUILD)/test_integration $(BUILD)/asan/probe $(BUILD)/probe $(HELPERS)
	PROBE_BIN=$(CURDIR)/$(BUILD)/asan/probe PROBE_HELPERS=$(CURDIR)/$(BUILD)/helpers \
	  $(BUILD)/test_integration -j2

# The same suite against build/probe-static, the binary the image ships (musl, no sanitizers):
# what only the test build has (PROBE_TEST_STALL_MS) is skipped, and the serve memory test
# watches probe-static itself (PT_RELEASE_BUILD, tests/harness.h).
integration-static: $(BUILD)/test_integration $(HELPERS)
	$(MAKE) static
	PT_RELEASE_BUILD=1 PROBE_BIN=$(CURDIR)/$(BUILD)/probe-static \
	  PROBE_HELPERS=$(CURDIR)/$(BUILD)/helpers $(BUILD)/test_integration -j2

# Every test that runs into a deadline notes how far past it the probe ended (tests/harness.h,
# PT_ASSERT_DEADLINE); the largest is printed at the end.
DEADLINE_LOG := $(CURDIR)/$(BUILD)/deadline.log

test: deps-test
	@mkdir -p $(BUILD) && rm -f $(DEADLINE_LOG)
	$(MAKE) unit
	PROBE_DEADLINE_LOG=$(DEADLINE_LOG) $(MAKE) integration
	$(MAKE) test-configs
	$(MAKE) test-static
	PROBE_DEADLINE_LOG=$(DEADLINE_LOG) $(MAKE) integration-static
	$(MAKE) test-arm64
	PROBE_DEADLINE_LOG=$(DEADLINE_LOG) $(MAKE) test-faults
	$(MAKE) fuzz-regress
	@sort -n $(DEADLINE_LOG) | awk 'END { if (NR) printf "deadline tests: %d runs; longest past the deadline: %.1f ms (%s, T = %d ms)\n", NR, $$1, $$4, $$2 }'

$(BUILD)/demo: tests/demo.c $(HARNESS_SRCS) probe/text.c $(HARNESS_HDRS) | deps-run
	$(CC) $(CFLAGS) -Itests -Iprobe -o $@ tests/demo.c $(HARNESS_SRCS) probe/text.c -lm

run: deps-run
	$(MAKE) $(BUILD)/probe $(BUILD)/demo $(HELPERS)
	PROBE_HELPERS=$(CURDIR)/$(BUILD)/helpers $(BUILD)/demo $(CURDIR)/$(BUILD)/probe

# Installs what is missing. Not root and something missing: say what, and stop.
deps-build deps-test deps-run:
	@pk="$(PKGS_$(shell echo $(@:deps-%=%) | tr a-z A-Z))"; missing=""; \
	for p in $$pk; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing (run as root to install)" >&2; exit 1; fi; \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

format:
	clang-format -i probe/*.c probe/*.h tests/*.c tests/*.h tests/*/*.c

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d)

# Issue-specific rules live in their own fragments.
-include mk/arch.mk
-include mk/hiredis.mk
-include mk/static.mk
-include mk/image.mk
-include mk/configs.mk
-include mk/faults.mk
-include mk/fuzz.mk
-include mk/bench.mk
