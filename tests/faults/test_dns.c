/* DNS faults: the probe resolves names itself, on the loop and under the deadline. A server
 * that never answers ends as "timeout after Tms (dns)" at T; NXDOMAIN fails at once. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "faults.h"
#include "harness.h"

TestSuite(dns, .init = flt_require_netns);

/* One check of every kind, all on the same name. */
#define DNS_EVERY_KIND                                                                             \
    "web=http://db.probe-test/", "db=mysql://probe:pw@db.probe-test/app",                          \
        "cache=redis://db.probe-test", "port=tcp://db.probe-test:5432",                            \
        "pg=postgres://probe:pw@db.probe-test/app", "sessions=memcached://db.probe-test",          \
        "rpc=grpc://db.probe-test"

/* A check of url named name, with a silent DNS server, times out in the dns phase at T. */
static void
expect_dns_timeout(const char *url, const char *name)
{
    const char *argv[] = {"check", "--timeout", "1s", url, NULL};
    struct probe_result r;

    flt_dns_silent();
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, name, "timeout after 1000ms \\(dns\\)", FLT_T_MS + FLT_SLACK_MS);
}

Test(dns, silent_server_http_times_out_in_dns_phase, .timeout = 20)
{
    expect_dns_timeout("http://db.probe-test:8080/health", "http");
}

Test(dns, silent_server_mysql_times_out_in_dns_phase, .timeout = 20)
{
    expect_dns_timeout("mysql://probe:pw@db.probe-test:3306/app", "mysql");
}

Test(dns, silent_server_redis_times_out_in_dns_phase, .timeout = 20)
{
    expect_dns_timeout("redis://db.probe-test:6379", "redis");
}

Test(dns, silent_server_memcached_times_out_in_dns_phase, .timeout = 20)
{
    expect_dns_timeout("memcached://db.probe-test", "memcached");
}

Test(dns, silent_server_grpc_times_out_in_dns_phase, .timeout = 20)
{
    expect_dns_timeout("grpcs://db.probe-test/app.Svc", "grpcs");
}

Test(dns, silent_server_every_check_times_out_at_once, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "1s", DNS_EVERY_KIND, NULL};
    struct probe_result r;

    flt_dns_silent();
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "web", "timeout after 1000ms \\(dns\\)", FLT_T_MS + FLT_SLACK_MS);
    flt_assert_fail(&r, "db", "timeout after 1000ms \\(dns\\)", 0);
    flt_assert_fail(&r, "cache", "timeout after 1000ms \\(dns\\)", 0);
    flt_assert_fail(&r, "port", "timeout after 1000ms \\(dns\\)", 0);
    flt_assert_fail(&r, "pg", "timeout after 1000ms \\(dns\\)", 0);
    flt_assert_fail(&r, "sessions", "timeout after 1000ms \\(dns\\)", 0);
    flt_assert_fail(&r, "rpc", "timeout after 1000ms \\(dns\\)", 0);
}

/* NXDOMAIN is an answer: the check fails with it long before the deadline. */
static void
expect_no_such_host(const char *url, const char *name)
{
    const char *argv[] = {"check", "--timeout", "3s", url, NULL};
    struct probe_result r;

    flt_dns_nxdomain();
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, name, "no such host db\\.probe-test", 1000);
}

Test(dns, silent_server_postgres_times_out_in_dns_phase, .timeout = 20)
{
    expect_dns_timeout("postgres://probe:pw@db.probe-test/app", "postgres");
}

Test(dns, nxdomain_postgres_fails_at_once, .timeout = 20)
{
    expect_no_such_host("postgres://probe:pw@db.probe-test/app", "postgres");
}

Test(dns, nxdomain_http_fails_at_once, .timeout = 20)
{
    expect_no_such_host("http://db.probe-test/", "http");
}

Test(dns, nxdomain_mysql_fails_at_once, .timeout = 20)
{
    expect_no_such_host("mysql://probe:pw@db.probe-test/app", "mysql");
}

Test(dns, nxdomain_redis_fails_at_once, .timeout = 20)
{
    expect_no_such_host("redis://db.probe-test", "redis");
}

Test(dns, nxdomain_grpc_fails_at_once, .timeout = 20)
{
    expect_no_such_host("grpc://db.probe-test", "grpc");
}

Test(dns, nxdomain_tcp_fails_at_once, .timeout = 20)
{
    expect_no_such_host("tcp://db.probe-test:5432", "tcp");
}

Test(dns, nxdomain_memcached_fails_at_once, .timeout = 20)
{
    expect_no_such_host("memcached://db.probe-test", "memcached");
}

/* The health document gives every kind the same reason word for the same DNS failure. */
static void
expect_dns_reasons(int silent)
{
    static const char *const names[] = {"web", "db", "cache", "port", "pg", "sessions", "rpc"};
    const char *argv[] = {"check", "--json", "--timeout", "1s", DNS_EVERY_KIND, NULL};
    struct probe_result r;
    char path[96], v[64];

    if (silent)
        flt_dns_silent();
    else
        flt_dns_nxdomain();
    flt_run(&r, argv, 0);
    cr_assert_eq(r.exit_code, 1, "exit %d\n%s%s", r.exit_code, r.out, r.err);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "checks/%s:responseTime/0/reason", names[i]);
        cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, "no %s in\n%s", path, r.out);
        cr_assert_str_eq(v, silent ? "timeout" : "dns", "%s in\n%s", path, r.out);
        snprintf(path, sizeof(path), "checks/%s:responseTime/0/phase", names[i]);
        if (silent) {
            cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, "no %s in\n%s", path, r.out);
            cr_assert_str_eq(v, "dns", "%s in\n%s", path, r.out);
        } else {
            cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), -1, "%s in\n%s", path, r.out);
        }
    }
}

Test(dns, nxdomain_reason_is_dns_for_every_kind, .timeout = 20)
{
    expect_dns_reasons(0);
}

Test(dns, silent_server_reason_is_timeout_in_phase_dns_for_every_kind, .timeout = 20)
{
    expect_dns_reasons(1);
}
