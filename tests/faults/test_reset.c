/* Resets: a peer that closes with SO_LINGER 0 in the middle of the exchange. The check fails
 * at once with a clean reason, not at the deadline. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "faults.h"

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

Test(reset, memcached_reset_after_request_fails_at_once, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "3s", NULL, NULL};
    char url[64];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", flt_server(FLT_RESET_AFTER_READ));
    argv[3] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "memcached", "connection reset", 1000);
}
