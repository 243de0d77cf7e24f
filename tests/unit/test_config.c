/* The YAML config file: the SPEC example, every way a file can be wrong, and ${} expansion. */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
load(const char *yaml, struct cfg *cfg, char *err, size_t errlen)
{
    return cfg_load_string("probe.yml", yaml, strlen(yaml), cfg, err, errlen);
}

/* Writes content to a new temporary file and puts its name in path. */
static void
write_temp(char *path, size_t pathsz, const char *content, size_t len)
{
    int fd;

    snprintf(path, pathsz, "/tmp/probe-test-config-XXXXXX");
    fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    cr_assert_eq(write(fd, content, len), (ssize_t)len);
    close(fd);
}

Test(config, spec_example_loads_every_field)
{
    char secret[64];
    char yaml[2048];
    char err[256];
    struct cfg cfg;
    const struct cfg_check *chk;

    setenv("DB_PASSWORD", "s3cret", 1);
    write_temp(secret, sizeof(secret), "redis-pw\n", 9);
    snprintf(yaml, sizeof(yaml),
             "timeout: 3s\n"
             "interval: 10s\n"
             "listen: 0.0.0.0:8080\n"
             "rise: 2\n"
             "fall: 3\n"
             "log_format: json\n"
             "checks:\n"
             "  - name: app\n"
             "    url: http://127.0.0.1:8000/health/\n"
             "    expect_status: 200-299\n"
             "    expect_body: '\"status\": \"healthy\"'\n"
             "    headers: { Host: app.internal }\n"
             "    timeout: 2s\n"
             "    insecure: true\n"
             "    cacert: /etc/ssl/certs/ca-certificates.crt\n"
             "  - name: db\n"
             "    url: mysql://app:${DB_PASSWORD}@db:3306/app\n"
             "    query: SELECT 1\n"
             "  - name: cache\n"
             "    url: redis://:${file:%s}@redis:6379/0\n",
             secret);

    cr_assert_eq(load(yaml, &cfg, err, sizeof(err)), 0, "%s", err);
    unlink(secret);
    cr_assert_str_eq(cfg.path, "probe.yml");
    cr_assert_eq(cfg.timeout_ms, 3000);
    cr_assert_eq(cfg.interval_ms, 10000);
    cr_assert_str_eq(cfg.listen, "0.0.0.0:8080");
    cr_assert_eq(cfg.rise, 2);
    cr_assert_eq(cfg.fall, 3);
    cr_assert_str_eq(cfg.log_format, "json");
    cr_assert_eq(cfg.nchecks, 3);

    chk = &cfg.checks[0];
    cr_assert_str_eq(chk->name, "app");
    cr_assert_str_eq(chk->url, "http://127.0.0.1:8000/health/");
    cr_assert_str_eq(chk->expect_status, "200-299");
    cr_assert_str_eq(chk->expect_body, "\"status\": \"healthy\"");
    cr_assert_eq(chk->nheaders, 1);
    cr_assert_str_eq(chk->headers[0].name, "Host");
    cr_assert_str_eq(chk->headers[0].value, "app.internal");
    cr_assert_eq(chk->timeout_ms, 2000);
    cr_assert_null(cfg_check_opt(chk, "query"));
    cr_assert_eq(chk->insecure, 1);
    cr_assert_str_eq(chk->cacert, "/etc/ssl/certs/ca-certificates.crt");
    cr_assert_eq(chk->line, 8);
    cr_assert_eq(chk->col, 5);

    chk = &cfg.checks[1];
    cr_assert_str_eq(chk->name, "db");
    cr_assert_str_eq(chk->url, "mysql://app:s3cret@db:3306/app");
    cr_assert_str_eq(cfg_check_opt(chk, "query"), "SELECT 1");
    cr_assert_null(chk->expect_status);
    cr_assert_null(chk->expect_body);
    cr_assert_null(chk->headers);
    cr_assert_eq(chk->nheaders, 0);
    cr_assert_eq(chk->timeout_ms, 0);
    cr_assert_eq(chk->insecure, -1);
    cr_assert_null(chk->cacert);
    cr_assert_eq(chk->line, 16);

    chk = &cfg.checks[2];
    cr_assert_str_eq(chk->name, "cache");
    cr_assert_str_eq(chk->url, "redis://:redis-pw@redis:6379/0");
    cr_assert_eq(chk->line, 19);

    cfg_free(&cfg);
    cr_assert_null(cfg.checks);
    cr_assert_eq(cfg.nchecks, 0);
    cr_assert_null(cfg.path);
}

Test(config, unset_fields_stay_unset)
{
    char err[256];
    struct cfg cfg;

    cr_assert_eq(load("checks:\n  - url: tcp://db:5432\n", &cfg, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.timeout_ms, 0);
    cr_assert_eq(cfg.interval_ms, 0);
    cr_assert_null(cfg.listen);
    cr_assert_eq(cfg.rise, 0);
    cr_assert_eq(cfg.fall, 0);
    cr_assert_null(cfg.log_format);
    cr_assert_eq(cfg.nchecks, 1);
    cr_assert_null(cfg.checks[0].name, "a name is derived from the scheme later");
    cr_assert_str_eq(cfg.checks[0].url, "tcp://db:5432");
    cr_assert_eq(cfg.checks[0].insecure, -1);
    cfg_free(&cfg);
}

Test(config, empty_checks_list_is_allowed)
{
    char err[256];
    struct cfg cfg;

    cr_assert_eq(load("rise: 1\nchecks: []\n", &cfg, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.nchecks, 0);
    cr_assert_null(cfg.checks);
    cr_assert_eq(cfg.rise, 1);
    cfg_free(&cfg);
}

Test(config, quoted_and_bounded_numbers_are_accepted)
{
    char err[256];
    struct cfg cfg;

    cr_assert_eq(
        load("rise: \"1\"\nfall: 100\ntimeout: 250ms\ninterval: 1.5s\n", &cfg, err, sizeof(err)), 0,
        "%s", err);
    cr_assert_eq(cfg.rise, 1);
    cr_assert_eq(cfg.fall, 100);
    cr_assert_eq(cfg.timeout_ms, 250);
    cr_assert_eq(cfg.interval_ms, 1500);
    cfg_free(&cfg);
}

Test(config, env_variable_expands_in_values)
{
    char err[256];
    struct cfg cfg;

    setenv("PROBE_TEST_PORT", "9000", 1);
    setenv("PROBE_TEST_RISE", "4", 1);
    unsetenv("PROBE_TEST_UNSET");
    cr_assert_eq(load("listen: 127.0.0.1:${PROBE_TEST_PORT}\n"
                      "rise: ${PROBE_TEST_RISE}\n"
                      "log_format: ${PROBE_TEST_UNSET:-text}\n",
                      &cfg, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:9000");
    cr_assert_eq(cfg.rise, 4);
    cr_assert_str_eq(cfg.log_format, "text");
    cfg_free(&cfg);
}

Test(config, file_secret_expands_in_values)
{
    char secret[64];
    char yaml[512];
    char err[256];
    struct cfg cfg;

    write_temp(secret, sizeof(secret), "Bearer abc123\n", 14);
    snprintf(yaml, sizeof(yaml),
             "checks:\n"
             "  - url: http://app/\n"
             "    headers:\n"
             "      Authorization: ${file:%s}\n",
             secret);
    cr_assert_eq(load(yaml, &cfg, err, sizeof(err)), 0, "%s", err);
    unlink(secret);
    cr_assert_eq(cfg.checks[0].nheaders, 1);
    cr_assert_str_eq(cfg.checks[0].headers[0].value, "Bearer abc123",
                     "one trailing newline trimmed");
    cfg_free(&cfg);
}

Test(config, headers_keep_names_and_values_in_order)
{
    char err[256];
    struct cfg cfg;
    const struct cfg_check *chk;

    cr_assert_eq(load("checks:\n"
                      "  - url: http://app/\n"
                      "    headers:\n"
                      "      Host: app.internal\n"
                      "      X-Request-Id: 'a: b, c'\n"
                      "      Accept: \"\"\n"
                      "  - url: http://b/\n"
                      "    headers: {}\n",
                      &cfg, err, sizeof(err)),
                 0, "%s", err);
    chk = &cfg.checks[0];
    cr_assert_eq(chk->nheaders, 3);
    cr_assert_str_eq(chk->headers[0].name, "Host");
    cr_assert_str_eq(chk->headers[0].value, "app.internal");
    cr_assert_str_eq(chk->headers[1].name, "X-Request-Id");
    cr_assert_str_eq(chk->headers[1].value, "a: b, c");
    cr_assert_str_eq(chk->headers[2].name, "Accept");
    cr_assert_str_eq(chk->headers[2].value, "");
    cr_assert_eq(cfg.checks[1].nheaders, 0);
    cfg_free(&cfg);
}

Test(config, an_alias_reuses_an_anchored_mapping)
{
    char err[256];
    struct cfg cfg;

    cr_assert_eq(load("checks:\n"
                      "  - name: a\n"
                      "    url: http://a/\n"
                      "    headers: &common {Host: app.internal, X-Probe: '1'}\n"
                      "  - name: b\n"
                      "    url: http://b/\n"
                      "    headers: *common\n",
                      &cfg, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(cfg.checks[1].nheaders, 2);
    cr_assert_str_eq(cfg.checks[1].headers[1].name, "X-Probe");
    cr_assert_str_eq(cfg.checks[1].headers[1].value, "1");
    cr_assert_neq(cfg.checks[0].headers[0].value, cfg.checks[1].headers[0].value,
                  "each check owns its strings");
    cfg_free(&cfg);
}

Test(config, insecure_false_is_zero)
{
    char err[256];
    struct cfg cfg;

    cr_assert_eq(
        load("checks:\n  - url: https://a/\n    insecure: false\n", &cfg, err, sizeof(err)), 0,
        "%s", err);
    cr_assert_eq(cfg.checks[0].insecure, 0);
    cfg_free(&cfg);
}

/* Arrays, not pointers: Criterion copies parameters into the process that runs the test. */
struct bad_case {
    char yaml[192];
    char where[24]; /* the exact "name:line:col: " prefix */
    char msg[80];   /* a substring of what follows */
};

ParameterizedTestParameters(config, bad_file_names_line_and_column)
{
    static struct bad_case cases[] = {
        /* unknown keys */
        {"timeout: 3s\ntimeot: 3s\n", "probe.yml:2:1: ", "unknown key \"timeot\""},
        {"checks:\n  - url: http://a/\n    expect: 200\n",
         "probe.yml:3:5: ", "unknown check key \"expect\""},
        /* wrong types */
        {"checks: http://a/\n", "probe.yml:1:9: ", "checks: expected a sequence, got a scalar"},
        {"checks:\n  app: {url: http://a/}\n",
         "probe.yml:2:3: ", "checks: expected a sequence, got a mapping"},
        {"checks:\n  - http://a/\n",
         "probe.yml:2:5: ", "each check must be a mapping, got a scalar"},
        {"rise: abc\n", "probe.yml:1:7: ", "rise: expected an integer from 1 to 100, got \"abc\""},
        {"rise: [1]\n", "probe.yml:1:7: ", "rise: expected an integer, got a sequence"},
        {"fall: 0\n", "probe.yml:1:7: ", "fall: expected an integer from 1 to 100"},
        {"fall: 101\n", "probe.yml:1:7: ", "fall: expected an integer from 1 to 100"},
        {"fall: 2.5\n", "probe.yml:1:7: ", "fall: expected an integer from 1 to 100"},
        {"listen: ~\n", "probe.yml:1:9: ", "listen: expected a string, got null"},
        {"listen: {a: b}\n", "probe.yml:1:9: ", "listen: expected a string, got a mapping"},
        {"log_format: xml\n", "probe.yml:1:13: ", "log_format: expected text or json, got \"xml\""},
        {"timeout: [3s]\n", "probe.yml:1:10: ", "timeout: expected a duration, got a sequence"},
        {"checks:\n  - url: http://a/\n    headers: [\"Host: a\"]\n",
         "probe.yml:3:14: ", "headers: expected a mapping, got a sequence"},
        {"checks:\n  - url: http://a/\n    headers: {Host: [a]}\n",
         "probe.yml:3:21: ", "header Host: expected a string, got a sequence"},
        {"checks:\n  - url: [http://a/]\n", "probe.yml:2:10: ", "url: expected a string"},
        {"checks:\n  - url: https://a/\n    insecure: yes\n",
         "probe.yml:3:15: ", "insecure: expected true or false, got \"yes\""},
        {"? [a]\n: b\n", "probe.yml:1:3: ", "key must be a string, got a sequence"},
        /* headers */
        {"checks:\n  - url: http://a/\n    headers: {\"Bad Name\": x}\n",
         "probe.yml:3:15: ", "invalid header name \"Bad Name\""},
        {"checks:\n  - url: http://a/\n    headers: {X-A: \"a\\r\\nX-B: b\"}\n",
         "probe.yml:3:20: ", "header X-A: value must not contain CR, LF"},
        {"checks:\n  - url: http://a/\n    headers: {Host: a, host: b}\n",
         "probe.yml:3:24: ", "duplicate header \"host\""},
        /* duplicates */
        {"checks:\n  - name: app\n    url: http://a/\n  - name: app\n    url: http://b/\n",
         "probe.yml:4:11: ", "name: duplicate check name \"app\" (first at line 2)"},
        {"rise: 1\nrise: 2\n", "probe.yml:2:1: ", "duplicate key \"rise\" (first at line 1)"},
        {"checks:\n  - url: http://a/\n    url: http://b/\n",
         "probe.yml:3:5: ", "duplicate check key \"url\""},
        /* values that do not parse */
        {"checks:\n  - url: ftp://a/\n", "probe.yml:2:10: ", "url: "},
        {"checks:\n  - url: ''\n", "probe.yml:2:10: ", "url: "},
        {"timeout: 3 days\n", "probe.yml:1:10: ", "timeout: "},
        {"checks:\n  - url: http://a/\n    timeout: -1s\n", "probe.yml:3:14: ", "timeout: "},
        {"checks:\n  - url: http://a/\n    expect_status: 200-abc\n",
         "probe.yml:3:20: ", "expect_status: "},
        {"checks:\n  - name: bad name\n    url: http://a/\n",
         "probe.yml:2:11: ", "name: invalid check name \"bad name\""},
        {"checks:\n  - name: "
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    url: http://a/\n",
         "probe.yml:2:11: ", "name: invalid check name"},
        {"checks:\n  - url: http://a/\n    query: ''\n",
         "probe.yml:3:12: ", "query: must not be empty"},
        {"listen: \"a\\0b\"\n", "probe.yml:1:9: ", "listen: value contains a NUL byte"},
        {"checks:\n  - url: https://a/\n    cert: /nonexistent/client.pem\n",
         "probe.yml:3:11: ", "cert: cannot read \"/nonexistent/client.pem\""},
        {"checks:\n  - url: https://a/\n    key: /nonexistent/client.key\n",
         "probe.yml:3:10: ", "key: cannot read \"/nonexistent/client.key\""},
        /* missing url */
        {"checks:\n  - name: app\n    query: SELECT 1\n",
         "probe.yml:2:5: ", "check \"app\" has no url"},
        {"checks:\n  - url: http://a/\n  - {}\n", "probe.yml:3:5: ", "check has no url"},
        /* YAML syntax: libyaml's own position and words */
        {"timeout: 3s\n  rise: 2\n",
         "probe.yml:2:7: ", "mapping values are not allowed in this context"},
        {"checks: [\n", "probe.yml:2:1: ", "did not find expected node content"},
        {"listen: 'open\n", "probe.yml:2:1: ", "found unexpected end of stream"},
        {"rise: *nope\n", "probe.yml:1:7: ", "found undefined alias"},
        {"listen: \xff\n", "probe.yml:1:9: ", "invalid leading UTF-8 octet"},
        {"rise: 1\n---\nfall: 1\n", "probe.yml:3:1: ", "only one YAML document is allowed"},
        /* expansion keeps its message */
        {"checks:\n  - url: mysql://app:${DB_PASSWORD}@db/app\n",
         "probe.yml:2:10: ", "url: unset variable DB_PASSWORD"},
        {"listen: ${DB_PASSWORD}\n", "probe.yml:1:9: ", "unset variable DB_PASSWORD"},
        /* shape of the whole file */
        {"", "probe.yml:1:1: ", "empty config"},
        {"# only a comment\n", "probe.yml:1:1: ", "empty config"},
        {"---\n", "probe.yml:1:1: ", "empty config"},
        {"- name: app\n  url: http://a/\n",
         "probe.yml:1:1: ", "top level must be a mapping, got a sequence"},
        {"hello\n", "probe.yml:1:1: ", "top level must be a mapping, got a scalar"},
        {"checks: "
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
         "probe.yml:1:40: ", "nested deeper than 32 levels"},
    };

    return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *bc, config, bad_file_names_line_and_column)
{
    char err[256];
    struct cfg cfg;
    size_t n = strlen(bc->where);

    unsetenv("DB_PASSWORD");
    memset(&cfg, 0xAB, sizeof(cfg));
    cr_assert_eq(load(bc->yaml, &cfg, err, sizeof(err)), -1, "accepted:\n%s", bc->yaml);
    cr_assert(strncmp(err, bc->where, n) == 0, "want prefix \"%s\", got \"%s\"", bc->where, err);
    cr_assert_not_null(strstr(err + n, bc->msg), "want \"%s\" in \"%s\"", bc->msg, err);
    cr_assert_null(cfg.checks, "a failed load leaves cfg zeroed");
    cr_assert_eq(cfg.nchecks, 0);
    cr_assert_null(cfg.path);
    cfg_free(&cfg);
}

Test(config, password_in_bad_url_never_appears_in_error)
{
    static const char *const yamls[] = {
        "checks:\n  - url: mysql://app:hunter2@db:notaport/app\n",
        "checks:\n  - url: mysq://app:hunter2@db/app\n",
        "checks:\n  - url: redis://:hunter2@[::1/0\n",
        "checks:\n  - url: mysql://app:${PROBE_TEST_PW}@db:notaport/app\n",
        "checks:\n  - url: http://app:${PROBE_TEST_PW}@host:99999/\n",
    };
    size_t i;

    setenv("PROBE_TEST_PW", "hunter2", 1);
    for (i = 0; i < sizeof(yamls) / sizeof(yamls[0]); i++) {
        char err[256];
        struct cfg cfg;

        cr_assert_eq(load(yamls[i], &cfg, err, sizeof(err)), -1, "accepted:\n%s", yamls[i]);
        cr_assert(strncmp(err, "probe.yml:2:10: url: ", 21) == 0, "got \"%s\"", err);
        cr_assert_null(strstr(err, "hunter2"), "password leaked: \"%s\"", err);
    }
}

Test(config, load_file_reads_and_names_the_file)
{
    char path[64];
    char err[256];
    char want[128];
    struct cfg cfg;
    const char *good = "interval: 5s\nchecks:\n  - name: web\n    url: http://web/\n";
    const char *bad = "interval: 5s\nbogus: 1\n";

    write_temp(path, sizeof(path), good, strlen(good));
    cr_assert_eq(cfg_load_file(path, &cfg, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.path, path);
    cr_assert_eq(cfg.interval_ms, 5000);
    cr_assert_eq(cfg.nchecks, 1);
    cr_assert_str_eq(cfg.checks[0].name, "web");
    cfg_free(&cfg);
    unlink(path);

    write_temp(path, sizeof(path), bad, strlen(bad));
    cr_assert_eq(cfg_load_file(path, &cfg, err, sizeof(err)), -1);
    unlink(path);
    snprintf(want, sizeof(want), "%s:2:1: unknown key \"bogus\"", path);
    cr_assert_str_eq(err, want);
}

Test(config, missing_file_names_path_and_reason)
{
    char err[256];
    char want[256];
    struct cfg cfg;
    const char *path = "/nonexistent/probe-test/probe.yml";

    cr_assert_eq(cfg_load_file(path, &cfg, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
    cr_assert_str_eq(err, want);
    cr_assert_null(cfg.path);
}

Test(config, file_over_1_mib_is_refused)
{
    size_t len = 1024 * 1024 + 1;
    char *big = malloc(len);
    char path[64];
    char err[256];
    char want[128];
    struct cfg cfg;

    cr_assert_not_null(big);
    memset(big, '#', len);
    write_temp(path, sizeof(path), big, len);
    cr_assert_eq(cfg_load_file(path, &cfg, err, sizeof(err)), -1);
    unlink(path);
    snprintf(want, sizeof(want), "%s: config is larger than 1 MiB", path);
    cr_assert_str_eq(err, want);

    cr_assert_eq(cfg_load_string("big.yml", big, len, &cfg, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "big.yml: config is larger than 1 MiB");
    free(big);
}

Test(config, nul_byte_is_refused_at_its_position)
{
    static const char text[] = "rise: 1\nfall: \0\n";
    char err[256];
    struct cfg cfg;

    cr_assert_eq(cfg_load_string("probe.yml", text, sizeof(text) - 1, &cfg, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "probe.yml:2:7: config contains a NUL byte");
}

Test(config, error_is_cut_to_the_buffer)
{
    char err[16];
    struct cfg cfg;

    memset(err, 'x', sizeof(err));
    cr_assert_eq(load("bogus: 1\n", &cfg, err, sizeof(err)), -1);
    cr_assert_eq(strnlen(err, sizeof(err)), sizeof(err) - 1, "not cut to the buffer: %.16s", err);
    cr_assert_eq(strncmp(err, "probe.yml:1:", 12), 0, "%s", err);
    cr_assert_str_eq(err + sizeof(err) - 4, "...", "a cut message ends in ...: %s", err);
    cr_assert_eq(load("bogus: 1\n", &cfg, err, 0), -1, "a zero-size buffer is not written");
}

Test(config, free_is_safe_on_zeroed_and_freed_structs)
{
    char err[256];
    struct cfg cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg_free(&cfg);
    cfg_free(NULL);
    cr_assert_eq(load("checks:\n  - url: http://a/\n    headers: {A: b}\n", &cfg, err, sizeof(err)),
                 0, "%s", err);
    cfg_free(&cfg);
    cfg_free(&cfg);
    cr_assert_null(cfg.checks);
    cr_assert_eq(cfg.nchecks, 0);
}
