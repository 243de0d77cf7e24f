/* Client certificates (mTLS) for HTTPS: an openssl s_server that requires a certificate from
 * the test CA (-Verify 1). A bad pair is one error line before any check starts. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

static void
mtls_url(char *url, size_t len)
{
    snprintf(url, len, "web=https://127.0.0.1:%d/", pt_env_int("PT_HTTPS_MTLS_PORT"));
}

Test(mtls, client_certificate_passes, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check",
                          "--cacert",
                          pt_env("PT_HTTPS_CA"),
                          "--cert",
                          pt_env("PT_CLIENT_CERT"),
                          "--key",
                          pt_env("PT_CLIENT_KEY"),
                          url,
                          NULL};
    struct probe_result r;

    mtls_url(url, sizeof(url));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
}

Test(mtls, key_in_the_certificate_file_passes, .timeout = 20)
{
    char dir[HARNESS_PATH], both[HARNESS_PATH + 16], pem[8192], url[128];
    const char *argv[] = {"check", "--cacert", pt_env("PT_HTTPS_CA"), "--cert", both, url, NULL};
    struct probe_result r;
    FILE *f;
    size_t n = 0;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(both, sizeof(both), "%s/both.pem", dir);
    f = fopen(pt_env("PT_CLIENT_CERT"), "r");
    cr_assert_not_null(f);
    n = fread(pem, 1, sizeof(pem) - 1, f);
    fclose(f);
    f = fopen(pt_env("PT_CLIENT_KEY"), "r");
    cr_assert_not_null(f);
    n += fread(pem + n, 1, sizeof(pem) - 1 - n, f);
    fclose(f);
    pem[n] = '\0';
    pt_write_file(both, pem);
    mtls_url(url, sizeof(url));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
    harness_rmtree(dir);
}

Test(mtls, config_cert_and_key_pass, .timeout = 20)
{
    char dir[HARNESS_PATH], path[HARNESS_PATH + 16], yaml[1024];
    const char *argv[] = {"check", "-c", path, NULL};
    struct probe_result r;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/probe.yaml", dir);
    snprintf(yaml, sizeof(yaml),
             "checks:\n  - name: web\n    url: https://127.0.0.1:%d/\n    cacert: %s\n"
             "    cert: %s\n    key: %s\n",
             pt_env_int("PT_HTTPS_MTLS_PORT"), pt_env("PT_HTTPS_CA"), pt_env("PT_CLIENT_CERT"),
             pt_env("PT_CLIENT_KEY"));
    pt_write_file(path, yaml);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "web", "PASS", "^200$");
    harness_rmtree(dir);
}

Test(mtls, without_a_client_certificate_is_a_tls_failure, .timeout = 20)
{
    char url[128], v[64], out[512];
    const char *argv[] = {"check", "--json", "--cacert", pt_env("PT_HTTPS_CA"), url, NULL};
    struct probe_result r;

    mtls_url(url, sizeof(url));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_json_get(r.out, "checks/web:responseTime/0/reason", v, sizeof(v)), 0, PT_OUT,
                 PT_ARGS(&r));
    /* TLS 1.3 sends its "certificate required" alert after the handshake, on the first read:
     * still a tls failure, and the output says the server asked for a certificate. */
    cr_assert_str_eq(v, "tls", PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "checks/web:responseTime/0/output", out, sizeof(out)), 0,
                 PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(out, "^tls: the server asked for a client certificate and none was given",
                       0),
              "output %s" PT_OUT, out, PT_ARGS(&r));
}

/* Each bad pair: exit 1, one line on stderr naming the problem, nothing on stdout. */
static void
expect_bad_pair(const char *cert, const char *key, const char *re)
{
    char url[128];
    const char *argv[8] = {"check", "--cert", cert};
    struct probe_result r;
    int n = 3;

    mtls_url(url, sizeof(url));
    if (key != NULL) {
        argv[n++] = "--key";
        argv[n++] = key;
    }
    argv[n++] = url;
    argv[n] = NULL;
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(r.out_len, 0, "nothing on stdout" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_count_lines(r.err), 1, "one line" PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(r.err, re, 0), "stderr does not match /%s/" PT_OUT, re, PT_ARGS(&r));
}

Test(mtls, bad_pairs_are_one_line_before_any_check, .timeout = 20)
{
    expect_bad_pair("/nonexistent/client.pem", pt_env("PT_CLIENT_KEY"),
                    "^probe: --cert: cannot load the certificate \"/nonexistent/client.pem\"");
    expect_bad_pair(pt_env("PT_CLIENT_CERT"), "/nonexistent/client.key",
                    "^probe: --cert: cannot load the key \"/nonexistent/client.key\"");
    expect_bad_pair(pt_env("PT_CLIENT_CERT"), pt_env("PT_TLS_SELF_KEY"),
                    "^probe: --cert: the key \".*\" does not match the certificate");
    expect_bad_pair(pt_env("PT_CLIENT_CERT"), pt_env("PT_CLIENT_KEY_ENC"),
                    "^probe: --cert: the key \".*client-enc.key\" is encrypted");
    expect_bad_pair(pt_env("PT_CLIENT_CERT"), NULL,
                    "^probe: --cert: no key in \".*client.pem\" \\(name the key file too\\)$");
}

Test(mtls, key_without_cert_is_an_error, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", "--key", pt_env("PT_CLIENT_KEY"), url, NULL};
    struct probe_result r;

    mtls_url(url, sizeof(url));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(pt_match(r.err, "^probe: --key: needs --cert as well$", 0), PT_OUT, PT_ARGS(&r));
}

/* gRPC over TLS takes the same client certificate (the curl kinds share their TLS set-up). */
Test(mtls, grpcs_with_a_client_certificate_passes_and_fails_without, .timeout = 20)
{
    char url[128], v[64], out[512];
    const char *with[] = {"check",
                          "--cacert",
                          pt_env("PT_HTTPS_CA"),
                          "--cert",
                          pt_env("PT_CLIENT_CERT"),
                          "--key",
                          pt_env("PT_CLIENT_KEY"),
                          url,
                          NULL};
    const char *without[] = {"check", "--json", "--cacert", pt_env("PT_HTTPS_CA"), url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "rpc=grpcs://127.0.0.1:%d", pt_env_int("PT_GRPCS_MTLS_PORT"));
    pt_run(&r, with, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "rpc", "PASS", "^SERVING$");
    /* grpc's own TLS stack closes the connection after the handshake without an alert, and
     * where curl's HTTP/2 layer is when it notices decides its error (a TLS error, a closed
     * connection, a stream cut short); that the server asked for a client certificate is what
     * probe reports, every time: 20 runs. */
    for (int i = 0; i < 20; i++) {
        pt_run(&r, without, NULL);
        PT_ASSERT_EXIT(&r, 1);
        cr_assert_eq(pt_json_get(r.out, "checks/rpc:responseTime/0/reason", v, sizeof(v)), 0,
                     PT_OUT, PT_ARGS(&r));
        cr_assert_str_eq(v, "tls", "run %d" PT_OUT, i, PT_ARGS(&r));
        cr_assert_eq(pt_json_get(r.out, "checks/rpc:responseTime/0/output", out, sizeof(out)), 0,
                     PT_OUT, PT_ARGS(&r));
        cr_assert(pt_match(out, "^tls: the server asked for a client certificate and none", 0),
                  "run %d: output %s" PT_OUT, i, out, PT_ARGS(&r));
    }
}
