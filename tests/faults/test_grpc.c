/* gRPC checks against the network's faults: dropped SYNs (one address, and a name whose two
 * addresses both drop them), a peer that accepts and never speaks, one that resets in the
 * middle of its HTTP/2 reply, and one that answers with noise. Each ends within T + 100 ms
 * with its phase and reason. DNS faults are in test_dns.c, drips in test_drip.c. */
#include <criterion/criterion.h>

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"
#include "scripted.h"

TestSuite(grpc_faults, .init = flt_require_netns);

/* The reason word of check name in a --json run. */
static void
assert_reason(const struct probe_result *r, const char *name, const char *reason, const char *phase)
{
    char path[96], v[64];

    snprintf(path, sizeof(path), "checks/%s:responseTime/0/reason", name);
    cr_assert_eq(pt_json_get(r->out, path, v, sizeof(v)), 0, "no reason in\n%s", r->out);
    cr_assert_str_eq(v, reason, "%s", r->out);
    snprintf(path, sizeof(path), "checks/%s:responseTime/0/phase", name);
    if (phase == NULL) {
        cr_assert_eq(pt_json_get(r->out, path, v, sizeof(v)), -1, "a phase in\n%s", r->out);
        return;
    }
    cr_assert_eq(pt_json_get(r->out, path, v, sizeof(v)), 0, "no phase in\n%s", r->out);
    cr_assert_str_eq(v, phase, "%s", r->out);
}

/* Runs one check named grpc (text, then --json) and asserts the failure, its reason and phase. */
static void
expect_grpc_fail(const char *url, const char *re, const char *reason, const char *phase,
                 int within_ms)
{
    char target[128];
    const char *text[] = {"check", "--timeout", "1s", target, NULL};
    const char *json[] = {"check", "--json", "--timeout", "1s", target, NULL};
    struct probe_result r;

    snprintf(target, sizeof(target), "grpc=%s", url);

    flt_run(&r, text, 0);
    flt_assert_fail(&r, "grpc", re, within_ms);
    flt_run(&r, json, 0);
    cr_assert_eq(r.exit_code, 1, "exit %d\n%s%s", r.exit_code, r.out, r.err);
    assert_reason(&r, "grpc", reason, phase);
}

Test(grpc_faults, syns_dropped_times_out_in_connect_phase, .timeout = 20)
{
    expect_grpc_fail("grpc://127.0.0.4:50051", "timeout after 1000ms \\(connect\\)", "timeout",
                     "connect", FLT_T_MS + FLT_SLACK_MS);
}

/* multi.probe-test is 127.0.0.2 and 127.0.0.3, both dropping SYNs: each gets its share. */
Test(grpc_faults, two_addresses_dropped_both_tried_within_the_deadline, .timeout = 20)
{
    long before = flt_syn_drops("127.0.0.3");

    cr_assert(before >= 0, "no iptables DROP rule for 127.0.0.3");
    expect_grpc_fail("grpc://multi.probe-test:50051", "timeout after 1000ms \\(connect\\)",
                     "timeout", "connect", FLT_T_MS + FLT_SLACK_MS);
    cr_assert_gt(flt_syn_drops("127.0.0.3"), before, "the second address was never tried");
}

Test(grpc_faults, grpcs_syns_dropped_times_out_in_connect_phase, .timeout = 20)
{
    expect_grpc_fail("grpcs://127.0.0.4:443", "timeout after 1000ms \\(connect\\)", "timeout",
                     "connect", FLT_T_MS + FLT_SLACK_MS);
}

Test(grpc_faults, silent_peer_times_out_in_response_phase, .timeout = 20)
{
    char url[64];
    int port, fd = harness_silent_listener(&port);

    cr_assert_geq(fd, 0);
    snprintf(url, sizeof(url), "grpc://127.0.0.1:%d", port);
    expect_grpc_fail(url, "timeout after 1000ms \\(response\\)", "timeout", "response",
                     FLT_T_MS + FLT_SLACK_MS);
    snprintf(url, sizeof(url), "grpcs://127.0.0.1:%d", port);
    expect_grpc_fail(url, "timeout after 1000ms \\(tls\\)", "timeout", "tls",
                     FLT_T_MS + FLT_SLACK_MS);
    close(fd);
}

/* Reads what the client sends for up to ms, so that its request is in before the reply. */
static void
read_for(struct scr_conn *c, int ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};

    while (poll(&p, 1, ms) == 1 && read(c->fd, c->buf, sizeof(c->buf)) > 0)
        ms = 50;
}

/* An HTTP/2 server's SETTINGS, then the start of a HEADERS frame on stream 1, then a reset
 * (SO_LINGER 0; scripted.c closes the fd after this returns). */
static void
reset_mid_reply(struct scr_conn *c, const void *arg)
{
    static const unsigned char reply[] = {
        0, 0, 0,    4, 0, 0, 0, 0, 0,            /* SETTINGS, empty */
        0, 0, 0,    4, 1, 0, 0, 0, 0,            /* SETTINGS ACK */
        0, 0, 0x20, 1, 4, 0, 0, 0, 1, 0x88, 0x5f /* HEADERS (32 bytes said, 2 sent) */
    };
    struct linger lg = {1, 0};

    (void)arg;
    read_for(c, 500);
    (void)scr_write(c, reply, sizeof(reply));
    usleep(50 * 1000);
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

Test(grpc_faults, reset_mid_reply_fails_at_once_with_connect, .timeout = 20)
{
    char url[64];

    snprintf(url, sizeof(url), "grpc://127.0.0.1:%d", scr_server(reset_mid_reply, NULL));
    expect_grpc_fail(url, "connection reset|reset|closed", "connect", NULL, 1000);
}

/* Noise instead of HTTP/2: not gRPC, said at once. */
Test(grpc_faults, garbage_fails_at_once_with_protocol, .timeout = 20)
{
    char url[64];

    snprintf(url, sizeof(url), "grpc://127.0.0.1:%d", flt_server(FLT_GARBAGE));
    expect_grpc_fail(url, "not gRPC", "protocol", NULL, 1000);
}
