/* Connect faults: SYNs that vanish (iptables DROP on loopback addresses, set up by netns.sh),
 * a name whose every address drops SYNs, and addresses the routing table rejects. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "scripted.h"

TestSuite(connect, .init = flt_require_netns);

/* multi.probe-test is 127.0.0.2 and 127.0.0.3 in the namespace's /etc/hosts; SYNs to both are
 * dropped. Whatever the library (libmariadb alone would take minutes), the check ends as a
 * connect timeout at T. */
static void
expect_connect_timeout(const char *url, const char *name)
{
    const char *argv[] = {"check", "--timeout", "1s", url, NULL};
    struct probe_result r;

    flt_run(&r, argv, 0);
    flt_assert_fail(&r, name, "timeout after 1000ms \\(connect\\)", FLT_T_MS + FLT_SLACK_MS);
}

Test(connect, all_addresses_dropped_mysql_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("mysql://probe:pw@multi.probe-test:3306/app", "mysql");
}

Test(connect, all_addresses_dropped_postgres_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("postgres://probe:pw@multi.probe-test:5432/app", "postgres");
}

Test(connect, syns_dropped_for_one_address_postgres_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("postgres://probe:pw@127.0.0.4:5432/app", "postgres");
}

Test(connect, all_addresses_dropped_redis_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("redis://multi.probe-test:6379", "redis");
}

Test(connect, all_addresses_dropped_http_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("http://multi.probe-test:8080/", "http");
}

Test(connect, all_addresses_dropped_tcp_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("tcp://multi.probe-test:5432", "tcp");
}

Test(connect, all_addresses_dropped_memcached_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("memcached://multi.probe-test", "memcached");
}

Test(connect, syns_dropped_for_one_address_memcached_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("memcached://127.0.0.4", "memcached");
}

Test(connect, syns_dropped_for_one_address_tcp_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("tcp://127.0.0.4:5432", "tcp");
}

Test(connect, syns_dropped_for_one_address_mysql_times_out_in_connect_phase, .timeout = 20)
{
    expect_connect_timeout("mysql://probe:pw@127.0.0.4:3306/app", "mysql");
}

/* 10.255.255.10 has an `unreachable` route; nothing routes 10.255.255.11 (only lo exists). */
Test(connect, unreachable_route_fails_at_once_with_host_unreachable, .timeout = 20)
{
    const char *argv[] = {
        "check", "--timeout", "3s", "tcp://10.255.255.10:80", "web=http://10.255.255.10/", NULL};
    struct probe_result r;

    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "tcp", "host unreachable", 1000);
    flt_assert_fail(&r, "web", "host unreachable", 1000);
}

Test(connect, no_route_fails_at_once_with_network_unreachable, .timeout = 20)
{
    const char *argv[] = {
        "check", "--timeout", "3s", "tcp://10.255.255.11:80", "web=http://10.255.255.11/", NULL};
    struct probe_result r;

    flt_run(&r, argv, 0);
    flt_assert_fail(&r, "tcp", "network unreachable", 1000);
    flt_assert_fail(&r, "web", "network unreachable", 1000);
}

/* SPEC "Limits": when a name has several addresses, they are tried within the one deadline.
 * Today every check spends the whole deadline on the first address: 127.0.0.3 never sees a
 * SYN. Disabled until the probe shares the deadline between addresses (see the report of
 * issue 5); enable to reproduce. */
static void
expect_every_address_tried(const char *url, const char *name)
{
    long before = flt_syn_drops("127.0.0.3"), after;

    cr_assert(before >= 0, "no iptables DROP rule for 127.0.0.3");
    expect_connect_timeout(url, name);
    after = flt_syn_drops("127.0.0.3");
    cr_assert(after > before, "%s: the second address of multi.probe-test was never tried", url);
}

Test(connect, all_addresses_of_a_name_are_tried_within_the_deadline, .timeout = 30)
{
    expect_every_address_tried("tcp://multi.probe-test:5432", "tcp");
    expect_every_address_tried("http://multi.probe-test:8080/", "http");
    expect_every_address_tried("redis://multi.probe-test:6379", "redis");
    expect_every_address_tried("mysql://probe:pw@multi.probe-test:3306/app", "mysql");
    expect_every_address_tried("postgres://probe:pw@multi.probe-test:5432/app", "postgres");
    expect_every_address_tried("memcached://multi.probe-test", "memcached");
}

/* v6first.probe-test is ::1, where nothing listens, then 127.0.0.1, where a scripted peer
 * counts its connections and answers HTTP 200 to whatever it is sent. A refused first
 * address is no reason to fail: every kind must reach the second one, at once. */
static int v6first_reached;

static void
v6first_serve(struct scr_conn *c, const void *arg)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

    (void)arg;
    __atomic_add_fetch(&v6first_reached, 1, __ATOMIC_SEQ_CST);
    scr_write(c, ok, sizeof(ok) - 1);
    scr_hold(c, 300);
}

Test(connect, a_refused_first_address_moves_on_to_the_next_in_every_kind, .timeout = 20)
{
    static const char *const fmts[] = {
        "tcp://v6first.probe-test:%d",       "http://v6first.probe-test:%d/",
        "grpc://v6first.probe-test:%d",      "redis://v6first.probe-test:%d",
        "memcached://v6first.probe-test:%d", "mysql://probe:pw@v6first.probe-test:%d/app",
        "postgres://probe:pw@v6first.probe-test:%d/app",
    };
    int port = scr_server(v6first_serve, NULL);

    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        char url[128];
        const char *argv[] = {"check", "--timeout", "3s", url, NULL};
        struct probe_result r;
        int before = __atomic_load_n(&v6first_reached, __ATOMIC_SEQ_CST);

        snprintf(url, sizeof(url), fmts[i], port);
        flt_run(&r, argv, 0);
        cr_assert(strstr(r.out, "refused") == NULL, "%s ended on the refused address:\n%s", url,
                  r.out);
        cr_assert(__atomic_load_n(&v6first_reached, __ATOMIC_SEQ_CST) > before,
                  "%s never reached 127.0.0.1:\n%s", url, r.out);
        cr_assert(r.elapsed_ms < 1000, "%s took %ld ms:\n%s", url, (long)r.elapsed_ms, r.out);
        if (i < 2)
            cr_assert_eq(r.exit_code, 0, "%s:\n%s", url, r.out);
    }
}
