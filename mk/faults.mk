# Fault-injection tests (issue 5): the probe against peers that misbehave on purpose. They run
# inside a network + mount namespace that the target creates (tests/faults/netns.sh): only
# loopback, private /tmp, its own /etc/resolv.conf and /etc/hosts, iptables rules and routes
# that vanish with it. Needs root.

# The harness (Makefile's HARNESS_SRCS): the child runner behind flt_run, real redis-server and
# mariadbd for tests/faults/test_real.c, the JSON reader; probe/text.c (its UTF-8 decoder): the
# JSON and clean-text checks of test_badinput.c.
FLT_SRCS  := $(wildcard tests/faults/*.c) $(HARNESS_SRCS) probe/text.c
PKGS_FAULTS := $(PKGS_BUILD) libcriterion-dev iptables iproute2 util-linux redis-server \
               mariadb-server mariadb-client postgresql procps

.PHONY: test-faults deps-faults

$(BUILD)/test_faults: $(FLT_SRCS) tests/faults/faults.h $(HARNESS_HDRS) | deps-faults
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests/faults -Itests -Iprobe -o $@ $(FLT_SRCS) -lcriterion -pthread -lm

# The Makefile's deps-* recipe, run with this target's package list.
deps-faults:
	@$(MAKE) --no-print-directory deps-build PKGS_BUILD='$(PKGS_FAULTS)'

# PROBE_PLAIN_BIN: the build without sanitizers, for RSS measurements of `probe serve`.
test-faults: deps-faults $(BUILD)/test_faults $(BUILD)/asan/probe $(BUILD)/probe
	@if [ "$$(id -u)" != 0 ]; then echo "test-faults needs root (namespaces, mounts, iptables)" >&2; exit 1; fi
	PROBE_BIN=$(CURDIR)/$(BUILD)/asan/probe PROBE_PLAIN_BIN=$(CURDIR)/$(BUILD)/probe \
	  unshare --net --mount --fork tests/faults/netns.sh $(CURDIR)/$(BUILD)/test_faults -j1
