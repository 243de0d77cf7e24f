/* gRPC health checks against a real gRPC server (python3-grpcio, tests/helpers/grpc_health.py):
 * grpc.health.v1.Health/Check over h2c and TLS, the serving statuses, grpc-status codes, a
 * server without the health service, and peers that are not gRPC at all. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define CHECK_OUTPUT_MAX 600

/* Runs `probe check [--json] --timeout 5s [extra...] NAME=URL` with URL from fmt and port. */
static void
check_grpc(struct probe_result *r, int json, const char *extra, const char *url_fmt, int port)
{
    char target[512], url[400];
    const char *argv[8];
    int n = 0;

    snprintf(url, sizeof(url), url_fmt, port);
    snprintf(target, sizeof(target), "g=%s", url);
    argv[n++] = "check";
    if (json)
        argv[n++] = "--json";
    argv[n++] = "--timeout";
    argv[n++] = "5s";
    if (extra != NULL)
        argv[n++] = extra;
    argv[n++] = target;
    argv[n] = NULL;
    pt_run(r, argv, NULL);
}

/* The reason word of check g in a --json run. */
static void
assert_reason(const struct probe_result *r, const char *reason)
{
    char v[64];

    cr_assert_eq(pt_json_get(r->out, "checks/g:responseTime/0/reason", v, sizeof(v)), 0,
                 "no reason" PT_OUT, PT_ARGS(r));
    cr_assert_str_eq(v, reason, PT_OUT, PT_ARGS(r));
}

/* A run of check g (with one extra option, or NULL) passes with SERVING. */
static void
expect_serving(const char *extra, const char *url_fmt, int port)
{
    struct probe_result r;

    check_grpc(&r, 0, extra, url_fmt, port);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "g", "PASS", "^SERVING$");
}

/* A --json run of check g fails with reason and an output that matches the regex msg_re. */
static void
expect_fail(const char *url_fmt, int port, const char *reason, const char *msg_re)
{
    struct probe_result r;
    char v[CHECK_OUTPUT_MAX];

    check_grpc(&r, 1, NULL, url_fmt, port);
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, reason);
    cr_assert_eq(pt_json_get(r.out, "checks/g:responseTime/0/output", v, sizeof(v)), 0,
                 "no output" PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(v, msg_re, 0), "output \"%s\" does not match /%s/", v, msg_re);
}

Test(grpc, serving_server_passes_over_h2c, .timeout = 20)
{
    struct probe_result r;
    struct pt_line l;
    char want[64];

    check_grpc(&r, 0, NULL, "grpc://127.0.0.1:%d", pt_env_int("PT_GRPC_PORT"));
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "g", "PASS", "^SERVING$");
    pt_line_of(&r, "g", &l);
    snprintf(want, sizeof(want), "grpc://127.0.0.1:%d", pt_env_int("PT_GRPC_PORT"));
    cr_assert_str_eq(l.target, want, PT_OUT, PT_ARGS(&r));
}

Test(grpc, serving_service_passes, .timeout = 20)
{
    expect_serving(NULL, "grpc://127.0.0.1:%d/app", pt_env_int("PT_GRPC_PORT"));
}

/* The name goes to c-ares, and curl gets the address: localhost works as a host too. */
Test(grpc, host_name_is_resolved_by_probe, .timeout = 20)
{
    expect_serving(NULL, "grpc://localhost:%d/app", pt_env_int("PT_GRPC_PORT"));
}

Test(grpc, serving_server_passes_over_tls_with_the_ca, .timeout = 20)
{
    char cacert[HARNESS_PATH + 16];

    snprintf(cacert, sizeof(cacert), "--cacert=%s", pt_env("PT_HTTPS_CA"));
    expect_serving(cacert, "grpcs://127.0.0.1:%d/app", pt_env_int("PT_GRPCS_PORT"));
    /* verified against the name in the URL (DNS:localhost in the certificate) */
    expect_serving(cacert, "grpcs://localhost:%d", pt_env_int("PT_GRPCS_PORT"));
}

Test(grpc, tls_with_an_unknown_ca_fails_with_tls, .timeout = 20)
{
    char cacert[HARNESS_PATH + 16];
    struct probe_result r;

    snprintf(cacert, sizeof(cacert), "--cacert=%s", pt_env("PT_TLS_SELF_CERT"));
    check_grpc(&r, 1, cacert, "grpcs://127.0.0.1:%d", pt_env_int("PT_GRPCS_PORT"));
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "tls");
    PT_ASSERT_OUT_RE(&r, "tls: [^\"]*(certificate|issuer)");
}

Test(grpc, tls_insecure_passes_without_a_ca, .timeout = 20)
{
    expect_serving("--insecure", "grpcs://127.0.0.1:%d", pt_env_int("PT_GRPCS_PORT"));
}

Test(grpc, not_serving_fails_with_status, .timeout = 20)
{
    expect_fail("grpc://127.0.0.1:%d/down", pt_env_int("PT_GRPC_PORT"), "status", "^NOT_SERVING$");
}

Test(grpc, unknown_service_fails_with_service_unknown, .timeout = 20)
{
    expect_fail("grpc://127.0.0.1:%d/no.such.Service", pt_env_int("PT_GRPC_PORT"), "status",
                "^SERVICE_UNKNOWN$");
    expect_fail("grpc://127.0.0.1:%d/unknown", pt_env_int("PT_GRPC_PORT"), "status", "^UNKNOWN$");
}

/* grpc's own health servicer answers NOT_FOUND for a service it does not know. */
Test(grpc, not_found_fails_with_its_code_and_message, .timeout = 20)
{
    expect_fail("grpc://127.0.0.1:%d/missing", pt_env_int("PT_GRPC_PORT"), "status",
                "^5 NOT_FOUND: unknown service missing$");
}

Test(grpc, server_without_health_service_is_unimplemented, .timeout = 20)
{
    expect_fail("grpc://127.0.0.1:%d", pt_env_int("PT_GRPC_NOHEALTH_PORT"), "status",
                "^12 UNIMPLEMENTED: Method not found");
}

/* grpc-message is percent-encoded on the wire ("100%25"); the text shows it decoded. */
Test(grpc, other_codes_fail_with_name_and_decoded_message, .timeout = 20)
{
    expect_fail("grpc://127.0.0.1:%d/unavailable", pt_env_int("PT_GRPC_PORT"), "server",
                "^14 UNAVAILABLE: backend down: 100% of replicas$");
    expect_fail("grpc://127.0.0.1:%d/denied", pt_env_int("PT_GRPC_PORT"), "auth",
                "^16 UNAUTHENTICATED: token expired$");
}

/* -H lines go along as gRPC metadata: a service behind a token. */
Test(grpc, headers_are_sent_as_metadata, .timeout = 20)
{
    expect_serving("--header=authorization: Bearer tok-7f3a", "grpc://127.0.0.1:%d/secure",
                   pt_env_int("PT_GRPC_PORT"));
    expect_fail("grpc://127.0.0.1:%d/secure", pt_env_int("PT_GRPC_PORT"), "auth",
                "^16 UNAUTHENTICATED: bad token$");
}

/* The server's answer changes while probe runs: each run asks anew. */
Test(grpc, status_switched_by_the_server_is_seen_at_the_next_run, .timeout = 20)
{
    const char *control = pt_env("PT_GRPC_CONTROL");
    char err[HARNESS_ERRLEN];
    struct probe_result r;

    cr_assert_eq(harness_grpc_set(control, "flip", "SERVING", err, sizeof(err)), 0, "%s", err);
    check_grpc(&r, 0, NULL, "grpc://127.0.0.1:%d/flip", pt_env_int("PT_GRPC_PORT"));
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(harness_grpc_set(control, "flip", "NOT_SERVING", err, sizeof(err)), 0, "%s", err);
    check_grpc(&r, 0, NULL, "grpc://127.0.0.1:%d/flip", pt_env_int("PT_GRPC_PORT"));
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "g", "FAIL", "^NOT_SERVING$");
    cr_assert_eq(harness_grpc_set(control, "flip", "SERVING", err, sizeof(err)), 0, "%s", err);
    check_grpc(&r, 0, NULL, "grpc://127.0.0.1:%d/flip", pt_env_int("PT_GRPC_PORT"));
    PT_ASSERT_EXIT(&r, 0);
}

Test(grpc, refused_fails_at_once_with_connect, .timeout = 20)
{
    struct probe_result r;

    check_grpc(&r, 1, NULL, "grpc://127.0.0.1:%d", harness_free_port());
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "connect");
    PT_ASSERT_OUT_RE(&r, "connection refused");
    PT_ASSERT_WITHIN(&r, 1000);
}

/* h2c: TCP is up and the request sent, so the check waits in the response phase; grpcs: the
 * TLS handshake never ends. Both end at the deadline. */
Test(grpc, silent_peer_times_out_at_the_deadline_with_its_phase, .timeout = 20)
{
    const char *argv[] = {"check", "--timeout", "1s", "a=grpc://127.0.0.1:%d", NULL, NULL};
    char t1[96], t2[96];
    struct probe_result r;
    int port, fd = harness_silent_listener(&port);

    cr_assert_geq(fd, 0, "silent listener");
    snprintf(t1, sizeof(t1), "a=grpc://127.0.0.1:%d", port);
    snprintf(t2, sizeof(t2), "b=grpcs://127.0.0.1:%d", port);
    argv[3] = t1;
    argv[4] = t2;
    pt_run(&r, argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "a", "FAIL", "^timeout after 1000ms \\(response\\)$");
    pt_assert_check(&r, "b", "FAIL", "^timeout after 1000ms \\(tls\\)$");
    PT_ASSERT_DEADLINE(&r, 1000);
}

/* An HTTP/1.1 server gets the HTTP/2 preface over h2c, answers it as HTTP/1.1 and closes;
 * MySQL greets first. Neither is gRPC, and the check says so at once. */
Test(grpc, http1_server_is_a_protocol_failure, .timeout = 20)
{
    struct probe_result r;

    check_grpc(&r, 1, NULL, "grpc://127.0.0.1:%d", pt_env_int("PT_HTTP_PORT"));
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "protocol");
    PT_ASSERT_WITHIN(&r, 2000);
    check_grpc(&r, 0, NULL, "grpc://127.0.0.1:%d", pt_env_int("PT_HTTP_PORT"));
    pt_assert_check(
        &r, "g", "FAIL",
        "^not gRPC: the server answered over HTTP/1 \\(HTTP/1\\.1 405 Method Not Allowed\\)$");
    check_grpc(&r, 0, NULL, "grpc://127.0.0.1:%d", pt_env_int("PT_MYSQL_PORT"));
    pt_assert_check(&r, "g", "FAIL", "^not gRPC: the server does not speak HTTP/2$");
    PT_ASSERT_WITHIN(&r, 2000);
}

/* A TLS port spoken to in h2c, and an h2c port spoken to with TLS. */
Test(grpc, wrong_scheme_for_the_port_fails_fast, .timeout = 20)
{
    struct probe_result r;

    check_grpc(&r, 1, "--insecure", "grpcs://127.0.0.1:%d", pt_env_int("PT_GRPC_PORT"));
    PT_ASSERT_EXIT(&r, 1);
    assert_reason(&r, "tls");
    PT_ASSERT_WITHIN(&r, 2000);
    check_grpc(&r, 1, NULL, "grpc://127.0.0.1:%d", pt_env_int("PT_GRPCS_PORT"));
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_WITHIN(&r, 2000);
}

Test(grpc, health_document_names_the_component_type, .timeout = 20)
{
    struct probe_result r;
    char v[64];

    check_grpc(&r, 1, NULL, "grpc://127.0.0.1:%d", pt_env_int("PT_GRPC_PORT"));
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_json_get(r.out, "checks/g:responseTime/0/componentType", v, sizeof(v)), 0,
                 PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(v, "component");
}

Test(grpc, validate_shows_the_service_and_version_lists_nghttp2, .timeout = 20)
{
    const char *validate[] = {"validate", "g=grpcs://db.internal/my.pkg.Svc", "h=grpc://h", NULL};
    const char *version[] = {"version", NULL};
    struct probe_result r;

    pt_run(&r, validate, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "kind: grpc\n    url: grpcs://db.internal/my.pkg.Svc\n    timeout: "
                         "3000ms\n    service: \"my.pkg.Svc\"\n");
    PT_ASSERT_OUT_RE(&r, "url: grpc://h\n    timeout: 3000ms\n    service: \"\"\n");
    pt_run(&r, version, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "\nnghttp2 [0-9]+\\.[0-9]+");
}

Test(grpc, bad_urls_are_one_line_errors, .timeout = 20)
{
    static const char *const cases[][2] = {
        {"grpc://u:pw-Grpc-77@h", "a grpc URL takes no user or password"},
        {"grpc://h/a/b", "bad service name"},
        {"grpc://h:99999", "bad port"},
    };
    struct probe_result r;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[] = {"check", cases[i][0], NULL};

        pt_run(&r, argv, NULL);
        PT_ASSERT_EXIT(&r, 1);
        PT_ASSERT_ERR_RE(&r, cases[i][1]);
        cr_assert_eq(pt_count_lines(r.err), 1, PT_OUT, PT_ARGS(&r));
        pt_assert_no_secret(&r, "pw-Grpc-77");
    }
}

/* `probe serve`: the metrics label a gRPC check with its kind. */
Test(grpc, serve_metrics_give_the_check_type_grpc, .timeout = 20)
{
    static struct harness_http_resp resp;
    const char *req_ready = "GET /ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    const char *req_metrics = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    char target[96], err[HARNESS_ERRLEN];
    const char *argv[] = {"--interval", "200ms", target, NULL};
    struct harness_serve s;
    struct harness_serve_exit x;
    double end;

    snprintf(target, sizeof(target), "g=grpc://127.0.0.1:%d", pt_env_int("PT_GRPC_PORT"));
    cr_assert_eq(harness_serve_start(&s, NULL, "127.0.0.1", argv, NULL, 5000, err, sizeof(err)), 0,
                 "%s", err);
    end = harness_now_ms() + 5000;
    while (harness_now_ms() < end &&
           (harness_http(s.host, s.port, req_ready, &resp, 1000) != 0 || resp.status != 200))
        usleep(50 * 1000);
    cr_assert_eq(resp.status, 200, "/ready never turned 200: %s", resp.body);
    cr_assert_eq(harness_http(s.host, s.port, req_metrics, &resp, 1000), 0, "%s", resp.why);
    cr_assert(strstr(resp.body, "probe_check_up{check=\"g\",type=\"grpc\"} 1\n") != NULL, "%s",
              resp.body);
    harness_serve_stop(&s, SIGTERM, 2000, &x);
    harness_serve_cleanup(&s);
    cr_assert_eq(x.exit_code, 0);
}

/* HTTP and gRPC checks of one run share its curl multi handle; each gets its own verdict. */
Test(grpc, http_and_grpc_checks_share_one_run, .timeout = 20)
{
    char w[96], g[96], d[96];
    const char *argv[] = {"check", "--timeout", "5s", w, g, d, NULL};
    struct probe_result r;

    snprintf(w, sizeof(w), "w=http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    snprintf(g, sizeof(g), "g=grpc://127.0.0.1:%d/app", pt_env_int("PT_GRPC_PORT"));
    snprintf(d, sizeof(d), "d=grpc://localhost:%d/down", pt_env_int("PT_GRPC_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "w", "PASS", "^200$");
    pt_assert_check(&r, "g", "PASS", "^SERVING$");
    pt_assert_check(&r, "d", "FAIL", "^NOT_SERVING$");
}
