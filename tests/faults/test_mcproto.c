/* Memcached peers that answer `version` wrongly: the error replies a server may give (with its
 * own text), something that is not memcached, a line over the cap, a close or a reset before
 * the line ends, silence. And one that answers right, a byte per write, so the reply is read
 * in pieces. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"
#include "scripted.h"

TestSuite(mcproto, .init = flt_require_netns);

/* How a scripted memcached answers once it has read the request line. */
enum mc_how {
    MC_HOLD,     /* writes the reply, then holds the connection until the client goes */
    MC_BYTEWISE, /* the same, one byte per write */
    MC_CLOSE,    /* writes the reply, then closes */
    MC_RESET,    /* writes the reply, then resets (SO_LINGER 0) */
    MC_LONG,     /* "VERSION " and 2,000 more bytes without a line end, then holds */
    MC_NOISE,    /* not scripted here: the fault suite's FLT_GARBAGE peer */
};

/* One misbehaving peer and what the check must make of it. Strings inline: Criterion runs
 * each row in a fresh process. */
struct mc_row {
    char reply[48];
    size_t len;
    enum mc_how how;
    char timeout[8];
    char re[96]; /* the FAIL line's message, an extended regex */
    char reason[12];
    char phase[12]; /* "" unless the reason is timeout */
    int within_ms;
};

/* The first word of the request the peer saw, upper-cased (server thread, same process). */
static char mc_seen[64];

static void
mc_serve(struct scr_conn *c, const void *arg)
{
    const struct mc_row *s = arg;
    struct linger lg = {1, 0};
    int one = 1, bytewise = s->how == MC_BYTEWISE;

    if (scr_resp_command(c, mc_seen, sizeof(mc_seen), 3000) != 0)
        return;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (s->how == MC_LONG) {
        char line[2008];

        memcpy(line, "VERSION ", 8);
        memset(line + 8, '1', sizeof(line) - 8);
        (void)scr_write(c, line, sizeof(line));
    }
    for (size_t i = 0; i < s->len; i += bytewise ? 1 : s->len) {
        if (scr_write(c, s->reply + i, bytewise ? 1 : s->len) != 0)
            return;
        if (bytewise)
            usleep(2000); /* one segment, and one read, per byte */
    }
    if (s->how == MC_RESET) /* scr_main's close then sends RST instead of FIN */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    else if (s->how != MC_CLOSE)
        scr_hold(c, 5000);
}

static int
mc_port(const struct mc_row *s)
{
    return s->how == MC_NOISE ? flt_server(FLT_GARBAGE) : scr_server(mc_serve, s);
}

/* The text run for the message and the time, then `--json` for the reason and the phase. */
static void
mc_case(const struct mc_row *s)
{
    const char *text[] = {"check", "--timeout", s->timeout, NULL, NULL, NULL};
    char url[64], v[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", mc_port(s));
    text[3] = url;
    flt_run(&r, text, 0);
    cr_log_info("%.1f ms: %s", r.elapsed_ms, r.out);
    flt_assert_fail(&r, "memcached", s->re, s->within_ms);
    if (s->how != MC_NOISE)
        cr_assert_str_eq(mc_seen, "VERSION", "the peer was asked \"%s\"", mc_seen);
    text[4] = "--json";
    flt_run(&r, text, 0);
    cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/reason", v, sizeof(v)), 0,
                 "no reason in\n%s", r.out);
    cr_assert_str_eq(v, s->reason, "%s", r.out);
    if (s->phase[0] != '\0') {
        cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/phase", v, sizeof(v)), 0,
                     "no phase in\n%s", r.out);
        cr_assert_str_eq(v, s->phase, "%s", r.out);
    }
}

#define R(s) s, sizeof(s) - 1
#define ENDS " +[0-9.]+ms$"

ParameterizedTestParameters(mcproto, bad_replies_fail_with_their_reason)
{
    static struct mc_row rows[] = {
        /* the error replies, with the server's own text */
        {R("ERROR\r\n"), MC_HOLD, "3s", "  ERROR" ENDS, "server", "", 1000},
        {R("SERVER_ERROR busy\r\n"), MC_HOLD, "3s", "  SERVER_ERROR busy" ENDS, "server", "", 1000},
        {R("CLIENT_ERROR bad command line format\r\n"), MC_HOLD, "3s",
         "  CLIENT_ERROR bad command line format" ENDS, "server", "", 1000},
        /* not memcached: judged by the first bytes, without waiting for a line end */
        {R("HTTP/1.1 400 Bad Request\r\n\r\n"), MC_HOLD, "3s",
         "unexpected reply to version: HTTP/1\\.1 400 Bad Request" ENDS, "protocol", "", 1000},
        {R("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), MC_HOLD, "3s",
         "unexpected reply to version: ", "protocol", "", 1000},
        {R("VERSION \r\n"), MC_HOLD, "3s", "unexpected reply to version: VERSION" ENDS, "protocol",
         "", 1000},
        /* the fault suite's noise peer waits up to 1 s for an HTTP request's blank line */
        {"", 0, MC_NOISE, "3s", "unexpected reply to version: ", "protocol", "", 1500},
        /* a line over the cap: at once, not at the deadline */
        {"", 0, MC_LONG, "3s", "reply to version over 1024 bytes" ENDS, "limit", "", 1000},
        /* the connection goes before the line ends */
        {"", 0, MC_CLOSE, "3s", "connection closed before a reply" ENDS, "connect", "", 1000},
        {R("VERSION 1.6"), MC_CLOSE, "3s", "connection closed in the middle of the reply" ENDS,
         "connect", "", 1000},
        {R("VERSION 1."), MC_RESET, "3s", "connection (reset|closed)", "connect", "", 1000},
        /* nothing comes: the deadline, in the response phase */
        {"", 0, MC_HOLD, "1s", "timeout after 1000ms \\(response\\)" ENDS, "timeout", "response",
         FLT_T_MS + FLT_SLACK_MS},
    };
    return cr_make_param_array(struct mc_row, rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTest(struct mc_row *s, mcproto, bad_replies_fail_with_their_reason, .timeout = 20)
{
    mc_case(s);
}

/* The reply arrives a byte per write: the line is put together from many reads. */
Test(mcproto, reply_in_one_byte_pieces_passes_with_the_version, .timeout = 20)
{
    static const struct mc_row s = {R("VERSION 1.6.18\r\n"), MC_BYTEWISE, "3s", "", "", "", 0};
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", scr_server(mc_serve, &s));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_pass(&r, "memcached", "  1\\.6\\.18" ENDS);
}
