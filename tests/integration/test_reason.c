/* One failure vocabulary: every kind's failures carry the same reason words in the health
 * document, against the real servers (NXDOMAIN is in the fault suite, which has its own DNS).
 * And the start of a failing HTTP answer's body says why. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* A URL template: %d is replaced by the port from env (or a refused / silent port). */
struct reason_case {
    char name[24];
    char url[200];
    char port_env[24]; /* "PT_HTTP_PORT"...; "refused": a closed port; "silent": a silent one */
    char reason[12];
    char phase[12]; /* "" unless the reason is timeout */
};

ParameterizedTestParameters(reasons, every_kind_names_its_failure)
{
    static struct reason_case cases[] = {
        /* wrong password */
        {"mysql_auth", "mysql://probe:wrong@127.0.0.1:%d/app", "PT_MYSQL_PORT", "auth", ""},
        {"redis_auth", "redis://:wrong@127.0.0.1:%d", "PT_REDIS_PORT", "auth", ""},
        {"redis_acl_auth", "redis://alice:wrong@127.0.0.1:%d", "PT_REDIS_PORT", "auth", ""},
        {"redis_noauth", "redis://127.0.0.1:%d", "PT_REDIS_PORT", "auth", ""},
        {"rediss_auth", "rediss://:wrong@localhost:%d", "PT_REDIS_TLS_PORT", "auth", ""},
        /* certificates (rediss checks get --cacert with the test CA) */
        {"rediss_expired", "rediss://localhost:%d", "PT_REDIS_EXPIRED_PORT", "tls", ""},
        {"rediss_wrong_name", "rediss://localhost:%d", "PT_REDIS_WRONG_PORT", "tls", ""},
        {"mysql_no_db",
         "mysql://" HARNESS_MYSQL_USER ":" HARNESS_MYSQL_PASSWORD "@127.0.0.1:%d/nosuchdb",
         "PT_MYSQL_PORT", "auth", ""},
        {"pg_auth", "postgres://app:wrong@127.0.0.1:%d/app", "PT_PG_PORT", "auth", ""},
        {"pg_no_db", "postgres://" HARNESS_PG_USER ":" HARNESS_PG_PASSWORD "@127.0.0.1:%d/nosuchdb",
         "PT_PG_PORT", "auth", ""},
        /* refused */
        {"http_refused", "http://127.0.0.1:%d/", "refused", "connect", ""},
        {"tcp_refused", "tcp://127.0.0.1:%d", "refused", "connect", ""},
        {"mysql_refused", "mysql://probe:pw@127.0.0.1:%d/app", "refused", "connect", ""},
        {"redis_refused", "redis://127.0.0.1:%d", "refused", "connect", ""},
        {"pg_refused", "postgres://app:pw@127.0.0.1:%d/app", "refused", "connect", ""},
        {"memcached_refused", "memcached://127.0.0.1:%d", "refused", "connect", ""},
        {"grpc_refused", "grpc://127.0.0.1:%d", "refused", "connect", ""},
        /* the deadline, with the phase it was in */
        {"http_timeout", "http://127.0.0.1:%d/", "silent", "timeout", "response"},
        {"mysql_timeout", "mysql://probe:pw@127.0.0.1:%d/app", "silent", "timeout", "auth"},
        {"redis_timeout", "redis://127.0.0.1:%d", "silent", "timeout", "response"},
        {"pg_timeout", "postgres://app:pw@127.0.0.1:%d/app", "silent", "timeout", "tls"},
        {"pg_plain_timeout", "postgres://app:pw@127.0.0.1:%d/app?sslmode=disable", "silent",
         "timeout", "auth"},
        {"memcached_timeout", "memcached://127.0.0.1:%d", "silent", "timeout", "response"},
        {"grpc_timeout", "grpc://127.0.0.1:%d", "silent", "timeout", "response"},
        {"grpcs_timeout", "grpcs://127.0.0.1:%d", "silent", "timeout", "tls"},
        {"rediss_timeout", "rediss://127.0.0.1:%d", "silent", "timeout", "tls"},
        /* bad status, wrong role */
        {"http_status", "http://127.0.0.1:%d/503", "PT_HTTP_PORT", "status", ""},
        {"redis_role", "redis://:" HARNESS_REDIS_PASSWORD "@127.0.0.1:%d?role=replica",
         "PT_REDIS_PORT", "status", ""},
        {"pg_role",
         "postgres://" HARNESS_PG_USER ":" HARNESS_PG_PASSWORD "@127.0.0.1:%d/app?role=standby",
         "PT_PG_PORT", "status", ""},
        {"grpc_not_serving", "grpc://127.0.0.1:%d/down", "PT_GRPC_PORT", "status", ""},
        {"grpc_unknown_service", "grpc://127.0.0.1:%d/nosuch", "PT_GRPC_PORT", "status", ""},
        {"grpc_unimplemented", "grpc://127.0.0.1:%d", "PT_GRPC_NOHEALTH_PORT", "status", ""},
        {"grpc_unavailable", "grpc://127.0.0.1:%d/unavailable", "PT_GRPC_PORT", "server", ""},
        {"grpc_unauthenticated", "grpc://127.0.0.1:%d/denied", "PT_GRPC_PORT", "auth", ""},
        {"grpcs_unknown_ca", "grpcs://127.0.0.1:%d", "PT_GRPCS_PORT", "tls", ""},
        /* the answer lacks what was asked for */
        {"mysql_no_rows",
         "mysql://" HARNESS_MYSQL_USER ":" HARNESS_MYSQL_PASSWORD
         "@127.0.0.1:%d/app?query=SELECT%%201%%20FROM%%20items%%20WHERE%%201=0",
         "PT_MYSQL_PORT", "body", ""},
        {"mysql_bad_query",
         "mysql://" HARNESS_MYSQL_USER ":" HARNESS_MYSQL_PASSWORD
         "@127.0.0.1:%d/app?query=SELECT%%20nosuchcol%%20FROM%%20items",
         "PT_MYSQL_PORT", "server", ""},
        {"pg_no_rows",
         "postgres://" HARNESS_PG_USER ":" HARNESS_PG_PASSWORD
         "@127.0.0.1:%d/app?query=SELECT%%201%%20WHERE%%20false",
         "PT_PG_PORT", "body", ""},
        {"pg_bad_query",
         "postgres://" HARNESS_PG_USER ":" HARNESS_PG_PASSWORD
         "@127.0.0.1:%d/app?query=SELECT%%20nosuchcol",
         "PT_PG_PORT", "server", ""},
        {"pg_not_accepting",
         "postgres://" HARNESS_PG_USER ":" HARNESS_PG_PASSWORD "@127.0.0.1:%d/app",
         "PT_PG_COLD_PORT", "server", ""},
        /* TLS asked of a server without it */
        {"pg_tls",
         "postgres://" HARNESS_PG_USER ":" HARNESS_PG_PASSWORD "@127.0.0.1:%d/app?sslmode=require",
         "PT_PG_PORT", "tls", ""},
        /* the peer speaks something else */
        {"http_garbage", "http://127.0.0.1:%d/garbage", "PT_HTTP_PORT", "protocol", ""},
        {"redis_is_mysql", "redis://127.0.0.1:%d", "PT_MYSQL_PORT", "protocol", ""},
        {"pg_is_mysql", "postgres://app:pw@127.0.0.1:%d/app", "PT_MYSQL_PORT", "protocol", ""},
        {"pg_plain_is_mysql", "postgres://app:pw@127.0.0.1:%d/app?sslmode=disable", "PT_MYSQL_PORT",
         "protocol", ""},
        {"memcached_is_redis", "memcached://127.0.0.1:%d", "PT_REDIS_PORT", "protocol", ""},
        {"grpc_is_http1", "grpc://127.0.0.1:%d", "PT_HTTP_PORT", "protocol", ""},
        {"grpc_is_mysql", "grpc://127.0.0.1:%d", "PT_MYSQL_PORT", "protocol", ""},
        {"rediss_to_plain_port", "rediss://127.0.0.1:%d", "PT_REDIS_PORT", "protocol", ""},
        /* closed before any reply: what a TLS-only port does to plain text */
        {"redis_to_tls_port", "redis://127.0.0.1:%d", "PT_REDIS_TLS_PORT", "connect", ""},
        /* over a cap */
        {"http_body_cap", "http://127.0.0.1:%d/big", "PT_HTTP_PORT", "limit", ""},
        {"http_json_cap", "http://127.0.0.1:%d/json/big", "PT_HTTP_PORT", "limit", ""},
        /* --expect-json: a value that differs, a body that is not JSON */
        {"http_json_differs", "http://127.0.0.1:%d/json/spring-down", "PT_HTTP_PORT", "body", ""},
        {"http_json_invalid", "http://127.0.0.1:%d/json/invalid", "PT_HTTP_PORT", "body", ""},
        /* --unix-socket to a path that does not exist */
        {"http_unix_missing", "http://127.0.0.1:%d/", "PT_HTTP_PORT", "connect", ""},
    };
    return cr_make_param_array(struct reason_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct reason_case *c, reasons, every_kind_names_its_failure, .timeout = 20)
{
    char url[320], target[360], path[128], v[64];
    const char *argv[] = {"check", "--json", "--timeout", "1s", target, NULL, NULL, NULL};
    struct probe_result r;
    int fd = -1, port;

    if (strcmp(c->port_env, "refused") == 0) {
        port = harness_free_port();
    } else if (strcmp(c->port_env, "silent") == 0) {
        fd = harness_silent_listener(&port);
        cr_assert_geq(fd, 0, "silent listener");
    } else {
        port = pt_env_int(c->port_env);
    }
    snprintf(url, sizeof(url), c->url, port);
    snprintf(target, sizeof(target), "%s=%s", c->name, url);
    if (strcmp(c->name, "http_body_cap") == 0) {
        argv[5] = "--expect-body";
        argv[6] = "never-there";
    } else if (strncmp(c->name, "http_json_", 10) == 0) {
        argv[5] = "--expect-json";
        argv[6] = "/status=UP";
    } else if (strcmp(c->name, "http_unix_missing") == 0) {
        argv[5] = "--unix-socket";
        argv[6] = "/nonexistent/probe-test.sock";
    }
    if (strncmp(c->name, "rediss", 6) == 0) {
        argv[5] = "--cacert";
        argv[6] = pt_env("PT_HTTPS_CA");
    }
    pt_run(&r, argv, NULL);
    if (fd >= 0)
        close(fd);
    PT_ASSERT_EXIT(&r, 1);
    snprintf(path, sizeof(path), "checks/%s:responseTime/0/reason", c->name);
    cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, "no reason for %s" PT_OUT, c->name,
                 PT_ARGS(&r));
    cr_assert_str_eq(v, c->reason, "%s" PT_OUT, c->name, PT_ARGS(&r));
    snprintf(path, sizeof(path), "checks/%s:responseTime/0/phase", c->name);
    if (c->phase[0] != '\0') {
        cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, "no phase" PT_OUT, PT_ARGS(&r));
        cr_assert_str_eq(v, c->phase, "%s" PT_OUT, c->name, PT_ARGS(&r));
    } else {
        cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), -1, "phase without a timeout" PT_OUT,
                     PT_ARGS(&r));
    }
    pt_assert_no_secret(&r, HARNESS_MYSQL_PASSWORD);
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
    pt_assert_no_secret(&r, HARNESS_PG_PASSWORD);
}

Test(reason, passing_checks_carry_no_reason, .timeout = 20)
{
    char target[128], v[64];
    const char *argv[] = {"check", "--json", target, NULL};
    struct probe_result r;

    snprintf(target, sizeof(target), "web=http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_json_get(r.out, "checks/web:responseTime/0/reason", v, sizeof(v)), -1, PT_OUT,
                 PT_ARGS(&r));
}

/* Django's health views and Spring's /actuator/health put the cause in the body. */
Test(reason, failing_status_shows_the_start_of_the_body, .timeout = 20)
{
    char target[128];
    const char *argv[] = {"check", target, NULL};
    struct probe_result r;

    snprintf(target, sizeof(target), "app=http://127.0.0.1:%d/unhealthy",
             pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    /* Cleaned: the tab became a space, the newline at the end is gone. */
    pt_assert_check(&r, "app", "FAIL",
                    "^HTTP 503: \\{\"status\": \"unhealthy\", \"error\": \"Error 111 connecting to "
                    "redis:6379\\. Connection refused\\.\"\\}$");
}

Test(reason, failing_status_body_is_cut, .timeout = 20)
{
    char target[128], path[] = "checks/big:responseTime/0/output", v[2048];
    const char *argv[] = {"check", "--json", target, NULL};
    struct probe_result r;

    snprintf(target, sizeof(target), "big=http://127.0.0.1:%d/bigerror",
             pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(v, "^HTTP 500: FIRST e+$", 0), "%s", v);
    cr_assert_leq(strlen(v), 300, "the body shown is bounded: %zu bytes", strlen(v));
}

Test(reason, failing_status_shows_a_short_body_whole, .timeout = 20)
{
    char target[128];
    const char *argv[] = {"check", "--expect-status", "200", target, NULL};
    struct probe_result r;

    snprintf(target, sizeof(target), "r=http://127.0.0.1:%d/redirect", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "r", "FAIL", "^HTTP 302: redirect$");
}
