/* Bad input everywhere (issue 5), table-driven: every option with a bad value (as a flag, through
 * its PROBE_* variable and as a config key), malformed URLs, bad YAML files, and server replies
 * full of invalid UTF-8, NUL bytes and terminal escapes. A usage error is one clear line on
 * stderr ("probe: ..." naming the offending thing), nothing on stdout, exit 1 for `check` and 2
 * for `validate` and `serve`; no crash, no sanitizer report, and the password S3cr3tPw that every
 * URL carries is never printed.
 *
 * A row's last field, when set, names the bug that row once caught: those rows are the
 * regression tests of the fixes, and a failure says which bug is back. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults.h"
#include "harness.h"
#include "scripted.h"
#include "text.h"

TestSuite(badinput, .init = flt_require_netns);

#define BI_SECRET "S3cr3tPw"
/* Refused at once inside the namespace; one plain and one HTTPS check. */
#define BI_TCP "t=tcp://127.0.0.1:1"
#define BI_HTTPS "h=https://127.0.0.1:1/"
/* A `serve` that wrongly accepts its input is stopped (SIGTERM, exit 124) after this long. */
#define BI_SERVE_LIMIT "1"
#define BI_CONF "/tmp/bi.yaml"

enum bi_cmd { BI_CHECK, BI_VALIDATE, BI_SERVE, BI_NCMD };
static const char *const bi_cmd_name[BI_NCMD] = {"check", "validate", "serve"};
static const int bi_cmd_exit[BI_NCMD] = {1, 2, 2};

/* ---- running ---- */

/* Runs the probe as `timeout LIMIT env [ENV] PROBE CMD ARGS...` so that rows can set PROBE_*
 * variables (flt_run drops the test's own) and a wrongly accepted `serve` still ends. */
static void
bi_run(struct probe_result *r, const char *env, enum bi_cmd cmd, const char *const args[])
{
    static char bin[4096];
    const char *argv[32];
    int n = 0;

    if (bin[0] == '\0') {
        const char *b = getenv("PROBE_BIN");

        snprintf(bin, sizeof(bin), "%s", b != NULL && b[0] != '\0' ? b : "build/asan/probe");
        cr_assert(setenv("PROBE_BIN", "/usr/bin/timeout", 1) == 0);
    }
    argv[n++] = BI_SERVE_LIMIT;
    argv[n++] = "/usr/bin/env";
    argv[n++] = "-u"; /* it would replace every cacert of a config file */
    argv[n++] = "SSL_CERT_FILE";
    if (env != NULL)
        argv[n++] = env;
    argv[n++] = bin;
    argv[n++] = bi_cmd_name[cmd];
    for (int i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    flt_run(r, argv, 0);
}

/* NULL when s is valid UTF-8 without control bytes other than '\n', else what is wrong. */
static const char *
bi_unclean(const char *s, char *why, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);

    while (left > 0) {
        size_t n;
        int valid = utf8_next((const char *)p, left, &n);

        /* C0 but '\n', DEL, and C1 (U+0080..U+009F: 0xc2 0x80..0x9f, e.g. CSI) */
        if (!valid || (*p < 0x20 && *p != '\n') || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0)) {
            snprintf(why, len, "byte 0x%02x at offset %zu", *p,
                     (size_t)(p - (const unsigned char *)s));
            return why;
        }
        p += n;
        left -= n;
    }
    return NULL;
}

#define BI_OUT "\n--- exit %d, %.1f ms\n--- stdout:\n%s--- stderr:\n%s"
#define BI_ARGS(r) (r)->exit_code, (r)->elapsed_ms, (r)->out, (r)->err

/* Asserts the shape of a usage error: exit code, stdout empty, stderr exactly one clean line
 * "probe: ..." matching re, and the password nowhere. Returns 1 when all hold (expect style, so
 * a loop goes on to report every bad row). */
static int
bi_expect_usage(const struct probe_result *r, int code, const char *re, const char *row)
{
    char why[64];
    const char *nl = strchr(r->err, '\n');
    const char *bad = bi_unclean(r->err, why, sizeof(why));
    int c_exit = r->exit_code == code, c_out = r->out[0] == '\0';
    int c_line = nl != NULL && nl[1] == '\0' && strncmp(r->err, "probe: ", 7) == 0;
    int c_re = flt_match(r->err, re);
    int c_secret = strstr(r->out, BI_SECRET) == NULL && strstr(r->err, BI_SECRET) == NULL;

    char what[512];

    snprintf(what, sizeof(what), "%s%s%s%s%s%s%s", c_exit ? "" : " [exit code]",
             c_out ? "" : " [stdout not empty]", c_line ? "" : " [stderr not one \"probe: \" line]",
             c_re ? "" : " [stderr does not match /", c_re ? "" : re, c_re ? "" : "/]",
             bad == NULL ? "" : " [stderr not clean text]");
    cr_expect(c_exit && c_out && c_line && c_re && bad == NULL && c_secret,
              "ROW %s: expected exit %d;%s%s%s%s" BI_OUT, row, code, what, bad != NULL ? " " : "",
              bad != NULL ? bad : "", c_secret ? "" : " [PASSWORD PRINTED]", BI_ARGS(r));
    return c_exit && c_out && c_line && c_re && bad == NULL && c_secret;
}

/* s with bytes outside printable ASCII as \xHH, cut to fit buf (for row descriptions). */
static const char *
bi_show(const char *s, char *buf, size_t len)
{
    size_t n = 0;

    if (s == NULL)
        return "(missing value)";
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && n + 8 < len; p++) {
        if (*p < 0x20 || *p >= 0x7f)
            n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
        else
            buf[n++] = (char)*p;
    }
    if (n + 8 >= len)
        n += (size_t)snprintf(buf + n, len - n, "...");
    buf[n] = '\0';
    return buf;
}

/* Runs one row and checks it is a usage error of cmd; 1 when it is. */
static int
bi_usage_row(const char *env, enum bi_cmd cmd, const char *const args[], const char *re,
             const char *what, const char *bug)
{
    struct probe_result *r = malloc(sizeof(*r));
    char desc[512];
    int ok;

    cr_assert_not_null(r);
    snprintf(desc, sizeof(desc), "%s %s%s%s%s", bi_cmd_name[cmd], what,
             bug != NULL ? " (regression: " : "", bug != NULL ? bug : "", bug != NULL ? ")" : "");
    bi_run(r, env, cmd, args);
    ok = bi_expect_usage(r, bi_cmd_exit[cmd], re, desc);
    free(r);
    return ok;
}

/* ---- every option with a bad value, as a flag ---- */

struct bi_flag_row {
    const char *opt;   /* the option as written */
    const char *value; /* NULL: the option comes last, without its value */
    const char *re;    /* the error line must match */
    const char *bug;   /* non-NULL: the probe gets this row wrong today */
};

#define DUR_INVALID "(not valid|more than 0|over|whole number)"
static const struct bi_flag_row bi_flags[] = {
    {"--timeout", "abc", "--timeout: .*\"abc\"", NULL},
    {"--timeout", "", "--timeout: .*\"\"", NULL},
    {"--timeout", "-1s", "--timeout: .*\"-1s\"", NULL},
    {"--timeout", "0", "--timeout: .*\"0\".*more than 0", NULL},
    {"--timeout", "0ms", "--timeout: .*\"0ms\"", NULL},
    {"--timeout", "99999999999999999999s", "--timeout: .*\"99999999999999999999s\"", NULL},
    {"--timeout", "18446744073709551617ms", "--timeout: .*" DUR_INVALID, NULL},
    {"--timeout", "1h", "--timeout: .*\"1h\"", NULL},
    {"--timeout", "1.0001s", "--timeout: .*whole number", NULL},
    {"--timeout", "3 s", "--timeout: .*\"3 s\"", NULL},
    {"--timeout", "3ss", "--timeout: .*\"3ss\"", NULL},
    {"--timeout", "1e3", "--timeout: .*\"1e3\"", NULL},
    {"--timeout", "0x10", "--timeout: .*\"0x10\"", NULL},
    {"--timeout", "nan", "--timeout: .*\"nan\"", NULL},
    {"--timeout", "inf", "--timeout: .*\"inf\"", NULL},
    {"--timeout", "s", "--timeout: .*\"s\"", NULL},
    {"--timeout", "\x1b[31m3s", "--timeout: ", NULL},
    {"--timeout", "3s\xff\xfe", "--timeout: ", NULL},
    {"-t", "abc", "--timeout: .*\"abc\"", NULL},
    {"--timeout", NULL, "--timeout needs a value", NULL},
    {"-t", NULL, "(-t|--timeout) needs a value", NULL},
    {"--interval", "0", "--interval: .*more than 0", NULL},
    {"--interval", "-5s", "--interval: .*\"-5s\"", NULL},
    {"--interval", "garbage", "--interval: .*\"garbage\"", NULL},
    {"--interval", "", "--interval: .*\"\"", NULL},
    {"--interval", "99999999999999999999s", "--interval: .*" DUR_INVALID, NULL},
    {"-i", "1d", "--interval: .*\"1d\"", NULL},
    {"--interval", NULL, "--interval needs a value", NULL},
    {"--rise", "0", "--rise: .*\"0\"", NULL},
    {"--rise", "-1", "--rise: .*\"-1\"", NULL},
    {"--rise", "101", "--rise: .*\"101\"", NULL},
    {"--rise", "99999999999999999999", "--rise: .*\"99999999999999999999\"", NULL},
    {"--rise", "abc", "--rise: .*\"abc\"", NULL},
    {"--rise", "", "--rise: .*\"\"", NULL},
    {"--rise", "1.5", "--rise: .*\"1.5\"", NULL},
    {"--rise", "2x", "--rise: .*\"2x\"", NULL},
    {"--rise", NULL, "--rise needs a value", NULL},
    {"--fall", "0", "--fall: .*\"0\"", NULL},
    {"--fall", "-3", "--fall: .*\"-3\"", NULL},
    {"--fall", "4294967297", "--fall: .*\"4294967297\"", NULL},
    {"--fall", "", "--fall: .*\"\"", NULL},
    {"--fall", NULL, "--fall needs a value", NULL},
    {"--log-format", "xml", "--log-format: .*\"xml\"", NULL},
    {"--log-format", "", "--log-format: .*\"\"", NULL},
    {"--log-format", "text\x1b[2J", "--log-format: ",
     "the value is echoed with its raw ESC byte (a terminal escape in the error line)"},
    {"--log-format", NULL, "--log-format needs a value", NULL},
    {"--expect-status", "99", "--expect-status: .*\"99\"", NULL},
    {"--expect-status", "600", "--expect-status: .*\"600\"", NULL},
    {"--expect-status", "", "--expect-status: .*\"\"", NULL},
    {"--expect-status", "200-", "--expect-status: .*\"200-\"", NULL},
    {"--expect-status", "299-200", "--expect-status: .*\"299-200\"", NULL},
    {"--expect-status", "200,,300", "--expect-status: .*\"200,,300\"", NULL},
    {"--expect-status", "200 - 299", "--expect-status: .*\"200 - 299\"", NULL},
    {"--expect-status", "99999999999999999999", "--expect-status: ", NULL},
    {"--expect-status", "abc", "--expect-status: .*\"abc\"", NULL},
    {"--expect-status", NULL, "--expect-status needs a value", NULL},
    {"--expect-body", "", "--expect-body: ", NULL},
    {"--expect-body", NULL, "--expect-body needs a value", NULL},
    {"--header", "", "--header: ", NULL},
    {"--header", "nocolon", "--header: ", NULL},
    {"--header", ": value", "--header: ", NULL},
    {"--header", "Bad Name: v", "--header: ", NULL},
    {"--header", "X-A: a\r\nX-Injected: b", "--header: ", NULL},
    {"-H", "X-A: a\nb", "--header: ", NULL},
    {"-H", "X-A\x01: v", "--header: ", NULL},
    {"-H",
     "X-A: a\x01"
     "b",
     "--header: ", "a control byte in a header value is sent as is (RFC 9110 forbids it)"},
    {"-H", NULL, "(-H|--header) needs a value", NULL},
    {"--cacert", "/nonexistent/ca.pem", "--cacert: .*/nonexistent/ca.pem",
     "a missing CA file is not reported (check: a FAIL line; validate: exit 0)"},
    {"--cacert", "/tmp", "--cacert: .*/tmp", "a directory as CA file is not reported"},
    {"--cacert", "", "--cacert: ", "an empty CA file name is not reported"},
    {"--cacert", NULL, "--cacert needs a value", NULL},
    {"--config", "/nonexistent/probe.yaml", "/nonexistent/probe.yaml: No such file", NULL},
    {"--config", "", "(config|\"\"|No such file)", NULL},
    {"-c", "/tmp", "/tmp: .*director", NULL},
    {"-c", NULL, "(-c|--config) needs a value", NULL},
    {"--listen", "garbage", "--listen: .*\"garbage\"", "check and validate accept any --listen"},
    {"--listen", "", "--listen: .*\"\"", "check and validate accept any --listen"},
    {"--listen", "127.0.0.1:99999", "--listen: .*\"127.0.0.1:99999\"",
     "check and validate accept any --listen"},
    {"--listen", "127.0.0.1:-1", "--listen: .*\"127.0.0.1:-1\"",
     "check and validate accept any --listen"},
    {"--listen", "127.0.0.1:http", "--listen: .*\"127.0.0.1:http\"",
     "check and validate accept any --listen"},
    {"--listen", "999.1.1.1:80", "--listen: .*\"999.1.1.1:80\"",
     "check and validate accept any --listen"},
    {"-l", "[::1", "--listen: .*\"\\[::1\"", "check and validate accept any --listen"},
    {"-l", "[::1]", "--listen: .*\"\\[::1\\]\"", "check and validate accept any --listen"},
    {"--listen", NULL, "--listen needs a value", NULL},
    {"--json=yes", NULL, "unknown option --json=yes", NULL},
    {"--quiet=1", NULL, "unknown option --quiet=1", "named as \"unknown option -q\""},
    {"--insecure=no", NULL, "unknown option --insecure=no", NULL},
    {"--no-such-option", NULL, "unknown option --no-such-option", NULL},
    {"-Z", NULL, "-Z", NULL},
};

static void
bi_flag_args(const struct bi_flag_row *row, const char *args[6])
{
    int n = 0;

    if (row->value != NULL) {
        args[n++] = row->opt;
        args[n++] = row->value;
    }
    args[n++] = BI_TCP;
    args[n++] = BI_HTTPS;
    if (row->value == NULL)
        args[n++] = row->opt;
    args[n] = NULL;
}

static int
bi_flag_row(size_t i, enum bi_cmd cmd)
{
    const struct bi_flag_row *row = &bi_flags[i];
    const char *args[6];
    char what[256], val[200];

    bi_flag_args(row, args);
    snprintf(what, sizeof(what), "%s %s", row->opt, bi_show(row->value, val, sizeof(val)));
    return bi_usage_row(NULL, cmd, args, row->re, what, row->bug);
}

/* ---- the same bad values through the environment ---- */

struct bi_env_row {
    const char *env;  /* NAME=VALUE */
    int with_targets; /* 1: targets on the command line too */
    const char *re;
    const char *bug;
};

#define BI_LISTEN_BUG "check and validate accept any PROBE_LISTEN"
static const struct bi_env_row bi_envs[] = {
    {"PROBE_TIMEOUT=abc", 1, "PROBE_TIMEOUT: .*\"abc\"", NULL},
    {"PROBE_TIMEOUT=0", 1, "PROBE_TIMEOUT: .*more than 0", NULL},
    {"PROBE_TIMEOUT=-1s", 1, "PROBE_TIMEOUT: .*\"-1s\"", NULL},
    {"PROBE_TIMEOUT=99999999999999999999s", 1, "PROBE_TIMEOUT: .*" DUR_INVALID, NULL},
    {"PROBE_TIMEOUT=1h", 1, "PROBE_TIMEOUT: .*\"1h\"", NULL},
    {"PROBE_TIMEOUT=3s\x1b[2J", 1, "PROBE_TIMEOUT: ", NULL},
    {"PROBE_INTERVAL=0", 1, "PROBE_INTERVAL: .*more than 0", NULL},
    {"PROBE_INTERVAL=garbage", 1, "PROBE_INTERVAL: .*\"garbage\"", NULL},
    {"PROBE_INTERVAL=99999999999999999999s", 1, "PROBE_INTERVAL: .*" DUR_INVALID, NULL},
    {"PROBE_LISTEN=garbage", 1, "PROBE_LISTEN: .*\"garbage\"", BI_LISTEN_BUG},
    {"PROBE_LISTEN=127.0.0.1:99999", 1, "PROBE_LISTEN: .*\"127.0.0.1:99999\"", BI_LISTEN_BUG},
    {"PROBE_LOG_FORMAT=xml", 1, "PROBE_LOG_FORMAT: .*\"xml\"",
     "the error names --log-format, which was not given, instead of PROBE_LOG_FORMAT"},
    {"PROBE_CONFIG=/nonexistent/probe.yaml", 1, "/nonexistent/probe.yaml: No such file", NULL},
    {"PROBE_CONFIG=/tmp", 1, "/tmp: .*director", NULL},
    {"PROBE_TARGETS=ftp://u:" BI_SECRET "@127.0.0.1/", 0, "unknown scheme .*PROBE_TARGETS", NULL},
    {"PROBE_TARGETS=redis://:" BI_SECRET "@127.0.0.1:99999", 0, "bad port .*PROBE_TARGETS", NULL},
    {"PROBE_TARGETS=a=tcp://127.0.0.1:1 a=tcp://127.0.0.1:2", 0, "duplicate .*\"?a\"?", NULL},
    {"PROBE_TARGETS=bad/name=tcp://127.0.0.1:1", 0, "check name", NULL},
    {"PROBE_TARGETS=   ", 0, "no targets", NULL},
};

static int
bi_env_row(size_t i, enum bi_cmd cmd)
{
    const struct bi_env_row *row = &bi_envs[i];
    const char *with[] = {BI_TCP, BI_HTTPS, NULL}, *without[] = {NULL};
    char what[256];

    return bi_usage_row(row->env, cmd, row->with_targets ? with : without, row->re,
                        bi_show(row->env, what, sizeof(what)), row->bug);
}

/* ---- config files: bad values of every key, bad YAML ---- */

enum bi_gen {
    BI_TEXT,        /* the row's bytes */
    BI_HUGE_SCALAR, /* "timeout: " and a 10 MB scalar */
    BI_DEEP,        /* 100,000 nested flow sequences */
    BI_MANY_CHECKS, /* 300 checks (the limit is 256) */
    BI_DIRECTORY,   /* the path is a directory */
    BI_MISSING,     /* there is no file */
    BI_UNREADABLE,  /* a file without read permission, for a process without CAP_DAC_* */
};

struct bi_conf_row {
    const char *what;
    enum bi_gen gen;
    const char *text; /* BI_TEXT: the file, len bytes (NUL bytes allowed) */
    size_t len;
    const char *re; /* after "probe: " */
    const char *bug;
};

#define Y(s) BI_TEXT, s, sizeof(s) - 1
#define CHK "checks:\n  - name: t\n    url: tcp://127.0.0.1:1\n"
#define HCHK "checks:\n  - name: h\n    url: https://u:" BI_SECRET "@127.0.0.1:1/\n"
#define AT(l, c) "bi\\.yaml:" #l ":" #c ": "

static const struct bi_conf_row bi_confs[] = {
    /* every key with a bad value */
    {"timeout abc", Y("timeout: abc\n" CHK), AT(1, 10) "timeout: .*\"abc\"", NULL},
    {"timeout empty", Y("timeout: \"\"\n" CHK), AT(1, 10) "timeout: ", NULL},
    {"timeout null", Y("timeout:\n" CHK), AT(1, 9) "timeout: .*null", NULL},
    {"timeout -1s", Y("timeout: -1s\n" CHK), AT(1, 10) "timeout: .*\"-1s\"", NULL},
    {"timeout 0", Y("timeout: 0\n" CHK), AT(1, 10) "timeout: .*more than 0", NULL},
    {"timeout overflow", Y("timeout: 99999999999999999999s\n" CHK), AT(1, 10) "timeout: ", NULL},
    {"timeout mapping", Y("timeout: {a: 1}\n" CHK), AT(1, 10) "timeout: .*mapping", NULL},
    {"interval 0", Y("interval: 0\n" CHK), AT(1, 11) "interval: .*more than 0", NULL},
    {"interval garbage", Y("interval: garbage\n" CHK), AT(1, 11) "interval: .*\"garbage\"", NULL},
    {"interval overflow", Y("interval: 99999999999999999999s\n" CHK), AT(1, 11) "interval: ", NULL},
    {"listen garbage", Y("listen: garbage\n" CHK), AT(1, 9) "listen: .*\"garbage\"",
     "check and validate accept any listen"},
    {"listen bad port", Y("listen: 127.0.0.1:99999\n" CHK), AT(1, 9) "listen: .*99999",
     "check and validate accept any listen"},
    {"listen sequence", Y("listen: [a]\n" CHK), AT(1, 9) "listen: .*sequence", NULL},
    {"rise 0", Y("rise: 0\n" CHK), AT(1, 7) "rise: .*\"0\"", NULL},
    {"rise -1", Y("rise: -1\n" CHK), AT(1, 7) "rise: .*\"-1\"", NULL},
    {"rise overflow", Y("rise: 99999999999999999999\n" CHK), AT(1, 7) "rise: ", NULL},
    {"rise 1.5", Y("rise: 1.5\n" CHK), AT(1, 7) "rise: .*\"1.5\"", NULL},
    {"fall abc", Y("fall: abc\n" CHK), AT(1, 7) "fall: .*\"abc\"", NULL},
    {"fall sequence", Y("fall: [1]\n" CHK), AT(1, 7) "fall: .*sequence", NULL},
    {"log_format xml", Y("log_format: xml\n" CHK), AT(1, 13) "log_format: .*\"xml\"", NULL},
    {"log_format empty", Y("log_format: ''\n" CHK), AT(1, 13) "log_format: ", NULL},
    {"check timeout 0", Y(CHK "    timeout: 0\n"), AT(4, 14) "timeout: ", NULL},
    {"check timeout garbage", Y(CHK "    timeout: soon\n"), AT(4, 14) "timeout: .*\"soon\"", NULL},
    {"expect_status 99", Y(HCHK "    expect_status: 99\n"), AT(4, 20) "expect_status: .*\"99\"",
     NULL},
    {"expect_status 299-200", Y(HCHK "    expect_status: 299-200\n"),
     AT(4, 20) "expect_status: ", NULL},
    {"expect_status sequence", Y(HCHK "    expect_status: [200]\n"),
     AT(4, 20) "expect_status: ", NULL},
    {"expect_body empty", Y(HCHK "    expect_body: \"\"\n"),
     AT(4, 18) "expect_body: ", "accepted, while --expect-body '' is an error"},
    {"expect_body mapping", Y(HCHK "    expect_body: {a: b}\n"), AT(4, 18) "expect_body: ", NULL},
    {"headers sequence", Y(HCHK "    headers: [a]\n"), AT(4, 14) "headers: .*sequence", NULL},
    {"headers scalar", Y(HCHK "    headers: x\n"), AT(4, 14) "headers: ", NULL},
    {"header value sequence", Y(HCHK "    headers: {A: [1]}\n"), AT(4, 18) "header A: ", NULL},
    {"header name with space", Y(HCHK "    headers: {\"A B\": x}\n"), "bi\\.yaml:4:[0-9]+: .*head",
     NULL},
    {"header value CRLF", Y(HCHK "    headers: {A: \"x\\r\\nB: y\"}\n"),
     "bi\\.yaml:4:[0-9]+: .*(head|line break)", NULL},
    {"insecure yes", Y(HCHK "    insecure: yes\n"), AT(4, 15) "insecure: .*\"yes\"", NULL},
    {"insecure 1", Y(HCHK "    insecure: 1\n"), AT(4, 15) "insecure: .*\"1\"", NULL},
    {"cacert missing file", Y(HCHK "    cacert: /nonexistent/ca.pem\n"),
     AT(4, 13) "cacert: .*/nonexistent/ca.pem", "a missing CA file is accepted"},
    {"cacert sequence", Y(HCHK "    cacert: [a]\n"), AT(4, 13) "cacert: ", NULL},
    {"query empty",
     Y("checks:\n  - name: m\n    url: mysql://u:" BI_SECRET "@127.0.0.1:1/app\n    query: \"\"\n"),
     AT(4, 12) "query: ", NULL},
    {"name empty", Y("checks:\n  - name: \"\"\n    url: tcp://127.0.0.1:1\n"),
     AT(2, 11) "name: ", NULL},
    {"name bad/name", Y("checks:\n  - name: bad/name\n    url: tcp://127.0.0.1:1\n"),
     AT(2, 11) "name: .*\"bad/name\"", NULL},
    {"name 65 chars",
     Y("checks:\n  - name: "
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    url: "
       "tcp://127.0.0.1:1\n"),
     AT(2, 11) "name: ", NULL},
    {"name sequence", Y("checks:\n  - name: [a]\n    url: tcp://127.0.0.1:1\n"),
     AT(2, 11) "name: ", NULL},
    {"url unknown scheme", Y("checks:\n  - name: a\n    url: ftp://u:" BI_SECRET "@h/\n"),
     AT(3, 10) "url: .*scheme", NULL},
    {"url bad port", Y("checks:\n  - name: a\n    url: redis://:" BI_SECRET "@h:0\n"),
     AT(3, 10) "url: .*port", NULL},
    {"url mapping", Y("checks:\n  - name: a\n    url: {a: b}\n"), AT(3, 10) "url: .*mapping", NULL},
    {"url missing", Y("checks:\n  - name: a\n"), "bi\\.yaml:2:[0-9]+: .*url", NULL},
    {"url unset variable", Y("checks:\n  - name: a\n    url: redis://:${BI_UNSET_VAR}@h\n"),
     AT(3, 10) ".*BI_UNSET_VAR", NULL},
    /* unknown keys, duplicates */
    {"unknown key", Y("tiemout: 3s\n" CHK), AT(1, 1) "unknown key \"tiemout\"", NULL},
    {"unknown check key", Y(CHK "    tiemout: 3s\n"), AT(4, 5) "unknown check key \"tiemout\"",
     NULL},
    {"duplicate key", Y("timeout: 3s\ntimeout: 4s\n" CHK), AT(2, 1) "duplicate key \"timeout\"",
     NULL},
    {"duplicate check key", Y(CHK "    url: tcp://127.0.0.1:2\n"), AT(4, 5) "duplicate .*\"url\"",
     NULL},
    {"duplicate name", Y(CHK "  - name: t\n    url: tcp://127.0.0.1:2\n"),
     AT(4, 11) "(name: )?duplicate check name \"t\"", NULL},
    /* wrong types and shapes */
    {"checks mapping", Y("checks: {a: b}\n"), AT(1, 9) "checks: .*mapping", NULL},
    {"checks scalar", Y("checks: x\n"), AT(1, 9) "checks: ", NULL},
    {"check is a scalar", Y("checks:\n  - tcp://127.0.0.1:1\n"), AT(2, 5) "check", NULL},
    {"top level sequence", Y("- a\n"), AT(1, 1) "", NULL},
    {"top level scalar", Y("hello\n"), AT(1, 1) "", NULL},
    {"empty file", Y(""), AT(1, 1) "empty", NULL},
    {"only a comment", Y("# nothing\n"), "bi\\.yaml:[0-9]+:[0-9]+: .*empty", NULL},
    /* YAML syntax */
    {"unclosed flow sequence", Y("checks: [x\n"), "bi\\.yaml:[0-9]+:[0-9]+: ", NULL},
    {"mapping in scalar", Y("a: b: c\n"), AT(1, 5) "mapping values", NULL},
    {"tab indentation", Y("\t- x\n"), AT(1, 1) "", NULL},
    {"unclosed quote", Y("timeout: \"3s\n" CHK), "bi\\.yaml:[0-9]+:[0-9]+: .*quot", NULL},
    {"undefined alias", Y("*x\n"), AT(1, 1) ".*alias", NULL},
    {"recursive alias", Y("checks: &a [*a]\n"), AT(1, 9) "", NULL},
    {"alias bomb (rejected before any expansion)",
     Y("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
       "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
       "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"),
     "bi\\.yaml:[0-9]+:[0-9]+: ", NULL},
    {"two documents", Y(CHK "---\n" CHK), AT(5, 1) ".*document", NULL},
    /* bytes */
    {"NUL byte", Y("checks:\n  - name: a\0b\n    url: tcp://127.0.0.1:1\n"), AT(2, 12) ".*NUL",
     NULL},
    {"NUL byte at the start", Y("\0timeout: 3s\n" CHK), AT(1, 1) ".*NUL", NULL},
    {"invalid UTF-8", Y("checks:\n  - name: \xff\xfe\n    url: tcp://127.0.0.1:1\n"),
     AT(2, 11) ".*UTF-8", NULL},
    {"overlong UTF-8", Y("timeout: \xc0\xaf\n" CHK), "bi\\.yaml:1:[0-9]+: .*UTF-8", NULL},
    {"ESC in a value", Y("log_format: \"\\e[2J\"\n" CHK), AT(1, 13) "log_format: ", NULL},
    /* sizes and files */
    {"10 MB scalar", BI_HUGE_SCALAR, NULL, 0, "bi\\.yaml.*(large|big|MiB|size)", NULL},
    {"deep nesting", BI_DEEP, NULL, 0, "bi\\.yaml:", NULL},
    {"300 checks", BI_MANY_CHECKS, NULL, 0, "bi\\.yaml:[0-9]+:[0-9]+: .*(256|many)", NULL},
    {"a directory", BI_DIRECTORY, NULL, 0, "bi\\.yaml: .*director", NULL},
    {"a missing file", BI_MISSING, NULL, 0, "bi\\.yaml: No such file", NULL},
};

static void
bi_write(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        cr_assert(n > 0, "%s: %s", path, strerror(errno));
        data += n;
        len -= (size_t)n;
    }
    close(fd);
}

/* Puts the row's file at BI_CONF (or a directory, or nothing). */
static void
bi_conf_make(const struct bi_conf_row *row)
{
    size_t len = 0;
    char *buf = NULL;

    (void)unlink(BI_CONF);
    (void)rmdir(BI_CONF);
    switch (row->gen) {
    case BI_TEXT:
        bi_write(BI_CONF, row->text, row->len);
        return;
    case BI_DIRECTORY:
        cr_assert(mkdir(BI_CONF, 0755) == 0, "mkdir: %s", strerror(errno));
        return;
    case BI_MISSING:
    case BI_UNREADABLE:
        return;
    case BI_HUGE_SCALAR:
        len = 10u << 20;
        buf = malloc(len);
        cr_assert_not_null(buf);
        memset(buf, 'x', len);
        memcpy(buf, "timeout: ", 9);
        buf[len - 1] = '\n';
        break;
    case BI_DEEP:
        len = 8 + 100000;
        buf = malloc(len);
        cr_assert_not_null(buf);
        memcpy(buf, "checks: ", 8);
        memset(buf + 8, '[', len - 8);
        break;
    case BI_MANY_CHECKS:
        buf = malloc(300 * 64 + 16);
        cr_assert_not_null(buf);
        len = (size_t)sprintf(buf, "checks:\n");
        for (int i = 0; i < 300; i++)
            len += (size_t)sprintf(buf + len, "  - name: c%d\n    url: tcp://127.0.0.1:1\n", i);
        break;
    }
    bi_write(BI_CONF, buf, len);
    free(buf);
}

static int
bi_conf_row(size_t i, enum bi_cmd cmd)
{
    const struct bi_conf_row *row = &bi_confs[i];
    const char *args[] = {"-c", BI_CONF, NULL};
    char re[256];

    snprintf(re, sizeof(re), "^probe: (/tmp/)?%s", row->re);
    bi_conf_make(row);
    return bi_usage_row(NULL, cmd, args, re, row->what, row->bug);
}

/* ---- malformed URLs, each with the password S3cr3tPw ---- */

struct bi_url_row {
    const char *url; /* "L" alone: the 100 KB URLs built below */
    const char *re;
    const char *bug;
};

#define PW "u:" BI_SECRET
static const struct bi_url_row bi_urls[] = {
    {"ftp://" PW "@127.0.0.1/", "unknown scheme \"ftp\"", NULL},
    {"://" PW "@127.0.0.1/", "scheme", NULL},
    {"http//" PW "@127.0.0.1/", "scheme", NULL},
    {"mysql:/u:" BI_SECRET "@127.0.0.1/app", "scheme", NULL},
    {"u:" BI_SECRET "@127.0.0.1", "scheme", NULL},
    {"redis://:" BI_SECRET, "(host|port)",
     "a password without \"@host\" is echoed as the port: bad URL \"redis://:S3cr3tPw\""},
    {"mysql://" PW, "(host|port)", "a password without \"@host\" is echoed as the port"},
    {"http://" PW "@/path", "missing host", NULL},
    {"http://" PW "@:80/", "missing host", NULL},
    {"mysql://" PW "@127.0.0.1:0/app", "bad port \"0\"", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1:65536", "bad port \"65536\"", NULL},
    {"http://" PW "@127.0.0.1:-1/", "port", NULL},
    {"mysql://" PW "@127.0.0.1:abc/app", "bad port", NULL},
    {"mysql://" PW "@127.0.0.1:99999999999999999999/app", "bad port", NULL},
    {"http://" PW "@127.0.0.1:80:81/", "(port|IPv6)", NULL},
    {"tcp://" PW "@127.0.0.1:80", "user or password", NULL},
    {"memcached://" PW "@127.0.0.1", "user or password", NULL},
    {"memcached://" BI_SECRET "@127.0.0.1:11211", "user or password", NULL},
    {"mysql://u:" BI_SECRET "%zz@127.0.0.1/app", "percent-escape in password", NULL},
    {"mysql://u:" BI_SECRET "%4@127.0.0.1/app", "percent-escape in password", NULL},
    {"mysql://u:" BI_SECRET "%@127.0.0.1/app", "percent-escape in password", NULL},
    {"mysql://u%G1:" BI_SECRET "@127.0.0.1/app", "percent-escape in user", NULL},
    {"mysql://u%00x:" BI_SECRET "@127.0.0.1/app", "user", NULL},
    {"mysql://u:" BI_SECRET "%00x@127.0.0.1/app", "password", NULL},
    {"redis://:" BI_SECRET "%00@127.0.0.1/0", "password", NULL},
    {"http://" PW "@127.0.0%00.1/", "host", NULL},
    {"mysql://" PW "@127.0.0.1/a%00b", "database", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1/0%00", "redis db", NULL},
    {"http://" PW "@127.0.0.1/a b", "space or control", NULL},
    {"http://" PW "@127.0.0 .1/", "space or control", NULL},
    {"mysql://u:" BI_SECRET " x@127.0.0.1/app", "space or control", NULL},
    {"http://" PW "@127.0.0.1/\x1b[2J", "control", NULL},
    {"http://" PW "@127.0.0.1/\x7f", "control", NULL},
    {"http://" PW "@\xff\xfe/", "host",
     "the raw bytes 0xff 0xfe of the host are echoed in the error line (not valid UTF-8)"},
    {"http://" PW "@[::1/", "\"]\"", NULL},
    {"http://" PW "@::1]/", "brackets", NULL},
    {"http://" PW "@[::1]]:80/", "after \"]\"", NULL},
    {"http://" PW "@[zz::1]/", "IPv6", NULL},
    {"http://" PW "@[::1]x/", "after \"]\"", NULL},
    {"http://" PW "@::1/", "brackets", NULL},
    {"redis://:" BI_SECRET "@[]:6379", "IPv6", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1:6379/abc", "redis db \"abc\"", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1:6379/-1", "redis db \"-1\"", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1:6379/99999999999999999999", "redis db", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1:6379/1/2", "redis db", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1:6379/0x1", "redis db \"0x1\"", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1/0?role=boss", "role \"boss\"", NULL},
    {"redis://:" BI_SECRET "@127.0.0.1/0?nope=1", "option \"nope\"", NULL},
    {"mysql://" PW "@127.0.0.1/app?ssl-mode=maybe", "ssl-mode \"maybe\"", NULL},
    {"mysql://" PW "@127.0.0.1/app?unknown=1", "option \"unknown\"", NULL},
    {"mysql://" PW "@127.0.0.1/app?query=", "\"query\" needs a value", NULL},
    {"mysql://" PW "@127.0.0.1/app?ssl-ca=", "\"ssl-ca\" needs a value", NULL},
    {"mysql://" PW "@127.0.0.1/app?socket=", "\"socket\" needs a value", NULL},
    {"mysql://" PW "@127.0.0.1/app?&&", "empty mysql option", NULL},
    {"grpc://" PW "@127.0.0.1", "a grpc URL takes no user or password", NULL},
    {"grpcs://" PW "@127.0.0.1:0/svc", "(user|port)", NULL},
    {"grpc://127.0.0.1/a/b", "bad service name", NULL},
    {"grpc://127.0.0.1/svc%00", "percent-escape in service", NULL},
    {"grpc://127.0.0.1/svc?x=1", "unknown grpc option \"x\"", NULL},
    {"http://" PW "@127.0.0.1/#x", "#", NULL},
    {"bad/name=http://" PW "@127.0.0.1/", "check name", NULL},
    {"=http://" PW "@127.0.0.1/", "check name", NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=http://" PW "@127.0.0.1/",
     "check name", NULL},
    {"mysql://u:" BI_SECRET "${@127.0.0.1/app", "unterminated", NULL},
    {"mysql://u:${BI_UNSET_VAR}@127.0.0.1/app", "BI_UNSET_VAR", NULL},
    {"mysql://u:${file:/nonexistent/pw}@127.0.0.1/app", "/nonexistent/pw", NULL},
    {"L:host", "(host|longer)", NULL},
    {"L:path", "longer", NULL},
    {"L:password", "longer", NULL},
};

/* The 100 KB URLs of the rows "L:host", "L:path" and "L:password". */
static const char *
bi_long_url(const char *which, char **mem)
{
    size_t big = 100000;
    char *u = malloc(big + 128), *a = malloc(big + 1);

    cr_assert(u != NULL && a != NULL);
    memset(a, 'a', big);
    a[big] = '\0';
    if (strcmp(which, "L:host") == 0)
        sprintf(u, "http://" PW "@%s/", a);
    else if (strcmp(which, "L:path") == 0)
        sprintf(u, "http://" PW "@127.0.0.1/%s", a);
    else
        sprintf(u, "http://u:" BI_SECRET "%s@127.0.0.1/", a);
    free(a);
    *mem = u;
    return u;
}

static int
bi_url_row(size_t i, enum bi_cmd cmd)
{
    const struct bi_url_row *row = &bi_urls[i];
    char *mem = NULL, what[200];
    const char *args[] = {strncmp(row->url, "L:", 2) == 0 ? bi_long_url(row->url, &mem) : row->url,
                          NULL};
    int ok =
        bi_usage_row(NULL, cmd, args, row->re, bi_show(row->url, what, sizeof(what)), row->bug);

    free(mem);
    return ok;
}

/* ---- the usage-error tables, each under every command ---- */

#define BI_COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct bi_param {
    int table; /* 0 flags, 1 environment, 2 config files, 3 URLs */
    enum bi_cmd cmd;
};

ParameterizedTestParameters(badinput, usage_errors)
{
    static struct bi_param params[4 * BI_NCMD];

    for (int t = 0; t < 4; t++) {
        for (int c = 0; c < BI_NCMD; c++)
            params[t * BI_NCMD + c] = (struct bi_param){t, (enum bi_cmd)c};
    }
    return cr_make_param_array(struct bi_param, params, BI_COUNT(params));
}

ParameterizedTest(struct bi_param *p, badinput, usage_errors, .timeout = 120)
{
    static const char *const names[] = {"flag", "environment", "config", "URL"};
    const size_t rows[] = {BI_COUNT(bi_flags), BI_COUNT(bi_envs), BI_COUNT(bi_confs),
                           BI_COUNT(bi_urls)};
    int (*const run[])(size_t, enum bi_cmd) = {bi_flag_row, bi_env_row, bi_conf_row, bi_url_row};
    size_t failed = 0;

    for (size_t i = 0; i < rows[p->table]; i++)
        failed += !run[p->table](i, p->cmd);
    cr_log_info("%s: %zu of %zu %s rows failed", bi_cmd_name[p->cmd], failed, rows[p->table],
                names[p->table]);
}

/* ---- invalid UTF-8, NUL, control bytes and terminal escapes in server replies ---- */

enum bi_peer { BI_HTTP, BI_REDIS, BI_MYSQL_GREETING, BI_MYSQL_AUTH };

struct bi_reply_row {
    const char *what;
    enum bi_peer peer;
    const char *url; /* %d: the peer's port */
    const char *reply;
    size_t len;
    const char *body; /* --expect-body, or NULL */
};

#define R(s) s, sizeof(s) - 1
/* The password (a server may echo it), invalid UTF-8, an overlong '/', a surrogate, ESC
 * sequences, BEL, DEL, C1 CSI, CR LF; JUNK adds a NUL and more after it. */
#define JUNK_NONUL                                                                                 \
    BI_SECRET " \xff\xfe \xc0\xaf \xed\xa0\x80 \x1b[31m\x1b[2J\x1b]0;title\x07 \x7f \xc2\x9b"      \
              "1m \r\nX"
#define JUNK JUNK_NONUL " \0 after a NUL " BI_SECRET
#define ERRP(code) "\xff" code "#28000"

static const struct bi_reply_row bi_replies[] = {
    {"HTTP reason phrase", BI_HTTP, "web=http://u:" BI_SECRET "@127.0.0.1:%d/",
     R("HTTP/1.1 503 Down \xff\xfe\x1b[31m\x1b]0;title\x07\x7f\xc2\x9b " BI_SECRET
       " end\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
     NULL},
    {"HTTP reason phrase with NUL", BI_HTTP, "web=http://u:" BI_SECRET "@127.0.0.1:%d/",
     R("HTTP/1.1 503 Down " JUNK " end\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), NULL},
    {"HTTP header", BI_HTTP, "web=http://u:" BI_SECRET "@127.0.0.1:%d/",
     R("HTTP/1.1 500 Oops\r\nX-Junk: \xff\xfe\x1b[31m\x1b]0;title\x07\x7f\xc2\x9b " BI_SECRET
       "\r\nContent-Length: 0\r\n\r\n"),
     NULL},
    {"HTTP body with --expect-body", BI_HTTP, "web=http://u:" BI_SECRET "@127.0.0.1:%d/",
     R("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" JUNK " end"), "healthy"},
    {"HTTP garbage status line", BI_HTTP, "web=http://u:" BI_SECRET "@127.0.0.1:%d/",
     R(JUNK "\r\n\r\n"), NULL},
    {"Redis error reply, no NUL", BI_REDIS, "cache=redis://:" BI_SECRET "@127.0.0.1:%d/0",
     R("-ERR " JUNK_NONUL " end\r\n"), NULL},
    {"Redis error reply", BI_REDIS, "cache=redis://:" BI_SECRET "@127.0.0.1:%d/0",
     R("-ERR " JUNK " end\r\n"), NULL},
    {"Redis simple string instead of PONG", BI_REDIS, "cache=redis://:" BI_SECRET "@127.0.0.1:%d",
     R("+" JUNK " end\r\n"), NULL},
    /* memcached:// has no password to mask; the reply is cleaned all the same. */
    {"Memcached SERVER_ERROR", BI_REDIS, "sessions=memcached://127.0.0.1:%d",
     R("SERVER_ERROR \xff\xfe \xc0\xaf \xed\xa0\x80 \x1b[31m\x1b]0;title\x07 \x7f \xc2\x9b"
       "1m \0 after a NUL\r\n"),
     NULL},
    {"Memcached garbage", BI_REDIS, "sessions=memcached://127.0.0.1:%d",
     R("\x1b[2J\x1b]0;title\x07\xff\0\r\n"), NULL},
    {"MySQL ERR instead of the greeting", BI_MYSQL_GREETING,
     "db=mysql://u:" BI_SECRET "@127.0.0.1:%d/app", R(ERRP("\x10\x04") "Too many " JUNK " end"),
     NULL},
    {"MySQL ERR after the auth response", BI_MYSQL_AUTH,
     "db=mysql://u:" BI_SECRET "@127.0.0.1:%d/app",
     R(ERRP("\x15\x04") "Access denied for " JUNK " end"), NULL},
};

static void
bi_serve(struct scr_conn *c, const void *arg)
{
    const struct bi_reply_row *row = arg;
    char name[64];

    switch (row->peer) {
    case BI_HTTP:
        while (memmem(c->buf, c->len, "\r\n\r\n", 4) == NULL && c->len < sizeof(c->buf)) {
            struct pollfd pfd = {c->fd, POLLIN, 0};
            ssize_t n;

            if (poll(&pfd, 1, 3000) <= 0)
                return;
            n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
            if (n <= 0)
                return;
            c->len += (size_t)n;
        }
        (void)scr_write(c, row->reply, row->len);
        return; /* the close ends a body without a length */
    case BI_REDIS:
        while (scr_resp_command(c, name, sizeof(name), 3000) == 0) {
            if (scr_write(c, row->reply, row->len) != 0)
                return;
        }
        return;
    case BI_MYSQL_GREETING:
        (void)scr_mysql_packet(c, 0, row->reply, row->len);
        break;
    case BI_MYSQL_AUTH:
        if (scr_mysql_greeting(c) != 0 || scr_mysql_read_packet(c, 3000) < 0)
            return;
        (void)scr_mysql_packet(c, 2, row->reply, row->len);
        break;
    }
    scr_hold(c, 2000);
}

/* Runs the row as text and as --json: a FAIL, exit 1, clean text, valid JSON, no password. */
static int
bi_reply_row(const struct bi_reply_row *row)
{
    struct probe_result *r = malloc(sizeof(*r));
    char url[128], why[64];
    int port = scr_server(bi_serve, row), ok = 1;

    cr_assert_not_null(r);
    snprintf(url, sizeof(url), row->url, port);
    for (int json = 0; json <= 1; json++) {
        const char *args[7] = {"--timeout", "2s", url, NULL}, *bad_out, *bad_err;
        int c_fail, c_doc, c_secret, n = 3;

        if (json)
            args[n++] = "--json";
        if (row->body != NULL) {
            args[n++] = "--expect-body";
            args[n++] = row->body;
        }
        args[n] = NULL;
        bi_run(r, NULL, BI_CHECK, args);
        cr_log_info("%s%s: exit %d\n%s%s", row->what, json ? " --json" : "", r->exit_code, r->out,
                    r->err);
        bad_out = bi_unclean(r->out, why, sizeof(why));
        bad_err = bi_unclean(r->err, why, sizeof(why));
        c_fail = r->exit_code == 1 && (json || strncmp(r->out, "FAIL ", 5) == 0);
        c_doc = !json || (pt_json_valid(r->out) && strstr(r->out, "\"fail\"") != NULL &&
                          strstr(r->out, "\\u001b") == NULL && strstr(r->out, "\\u0000") == NULL &&
                          strstr(r->out, "\\u0007") == NULL);
        c_secret = strstr(r->out, BI_SECRET) == NULL && strstr(r->err, BI_SECRET) == NULL;
        cr_expect(c_fail && bad_out == NULL && bad_err == NULL && c_doc && c_secret,
                  "ROW %s%s:%s%s%s%s%s" BI_OUT, row->what, json ? " --json" : "",
                  c_fail ? "" : " [not exit 1 with a FAIL line]",
                  bad_out == NULL ? "" : " [stdout not clean text]",
                  bad_err == NULL ? "" : " [stderr not clean text]",
                  c_doc ? "" : " [not valid JSON / raw escapes in the document]",
                  c_secret ? "" : " [PASSWORD PRINTED]", BI_ARGS(r));
        ok &= c_fail && bad_out == NULL && bad_err == NULL && c_doc && c_secret;
    }
    free(r);
    return ok;
}

static void
bi_replies_for(enum bi_peer first, enum bi_peer last)
{
    size_t failed = 0;

    for (size_t i = 0; i < BI_COUNT(bi_replies); i++) {
        if (bi_replies[i].peer >= first && bi_replies[i].peer <= last)
            failed += !bi_reply_row(&bi_replies[i]);
    }
    cr_log_info("%zu reply rows failed", failed);
}

Test(badinput, replies_http, .timeout = 60)
{
    bi_replies_for(BI_HTTP, BI_HTTP);
}

Test(badinput, replies_redis, .timeout = 60)
{
    bi_replies_for(BI_REDIS, BI_REDIS);
}

Test(badinput, replies_mysql, .timeout = 60)
{
    bi_replies_for(BI_MYSQL_GREETING, BI_MYSQL_AUTH);
}

/* The JSON checks above rely on tests/json_reader.c rejecting what a terminal or a parser would
 * trip over. */
Test(badinput, json_validator_self_test)
{
    static const char *const good[] = {"{}", "[]", "{\"a\": [1, -2.5e3, true, null, \"\\u00e9\"]}",
                                       "\"\xc3\xa9\""};
    static const char *const bad[] = {
        "",        "{",    "{\"a\" 1}",        "[1,]", "\"\x01\"", "\"\xff\"",
        "\"\\x\"", "{} x", "\"\xed\xa0\x80\"", "[-]"};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_expect(pt_json_valid(good[i]), "valid JSON rejected: %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(!pt_json_valid(bad[i]), "invalid JSON accepted: %s", bad[i]);
}
