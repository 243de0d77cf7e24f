# make bench (issue #6): probe against the tools people use today (curl, wget, check_http,
# python3, redis-cli, mysqladmin, check_mysql, a shell chain; nginx under wrk for `probe serve`),
# side by side in one run, on throwaway servers on loopback; writes bench/results.md.
#   BENCH_N=200 rounds, BENCH_WARMUP=10, BENCH_WRK='-t1 -c32 -d10s', BENCH_IMAGE=1 builds the
#   image first (`make image`) to report its size, BENCH_PROFILE=1 also runs bench-profile.
# make bench-profile: callgrind instruction counts (and `perf stat`) of one-shot checks with
# the dynamic build; writes bench/profile.md.

PKGS_BENCH := $(sort $(PKGS_BUILD) nginx-light redis-server redis-tools mariadb-server postgresql \
              mariadb-client wrk curl wget monitoring-plugins-basic monitoring-plugins-standard \
              python3 valgrind procps)

# make bench-wait: probe wait against `until mysqladmin ping; do sleep 0.5; done` (BENCH_WAIT_N
# trials, default 20); writes bench/wait.md. Also part of make bench.

.PHONY: bench bench-profile bench-wait deps-bench

# The Makefile's deps-* recipe, run with this target's package list.
deps-bench:
	@$(MAKE) --no-print-directory deps-build PKGS_BUILD='$(PKGS_BENCH)'

$(BUILD)/bench/runner: bench/runner.c | deps-build
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<

# The arm64 binary is built for its size only (the Sizes table, issue 14).
bench: deps-bench
	$(MAKE) all static $(BUILD)/bench/runner
	$(MAKE) static ARCH=arm64
	bench/bench.sh

bench-wait: deps-bench
	$(MAKE) all static $(BUILD)/bench/runner
	bench/bench.sh wait

bench-profile: deps-bench
	$(MAKE) all static $(BUILD)/bench/runner
	bench/bench.sh profile
