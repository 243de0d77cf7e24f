/* MySQL checks against a real mariadbd: database app, users of harness.h, TLS with the
 * harness CA. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define PROBE_AUTH HARNESS_MYSQL_USER ":" HARNESS_MYSQL_PASSWORD "@"

/* Runs one mysql check on 127.0.0.1:PT_MYSQL_PORT; rest is "/db?opts". */
static void
check_mysql(struct probe_result *r, const char *userinfo, const char *rest)
{
    char url[1024];
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};

    snprintf(url, sizeof(url), "mysql://%s127.0.0.1:%d%s", userinfo, pt_env_int("PT_MYSQL_PORT"),
             rest);
    pt_run(r, argv, NULL);
}

static void
assert_no_mysql_secrets(const struct probe_result *r)
{
    pt_assert_no_secret(r, HARNESS_MYSQL_PASSWORD);
    pt_assert_no_secret(r, HARNESS_MYSQL_NOAPP_PASSWORD);
    pt_assert_no_secret(r, HARNESS_MYSQL_PCT_PASSWORD);
    pt_assert_no_secret(r, HARNESS_MYSQL_PCT_PASSWORD_URL);
    pt_assert_no_secret(r, HARNESS_MYSQL_ED25519_PASSWORD);
}

static void
require_tls(void)
{
    if (strcmp(pt_env("PT_MYSQL_TLS"), "1") != 0)
        cr_skip_test("the test server has no TLS");
}

Test(mysql, native_password_user_passes, .timeout = 20)
{
    char want[256];
    struct probe_result r;
    struct pt_line l;

    check_mysql(&r, PROBE_AUTH, "/app");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
    pt_line_of(&r, "mysql", &l);
    snprintf(want, sizeof(want), "mysql://probe:***@127.0.0.1:%d/app", pt_env_int("PT_MYSQL_PORT"));
    cr_assert_str_eq(l.target, want, "target column" PT_OUT, PT_ARGS(&r));
    assert_no_mysql_secrets(&r);
}

Test(mysql, without_database_passes, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
    assert_no_mysql_secrets(&r);
}

Test(mysql, wrong_password_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, HARNESS_MYSQL_USER ":wrong-pw-0000@", "/app");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "^1045 Access denied for user 'probe'@'127\\.0\\.0\\.1'");
    pt_assert_no_secret(&r, "wrong-pw-0000");
    assert_no_mysql_secrets(&r);
}

Test(mysql, missing_password_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, HARNESS_MYSQL_USER "@", "/app");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "^1045 Access denied");
}

Test(mysql, unknown_database_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "/nosuchdb");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "^1049 Unknown database 'nosuchdb'");
    assert_no_mysql_secrets(&r);
}

Test(mysql, user_without_access_to_database_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, HARNESS_MYSQL_NOAPP_USER ":" HARNESS_MYSQL_NOAPP_PASSWORD "@", "/app");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "^1044 Access denied for user 'noapp'");
    assert_no_mysql_secrets(&r);
}

Test(mysql, refused_is_failure, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "mysql://%s127.0.0.1:%d/app", PROBE_AUTH, harness_free_port());
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "connection refused");
    assert_no_mysql_secrets(&r);
}

Test(mysql, query_passes, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "/app?query=SELECT%201");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
}

Test(mysql, query_reading_a_table_passes, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "/app?query=SELECT%20name%20FROM%20items%20WHERE%20id%3D1");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
}

Test(mysql, bad_query_reports_server_error_number, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "/app?query=SELECT%20nosuchcol%20FROM%20items");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "^1054 Unknown column 'nosuchcol'");
    assert_no_mysql_secrets(&r);
}

Test(mysql, query_on_missing_table_reports_server_error_number, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "/app?query=SELECT%201%20FROM%20nosuchtable");
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", "^1146 ");
}

Test(mysql, unix_socket_passes, .timeout = 20)
{
    char url[512];
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "mysql://%s/app?socket=%s", PROBE_AUTH, pt_env("PT_MYSQL_SOCKET"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
    assert_no_mysql_secrets(&r);
}

Test(mysql, percent_escaped_password_passes, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, HARNESS_MYSQL_PCT_USER ":" HARNESS_MYSQL_PCT_PASSWORD_URL "@", "/app");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
    assert_no_mysql_secrets(&r);
}

Test(mysql, ed25519_user_passes, .timeout = 20)
{
    struct probe_result r;

    if (strcmp(pt_env("PT_ED25519"), "1") != 0)
        cr_skip_test("the server could not load auth_ed25519");
    check_mysql(&r, HARNESS_MYSQL_ED25519_USER ":" HARNESS_MYSQL_ED25519_PASSWORD "@", "/app");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
    assert_no_mysql_secrets(&r);
}

Test(mysql, tls_required_passes, .timeout = 20)
{
    struct probe_result r;

    require_tls();
    check_mysql(&r, PROBE_AUTH, "/app?ssl-mode=required");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
}

Test(mysql, tls_verify_ca_passes_with_the_right_ca, .timeout = 20)
{
    char rest[HARNESS_PATH + 64];
    struct probe_result r;

    require_tls();
    snprintf(rest, sizeof(rest), "/app?ssl-mode=verify-ca&ssl-ca=%s", pt_env("PT_HTTPS_CA"));
    check_mysql(&r, PROBE_AUTH, rest);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
}

Test(mysql, tls_verify_identity_passes_for_the_certificate_ip, .timeout = 20)
{
    char rest[HARNESS_PATH + 64];
    struct probe_result r;

    require_tls();
    snprintf(rest, sizeof(rest), "/app?ssl-mode=verify-identity&ssl-ca=%s", pt_env("PT_HTTPS_CA"));
    check_mysql(&r, PROBE_AUTH, rest);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
}

Test(mysql, tls_verify_ca_is_failure_with_another_ca, .timeout = 20)
{
    char rest[HARNESS_PATH + 64];
    struct probe_result r;

    require_tls();
    snprintf(rest, sizeof(rest), "/app?ssl-mode=verify-ca&ssl-ca=%s", pt_env("PT_TLS_SELF_CERT"));
    check_mysql(&r, PROBE_AUTH, rest);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "mysql", "FAIL", NULL);
    assert_no_mysql_secrets(&r);
}

Test(mysql, tls_disabled_passes, .timeout = 20)
{
    struct probe_result r;

    check_mysql(&r, PROBE_AUTH, "/app?ssl-mode=disabled");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
}

/* The session's cipher, read through probe's own query= option: "query ok: TLS_..." when the
 * connection is encrypted, "query ok: " (an empty value) when it is not. */
#define CIPHER_QUERY                                                                               \
    "query=SELECT%20VARIABLE_VALUE%20FROM%20information_schema.SESSION_STATUS%20WHERE%20"          \
    "VARIABLE_NAME%3D'Ssl_cipher'"

Test(mysql, tls_required_really_encrypts, .timeout = 20)
{
    struct probe_result r;

    require_tls();
    check_mysql(&r, PROBE_AUTH, "/app?ssl-mode=required&" CIPHER_QUERY);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", "^query ok: (TLS|ECDHE|AES)");
}

Test(mysql, tls_preferred_with_a_ca_encrypts, .timeout = 20)
{
    char rest[HARNESS_PATH + 256];
    struct probe_result r;

    require_tls();
    snprintf(rest, sizeof(rest), "/app?ssl-mode=preferred&ssl-ca=%s&%s", pt_env("PT_HTTPS_CA"),
             CIPHER_QUERY);
    check_mysql(&r, PROBE_AUTH, rest);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", "^query ok: (TLS|ECDHE|AES)");
}

Test(mysql, tls_disabled_speaks_plaintext, .timeout = 20)
{
    struct probe_result r;

    require_tls();
    check_mysql(&r, PROBE_AUTH, "/app?ssl-mode=disabled&" CIPHER_QUERY);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", "^query ok:$");
}
