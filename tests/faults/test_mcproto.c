/* Memcached peers that answer `version` wrongly: the error replies a server may give (with its
 * own text), something that is not memcached, a line over the cap, a close or a reset before
 * the line ends, silence. And one that answers right, a byte per write, so the reply is read
 * in pieces. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"
#include "scripted.h"

TestSuite(mcproto, .init = flt_require_netns);

/* What a scripted memcached does once it has read the request line. */
struct mc_script {
    const char *reply;
    size_t len;
    int bytewise; /* 1: one byte per write */
    int reset;    /* 1: reset (SO_LINGER 0) right after the reply instead of holding */
    int close;    /* 1: close right after the reply */
};

/* The first word of the request the peer saw, upper-cased (server thread, same process). */
static char mc_seen[64];

static void
mc_serve(struct scr_conn *c, const void *arg)
{
    const struct mc_script *s = arg;
    struct linger lg = {1, 0};
    int one = 1;

    if (scr_resp_command(c, mc_seen, sizeof(mc_seen), 3000) != 0)
        return;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (size_t i = 0; i < s->len; i += s->bytewise ? 1 : s->len) {
        if (scr_write(c, s->reply + i, s->bytewise ? 1 : s->len) != 0)
            return;
        if (s->bytewise)
            usleep(2000); /* one segment, and one read, per byte */
    }
    if (s->reset) {
        /* scr_main's close then sends RST instead of FIN. */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        return;
    }
    if (!s->close)
        scr_hold(c, 5000);
}

/* Runs `check --json` against the script; the JSON document's reason (and phase) of the
 * check, then the text run for its message. */
static void
mc_case(const struct mc_script *s, const char *timeout, const char *msg_re, const char *reason,
        const char *phase, int within_ms)
{
    const char *json[] = {"check", "--json", "--timeout", timeout, NULL, NULL};
    const char *text[] = {"check", "--timeout", timeout, NULL, NULL};
    char url[64], v[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", scr_server(mc_serve, s));
    text[3] = url;
    flt_run(&r, text, 0);
    cr_log_info("%.1f ms: %s", r.elapsed_ms, r.out);
    flt_assert_fail(&r, "memcached", msg_re, within_ms);
    cr_assert_str_eq(mc_seen, "VERSION", "the peer was asked \"%s\"", mc_seen);
    json[4] = url;
    flt_run(&r, json, 0);
    cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/reason", v, sizeof(v)), 0,
                 "no reason in\n%s", r.out);
    cr_assert_str_eq(v, reason, "%s", r.out);
    if (phase != NULL) {
        cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/phase", v, sizeof(v)), 0,
                     "no phase in\n%s", r.out);
        cr_assert_str_eq(v, phase, "%s", r.out);
    }
}

#define R(s) s, sizeof(s) - 1

Test(mcproto, error_is_a_server_failure_with_its_text, .timeout = 20)
{
    static const struct mc_script s = {R("ERROR\r\n"), 0, 0, 0};

    mc_case(&s, "3s", "  ERROR +[0-9.]+ms$", "server", NULL, 1000);
}

Test(mcproto, server_error_busy_is_a_server_failure_with_its_text, .timeout = 20)
{
    static const struct mc_script s = {R("SERVER_ERROR busy\r\n"), 0, 0, 0};

    mc_case(&s, "3s", "  SERVER_ERROR busy +[0-9.]+ms$", "server", NULL, 1000);
}

Test(mcproto, client_error_is_a_server_failure_with_its_text, .timeout = 20)
{
    static const struct mc_script s = {R("CLIENT_ERROR bad command line format\r\n"), 0, 0, 0};

    mc_case(&s, "3s", "  CLIENT_ERROR bad command line format +[0-9.]+ms$", "server", NULL, 1000);
}

Test(mcproto, http_answer_is_a_protocol_failure, .timeout = 20)
{
    static const struct mc_script s = {R("HTTP/1.1 400 Bad Request\r\n\r\n"), 0, 0, 0};

    mc_case(&s, "3s", "unexpected reply to version: HTTP/1\\.1 400 Bad Request +[0-9.]+ms$",
            "protocol", NULL, 1000);
}

/* No line end ever comes, but the first bytes already say it is not memcached. */
Test(mcproto, binary_garbage_without_a_line_end_fails_at_once, .timeout = 20)
{
    static const struct mc_script s = {R("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 0, 0, 0};

    mc_case(&s, "3s", "unexpected reply to version: ", "protocol", NULL, 1000);
}

Test(mcproto, version_without_a_value_is_a_protocol_failure, .timeout = 20)
{
    static const struct mc_script s = {R("VERSION \r\n"), 0, 0, 0};

    mc_case(&s, "3s", "unexpected reply to version: VERSION", "protocol", NULL, 1000);
}

/* "VERSION " and then 2,000 bytes without a line end: the cap, at once, not the deadline. */
Test(mcproto, reply_line_over_the_cap_is_a_limit_failure, .timeout = 20)
{
    static char line[2100];
    static struct mc_script s;

    memcpy(line, "VERSION ", 8);
    memset(line + 8, '1', sizeof(line) - 8);
    s.reply = line;
    s.len = sizeof(line);
    mc_case(&s, "3s", "reply to version over 1024 bytes", "limit", NULL, 1000);
}

Test(mcproto, close_before_the_reply_fails_at_once, .timeout = 20)
{
    static const struct mc_script s = {"", 0, 0, 0, 1};

    mc_case(&s, "3s", "connection closed before a reply", "connect", NULL, 1000);
}

Test(mcproto, close_in_the_middle_of_the_reply_fails_at_once, .timeout = 20)
{
    static const struct mc_script s = {R("VERSION 1.6"), 0, 0, 1};

    mc_case(&s, "3s", "connection closed in the middle of the reply", "connect", NULL, 1000);
}

Test(mcproto, reset_in_the_middle_of_the_reply_fails_at_once, .timeout = 20)
{
    static const struct mc_script s = {R("VERSION 1."), 0, 1, 0};

    mc_case(&s, "3s", "connection (reset|closed)", "connect", NULL, 1000);
}

Test(mcproto, silent_peer_times_out_in_response_at_the_deadline, .timeout = 20)
{
    static const struct mc_script s = {"", 0, 0, 0, 0};

    mc_case(&s, "1s", "timeout after 1000ms \\(response\\)", "timeout", "response",
            FLT_T_MS + FLT_SLACK_MS);
}

/* The reply arrives a byte per write: the line is put together from many reads. */
Test(mcproto, reply_in_one_byte_pieces_passes_with_the_version, .timeout = 20)
{
    static const struct mc_script s = {R("VERSION 1.6.18\r\n"), 1, 0, 0};
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", scr_server(mc_serve, &s));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_pass(&r, "memcached", "  1\\.6\\.18 +[0-9.]+ms$");
}

/* The fault suite's own noise peer (it waits up to 1 s for an HTTP request's blank line, then
 * sends 512 bytes of noise and closes): a protocol failure, long before the 3 s deadline. */
Test(mcproto, noise_instead_of_a_reply_is_a_protocol_failure, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", flt_server(FLT_GARBAGE));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "memcached", "unexpected reply to version: ", 1500);
}
