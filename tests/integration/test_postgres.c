/* PostgreSQL checks against real servers (Debian's postgresql): a primary with SCRAM, md5 and
 * percent-escaped users, a hot and a cold standby of it, and a server that takes TLS only
 * with a certificate for DNS names only (tests/integration/servers.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define PG_AUTH HARNESS_PG_USER ":" HARNESS_PG_PASSWORD "@"
/* "t" when the session runs over TLS, "f" when not. */
#define PG_SSL_QUERY "query=SELECT%20ssl%20FROM%20pg_stat_ssl%20WHERE%20pid%3Dpg_backend_pid()"

static void
assert_no_pg_secrets(const struct probe_result *r)
{
    pt_assert_no_secret(r, HARNESS_PG_PASSWORD);
    pt_assert_no_secret(r, HARNESS_PG_MD5_PASSWORD);
    pt_assert_no_secret(r, HARNESS_PG_PCT_PASSWORD);
    pt_assert_no_secret(r, HARNESS_PG_PCT_PASSWORD_URL);
}

/* Runs `probe check --timeout T [--json] postgres://USERINFO HOST:PORT REST` for PT_* port env. */
static void
check_pg_at(struct probe_result *r, const char *timeout, int json, const char *userinfo,
            const char *host, const char *port_env, const char *rest)
{
    char url[1024];
    const char *argv[] = {"check", "--timeout", timeout, url, NULL, NULL};

    snprintf(url, sizeof(url), "postgres://%s%s:%d%s", userinfo, host, pt_env_int(port_env), rest);
    if (json) {
        argv[3] = "--json";
        argv[4] = url;
    }
    pt_run(r, argv, NULL);
}

static void
check_pg(struct probe_result *r, const char *userinfo, const char *rest)
{
    check_pg_at(r, "5s", 0, userinfo, "127.0.0.1", "PT_PG_PORT", rest);
}

static void
assert_reason(const struct probe_result *r, const char *reason, const char *phase)
{
    char v[64];

    cr_assert_eq(pt_json_get(r->out, "checks/postgres:responseTime/0/reason", v, sizeof(v)), 0,
                 "no reason" PT_OUT, PT_ARGS(r));
    cr_assert_str_eq(v, reason, PT_OUT, PT_ARGS(r));
    if (phase != NULL) {
        cr_assert_eq(pt_json_get(r->out, "checks/postgres:responseTime/0/phase", v, sizeof(v)), 0,
                     "no phase" PT_OUT, PT_ARGS(r));
        cr_assert_str_eq(v, phase, PT_OUT, PT_ARGS(r));
    }
}

static void
require_env(const char *name)
{
    if (getenv(name) == NULL)
        cr_skip_test("%s is not set: %s", name,
                     getenv("PT_SETUP_ERRORS") ? getenv("PT_SETUP_ERRORS") : "?");
}

Test(postgres, scram_user_passes, .timeout = 20)
{
    char want[256];
    struct probe_result r;
    struct pt_line l;

    check_pg(&r, PG_AUTH, "/app");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", "^query ok: 1$");
    pt_line_of(&r, "postgres", &l);
    snprintf(want, sizeof(want), "postgres://app:***@127.0.0.1:%d/app", pt_env_int("PT_PG_PORT"));
    cr_assert_str_eq(l.target, want, "target column" PT_OUT, PT_ARGS(&r));
    assert_no_pg_secrets(&r);
}

Test(postgres, md5_user_passes, .timeout = 20)
{
    struct probe_result r;

    check_pg(&r, HARNESS_PG_MD5_USER ":" HARNESS_PG_MD5_PASSWORD "@", "/app");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
    assert_no_pg_secrets(&r);
}

Test(postgres, percent_escaped_password_passes, .timeout = 20)
{
    struct probe_result r;

    check_pg(&r, HARNESS_PG_PCT_USER ":" HARNESS_PG_PCT_PASSWORD_URL "@", "/app");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
    assert_no_pg_secrets(&r);
}

Test(postgres, password_from_the_environment_passes, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", url, NULL};
    const char *env[] = {"DB_PW=" HARNESS_PG_PASSWORD, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "db=postgresql://app:${DB_PW}@127.0.0.1:%d/app",
             pt_env_int("PT_PG_PORT"));
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "db", "PASS", NULL);
    assert_no_pg_secrets(&r);
}

Test(postgres, query_value_is_the_message, .timeout = 20)
{
    struct probe_result r;

    check_pg(&r, PG_AUTH, "/app?query=SELECT%20current_user");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", "^query ok: app$");
}

Test(postgres, query_without_rows_is_body_failure, .timeout = 20)
{
    struct probe_result r;

    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_PORT",
                "/app?query=SELECT%201%20WHERE%20false");
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "body", NULL);
}

Test(postgres, bad_query_reports_sqlstate, .timeout = 20)
{
    struct probe_result r;

    check_pg(&r, PG_AUTH, "/app?query=SELECT%20nosuchcol");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "postgres", "FAIL", "^42703 column \"nosuchcol\" does not exist$");
}

Test(postgres, wrong_password_is_auth_failure, .timeout = 20)
{
    struct probe_result r;

    check_pg_at(&r, "5s", 1, HARNESS_PG_USER ":wrong-pw-0000@", "127.0.0.1", "PT_PG_PORT", "/app");
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "auth", NULL);
    cr_assert(pt_match(r.out, "28P01 password authentication failed for user \\\\\"app\\\\\"", 0),
              PT_OUT, PT_ARGS(&r));
    pt_assert_no_secret(&r, "wrong-pw-0000");
    check_pg(&r, HARNESS_PG_USER ":wrong-pw-0000@", "/app");
    pt_assert_check(&r, "postgres", "FAIL",
                    "^28P01 password authentication failed for user \"app\"$");
    pt_assert_no_secret(&r, "wrong-pw-0000");
}

Test(postgres, unknown_database_is_auth_failure, .timeout = 20)
{
    struct probe_result r;

    check_pg(&r, PG_AUTH, "/nosuchdb");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "postgres", "FAIL", "^3D000 database \"nosuchdb\" does not exist$");
    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_PORT", "/nosuchdb");
    assert_reason(&r, "auth", NULL);
    assert_no_pg_secrets(&r);
}

Test(postgres, refused_is_connect_failure, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", "--json", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "postgres://%s127.0.0.1:%d/app", PG_AUTH, harness_free_port());
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "connect", NULL);
    PT_ASSERT_OUT_RE(&r, "connection refused");
    PT_ASSERT_WITHIN(&r, 1000);
    assert_no_pg_secrets(&r);
}

/* A peer that accepts and never speaks: stuck waiting for the answer to SSLRequest (tls) by
 * default, for the authentication request with sslmode=disable. */
Test(postgres, silent_peer_times_out_in_its_phase, .timeout = 20)
{
    static const char *const rest[] = {"/app", "/app?sslmode=disable"};
    static const char *const phase[] = {"tls", "auth"};

    for (int i = 0; i < 2; i++) {
        char url[256];
        const char *argv[] = {"check", "--json", "--timeout", "1s", url, NULL};
        struct probe_result r;
        int port, fd = harness_silent_listener(&port);

        cr_assert_geq(fd, 0);
        snprintf(url, sizeof(url), "postgres://%s127.0.0.1:%d%s", PG_AUTH, port, rest[i]);
        pt_run(&r, argv, NULL);
        close(fd);
        PT_ASSERT_EXIT(&r, 1);
        assert_reason(&r, "timeout", phase[i]);
        PT_ASSERT_DEADLINE(&r, 1000);
    }
}

Test(postgres, slow_query_times_out_in_query_phase, .timeout = 20)
{
    struct probe_result r;

    check_pg_at(&r, "1s", 0, PG_AUTH, "127.0.0.1", "PT_PG_PORT", "/app?query=SELECT%20pg_sleep(3)");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "postgres", "FAIL", "^timeout after 1000ms \\(query\\)$");
    PT_ASSERT_DEADLINE(&r, 1000);
}

Test(postgres, role_primary_passes_on_the_primary, .timeout = 20)
{
    struct probe_result r;

    check_pg(&r, PG_AUTH, "/app?role=primary");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", "^query ok: 1$");
}

Test(postgres, role_standby_is_status_failure_on_the_primary, .timeout = 20)
{
    struct probe_result r;

    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_PORT", "/app?role=standby");
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "status", NULL);
    PT_ASSERT_OUT_RE(&r, "not in recovery \\(primary\\), not standby");
}

Test(postgres, role_standby_passes_on_the_standby, .timeout = 20)
{
    struct probe_result r;

    require_env("PT_PG_STANDBY_PORT");
    check_pg_at(&r, "5s", 0, PG_AUTH, "127.0.0.1", "PT_PG_STANDBY_PORT", "/app?role=standby");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
}

Test(postgres, role_primary_is_status_failure_on_the_standby, .timeout = 20)
{
    struct probe_result r;

    require_env("PT_PG_STANDBY_PORT");
    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_STANDBY_PORT", "/app?role=primary");
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "status", NULL);
    PT_ASSERT_OUT_RE(&r, "in recovery \\(standby\\), not primary");
}

Test(postgres, server_not_accepting_connections_is_server_failure, .timeout = 20)
{
    struct probe_result r;

    require_env("PT_PG_COLD_PORT");
    check_pg_at(&r, "5s", 0, PG_AUTH, "127.0.0.1", "PT_PG_COLD_PORT", "/app");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "postgres", "FAIL",
                    "^57P03 the database system is (starting up|not accepting connections)$");
    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_COLD_PORT", "/app");
    assert_reason(&r, "server", NULL);
}

Test(postgres, unix_socket_passes, .timeout = 20)
{
    char url[512];
    const char *argv[] = {"check", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "postgres://%s:%d/app?socket=%s&%s", PG_AUTH,
             pt_env_int("PT_PG_PORT"), pt_env("PT_PG_SOCKET_DIR"), PG_SSL_QUERY);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
    assert_no_pg_secrets(&r);
}

/* ---- TLS: the server takes hostssl only; its certificate names localhost and db.test ---- */

static void
check_pg_tls(struct probe_result *r, int json, const char *host, const char *opts)
{
    char rest[HARNESS_PATH * 2];

    require_env("PT_PG_TLS_PORT");
    snprintf(rest, sizeof(rest), "/app?%s", opts);
    check_pg_at(r, "5s", json, PG_AUTH, host, "PT_PG_TLS_PORT", rest);
}

Test(postgres, sslmode_require_passes_and_encrypts, .timeout = 20)
{
    struct probe_result r;

    check_pg_tls(&r, 0, "127.0.0.1", "sslmode=require&" PG_SSL_QUERY);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", "^query ok: t$");
}

Test(postgres, default_sslmode_prefers_tls, .timeout = 20)
{
    struct probe_result r;

    check_pg_tls(&r, 0, "127.0.0.1", PG_SSL_QUERY);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", "^query ok: t$");
}

Test(postgres, verify_full_passes_by_name, .timeout = 20)
{
    char opts[HARNESS_PATH + 64];
    struct probe_result r;

    snprintf(opts, sizeof(opts), "sslmode=verify-full&sslrootcert=%s", pt_env("PT_HTTPS_CA"));
    check_pg_tls(&r, 0, "localhost", opts);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
}

Test(postgres, verify_full_with_cacert_flag_passes, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", "--cacert", pt_env("PT_HTTPS_CA"), url, NULL};
    struct probe_result r;

    require_env("PT_PG_TLS_PORT");
    snprintf(url, sizeof(url), "postgres://%slocalhost:%d/app?sslmode=verify-full", PG_AUTH,
             pt_env_int("PT_PG_TLS_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
}

/* The certificate names no IP address: by address, the name does not match. */
Test(postgres, verify_full_fails_for_a_name_not_in_the_certificate, .timeout = 20)
{
    char opts[HARNESS_PATH + 64];
    struct probe_result r;

    snprintf(opts, sizeof(opts), "sslmode=verify-full&sslrootcert=%s", pt_env("PT_HTTPS_CA"));
    check_pg_tls(&r, 1, "127.0.0.1", opts);
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "tls", NULL);
    PT_ASSERT_OUT_RE(&r, "does not match host name");
    check_pg_tls(&r, 0, "127.0.0.1", opts);
    pt_assert_check(&r, "postgres", "FAIL", NULL);
}

Test(postgres, verify_ca_passes_by_address, .timeout = 20)
{
    char opts[HARNESS_PATH + 64];
    struct probe_result r;

    snprintf(opts, sizeof(opts), "sslmode=verify-ca&sslrootcert=%s", pt_env("PT_HTTPS_CA"));
    check_pg_tls(&r, 0, "127.0.0.1", opts);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
}

Test(postgres, verify_full_fails_for_an_unknown_ca, .timeout = 20)
{
    char opts[HARNESS_PATH + 64];
    struct probe_result r;

    snprintf(opts, sizeof(opts), "sslmode=verify-full&sslrootcert=%s", pt_env("PT_TLS_SELF_CERT"));
    check_pg_tls(&r, 1, "localhost", opts);
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "tls", NULL);
    PT_ASSERT_OUT_RE(&r, "certificate verify failed");
    assert_no_pg_secrets(&r);
}

Test(postgres, sslmode_disable_fails_against_a_tls_only_server, .timeout = 20)
{
    struct probe_result r;

    check_pg_tls(&r, 0, "127.0.0.1", "sslmode=disable");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "postgres", "FAIL",
                    "^28000 no pg_hba\\.conf entry for host .*no encryption");
    check_pg_tls(&r, 1, "127.0.0.1", "sslmode=disable");
    assert_reason(&r, "auth", NULL);
}

Test(postgres, sslmode_require_fails_against_a_plain_server, .timeout = 20)
{
    struct probe_result r;

    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_PORT", "/app?sslmode=require");
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "tls", NULL);
    PT_ASSERT_OUT_RE(&r, "server does not support SSL");
}

/* ---- what libpq would read from elsewhere does not change what is checked ---- */

Test(postgres, pg_environment_variables_are_ignored, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", url, NULL};
    const char *env[] = {"PGPASSWORD=" HARNESS_PG_PASSWORD,
                         "PGSSLMODE=require",
                         "PGDATABASE=nosuchdb",
                         "PGSERVICE=nosuchservice",
                         "PGOPTIONS=-c statement_timeout=bogus",
                         "PGTARGETSESSIONATTRS=standby",
                         NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "postgres://%s127.0.0.1:%d", PG_AUTH, pt_env_int("PT_PG_PORT"));
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "postgres", "PASS", NULL);
    /* Without a password in the URL, PGPASSWORD does not supply one. */
    snprintf(url, sizeof(url), "postgres://app@127.0.0.1:%d/app", pt_env_int("PT_PG_PORT"));
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "postgres", "FAIL", "no password supplied");
}

/* ---- the session ends cleanly: the server logs no error for a probe ---- */

static int
count_in(const char *path, long from, const char *what, char *tail, size_t taillen)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;

    tail[0] = '\0';
    if (f == NULL)
        return -1;
    fseek(f, from, SEEK_SET);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, what) != NULL)
            n++;
        if (strstr(line, "unexpected EOF") || strstr(line, "could not receive data") ||
            strstr(line, "could not send data") || strstr(line, "incomplete startup packet") ||
            strstr(line, "connection reset"))
            snprintf(tail + strlen(tail), taillen - strlen(tail), "%s", line);
    }
    fclose(f);
    return n;
}

static long
file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

Test(postgres, server_logs_no_error_after_passing_and_aborted_checks, .timeout = 20)
{
    const char *log = pt_env("PT_PG_LOG");
    long mark = file_size(log);
    char u1[256], u2[256], u3[256], bad[2048];
    const char *argv[] = {"check", "--timeout", "1s", u1, u2, u3, NULL};
    struct probe_result r;
    int sessions = 0;

    snprintf(u1, sizeof(u1), "a=postgres://%s127.0.0.1:%d/app", PG_AUTH, pt_env_int("PT_PG_PORT"));
    snprintf(u2, sizeof(u2), "b=postgres://%s127.0.0.1:%d/app?role=primary", PG_AUTH,
             pt_env_int("PT_PG_PORT"));
    snprintf(u3, sizeof(u3), "slow=postgres://%s127.0.0.1:%d/app?query=SELECT%%20pg_sleep(2)",
             PG_AUTH, pt_env_int("PT_PG_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "a", "PASS", NULL);
    pt_assert_check(&r, "b", "PASS", NULL);
    pt_assert_check(&r, "slow", "FAIL", "\\(query\\)");
    PT_ASSERT_DEADLINE(&r, 1000);
    /* Every session's end is logged (log_disconnections), the slow one's after its sleep. */
    for (int i = 0; i < 100 && sessions < 3; i++) {
        usleep(50000);
        sessions = count_in(log, mark, "disconnection: session time", bad, sizeof(bad));
    }
    cr_assert_eq(sessions, 3, "sessions ended: %d", sessions);
    count_in(log, mark, "disconnection", bad, sizeof(bad));
    cr_assert_str_eq(bad, "", "the server logged an error for probe's sessions");
}

/* ---- config keys and validate ---- */

Test(postgres, config_role_and_query_keys_apply, .timeout = 20)
{
    char path[HARNESS_PATH + 16], yaml[1024];
    const char *argv[] = {"check", "-c", path, NULL};
    const char *vargv[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    snprintf(yaml, sizeof(yaml),
             "checks:\n"
             "  - name: pg\n"
             "    url: postgres://app:" HARNESS_PG_PASSWORD "@127.0.0.1:%d/app\n"
             "    role: standby\n"
             "  - name: pgq\n"
             "    url: postgres://app:" HARNESS_PG_PASSWORD "@127.0.0.1:%d/app\n"
             "    query: SELECT 40 + 2\n"
             "    role: primary\n",
             pt_env_int("PT_PG_PORT"), pt_env_int("PT_PG_PORT"));
    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "pg", "FAIL", "not standby");
    pt_assert_check(&r, "pgq", "PASS", "^query ok: 42$");
    assert_no_pg_secrets(&r);
    pt_run(&r, vargv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "query: \"SELECT 40 \\+ 2\"");
    PT_ASSERT_OUT_RE(&r, "role: \"primary\"");
    PT_ASSERT_OUT_RE(&r, "url: postgres://app:\\*\\*\\*@127");
    assert_no_pg_secrets(&r);
}

Test(postgres, config_key_of_another_kind_is_an_error_with_its_position, .timeout = 20)
{
    char path[HARNESS_PATH + 16];
    const char *argv[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    pt_write_config(path, sizeof(path),
                    "checks:\n"
                    "  - name: db\n"
                    "    url: mysql://u:" HARNESS_PG_PASSWORD "@127.0.0.1/app\n"
                    "    role: primary\n");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_ERR_RE(&r, "probe\\.yaml:4:11: role: mysql checks take no such option");
    assert_no_pg_secrets(&r);
    pt_write_file(path, "checks:\n"
                        "  - url: postgres://u:" HARNESS_PG_PASSWORD "@127.0.0.1/app\n"
                        "    role: leader\n");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_ERR_RE(&r, "probe\\.yaml:3:11: bad role \"leader\" \\(primary or standby\\)");
    assert_no_pg_secrets(&r);
}

Test(postgres, json_and_validate_hide_the_password, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"validate", url, NULL};
    struct probe_result r;

    check_pg_at(&r, "5s", 1, PG_AUTH, "127.0.0.1", "PT_PG_PORT", "/app?query=SELECT%201");
    PT_ASSERT_EXIT(&r, 0);
    cr_assert(pt_match(r.out, "\"componentType\": ?\"datastore\"", 0), PT_OUT, PT_ARGS(&r));
    assert_no_pg_secrets(&r);
    snprintf(url, sizeof(url), "postgres://%s127.0.0.1:%d/app?query=SELECT%%201", PG_AUTH,
             pt_env_int("PT_PG_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "query: \"SELECT 1\"");
    assert_no_pg_secrets(&r);
}
