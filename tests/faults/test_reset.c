/* Resets: a peer that closes with SO_LINGER 0 in the middle of the exchange. The check fails
 * at once with a clean reason, not at the deadline. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <sys/socket.h>

#include "faults.h"
#include "scripted.h"

TestSuite(reset, .init = flt_require_netns);

Test(reset, http_reset_mid_status_line_is_connection_reset, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", flt_server(FLT_RESET_HALF_STATUS));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "http", "connection reset", 1000);
}

Test(reset, redis_reset_after_request_fails_at_once, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", flt_server(FLT_RESET_AFTER_READ));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "redis", "reset|closed|lost|eof", 1000);
}

Test(reset, mysql_reset_mid_handshake_fails_at_once, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[80];
    struct probe_result r;

    snprintf(url, sizeof(url), "mysql://probe:pw@127.0.0.1:%d/app",
             flt_server(FLT_RESET_MID_GREETING));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "mysql", "reset|lost|handshake|closed", 1000);
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
