/* HTTP and HTTPS checks against tests/helpers/httpd and openssl s_server. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define HTTP_USER "tester"
#define HTTP_PASSWORD "Htp-pw-41d7e2"
/* base64("tester:Htp-pw-41d7e2") */
#define HTTP_BASIC "dGVzdGVyOkh0cC1wdy00MWQ3ZTI="

static void
http_url(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", pt_env_int("PT_HTTP_PORT"), path);
}

/* `probe check --timeout 5s [extra...] URL`, one check. */
static void
check_http(struct probe_result *r, const char *path, const char *const extra[])
{
    char url[512];
    const char *argv[16];
    int n = 0;

    http_url(url, sizeof(url), path);
    argv[n++] = "check";
    argv[n++] = "--timeout";
    argv[n++] = "5s";
    while (extra != NULL && *extra != NULL && n < 14)
        argv[n++] = *extra++;
    argv[n++] = url;
    argv[n] = NULL;
    pt_run(r, argv, NULL);
}

Test(http, ok_status_passes, .timeout = 20)
{
    struct probe_result r;
    struct pt_line l;
    char url[512];

    check_http(&r, "/ok", NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
    pt_line_of(&r, "http", &l);
    http_url(url, sizeof(url), "/ok");
    cr_assert_str_eq(l.target, url, "target column" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_count_lines(r.out), 1, "one line per check" PT_OUT, PT_ARGS(&r));
}

Test(http, expected_body_passes, .timeout = 20)
{
    const char *const extra[] = {"--expect-body", "\"status\": \"healthy\"", NULL};
    struct probe_result r;

    check_http(&r, "/health", extra);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

Test(http, not_found_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/404", NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^HTTP 404");
}

Test(http, server_error_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/500", NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^HTTP 500");
}

Test(http, unavailable_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/503", NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^HTTP 503");
}

Test(http, redirect_is_judged_not_followed, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/redirect", NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^302$");
}

Test(http, redirect_is_failure_when_only_200_expected, .timeout = 20)
{
    const char *const extra[] = {"--expect-status", "200", NULL};
    struct probe_result r;

    check_http(&r, "/redirect", extra);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^HTTP 302");
}

Test(http, expected_status_set_accepts_a_listed_code, .timeout = 20)
{
    const char *const extra[] = {"--expect-status", "200-299,404", NULL};
    struct probe_result r;

    check_http(&r, "/404", extra);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^404$");
}

Test(http, wrong_body_is_failure, .timeout = 20)
{
    const char *const extra[] = {"--expect-body", "no-such-text", NULL};
    struct probe_result r;

    check_http(&r, "/ok", extra);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "body does not contain");
}

Test(http, refused_is_failure, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", harness_free_port());
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "connection refused");
}

Test(http, extra_header_is_sent, .timeout = 20)
{
    const char *const extra[] = {"-H", "X-Probe-Test: yes", "--expect-body", "X-Probe-Test: yes",
                                 NULL};
    struct probe_result r;

    check_http(&r, "/headers", extra);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

Test(http, basic_auth_is_sent_and_password_hidden, .timeout = 20)
{
    char url[512], redacted[512];
    const char *argv[] = {
        "check", "--timeout", "5s", "--expect-body", "Authorization: Basic " HTTP_BASIC, url, NULL};
    struct probe_result r;
    struct pt_line l;
    int port = pt_env_int("PT_HTTP_PORT");

    snprintf(url, sizeof(url), "http://" HTTP_USER ":" HTTP_PASSWORD "@127.0.0.1:%d/headers", port);
    snprintf(redacted, sizeof(redacted), "http://" HTTP_USER ":***@127.0.0.1:%d/headers", port);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
    pt_line_of(&r, "http", &l);
    cr_assert_str_eq(l.target, redacted, "target column" PT_OUT, PT_ARGS(&r));
    pt_assert_no_secret(&r, HTTP_PASSWORD);
}

Test(http, proxy_environment_is_ignored, .timeout = 20)
{
    char proxy[4][96], url[256];
    const char *env[] = {proxy[0], proxy[1], proxy[2], proxy[3], NULL};
    const char *argv[] = {"check", "--timeout", "5s", url, NULL};
    struct probe_result r;
    int closed = harness_free_port();

    snprintf(proxy[0], sizeof(proxy[0]), "http_proxy=http://127.0.0.1:%d", closed);
    snprintf(proxy[1], sizeof(proxy[1]), "HTTP_PROXY=http://127.0.0.1:%d", closed);
    snprintf(proxy[2], sizeof(proxy[2]), "ALL_PROXY=http://127.0.0.1:%d", closed);
    snprintf(proxy[3], sizeof(proxy[3]), "all_proxy=http://127.0.0.1:%d", closed);
    http_url(url, sizeof(url), "/ok");
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

Test(http, big_body_passes_when_only_status_is_asked, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/big", NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

Test(http, text_missing_from_a_big_body_is_failure, .timeout = 20)
{
    const char *const extra[] = {"--expect-body", "no-such-text", NULL};
    struct probe_result r;

    check_http(&r, "/big", extra);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", NULL);
}

/* SPEC: "a body over the cap fails the check unless only the status is asked", even when the
 * text shows up early (the body of /big is 2 MiB of "bbb...", the cap 1 MiB). */
Test(http, body_over_cap_is_failure_when_body_is_asked, .timeout = 20)
{
    const char *const extra[] = {"--expect-body", "bbbb", NULL};
    struct probe_result r;

    check_http(&r, "/big", extra);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", NULL);
}

Test(http, connection_closed_without_answer_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/close", NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", NULL);
}

Test(http, answer_that_is_not_http_is_failure, .timeout = 20)
{
    struct probe_result r;

    check_http(&r, "/garbage", NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", NULL);
}

/* ---- HTTPS ---- */

static void
check_https(struct probe_result *r, const char *port_var, const char *opt1, const char *opt2,
            const char *const env[])
{
    char url[256];
    const char *argv[8];
    int n = 0;

    snprintf(url, sizeof(url), "web=https://127.0.0.1:%d/", pt_env_int(port_var));
    argv[n++] = "check";
    argv[n++] = "--timeout";
    argv[n++] = "5s";
    if (opt1 != NULL)
        argv[n++] = opt1;
    if (opt2 != NULL)
        argv[n++] = opt2;
    argv[n++] = url;
    argv[n] = NULL;
    pt_run(r, argv, env);
}

Test(https, cacert_passes, .timeout = 20)
{
    struct probe_result r;

    check_https(&r, "PT_HTTPS_PORT", "--cacert", pt_env("PT_HTTPS_CA"), NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
}

Test(https, unknown_issuer_is_failure_with_verification_message, .timeout = 20)
{
    struct probe_result r;
    struct pt_line l;

    check_https(&r, "PT_HTTPS_PORT", NULL, NULL, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "web", "FAIL", NULL);
    pt_line_of(&r, "web", &l);
    cr_assert(pt_match(l.message, "certificate|verif|issuer", 1),
              "message \"%s\" does not say the certificate was not verified" PT_OUT, l.message,
              PT_ARGS(&r));
}

Test(https, insecure_passes, .timeout = 20)
{
    struct probe_result r;

    check_https(&r, "PT_HTTPS_PORT", "--insecure", NULL, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
}

Test(https, ssl_cert_file_environment_passes, .timeout = 20)
{
    char env0[HARNESS_PATH + 32];
    const char *env[] = {env0, NULL};
    struct probe_result r;

    snprintf(env0, sizeof(env0), "SSL_CERT_FILE=%s", pt_env("PT_HTTPS_CA"));
    check_https(&r, "PT_HTTPS_PORT", NULL, NULL, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
}

Test(https, self_signed_is_failure_with_another_ca, .timeout = 20)
{
    struct probe_result r;
    struct pt_line l;

    check_https(&r, "PT_HTTPS_SELF_PORT", "--cacert", pt_env("PT_HTTPS_CA"), NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "web", "FAIL", NULL);
    pt_line_of(&r, "web", &l);
    cr_assert(pt_match(l.message, "certificate|verif|issuer|self.signed", 1),
              "message \"%s\" does not say the certificate was not verified" PT_OUT, l.message,
              PT_ARGS(&r));
}

/* With verification off no CA file is read: an image-wide SSL_CERT_FILE that this root does
 * not have, or a --cacert that is not there, must not fail an --insecure check. */
Test(https, insecure_opens_no_ca_file, .timeout = 20)
{
    const char *env[] = {"SSL_CERT_FILE=/nonexistent/ca-certificates.crt", NULL};
    struct probe_result r;

    check_https(&r, "PT_HTTPS_SELF_PORT", "--insecure", NULL, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
    check_https(&r, "PT_HTTPS_SELF_PORT", "--insecure", "--cacert=/nonexistent/ca.pem", NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
}

Test(https, insecure_in_config_opens_no_ca_file, .timeout = 20)
{
    char dir[HARNESS_PATH], path[HARNESS_PATH + 16], yaml[512];
    const char *env[] = {"SSL_CERT_FILE=/nonexistent/ca-certificates.crt", NULL};
    const char *argv[] = {"check", "-c", path, NULL};
    struct probe_result r;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/probe.yaml", dir);
    snprintf(yaml, sizeof(yaml),
             "checks:\n  - name: web\n    url: https://127.0.0.1:%d/\n"
             "    insecure: true\n",
             pt_env_int("PT_HTTPS_SELF_PORT"));
    pt_write_file(path, yaml);
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
    harness_rmtree(dir);
}

/* A verifying check still refuses the missing bundle, before anything is sent. */
Test(https, verifying_check_refuses_a_missing_ca_file, .timeout = 20)
{
    const char *env[] = {"SSL_CERT_FILE=/nonexistent/ca-certificates.crt", NULL};
    struct probe_result r;

    check_https(&r, "PT_HTTPS_PORT", NULL, NULL, env);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(pt_match(r.err, "^probe: SSL_CERT_FILE: .*nonexistent", 0), PT_OUT, PT_ARGS(&r));
}

/* One TLS set-up per run: ten HTTPS checks parse the CA bundle once, not ten times. */
Test(https, ten_checks_read_the_ca_bundle_once, .timeout = 20)
{
    char targets[10][128];
    const char *urls[11];

    for (int i = 0; i < 10; i++) {
        snprintf(targets[i], sizeof(targets[i]), "w%d=https://127.0.0.1:%d/", i,
                 pt_env_int("PT_HTTPS_PORT"));
        urls[i] = targets[i];
    }
    urls[10] = NULL;
    cr_assert_eq(pt_count_opens(pt_env("PT_HTTPS_CA"), urls), 1,
                 "the CA bundle is opened once for 10 checks");
}

Test(https, self_signed_insecure_passes, .timeout = 20)
{
    struct probe_result r;

    check_https(&r, "PT_HTTPS_SELF_PORT", "--insecure", NULL, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
}
