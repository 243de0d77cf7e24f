/* value: durations, status sets, check names, listen addresses, CA files. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "value.h"

/* Criterion runs each parameter in a re-executed process, so parameter structs hold their
 * strings inline rather than as pointers. */

/* ---- durations ---- */

struct dur_ok_case {
    char in[32];
    long ms;
};

ParameterizedTestParameters(value, dur_parses_valid_durations)
{
    static struct dur_ok_case cases[] = {
        {"250ms", 250},      {"3s", 3000},        {"1m", 60000},
        {"1.5s", 1500},      {"2", 2000},         {"0.5", 500},
        {"0.3s", 300},       {"1.25m", 75000},    {"1ms", 1},
        {"007s", 7000},      {"0.001", 1},        {"1.000000000000s", 1000},
        {"86400", 86400000}, {"1440m", 86400000}, {"86400000ms", 86400000},
    };
    return cr_make_param_array(struct dur_ok_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dur_ok_case *c, value, dur_parses_valid_durations)
{
    char err[ERRLEN] = "";
    long ms = -1;

    cr_assert_eq(dur_parse(c->in, &ms, err, sizeof(err)), 0, "%s: %s", c->in, err);
    cr_assert_eq(ms, c->ms, "%s gave %ld, want %ld", c->in, ms, c->ms);
}

struct dur_bad_case {
    char in[64];
    char why[48];
};

ParameterizedTestParameters(value, dur_rejects_bad_input_and_quotes_it)
{
    static struct dur_bad_case cases[] = {
        {"", "not valid"},
        {"-1s", "not valid"},
        {"+3s", "not valid"},
        {"3x", "not valid"},
        {"s", "not valid"},
        {"ms", "not valid"},
        {"1.2.3", "not valid"},
        {"1.", "not valid"},
        {".5s", "not valid"},
        {" 3s", "not valid"},
        {"3s ", "not valid"},
        {"3 s", "not valid"},
        {"3S", "not valid"},
        {"3sec", "not valid"},
        {"1h", "not valid"},
        {"0", "more than 0"},
        {"0ms", "more than 0"},
        {"0.0s", "more than 0"},
        {"1.5ms", "whole number of milliseconds"},
        {"0.0001s", "whole number of milliseconds"},
        {"86401s", "over 24h"},
        {"1441m", "over 24h"},
        {"86400001ms", "over 24h"},
        {"99999999999999999999999999s", "over 24h"},
    };
    return cr_make_param_array(struct dur_bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dur_bad_case *c, value, dur_rejects_bad_input_and_quotes_it)
{
    char err[ERRLEN] = "", quoted[80];
    long ms = 1234;

    cr_assert_eq(dur_parse(c->in, &ms, err, sizeof(err)), -1, "\"%s\" was accepted", c->in);
    cr_assert_eq(ms, 1234, "output written on error");
    snprintf(quoted, sizeof(quoted), "\"%s\"", c->in);
    cr_assert(strstr(err, quoted), "err for \"%s\" does not quote it: %s", c->in, err);
    cr_assert(strstr(err, c->why), "err for \"%s\": %s", c->in, err);
}

Test(value, dur_error_quotes_a_long_input_cut_short)
{
    char in[200], err[ERRLEN];
    long ms;

    memset(in, '9', sizeof(in) - 2);
    in[sizeof(in) - 2] = 'x';
    in[sizeof(in) - 1] = '\0';
    cr_assert_eq(dur_parse(in, &ms, err, sizeof(err)), -1);
    cr_assert(strstr(err, "\"9999999999"), "%s", err);
    cr_assert(strstr(err, "...\""), "%s", err);
}

Test(value, dur_error_does_not_echo_control_characters)
{
    char err[ERRLEN];
    long ms;

    cr_assert_eq(dur_parse("3\x1b[2Js", &ms, err, sizeof(err)), -1);
    cr_assert_null(strchr(err, '\x1b'), "%s", err);
    cr_assert(strstr(err, "\"3?[2Js\""), "%s", err);
}

Test(value, dur_null_is_an_error)
{
    char err[ERRLEN];
    long ms;

    cr_assert_eq(dur_parse(NULL, &ms, err, sizeof(err)), -1);
    cr_assert(strstr(err, "\"\""), "%s", err);
}

/* ---- status sets ---- */

Test(value, status_single_code)
{
    struct status_set set;
    char err[ERRLEN];

    cr_assert_eq(status_set_parse("200", &set, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(set.n, 1);
    cr_assert(status_set_has(&set, 200));
    cr_assert_not(status_set_has(&set, 201));
    cr_assert_not(status_set_has(&set, 199));
}

Test(value, status_ranges_and_codes)
{
    struct status_set set;
    char err[ERRLEN];

    cr_assert_eq(status_set_parse("200-299,304", &set, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(set.n, 2);
    cr_assert(status_set_has(&set, 200));
    cr_assert(status_set_has(&set, 250));
    cr_assert(status_set_has(&set, 299));
    cr_assert(status_set_has(&set, 304));
    cr_assert_not(status_set_has(&set, 300));
    cr_assert_not(status_set_has(&set, 503));
    cr_assert_not(status_set_has(&set, -1));
}

Test(value, status_whole_range_100_599)
{
    struct status_set set;
    char err[ERRLEN];

    cr_assert_eq(status_set_parse("100-599", &set, err, sizeof(err)), 0, "%s", err);
    cr_assert(status_set_has(&set, 100));
    cr_assert(status_set_has(&set, 599));
    cr_assert_not(status_set_has(&set, 600));
}

Test(value, status_allows_max_ranges)
{
    struct status_set set;
    char in[512] = "", err[ERRLEN];
    int i;

    for (i = 0; i < STATUS_SET_MAX; i++)
        snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%d", i ? "," : "", 200 + i);
    cr_assert_eq(status_set_parse(in, &set, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(set.n, STATUS_SET_MAX);
}

Test(value, status_rejects_more_than_max_ranges)
{
    struct status_set set;
    char in[512] = "", err[ERRLEN];
    int i;

    for (i = 0; i <= STATUS_SET_MAX; i++)
        snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%d", i ? "," : "", 200 + i);
    cr_assert_eq(status_set_parse(in, &set, err, sizeof(err)), -1);
    cr_assert(strstr(err, "more than 32"), "%s", err);
}

struct status_bad_case {
    char in[32];
    char why[32];
};

ParameterizedTestParameters(value, status_rejects_bad_sets)
{
    static struct status_bad_case cases[] = {
        {"", "bad status set"},
        {",", "bad status set"},
        {"200,", "bad status set"},
        {",200", "bad status set"},
        {"200,,304", "bad status set"},
        {"2xx", "bad status set"},
        {"20", "bad status set"},
        {"2000", "bad status set"},
        {"200-", "bad status set"},
        {"-200", "bad status set"},
        {"200--299", "bad status set"},
        {" 200", "bad status set"},
        {"200 ", "bad status set"},
        {"200, 304", "bad status set"},
        {"200-299-399", "bad status set"},
        {"099", "100-599"},
        {"600", "100-599"},
        {"200-600", "100-599"},
        {"000-200", "100-599"},
        {"300-200", "300-200 is backwards"},
    };
    return cr_make_param_array(struct status_bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct status_bad_case *c, value, status_rejects_bad_sets)
{
    struct status_set set = {.n = 1, .r = {{200, 399}}};
    char err[ERRLEN] = "", quoted[48];

    cr_assert_eq(status_set_parse(c->in, &set, err, sizeof(err)), -1, "\"%s\" accepted", c->in);
    cr_assert(strstr(err, c->why), "\"%s\": %s", c->in, err);
    snprintf(quoted, sizeof(quoted), "\"%s\"", c->in);
    cr_assert(strstr(err, quoted), "\"%s\" not quoted: %s", c->in, err);
    cr_assert_eq(set.n, 1, "set changed on error");
    cr_assert_eq(set.r[0].lo, 200);
    cr_assert_eq(set.r[0].hi, 399);
}

Test(value, status_format_is_canonical)
{
    struct status_set set;
    char err[ERRLEN], out[64];

    cr_assert_eq(status_set_parse("200-299,304,500-500", &set, err, sizeof(err)), 0);
    status_set_format(&set, out, sizeof(out));
    cr_assert_str_eq(out, "200-299,304,500");
}

Test(value, status_format_cuts_whole_items)
{
    struct status_set set;
    char err[ERRLEN], out[16];

    cr_assert_eq(status_set_parse("200-299,304", &set, err, sizeof(err)), 0);
    status_set_format(&set, out, 8);
    cr_assert_str_eq(out, "200-299");
    status_set_format(&set, out, 7);
    cr_assert_str_eq(out, "");
    status_set_format(&set, out, 11);
    cr_assert_str_eq(out, "200-299");
}

/* ---- names ---- */

struct name_case {
    char in[80];
    int ok;
};

ParameterizedTestParameters(value, name_valid_follows_the_spec)
{
    static struct name_case cases[] = {
        {"a", 1},
        {"app", 1},
        {"db-1", 1},
        {"x_y.z", 1},
        {"HTTP-2", 1},
        {"...", 1},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
        {"", 0},
        {"a b", 0},
        {"a/b", 0},
        {"a=b", 0},
        {"a:b", 0},
        {"caf\xc3\xa9", 0},
        {"a\n", 0},
    };
    return cr_make_param_array(struct name_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, value, name_valid_follows_the_spec)
{
    cr_assert_eq(name_valid(c->in), c->ok, "\"%s\" (%zu chars)", c->in, strlen(c->in));
}

Test(value, name_null_is_invalid)
{
    cr_assert_eq(name_valid(NULL), 0);
}

/* ---- listen addresses and CA files ---- */

struct listen_case {
    char in[48];
    int ok;
};

ParameterizedTestParameters(value, listen_addr_parse_accepts_only_host_port)
{
    static struct listen_case cases[] = {
        {"0.0.0.0:8080", 1}, {"127.0.0.1:0", 1},
        {"[::]:8080", 1},    {"[::1]:1", 1},
        {":8080", 1},        {"*:8080", 1},
        {"garbage", 0},      {"", 0},
        {"127.0.0.1:", 0},   {"127.0.0.1:99999", 0},
        {"127.0.0.1:-1", 0}, {"127.0.0.1:http", 0},
        {"999.1.1.1:80", 0}, {"[::1", 0},
        {"[::1]", 0},        {"[zz]:80", 0},
        {"host:80", 0},      {"127.0.0.1:80x", 0},
    };
    return cr_make_param_array(struct listen_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct listen_case *c, value, listen_addr_parse_accepts_only_host_port)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char err[160] = "";
    int rc = listen_addr_parse(c->in, &ss, &len, err, sizeof(err));

    if (c->ok) {
        cr_assert_eq(rc, 0, "\"%s\" refused: %s", c->in, err);
        cr_assert(len > 0);
    } else {
        cr_assert_eq(rc, -1, "\"%s\" accepted", c->in);
        cr_assert(strstr(err, c->in) != NULL, "error does not quote \"%s\": %s", c->in, err);
    }
}

Test(value, file_readable_names_the_problem)
{
    char err[256];

    cr_assert_eq(file_readable("/etc/passwd", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(file_readable("", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "empty file name");
    cr_assert_eq(file_readable("/nonexistent/ca.pem", err, sizeof(err)), -1);
    cr_assert(strstr(err, "/nonexistent/ca.pem") != NULL && strstr(err, "No such file") != NULL,
              "%s", err);
    cr_assert_eq(file_readable("/tmp", err, sizeof(err)), -1);
    cr_assert(strstr(err, "not a file") != NULL, "%s", err);
}
