/* Peers that drip: every byte of an otherwise correct answer comes one second after the one
 * before (a MySQL greeting, Redis replies, a TLS ServerHello). Each byte resets any idle timer
 * a client might have, so only a deadline of the whole check stops the probe: it must give up
 * at --timeout, within the slack, and name the phase it was stuck in. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"
#include "scripted.h"

TestSuite(drip, .init = flt_require_netns);

/* Bytes that a peer drips, one per second. */
struct drip_bytes {
    const void *data;
    size_t len;
};

/* Writes the bytes one at a time, a second apart, until they are gone or the client is. */
static void
drip_out(struct scr_conn *c, const void *bytes, size_t len)
{
    const unsigned char *data = bytes;

    for (size_t i = 0; i < len; i++) {
        if (scr_write(c, data + i, 1) != 0)
            return;
        scr_hold(c, 1000); /* returns early when the client closes */
    }
    scr_hold(c, 5000);
}

/* Redis and TLS: reads what the client sends first (the pipeline, the ClientHello). */
static void
drip_after_request(struct scr_conn *c, const void *arg)
{
    const struct drip_bytes *b = arg;
    const unsigned char *data = b->data;
    char name[64];

    if (b->len > 0 && data[0] != 0x16)
        (void)scr_resp_command(c, name, sizeof(name), 2000);
    drip_out(c, b->data, b->len);
}

/* MySQL speaks first: the greeting itself drips. */
static void
drip_mysql_greeting(struct scr_conn *c, const void *arg)
{
    struct scr_conn tmp = {0};
    unsigned char greeting[256];
    ssize_t n;
    int sp[2];

    (void)arg;
    /* scr_mysql_greeting() composes the packet; catch its bytes on a socket pair. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
        return;
    tmp.fd = sp[0];
    n = scr_mysql_greeting(&tmp) == 0 ? read(sp[1], greeting, sizeof(greeting)) : -1;
    close(sp[0]);
    close(sp[1]);
    if (n > 0)
        drip_out(c, greeting, (size_t)n);
}

/* Runs the probe with a 1 s deadline against a peer that drips data (NULL: serve drips its
 * own) and asserts that the check named name failed at the deadline, stuck in phase. */
static void
drip_case(scr_serve_fn serve, const void *data, size_t len, const char *url_fmt, const char *name,
          const char *phase)
{
    static struct drip_bytes b; /* read by the peer's thread */
    const char *argv[] = {"check", "--timeout", "1s", NULL, NULL};
    struct probe_result r;
    char url[128], re[128];

    b.data = data;
    b.len = len;
    snprintf(url, sizeof(url), url_fmt, scr_server(serve, &b));
    argv[3] = url;
    flt_run(&r, argv, 0);
    cr_log_info("%.1f ms: %s", r.elapsed_ms, r.out);
    /* not before the deadline (the peer never stopped), not past the slack */
    snprintf(re, sizeof(re), "timeout after %dms \\(%s\\)", FLT_T_MS, phase);
    flt_assert_fail(&r, name, re, FLT_T_MS + FLT_SLACK_MS);
    cr_assert(r.elapsed_ms >= FLT_T_MS - 50, "gave up after %.1f ms, before the deadline",
              r.elapsed_ms);
}

Test(drip, mysql_greeting_one_byte_a_second_times_out_in_auth, .timeout = 20)
{
    drip_case(drip_mysql_greeting, NULL, 0, "mysql://probe:pw@127.0.0.1:%d/app", "mysql", "auth");
}

Test(drip, redis_pong_one_byte_a_second_times_out_in_response, .timeout = 20)
{
    static const char pong[] = "+PONG\r\n";

    drip_case(drip_after_request, pong, sizeof(pong) - 1, "redis://127.0.0.1:%d", "redis",
              "response");
}

Test(drip, redis_pipeline_replies_one_byte_a_second_time_out_in_auth, .timeout = 20)
{
    static const char replies[] = "+OK\r\n+OK\r\n+PONG\r\n";

    drip_case(drip_after_request, replies, sizeof(replies) - 1, "redis://:pw@127.0.0.1:%d/2",
              "redis", "auth");
}

Test(drip, memcached_version_one_byte_a_second_times_out_in_response, .timeout = 20)
{
    static const char version[] = "VERSION 1.6.18\r\n";

    drip_case(drip_after_request, version, sizeof(version) - 1, "memcached://127.0.0.1:%d",
              "memcached", "response");
}

Test(drip, tls_server_hello_one_byte_a_second_times_out_in_tls, .timeout = 20)
{
    /* The start of a TLS 1.2 record carrying a ServerHello: handshake, version, length,
     * ServerHello, its length, server version, then random bytes. */
    static const unsigned char hello[] = {0x16, 0x03, 0x03, 0x00, 0x5a, 0x02, 0x00, 0x00,
                                          0x56, 0x03, 0x03, 0x5e, 0x11, 0x42, 0x9c, 0x07};

    drip_case(drip_after_request, hello, sizeof(hello), "web=https://127.0.0.1:%d/health", "web",
              "tls");
}

/* PostgreSQL: the server's first answer after the startup, an MD5 password request, drips. */
static void
drip_pg_auth_request(struct scr_conn *c, const void *arg)
{
    static const unsigned char md5req[] = {'R', 0, 0, 0, 12, 0, 0, 0, 5, 's', 'a', 'l', 't'};

    (void)arg;
    if (scr_pg_startup(c, 2000) == 0)
        drip_out(c, md5req, sizeof(md5req));
}

Test(drip, postgres_auth_request_one_byte_a_second_times_out_in_auth, .timeout = 20)
{
    drip_case(drip_pg_auth_request, NULL, 0, "postgres://probe:pw@127.0.0.1:%d/app", "postgres",
              "auth");
}

/* gRPC over h2c: the server's SETTINGS frame, the first thing an HTTP/2 server says. */
Test(drip, grpc_settings_one_byte_a_second_times_out_in_response, .timeout = 20)
{
    static const unsigned char settings[] = {0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100};

    drip_case(drip_after_request, settings, sizeof(settings), "grpc://127.0.0.1:%d", "grpc",
              "response");
}

Test(drip, grpcs_server_hello_one_byte_a_second_times_out_in_tls, .timeout = 20)
{
    static const unsigned char hello[] = {0x16, 0x03, 0x03, 0x00, 0x5a, 0x02, 0x00, 0x00,
                                          0x56, 0x03, 0x03, 0x5e, 0x11, 0x42, 0x9c, 0x07};

    drip_case(drip_after_request, hello, sizeof(hello), "grpcs://127.0.0.1:%d", "grpcs", "tls");
}
