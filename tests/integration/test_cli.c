/* The command line: exit codes, output shapes, environment, config file, ${VAR} expansion. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void
http_url(char *buf, size_t len, const char *name, const char *path)
{
    snprintf(buf, len, "%s%shttp://127.0.0.1:%d%s", name != NULL ? name : "",
             name != NULL ? "=" : "", pt_env_int("PT_HTTP_PORT"), path);
}

/* ---- check: exit codes and text ---- */

Test(cli, all_passing_checks_exit_0_with_one_line_each, .timeout = 20)
{
    char a[256], b[256], c[256];
    const char *argv[] = {"check", "--timeout", "5s", a, b, c, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), "web", "/ok");
    snprintf(b, sizeof(b), "port=tcp://127.0.0.1:%d", pt_env_int("PT_HTTP_PORT"));
    snprintf(c, sizeof(c), "cache=redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD,
             pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_count_lines(r.out), 3, "one line per check, nothing else" PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "web", "PASS", "^200$");
    pt_assert_check(&r, "port", "PASS", NULL);
    pt_assert_check(&r, "cache", "PASS", NULL);
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
}

Test(cli, text_line_has_status_name_target_message_time, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "^PASS +http {2,}http://127\\.0\\.0\\.1:[0-9]+/ok {2,}200 {2,}"
                         "[0-9]+(\\.[0-9]+)?(us|ms|s)$");
}

Test(cli, one_failing_check_exits_1_and_lines_keep_the_given_order, .timeout = 20)
{
    char a[256], b[256], c[256];
    const char *argv[] = {"check", "--timeout", "5s", a, b, c, NULL};
    struct probe_result r;
    struct pt_line l;

    http_url(a, sizeof(a), "zeta", "/ok");
    http_url(b, sizeof(b), "alpha", "/503");
    http_url(c, sizeof(c), "mid", "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_count_lines(r.out), 3, PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_parse_line(r.out, &l), 0, PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(l.name, "zeta", "first line is the first target" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_parse_line(strchr(r.out, '\n') + 1, &l), 0, PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(l.name, "alpha", "second line is the second target" PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "zeta", "PASS", "^200$");
    pt_assert_check(&r, "alpha", "FAIL", "^HTTP 503");
    pt_assert_check(&r, "mid", "PASS", "^200$");
}

Test(cli, default_names_are_the_scheme_made_unique, .timeout = 20)
{
    char a[256], b[256], c[256], d[256];
    const char *argv[] = {"check", "--timeout", "5s", a, b, c, d, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/ok");
    http_url(b, sizeof(b), NULL, "/ok");
    http_url(c, sizeof(c), NULL, "/health");
    snprintf(d, sizeof(d), "tcp://127.0.0.1:%d", pt_env_int("PT_HTTP_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", NULL);
    pt_assert_check(&r, "http-2", "PASS", NULL);
    pt_assert_check(&r, "http-3", "PASS", NULL);
    pt_assert_check(&r, "tcp", "PASS", NULL);
}

Test(cli, unknown_flag_exits_1_not_2, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", "--no-such-flag", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_ERR_RE(&r, "no-such-flag");
}

Test(cli, unknown_command_is_named_without_its_escape_bytes, .timeout = 20)
{
    const char *argv[] = {"chek\x1b[2J", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_ERR_RE(&r, "^probe: unknown command \"chek ?\\[2J\"");
    cr_assert_null(strchr(r.err, '\x1b'), "an ESC byte reached stderr" PT_OUT, PT_ARGS(&r));
}

Test(cli, bad_duration_exits_1, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", "--timeout", "3x", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_ERR_RE(&r, "3x");
}

Test(cli, no_targets_exits_1, .timeout = 20)
{
    const char *argv[] = {"check", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(r.err_len > 0, "the reason is printed" PT_OUT, PT_ARGS(&r));
}

Test(cli, bad_target_exits_1_without_showing_its_password, .timeout = 20)
{
    const char *argv[] = {"check", "db=mysql://probe:Bad-pw-5150@127.0.0.1:notaport/app", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(r.err_len > 0, "the reason is printed" PT_OUT, PT_ARGS(&r));
    pt_assert_no_secret(&r, "Bad-pw-5150");
}

Test(cli, unknown_scheme_exits_1, .timeout = 20)
{
    const char *argv[] = {"check", "ftp://127.0.0.1:21/", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(r.err_len > 0, "the reason is printed" PT_OUT, PT_ARGS(&r));
}

Test(cli, bad_name_exits_1, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), "bad/name", "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(r.err_len > 0, "the reason is printed" PT_OUT, PT_ARGS(&r));
}

/* ---- --json and -q ---- */

Test(cli, json_document_has_the_health_check_shape, .timeout = 20)
{
    char a[256], b[256], url_a[256], want_b[256], v[512];
    const char *argv[] = {"check", "--timeout", "5s", "--json", a, b, NULL};
    struct probe_result r;
    int mport = pt_env_int("PT_MYSQL_PORT");

    http_url(a, sizeof(a), "app", "/ok");
    http_url(url_a, sizeof(url_a), NULL, "/ok");
    snprintf(b, sizeof(b), "db=mysql://%s:wrong-pw-0000@127.0.0.1:%d/app", HARNESS_MYSQL_USER,
             mport);
    snprintf(want_b, sizeof(want_b), "mysql://%s:***@127.0.0.1:%d/app", HARNESS_MYSQL_USER, mport);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(pt_json_valid(r.out), "stdout is not one JSON document" PT_OUT, PT_ARGS(&r));
    pt_assert_no_secret(&r, "wrong-pw-0000");

#define JSON_IS(path, want)                                                                        \
    do {                                                                                           \
        cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, "no %s" PT_OUT, path,              \
                     PT_ARGS(&r));                                                                 \
        cr_assert_str_eq(v, want, "%s" PT_OUT, path, PT_ARGS(&r));                                 \
    } while (0)
#define JSON_MATCHES(path, re)                                                                     \
    do {                                                                                           \
        cr_assert_eq(pt_json_get(r.out, path, v, sizeof(v)), 0, "no %s" PT_OUT, path,              \
                     PT_ARGS(&r));                                                                 \
        cr_assert(pt_match(v, re, 0), "%s is \"%s\", expected /%s/" PT_OUT, path, v, re,           \
                  PT_ARGS(&r));                                                                    \
    } while (0)

    JSON_IS("status", "fail");
    JSON_IS("version", "1");
    JSON_MATCHES("releaseId", "^[0-9]+\\.[0-9]+\\.[0-9]+");
    JSON_IS("checks/app:responseTime/0/componentId", "app");
    JSON_IS("checks/app:responseTime/0/componentType", "http");
    JSON_IS("checks/app:responseTime/0/status", "pass");
    JSON_IS("checks/app:responseTime/0/observedUnit", "ms");
    JSON_MATCHES("checks/app:responseTime/0/observedValue", "^[0-9]+(\\.[0-9]+)?$");
    JSON_MATCHES("checks/app:responseTime/0/time",
                 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$");
    JSON_IS("checks/app:responseTime/0/target", url_a);
    JSON_IS("checks/db:responseTime/0/componentId", "db");
    JSON_IS("checks/db:responseTime/0/componentType", "datastore");
    JSON_IS("checks/db:responseTime/0/status", "fail");
    JSON_IS("checks/db:responseTime/0/target", want_b);
    JSON_MATCHES("checks/db:responseTime/0/output", "^1045 Access denied");
#undef JSON_IS
#undef JSON_MATCHES
}

Test(cli, json_status_is_pass_when_all_pass, .timeout = 20)
{
    char a[256], v[64];
    const char *argv[] = {"check", "--timeout", "5s", "--json", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert(pt_json_valid(r.out), "stdout is not one JSON document" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "status", v, sizeof(v)), 0, PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(v, "pass", PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "checks/http:responseTime/0/output", v, sizeof(v)), -1,
                 "a passing check has no output" PT_OUT, PT_ARGS(&r));
}

Test(cli, quiet_prints_only_failures, .timeout = 20)
{
    char a[256], b[256];
    const char *argv[] = {"check", "--timeout", "5s", "-q", a, b, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), "good", "/ok");
    http_url(b, sizeof(b), "bad", "/404");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_count_lines(r.out), 1, "only the failure is printed" PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "bad", "FAIL", "^HTTP 404");
}

Test(cli, quiet_prints_nothing_when_all_pass, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", "--timeout", "5s", "--quiet", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/ok");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(r.out_len, 0, "stdout is empty" PT_OUT, PT_ARGS(&r));
    argv[3] = "--json"; /* the same check without -q does print */
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert(pt_json_valid(r.out) && r.out_len > 0, "the check ran" PT_OUT, PT_ARGS(&r));
}

/* ---- validate, version, help ---- */

Test(cli, validate_valid_exits_0_and_hides_secrets, .timeout = 20)
{
    const char *argv[] = {"validate", "cache=redis://:Val-pw-1111@127.0.0.1:6379/0",
                          "db=mysql://app:Val-pw-2222@127.0.0.1:3306/app?query=SELECT%201",
                          "web=http://user:Val-pw-3333@127.0.0.1:8080/health", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "cache");
    PT_ASSERT_OUT_RE(&r, "db");
    PT_ASSERT_OUT_RE(&r, "web");
    PT_ASSERT_OUT_RE(&r, "\\*\\*\\*");
    pt_assert_no_secret(&r, "Val-pw-1111");
    pt_assert_no_secret(&r, "Val-pw-2222");
    pt_assert_no_secret(&r, "Val-pw-3333");
}

Test(cli, validate_invalid_target_exits_2, .timeout = 20)
{
    const char *argv[] = {"validate", "ftp://127.0.0.1:21/", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 2);
}

Test(cli, validate_unset_variable_exits_2_naming_it, .timeout = 20)
{
    const char *argv[] = {"validate", "redis://:${PT_SURELY_UNSET_VAR_1}@127.0.0.1:6379", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 2);
    cr_assert(strstr(r.err, "PT_SURELY_UNSET_VAR_1") != NULL ||
                  strstr(r.out, "PT_SURELY_UNSET_VAR_1") != NULL,
              "the variable is named" PT_OUT, PT_ARGS(&r));
}

Test(cli, version_prints_probe_and_its_version, .timeout = 20)
{
    const char *argv1[] = {"version", NULL};
    const char *argv2[] = {"--version", NULL};
    struct probe_result r;

    pt_run(&r, argv1, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert(strncmp(r.out, "probe ", 6) == 0 &&
                  pt_match(r.out, "^probe [0-9]+\\.[0-9]+\\.[0-9]+", 0),
              "the first line is \"probe X.Y.Z\"" PT_OUT, PT_ARGS(&r));
    pt_run(&r, argv2, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(strncmp(r.out, "probe ", 6), 0, PT_OUT, PT_ARGS(&r));
}

Test(cli, help_prints_usage_and_exits_0, .timeout = 20)
{
    const char *const forms[] = {"help", "--help", "-h"};
    int i;

    for (i = 0; i < 3; i++) {
        const char *argv[] = {forms[i], NULL};
        struct probe_result r;

        pt_run(&r, argv, NULL);
        PT_ASSERT_EXIT(&r, 0);
        PT_ASSERT_OUT_RE(&r, "check");
        PT_ASSERT_OUT_RE(&r, "serve");
        PT_ASSERT_OUT_RE(&r, "validate");
    }
}

/* ---- environment ---- */

Test(cli, probe_targets_is_used_without_arguments, .timeout = 20)
{
    char targets[600];
    const char *env[] = {targets, NULL};
    const char *argv[] = {"check", "--timeout", "5s", NULL};
    struct probe_result r;
    int port = pt_env_int("PT_HTTP_PORT");

    snprintf(targets, sizeof(targets),
             "PROBE_TARGETS=web=http://127.0.0.1:%d/ok port=tcp://127.0.0.1:%d", port, port);
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_count_lines(r.out), 2, PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "web", "PASS", "^200$");
    pt_assert_check(&r, "port", "PASS", NULL);
}

Test(cli, arguments_replace_probe_targets, .timeout = 20)
{
    char targets[600], a[256];
    const char *env[] = {targets, NULL};
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    snprintf(targets, sizeof(targets), "PROBE_TARGETS=bad=http://127.0.0.1:%d/404",
             pt_env_int("PT_HTTP_PORT"));
    http_url(a, sizeof(a), "good", "/ok");
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_count_lines(r.out), 1, PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "good", "PASS", NULL);
}

Test(cli, probe_timeout_sets_the_deadline, .timeout = 20)
{
    char a[256];
    const char *env[] = {"PROBE_TIMEOUT=1s", NULL};
    const char *argv[] = {"check", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/slow?ms=5000");
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_WITHIN(&r, 1100);
    pt_assert_check(&r, "http", "FAIL", "^timeout after 1000ms \\(");
}

Test(cli, timeout_flag_beats_probe_timeout, .timeout = 20)
{
    char a[256];
    const char *env[] = {"PROBE_TIMEOUT=200ms", NULL};
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    http_url(a, sizeof(a), NULL, "/slow?ms=500");
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "http", "PASS", "^200$");
}

/* ---- the config file ---- */

/* Writes a config with three checks (app: http, db: mysql with ${PT_TEST_DB_PASSWORD},
 * cache: redis with ${file:...}) and the given top-level timeout line; returns its path. */
static void
write_config(char *path, size_t len, const char *timeout_line)
{
    char dir[HARNESS_PATH], pwfile[HARNESS_PATH + 16], yaml[4096];

    pt_tmpdir(dir, sizeof(dir));
    snprintf(pwfile, sizeof(pwfile), "%s/redis_password", dir);
    pt_write_file(pwfile, HARNESS_REDIS_PASSWORD "\n");
    snprintf(yaml, sizeof(yaml),
             "%s"
             "checks:\n"
             "  - name: app\n"
             "    url: http://127.0.0.1:%d/health\n"
             "    expect_body: '\"status\": \"healthy\"'\n"
             "  - name: db\n"
             "    url: mysql://%s:${PT_TEST_DB_PASSWORD}@127.0.0.1:%d/app\n"
             "    query: SELECT 1\n"
             "  - name: cache\n"
             "    url: redis://:${file:%s}@127.0.0.1:%d/0\n",
             timeout_line, pt_env_int("PT_HTTP_PORT"), HARNESS_MYSQL_USER,
             pt_env_int("PT_MYSQL_PORT"), pwfile, pt_env_int("PT_REDIS_PORT"));
    snprintf(path, len, "%s/probe.yaml", dir);
    pt_write_file(path, yaml);
}

static void
assert_config_checks_pass(const struct probe_result *r)
{
    PT_ASSERT_EXIT(r, 0);
    cr_assert_eq(pt_count_lines(r->out), 3, PT_OUT, PT_ARGS(r));
    pt_assert_check(r, "app", "PASS", "^200$");
    pt_assert_check(r, "db", "PASS", NULL);
    pt_assert_check(r, "cache", "PASS", NULL);
    pt_assert_no_secret(r, HARNESS_MYSQL_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_PASSWORD);
}

Test(cli, probe_config_file_is_read_and_expanded, .timeout = 20)
{
    char path[HARNESS_PATH + 16], cfg[HARNESS_PATH + 32];
    const char *env[] = {cfg, "PT_TEST_DB_PASSWORD=" HARNESS_MYSQL_PASSWORD, NULL};
    const char *argv[] = {"check", NULL};
    struct probe_result r;

    write_config(path, sizeof(path), "timeout: 5s\n");
    snprintf(cfg, sizeof(cfg), "PROBE_CONFIG=%s", path);
    pt_run(&r, argv, env);
    assert_config_checks_pass(&r);
}

Test(cli, config_flag_reads_the_file, .timeout = 20)
{
    char path[HARNESS_PATH + 16];
    const char *env[] = {"PT_TEST_DB_PASSWORD=" HARNESS_MYSQL_PASSWORD, NULL};
    const char *argv[] = {"check", "-c", path, NULL};
    struct probe_result r;

    write_config(path, sizeof(path), "");
    pt_run(&r, argv, env);
    assert_config_checks_pass(&r);
}

Test(cli, arguments_replace_the_config_checks, .timeout = 20)
{
    char path[HARNESS_PATH + 16], a[256];
    const char *env[] = {"PT_TEST_DB_PASSWORD=" HARNESS_MYSQL_PASSWORD, NULL};
    const char *argv[] = {"check", "--config", path, a, NULL};
    struct probe_result r;

    write_config(path, sizeof(path), "");
    http_url(a, sizeof(a), "only", "/ok");
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_count_lines(r.out), 1, PT_OUT, PT_ARGS(&r));
    pt_assert_check(&r, "only", "PASS", NULL);
}

Test(cli, config_timeout_is_the_deadline_and_env_beats_it, .timeout = 20)
{
    char path[HARNESS_PATH + 16], a[256];
    const char *env_none[] = {"PT_TEST_DB_PASSWORD=" HARNESS_MYSQL_PASSWORD, NULL};
    const char *env[] = {"PT_TEST_DB_PASSWORD=" HARNESS_MYSQL_PASSWORD, "PROBE_TIMEOUT=5s", NULL};
    const char *argv[] = {"check", "-c", path, a, NULL};
    struct probe_result r;

    write_config(path, sizeof(path), "timeout: 300ms\n");
    http_url(a, sizeof(a), "slow", "/slow?ms=600");
    pt_run(&r, argv, env_none);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_WITHIN(&r, 400);
    pt_assert_check(&r, "slow", "FAIL", "^timeout after 300ms \\(");
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "slow", "PASS", "^200$");
}

Test(cli, config_error_gives_file_line_and_column, .timeout = 20)
{
    char dir[HARNESS_PATH], path[HARNESS_PATH + 16], re[HARNESS_PATH + 64];
    const char *check[] = {"check", "-c", path, NULL};
    const char *validate[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    pt_write_file(path, "timeout: 3s\n"
                        "no_such_key: 1\n"
                        "checks:\n"
                        "  - url: http://127.0.0.1:1/\n");
    snprintf(re, sizeof(re), "bad\\.yaml:2:[0-9]+");
    pt_run(&r, check, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_ERR_RE(&r, re);
    pt_run(&r, validate, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_ERR_RE(&r, re);
}

Test(cli, config_duplicate_name_is_an_error, .timeout = 20)
{
    char dir[HARNESS_PATH], path[HARNESS_PATH + 16];
    const char *validate[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/dup.yaml", dir);
    pt_write_file(path, "checks:\n"
                        "  - name: same\n"
                        "    url: http://127.0.0.1:1/\n"
                        "  - name: same\n"
                        "    url: tcp://127.0.0.1:2\n");
    pt_run(&r, validate, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_ERR_RE(&r, "dup\\.yaml:4:[0-9]+");
}

/* ---- ${...} expansion ---- */

Test(cli, variable_from_environment_is_expanded_and_hidden, .timeout = 20)
{
    char a[256];
    const char *env[] = {"PT_TEST_REDIS_PASSWORD=" HARNESS_REDIS_PASSWORD, NULL};
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    snprintf(a, sizeof(a), "redis://:${PT_TEST_REDIS_PASSWORD}@127.0.0.1:%d",
             pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
}

Test(cli, variable_default_is_used_when_unset, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    snprintf(a, sizeof(a), "redis://:${PT_SURELY_UNSET_VAR_2:-%s}@127.0.0.1:%d",
             HARNESS_REDIS_PASSWORD, pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "redis", "PASS", NULL);
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
}

Test(cli, file_variable_is_read_without_trailing_newline, .timeout = 20)
{
    char dir[HARNESS_PATH], pwfile[HARNESS_PATH + 16], a[HARNESS_PATH + 128];
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(pwfile, sizeof(pwfile), "%s/mysql_password", dir);
    pt_write_file(pwfile, HARNESS_MYSQL_PASSWORD "\n");
    snprintf(a, sizeof(a), "mysql://%s:${file:%s}@127.0.0.1:%d/app", HARNESS_MYSQL_USER, pwfile,
             pt_env_int("PT_MYSQL_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "mysql", "PASS", NULL);
    pt_assert_no_secret(&r, HARNESS_MYSQL_PASSWORD);
}

Test(cli, variable_in_probe_targets_is_expanded, .timeout = 20)
{
    char targets[600];
    const char *env[] = {targets, "PT_TEST_REDIS_PASSWORD=" HARNESS_REDIS_PASSWORD, NULL};
    const char *argv[] = {"check", "--timeout", "5s", NULL};
    struct probe_result r;

    snprintf(targets, sizeof(targets),
             "PROBE_TARGETS=cache=redis://:${PT_TEST_REDIS_PASSWORD}@127.0.0.1:%d",
             pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "cache", "PASS", NULL);
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);
}

Test(cli, unset_variable_exits_1_naming_it, .timeout = 20)
{
    char a[256];
    const char *argv[] = {"check", "--timeout", "5s", a, NULL};
    struct probe_result r;

    snprintf(a, sizeof(a), "redis://:${PT_SURELY_UNSET_VAR_3}@127.0.0.1:%d",
             pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(strstr(r.err, "PT_SURELY_UNSET_VAR_3") != NULL ||
                  strstr(r.out, "PT_SURELY_UNSET_VAR_3") != NULL,
              "the variable is named" PT_OUT, PT_ARGS(&r));
}

/* ---- the 4096-byte budget ---- */

Test(cli, output_stays_under_4096_bytes_with_many_long_failures, .timeout = 20)
{
    enum { PER_KIND = 10, N = 3 * PER_KIND };
    static char targets[N][256], body[401];
    const char *argv[N + 8];
    struct probe_result r;
    char name[64];
    int i, n = 0;

    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    argv[n++] = "check";
    argv[n++] = "--timeout";
    argv[n++] = "5s";
    argv[n++] = "--expect-body";
    argv[n++] = body;
    for (i = 0; i < PER_KIND; i++) {
        snprintf(targets[i], sizeof(targets[i]),
                 "a-check-with-a-rather-long-name-%02d=http://127.0.0.1:%d/ok", i,
                 pt_env_int("PT_HTTP_PORT"));
        snprintf(targets[PER_KIND + i], sizeof(targets[0]),
                 "b-check-with-a-rather-long-name-%02d=redis://:wrong-pw-%02d@127.0.0.1:%d", i, i,
                 pt_env_int("PT_REDIS_PORT"));
        snprintf(targets[2 * PER_KIND + i], sizeof(targets[0]),
                 "c-check-with-a-rather-long-name-%02d=mysql://probe:wrong-pw-%02d@127.0.0.1:%d/"
                 "app",
                 i, i, pt_env_int("PT_MYSQL_PORT"));
    }
    for (i = 0; i < N; i++)
        argv[n++] = targets[i];
    argv[n] = NULL;
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_lt(r.out_len, 4096, "stdout is %zu bytes" PT_OUT, r.out_len, PT_ARGS(&r));
    cr_assert_eq(pt_count_lines(r.out), N, "every check keeps its line" PT_OUT, PT_ARGS(&r));
    for (i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "%c-check-with-a-rather-long-name-%02d", 'a' + i / PER_KIND,
                 i % PER_KIND);
        pt_assert_check(&r, name, "FAIL", NULL);
    }
    pt_assert_no_secret(&r, "wrong-pw-0");
}

Test(cli, option_missing_its_value_at_the_end_is_named, .timeout = 20)
{
    const char *argv[] = {"check", "tcp://127.0.0.1:1", "--timeout", NULL};
    struct probe_result r;

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert(pt_match(r.err, "^probe: option --timeout needs a value\n$", 0),
              "one line naming the option" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(r.out_len, 0, "nothing on stdout" PT_OUT, PT_ARGS(&r));
}
