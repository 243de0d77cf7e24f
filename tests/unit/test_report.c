/* report: text lines within Docker's 4096 bytes, and a health document that is valid JSON. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report.h"

extern const struct kind kind_redis;

struct fixture {
    struct target targets[40];
    struct run run;
};

static void
fixture_make(struct fixture *f, size_t n, const char *msg)
{
    memset(f, 0, sizeof(*f));
    f->run.n = n;
    f->run.checks = calloc(n, sizeof(*f->run.checks));
    for (size_t i = 0; i < n; i++) {
        struct target *t = &f->targets[i];
        struct check *c = &f->run.checks[i];
        char url[64];

        snprintf(t->name, sizeof(t->name), "check-%zu", i);
        snprintf(url, sizeof(url), "redis://:pw@127.0.0.1:%zu", 6000 + i);
        t->url.redacted = strdup(url);
        c->t = t;
        c->kind = &kind_redis;
        c->status = i % 2 ? CHECK_FAIL : CHECK_PASS;
        snprintf(c->msg, sizeof(c->msg), "%s", msg);
        c->t_start = 100.0;
        c->t_end = 102.25;
        c->wall_end = 1795705445; /* 2026-11-26T15:04:05Z */
    }
}

static void
fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < f->run.n; i++)
        free(f->targets[i].url.redacted);
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
