/* HTTP JSON assertions (--expect-json, expect_json:) and HTTP over a unix socket
 * (--unix-socket, unix_socket:), against tests/helpers/httpd's /json/ documents. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

/* `probe check --timeout 5s [--expect-json E]... http://127.0.0.1:PORT/json/DOC`. */
static void
check_json(struct probe_result *r, const char *doc, const char *const expects[])
{
    char url[512];
    const char *argv[24];
    int n = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/json/%s", pt_env_int("PT_HTTP_PORT"), doc);
    argv[n++] = "check";
    argv[n++] = "--timeout";
    argv[n++] = "5s";
    for (; expects != NULL && *expects != NULL && n < 20; expects++) {
        argv[n++] = "--expect-json";
        argv[n++] = *expects;
    }
    argv[n++] = url;
    argv[n] = NULL;
    pt_run(r, argv, NULL);
}

static void
json_passes(const char *doc, const char *const expects[])
{
    struct probe_result r;

    check_json(&r, doc, expects);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

static void
json_fails(const char *doc, const char *const expects[], const char *msg_re)
{
    struct probe_result r;

    check_json(&r, doc, expects);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", msg_re);
}

Test(json, django_healthy_passes, .timeout = 20)
{
    const char *const e[] = {"/status=healthy", "/checks/db=working", NULL};

    json_passes("django", e);
}

Test(json, django_unhealthy_names_pointer_found_and_expected, .timeout = 20)
{
    const char *const e[] = {"/status=healthy", NULL};

    json_fails("django-unhealthy", e, "^/status is \"unhealthy\", expected healthy$");
}

Test(json, spring_nested_component_passes, .timeout = 20)
{
    const char *const e[] = {"/status=UP", "/components/db/status=UP", NULL};

    json_passes("spring", e);
}

Test(json, spring_down_fails_with_body_reason, .timeout = 20)
{
    const char *const e[] = {"/status=UP", NULL};

    json_fails("spring-down", e, "^/status is \"DOWN\", expected UP$");
}

/* Every expectation must hold: the first one that does not is named. */
Test(json, second_expectation_failing_is_named, .timeout = 20)
{
    const char *const e[] = {"/status=DOWN", "/components/db/status=UP", NULL};

    json_fails("spring-down", e, "^/components/db/status is \"DOWN\", expected UP$");
}

Test(json, array_indexes_and_scalar_forms, .timeout = 20)
{
    const char *const e[] = {"/items/0/name=a", "/items/1/ok=false", "/items/0/ok=true", "/count=3",
                             "/ratio=0.1",      "/none=null",        "/neg=-2500",       NULL};

    json_passes("array", e);
}

Test(json, number_compares_as_its_json_text, .timeout = 20)
{
    const char *const e[] = {"/count=\"3\"", NULL};

    json_fails("array", e, "^/count is 3, expected \"3\"$");
}

Test(json, index_past_the_end_is_missing, .timeout = 20)
{
    const char *const e[] = {"/items/2/name=c", NULL};

    json_fails("array", e, "^/items/2/name is missing, expected c$");
}

Test(json, dash_and_leading_zero_index_are_missing, .timeout = 20)
{
    const char *const dash[] = {"/items/-=a", NULL};
    const char *const zero[] = {"/items/01/name=b", NULL};

    json_fails("array", dash, "^/items/- is missing");
    json_fails("array", zero, "^/items/01/name is missing");
}

Test(json, missing_member_fails, .timeout = 20)
{
    const char *const e[] = {"/components/redis/status=UP", NULL};

    json_fails("spring", e, "^/components/redis/status is missing, expected UP$");
}

Test(json, object_and_array_are_not_scalars, .timeout = 20)
{
    const char *const obj[] = {"/components=UP", NULL};
    const char *const arr[] = {"/items=x", NULL};

    json_fails("spring", obj, "^/components is an object, expected UP$");
    json_fails("array", arr, "^/items is an array, expected x$");
}

/* RFC 6901: "~1" is '/', "~0" is '~'; "/" alone is the member named "". */
Test(json, escaped_keys_pass, .timeout = 20)
{
    const char *const e[] = {"/a~1b=slash", "/m~0n=tilde", "/=empty", NULL};

    json_passes("escapes", e);
}

Test(json, unescaped_slash_is_a_path, .timeout = 20)
{
    const char *const e[] = {"/a/b=slash", NULL};

    json_fails("escapes", e, "^/a/b is missing, expected slash$");
}

Test(json, invalid_json_fails, .timeout = 20)
{
    const char *const e[] = {"/status=UP", NULL};

    json_fails("invalid", e, "^body is not JSON: .*line 1");
}

Test(json, plain_text_body_is_not_json, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", "--expect-json", "/status=UP", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^body is not JSON");
}

Test(json, found_value_is_cut, .timeout = 20)
{
    const char *const e[] = {"/status=UP", NULL};
    struct probe_result r;

    check_json(&r, "long", e);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^/status is \"x+\\.\\.\\., expected UP$");
    cr_assert_null(strstr(r.out, "END"), "the value is cut" PT_OUT, PT_ARGS(&r));
}

Test(json, body_over_the_cap_is_limit, .timeout = 20)
{
    const char *const e[] = {"/status=UP", NULL};

    json_fails("big", e, "^body over the 1048576-byte limit$");
}

/* A failing status still says the status, not the JSON. */
Test(json, failing_status_wins, .timeout = 20)
{
    char url[256];
    const char *argv[] = {"check", "--expect-json", "/status=UP", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/503", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^HTTP 503");
}

Test(json, expect_body_and_json_together, .timeout = 20)
{
    char url[256];
    const char *argv[] = {
        "check", "--expect-body", "components", "--expect-json", "/status=UP", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/json/spring", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
}

/* Bad expectations are one-line errors before anything is checked. */
static void
bad_flag(const char *value, const char *err_re)
{
    const char *argv[] = {"check", "--expect-json", value, "http://127.0.0.1:1/", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1); /* check: 1 for a bad flag too (Docker reserves 2) */
    cr_assert_eq(pt_count_lines(r.err), 1, "one line" PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(r.err, err_re, 0), "stderr matches %s" PT_OUT, err_re, PT_ARGS(&r));
    cr_assert_str_eq(r.out, "", "nothing checked" PT_OUT, PT_ARGS(&r));
}

Test(json, bad_pointer_is_a_one_line_error, .timeout = 20)
{
    bad_flag("status=UP", "--expect-json: bad JSON pointer \"status\": must start with \"/\"");
    bad_flag("/status", "--expect-json: expected POINTER=VALUE, got \"/status\"");
    bad_flag("/a~2b=x", "--expect-json: bad JSON pointer \"/a~2b\": \"~\" must be followed");
    bad_flag("/a~=x", "bad JSON pointer \"/a~\"");
}

Test(json, config_expect_json_mapping, .timeout = 20)
{
    char path[HARNESS_PATH + 16], yaml[1024];
    const char *argv[] = {"check", "-c", path, NULL};
    struct probe_result r;

    snprintf(yaml, sizeof(yaml),
             "checks:\n"
             "  - name: spring\n"
             "    url: http://127.0.0.1:%d/json/spring\n"
             "    expect_json:\n"
             "      /status: UP\n"
             "      /components/db/status: \"UP\"\n"
             "  - name: items\n"
             "    url: http://127.0.0.1:%d/json/array\n"
             "    expect_json: {/count: 3, /none: null, /items/1/ok: false, /ratio: 0.1}\n"
             "  - name: down\n"
             "    url: http://127.0.0.1:%d/json/spring-down\n"
             "    expect_json: {/status: UP}\n",
             pt_env_int("PT_HTTP_PORT"), pt_env_int("PT_HTTP_PORT"), pt_env_int("PT_HTTP_PORT"));
    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "spring", "PASS", "^200$");
    pt_assert_check(&r, "items", "PASS", "^200$");
    pt_assert_check(&r, "down", "FAIL", "^/status is \"DOWN\", expected UP$");
}

static void
bad_config(const char *yaml, const char *err_re)
{
    char path[HARNESS_PATH + 16];
    const char *argv[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 2);
    cr_assert_eq(pt_count_lines(r.err), 1, "one line" PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(r.err, err_re, 0), "stderr matches %s" PT_OUT, err_re, PT_ARGS(&r));
}

Test(json, config_errors_have_positions, .timeout = 20)
{
    bad_config("checks:\n  - url: http://web/\n    expect_json:\n      status: UP\n",
               "probe.yaml:4:7: expect_json: bad JSON pointer \"status\": must start with");
    bad_config("checks:\n  - url: http://web/\n    expect_json: /status=UP\n",
               "probe.yaml:3:18: expect_json: expected a mapping, got a scalar");
    bad_config("checks:\n  - url: http://web/\n    expect_json: {/a: 1, /a: 2}\n",
               "probe.yaml:3:26: duplicate pointer \"/a\"");
    bad_config("checks:\n  - url: http://web/\n    expect_json: {/a: [1]}\n",
               "probe.yaml:3:23: expect_json /a: expected a string, got a sequence");
    bad_config("checks:\n  - url: http://web/\n    expect_json: {}\n",
               "probe.yaml:3:18: expect_json: empty mapping");
}

Test(json, validate_prints_expectations, .timeout = 20)
{
    const char *argv[] = {"validate",   "--expect-json",          "/status=UP", "--expect-json",
                          "/a~1b=x\"y", "http://web.test/health", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_not_null(strstr(r.out, "    expect_json:\n      \"/status\": \"UP\"\n"
                                     "      \"/a~1b\": \"x\\\"y\"\n"),
                       "expect_json listed" PT_OUT, PT_ARGS(&r));
}

/* --- unix sockets --- */

Test(unix_socket, flag_passes_with_json, .timeout = 20)
{
    const char *argv[] = {"check",
                          "--unix-socket",
                          pt_env("PT_HTTP_SOCK"),
                          "--expect-json",
                          "/status=healthy",
                          "http://app.internal/json/django",
                          NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

/* The URL's host is the Host header only: a name nobody could resolve is never looked up. */
Test(unix_socket, host_is_only_the_host_header, .timeout = 20)
{
    const char *argv[] = {"check",
                          "--unix-socket",
                          pt_env("PT_HTTP_SOCK"),
                          "--expect-body",
                          "Host: no-such-name.invalid:8000",
                          "http://no-such-name.invalid:8000/headers",
                          NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

Test(unix_socket, config_key_passes, .timeout = 20)
{
    char path[HARNESS_PATH + 16], yaml[1024];
    const char *argv[] = {"check", "-c", path, NULL};
    const char *vargv[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    snprintf(yaml, sizeof(yaml),
             "checks:\n"
             "  - name: app\n"
             "    url: http://localhost/json/spring\n"
             "    unix_socket: %s\n"
             "    expect_json: {/status: UP}\n",
             pt_env("PT_HTTP_SOCK"));
    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "app", "PASS", "^200$");
    pt_run(&r, vargv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_not_null(strstr(r.out, "    unix_socket: \""), "validate lists it" PT_OUT,
                       PT_ARGS(&r));
}

static void
unix_fails(const char *sock, const char *msg_re)
{
    const char *argv[] = {"check", "--timeout", "5s", "--unix-socket", sock, "http://app/", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", msg_re);
    cr_assert_lt(r.elapsed_ms, 1000.0, "fails fast" PT_OUT, PT_ARGS(&r));
}

Test(unix_socket, missing_file_fails_fast, .timeout = 20)
{
    unix_fails("/nonexistent/app.sock", "^unix socket /nonexistent/app.sock: No such file");
}

Test(unix_socket, non_socket_fails_fast, .timeout = 20)
{
    unix_fails("/etc/hostname", "^unix socket /etc/hostname: not a socket$");
}

/* A unix socket bound at DIR/name, listening (backlog 4) when listening, else closed again: a
 * file left behind by a server that is gone. Returns the descriptor or -1. */
static int
unix_socket_at(char *path, size_t len, const char *name, int listening)
{
    char dir[HARNESS_PATH];
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    pt_tmpdir(dir, sizeof(dir));
    snprintf(path, len, "%s/%s", dir, name);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    cr_assert_lt(strlen(path), sizeof(sun.sun_path), "%s: too long", path);
    memcpy(sun.sun_path, path, strlen(path));
    cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0, "bind %s", path);
    if (listening) {
        cr_assert_eq(listen(fd, 4), 0, "listen");
        return fd;
    }
    close(fd);
    return -1;
}

/* A socket file left behind by a server that is gone: connect() is refused at once. */
Test(unix_socket, no_listener_fails_fast, .timeout = 20)
{
    char path[HARNESS_PATH + 16];

    unix_socket_at(path, sizeof(path), "dead.sock", 0);
    unix_fails(path, "^connection refused$");
}

/* JSON output: the reason is connect. */
Test(unix_socket, missing_file_reason_is_connect, .timeout = 20)
{
    const char *argv[] = {"check",       "--json", "--unix-socket", "/nonexistent/app.sock",
                          "http://app/", NULL};
    struct probe_result r;
    char v[64];

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_json_get(r.out, "checks/http:responseTime/0/reason", v, sizeof(v)), 0,
                 "reason" PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(v, "connect", PT_OUT, PT_ARGS(&r));
}

Test(unix_socket, flag_is_not_for_other_kinds, .timeout = 20)
{
    char url[128];
    const char *argv[] = {"check", "--unix-socket", "/nonexistent/app.sock", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
}

/* A socket that takes the connection and never answers: the deadline holds. */
Test(unix_socket, silent_listener_ends_at_the_deadline, .timeout = 20)
{
    char path[HARNESS_PATH + 16];
    const char *argv[] = {"check", "--timeout",   "500ms", "--unix-socket",
                          path,    "http://app/", NULL};
    struct probe_result r;
    int fd = unix_socket_at(path, sizeof(path), "silent.sock", 1);

    pt_run(&r, argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "http", "FAIL", "^timeout after 500ms \\(response\\)$");
    PT_ASSERT_DEADLINE(&r, 500);
}
