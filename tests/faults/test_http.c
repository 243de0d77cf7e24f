/* HTTP peers that never stop or do not speak HTTP: the caps on body and headers hold, a 3xx
 * is judged by the status set and never followed, garbage is a clean failure. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "faults.h"

TestSuite(http, .init = flt_require_netns);

/* Runs `check --timeout 3s [extra] http://127.0.0.1:PORT/` against a peer in mode. */
static void
run_against(struct probe_result *r, enum flt_mode mode, const char *extra1, const char *extra2)
{
    const char *argv[8] = {"check", "--timeout", "3s"};
    char url[64];
    int n = 3;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/loop", flt_server(mode));
    if (extra1 != NULL)
        argv[n++] = extra1;
    if (extra2 != NULL)
        argv[n++] = extra2;
    argv[n++] = url;
    argv[n] = NULL;
    flt_run(r, argv, 0);
}

Test(http, endless_chunked_body_fails_fast_with_body_over_the_limit, .timeout = 20)
{
    struct probe_result r;

    run_against(&r, FLT_ENDLESS_CHUNKED, "--expect-body", "never-there");
    flt_assert_fail(&r, "http", "body", 2000);
    cr_assert(r.maxrss_kb < 256 * 1024, "max RSS %ld KiB", r.maxrss_kb);
}

Test(http, endless_headers_fail_with_headers_over_the_limit, .timeout = 20)
{
    struct probe_result r;

    run_against(&r, FLT_ENDLESS_HEADERS, NULL, NULL);
    flt_assert_fail(&r, "http", "header", 2000);
    cr_assert(r.maxrss_kb < 256 * 1024, "max RSS %ld KiB", r.maxrss_kb);
}

Test(http, redirect_to_itself_passes_by_status_without_following, .timeout = 20)
{
    struct probe_result r;

    run_against(&r, FLT_REDIRECT_SELF, NULL, NULL);
    flt_assert_pass(&r, "http", " 302 ");
    cr_assert(r.elapsed_ms < 1000, "took %.1f ms", r.elapsed_ms);
}

Test(http, redirect_to_itself_fails_when_200_is_expected, .timeout = 20)
{
    struct probe_result r;

    run_against(&r, FLT_REDIRECT_SELF, "--expect-status", "200");
    flt_assert_fail(&r, "http", "302", 1000);
}

Test(http, garbage_instead_of_http_fails_with_a_reason, .timeout = 20)
{
    struct probe_result r;

    run_against(&r, FLT_GARBAGE, NULL, NULL);
    flt_assert_fail(&r, "http", "[a-z]{4,}", 2000);
}
