/* report: text lines within Docker's 4096 bytes, and a health document that is valid JSON. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "oracle.h"
#include "report.h"

extern const struct kind kind_redis;

struct fixture {
    struct target *targets;
    struct run run;
};

/* How a run of checks looks: how many, how long their names, URLs and messages are, and
 * which of them fail. */
enum fail_mode { ODD_FAIL, ALL_PASS, ALL_FAIL, LATE_FAIL, EVERY_7TH };

struct shape {
    size_t n;
    size_t name_len; /* 0: "check-N" */
    size_t url_len;  /* 0: "redis://:pw@127.0.0.1:PORT" */
    size_t msg_len;  /* failing checks' messages padded to this many bytes */
    enum fail_mode fails;
    char fail_msg[24]; /* what failing checks say; "": the same as passing ones */
};

static int
shape_fails(const struct shape *sh, size_t i)
{
    switch (sh->fails) {
    case ALL_PASS:
        return 0;
    case ALL_FAIL:
        return 1;
    case LATE_FAIL:
        return i >= sh->n - (sh->n + 9) / 10; /* the last tenth */
    case EVERY_7TH:
        return i % 7 == 6;
    default:
        return i % 2;
    }
}

/* s padded to len bytes with text holding 2-, 3- and 4-byte UTF-8 characters, so a cut can
 * land inside one. */
static void
pad_utf8(char *s, size_t size, size_t len)
{
    static const char *const fill[] = {"-", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "x"};
    size_t n = strlen(s);

    if (len >= size)
        len = size - 1;
    for (size_t k = 0; n < len; k++) {
        const char *u = fill[k % (sizeof(fill) / sizeof(fill[0]))];

        if (n + strlen(u) > len)
            u = "x";
        memcpy(s + n, u, strlen(u));
        n += strlen(u);
    }
    s[n] = '\0';
}

static void
fixture_shape(struct fixture *f, const struct shape *sh, const char *msg)
{
    memset(f, 0, sizeof(*f));
    f->run.n = sh->n;
    f->targets = calloc(sh->n, sizeof(*f->targets));
    f->run.checks = calloc(sh->n, sizeof(*f->run.checks));
    for (size_t i = 0; i < sh->n; i++) {
        struct target *t = &f->targets[i];
        struct check *c = &f->run.checks[i];
        char url[9000];

        snprintf(t->name, sizeof(t->name), "check-%zu", i);
        while (strlen(t->name) < sh->name_len)
            strcat(t->name, "x");
        if (sh->url_len == 0) {
            snprintf(url, sizeof(url), "redis://:pw@127.0.0.1:%zu", 6000 + i);
        } else {
            snprintf(url, sizeof(url), "http://127.0.0.1:%zu/health?pad=", 8000 + i);
            pad_utf8(url, sizeof(url), sh->url_len);
        }
        t->url.redacted = strdup(url);
        c->t = t;
        c->kind = &kind_redis;
        c->status = shape_fails(sh, i) ? CHECK_FAIL : CHECK_PASS;
        snprintf(c->msg, sizeof(c->msg), "%s",
                 c->status == CHECK_FAIL && sh->fail_msg[0] != '\0' ? sh->fail_msg : msg);
        if (c->status == CHECK_FAIL && sh->msg_len > 0)
            pad_utf8(c->msg, sizeof(c->msg), sh->msg_len);
        c->t_start = 100.0;
        c->t_end = 102.25;
        c->wall_end = 1795705445; /* 2026-11-26T15:04:05Z */
    }
}

static void
fixture_make(struct fixture *f, size_t n, const char *msg)
{
    struct shape sh = {.n = n};

    fixture_shape(f, &sh, msg);
}

static void
fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < f->run.n; i++)
        free(f->targets[i].url.redacted);
    free(f->targets);
    free(f->run.checks);
}

static int
count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(report, text_line_has_status_name_target_message_and_time)
{
    struct fixture f;
    struct buf b;

    fixture_make(&f, 2, "PONG");
    buf_init(&b);
    report_text(&b, &f.run, 0);
    cr_assert_str_eq(buf_str(&b), "PASS check-0  redis://:pw@127.0.0.1:6000  PONG       2.2ms\n"
                                  "FAIL check-1  redis://:pw@127.0.0.1:6001  PONG       2.2ms\n");
    buf_free(&b);
    fixture_free(&f);
}

Test(report, quiet_prints_only_failures)
{
    struct fixture f;
    struct buf b;

    fixture_make(&f, 4, "x");
    buf_init(&b);
    report_text(&b, &f.run, 1);
    cr_assert_eq(count_lines(buf_str(&b)), 2);
    cr_assert_null(strstr(buf_str(&b), "PASS"));
    buf_free(&b);
    fixture_free(&f);
}

Test(report, long_messages_are_cut_never_the_lines)
{
    struct fixture f;
    struct buf b;
    char msg[CHECK_MSG_LEN];

    memset(msg, 'e', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    fixture_make(&f, 40, msg);
    buf_init(&b);
    report_text(&b, &f.run, 0);
    cr_assert_lt(b.len, 4096, "output is %zu bytes", b.len);
    cr_assert_eq(count_lines(buf_str(&b)), 40);
    cr_assert_not_null(strstr(buf_str(&b), "...  2.2ms\n"));
    cr_assert_not_null(strstr(buf_str(&b), "check-39"));
    buf_free(&b);
    fixture_free(&f);
}

/* What a report printed: its check lines, and the numbers of its count line (more = 0 when
 * there is none). */
struct tally {
    size_t pass;
    size_t fail;
    size_t more;
    size_t more_pass;
    size_t more_fail;
};

static size_t
failing_before(const struct fixture *f, size_t idx, enum check_status st)
{
    size_t n = 0;

    for (size_t i = 0; i < idx; i++)
        n += (f->run.checks[i].status == CHECK_PASS) == (st == CHECK_PASS);
    return n;
}

/* Reads out as the text output of f: check lines of f's checks with their own status, in the
 * order given, each the first of its status not shown yet; then at most one count line. */
static void
tally_output(const struct fixture *f, const char *out, struct tally *t)
{
    const char *p = out;

    memset(t, 0, sizeof(*t));
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        char status[8], name[80], want[REPORT_MORE_MAX + 1];
        size_t idx;

        cr_assert_not_null(nl, "unterminated last line: %s", p);
        cr_assert_eq(t->more, 0, "a line after the count line: %.*s", (int)(nl - p), p);
        if (strncmp(p, "... ", 4) == 0) {
            cr_assert_eq(sscanf(p, "... %zu more: %zu pass, %zu fail", &t->more, &t->more_pass,
                                &t->more_fail),
                         3, "count line: %.*s", (int)(nl - p), p);
            snprintf(want, sizeof(want), "... %zu more: %zu pass, %zu fail\n", t->more,
                     t->more_pass, t->more_fail);
            cr_assert(strncmp(p, want, strlen(want)) == 0 && p + strlen(want) == nl + 1,
                      "count line: %.*s", (int)(nl - p), p);
            cr_assert_gt(t->more, 0);
        } else {
            enum check_status st;

            cr_assert_eq(sscanf(p, "%7s %79s", status, name), 2, "line: %.*s", (int)(nl - p), p);
            cr_assert_eq(sscanf(name, "check-%zu", &idx), 1, "name: %s", name);
            cr_assert_lt(idx, f->run.n);
            st = (enum check_status)f->run.checks[idx].status;
            cr_assert_str_eq(status, st == CHECK_PASS ? "PASS" : "FAIL", "%s", name);
            cr_assert_eq(failing_before(f, idx, st), st == CHECK_PASS ? t->pass : t->fail,
                         "%s is not the next %s line in order", name, status);
            if (st == CHECK_PASS)
                t->pass++;
            else
                t->fail++;
        }
        p = nl + 1;
    }
}

#define REFUSED "connection refused"
#define H503 "HTTP 503: "

struct cap_case {
    char what[64];
    struct shape shape;
    int quiet;
    size_t min_lines; /* check lines printed, at least */
    int all_failures; /* every failure has its line */
};

ParameterizedTestParameters(report, output_fits_docker_for_any_number_of_checks)
{
    static struct cap_case cases[] = {
        {"1, long URL and message", {1, 0, 300, 500, ALL_FAIL, ""}, 0, 1, 1},
        {"17 long URLs, mixed", {17, 0, 300, 0, ODD_FAIL, REFUSED}, 0, 17, 1},
        {"60 long URLs, all fail", {60, 0, 300, 0, ALL_FAIL, REFUSED}, 0, 60, 1},
        {"60 long URLs and messages, late fails", {60, 0, 300, 400, LATE_FAIL, H503}, 0, 60, 1},
        {"256 pass", {256, 0, 0, 0, ALL_PASS, ""}, 0, 50, 1},
        {"256 fail", {256, 0, 0, 0, ALL_FAIL, REFUSED}, 0, 50, 0},
        {"256 fail, longest of all", {256, 64, 8192, 511, ALL_FAIL, H503}, 0, 25, 0},
        {"256 long URLs, late fails", {256, 0, 300, 0, LATE_FAIL, REFUSED}, 0, 26, 1},
        {"256 long URLs and messages, odd fail", {256, 0, 300, 200, ODD_FAIL, H503}, 0, 25, 0},
        {"256 long messages, 7th fail, -q", {256, 0, 300, 400, EVERY_7TH, H503}, 1, 36, 1},
        {"256 late fails, -q", {256, 0, 0, 0, LATE_FAIL, REFUSED}, 1, 26, 1},
        {"256 fail, -q", {256, 0, 300, 300, ALL_FAIL, H503}, 1, 25, 0},
    };
    return cr_make_param_array(struct cap_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* SPEC: the whole output stays under 4096 bytes for any number of checks; passing lines give
 * way before any failure does, and a last line counts what was left out. */
ParameterizedTest(struct cap_case *cc, report, output_fits_docker_for_any_number_of_checks)
{
    struct fixture f;
    struct buf b;
    struct tally t;
    size_t npass = 0, nfail = 0;

    fixture_shape(&f, &cc->shape, "200");
    for (size_t i = 0; i < f.run.n; i++) {
        if (f.run.checks[i].status == CHECK_PASS)
            npass += !cc->quiet;
        else
            nfail++;
    }
    buf_init(&b);
    report_text(&b, &f.run, cc->quiet);
    cr_assert_lt(b.len, 4096, "%s: %zu bytes", cc->what, b.len);
    cr_assert_leq(b.len, REPORT_MAX, "%s: %zu bytes", cc->what, b.len);
    cr_assert(oracle_utf8_ok((const unsigned char *)buf_str(&b), b.len), "%s: not UTF-8", cc->what);
    tally_output(&f, buf_str(&b), &t);
    cr_assert_eq(t.pass + t.more_pass, npass, "%s: passes %zu + %zu of %zu", cc->what, t.pass,
                 t.more_pass, npass);
    cr_assert_eq(t.fail + t.more_fail, nfail, "%s: failures %zu + %zu of %zu", cc->what, t.fail,
                 t.more_fail, nfail);
    cr_assert_eq(t.more, t.more_pass + t.more_fail, "%s", cc->what);
    cr_assert(t.more_fail == 0 || t.pass == 0, "%s: %zu failures hidden behind %zu passes",
              cc->what, t.more_fail, t.pass);
    cr_assert_geq(t.pass + t.fail, cc->min_lines, "%s: %zu lines\n%s", cc->what, t.pass + t.fail,
                  buf_str(&b));
    if (cc->all_failures)
        cr_assert_eq(t.more_fail, 0, "%s: %zu failures left out\n%s", cc->what, t.more_fail,
                     buf_str(&b));
    buf_free(&b);
    fixture_free(&f);
}

Test(report, output_that_fits_is_printed_whole)
{
    struct shape sh = {1, 64, 300, 500, ALL_FAIL, "HTTP 503: "};
    struct fixture f;
    struct buf b;

    fixture_shape(&f, &sh, "200");
    buf_init(&b);
    report_text(&b, &f.run, 0);
    cr_assert_not_null(strstr(buf_str(&b), f.targets[0].url.redacted), "%s", buf_str(&b));
    cr_assert_not_null(strstr(buf_str(&b), f.run.checks[0].msg), "%s", buf_str(&b));
    cr_assert_null(strstr(buf_str(&b), "..."), "%s", buf_str(&b));
    buf_free(&b);
    fixture_free(&f);
}

/* 17 checks with 300-byte URLs and 100-byte messages fit once the targets are shortened:
 * the messages stay whole. */
Test(report, targets_are_shortened_before_messages_are_cut)
{
    struct shape sh = {17, 0, 300, 100, ALL_FAIL, "HTTP 503: "};
    struct fixture f;
    struct buf b;
    const char *p;
    int lines = 0;

    fixture_shape(&f, &sh, "200");
    buf_init(&b);
    report_text(&b, &f.run, 0);
    cr_assert_lt(b.len, 4096, "%zu bytes", b.len);
    cr_assert_eq(count_lines(buf_str(&b)), 17, "%s", buf_str(&b));
    for (size_t i = 0; i < f.run.n; i++)
        cr_assert_not_null(strstr(buf_str(&b), f.run.checks[i].msg), "message %zu cut:\n%s", i,
                           buf_str(&b));
    for (p = buf_str(&b); (p = strstr(p, "...  ")) != NULL; p++)
        lines++;
    cr_assert_eq(lines, 17, "every target shortened with \"...\":\n%s", buf_str(&b));
    buf_free(&b);
    fixture_free(&f);
}

Test(report, count_line_says_what_was_left_out)
{
    char line[REPORT_MORE_MAX];
    size_t n = report_more_line(line, 188, 2);

    cr_assert_eq(n, strlen("... 190 more: 188 pass, 2 fail\n"));
    cr_assert(memcmp(line, "... 190 more: 188 pass, 2 fail\n", n) == 0, "%.*s", (int)n, line);
    n = report_more_line(line, 0, 256);
    cr_assert(memcmp(line, "... 256 more: 0 pass, 256 fail\n", n) == 0, "%.*s", (int)n, line);
    n = report_more_line(line, (size_t)-1, 0);
    cr_assert_lt(n, REPORT_MORE_MAX);
}

Test(report, json_document_has_the_health_shape)
{
    struct fixture f;
    struct buf b;

    fixture_make(&f, 2, "NOAUTH Authentication required.");
    buf_init(&b);
    report_json(&b, &f.run, NULL, NULL);
    cr_assert(pt_json_valid(buf_str(&b)), "not JSON: %s", buf_str(&b));
    cr_assert_not_null(strstr(buf_str(&b), "\"status\":\"fail\""));
    cr_assert_not_null(
        strstr(buf_str(&b), "\"check-0:responseTime\":[{\"componentId\":\"check-0\""));
    cr_assert_not_null(strstr(buf_str(&b), "\"componentType\":\"datastore\""));
    cr_assert_not_null(strstr(buf_str(&b), "\"observedValue\":2.2,\"observedUnit\":\"ms\""));
    cr_assert_not_null(strstr(buf_str(&b), "\"time\":\"2026-11-26T15:04:05Z\""));
    cr_assert_not_null(strstr(buf_str(&b), "\"output\":\"NOAUTH Authentication required.\""));
    /* a passing check has no output */
    cr_assert_null(strstr(strstr(buf_str(&b), "check-0:") ? strstr(buf_str(&b), "check-0:") : "",
                          "\"output\":\"NOAUTH Authentication required.\"}],\"check-1"));
    buf_free(&b);
    fixture_free(&f);
}

Test(report, json_is_valid_for_hostile_bytes)
{
    struct fixture f;
    struct buf b;

    fixture_make(&f, 1, "x");
    f.run.checks[0].status = CHECK_FAIL;
    memcpy(f.run.checks[0].msg, "\"}\\\x01\xff\xc0\x80\n", 9);
    buf_init(&b);
    report_json(&b, &f.run, NULL, NULL);
    cr_assert(pt_json_valid(buf_str(&b)), "not JSON: %s", buf_str(&b));
    buf_free(&b);
    fixture_free(&f);
}

Test(report, all_pass_means_status_pass)
{
    struct fixture f;
    struct buf b;

    fixture_make(&f, 1, "PONG");
    buf_init(&b);
    report_json(&b, &f.run, NULL, NULL);
    cr_assert(report_all_pass(&f.run));
    cr_assert_not_null(strstr(buf_str(&b), "{\"status\":\"pass\""));
    buf_free(&b);
    fixture_free(&f);
}

/* serve: a check whose state is still up (fall not reached) shows pass, with the failure's
 * text as output; the document's status follows the states, not the raw results. */
Test(report, states_override_raw_results_and_keep_the_output)
{
    struct fixture f;
    struct buf b;
    enum check_status states[2] = {CHECK_PASS, CHECK_PASS};

    fixture_make(&f, 2, "connection refused");
    buf_init(&b);
    report_json(&b, &f.run, NULL, states);
    cr_assert(pt_json_valid(buf_str(&b)), "not JSON: %s", buf_str(&b));
    cr_assert_not_null(strstr(buf_str(&b), "{\"status\":\"pass\""), "%s", buf_str(&b));
    cr_assert_null(strstr(buf_str(&b), "\"status\":\"fail\""), "%s", buf_str(&b));
    cr_assert_not_null(strstr(buf_str(&b), "\"output\":\"connection refused\""), "%s", buf_str(&b));
    buf_free(&b);
    buf_init(&b);
    report_json(&b, &f.run, &f.run.checks[0], (enum check_status[]){CHECK_FAIL, CHECK_PASS});
    cr_assert_not_null(strstr(buf_str(&b), "{\"status\":\"fail\""), "%s", buf_str(&b));
    cr_assert_null(strstr(buf_str(&b), "check-1"), "only one check: %s", buf_str(&b));
    buf_free(&b);
    fixture_free(&f);
}
