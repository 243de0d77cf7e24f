/* util: durations, status sets, names, UTF-8, text_clean, redact_secret, buffers, clock,
 * listen addresses, header values, CA files. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "util.h"

/* Criterion runs each parameter in a re-executed process, so parameter structs hold their
 * strings inline rather than as pointers. */

/* ---- durations ---- */

struct dur_ok_case {
    char in[32];
    long ms;
};

ParameterizedTestParameters(util, dur_parses_valid_durations)
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

ParameterizedTest(struct dur_ok_case *c, util, dur_parses_valid_durations)
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

ParameterizedTestParameters(util, dur_rejects_bad_input_and_quotes_it)
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

ParameterizedTest(struct dur_bad_case *c, util, dur_rejects_bad_input_and_quotes_it)
{
    char err[ERRLEN] = "", quoted[80];
    long ms = 1234;

    cr_assert_eq(dur_parse(c->in, &ms, err, sizeof(err)), -1, "\"%s\" was accepted", c->in);
    cr_assert_eq(ms, 1234, "output written on error");
    snprintf(quoted, sizeof(quoted), "\"%s\"", c->in);
    cr_assert(strstr(err, quoted), "err for \"%s\" does not quote it: %s", c->in, err);
    cr_assert(strstr(err, c->why), "err for \"%s\": %s", c->in, err);
}

Test(util, dur_error_quotes_a_long_input_cut_short)
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

Test(util, dur_error_does_not_echo_control_characters)
{
    char err[ERRLEN];
    long ms;

    cr_assert_eq(dur_parse("3\x1b[2Js", &ms, err, sizeof(err)), -1);
    cr_assert_null(strchr(err, '\x1b'), "%s", err);
    cr_assert(strstr(err, "\"3?[2Js\""), "%s", err);
}

Test(util, dur_null_is_an_error)
{
    char err[ERRLEN];
    long ms;

    cr_assert_eq(dur_parse(NULL, &ms, err, sizeof(err)), -1);
    cr_assert(strstr(err, "\"\""), "%s", err);
}

/* ---- status sets ---- */

Test(util, status_single_code)
{
    struct status_set set;
    char err[ERRLEN];

    cr_assert_eq(status_set_parse("200", &set, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(set.n, 1);
    cr_assert(status_set_has(&set, 200));
    cr_assert_not(status_set_has(&set, 201));
    cr_assert_not(status_set_has(&set, 199));
}

Test(util, status_ranges_and_codes)
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

Test(util, status_whole_range_100_599)
{
    struct status_set set;
    char err[ERRLEN];

    cr_assert_eq(status_set_parse("100-599", &set, err, sizeof(err)), 0, "%s", err);
    cr_assert(status_set_has(&set, 100));
    cr_assert(status_set_has(&set, 599));
    cr_assert_not(status_set_has(&set, 600));
}

Test(util, status_allows_max_ranges)
{
    struct status_set set;
    char in[512] = "", err[ERRLEN];
    int i;

    for (i = 0; i < STATUS_SET_MAX; i++)
        snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%d", i ? "," : "", 200 + i);
    cr_assert_eq(status_set_parse(in, &set, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(set.n, STATUS_SET_MAX);
}

Test(util, status_rejects_more_than_max_ranges)
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

ParameterizedTestParameters(util, status_rejects_bad_sets)
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

ParameterizedTest(struct status_bad_case *c, util, status_rejects_bad_sets)
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

Test(util, status_format_is_canonical)
{
    struct status_set set;
    char err[ERRLEN], out[64];

    cr_assert_eq(status_set_parse("200-299,304,500-500", &set, err, sizeof(err)), 0);
    status_set_format(&set, out, sizeof(out));
    cr_assert_str_eq(out, "200-299,304,500");
}

Test(util, status_format_cuts_whole_items)
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

ParameterizedTestParameters(util, name_valid_follows_the_spec)
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

ParameterizedTest(struct name_case *c, util, name_valid_follows_the_spec)
{
    cr_assert_eq(name_valid(c->in), c->ok, "\"%s\" (%zu chars)", c->in, strlen(c->in));
}

Test(util, name_null_is_invalid)
{
    cr_assert_eq(name_valid(NULL), 0);
}

/* ---- UTF-8 ---- */

struct utf8_case {
    char in[8];
    size_t n;
    int valid;
    size_t len;
};

ParameterizedTestParameters(util, utf8_next_classifies_sequences)
{
    static struct utf8_case cases[] = {
        {"a", 1, 1, 1},
        {"\xc2\xa0", 2, 1, 2},
        {"\xe2\x82\xac", 3, 1, 3},
        {"\xed\x9f\xbf", 3, 1, 3},     /* U+D7FF, just below the surrogates */
        {"\xf0\x9f\x98\x80", 4, 1, 4}, /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 1, 4}, /* U+10FFFF */
        {"\x80", 1, 0, 1},             /* lone continuation */
        {"\xc0\x80", 2, 0, 1},         /* overlong NUL */
        {"\xc1\xbf", 2, 0, 1},         /* overlong */
        {"\xe0\x80\x80", 3, 0, 1},     /* overlong */
        {"\xf0\x80\x80\x80", 4, 0, 1}, /* overlong */
        {"\xed\xa0\x80", 3, 0, 1},     /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, 0, 1}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4, 0, 1}, /* no such lead byte */
        {"\xff", 1, 0, 1},
        {"\xe2\x82", 2, 0, 2},  /* truncated by the end */
        {"\xe2\x82x", 3, 0, 2}, /* truncated by the next character */
        {"\xf0\x9f\x98", 3, 0, 3},
    };
    return cr_make_param_array(struct utf8_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct utf8_case *c, util, utf8_next_classifies_sequences)
{
    size_t len = 99;

    cr_assert_eq(utf8_next(c->in, c->n, &len), c->valid, "case %02x", (unsigned char)c->in[0]);
    cr_assert_eq(len, c->len, "case %02x: len %zu", (unsigned char)c->in[0], len);
}

/* ---- text_clean ---- */

struct clean_case {
    char in[48];
    size_t n;
    size_t dstsz;
    char out[48];
};

ParameterizedTestParameters(util, text_clean_makes_text_safe)
{
    static struct clean_case cases[] = {
        {"hello", 5, 64, "hello"},
        {"a\tb\n\nc", 6, 64, "a b c"},
        {"  a  ", 5, 64, "a"},
        {"\r\n", 2, 64, ""},
        {"a\0b", 3, 64, "a b"},
        {"a\xff"
         "b",
         3, 64, "a?b"},
        {"x\xe2\x82", 3, 64, "x?"},
        {"\xc0\x80", 2, 64, "??"},
        {"caf\xc3\xa9 \xe2\x9c\x93", 9, 64, "caf\xc3\xa9 \xe2\x9c\x93"},
        {"x\x1b[31mred", 9, 64, "x [31mred"},
        {"a\xc2\x9b"
         "b",
         4, 64, "a b"},
        {"a\x7f"
         "b",
         3, 64, "a b"},
        {"abc", 3, 4, "abc"},
        {"abcd", 4, 4, "..."},
        {"abcdefghijklmnop", 16, 10, "abcdef..."},
        {"abc defghijklmnop", 17, 9, "abc d..."},
        {"abcd efghij", 11, 9, "abcd..."},
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10, 8, "\xc3\xa9\xc3\xa9..."},
        {"\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93", 9, 8, "\xe2\x9c\x93..."},
        {"abcdef", 6, 3, "ab"},
        {"ab      ", 8, 3, "ab"},
        {"abc", 3, 1, ""},
    };
    return cr_make_param_array(struct clean_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct clean_case *c, util, text_clean_makes_text_safe)
{
    char *dst = malloc(c->dstsz); /* exact size, so ASan sees any overflow */
    size_t len;

    cr_assert_not_null(dst);
    len = text_clean(dst, c->dstsz, c->in, c->n);
    cr_assert_str_eq(dst, c->out);
    cr_assert_eq(len, strlen(dst));
    free(dst);
}

Test(util, text_clean_zero_size_writes_nothing)
{
    char dst[1] = {'Z'};

    cr_assert_eq(text_clean(dst, 0, "abc", 3), 0);
    cr_assert_eq(dst[0], 'Z');
}

/* Random bytes, a fixed seed: whatever comes in, what goes out is short, valid UTF-8 and free
 * of control characters. */
Test(util, text_clean_output_is_always_safe)
{
    unsigned char src[300];
    uint32_t x = 12345;
    size_t i, round, dstsz, len;
    char *dst;

    for (round = 0; round < 2000; round++) {
        for (i = 0; i < sizeof(src); i++) {
            x = x * 1103515245u + 12345u;
            src[i] = (unsigned char)(x >> 16);
        }
        dstsz = 1 + round % 97;
        dst = malloc(dstsz);
        cr_assert_not_null(dst);
        len = text_clean(dst, dstsz, (const char *)src, round % sizeof(src));
        cr_assert_lt(len, dstsz);
        cr_assert_eq(len, strlen(dst));
        cr_assert(oracle_utf8_ok((const unsigned char *)dst, len), "round %zu", round);
        for (i = 0; i < len; i++)
            cr_assert((unsigned char)dst[i] >= 0x20 && dst[i] != 0x7f, "round %zu", round);
        cr_assert(len == 0 || (dst[0] != ' ' && dst[len - 1] != ' '), "round %zu", round);
        cr_assert_null(strstr(dst, "  "), "round %zu", round);
        free(dst);
    }
}

/* ---- redact_secret ---- */

struct redact_case {
    char in[48];
    char secret[16];
    size_t sz;
    char out[48];
};

ParameterizedTestParameters(util, redact_secret_hides_every_occurrence)
{
    static struct redact_case cases[] = {
        {"user:hunter2@h", "hunter2", 48, "user:***@h"},
        {"hunter2 and hunter2", "hunter2", 48, "*** and ***"},
        {"hunter2hunter2", "hunter2", 48, "******"},
        {"no secret here", "hunter2", 48, "no secret here"},
        {"a-a-a", "a", 48, "***-***-***"},
        {"aaa", "aa", 48, "***a"},
        {"xaxax", "a", 8, "x***x**"},
        {"aaaa", "a", 5, "****"},
        {"pw", "pw", 3, "**"},
        {"xpw", "pw", 4, "x**"},
        {"abc", "", 48, "abc"},
    };
    return cr_make_param_array(struct redact_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct redact_case *c, util, redact_secret_hides_every_occurrence)
{
    char *s = malloc(c->sz); /* exact size, so ASan sees any overflow */

    cr_assert_not_null(s);
    snprintf(s, c->sz, "%s", c->in);
    redact_secret(s, c->sz, c->secret);
    cr_assert_str_eq(s, c->out);
    free(s);
}

Test(util, redact_secret_null_secret_changes_nothing)
{
    char s[] = "abc";

    redact_secret(s, sizeof(s), NULL);
    cr_assert_str_eq(s, "abc");
}

/* ---- buffers and the clock ---- */

Test(util, buf_starts_empty_and_grows)
{
    struct buf b;
    int i;

    buf_init(&b);
    cr_assert_str_eq(buf_str(&b), "");
    buf_adds(&b, "ab");
    buf_add(&b, "c\0d", 3);
    cr_assert_eq(b.len, 5);
    cr_assert_eq(memcmp(b.p, "abc\0d", 6), 0);
    for (i = 0; i < 1000; i++)
        buf_addf(&b, "%d,", i);
    cr_assert_eq(b.oom, 0);
    cr_assert(strstr(buf_str(&b) + 5, "998,999,"), "tail missing");
    cr_assert_eq(strlen(buf_str(&b) + 5), b.len - 5);
    buf_free(&b);
    cr_assert_null(b.p);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(buf_str(&b), "");
}

Test(util, buf_addf_formats)
{
    struct buf b;

    buf_init(&b);
    buf_addf(&b, "%s=%d", "x", 42);
    buf_addf(&b, "%s", "");
    cr_assert_str_eq(buf_str(&b), "x=42");
    buf_free(&b);
}

Test(util, mono_ms_never_goes_back)
{
    double a = mono_ms(), b = mono_ms();

    cr_assert_gt(a, 0.0);
    cr_assert_geq(b, a);
}

/* ---- listen addresses, header values, CA files ---- */

struct listen_case {
    char in[48];
    int ok;
};

ParameterizedTestParameters(util, listen_addr_parse_accepts_only_host_port)
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

ParameterizedTest(struct listen_case *c, util, listen_addr_parse_accepts_only_host_port)
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

Test(util, header_value_ok_refuses_control_bytes_but_not_tab_or_utf8)
{
    cr_assert(header_value_ok("a b\tc \xc3\xa9"));
    cr_assert(header_value_ok(""));
    cr_assert_not(header_value_ok("a\x01b"));
    cr_assert_not(header_value_ok("a\x7f"));
    cr_assert_not(header_value_ok("a\x1b[2J"));
    cr_assert_not(header_value_ok("a\rb"));
}

Test(util, file_readable_names_the_problem)
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
