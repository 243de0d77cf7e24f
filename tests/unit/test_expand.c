/* expand: ${VAR}, ${VAR:-default}, ${file:/path}, $${ and errors. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expand.h"
#include "text.h"

/* Every test runs in its own process, so setting the environment here is private to it. */
static void
set_env(void)
{
    setenv("PROBE_T_PW", "s3cret", 1);
    setenv("PROBE_T_HOST", "db", 1);
    setenv("PROBE_T_EMPTY", "", 1);
    setenv("PROBE_T_REF", "${PROBE_T_PW}", 1);
    unsetenv("PROBE_T_UNSET");
}

struct expand_case {
    char in[64];
    char out[64];
};

ParameterizedTestParameters(expand, expands_references)
{
    static struct expand_case cases[] = {
        {"plain text", "plain text"},
        {"", ""},
        {"${PROBE_T_PW}", "s3cret"},
        {"mysql://app:${PROBE_T_PW}@${PROBE_T_HOST}/app", "mysql://app:s3cret@db/app"},
        {"${PROBE_T_UNSET:-fallback}", "fallback"},
        {"${PROBE_T_EMPTY:-fallback}", "fallback"},
        {"${PROBE_T_PW:-fallback}", "s3cret"},
        {"${PROBE_T_UNSET:-}", ""},
        {"${PROBE_T_UNSET:-a:-b}", "a:-b"},
        {"${PROBE_T_UNSET:-${PROBE_T_HOST}}", "db"},
        {"${PROBE_T_UNSET:-x${PROBE_T_EMPTY:-y}z}", "xyz"},
        {"${PROBE_T_EMPTY}", ""},
        {"${PROBE_T_REF}", "${PROBE_T_PW}"},
        {"$${PROBE_T_PW}", "${PROBE_T_PW}"},
        {"$$${PROBE_T_HOST}", "$${PROBE_T_HOST}"},
        {"$", "$"},
        {"a$b", "a$b"},
        {"$$", "$$"},
        {"5$ {x}", "5$ {x}"},
        {"end$", "end$"},
        {"}", "}"},
        {"${PROBE_T_UNSET:-$${x}}", "${x}"},
    };
    return cr_make_param_array(struct expand_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct expand_case *c, expand, expands_references)
{
    char err[ERRLEN] = "";
    char *out;

    set_env();
    out = expand_str(c->in, err, sizeof(err));
    cr_assert_not_null(out, "\"%s\": %s", c->in, err);
    cr_assert_str_eq(out, c->out, "\"%s\"", c->in);
    free(out);
}

Test(expand, unset_variable_names_it)
{
    char err[ERRLEN] = "";

    set_env();
    cr_assert_null(expand_str("mysql://app:${PROBE_T_UNSET}@db", err, sizeof(err)));
    cr_assert_str_eq(err, "unset variable PROBE_T_UNSET");
}

struct expand_bad_case {
    char in[64];
    char why[48];
};

ParameterizedTestParameters(expand, rejects_bad_references)
{
    static struct expand_bad_case cases[] = {
        {"${PROBE_T_PW", "unterminated \"${\""},
        {"x${", "unterminated \"${\""},
        {"${PROBE_T_UNSET:-${PROBE_T_PW}", "unterminated \"${\""},
        {"${}", "bad variable name \"\""},
        {"${1A}", "bad variable name \"1A\""},
        {"${A-B}", "bad variable name \"A-B\""},
        {"${A B}", "bad variable name \"A B\""},
        {"${A:=x}", "bad reference to A"},
        {"${A:}", "bad reference to A"},
        {"${PROBE_T_UNSET:-${BAD-NAME}}", "bad variable name \"BAD-NAME\""},
        {"${PROBE_T_UNSET:-${PROBE_T_UNSET}}", "unset variable PROBE_T_UNSET"},
        {"${file:}", "empty path"},
    };
    return cr_make_param_array(struct expand_bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct expand_bad_case *c, expand, rejects_bad_references)
{
    char err[ERRLEN] = "";

    set_env();
    cr_assert_null(expand_str(c->in, err, sizeof(err)), "\"%s\" was accepted", c->in);
    cr_assert(strstr(err, c->why), "\"%s\": got \"%s\"", c->in, err);
}

Test(expand, error_does_not_contain_other_values)
{
    char err[ERRLEN] = "";

    set_env();
    cr_assert_null(expand_str("${PROBE_T_PW}:${PROBE_T_UNSET}", err, sizeof(err)));
    cr_assert_null(strstr(err, "s3cret"), "%s", err);
}

/* Writes content to a fresh file under /tmp and returns its path in path. */
static void
write_file(char *path, size_t pathsz, const void *content, size_t n)
{
    int fd;

    snprintf(path, pathsz, "/tmp/probe-expand-XXXXXX");
    fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    cr_assert_eq(write(fd, content, n), (ssize_t)n);
    close(fd);
}

static char *
expand_file(const char *path, char *err, size_t errlen)
{
    char in[256];

    snprintf(in, sizeof(in), "pw=${file:%s}.", path);
    return expand_str(in, err, errlen);
}

struct file_case {
    char content[32];
    size_t n;
    char out[40];
};

ParameterizedTestParameters(expand, file_trims_one_trailing_newline)
{
    static struct file_case cases[] = {
        {"secret", 6, "pw=secret."},
        {"secret\n", 7, "pw=secret."},
        {"secret\r\n", 8, "pw=secret."},
        {"secret\n\n", 8, "pw=secret\n."},
        {"secret\r", 7, "pw=secret\r."},
        {"", 0, "pw=."},
        {"\n", 1, "pw=."},
        {"a b\n", 4, "pw=a b."},
        {"${PROBE_T_PW}\n", 14, "pw=${PROBE_T_PW}."},
    };
    return cr_make_param_array(struct file_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct file_case *c, expand, file_trims_one_trailing_newline)
{
    char path[64], err[ERRLEN] = "";
    char *out;

    set_env();
    write_file(path, sizeof(path), c->content, c->n);
    out = expand_file(path, err, sizeof(err));
    unlink(path);
    cr_assert_not_null(out, "%s", err);
    cr_assert_str_eq(out, c->out);
    free(out);
}

Test(expand, missing_file_names_path_and_reason)
{
    char err[ERRLEN] = "";

    cr_assert_null(expand_str("${file:/nonexistent/probe/secret}", err, sizeof(err)));
    cr_assert(strstr(err, "/nonexistent/probe/secret"), "%s", err);
    cr_assert(strstr(err, strerror(ENOENT)), "%s", err);
}

Test(expand, directory_is_not_a_secret_file)
{
    char err[ERRLEN] = "";

    cr_assert_null(expand_str("${file:/tmp}", err, sizeof(err)));
    cr_assert(strstr(err, "/tmp"), "%s", err);
    cr_assert(strstr(err, "not a regular file"), "%s", err);
}

Test(expand, fifo_does_not_hang, .timeout = 5)
{
    char path[64], in[128], err[ERRLEN] = "";

    snprintf(path, sizeof(path), "/tmp/probe-fifo-%d", (int)getpid());
    cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo: %s", strerror(errno));
    snprintf(in, sizeof(in), "${file:%s}", path);
    cr_assert_null(expand_str(in, err, sizeof(err)));
    unlink(path);
    cr_assert(strstr(err, "not a regular file"), "%s", err);
}

Test(expand, file_of_64_kib_is_read_whole)
{
    size_t n = 64 * 1024;
    char path[64], err[ERRLEN] = "";
    char *content = malloc(n), *out;

    cr_assert_not_null(content);
    memset(content, 'k', n);
    content[n - 1] = '\n';
    write_file(path, sizeof(path), content, n);
    out = expand_file(path, err, sizeof(err));
    unlink(path);
    cr_assert_not_null(out, "%s", err);
    cr_assert_eq(strlen(out), strlen("pw=.") + n - 1);
    free(out);
    free(content);
}

Test(expand, file_over_64_kib_is_an_error)
{
    size_t n = 64 * 1024 + 1;
    char path[64], err[ERRLEN] = "";
    char *content = malloc(n);

    cr_assert_not_null(content);
    memset(content, 'k', n);
    write_file(path, sizeof(path), content, n);
    cr_assert_null(expand_file(path, err, sizeof(err)));
    unlink(path);
    cr_assert(strstr(err, path), "%s", err);
    cr_assert(strstr(err, "64 KiB"), "%s", err);
    free(content);
}

Test(expand, file_with_nul_byte_is_an_error)
{
    char path[64], err[ERRLEN] = "";

    write_file(path, sizeof(path), "ab\0cd", 5);
    cr_assert_null(expand_file(path, err, sizeof(err)));
    unlink(path);
    cr_assert(strstr(err, "NUL"), "%s", err);
}

Test(expand, null_input_is_empty)
{
    char err[ERRLEN] = "";
    char *out = expand_str(NULL, err, sizeof(err));

    cr_assert_not_null(out);
    cr_assert_str_eq(out, "");
    free(out);
}

Test(expand, deep_defaults_are_refused)
{
    char in[1024] = "", err[ERRLEN] = "";
    int i;

    unsetenv("PROBE_T_UNSET");
    for (i = 0; i < 40; i++)
        strcat(in, "${PROBE_T_UNSET:-");
    strcat(in, "x");
    for (i = 0; i < 40; i++)
        strcat(in, "}");
    cr_assert_null(expand_str(in, err, sizeof(err)));
    cr_assert(strstr(err, "nested too deep"), "%s", err);
}
