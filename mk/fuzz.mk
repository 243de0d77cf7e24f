# Issue 5, fuzzing: libFuzzer targets for the parsers that take outside input.
# `make fuzz` builds them into build/fuzz/ and runs each for FUZZ_SECONDS on a copy of the
# committed corpus (new inputs land in build/, never in the repo); `make fuzz-regress` runs each
# once over tests/fuzz/corpus/<target>/ and tests/fuzz/crashes/<target>/, so every crash found
# and saved there stays a regression test.

FUZZ_CC      := clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_config fuzz_url fuzz_status fuzz_json fuzz_grpc
FUZZ_CFLAGS  := -O1 -g -std=c11 -D_GNU_SOURCE $(WARN) -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -Iprobe -Itests
FUZZ_PKGS    := clang libclang-rt-14-dev $(PKGS_BUILD)
# -max_len per target: configs and HTTP requests need room, URLs are refused over 8 KiB.
FUZZ_MAXLEN_fuzz_config := 16384
FUZZ_MAXLEN_fuzz_url    := 10000
FUZZ_MAXLEN_fuzz_status := 10000
FUZZ_MAXLEN_fuzz_json   := 4096
# gRPC: past the 4 KiB body cap, and past the longest service name.
FUZZ_MAXLEN_fuzz_grpc   := 8192

# A URL's scheme, userinfo, path and options are its kind's data (probe/kind.c), so the URL
# and config parsers link every kind with its library.
FUZZ_SRCS_fuzz_config := $(LIB_SRCS)
FUZZ_SRCS_fuzz_url    := $(LIB_SRCS)
FUZZ_SRCS_fuzz_status := probe/status.c probe/buf.c probe/text.c probe/value.c probe/http.c
FUZZ_SRCS_fuzz_json   := probe/json.c probe/buf.c probe/text.c tests/json_reader.c
FUZZ_SRCS_fuzz_grpc   := probe/grpc_wire.c
FUZZ_LIBS_fuzz_config  = $(PCFLAGS) $(LIBS)
FUZZ_LIBS_fuzz_url     = $(PCFLAGS) $(LIBS)
FUZZ_LIBS_fuzz_status := -lev

.PHONY: fuzz fuzz-build fuzz-regress deps-fuzz

# Installs clang and the libFuzzer runtime when missing: the Makefile's deps-* recipe, run with
# this target's package list.
deps-fuzz:
	@$(MAKE) --no-print-directory deps-build PKGS_BUILD='$(FUZZ_PKGS)'

$(FUZZ_DIR)/%: tests/fuzz/%.c $(wildcard probe/*.c probe/*.h) tests/json_reader.c tests/json_reader.h | deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*)

fuzz-build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

# The working corpus starts as a copy of the committed seeds; libFuzzer adds to the copy only.
# Crashes go to build/fuzz/artifacts/<target>/; move one to tests/fuzz/crashes/<target>/ to keep it.
fuzz: fuzz-build
	@failed=""; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	    cp -n tests/fuzz/corpus/$$t/* $(FUZZ_DIR)/corpus/$$t/ 2>/dev/null || true; \
	    dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	    case $$t in fuzz_config) max=$(FUZZ_MAXLEN_fuzz_config);; fuzz_url) max=$(FUZZ_MAXLEN_fuzz_url);; \
	        fuzz_status) max=$(FUZZ_MAXLEN_fuzz_status);; \
	        fuzz_grpc) max=$(FUZZ_MAXLEN_fuzz_grpc);; *) max=$(FUZZ_MAXLEN_fuzz_json);; esac; \
	    echo "== $$t for $(FUZZ_SECONDS)s"; \
	    $(FUZZ_DIR)/$$t $$dict -max_len=$$max -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ $(FUZZ_DIR)/corpus/$$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in$$failed (see $(FUZZ_DIR)/artifacts/)" >&2; exit 1; fi

# Runs every committed input once: the seeds and every saved crash. Fast enough for `make test`.
fuzz-regress: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    files=$$(find tests/fuzz/corpus/$$t tests/fuzz/crashes/$$t -type f ! -name '.*' 2>/dev/null | sort); \
	    echo "== $$t: $$(echo "$$files" | grep -c . || true) inputs"; \
	    [ -z "$$files" ] || $(FUZZ_DIR)/$$t -runs=1 $$files >$(FUZZ_DIR)/$$t.regress.log 2>&1 || \
	        { cat $(FUZZ_DIR)/$$t.regress.log; echo "fuzz-regress: $$t failed"; exit 1; }; \
	done
