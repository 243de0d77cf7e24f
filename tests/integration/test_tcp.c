/* Plain TCP checks: passing means the connection was established, nothing more. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static void
check_url(struct probe_result *r, const char *url)
{
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};

    pt_run(r, argv, NULL);
}

Test(tcp, open_port_passes, .timeout = 20)
{
    char url[128];
    struct probe_result r;
    struct pt_line l;

    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", pt_env_int("PT_HTTP_PORT"));
    check_url(&r, url);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "tcp", "PASS", NULL);
    pt_line_of(&r, "tcp", &l);
    cr_assert_str_eq(l.target, url, "target column" PT_OUT, PT_ARGS(&r));
}

Test(tcp, refused_is_failure, .timeout = 20)
{
    char url[128];
    struct probe_result r;

    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", harness_free_port());
    check_url(&r, url);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "tcp", "FAIL", "connection refused");
}

Test(tcp, listener_that_never_accepts_passes, .timeout = 20)
{
    char url[128];
    struct probe_result r;
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0, "cannot listen on 127.0.0.1");
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
    check_url(&r, url);
    close(fd);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "tcp", "PASS", NULL);
}

Test(tcp, ipv6_loopback_passes, .timeout = 20)
{
    char url[128];
    struct probe_result r;
    int port = 0, fd = harness_listener("::1", 16, &port);

    if (fd < 0)
        cr_skip_test("no IPv6 loopback here");
    snprintf(url, sizeof(url), "tcp://[::1]:%d", port);
    check_url(&r, url);
    close(fd);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "tcp", "PASS", NULL);
}

Test(tcp, ipv6_refused_is_failure, .timeout = 20)
{
    char url[128];
    struct probe_result r;
    int port = 0, fd = harness_listener("::1", 16, &port);

    if (fd < 0)
        cr_skip_test("no IPv6 loopback here");
    close(fd); /* the port is now closed */
    snprintf(url, sizeof(url), "tcp://[::1]:%d", port);
    check_url(&r, url);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "tcp", "FAIL", "connection refused");
}

Test(tcp, missing_port_is_error_exit_1, .timeout = 20)
{
    struct probe_result r;

    check_url(&r, "tcp://127.0.0.1");
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(r.err_len + r.out_len > 0, "the reason is printed" PT_OUT, PT_ARGS(&r));
}
