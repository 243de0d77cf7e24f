/* The deadline: `probe check --timeout T` exits within T + 100 ms whatever the peers do, and
 * reports unfinished checks as "timeout after Tms (PHASE)". Checks run at the same time. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include "harness.h"

/* The check called name failed with "timeout after T ms (PHASE)", PHASE one of phases. */
static void
assert_timeout(const struct probe_result *r, const char *name, int t_ms, const char *phases)
{
    char re[160];

    snprintf(re, sizeof(re), "^timeout after %dms \\((%s)\\)", t_ms, phases);
    pt_assert_check(r, name, "FAIL", re);
}

/* `probe check --timeout 1s URL` must fail by timing out in one of phases, in time. */
static void
expect_deadline(const char *url, const char *name, const char *phases)
{
    const char *argv[] = {"check", "--timeout", "1s", url, NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 1000);
    assert_timeout(&r, name, 1000, phases);
}

Test(deadline, holds_when_http_peer_is_silent, .timeout = 20)
{
    char url[128];
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    expect_deadline(url, "http", "request|response");
    close(fd);
}

Test(deadline, holds_when_http_server_reads_and_never_answers, .timeout = 20)
{
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/silent", pt_env_int("PT_HTTP_PORT"));
    expect_deadline(url, "http", "request|response");
}

Test(deadline, holds_when_server_drips_bytes, .timeout = 20)
{
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/drip", pt_env_int("PT_HTTP_PORT"));
    expect_deadline(url, "http", "response");
}

Test(deadline, holds_when_response_is_slower_than_the_deadline, .timeout = 20)
{
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow?ms=5000", pt_env_int("PT_HTTP_PORT"));
    expect_deadline(url, "http", "response");
}

Test(deadline, holds_when_tls_handshake_stalls, .timeout = 20)
{
    char url[128];
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, sizeof(url), "web=https://127.0.0.1:%d/", port);
    expect_deadline(url, "web", "tls");
    close(fd);
}

Test(deadline, holds_when_syns_are_dropped, .timeout = 20)
{
    struct harness_full_listener f;
    char url[128];

    if (harness_full_listener_open(&f) != 0)
        cr_skip_test("cannot make the kernel drop SYNs here");
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", f.port);
    expect_deadline(url, "tcp", "connect");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f.port);
    expect_deadline(url, "http", "connect");
    harness_full_listener_close(&f);
}

Test(deadline, holds_when_mysql_peer_is_silent, .timeout = 20)
{
    char url[256];
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, sizeof(url), "mysql://%s:%s@127.0.0.1:%d/app", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, port);
    expect_deadline(url, "mysql", "connect|auth");
    close(fd);
}

Test(deadline, holds_when_redis_peer_is_silent, .timeout = 20)
{
    char url[256];
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD, port);
    expect_deadline(url, "redis", "connect|auth|request|response");
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/2", port);
    expect_deadline(url, "redis", "connect|auth|request|response");
    close(fd);
}

Test(deadline, holds_for_every_stuck_check_at_once, .timeout = 20)
{
    struct harness_full_listener f;
    char t[8][256];
    const char *argv[] = {"check", "--timeout", "1s", t[0], t[1], t[2],
                          t[3],    t[4],        t[5], t[6], t[7], NULL};
    struct probe_result r;
    int sport, sfd = harness_silent_listener(&sport), dropping;

    cr_assert(sfd >= 0);
    dropping = harness_full_listener_open(&f) == 0;
    snprintf(t[0], sizeof(t[0]), "ok=http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    snprintf(t[1], sizeof(t[1]), "web=http://127.0.0.1:%d/", sport);
    snprintf(t[2], sizeof(t[2]), "tls=https://127.0.0.1:%d/", sport);
    snprintf(t[3], sizeof(t[3]), "db=mysql://%s:%s@127.0.0.1:%d/app", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, sport);
    snprintf(t[4], sizeof(t[4]), "cache=redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD, sport);
    snprintf(t[5], sizeof(t[5]), "drip=http://127.0.0.1:%d/drip", pt_env_int("PT_HTTP_PORT"));
    snprintf(t[6], sizeof(t[6]), "syn=tcp://127.0.0.1:%d", dropping ? f.port : sport);
    snprintf(t[7], sizeof(t[7]), "syndb=mysql://%s:%s@127.0.0.1:%d/app", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, dropping ? f.port : sport);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 1000);
    cr_assert_eq(pt_count_lines(r.out), 8, PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "ok", "PASS", "^200$");
    assert_timeout(&r, "web", 1000, "request|response");
    assert_timeout(&r, "tls", 1000, "tls");
    assert_timeout(&r, "db", 1000, "connect|auth");
    assert_timeout(&r, "cache", 1000, "connect|auth|request|response");
    assert_timeout(&r, "drip", 1000, "response");
    if (dropping) {
        assert_timeout(&r, "syn", 1000, "connect");
        assert_timeout(&r, "syndb", 1000, "connect");
    }
    pt_assert_no_secret(&r, HARNESS_MYSQL_PASSWORD);
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
    if (dropping)
        harness_full_listener_close(&f);
    close(sfd);
}

Test(deadline, checks_run_concurrently_not_one_after_another, .timeout = 20)
{
    char t[3][256];
    const char *argv[] = {"check", "--timeout", "3s", t[0], t[1], t[2], NULL};
    struct probe_result r;
    int i;

    for (i = 0; i < 3; i++)
        snprintf(t[i], sizeof(t[i]), "slow%d=http://127.0.0.1:%d/slow?ms=1000", i,
                 pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_WITHIN(&r, 1600);
    cr_assert(r.elapsed_ms >= 1000, "the slow answers took %.1f ms?" PT_OUT, r.elapsed_ms,
              PT_ARGS(&r));
    pt_assert_check(&r, "slow0", "PASS", "^200$");
    pt_assert_check(&r, "slow1", "PASS", "^200$");
    pt_assert_check(&r, "slow2", "PASS", "^200$");
}

Test(deadline, run_ends_when_checks_finish_not_at_the_deadline, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", "--timeout", "10s", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_WITHIN(&r, 1000);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

Test(deadline, default_deadline_is_3s, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", url, NULL};
    struct probe_result r;
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    pt_run(&r, argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 3000);
    cr_assert(r.elapsed_ms >= 2900, "gave up after %.1f ms" PT_OUT, r.elapsed_ms, PT_ARGS(&r));
    assert_timeout(&r, "http", 3000, "request|response");
}

Test(deadline, holds_with_a_sub_second_timeout, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", "--timeout", "250ms", url, NULL};
    struct probe_result r;
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    pt_run(&r, argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 250);
    assert_timeout(&r, "http", 250, "request|response");
}

/* The test build's PROBE_TEST_STALL_MS blocks the loop like a stuck library call: the
 * watchdog, a timer signal independent of the loop, must still end the run at the deadline
 * and name every unfinished check with the phase it was in. */
Test(deadline, watchdog_ends_a_stuck_loop_and_names_the_unfinished_checks, .timeout = 20)
{
    char web[128];
    int port, fd = harness_silent_listener(&port);
    const char *argv[] = {"check", "--timeout", "500ms", web, "closed=tcp://127.0.0.1:1", NULL};
    const char *env[] = {"PROBE_TEST_STALL_MS=5000", NULL};
    struct probe_result r;

    pt_need_test_build("PROBE_TEST_STALL_MS");
    cr_assert(fd >= 0);
    snprintf(web, sizeof(web), "web=http://127.0.0.1:%d/", port);
    pt_run(&r, argv, env);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_WITHIN(&r, 600);
    cr_assert(pt_match(r.out,
                       "^FAIL web +http://127\\.0\\.0\\.1:[0-9]+/ +timeout after 500ms "
                       "\\(connect, watchdog\\)$",
                       0) &&
                  pt_match(r.out,
                           "^FAIL closed +tcp://127\\.0\\.0\\.1:1 +timeout after 500ms "
                           "\\(connect, watchdog\\)$",
                           0),
              "both unfinished checks named, with their phase" PT_OUT, PT_ARGS(&r));
}
