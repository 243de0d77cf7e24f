/* Resets: a peer that closes with SO_LINGER 0 in the middle of the exchange. The check fails
 * at once with a clean reason, not at the deadline. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "faults.h"

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
