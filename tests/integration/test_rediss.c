/* rediss:// against a real redis-server with a TLS port (the harness CA's certificate, the same
 * requirepass and ACL users as its plain port), and two more with an expired certificate and
 * one for another name. The name checked is the URL's host, as with https. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

#define REDISS_PW ":" HARNESS_REDIS_PASSWORD "@"

/* Runs `check --timeout 5s [opt...] NAME=SCHEME://USERINFO HOST:PORT REST`; opt ends at NULL. */
static void
check_url(struct probe_result *r, const char *scheme, const char *userinfo, const char *host,
          const char *port_var, const char *rest, const char *opt1, const char *opt2,
          const char *const env[])
{
    char url[512];
    const char *argv[] = {"check", "--timeout", "5s", url, opt1, opt2, NULL};

    snprintf(url, sizeof(url), "c=%s://%s%s:%d%s", scheme, userinfo, host, pt_env_int(port_var),
             rest);
    pt_run(r, argv, env);
    pt_assert_no_secret(r, HARNESS_REDIS_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_ACL_PASSWORD);
}

/* The usual case: --cacert, the password, a host and a port. */
static void
check_rediss(struct probe_result *r, const char *host, const char *port_var)
{
    check_url(r, "rediss", REDISS_PW, host, port_var, "", "--cacert", pt_env("PT_HTTPS_CA"), NULL);
}

Test(rediss, by_address_with_an_ip_san_passes, .timeout = 20)
{
    char want[128];
    struct probe_result r;
    struct pt_line l;

    check_rediss(&r, "127.0.0.1", "PT_REDIS_TLS_PORT");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "c", "PASS", "^PONG$");
    pt_line_of(&r, "c", &l);
    snprintf(want, sizeof(want), "rediss://:***@127.0.0.1:%d", pt_env_int("PT_REDIS_TLS_PORT"));
    cr_assert_str_eq(l.target, want, "target column" PT_OUT, PT_ARGS(&r));
}

Test(rediss, by_name_passes, .timeout = 20)
{
    struct probe_result r;

    check_rediss(&r, "localhost", "PT_REDIS_TLS_PORT");
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "c", "PASS", "^PONG$");
}

/* AUTH with an ACL user, SELECT and ROLE go through TLS as they do in the clear. */
Test(rediss, acl_user_database_and_role_pass, .timeout = 20)
{
    struct probe_result r;

    check_url(&r, "rediss", HARNESS_REDIS_ACL_USER ":" HARNESS_REDIS_ACL_PASSWORD "@", "localhost",
              "PT_REDIS_TLS_PORT", "/3?role=master", "--cacert", pt_env("PT_HTTPS_CA"), NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "c", "PASS", "^PONG$");
}

/* Failures, with the server's or the verifier's text (their reason words are in
 * test_reason.c). ca: "" for none (the system bundle, which does not know the test CA). */
struct rediss_fail_case {
    char name[40];
    char userinfo[48];
    char host[16];
    char port_env[24];
    char rest[8];
    char ca_env[24];
    char msg_re[96];
};

ParameterizedTestParameters(rediss, failures_say_why)
{
    static struct rediss_fail_case cases[] = {
        {"wrong_password", ":wrong-pw-0000@", "localhost", "PT_REDIS_TLS_PORT", "", "PT_HTTPS_CA",
         "^WRONGPASS "},
        {"database_out_of_range", REDISS_PW, "localhost", "PT_REDIS_TLS_PORT", "/99", "PT_HTTPS_CA",
         "DB index is out of range"},
        {"unknown_ca", REDISS_PW, "localhost", "PT_REDIS_TLS_PORT", "", "",
         "^tls: (self-signed certificate in certificate chain|unable to get local issuer "
         "certificate)$"},
        {"another_ca", REDISS_PW, "localhost", "PT_REDIS_TLS_PORT", "", "PT_TLS_SELF_CERT",
         "^tls: "},
        {"expired", REDISS_PW, "localhost", "PT_REDIS_EXPIRED_PORT", "", "PT_HTTPS_CA",
         "^tls: certificate has expired$"},
        /* The certificate names other.example only: neither the name nor the address match. */
        {"wrong_name", REDISS_PW, "localhost", "PT_REDIS_WRONG_PORT", "", "PT_HTTPS_CA",
         "^tls: hostname mismatch: the certificate is not for localhost$"},
        {"wrong_address", REDISS_PW, "127.0.0.1", "PT_REDIS_WRONG_PORT", "", "PT_HTTPS_CA",
         "^tls: IP address mismatch: the certificate is not for 127\\.0\\.0\\.1$"},
    };
    return cr_make_param_array(struct rediss_fail_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct rediss_fail_case *f, rediss, failures_say_why, .timeout = 20)
{
    struct probe_result r;

    check_url(&r, "rediss", f->userinfo, f->host, f->port_env, f->rest,
              f->ca_env[0] ? "--cacert" : NULL, f->ca_env[0] ? pt_env(f->ca_env) : NULL, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "c", "FAIL", f->msg_re);
    pt_assert_no_secret(&r, "wrong-pw-0000");
    PT_ASSERT_WITHIN(&r, 2000);
}

Test(rediss, ssl_cert_file_environment_passes, .timeout = 20)
{
    char env0[300];
    const char *env[] = {env0, NULL};
    struct probe_result r;

    snprintf(env0, sizeof(env0), "SSL_CERT_FILE=%s", pt_env("PT_HTTPS_CA"));
    check_url(&r, "rediss", REDISS_PW, "localhost", "PT_REDIS_TLS_PORT", "", NULL, NULL, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "c", "PASS", "^PONG$");
}

/* --insecure: nothing is verified and no CA file is opened, not even a missing one. */
Test(rediss, insecure_passes_and_opens_no_ca_file, .timeout = 20)
{
    const char *env[] = {"SSL_CERT_FILE=/nonexistent/ca.pem", NULL};
    struct probe_result r;

    check_url(&r, "rediss", REDISS_PW, "127.0.0.1", "PT_REDIS_WRONG_PORT", "", "--insecure", NULL,
              env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "c", "PASS", "^PONG$");
    check_url(&r, "rediss", REDISS_PW, "127.0.0.1", "PT_REDIS_EXPIRED_PORT", "", "--insecure",
              "--cacert=/nonexistent/ca.pem", NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "c", "PASS", "^PONG$");
}

Test(rediss, verifying_check_refuses_a_missing_ca_file, .timeout = 20)
{
    const char *env[] = {"SSL_CERT_FILE=/nonexistent/ca.pem", NULL};
    struct probe_result r;

    check_url(&r, "rediss", REDISS_PW, "localhost", "PT_REDIS_TLS_PORT", "", NULL, NULL, env);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_ERR_RE(&r, "^probe: SSL_CERT_FILE: ");
}

/* redis:// to a TLS port: the server drops the connection on its first bytes. At once, and the
 * message says what to try. */
Test(rediss, plain_redis_to_the_tls_port_fails_fast, .timeout = 20)
{
    struct probe_result r;

    check_url(&r, "redis", REDISS_PW, "127.0.0.1", "PT_REDIS_TLS_PORT", "", NULL, NULL, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "c", "FAIL", "^connection closed before any reply: .*rediss://\\)$");
    PT_ASSERT_WITHIN(&r, 1000);
}

/* rediss:// to a plain port: Redis never answers a ClientHello; a plain PING beside it tells. */
Test(rediss, tls_to_the_plain_port_fails_fast, .timeout = 20)
{
    struct probe_result r;

    check_url(&r, "rediss", REDISS_PW, "127.0.0.1", "PT_REDIS_PORT", "", "--cacert",
              pt_env("PT_HTTPS_CA"), NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(
        &r, "c", "FAIL",
        "^no TLS handshake: the port speaks plain Redis \\(redis://, not rediss://\\)$");
    PT_ASSERT_WITHIN(&r, 1000);
}

/* The config file's cacert: and insecure: keys apply to rediss checks too; validate shows them. */
Test(rediss, config_cacert_and_insecure_apply, .timeout = 20)
{
    char path[HARNESS_PATH + 16], yaml[1024];
    const char *argv[] = {"check", "-c", path, NULL};
    const char *vargv[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    snprintf(yaml, sizeof(yaml),
             "checks:\n"
             "  - name: verified\n"
             "    url: rediss://" REDISS_PW "localhost:%d\n"
             "    cacert: %s\n"
             "  - name: unverified\n"
             "    url: rediss://" REDISS_PW "127.0.0.1:%d\n"
             "    insecure: true\n",
             pt_env_int("PT_REDIS_TLS_PORT"), pt_env("PT_HTTPS_CA"),
             pt_env_int("PT_REDIS_EXPIRED_PORT"));
    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "verified", "PASS", "^PONG$");
    pt_assert_check(&r, "unverified", "PASS", "^PONG$");
    pt_run(&r, vargv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "cacert: ");
    PT_ASSERT_OUT_RE(&r, "insecure: true");
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
}

Test(rediss, version_names_hiredis_with_tls, .timeout = 20)
{
    const char *argv[] = {"version", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "\nhiredis 1\\.[0-9]+\\.[0-9]+ \\(TLS: hiredis_ssl\\)\n");
}

/* One TLS context per setting per run: ten rediss checks parse the CA bundle once. */
Test(rediss, ten_checks_read_the_ca_bundle_once, .timeout = 20)
{
    char targets[10][160];
    const char *urls[11];

    for (int i = 0; i < 10; i++) {
        snprintf(targets[i], sizeof(targets[i]), "r%d=rediss://" REDISS_PW "127.0.0.1:%d", i,
                 pt_env_int("PT_REDIS_TLS_PORT"));
        urls[i] = targets[i];
    }
    urls[10] = NULL;
    cr_assert_eq(pt_count_opens(pt_env("PT_HTTPS_CA"), urls), 1,
                 "the CA bundle is opened once for 10 checks");
}
