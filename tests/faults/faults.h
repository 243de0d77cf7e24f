/* Fault-injection tests: the probe binary against peers that misbehave on purpose (a DNS
 * server that never answers, dropped SYNs, resets, endless bodies, no file descriptors).
 * They run inside the namespace that tests/faults/netns.sh sets up (see mk/faults.mk). */
#ifndef PROBE_TESTS_FAULTS_H
#define PROBE_TESTS_FAULTS_H

#include <stddef.h>

#include "harness.h"

/* The deadline used by the tests and the slack the spec allows on top of it. */
#define FLT_T_MS 1000
#define FLT_SLACK_MS 100

/* Runs $PROBE_BIN (default build/asan/probe) with argv (NULL-terminated, without argv[0])
 * through harness_run(). nofile > 0: RLIMIT_NOFILE of the child. Fails the test when it could
 * not run, was killed, died of a signal or the sanitizer spoke. */
void flt_run(struct probe_result *r, const char *const argv[], long nofile);

/* Asserts exit code 1, that the line of check name is a FAIL matching the extended regex re,
 * and, when within_ms > 0, that the run took at most within_ms. */
void flt_assert_fail(const struct probe_result *r, const char *name, const char *re, int within_ms);
/* The same for a `check --json` run: exit 1, the check's reason word, its phase (unless NULL),
 * its output matching re, and the time bound. */
void flt_assert_json_fail(const struct probe_result *r, const char *name, const char *reason,
                          const char *phase, const char *re, int within_ms);
/* Asserts exit code 0 and a PASS line for name matching re. */
void flt_assert_pass(const struct probe_result *r, const char *name, const char *re);

/* Whether s matches the extended, case-insensitive regex re (a bad regex fails the test). */
int flt_match(const char *s, const char *re);

/* Suite .init: fails unless running inside the namespace of netns.sh. */
void flt_require_netns(void);

/* A DNS server on 127.0.0.1:53 (UDP and TCP) that reads and never answers. */
void flt_dns_silent(void);
/* A DNS server on 127.0.0.1:53 (UDP) that answers every query with NXDOMAIN. */
void flt_dns_nxdomain(void);

/* A TCP peer on 127.0.0.1 that misbehaves in one way; its connections are served one after
 * another by a thread of the test process. */
enum flt_mode {
    FLT_RESET_HALF_STATUS,  /* reads the request, writes "HTTP/1.1 2", resets */
    FLT_RESET_AFTER_READ,   /* reads whatever comes (or waits 200 ms), resets */
    FLT_RESET_MID_GREETING, /* writes half a MySQL handshake at once, resets */
    FLT_ENDLESS_CHUNKED,    /* 200 with a chunked body that never ends */
    FLT_ENDLESS_HEADERS,    /* "HTTP/1.1 200 OK" then header lines forever */
    FLT_REDIRECT_SELF,      /* 302 with Location: the same path */
    FLT_GARBAGE,            /* binary noise instead of a status line, then close */
};
/* Starts the peer and returns its port. */
int flt_server(enum flt_mode mode);

/* Packets counted so far by the iptables INPUT rule that drops SYNs to addr. */
long flt_syn_drops(const char *addr);

#endif
