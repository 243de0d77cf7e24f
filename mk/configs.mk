# Issue 4, configs: the examples in config/ and the tests that hold them to what they claim.
# `make test-configs` parses every YAML and JSON file there, runs `probe validate` on every
# probe command line in them, checks the compose and ECS wiring, and scans for passwords.

CONFIGS_DIR   := config
CONFIGS_PROBE := $(BUILD)/probe
# The harness for its child runner (`probe validate` runs) and its JSON reader.
CONFIGS_SRCS  := $(wildcard tests/configs/*.c) $(HARNESS_SRCS) probe/text.c
CONFIGS_DEPS  := $(CONFIGS_SRCS) $(wildcard tests/configs/*.h) $(HARNESS_HDRS) probe/text.h
# Recursive (=) like PCFLAGS: pkg-config runs once deps-build has installed libyaml-dev.
CONFIGS_YAML   = $(shell pkg-config --cflags --libs yaml-0.1 2>/dev/null || echo -lyaml)

.PHONY: test-configs

$(BUILD)/test_configs: $(CONFIGS_DEPS) | deps-build
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests -Iprobe -o $@ $(CONFIGS_SRCS) $(CONFIGS_YAML)

test-configs: $(BUILD)/test_configs $(CONFIGS_PROBE)
	$(BUILD)/test_configs $(CONFIGS_DIR) $(CONFIGS_PROBE)
