/* Redis checks against a real redis-server with requirepass and ACL users, a replica with its
 * link up and a replica whose master is gone. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

/* Runs one redis check; userinfo is "" or "user:pass@" / ":pass@", rest is "/db?opts" or "". */
static void
check_redis(struct probe_result *r, const char *port_var, const char *userinfo, const char *rest)
{
    char url[512];
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};

    snprintf(url, sizeof(url), "redis://%s127.0.0.1:%d%s", userinfo, pt_env_int(port_var), rest);
    pt_run(r, argv, NULL);
}

static void
assert_no_redis_secrets(const struct probe_result *r)
{
    pt_assert_no_secret(r, HARNESS_REDIS_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_ACL_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_NOPING_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_PCT_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_PCT_PASSWORD_URL);
}

Test(redis, password_passes, .timeout = 20)
{
    char want[128];
    struct probe_result r;
    struct pt_line l;

    check_redis(&r, "PT_REDIS_PORT", ":" HARNESS_REDIS_PASSWORD "@", "");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
    pt_line_of(&r, "redis", &l);
    snprintf(want, sizeof(want), "redis://:***@127.0.0.1:%d", pt_env_int("PT_REDIS_PORT"));
    cr_assert_str_eq(l.target, want, "target column" PT_OUT, PT_ARGS(&r));
    assert_no_redis_secrets(&r);
}

Test(redis, acl_user_passes, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", HARNESS_REDIS_ACL_USER ":" HARNESS_REDIS_ACL_PASSWORD "@", "");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
    assert_no_redis_secrets(&r);
}

Test(redis, percent_escaped_password_passes, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", HARNESS_REDIS_PCT_USER ":" HARNESS_REDIS_PCT_PASSWORD_URL "@",
                "");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
    assert_no_redis_secrets(&r);
}

Test(redis, wrong_password_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", ":wrong-pw-0000@", "");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL",
                    "^WRONGPASS invalid username-password pair or user is disabled");
    pt_assert_no_secret(&r, "wrong-pw-0000");
    assert_no_redis_secrets(&r);
}

Test(redis, acl_user_wrong_password_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", HARNESS_REDIS_ACL_USER ":wrong-pw-0000@", "");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", "^WRONGPASS");
    pt_assert_no_secret(&r, "wrong-pw-0000");
}

Test(redis, noauth_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", "", "");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", "^NOAUTH Authentication required");
}

Test(redis, user_without_ping_permission_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT",
                HARNESS_REDIS_NOPING_USER ":" HARNESS_REDIS_NOPING_PASSWORD "@", "");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", "^NOPERM");
    assert_no_redis_secrets(&r);
}

Test(redis, database_index_passes, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", ":" HARNESS_REDIS_PASSWORD "@", "/3");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
}

Test(redis, database_out_of_range_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", ":" HARNESS_REDIS_PASSWORD "@", "/99");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", "DB index is out of range");
    assert_no_redis_secrets(&r);
}

Test(redis, refused_is_failure, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD,
             harness_free_port());
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", "connection refused");
    assert_no_redis_secrets(&r);
}

Test(redis, role_master_passes_on_master, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", ":" HARNESS_REDIS_PASSWORD "@", "?role=master");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
}

Test(redis, role_replica_is_failure_on_master, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_PORT", ":" HARNESS_REDIS_PASSWORD "@", "?role=replica");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", NULL);
}

Test(redis, role_replica_passes_on_replica_with_link_up, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_REPLICA_PORT", ":" HARNESS_REDIS_PASSWORD "@", "?role=replica");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
}

Test(redis, role_master_is_failure_on_replica, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_REPLICA_PORT", ":" HARNESS_REDIS_PASSWORD "@", "?role=master");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", NULL);
}

Test(redis, role_replica_is_failure_when_link_is_down, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_ORPHAN_PORT", ":" HARNESS_REDIS_PASSWORD "@", "?role=replica");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", NULL);
}

Test(redis, masterdown_is_failure_with_server_text, .timeout = 20)
{
    struct probe_result r;

    check_redis(&r, "PT_REDIS_ORPHAN_PORT", ":" HARNESS_REDIS_PASSWORD "@", "");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "redis", "FAIL", "^MASTERDOWN Link with MASTER is down");
    assert_no_redis_secrets(&r);
}
