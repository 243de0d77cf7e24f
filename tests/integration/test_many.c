/* 256 checks, the most a run accepts: the text output (and the watchdog's) stays under the
 * 4096 bytes Docker keeps, failures first, with a last line that counts what was left out;
 * --json is never cut. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define MANY 256

struct many {
    char target[MANY][96];
    const char *argv[MANY + 8];
    int fails[MANY];
    int nfail;
};

/* argv: the options given, then 256 targets "PREFIXNNN=tcp://127.0.0.1:PORT"; check i goes
 * to bad_port when it should fail (every 10th, and the last 6, so failures come late too),
 * else to good_port. */
static void
many_make(struct many *m, const char *const opts[], const char *prefix, int good_port, int bad_port)
{
    size_t a = 0;

    memset(m, 0, sizeof(*m));
    m->argv[a++] = "check";
    while (*opts != NULL)
        m->argv[a++] = *opts++;
    for (int i = 0; i < MANY; i++) {
        m->fails[i] = bad_port > 0 && (i % 10 == 9 || i >= MANY - 6);
        m->nfail += m->fails[i];
        snprintf(m->target[i], sizeof(m->target[i]), "%s%03d=tcp://127.0.0.1:%d", prefix, i,
                 m->fails[i] ? bad_port : good_port);
        m->argv[a++] = m->target[i];
    }
    m->argv[a] = NULL;
}

/* `probe check OPTS` with the 256 targets of many_make(), to a peer that accepts and to a
 * refused port; exits 1 (some fail). */
static void
many_run(struct many *m, struct probe_result *r, const char *const opts[])
{
    int port = 0, fd = harness_listener("127.0.0.1", 1024, &port);

    cr_assert(fd >= 0, "cannot listen on 127.0.0.1");
    many_make(m, opts, "service-", port, harness_free_port());
    pt_run(r, m->argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(r, 1);
}

/* The last line of the output, which must be "... K more: P pass, F fail"; its numbers. */
static void
count_line(const struct probe_result *r, size_t *more, size_t *pass, size_t *fail)
{
    const char *last = r->out;

    cr_assert(r->out_len > 0 && r->out[r->out_len - 1] == '\n', "no last line" PT_OUT, PT_ARGS(r));
    for (const char *p = r->out; p < r->out + r->out_len - 1; p++) {
        if (*p == '\n')
            last = p + 1;
    }
    cr_assert(pt_match(last, "^\\.\\.\\. [0-9]+ more: [0-9]+ pass, [0-9]+ fail$", 0),
              "last line: %s" PT_OUT, last, PT_ARGS(r));
    cr_assert_eq(sscanf(last, "... %zu more: %zu pass, %zu fail", more, pass, fail), 3);
    cr_assert_eq(*more, *pass + *fail, "last line: %s", last);
}

Test(many, text_of_256_checks_fits_docker_failures_first, .timeout = 20)
{
    static struct many m;
    static struct probe_result r;
    const char *opts[] = {"--timeout", "5s", NULL};
    size_t more, pass, fail, npass = 0;
    struct pt_line l;

    many_run(&m, &r, opts);
    cr_assert_lt(r.out_len, 4096, "%zu bytes" PT_OUT, r.out_len, PT_ARGS(&r));
    for (int i = 0; i < MANY; i++) {
        char name[32];

        snprintf(name, sizeof(name), "service-%03d", i);
        if (m.fails[i])
            pt_assert_check(&r, name, "FAIL", "connection refused");
    }
    for (const char *p = r.out; (p = strstr(p, "PASS service-")) != NULL; p++)
        npass++;
    count_line(&r, &more, &pass, &fail);
    cr_assert_eq(fail, 0, "failures left out while passes gave way" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(npass + pass, (size_t)(MANY - m.nfail), "%zu pass lines + %zu counted" PT_OUT,
                 npass, pass, PT_ARGS(&r));
    cr_assert_eq(pt_count_lines(r.out), (int)(npass + (size_t)m.nfail + 1), PT_OUT, PT_ARGS(&r));
    pt_line_of(&r, "service-000", &l);
    cr_assert_str_eq(l.status, "PASS", "the first passes keep their lines" PT_OUT, PT_ARGS(&r));
}

Test(many, quiet_256_checks_lists_every_failure, .timeout = 20)
{
    static struct many m;
    static struct probe_result r;
    const char *opts[] = {"--timeout", "5s", "-q", NULL};

    many_run(&m, &r, opts);
    cr_assert_lt(r.out_len, 4096, "%zu bytes" PT_OUT, r.out_len, PT_ARGS(&r));
    cr_assert_eq(pt_count_lines(r.out), m.nfail, "one line per failure" PT_OUT, PT_ARGS(&r));
    cr_assert_null(strstr(r.out, "PASS"), PT_OUT, PT_ARGS(&r));
    cr_assert_null(strstr(r.out, " more: "), PT_OUT, PT_ARGS(&r));
}

Test(many, json_of_256_checks_is_not_cut, .timeout = 20)
{
    static struct many m;
    static struct probe_result r;
    const char *opts[] = {"--timeout", "5s", "--json", NULL};
    char v[64];
    int n = 0;

    many_run(&m, &r, opts);
    cr_assert(!r.truncated && r.out_len > 4096, "%zu bytes" PT_OUT, r.out_len, PT_ARGS(&r));
    cr_assert(pt_json_valid(r.out), "stdout is not one JSON document" PT_OUT, PT_ARGS(&r));
    for (const char *p = r.out; (p = strstr(p, ":responseTime\":")) != NULL; p++)
        n++;
    cr_assert_eq(n, MANY, "every check in the document" PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "checks/service-255:responseTime/0/status", v, sizeof(v)), 0);
    cr_assert_str_eq(v, "fail");
    cr_assert_eq(pt_json_get(r.out, "checks/service-254:responseTime/0/status", v, sizeof(v)), 0);
    cr_assert_str_eq(v, "fail");
    cr_assert_eq(pt_json_get(r.out, "checks/service-000:responseTime/0/status", v, sizeof(v)), 0);
    cr_assert_str_eq(v, "pass");
}

/* The loop stalled (PROBE_TEST_STALL_MS) with 256 checks stuck in connect, to a peer that
 * never accepts and, where the kernel can be made to, to one that drops SYNs: the watchdog
 * names the first unfinished ones within the cap and counts the others. */
Test(many, watchdog_covers_256_checks_within_the_cap, .timeout = 20)
{
    static struct many m;
    static struct probe_result r;
    const char *opts[] = {"--timeout", "500ms", NULL};
    const char *env[] = {"PROBE_TEST_STALL_MS=5000", NULL};
    struct harness_full_listener f;
    int port = 0, fd = harness_listener("127.0.0.1", 1024, &port), dropping;
    size_t more, pass, fail;
    int lines;

    pt_need_test_build("PROBE_TEST_STALL_MS");
    cr_assert(fd >= 0, "cannot listen on 127.0.0.1");
    dropping = harness_full_listener_open(&f) == 0;
    many_make(&m, opts, "stuck-", port, dropping ? f.port : port);
    pt_run(&r, m.argv, env);
    close(fd);
    if (dropping)
        harness_full_listener_close(&f);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_WITHIN(&r, 600);
    cr_assert_lt(r.out_len, 4096, "%zu bytes" PT_OUT, r.out_len, PT_ARGS(&r));
    count_line(&r, &more, &pass, &fail);
    lines = pt_count_lines(r.out) - 1;
    cr_assert_eq(pass, 0, PT_OUT, PT_ARGS(&r));
    cr_assert_eq((size_t)lines + fail, (size_t)MANY, "%d lines + %zu counted" PT_OUT, lines, fail,
                 PT_ARGS(&r));
    cr_assert_gt(lines, 20, PT_OUT, PT_ARGS(&r));
    for (int i = 0; i < lines; i++) {
        char re[160];

        snprintf(re, sizeof(re),
                 "^FAIL stuck-%03d +tcp://127\\.0\\.0\\.[.0-9:]* +timeout after 500ms "
                 "\\(connect, watchdog\\)$",
                 i);
        cr_assert(pt_match(r.out, re, 0), "no watchdog line for stuck-%03d" PT_OUT, i, PT_ARGS(&r));
    }
}
