/* Resets: a peer that closes with SO_LINGER 0 in the middle of the exchange. The check fails
 * at once with a clean reason, not at the deadline. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <sys/socket.h>

#include "faults.h"
#include "scripted.h"

TestSuite(reset, .init = flt_require_netns);

/* The check of url_fmt (%d: the port of a peer in mode) named name fails at once with re. */
static void
reset_case(enum flt_mode mode, const char *url_fmt, const char *name, const char *re)
{
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[80];
    struct probe_result r;

    snprintf(url, sizeof(url), url_fmt, flt_server(mode));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, name, re, 1000);
}

Test(reset, http_reset_mid_status_line_is_connection_reset, .timeout = 20)
{
    reset_case(FLT_RESET_HALF_STATUS, "http://127.0.0.1:%d/", "http", "connection reset");
}

Test(reset, redis_reset_after_request_fails_at_once, .timeout = 20)
{
    reset_case(FLT_RESET_AFTER_READ, "redis://127.0.0.1:%d", "redis", "reset|closed|lost|eof");
}

Test(reset, mysql_reset_mid_handshake_fails_at_once, .timeout = 20)
{
    reset_case(FLT_RESET_MID_GREETING, "mysql://probe:pw@127.0.0.1:%d/app", "mysql",
               "reset|lost|handshake|closed");
}

Test(reset, memcached_reset_after_request_fails_at_once, .timeout = 20)
{
    reset_case(FLT_RESET_AFTER_READ, "memcached://127.0.0.1:%d", "memcached", "connection reset");
}

/* Half of an authentication request, then a reset (SO_LINGER 0 on the close that follows). */
static void
pg_reset_mid_auth_request(struct scr_conn *c, const void *arg)
{
    static const unsigned char half[] = {'R', 0, 0, 0, 12, 0};
    struct linger lg = {1, 0};

    (void)arg;
    if (scr_pg_startup(c, 2000) == 0)
        (void)scr_write(c, half, sizeof(half));
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

Test(reset, postgres_reset_mid_reply_fails_at_once, .timeout = 20)
{
    const char *argv[] = {"check", "--json", "--timeout", "3s", NULL, NULL};
    char url[80], v[32];
    struct probe_result r;

    snprintf(url, sizeof(url), "postgres://probe:pw@127.0.0.1:%d/app",
             scr_server(pg_reset_mid_auth_request, NULL));
    argv[4] = url;
    flt_run(&r, argv, 0);
    cr_assert_eq(r.exit_code, 1, "%s", r.out);
    cr_assert_leq(r.elapsed_ms, 1000, "took %.1f ms", r.elapsed_ms);
    cr_assert_eq(pt_json_get(r.out, "checks/postgres:responseTime/0/reason", v, sizeof(v)), 0, "%s",
                 r.out);
    cr_assert_str_eq(v, "connect", "%s", r.out);
    cr_assert(flt_match(r.out, "connection reset|closed"), "%s", r.out);
}
