/* Criterion helpers shared by the integration tests: running the probe, reading its output
 * lines, regexes, a small JSON reader. Declared in tests/harness.h. */
#include <criterion/criterion.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

const char *
pt_env(const char *name)
{
    const char *v = getenv(name);
    const char *why = getenv("PT_SETUP_ERRORS");

    if (v == NULL || v[0] == '\0')
        cr_assert_fail("%s is not set: the test servers did not start (%s)", name,
                       why != NULL ? why : "was the PRE_ALL hook in servers.c linked in?");
    return v;
}

int
pt_env_int(const char *name)
{
    return atoi(pt_env(name));
}

int
pt_release_build(void)
{
    const char *release = getenv("PT_RELEASE_BUILD");

    return release != NULL && release[0] != '\0';
}

void
pt_need_test_build(const char *what)
{
    if (pt_release_build())
        cr_skip_test("needs the test build (%s); PROBE_BIN is %s", what, getenv("PROBE_BIN"));
}

void
pt_run(struct probe_result *r, const char *const argv[], const char *const env[])
{
    int rc = harness_run_probe(argv, env, r);

    cr_assert_eq(rc, 0, "could not run the probe: %s", r->err);
    cr_assert(!r->killed, "the probe was still running after %d ms and was killed" PT_OUT,
              HARNESS_RUN_LIMIT_MS, PT_ARGS(r));
    cr_assert(r->exited, "the probe died of signal %d" PT_OUT, r->signo, PT_ARGS(r));
    /* The integration run uses the sanitizer build: its reports end the test whatever the
     * exit code says (ASan also exits 1, like a failed check). */
    cr_assert(strstr(r->err, "Sanitizer") == NULL && strstr(r->err, "runtime error:") == NULL,
              "the sanitizer reported an error" PT_OUT, PT_ARGS(r));
}

int
pt_match(const char *s, const char *re, int icase)
{
    regex_t rx;
    int rc;

    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE | (icase ? REG_ICASE : 0)) != 0)
        cr_assert_fail("bad regex in the test: /%s/", re);
    rc = regexec(&rx, s, 0, NULL, 0);
    regfree(&rx);
    return rc == 0;
}

int
pt_count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++) {
        if (*s == '\n')
            n++;
    }
    return n;
}

/* "STATUS NAME  TARGET  MESSAGE  TIME": the status and name are single words; the other
 * columns are separated by runs of two or more spaces (a message may hold single spaces). */
int
pt_parse_line(const char *line, struct pt_line *l)
{
    const char *p = line, *end = line + strcspn(line, "\n"), *fields[64], *fend[64];
    size_t n;
    int nf = 0;

    memset(l, 0, sizeof(*l));
    n = strcspn(p, " \n");
    if (n == 0 || p + n >= end)
        return -1;
    pt_copy_field(l->status, sizeof(l->status), p, n);
    if (strcmp(l->status, "PASS") != 0 && strcmp(l->status, "FAIL") != 0)
        return -1;
    p += n;
    while (p < end && *p == ' ')
        p++;
    n = strcspn(p, " \n");
    if (n == 0 || p + n >= end)
        return -1;
    pt_copy_field(l->name, sizeof(l->name), p, n);
    p += n;
    while (p < end && nf < 64) {
        const char *q = p;

        while (q < end && *q == ' ')
            q++;
        if (q == end)
            break;
        if (q - p < 2)
            return -1; /* columns are apart by at least two spaces */
        fields[nf] = q;
        for (p = q; p < end && !(p[0] == ' ' && p + 1 < end && p[1] == ' ');)
            p++;
        while (p > q && p[-1] == ' ')
            p--;
        fend[nf++] = p;
    }
    if (nf < 2)
        return -1;
    pt_copy_field(l->target, sizeof(l->target), fields[0], (size_t)(fend[0] - fields[0]));
    pt_copy_field(l->time, sizeof(l->time), fields[nf - 1],
                  (size_t)(fend[nf - 1] - fields[nf - 1]));
    if (nf > 2)
        pt_copy_field(l->message, sizeof(l->message), fields[1],
                      (size_t)(fend[nf - 2] - fields[1]));
    return 0;
}

void
pt_line_of(const struct probe_result *r, const char *name, struct pt_line *l)
{
    const char *p = r->out;

    while (p != NULL && *p != '\0') {
        if (pt_parse_line(p, l) == 0 && strcmp(l->name, name) == 0)
            return;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    cr_assert_fail("no output line for check '%s'" PT_OUT, name, PT_ARGS(r));
}

void
pt_assert_check(const struct probe_result *r, const char *name, const char *status,
                const char *msg_re)
{
    struct pt_line l;

    pt_line_of(r, name, &l);
    cr_assert_str_eq(l.status, status, "check '%s' is %s, expected %s" PT_OUT, name, l.status,
                     status, PT_ARGS(r));
    if (msg_re != NULL)
        cr_assert(pt_match(l.message, msg_re, 0), "message of '%s' is \"%s\", expected /%s/" PT_OUT,
                  name, l.message, msg_re, PT_ARGS(r));
    cr_assert(pt_match(l.time, "^[0-9]+(\\.[0-9]+)?(us|ms|s)$", 0),
              "time column of '%s' is \"%s\"" PT_OUT, name, l.time, PT_ARGS(r));
}

void
pt_assert_no_secret(const struct probe_result *r, const char *secret)
{
    cr_assert(strstr(r->out, secret) == NULL, "stdout shows the secret \"%s\"" PT_OUT, secret,
              PT_ARGS(r));
    cr_assert(strstr(r->err, secret) == NULL, "stderr shows the secret \"%s\"" PT_OUT, secret,
              PT_ARGS(r));
}

void
pt_tmpdir(char *dir, size_t len)
{
    int n = snprintf(dir, len, "%s/case.XXXXXX", pt_env("PT_TMPDIR"));

    cr_assert(n > 0 && (size_t)n < len, "temp dir path too long");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp %s failed", dir);
}

void
pt_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0, "cannot write %s", path);
}

void
pt_write_config(char *path, size_t len, const char *body)
{
    char dir[HARNESS_PATH];
    int n;

    pt_tmpdir(dir, sizeof(dir));
    n = snprintf(path, len, "%s/probe.yaml", dir);
    cr_assert(n > 0 && (size_t)n < len, "config path too long");
    pt_write_file(path, body);
}

int
pt_count_opens(const char *path, const char *const targets[])
{
    char dir[HARNESS_PATH], trace[HARNESS_PATH + 16], *text = NULL;
    const char *argv[HARNESS_ARGS_MAX];
    /* LeakSanitizer cannot run under ptrace. */
    static const char *const no_leak_check[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
    struct harness_cmd cmd = {0};
    struct probe_result *r = malloc(sizeof(*r));
    int n = 0, opens = 0;
    size_t cap = 0;
    FILE *f;

    cr_assert_not_null(r);
    pt_tmpdir(dir, sizeof(dir));
    snprintf(trace, sizeof(trace), "%s/trace", dir);
    argv[n++] = "-f";
    argv[n++] = "-e";
    /* open too: musl (build/probe-static) opens files with open(2) where glibc uses openat. */
    argv[n++] = "trace=open,openat";
    argv[n++] = "-o";
    argv[n++] = trace;
    argv[n++] = pt_env("PROBE_BIN");
    argv[n++] = "check";
    argv[n++] = "--cacert";
    argv[n++] = path;
    for (int i = 0; targets[i] != NULL && n < HARNESS_ARGS_MAX - 1; i++)
        argv[n++] = targets[i];
    argv[n] = NULL;
    cmd.bin = "/usr/bin/strace";
    cmd.argv = argv;
    cmd.env = no_leak_check;
    cr_assert_eq(harness_run(&cmd, r), 0, "%s", r->err);
    PT_ASSERT_EXIT(r, 0);
    f = fopen(trace, "r");
    cr_assert_not_null(f, "no strace output");
    while (getline(&text, &cap, f) > 0) {
        if (strstr(text, path) != NULL && strstr(text, "= -1") == NULL)
            opens++;
    }
    free(text);
    fclose(f);
    free(r);
    harness_rmtree(dir);
    return opens;
}
