/* `probe serve`, black-box over HTTP on loopback: the endpoints and their answers, the rounds
 * and the rise/fall debounce, the state-change log, keep-alive and the limits that keep one bad
 * client from hurting the others, signals and exit codes, and memory that stays flat. The
 * targets are the real servers of servers.c, plus a redis of the test's own when a target has
 * to go down and come back. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define START_MS 5000   /* a serve process listens within this */
#define ANSWER_MS 2000  /* a request that gets no answer within this has failed */
#define FAST_MS 100     /* an answer from the last round, while anything else goes on */
#define EXIT_MS 1000    /* SIGTERM/SIGINT to exit */
#define IDLE_MS 5000    /* a request must arrive within this; an idle connection is closed */
#define MAX_CLIENTS 256 /* client connections served at once */
#define VERSION "0.1.0"
#define TIME_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z"

/* ---- helpers ---- */

static char log_text[262144];

/* The serve process's stderr so far, for assertion messages and log checks. */
static const char *
slog(const struct harness_serve *s)
{
    harness_serve_log(s, log_text, sizeof(log_text));
    return log_text;
}

#define SV_LOG "\n--- serve stderr:\n%s"

static void
serve_start(struct harness_serve *s, const char *host, const char *const argv[],
            const char *const env[])
{
    char err[HARNESS_ERRLEN + 512];

    cr_assert_eq(harness_serve_start(s, NULL, host, argv, env, START_MS, err, sizeof(err)), 0,
                 "probe serve did not start: %s", err);
}

/* SIGTERM, and the process must exit 0 within EXIT_MS. */
static void
serve_stop_ok(struct harness_serve *s)
{
    struct harness_serve_exit x;

    harness_serve_stop(s, SIGTERM, 5000, &x);
    cr_assert(!x.killed && x.exited && x.exit_code == 0,
              "after SIGTERM: exited %d, code %d, signal %d, killed %d" SV_LOG, x.exited,
              x.exit_code, x.signo, x.killed, slog(s));
    cr_assert(x.elapsed_ms <= EXIT_MS, "exit took %.0f ms after SIGTERM" SV_LOG, x.elapsed_ms,
              slog(s));
}

static void
url_http(char *out, size_t len, const char *name, const char *path)
{
    snprintf(out, len, "%s=http://127.0.0.1:%d%s", name, pt_env_int("PT_HTTP_PORT"), path);
}

/* One request (method path, HTTP/1.1, Host) on a fresh connection; fails the test when no
 * complete answer comes. */
static void
req(const struct harness_serve *s, const char *method, const char *path,
    struct harness_http_resp *r)
{
    char text[1024];

    snprintf(text, sizeof(text), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", method, path);
    cr_assert_eq(harness_http(s->host, s->port, text, r, ANSWER_MS), 0,
                 "%s %s: no answer (%s)" SV_LOG, method, path, r->why, slog(s));
}

/* Asserts status, body (NULL: any), and that Content-Length is there and right. */
static void
expect(const struct harness_serve *s, const struct harness_http_resp *r, const char *what,
       int status, const char *body)
{
    cr_assert_eq(r->status, status,
                 "%s: status %d, expected %d\n--- head:\n%s\n--- body:\n%s" SV_LOG, what, r->status,
                 status, r->head, r->body, slog(s));
    cr_assert(r->content_length >= 0, "%s: no Content-Length\n--- head:\n%s", what, r->head);
    cr_assert_eq((size_t)r->content_length, r->body_len, "%s: Content-Length %ld, body %zu bytes",
                 what, r->content_length, r->body_len);
    if (body != NULL)
        cr_assert_str_eq(r->body, body, "%s: body", what);
}

/* The answer to a HEAD: status, a Content-Length, and no body. */
static void
expect_head(const struct harness_serve *s, const struct harness_http_resp *r, const char *what,
            int status)
{
    cr_assert_eq(r->status, status, "%s: status %d, expected %d\n--- head:\n%s" SV_LOG, what,
                 r->status, status, r->head, slog(s));
    cr_assert(r->content_length >= 0, "%s: no Content-Length\n--- head:\n%s", what, r->head);
    cr_assert_eq(r->body_len, 0, "%s: a body", what);
}

static void
expect_header(const struct harness_http_resp *r, const char *what, const char *name,
              const char *want)
{
    char v[256];

    cr_assert_eq(harness_http_header(r, name, v, sizeof(v)), 0, "%s: no %s header\n--- head:\n%s",
                 what, name, r->head);
    cr_assert_str_eq(v, want, "%s: header %s", what, name);
}

/* The value of the sample of metric name (for check, when not NULL; then labels gets what is
 * between the braces) in a Prometheus text body. 0, or -1 when there is none. */
static int
metric_find(const char *text, const char *name, const char *check, double *value, char *labels,
            size_t llen)
{
    char want[128];
    size_t nlen = strlen(name);
    const char *line, *next;

    snprintf(want, sizeof(want), "check=\"%s\"", check != NULL ? check : "");
    for (line = text; line != NULL && *line != '\0'; line = next) {
        const char *eol = strchr(line, '\n'), *p = line + nlen, *close;
        char *end;

        next = eol != NULL ? eol + 1 : NULL;
        if (eol == NULL)
            eol = line + strlen(line);
        if (strncmp(line, name, nlen) != 0)
            continue;
        if (*p == '{') {
            close = memchr(p, '}', (size_t)(eol - p));
            if (close == NULL)
                continue;
            if (check != NULL && memmem(p, (size_t)(close - p), want, strlen(want)) == NULL)
                continue;
            if (labels != NULL)
                pt_copy_field(labels, llen, p + 1, (size_t)(close - p - 1));
            p = close + 1;
        } else if (*p != ' ' || check != NULL) {
            continue;
        }
        *value = strtod(p, &end);
        if (end != p && (*end == '\n' || *end == ' ' || *end == '\0'))
            return 0;
    }
    return -1;
}

static double
metric(const struct harness_http_resp *r, const char *name, const char *check)
{
    double v = 0;

    cr_assert_eq(metric_find(r->body, name, check, &v, NULL, 0), 0,
                 "/metrics has no %s%s%s%s\n--- body:\n%s", name, check ? "{check=\"" : "",
                 check ? check : "", check ? "\"}" : "", r->body);
    return v;
}

static long
rounds_now(const struct harness_serve *s)
{
    struct harness_http_resp r;

    req(s, "GET", "/metrics", &r);
    cr_assert_eq(r.status, 200, "/metrics: %d" SV_LOG, r.status, slog(s));
    return (long)metric(&r, "probe_rounds_total", NULL);
}

/* Polls /metrics until n rounds have finished; returns probe_rounds_total then. */
static long
wait_rounds(const struct harness_serve *s, long n, int limit_ms)
{
    double end = harness_now_ms() + limit_ms;
    long got;

    for (;;) {
        got = rounds_now(s);
        if (got >= n)
            return got;
        cr_assert(harness_now_ms() < end, "only %ld of %ld rounds after %d ms" SV_LOG, got, n,
                  limit_ms, slog(s));
        usleep(10000);
    }
}

/* Polls GET path until it answers status; returns the ms it took. */
static double
wait_status(const struct harness_serve *s, const char *path, int status, int limit_ms)
{
    struct harness_http_resp r;
    double t0 = harness_now_ms();

    for (;;) {
        req(s, "GET", path, &r);
        if (r.status == status)
            return harness_now_ms() - t0;
        cr_assert(harness_now_ms() - t0 < limit_ms,
                  "%s still answers %d after %d ms, expected %d\n--- body:\n%s" SV_LOG, path,
                  r.status, limit_ms, status, r.body, slog(s));
        usleep(10000);
    }
}

/* The n-th line of text (from 0) that contains needle, copied into out; 0 or -1. */
static int
nth_line_with(const char *text, const char *needle, int n, char *out, size_t outlen)
{
    const char *line = text;

    while (line != NULL && *line != '\0') {
        const char *eol = strchr(line, '\n');
        size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);

        if (memmem(line, len, needle, strlen(needle)) != NULL && n-- == 0) {
            pt_copy_field(out, outlen, line, len);
            return 0;
        }
        line = eol != NULL ? eol + 1 : NULL;
    }
    return -1;
}

static int
count_lines_with(const char *text, const char *needle)
{
    char line[4096];
    int n = 0;

    while (nth_line_with(text, needle, n, line, sizeof(line)) == 0)
        n++;
    return n;
}

/* "2026-11-26T16:00:00Z" (fraction allowed) as Unix time, or -1. */
static long
parse_utc(const char *s)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return -1;
    return (long)timegm(&tm);
}

/* The health document in r passes the shape of SPEC for check name. */
static void
expect_check_entry(const struct harness_http_resp *r, const char *name, const char *type,
                   const char *status, const char *target)
{
    char path[256], v[1024];
    long now = (long)time(NULL), t;

#define ENTRY(field)                                                                               \
    (snprintf(path, sizeof(path), "checks/%s:responseTime/0/%s", name, field), path)
#define ENTRY_IS(field, want)                                                                      \
    do {                                                                                           \
        cr_assert_eq(pt_json_get(r->body, ENTRY(field), v, sizeof(v)), 0, "no %s in\n%s", path,    \
                     r->body);                                                                     \
        cr_assert_str_eq(v, want, "%s in\n%s", path, r->body);                                     \
    } while (0)

    ENTRY_IS("componentId", name);
    ENTRY_IS("componentType", type);
    ENTRY_IS("observedUnit", "ms");
    ENTRY_IS("status", status);
    ENTRY_IS("target", target);
    cr_assert_eq(pt_json_get(r->body, ENTRY("observedValue"), v, sizeof(v)), 0, "no %s", path);
    cr_assert(pt_match(v, "^[0-9]+(\\.[0-9]+)?$", 0), "%s is \"%s\"", path, v);
    cr_assert_eq(pt_json_get(r->body, ENTRY("time"), v, sizeof(v)), 0, "no %s", path);
    cr_assert(pt_match(v, "^" TIME_RE "$", 0), "%s is \"%s\"", path, v);
    t = parse_utc(v);
    cr_assert(t > now - 120 && t <= now + 2, "%s is %s, now is %ld", path, v, now);
    snprintf(path, sizeof(path), "checks/%s:responseTime/1", name);
    cr_assert_eq(pt_json_get(r->body, path, v, sizeof(v)), -1, "more than one entry for %s", name);
    if (strcmp(status, "pass") == 0) {
        cr_assert_eq(pt_json_get(r->body, ENTRY("output"), v, sizeof(v)), -1,
                     "a passing check has no output: %s", r->body);
    } else {
        cr_assert_eq(pt_json_get(r->body, ENTRY("output"), v, sizeof(v)), 0,
                     "a failing check has an output: %s", r->body);
        cr_assert(v[0] != '\0', "the output of %s is empty", name);
    }
#undef ENTRY
#undef ENTRY_IS
}

static void
expect_health_doc(const struct harness_http_resp *r, const char *status)
{
    char v[256];

    cr_assert(pt_json_valid(r->body), "not one JSON document:\n%s", r->body);
    cr_assert_eq(pt_json_get(r->body, "status", v, sizeof(v)), 0, "no status: %s", r->body);
    cr_assert_str_eq(v, status, "status in\n%s", r->body);
    cr_assert_eq(pt_json_get(r->body, "version", v, sizeof(v)), 0, "no version: %s", r->body);
    cr_assert_str_eq(v, "1", "version");
    cr_assert_eq(pt_json_get(r->body, "releaseId", v, sizeof(v)), 0, "no releaseId: %s", r->body);
    cr_assert_str_eq(v, VERSION, "releaseId");
    cr_assert_eq(pt_json_get(r->body, "description", v, sizeof(v)), 0, "no description");
    cr_assert_str_eq(v, "probe", "description");
}

static void
assert_no_password(const char *what, const char *text, const char *password)
{
    cr_assert(strstr(text, password) == NULL, "%s shows the password \"%s\":\n%s", what, password,
              text);
}

/* A free port on 127.0.0.1 as "127.0.0.1:PORT". */
static int
free_listen(char *out, size_t len)
{
    int port = harness_free_port();

    cr_assert(port > 0, "no free port");
    snprintf(out, len, "127.0.0.1:%d", port);
    return port;
}

/* The plain (non-sanitizer) build next to $PROBE_BIN: .../build/asan/probe -> .../build/probe;
 * PROBE_BIN itself when it is a release build (PT_RELEASE_BUILD: build/probe-static). */
static void
plain_probe(char *out, size_t len)
{
    const char *bin = getenv("PROBE_BIN");
    const char *tail = "/asan/probe";
    size_t n;

    cr_assert(bin != NULL && bin[0] != '\0', "PROBE_BIN is not set");
    if (pt_release_build()) {
        snprintf(out, len, "%s", bin);
        return;
    }
    n = strlen(bin);
    cr_assert(n > strlen(tail) && strcmp(bin + n - strlen(tail), tail) == 0,
              "PROBE_BIN %s is not .../asan/probe", bin);
    snprintf(out, len, "%.*s/probe", (int)(n - strlen(tail)), bin);
    cr_assert_eq(access(out, X_OK), 0, "no plain build at %s (make build/probe)", out);
}

/* ---- the endpoints ---- */

/* web (http /ok), cache (redis with its password) and db (mysql with its password), rounds
 * far apart so that every answer of a test comes from the same round. */
static void
start_all_passing(struct harness_serve *s, char *web, char *cache, char *db, size_t len)
{
    const char *argv[] = {"--interval", "10m", "--timeout", "5s", web, cache, db, NULL};

    url_http(web, len, "web", "/ok");
    snprintf(cache, len, "cache=redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD,
             pt_env_int("PT_REDIS_PORT"));
    snprintf(db, len, "db=mysql://%s:%s@127.0.0.1:%d/%s", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, pt_env_int("PT_MYSQL_PORT"), HARNESS_MYSQL_DB);
    serve_start(s, "127.0.0.1", argv, NULL);
    wait_status(s, "/ready", 200, 5000);
}

Test(serve, health_is_200_with_the_health_document_when_every_check_passes, .timeout = 20)
{
    char web[256], cache[256], db[256], want[256];
    struct harness_serve s;
    struct harness_http_resp r;

    start_all_passing(&s, web, cache, db, sizeof(web));
    req(&s, "GET", "/health", &r);
    expect(&s, &r, "GET /health", 200, NULL);
    expect_header(&r, "GET /health", "Content-Type", "application/health+json");
    expect_health_doc(&r, "pass");
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    expect_check_entry(&r, "web", "http", "pass", want);
    snprintf(want, sizeof(want), "redis://:***@127.0.0.1:%d", pt_env_int("PT_REDIS_PORT"));
    expect_check_entry(&r, "cache", "datastore", "pass", want);
    snprintf(want, sizeof(want), "mysql://%s:***@127.0.0.1:%d/%s", HARNESS_MYSQL_USER,
             pt_env_int("PT_MYSQL_PORT"), HARNESS_MYSQL_DB);
    expect_check_entry(&r, "db", "datastore", "pass", want);
    assert_no_password("/health", r.body, HARNESS_REDIS_PASSWORD);
    assert_no_password("/health", r.body, HARNESS_MYSQL_PASSWORD);
    serve_stop_ok(&s);
    assert_no_password("the log", slog(&s), HARNESS_REDIS_PASSWORD);
    assert_no_password("the log", slog(&s), HARNESS_MYSQL_PASSWORD);
    harness_serve_cleanup(&s);
}

Test(serve, health_is_503_with_the_output_when_a_check_fails, .timeout = 20)
{
    char web[256], bad[256], want[256], v[256];
    const char *argv[] = {"--interval", "10m", "--timeout", "5s", web, bad, NULL};
    struct harness_serve s;
    struct harness_http_resp r;

    url_http(web, sizeof(web), "web", "/ok");
    url_http(bad, sizeof(bad), "bad", "/500");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    req(&s, "GET", "/health", &r);
    expect(&s, &r, "GET /health", 503, NULL);
    expect_header(&r, "GET /health", "Content-Type", "application/health+json");
    expect_health_doc(&r, "fail");
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    expect_check_entry(&r, "web", "http", "pass", want);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/500", pt_env_int("PT_HTTP_PORT"));
    expect_check_entry(&r, "bad", "http", "fail", want);
    cr_assert_eq(pt_json_get(r.body, "checks/bad:responseTime/0/output", v, sizeof(v)), 0);
    cr_assert(pt_match(v, "^HTTP 500", 0), "output of bad is \"%s\"", v);
    cr_assert_eq(pt_json_get(r.body, "output", v, sizeof(v)), 0, "no top-level output:\n%s",
                 r.body);
    cr_assert_str_eq(v, "bad (status)", "/health names the failing check first:\n%s", r.body);
    cr_assert(strncmp(r.body, "{\"status\":\"fail\",\"output\":\"bad (status)\"", 40) == 0,
              "the cause is in the first bytes:\n%s", r.body);
    cr_assert_eq(pt_json_get(r.body, "checks/bad:responseTime/0/reason", v, sizeof(v)), 0);
    cr_assert_str_eq(v, "status");
    req(&s, "GET", "/ready", &r);
    expect(&s, &r, "GET /ready", 503, "not ready: bad (status)\nbad: HTTP 500: internal error\n");
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live", 200, "live\n");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* The image's own HEALTHCHECK asks the sidecar's /ready with `probe check`: what it prints is
 * what docker inspect shows, so it must name the failing check and why, not just "HTTP 503". */
Test(serve, healthcheck_of_ready_names_the_failing_check_and_its_reason, .timeout = 20)
{
    char web[256], db[256], ready[128];
    const char *argv[] = {"--interval", "10m", "--timeout", "5s", web, db, NULL};
    const char *check[] = {"check", ready, NULL};
    struct harness_serve s;
    struct probe_result pr;

    url_http(web, sizeof(web), "web", "/ok");
    snprintf(db, sizeof(db), "db=mysql://" HARNESS_MYSQL_USER ":wrong-pw@127.0.0.1:%d/app",
             pt_env_int("PT_MYSQL_PORT"));
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    snprintf(ready, sizeof(ready), "http://127.0.0.1:%d/ready", s.port);
    pt_run(&pr, check, NULL);
    PT_ASSERT_EXIT(&pr, 1);
    pt_assert_check(&pr, "http", "FAIL",
                    "^HTTP 503: not ready: db \\(auth\\) db: 1045 Access denied for user 'probe'");
    pt_assert_no_secret(&pr, "wrong-pw");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, health_name_answers_one_check_and_404_for_an_unknown_name, .timeout = 20)
{
    char web[256], bad[256], want[256], v[64];
    const char *argv[] = {"--interval", "10m", "--timeout", "5s", web, bad, NULL};
    struct harness_serve s;
    struct harness_http_resp r;

    url_http(web, sizeof(web), "web", "/ok");
    url_http(bad, sizeof(bad), "bad", "/503");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);

    req(&s, "GET", "/health/web", &r);
    expect(&s, &r, "GET /health/web", 200, NULL);
    expect_header(&r, "GET /health/web", "Content-Type", "application/health+json");
    expect_health_doc(&r, "pass");
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    expect_check_entry(&r, "web", "http", "pass", want);
    cr_assert_eq(pt_json_get(r.body, "checks/bad:responseTime", v, sizeof(v)), -1,
                 "/health/web shows only web:\n%s", r.body);

    req(&s, "GET", "/health/bad", &r);
    expect(&s, &r, "GET /health/bad", 503, NULL);
    expect_health_doc(&r, "fail");
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/503", pt_env_int("PT_HTTP_PORT"));
    expect_check_entry(&r, "bad", "http", "fail", want);
    cr_assert_eq(pt_json_get(r.body, "checks/web:responseTime", v, sizeof(v)), -1,
                 "/health/bad shows only bad:\n%s", r.body);

    req(&s, "GET", "/health/nosuch", &r);
    expect(&s, &r, "GET /health/nosuch", 404, NULL);
    req(&s, "HEAD", "/health/nosuch", &r);
    expect_head(&s, &r, "HEAD /health/nosuch", 404);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, ready_live_and_metrics_answer_with_their_bodies_and_types, .timeout = 20)
{
    char web[256], cache[256], db[256];
    struct harness_serve s;
    struct harness_http_resp r;

    start_all_passing(&s, web, cache, db, sizeof(web));
    req(&s, "GET", "/ready", &r);
    expect(&s, &r, "GET /ready", 200, "ready\n");
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live", 200, "live\n");
    req(&s, "GET", "/metrics", &r);
    expect(&s, &r, "GET /metrics", 200, NULL);
    expect_header(&r, "GET /metrics", "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    cr_assert_eq(metric(&r, "probe_rounds_total", NULL), 1.0, "one round so far:\n%s", r.body);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* HEAD gets what GET gets, minus the body: same status, same Content-Type and Content-Length.
 * A GET /live follows each HEAD on the same connection, so a body sent by mistake would show
 * up where the next status line should be. */
Test(serve, head_has_the_status_and_headers_of_get_and_no_body, .timeout = 20)
{
    static const char *const paths[] = {"/health", "/health/web", "/health/bad", "/health/x",
                                        "/ready",  "/live",       "/metrics",    "/nosuch"};
    static struct harness_conn c;
    char web[256], bad[256], text[256], gtype[128], htype[128];
    const char *argv[] = {"--interval", "10m", "--timeout", "5s", web, bad, NULL};
    struct harness_serve s;
    struct harness_http_resp g, h, next;
    size_t i;

    url_http(web, sizeof(web), "web", "/ok");
    url_http(bad, sizeof(bad), "bad", "/404");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        req(&s, "GET", paths[i], &g);
        snprintf(text, sizeof(text),
                 "HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                 "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                 paths[i]);
        cr_assert_eq(harness_conn_send(&c, text, strlen(text)), 0, "HEAD %s: send", paths[i]);
        cr_assert_eq(harness_conn_response(&c, 1, &h, ANSWER_MS), 0, "HEAD %s: %s" SV_LOG, paths[i],
                     h.why, slog(&s));
        cr_assert_eq(h.status, g.status, "HEAD %s: %d, GET: %d", paths[i], h.status, g.status);
        cr_assert_eq(h.content_length, g.content_length,
                     "HEAD %s: Content-Length %ld, GET: %ld\n--- HEAD:\n%s", paths[i],
                     h.content_length, g.content_length, h.head);
        if (harness_http_header(&g, "Content-Type", gtype, sizeof(gtype)) == 0) {
            cr_assert_eq(harness_http_header(&h, "Content-Type", htype, sizeof(htype)), 0,
                         "HEAD %s: no Content-Type", paths[i]);
            cr_assert_str_eq(htype, gtype, "HEAD %s: Content-Type", paths[i]);
        }
        cr_assert_eq(harness_conn_response(&c, 0, &next, ANSWER_MS), 0,
                     "the GET after HEAD %s: %s (did HEAD send a body?)", paths[i], next.why);
        cr_assert_eq(next.status, 200, "the GET after HEAD %s: %d\n%s", paths[i], next.status,
                     next.head);
        cr_assert_str_eq(next.body, "live\n", "the GET after HEAD %s", paths[i]);
    }
    harness_conn_close(&c);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, unknown_path_is_404_and_other_methods_are_405_with_allow, .timeout = 20)
{
    static const char *const paths[] = {"/", "/nosuch", "/healthz", "/live/x", "/metricsx"};
    static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    char web[256], what[64];
    const char *argv[] = {"--interval", "10m", web, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    size_t i;

    url_http(web, sizeof(web), "web", "/ok");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        snprintf(what, sizeof(what), "GET %s", paths[i]);
        req(&s, "GET", paths[i], &r);
        expect(&s, &r, what, 404, NULL);
    }
    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        snprintf(what, sizeof(what), "%s /health", methods[i]);
        req(&s, methods[i], "/health", &r);
        expect(&s, &r, what, 405, NULL);
        expect_header(&r, what, "Allow", "GET, HEAD");
    }
    /* a body of a refused POST is not taken for the next request */
    {
        static struct harness_conn c;
        struct harness_http_resp a, b;
        const char *text = "POST /ready HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                           "GET /live HTTP/1.1\r\nHost: x\r\n\r\n";

        cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
        cr_assert_eq(harness_conn_send(&c, text, strlen(text)), 0);
        cr_assert_eq(harness_conn_response(&c, 0, &a, ANSWER_MS), 0, "POST: %s", a.why);
        expect(&s, &a, "POST /ready with a body", 405, NULL);
        if (harness_conn_response(&c, 0, &b, ANSWER_MS) == 0)
            expect(&s, &b, "GET /live after a POST with a body", 200, "live\n");
        harness_conn_close(&c);
    }
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live at the end", 200, "live\n");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* Sends raw bytes on a fresh connection and expects status, then the connection closed. */
static void
expect_status_and_close(const struct harness_serve *s, const char *what, const char *raw,
                        size_t len, int status)
{
    static struct harness_conn c;
    struct harness_http_resp r;
    double after = 0;
    size_t extra = 0;

    cr_assert_eq(harness_conn_open(&c, s->host, s->port, ANSWER_MS), 0, "%s: connect", what);
    /* the server may close before it read everything: that is fine */
    harness_conn_send(&c, raw, len);
    cr_assert_eq(harness_conn_response(&c, 0, &r, ANSWER_MS), 0, "%s: no answer (%s)" SV_LOG, what,
                 r.why, slog(s));
    expect(s, &r, what, status, NULL);
    cr_assert_eq(harness_conn_wait_close(&c, 1000, &after, &extra), 1,
                 "%s: the connection stays open after %d", what, status);
    cr_assert_eq(extra, 0, "%s: %zu more bytes after the %d answer", what, extra, status);
    harness_conn_close(&c);
}

Test(serve, malformed_request_is_400_and_the_connection_is_closed, .timeout = 20)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /live\r\n\r\n",
        "GET /live HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        "GET /live FTP/1.1\r\nHost: x\r\n\r\n",
        "GET /live HTTP/1.1\r\nNoColonHere\r\nHost: x\r\n\r\n",
        "GET /live HTTP/1.1\r\n: no name\r\n\r\n",
        "GET /live HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
        "GET /live HTTP/1.1\r\nHo\001st: x\r\n\r\n",
    };
    char web[256], what[128], first[64];
    const char *argv[] = {"--interval", "10m", web, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    size_t i;

    url_http(web, sizeof(web), "web", "/ok");
    serve_start(&s, "127.0.0.1", argv, NULL);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pt_copy_field(first, sizeof(first), bad[i], strcspn(bad[i], "\r"));
        snprintf(what, sizeof(what), "request %zu (%s)", i, first);
        expect_status_and_close(&s, what, bad[i], strlen(bad[i]), 400);
    }
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live after the bad requests", 200, "live\n");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* Fills buf with a GET /live whose request line and headers take exactly size bytes, the
 * blank line included; with end 0 it stops before the blank line and never ends. */
static size_t
sized_request(char *buf, size_t buflen, size_t size, int end)
{
    const char *start = "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ";
    size_t n = strlen(start), pad;

    cr_assert(size > n + 4 && size < buflen, "bad size %zu", size);
    pad = size - n - 4;
    memcpy(buf, start, n);
    memset(buf + n, 'a', pad);
    memcpy(buf + n + pad, "\r\n\r\n", 4);
    buf[size] = '\0';
    return end ? size : size - 2;
}

Test(serve, request_head_over_8k_is_431_and_the_connection_is_closed, .timeout = 20)
{
    static char big[32768];
    char web[256];
    const char *argv[] = {"--interval", "10m", web, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    size_t n;
    double t0;

    url_http(web, sizeof(web), "web", "/ok");
    serve_start(&s, "127.0.0.1", argv, NULL);
    /* just under the limit is an ordinary request */
    n = sized_request(big, sizeof(big), 7 * 1024, 1);
    cr_assert_eq(harness_http(s.host, s.port, big, &r, ANSWER_MS), 0, "7 KiB: %s" SV_LOG, r.why,
                 slog(&s));
    expect(&s, &r, "a 7 KiB request", 200, "live\n");
    /* over it, complete */
    n = sized_request(big, sizeof(big), 9 * 1024, 1);
    expect_status_and_close(&s, "a 9 KiB request", big, n, 431);
    /* over it and never ending: answered as soon as the limit is passed, not at the 5 s mark */
    n = sized_request(big, sizeof(big), 20000, 0);
    t0 = harness_now_ms();
    expect_status_and_close(&s, "an endless 20 KB header", big, n, 431);
    cr_assert(harness_now_ms() - t0 < 1500, "431 came after %.0f ms", harness_now_ms() - t0);
    /* a request line alone over the limit */
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', 10000);
    strcpy(big + 10005, " HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_status_and_close(&s, "a 10 KB request line", big, strlen(big), 431);
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live afterwards", 200, "live\n");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* ---- rounds ---- */

Test(serve, before_the_first_round_ends_ready_is_503_and_health_has_no_checks, .timeout = 20)
{
    char slow[256], v[256];
    const char *argv[] = {"--interval", "10m", "--timeout", "5s", slow, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    double ready_at;

    url_http(slow, sizeof(slow), "slow", "/slow?ms=1500");
    serve_start(&s, "127.0.0.1", argv, NULL);
    req(&s, "GET", "/ready", &r);
    expect(&s, &r, "GET /ready before the first round", 503,
           "not ready: no round has finished yet\n");
    cr_assert(r.elapsed_ms < FAST_MS, "/ready took %.0f ms while a round runs", r.elapsed_ms);
    req(&s, "GET", "/health", &r);
    expect(&s, &r, "GET /health before the first round", 503, NULL);
    cr_assert(r.elapsed_ms < FAST_MS, "/health took %.0f ms while a round runs", r.elapsed_ms);
    expect_header(&r, "GET /health", "Content-Type", "application/health+json");
    expect_health_doc(&r, "fail");
    cr_assert_eq(pt_json_get(r.body, "checks", v, sizeof(v)), 0, "no checks: %s", r.body);
    cr_assert(pt_match(v, "^\\{[ \n]*\\}$", 0), "checks is %s, expected {}", v);
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live before the first round", 200, "live\n");
    req(&s, "GET", "/metrics", &r);
    expect(&s, &r, "GET /metrics before the first round", 200, NULL);
    cr_assert_eq(metric(&r, "probe_rounds_total", NULL), 0.0, "rounds before the first ends");
    /* then the round ends, 1.5 s after it started */
    wait_status(&s, "/ready", 200, 5000);
    ready_at = harness_now_ms() - s.started_ms;
    cr_assert(ready_at >= 1400 && ready_at <= 3000,
              "ready %.0f ms after the start; the check takes 1500 ms", ready_at);
    req(&s, "GET", "/health", &r);
    expect(&s, &r, "GET /health after the first round", 200, NULL);
    cr_assert_eq(pt_json_get(r.body, "checks/slow:responseTime/0/observedValue", v, sizeof(v)), 0);
    cr_assert(atof(v) >= 1400 && atof(v) < 3000, "observedValue %s for a 1500 ms check", v);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* Accepts every pending connection on a non-blocking listener; how many there were. */
static int
accept_all(int lfd)
{
    int n = 0, fd;

    while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        close(fd);
        n++;
    }
    return n;
}

Test(serve, requests_never_start_a_check, .timeout = 20)
{
    static const char *const paths[] = {"/health", "/health/port", "/ready", "/metrics", "/live"};
    char port_url[128];
    const char *argv[] = {"--interval", "10m", port_url, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    int lport = 0, lfd = harness_listener("127.0.0.1", 256, &lport), first, later, i;

    cr_assert(lfd >= 0, "no listener");
    cr_assert_eq(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
    snprintf(port_url, sizeof(port_url), "port=tcp://127.0.0.1:%d", lport);
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    usleep(100000);
    first = accept_all(lfd);
    cr_assert(first >= 1, "the first round did not connect to the target");
    for (i = 0; i < 50; i++) {
        req(&s, "GET", paths[i % 5], &r);
        cr_assert(r.status == 200, "GET %s: %d", paths[i % 5], r.status);
        req(&s, "HEAD", paths[i % 5], &r);
    }
    usleep(300000);
    later = accept_all(lfd);
    cr_assert_eq(later, 0, "100 requests made %d connections to the target", later);
    cr_assert_eq(rounds_now(&s), 1, "requests started a round");
    serve_stop_ok(&s);
    close(lfd);
    harness_serve_cleanup(&s);
}

Test(serve, interval_is_the_time_between_the_starts_of_two_rounds, .timeout = 20)
{
    char slow[256];
    const char *argv[] = {"--interval", "250ms", "--timeout", "2s", slow, NULL};
    struct harness_serve s;
    long n1, n2;
    double t1, t2;

    /* a round takes 150 ms: starts 250 ms apart give 4 rounds a second, a 250 ms pause after
     * each round would give 2.5 */
    url_http(slow, sizeof(slow), "slow", "/slow?ms=150");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 2, 5000);
    t1 = harness_now_ms();
    n1 = rounds_now(&s);
    usleep(2000000);
    n2 = rounds_now(&s);
    t2 = harness_now_ms();
    cr_assert(n2 - n1 >= 7 && n2 - n1 <= 9, "%ld rounds in %.0f ms at an interval of 250 ms",
              n2 - n1, t2 - t1);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, checks_of_a_round_run_together_and_rounds_never_overlap, .timeout = 20)
{
    char a[256], b[256], c[256];
    const char *argv[] = {"--interval", "100ms", "--timeout", "2s", a, b, c, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    long n1, n2;
    double round;

    /* three 400 ms checks: together a round takes 0.4 s, one after the other 1.2 s; at an
     * interval of 100 ms, overlapping rounds would finish 10 a second */
    url_http(a, sizeof(a), "a", "/slow?ms=400");
    url_http(b, sizeof(b), "b", "/slow?ms=400");
    url_http(c, sizeof(c), "c", "/slow?ms=400");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    n1 = rounds_now(&s);
    usleep(2000000);
    req(&s, "GET", "/metrics", &r);
    n2 = (long)metric(&r, "probe_rounds_total", NULL);
    round = metric(&r, "probe_round_duration_seconds", NULL);
    cr_assert(round >= 0.38 && round < 0.8, "a round of three 400 ms checks took %.3f s", round);
    cr_assert(n2 - n1 >= 3 && n2 - n1 <= 6, "%ld rounds of 400 ms in 2 s", n2 - n1);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* ---- rise, fall and the log ---- */

/* One moment of the server: /metrics, /ready, /metrics again. */
struct moment {
    long rounds;
    long failures;
    int ready;
    int health;
};

/* 0 when no round finished between the two /metrics, so the three answers describe the same
 * round; -1 otherwise (try again). */
static int
moment_of(const struct harness_serve *s, const char *check, struct moment *m)
{
    static struct harness_http_resp a, b, rd, h;

    req(s, "GET", "/metrics", &a);
    req(s, "GET", "/ready", &rd);
    req(s, "GET", "/health", &h);
    req(s, "GET", "/metrics", &b);
    cr_assert(a.status == 200 && b.status == 200, "/metrics failed" SV_LOG, slog(s));
    if (metric(&a, "probe_rounds_total", NULL) != metric(&b, "probe_rounds_total", NULL))
        return -1;
    m->rounds = (long)metric(&a, "probe_rounds_total", NULL);
    m->failures = (long)metric(&a, "probe_check_failures_total", check);
    m->ready = rd.status;
    m->health = h.status;
    cr_assert_eq(m->health, m->ready, "in the same round /health says %d and /ready %d" SV_LOG,
                 m->health, m->ready, slog(s));
    return 0;
}

/* Takes the target down and brings it back, and checks that /ready follows the rounds: 200
 * until fall rounds in a row have failed, 503 from then on; after the restart 503 until rise
 * rounds in a row have passed, 200 from then on. probe_check_failures_total and
 * probe_rounds_total tell which rounds failed. */
static void
flap(const struct harness_serve *s, struct harness_redis *rd, const char *check, int rise, int fall)
{
    char err[HARNESS_ERRLEN];
    struct moment m, p;
    long f0, lf_lo, lf_hi, k, pmin, pmax;
    int below = 0, done = 0;
    double end;

    /* The first round sets the state directly: ready after one passing round, whatever rise. */
    end = harness_now_ms() + 5000;
    for (;;) {
        cr_assert(harness_now_ms() < end, "no round in 5 s" SV_LOG, slog(s));
        if (moment_of(s, check, &m) != 0 || m.rounds == 0)
            continue;
        cr_assert_eq(m.ready, 200, "/ready %d after %ld round(s) that passed, rise %d" SV_LOG,
                     m.ready, m.rounds, rise, slog(s));
        below |= m.rounds < rise;
        if (m.rounds > rise)
            break;
    }
    cr_assert(rise == 1 || below, "missed the end of the first round");
    f0 = m.failures;
    below = 0;

    harness_redis_kill(rd);
    end = harness_now_ms() + 6000;
    while (!done) {
        cr_assert(harness_now_ms() < end, "after 6 s, %ld failed rounds, ready %d" SV_LOG,
                  m.failures - f0, m.ready, slog(s));
        usleep(20000);
        if (moment_of(s, check, &m) != 0)
            continue;
        k = m.failures - f0;
        if (k < fall) {
            cr_assert_eq(m.ready, 200, "/ready %d after %ld failed round(s), fall %d" SV_LOG,
                         m.ready, k, fall, slog(s));
            below |= k > 0;
        } else {
            cr_assert_eq(m.ready, 503, "/ready %d after %ld failed rounds, fall %d" SV_LOG, m.ready,
                         k, fall, slog(s));
            done = k > fall;
        }
    }
    cr_assert(fall == 1 || below, "never saw fewer than %d failed rounds", fall);

    /* Every round since the first failure failed, so round m.rounds did. From here on the last
     * failed round is known to lie in [lf_lo, lf_hi]. */
    p = m;
    lf_lo = lf_hi = m.rounds;
    cr_assert_eq(harness_redis_restart(rd, err, sizeof(err)), 0, "%s", err);
    below = done = 0;
    end = harness_now_ms() + 6000;
    while (!done) {
        cr_assert(harness_now_ms() < end, "6 s after the restart, ready %d" SV_LOG, m.ready,
                  slog(s));
        usleep(20000);
        if (moment_of(s, check, &m) != 0)
            continue;
        if (m.failures != p.failures) {
            lf_lo = p.rounds + 1;
            lf_hi = m.rounds;
        }
        p = m;
        pmin = m.rounds - lf_hi;
        pmax = m.rounds - lf_lo;
        if (pmax < rise) {
            cr_assert_eq(m.ready, 503, "/ready %d after %ld passing round(s), rise %d" SV_LOG,
                         m.ready, pmax, rise, slog(s));
            below |= pmin > 0;
        } else if (pmin >= rise) {
            cr_assert_eq(m.ready, 200, "/ready %d after %ld passing rounds, rise %d" SV_LOG,
                         m.ready, pmin, rise, slog(s));
            done = pmin > rise;
        }
    }
    cr_assert(rise == 1 || below, "never saw fewer than %d passing rounds", rise);
}

/* A redis of the test's own, which flap() stops and starts again on the same port. */
static void
own_redis(struct harness_redis *rd, char *url, size_t len, const char *name)
{
    char err[HARNESS_ERRLEN];

    memset(rd, 0, sizeof(*rd));
    cr_assert_eq(harness_redis_start(rd, err, sizeof(err)), 0, "%s", err);
    snprintf(url, len, "%s=redis://:%s@127.0.0.1:%d", name, HARNESS_REDIS_PASSWORD, rd->port);
}

Test(serve, fall_and_rise_hold_the_state_and_text_log_has_one_line_per_change, .timeout = 20)
{
    char cache[256], line[4096], re[256], listen[64];
    const char *argv[] = {"--interval", "200ms",  "--timeout", "150ms", "--fall",
                          "2",          "--rise", "2",         cache,   NULL};
    struct harness_serve s;
    struct harness_redis rd;
    const char *log;

    own_redis(&rd, cache, sizeof(cache), "cache");
    serve_start(&s, "127.0.0.1", argv, NULL);
    flap(&s, &rd, "cache", 2, 2);
    serve_stop_ok(&s);
    harness_proc_stop(&rd.proc);

    log = slog(&s);
    snprintf(listen, sizeof(listen), "listening on 127.0.0.1:%d", s.port);
    cr_assert(strstr(log, listen) != NULL, "no \"%s\" line" SV_LOG, listen, log);
    cr_assert_eq(count_lines_with(log, "stopped"), 1, "one \"stopped\" line" SV_LOG, log);
    cr_assert_eq(count_lines_with(log, "check=cache "), 3, "three state changes" SV_LOG, log);
    nth_line_with(log, "check=cache ", 0, line, sizeof(line));
    cr_assert(pt_match(line, "^" TIME_RE " check=cache state=up previous=unknown$", 0),
              "first state line: %s" SV_LOG, line, log);
    nth_line_with(log, "check=cache ", 1, line, sizeof(line));
    snprintf(re, sizeof(re),
             "^%s check=cache state=down previous=up output=\"([^\"\\\\]|\\\\.)+\"$", TIME_RE);
    cr_assert(pt_match(line, re, 0), "second state line: %s" SV_LOG, line, log);
    nth_line_with(log, "check=cache ", 2, line, sizeof(line));
    cr_assert(pt_match(line, "^" TIME_RE " check=cache state=up previous=down$", 0),
              "third state line: %s" SV_LOG, line, log);
    assert_no_password("the log", log, HARNESS_REDIS_PASSWORD);
    harness_serve_cleanup(&s);
}

Test(serve, default_fall_and_rise_flip_at_once_and_json_log_has_one_object_per_change,
     .timeout = 20)
{
    static const char *const want[3][2] = {{"up", "unknown"}, {"down", "up"}, {"up", "down"}};
    char cache[256], line[4096], v[1024], listen[64];
    const char *argv[] = {"--interval",   "200ms", "--timeout", "150ms",
                          "--log-format", "json",  cache,       NULL};
    struct harness_serve s;
    struct harness_redis rd;
    const char *log;
    int i;

    own_redis(&rd, cache, sizeof(cache), "cache");
    serve_start(&s, "127.0.0.1", argv, NULL);
    flap(&s, &rd, "cache", 1, 1);
    serve_stop_ok(&s);
    harness_proc_stop(&rd.proc);

    log = slog(&s);
    snprintf(listen, sizeof(listen), "listening on 127.0.0.1:%d", s.port);
    cr_assert(strstr(log, listen) != NULL, "no \"%s\" line" SV_LOG, listen, log);
    cr_assert_eq(count_lines_with(log, "stopped"), 1, "one \"stopped\" line" SV_LOG, log);
    cr_assert_eq(count_lines_with(log, "\"cache\""), 3, "three state changes" SV_LOG, log);
    for (i = 0; i < 3; i++) {
        nth_line_with(log, "\"cache\"", i, line, sizeof(line));
        cr_assert(pt_json_valid(line), "not a JSON object: %s", line);
        cr_assert_eq(pt_json_get(line, "check", v, sizeof(v)), 0, "no check: %s", line);
        cr_assert_str_eq(v, "cache", "check in %s", line);
        cr_assert_eq(pt_json_get(line, "state", v, sizeof(v)), 0, "no state: %s", line);
        cr_assert_str_eq(v, want[i][0], "state in line %d: %s", i, line);
        cr_assert_eq(pt_json_get(line, "previous", v, sizeof(v)), 0, "no previous: %s", line);
        cr_assert_str_eq(v, want[i][1], "previous in line %d: %s", i, line);
        cr_assert_eq(pt_json_get(line, "time", v, sizeof(v)), 0, "no time: %s", line);
        cr_assert(pt_match(v, "^" TIME_RE "$", 0), "time \"%s\"", v);
        if (strcmp(want[i][0], "down") == 0) {
            cr_assert_eq(pt_json_get(line, "output", v, sizeof(v)), 0, "no output: %s", line);
            cr_assert(v[0] != '\0', "empty output: %s", line);
        } else {
            cr_assert_eq(pt_json_get(line, "output", v, sizeof(v)), -1, "output when up: %s", line);
        }
    }
    assert_no_password("the log", log, HARNESS_REDIS_PASSWORD);
    harness_serve_cleanup(&s);
}

/* The output goes between double quotes, so quotes and backslashes in it are escaped: the
 * failure text of --expect-body quotes the expected text, here 'no"such\text'. */
Test(serve, text_log_escapes_quotes_and_backslashes_in_the_output, .timeout = 20)
{
    char web[256], line[4096];
    const char *argv[] = {"--interval", "10m", "--expect-body", "no\"such\\text", web, NULL};
    struct harness_serve s;

    url_http(web, sizeof(web), "web", "/ok");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    serve_stop_ok(&s);
    cr_assert_eq(nth_line_with(slog(&s), "check=web ", 0, line, sizeof(line)), 0,
                 "no state line" SV_LOG, slog(&s));
    cr_assert(pt_match(line,
                       "^" TIME_RE " check=web state=down previous=unknown "
                       "output=\"body does not contain \\\\\"no\\\\\"such\\\\\\\\text\\\\\"\"$",
                       0),
              "state line: %s", line);
    harness_serve_cleanup(&s);
}

Test(serve, first_round_sets_the_state_directly_whatever_rise_and_fall, .timeout = 20)
{
    char web[256], bad[256], line[4096];
    const char *argv[] = {"--interval", "10m", "--rise", "3", "--fall", "3", web, bad, NULL};
    struct harness_serve s;
    struct harness_http_resp r;

    url_http(web, sizeof(web), "web", "/ok");
    url_http(bad, sizeof(bad), "bad", "/500");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 5000);
    req(&s, "GET", "/health/web", &r);
    expect(&s, &r, "GET /health/web after one round", 200, NULL);
    req(&s, "GET", "/health/bad", &r);
    expect(&s, &r, "GET /health/bad after one round", 503, NULL);
    req(&s, "GET", "/ready", &r);
    expect(&s, &r, "GET /ready after one round", 503,
           "not ready: bad (status)\nbad: HTTP 500: internal error\n");
    serve_stop_ok(&s);
    cr_assert_eq(nth_line_with(slog(&s), "check=web ", 0, line, sizeof(line)), 0,
                 "no state line for web" SV_LOG, slog(&s));
    cr_assert(pt_match(line, "^" TIME_RE " check=web state=up previous=unknown$", 0), "%s", line);
    cr_assert_eq(nth_line_with(slog(&s), "check=bad ", 0, line, sizeof(line)), 0,
                 "no state line for bad" SV_LOG, slog(&s));
    cr_assert(
        pt_match(line, "^" TIME_RE " check=bad state=down previous=unknown output=\"HTTP 500", 0),
        "%s", line);
    harness_serve_cleanup(&s);
}

Test(serve, timeout_is_the_deadline_of_each_round, .timeout = 20)
{
    char slow[256], web[256], v[256];
    const char *argv[] = {"--interval", "10m", "--timeout", "300ms", slow, web, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    double round;

    url_http(slow, sizeof(slow), "slow", "/slow?ms=3000");
    url_http(web, sizeof(web), "web", "/ok");
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 1, 2000);
    cr_assert(harness_now_ms() - s.started_ms < 1000,
              "the first round ended %.0f ms after the start", harness_now_ms() - s.started_ms);
    req(&s, "GET", "/metrics", &r);
    round = metric(&r, "probe_round_duration_seconds", NULL);
    cr_assert(round >= 0.28 && round < 0.5, "a round with a 300 ms deadline took %.3f s", round);
    req(&s, "GET", "/health/slow", &r);
    expect(&s, &r, "GET /health/slow", 503, NULL);
    cr_assert_eq(pt_json_get(r.body, "checks/slow:responseTime/0/output", v, sizeof(v)), 0, "%s",
                 r.body);
    cr_assert(pt_match(v, "^timeout after 300ms \\(", 0), "output \"%s\"", v);
    req(&s, "GET", "/health/web", &r);
    expect(&s, &r, "GET /health/web", 200, NULL);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* ---- /metrics ---- */

/* "# HELP name text" and "# TYPE name type" are both there. */
static void
expect_help_type(const struct harness_http_resp *r, const char *name, const char *type)
{
    char re[256];

    snprintf(re, sizeof(re), "^# HELP %s [^ ].*$", name);
    cr_assert(pt_match(r->body, re, 0), "no HELP line for %s\n--- body:\n%s", name, r->body);
    snprintf(re, sizeof(re), "^# TYPE %s %s$", name, type);
    cr_assert(pt_match(r->body, re, 0), "no \"# TYPE %s %s\"\n--- body:\n%s", name, type, r->body);
}

/* The four series of one check, with their labels, and the check's values. */
static void
expect_check_series(const struct harness_http_resp *r, const char *check, const char *type, int up)
{
    static const char *const names[] = {"probe_check_up", "probe_check_duration_seconds",
                                        "probe_check_failures_total",
                                        "probe_check_last_success_timestamp_seconds"};
    char labels[256], want[128];
    double v, rounds = metric(r, "probe_rounds_total", NULL), now = (double)time(NULL);
    size_t i;

    snprintf(want, sizeof(want), "type=\"%s\"", type);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cr_assert_eq(metric_find(r->body, names[i], check, &v, labels, sizeof(labels)), 0,
                     "no %s{check=\"%s\"}\n--- body:\n%s", names[i], check, r->body);
        cr_assert(strstr(labels, want) != NULL, "%s{%s}: expected %s", names[i], labels, want);
    }
    v = metric(r, "probe_check_up", check);
    cr_assert_eq(v, (double)up, "probe_check_up{check=\"%s\"} is %g", check, v);
    v = metric(r, "probe_check_duration_seconds", check);
    cr_assert(v >= 0 && v < 2.0, "probe_check_duration_seconds{check=\"%s\"} is %g", check, v);
    v = metric(r, "probe_check_failures_total", check);
    if (up)
        cr_assert_eq(v, 0.0, "probe_check_failures_total{check=\"%s\"} is %g", check, v);
    else
        cr_assert_eq(v, rounds, "%s failed in every one of %g rounds, failures_total is %g", check,
                     rounds, v);
    v = metric(r, "probe_check_last_success_timestamp_seconds", check);
    if (up)
        cr_assert(v > now - 10 && v <= now + 1, "last success of %s at %.0f, now %.0f", check, v,
                  now);
    else
        cr_assert_eq(v, 0.0, "last success of %s, which never passed, is %g", check, v);
}

Test(serve, metrics_have_help_type_and_the_series_of_every_check, .timeout = 20)
{
    char web[256], tls[256], cache[256], db[256], gone[128], ca[HARNESS_PATH + 16];
    const char *argv[] = {"--interval", "200ms", "--timeout", "2s", "--cacert", ca,
                          web,          tls,     cache,       db,   gone,       NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    double v;

    snprintf(ca, sizeof(ca), "%s", pt_env("PT_HTTPS_CA"));
    url_http(web, sizeof(web), "web", "/ok");
    snprintf(tls, sizeof(tls), "tls=https://127.0.0.1:%d/", pt_env_int("PT_HTTPS_PORT"));
    snprintf(cache, sizeof(cache), "cache=redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD,
             pt_env_int("PT_REDIS_PORT"));
    snprintf(db, sizeof(db), "db=mysql://%s:%s@127.0.0.1:%d/%s", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, pt_env_int("PT_MYSQL_PORT"), HARNESS_MYSQL_DB);
    snprintf(gone, sizeof(gone), "gone=tcp://127.0.0.1:%d", harness_free_port());
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 3, 5000);
    req(&s, "GET", "/metrics", &r);
    expect(&s, &r, "GET /metrics", 200, NULL);
    expect_header(&r, "GET /metrics", "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    expect_help_type(&r, "probe_check_up", "gauge");
    expect_help_type(&r, "probe_check_duration_seconds", "gauge");
    expect_help_type(&r, "probe_check_failures_total", "counter");
    expect_help_type(&r, "probe_check_last_success_timestamp_seconds", "gauge");
    expect_help_type(&r, "probe_round_duration_seconds", "gauge");
    expect_help_type(&r, "probe_rounds_total", "counter");
    expect_help_type(&r, "probe_build_info", "gauge");
    expect_check_series(&r, "web", "http", 1);
    /* One name per kind: an https check is of the http kind, as in the health document. */
    expect_check_series(&r, "tls", "http", 1);
    expect_check_series(&r, "cache", "redis", 1);
    expect_check_series(&r, "db", "mysql", 1);
    expect_check_series(&r, "gone", "tcp", 0);
    v = metric(&r, "probe_rounds_total", NULL);
    cr_assert(v >= 3, "probe_rounds_total %g", v);
    v = metric(&r, "probe_round_duration_seconds", NULL);
    cr_assert(v >= 0 && v < 2.0, "probe_round_duration_seconds %g", v);
    cr_assert(pt_match(r.body, "^probe_build_info\\{version=\"" VERSION "\"\\} 1$", 0),
              "no probe_build_info{version=\"" VERSION "\"} 1\n--- body:\n%s", r.body);
    assert_no_password("/metrics", r.body, HARNESS_REDIS_PASSWORD);
    assert_no_password("/metrics", r.body, HARNESS_MYSQL_PASSWORD);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, failures_total_grows_while_down_and_last_success_moves_while_up, .timeout = 20)
{
    char web[256], gone[128];
    const char *argv[] = {"--interval", "200ms", "--timeout", "1s", web, gone, NULL};
    struct harness_serve s;
    struct harness_http_resp a, b;
    double fa, fb, ra, rb, la, lb;

    url_http(web, sizeof(web), "web", "/ok");
    snprintf(gone, sizeof(gone), "gone=tcp://127.0.0.1:%d", harness_free_port());
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 2, 5000);
    req(&s, "GET", "/metrics", &a);
    usleep(1500000);
    req(&s, "GET", "/metrics", &b);
    ra = metric(&a, "probe_rounds_total", NULL);
    rb = metric(&b, "probe_rounds_total", NULL);
    fa = metric(&a, "probe_check_failures_total", "gone");
    fb = metric(&b, "probe_check_failures_total", "gone");
    la = metric(&a, "probe_check_last_success_timestamp_seconds", "web");
    lb = metric(&b, "probe_check_last_success_timestamp_seconds", "web");
    cr_assert(rb - ra >= 5, "%g rounds in 1.5 s at 200 ms", rb - ra);
    cr_assert_eq(fb - fa, rb - ra, "gone failed %g times in %g rounds", fb - fa, rb - ra);
    cr_assert_eq(metric(&b, "probe_check_failures_total", "web"), 0.0, "web never failed");
    cr_assert(lb - la >= 1.0 && lb - la <= 2.0, "web's last success moved by %g s in 1.5 s",
              lb - la);
    cr_assert_eq(metric(&b, "probe_check_up", "gone"), 0.0);
    cr_assert_eq(metric(&b, "probe_check_up", "web"), 1.0);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* ---- connections ---- */

/* web (http /ok), rounds far apart, the first one done. */
static void
start_web(struct harness_serve *s, char *web, size_t len)
{
    const char *argv[] = {"--interval", "10m", web, NULL};

    url_http(web, len, "web", "/ok");
    serve_start(s, "127.0.0.1", argv, NULL);
    wait_status(s, "/ready", 200, 5000);
}

static void
conn_expect(const struct harness_serve *s, struct harness_conn *c, const char *what, int head,
            int status, const char *body)
{
    struct harness_http_resp r;

    cr_assert_eq(harness_conn_response(c, head, &r, ANSWER_MS), 0, "%s: no answer (%s)" SV_LOG,
                 what, r.why, slog(s));
    if (head)
        expect_head(s, &r, what, status);
    else
        expect(s, &r, what, status, body);
}

#define GET_LIVE "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

Test(serve, keep_alive_answers_three_requests_on_one_connection, .timeout = 20)
{
    static struct harness_conn c;
    static const char *const reqs[] = {GET_LIVE, "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                                       GET_LIVE};
    static const char *const bodies[] = {"live\n", "ready\n", "live\n"};
    char web[256];
    struct harness_serve s;
    int i;

    start_web(&s, web, sizeof(web));
    cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
    for (i = 0; i < 3; i++) {
        cr_assert_eq(harness_conn_send(&c, reqs[i], strlen(reqs[i])), 0,
                     "request %d: the connection is gone", i + 1);
        conn_expect(&s, &c, "a request on a kept-alive connection", 0, 200, bodies[i]);
    }
    cr_assert_eq(harness_conn_wait_close(&c, 200, NULL, NULL), 0, "closed after three requests");
    harness_conn_close(&c);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, pipelined_requests_are_answered_in_order, .timeout = 20)
{
    static struct harness_conn c;
    const char *text = GET_LIVE "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                "HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                "GET /nosuch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" GET_LIVE;
    char web[256];
    struct harness_serve s;
    struct harness_http_resp r;

    start_web(&s, web, sizeof(web));
    cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
    cr_assert_eq(harness_conn_send(&c, text, strlen(text)), 0);
    conn_expect(&s, &c, "pipelined 1: GET /live", 0, 200, "live\n");
    conn_expect(&s, &c, "pipelined 2: GET /ready", 0, 200, "ready\n");
    conn_expect(&s, &c, "pipelined 3: HEAD /health", 1, 200, NULL);
    conn_expect(&s, &c, "pipelined 4: GET /nosuch", 0, 404, NULL);
    cr_assert_eq(harness_conn_response(&c, 0, &r, ANSWER_MS), 0, "pipelined 5: %s", r.why);
    expect(&s, &r, "pipelined 5: GET /health", 200, NULL);
    cr_assert(pt_json_valid(r.body), "pipelined 5: not JSON: %s", r.body);
    conn_expect(&s, &c, "pipelined 6: GET /live", 0, 200, "live\n");
    harness_conn_close(&c);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* The request gets its answer, then the server closes the connection. */
static void
expect_answer_then_close(const struct harness_serve *s, const char *what, const char *text)
{
    static struct harness_conn c;
    double after = 0;
    size_t extra = 0;

    cr_assert_eq(harness_conn_open(&c, s->host, s->port, ANSWER_MS), 0);
    cr_assert_eq(harness_conn_send(&c, text, strlen(text)), 0);
    conn_expect(s, &c, what, 0, 200, "live\n");
    cr_assert_eq(harness_conn_wait_close(&c, 1000, &after, &extra), 1,
                 "%s: the connection stays open", what);
    cr_assert_eq(extra, 0, "%s: %zu more bytes", what, extra);
    harness_conn_close(&c);
}

Test(serve, connection_close_and_http_1_0_close_after_the_answer, .timeout = 20)
{
    static struct harness_conn c;
    const char *ka = "GET /live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    char web[256];
    struct harness_serve s;

    start_web(&s, web, sizeof(web));
    expect_answer_then_close(&s, "HTTP/1.1 with Connection: close",
                             "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect_answer_then_close(&s, "HTTP/1.1 with Connection: Close",
                             "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nconnection: Close\r\n\r\n");
    expect_answer_then_close(&s, "HTTP/1.0", "GET /live HTTP/1.0\r\n\r\n");
    /* HTTP/1.0 asking for keep-alive keeps the connection */
    cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
    cr_assert_eq(harness_conn_send(&c, ka, strlen(ka)), 0);
    conn_expect(&s, &c, "HTTP/1.0 keep-alive, first", 0, 200, "live\n");
    cr_assert_eq(harness_conn_wait_close(&c, 300, NULL, NULL), 0,
                 "HTTP/1.0 with keep-alive was closed");
    cr_assert_eq(harness_conn_send(&c, ka, strlen(ka)), 0);
    conn_expect(&s, &c, "HTTP/1.0 keep-alive, second", 0, 200, "live\n");
    harness_conn_close(&c);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, idle_keep_alive_connection_is_closed_after_5s, .timeout = 20)
{
    static struct harness_conn c;
    char web[256];
    struct harness_serve s;
    double after = 0;
    size_t extra = 0;

    start_web(&s, web, sizeof(web));
    cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
    cr_assert_eq(harness_conn_send(&c, GET_LIVE, strlen(GET_LIVE)), 0);
    conn_expect(&s, &c, "GET /live", 0, 200, "live\n");
    cr_assert_eq(harness_conn_wait_close(&c, IDLE_MS + 3000, &after, &extra), 1,
                 "an idle connection is still open after %d ms", IDLE_MS + 3000);
    cr_assert(after >= IDLE_MS - 500 && after <= IDLE_MS + 1500,
              "an idle connection was closed after %.0f ms", after);
    harness_conn_close(&c);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* A slowloris client sends one header byte every 300 ms and never finishes. Meanwhile other
 * clients are answered at once, and the slow one is dropped about 5 s after it connected. */
Test(serve, slowloris_does_not_delay_others_and_is_dropped_after_5s, .timeout = 20)
{
    static char text[8192];
    char web[256], got[512];
    struct harness_serve s;
    struct harness_http_resp r;
    double t0, next, closed_at = -1, worst = 0;
    size_t sent = 0, ngot = 0, len;
    int fd, normal = 0;

    start_web(&s, web, sizeof(web));
    len = sized_request(text, sizeof(text), 4000, 0);
    fd = harness_connect(s.host, s.port, ANSWER_MS);
    cr_assert(fd >= 0, "connect");
    t0 = next = harness_now_ms();
    while (closed_at < 0 && harness_now_ms() - t0 < IDLE_MS + 3000) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int wait = (int)(next - harness_now_ms());

        if (poll(&pfd, 1, wait > 0 ? wait : 0) == 1) {
            ssize_t n = recv(fd, got + ngot, sizeof(got) - 1 - ngot, MSG_DONTWAIT);

            if (n > 0) {
                ngot += (size_t)n;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                closed_at = harness_now_ms() - t0;
            }
            continue;
        }
        if (harness_now_ms() < next)
            continue;
        if (sent < len && send(fd, text + sent, 1, MSG_NOSIGNAL) != 1) {
            closed_at = harness_now_ms() - t0;
            break;
        }
        sent++;
        next += 300;
        /* a normal client, now and then, while the slow one is open */
        if (sent % 3 == 0) {
            req(&s, "GET", "/live", &r);
            expect(&s, &r, "GET /live beside a slowloris", 200, "live\n");
            if (r.elapsed_ms > worst)
                worst = r.elapsed_ms;
            normal++;
        }
    }
    close(fd);
    got[ngot] = '\0';
    cr_assert(normal >= 4, "only %d normal requests were made", normal);
    cr_assert(worst < FAST_MS, "a normal request took %.0f ms beside a slowloris", worst);
    cr_assert(closed_at >= 0, "the slow client is still open after %d ms (%zu bytes sent)",
              IDLE_MS + 3000, sent);
    cr_assert(closed_at >= IDLE_MS - 500 && closed_at <= IDLE_MS + 1000,
              "the slow client was closed after %.0f ms", closed_at);
    cr_assert(ngot == 0 || strncmp(got, "HTTP/1.1 408", 12) == 0,
              "before closing, the server sent: %s", got);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

#define MANY 1000

/* MANY connections at once: the server keeps at most MAX_CLIENTS and closes the others at once,
 * serves the ones it kept, and a fresh client afterwards gets its answer. */
Test(serve, a_thousand_connections_at_once_do_not_take_the_server_down, .timeout = 20)
{
    static int fds[MANY];
    static double connected[MANY], closed[MANY];
    static struct harness_conn c;
    static struct pollfd pfds[MANY];
    char web[256];
    struct harness_serve s;
    struct harness_http_resp r;
    struct rlimit rl;
    double t0, late = 0;
    int i, nconn = 0, nclosed = 0, nopen, kept = -1, failed = 0;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < MANY + 100) {
        rl.rlim_cur = rl.rlim_max < MANY + 200 ? rl.rlim_max : MANY + 200;
        cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "cannot raise RLIMIT_NOFILE");
    }
    cr_assert(rl.rlim_cur >= MANY + 100, "RLIMIT_NOFILE %lu is too low",
              (unsigned long)rl.rlim_cur);
    start_web(&s, web, sizeof(web));

    t0 = harness_now_ms();
    for (i = 0; i < MANY; i++) {
        fds[i] = harness_connect_start(s.host, s.port);
        connected[i] = closed[i] = -1;
        if (fds[i] < 0)
            failed++;
    }
    cr_assert_eq(failed, 0, "%d connects could not even start", failed);
    /* watch for 4 s, less than the 5 s after which the kept ones may be dropped as idle */
    while (harness_now_ms() - t0 < IDLE_MS - 1000) {
        for (i = 0; i < MANY; i++) {
            pfds[i].fd = closed[i] >= 0 ? -1 : fds[i];
            pfds[i].events = connected[i] >= 0 ? POLLIN : POLLOUT;
            pfds[i].revents = 0;
        }
        if (poll(pfds, MANY, 50) <= 0)
            continue;
        for (i = 0; i < MANY; i++) {
            char b[256];
            ssize_t n;

            if (pfds[i].revents == 0)
                continue;
            if (connected[i] < 0) {
                int err = 0;
                socklen_t el = sizeof(err);

                getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &el);
                connected[i] = harness_now_ms() - t0;
                if (err != 0)
                    closed[i] = connected[i]; /* refused or reset: closed at once too */
                continue;
            }
            n = recv(fds[i], b, sizeof(b), MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                closed[i] = harness_now_ms() - t0;
        }
    }
    for (i = 0; i < MANY; i++) {
        if (connected[i] >= 0)
            nconn++;
        if (closed[i] >= 0) {
            nclosed++;
            if (closed[i] - connected[i] > late)
                late = closed[i] - connected[i];
        } else if (connected[i] >= 0 && kept < 0) {
            kept = i;
        }
    }
    nopen = nconn - nclosed;
    cr_assert(harness_serve_running(&s, NULL), "the server died" SV_LOG, slog(&s));
    cr_assert_eq(nconn, MANY, "only %d of %d connections completed in 4 s", nconn, MANY);
    cr_assert(nopen <= MAX_CLIENTS, "%d connections are open, the limit is %d", nopen, MAX_CLIENTS);
    cr_assert(nopen > 0, "the server kept no connection at all");
    cr_assert(late < 1000, "an extra connection was closed %.0f ms after it was made", late);
    /* the ones it kept are served */
    c.fd = fds[kept];
    c.len = 0;
    fcntl(c.fd, F_SETFL, 0);
    cr_assert_eq(harness_conn_send(&c, GET_LIVE, strlen(GET_LIVE)), 0);
    conn_expect(&s, &c, "GET /live on a kept connection", 0, 200, "live\n");
    for (i = 0; i < MANY; i++)
        close(fds[i]);
    /* and once they are gone, a fresh client is served within a short time */
    t0 = harness_now_ms();
    for (;;) {
        if (harness_http(s.host, s.port, GET_LIVE, &r, 500) == 0 && r.status == 200)
            break;
        cr_assert(harness_now_ms() - t0 < 1000, "no answer to a fresh client 1 s later (%s)" SV_LOG,
                  r.why, slog(&s));
        usleep(20000);
    }
    expect(&s, &r, "GET /live afterwards", 200, "live\n");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* ---- signals, exit codes, listen addresses, config ---- */

/* Sends sig with a kept-alive client connected and another halfway through a request. */
static void
expect_signal_exits_0(int sig)
{
    static struct harness_conn idle, half;
    char web[256];
    const char *part = "GET /live HTTP/1.1\r\nHo";
    struct harness_serve s;
    struct harness_serve_exit x;
    int fd;

    start_web(&s, web, sizeof(web));
    cr_assert_eq(harness_conn_open(&idle, s.host, s.port, ANSWER_MS), 0);
    cr_assert_eq(harness_conn_send(&idle, GET_LIVE, strlen(GET_LIVE)), 0);
    conn_expect(&s, &idle, "GET /live", 0, 200, "live\n");
    cr_assert_eq(harness_conn_open(&half, s.host, s.port, ANSWER_MS), 0);
    cr_assert_eq(harness_conn_send(&half, part, strlen(part)), 0);
    usleep(100000);
    harness_serve_stop(&s, sig, 5000, &x);
    cr_assert(!x.killed, "still running 5 s after signal %d" SV_LOG, sig, slog(&s));
    cr_assert(x.exited && x.exit_code == 0, "after signal %d: exit code %d, signal %d" SV_LOG, sig,
              x.exit_code, x.signo, slog(&s));
    cr_assert(x.elapsed_ms <= EXIT_MS, "exit took %.0f ms after signal %d", x.elapsed_ms, sig);
    cr_assert_eq(count_lines_with(slog(&s), "stopped"), 1, "one \"stopped\" line" SV_LOG, slog(&s));
    cr_assert(strstr(slog(&s), "Sanitizer") == NULL, "a sanitizer report" SV_LOG, slog(&s));
    fd = harness_connect(s.host, s.port, 200);
    cr_assert(fd < 0, "the port still accepts after the exit");
    harness_conn_close(&idle);
    harness_conn_close(&half);
    harness_serve_cleanup(&s);
}

Test(serve, sigterm_exits_0_within_1s, .timeout = 20)
{
    expect_signal_exits_0(SIGTERM);
}

Test(serve, sigint_exits_0_within_1s, .timeout = 20)
{
    expect_signal_exits_0(SIGINT);
}

Test(serve, sigterm_in_the_middle_of_a_slow_round_exits_0_within_1s, .timeout = 20)
{
    char slow[256];
    const char *argv[] = {"--interval", "10m", "--timeout", "10s", slow, NULL};
    struct harness_serve s;

    url_http(slow, sizeof(slow), "slow", "/slow?ms=5000");
    serve_start(&s, "127.0.0.1", argv, NULL);
    usleep(300000);
    cr_assert_eq(rounds_now(&s), 0, "the 5 s round is still running");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* One bad setting on the command line of serve. Arrays, not pointers: Criterion runs each
 * case in a fresh exec of the test binary, where pointers into the parent mean nothing. */
struct bad_flag {
    char flag[32];
    char value[32]; /* "": a flag without a value */
    char re[64];    /* the stderr line must match this (extended, case-insensitive) */
};

ParameterizedTestParameters(serve, bad_setting_exits_2_with_one_line_naming_it)
{
    static struct bad_flag cases[] = {
        {"--interval", "soon", "interval|soon"},
        {"--timeout", "forever", "timeout|forever"},
        {"--rise", "0", "rise"},
        {"--fall", "many", "fall|many"},
        {"--log-format", "xml", "log.format|xml"},
        {"--listen", "127.0.0.1", "listen|127\\.0\\.0\\.1"},
        {"--listen", "127.0.0.1:99999", "listen|99999|port"},
        {"--listen", "[::1:8080", "listen|::1"},
        {"--no-such-flag", "", "no-such-flag"},
    };

    return cr_make_param_array(struct bad_flag, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_flag *bf, serve, bad_setting_exits_2_with_one_line_naming_it,
                  .timeout = 20)
{
    char listen[64], web[256];
    const char *argv[] = {"serve", "--listen", listen, bf->flag, bf->value, web, NULL};
    struct probe_result r;

    free_listen(listen, sizeof(listen));
    url_http(web, sizeof(web), "web", "/ok");
    if (strcmp(bf->flag, "--listen") == 0) {
        argv[1] = bf->flag;
        argv[2] = bf->value;
        argv[3] = web;
        argv[4] = NULL;
    } else if (bf->value[0] == '\0') {
        argv[4] = web;
        argv[5] = NULL;
    }
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_WITHIN(&r, 1000);
    cr_assert_eq(pt_count_lines(r.err), 1, "one line on stderr" PT_OUT, PT_ARGS(&r));
    cr_assert(pt_match(r.err, bf->re, 1), "stderr does not name the problem (/%s/)" PT_OUT, bf->re,
              PT_ARGS(&r));
    cr_assert_eq(r.out_len, 0, "nothing on stdout" PT_OUT, PT_ARGS(&r));
}

/* An invalid target, a config error and an unset variable: exit 2, one line, no secret. */
Test(serve, bad_targets_and_config_exit_2_with_one_line, .timeout = 20)
{
    char listen[64], bad[256], path[HARNESS_PATH + 16], yaml[512];
    const char *argv_target[] = {"serve", "--listen", listen, bad, NULL};
    const char *argv_none[] = {"serve", "--listen", listen, NULL};
    const char *argv_var[] = {"serve", "--listen", listen,
                              "cache=redis://:${PT_TEST_UNSET_VAR}@127.0.0.1:6379", NULL};
    const char *argv_config[] = {"serve", "--listen", listen, "-c", path, NULL};
    struct probe_result r;

    free_listen(listen, sizeof(listen));
    snprintf(bad, sizeof(bad), "cache=redis://:%s@127.0.0.1:notaport", HARNESS_REDIS_PASSWORD);
    pt_run(&r, argv_target, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_WITHIN(&r, 1000);
    cr_assert_eq(pt_count_lines(r.err), 1, "one line on stderr" PT_OUT, PT_ARGS(&r));
    pt_assert_no_secret(&r, HARNESS_REDIS_PASSWORD);

    pt_run(&r, argv_none, NULL);
    PT_ASSERT_EXIT(&r, 2);
    cr_assert_eq(pt_count_lines(r.err), 1, "no targets: one line on stderr" PT_OUT, PT_ARGS(&r));

    pt_run(&r, argv_var, NULL);
    PT_ASSERT_EXIT(&r, 2);
    cr_assert_eq(pt_count_lines(r.err), 1, "one line on stderr" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, "PT_TEST_UNSET_VAR");

    snprintf(yaml, sizeof(yaml),
             "interval: 1s\n"
             "rise: 2\n"
             "bogus_key: 1\n"
             "checks:\n"
             "  - name: web\n"
             "    url: http://127.0.0.1:%d/ok\n",
             pt_env_int("PT_HTTP_PORT"));
    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, argv_config, NULL);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_WITHIN(&r, 1000);
    cr_assert_eq(pt_count_lines(r.err), 1, "one line on stderr" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, "probe\\.yaml:3:[0-9]+");
    PT_ASSERT_ERR_RE(&r, "bogus_key");
}

Test(serve, port_already_in_use_exits_2_with_one_line, .timeout = 20)
{
    char listen[64], web[256], port_s[16];
    const char *argv[] = {"serve", "--listen", listen, web, NULL};
    struct probe_result r;
    int port = 0, lfd = harness_listener("127.0.0.1", 16, &port);

    cr_assert(lfd >= 0, "no listener");
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(port_s, sizeof(port_s), "%d", port);
    url_http(web, sizeof(web), "web", "/ok");
    pt_run(&r, argv, NULL);
    close(lfd);
    PT_ASSERT_EXIT(&r, 2);
    PT_ASSERT_WITHIN(&r, 1000);
    cr_assert_eq(pt_count_lines(r.err), 1, "one line on stderr" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, port_s);
}

Test(serve, listens_on_ipv6_loopback, .timeout = 20)
{
    char web[256], want[64];
    const char *argv[] = {"--interval", "10m", web, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    int p = 0, fd = harness_listener("::1", 1, &p);

    if (fd < 0)
        cr_skip_test("no IPv6 loopback here");
    close(fd);
    url_http(web, sizeof(web), "web", "/ok");
    serve_start(&s, "::1", argv, NULL);
    wait_status(&s, "/ready", 200, 5000);
    req(&s, "GET", "/live", &r);
    expect(&s, &r, "GET /live over ::1", 200, "live\n");
    fd = harness_connect("127.0.0.1", s.port, 200);
    cr_assert(fd < 0, "listening on [::1] also accepts on 127.0.0.1");
    snprintf(want, sizeof(want), "listening on [::1]:%d", s.port);
    cr_assert(strstr(slog(&s), want) != NULL, "no \"%s\"" SV_LOG, want, slog(&s));
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

Test(serve, config_file_sets_listen_interval_rise_fall_log_format_and_checks, .timeout = 20)
{
    char path[HARNESS_PATH + 16], yaml[1024], line[4096], want[256];
    const char *env[] = {"PT_TEST_REDIS_PW=" HARNESS_REDIS_PASSWORD, NULL};
    const char *argv[] = {"-c", path, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    long n1, n2;

    memset(&s, 0, sizeof(s));
    snprintf(s.host, sizeof(s.host), "127.0.0.1");
    s.port = harness_free_port();
    snprintf(yaml, sizeof(yaml),
             "listen: 127.0.0.1:%d\n"
             "interval: 200ms\n"
             "timeout: 1s\n"
             "rise: 1\n"
             "fall: 1\n"
             "log_format: json\n"
             "checks:\n"
             "  - name: app\n"
             "    url: http://127.0.0.1:%d/ok\n"
             "  - name: cache\n"
             "    url: redis://:${PT_TEST_REDIS_PW}@127.0.0.1:%d\n",
             s.port, pt_env_int("PT_HTTP_PORT"), pt_env_int("PT_REDIS_PORT"));
    pt_write_config(path, sizeof(path), yaml);
    serve_start(&s, NULL, argv, env);
    wait_status(&s, "/ready", 200, 5000);
    n1 = rounds_now(&s);
    usleep(1000000);
    n2 = rounds_now(&s);
    cr_assert(n2 - n1 >= 3 && n2 - n1 <= 7, "%ld rounds in 1 s with interval: 200ms", n2 - n1);
    req(&s, "GET", "/health", &r);
    expect(&s, &r, "GET /health", 200, NULL);
    snprintf(want, sizeof(want), "redis://:***@127.0.0.1:%d", pt_env_int("PT_REDIS_PORT"));
    expect_check_entry(&r, "cache", "datastore", "pass", want);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok", pt_env_int("PT_HTTP_PORT"));
    expect_check_entry(&r, "app", "http", "pass", want);
    serve_stop_ok(&s);
    cr_assert_eq(nth_line_with(slog(&s), "\"app\"", 0, line, sizeof(line)), 0,
                 "no JSON state line for app" SV_LOG, slog(&s));
    cr_assert(pt_json_valid(line), "log_format: json, but: %s", line);
    assert_no_password("the log", slog(&s), HARNESS_REDIS_PASSWORD);
    assert_no_password("/health", r.body, HARNESS_REDIS_PASSWORD);
    harness_serve_cleanup(&s);
}

Test(serve, environment_sets_listen_interval_log_format_and_targets, .timeout = 20)
{
    char listen[64], targets[512], line[4096];
    const char *env[] = {listen, targets, "PROBE_INTERVAL=200ms", "PROBE_LOG_FORMAT=json", NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    long n1, n2;

    memset(&s, 0, sizeof(s));
    snprintf(s.host, sizeof(s.host), "127.0.0.1");
    s.port = harness_free_port();
    snprintf(listen, sizeof(listen), "PROBE_LISTEN=127.0.0.1:%d", s.port);
    snprintf(targets, sizeof(targets),
             "PROBE_TARGETS=web=http://127.0.0.1:%d/ok port=tcp://127.0.0.1:%d",
             pt_env_int("PT_HTTP_PORT"), pt_env_int("PT_HTTP_PORT"));
    serve_start(&s, NULL, NULL, env);
    wait_status(&s, "/ready", 200, 5000);
    n1 = rounds_now(&s);
    usleep(1000000);
    n2 = rounds_now(&s);
    cr_assert(n2 - n1 >= 3 && n2 - n1 <= 7, "%ld rounds in 1 s with PROBE_INTERVAL=200ms", n2 - n1);
    req(&s, "GET", "/health/port", &r);
    expect(&s, &r, "GET /health/port", 200, NULL);
    req(&s, "GET", "/health/web", &r);
    expect(&s, &r, "GET /health/web", 200, NULL);
    serve_stop_ok(&s);
    cr_assert_eq(nth_line_with(slog(&s), "\"web\"", 0, line, sizeof(line)), 0,
                 "no JSON state line for web" SV_LOG, slog(&s));
    cr_assert(pt_json_valid(line), "PROBE_LOG_FORMAT=json, but: %s", line);
    harness_serve_cleanup(&s);
}

Test(serve, short_flags_work_and_beat_the_environment, .timeout = 20)
{
    char listen[64], other[64], web[256];
    const char *env[] = {other, "PROBE_INTERVAL=10m", "PROBE_TIMEOUT=1ms", NULL};
    const char *argv[] = {"-l", listen, "-i", "200ms", "-t", "2s", web, NULL};
    struct harness_serve s;
    long n1, n2;
    int other_port, fd;

    memset(&s, 0, sizeof(s));
    snprintf(s.host, sizeof(s.host), "127.0.0.1");
    s.port = free_listen(listen, sizeof(listen));
    other_port = harness_free_port();
    snprintf(other, sizeof(other), "PROBE_LISTEN=127.0.0.1:%d", other_port);
    url_http(web, sizeof(web), "web", "/slow?ms=50");
    serve_start(&s, NULL, argv, env);
    wait_status(&s, "/ready", 200, 5000);
    n1 = rounds_now(&s);
    usleep(1000000);
    n2 = rounds_now(&s);
    cr_assert(n2 - n1 >= 3 && n2 - n1 <= 7, "%ld rounds in 1 s with -i 200ms", n2 - n1);
    fd = harness_connect("127.0.0.1", other_port, 200);
    cr_assert(fd < 0, "PROBE_LISTEN was used although -l was given");
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* ---- memory and descriptors ---- */

/* The minimum fd count over a few samples 5 ms apart: a check's socket comes and goes with
 * each round, a leak stays. */
static int
fd_count_min(pid_t pid)
{
    int i, n, min = -1;

    for (i = 0; i < 20; i++) {
        n = harness_proc_fd_count(pid);
        if (n >= 0 && (min < 0 || n < min))
            min = n;
        usleep(5000);
    }
    return min;
}

/* The plain build checks every 5 ms for 4 s while /health is asked over and over; between 1 s
 * and the end its resident memory grows by less than 512 KiB and its descriptors not at all. */
Test(serve, memory_and_descriptors_stay_flat_under_load, .timeout = 20)
{
    static struct harness_conn c;
    const char *req_health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char bin[HARNESS_PATH], web[256], port_url[128], err[HARNESS_ERRLEN + 512];
    const char *argv[] = {"--interval", "5ms", "--timeout", "2s", web, port_url, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    long rss1 = -1, rss2, rounds1 = 0, rounds2;
    int fds1 = -1, fds2, lport = 0, lfd, nreq = 0;
    double t0;

    plain_probe(bin, sizeof(bin));
    lfd = harness_listener("127.0.0.1", 4096, &lport);
    cr_assert(lfd >= 0, "no listener");
    url_http(web, sizeof(web), "web", "/ok");
    snprintf(port_url, sizeof(port_url), "port=tcp://127.0.0.1:%d", lport);
    cr_assert_eq(harness_serve_start(&s, bin, "127.0.0.1", argv, NULL, START_MS, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(harness_conn_open(&c, s.host, s.port, ANSWER_MS), 0);
    t0 = harness_now_ms();
    while (harness_now_ms() - t0 < 4000) {
        cr_assert_eq(harness_conn_send(&c, req_health, strlen(req_health)), 0,
                     "request %d: the connection is gone", nreq);
        cr_assert_eq(harness_conn_response(&c, 0, &r, ANSWER_MS), 0, "request %d: %s" SV_LOG, nreq,
                     r.why, slog(&s));
        cr_assert(r.status == 200 || r.status == 503, "GET /health: %d", r.status);
        nreq++;
        if (nreq % 50 == 0) {
            req(&s, "GET", "/metrics", &r);
            cr_assert_eq(r.status, 200);
        }
        if (rss1 < 0 && harness_now_ms() - t0 >= 1000) {
            fds1 = fd_count_min(s.pid);
            rss1 = harness_proc_rss_kb(s.pid);
            rounds1 = rounds_now(&s);
        }
    }
    fds2 = fd_count_min(s.pid);
    rss2 = harness_proc_rss_kb(s.pid);
    rounds2 = rounds_now(&s);
    cr_assert(rss1 > 0 && rss2 > 0 && fds1 > 0 && fds2 > 0, "cannot read /proc/%d", (int)s.pid);
    cr_assert(nreq >= 1000, "only %d requests in 4 s", nreq);
    cr_assert(rounds2 - rounds1 >= 100, "only %ld rounds in 3 s at an interval of 5 ms",
              rounds2 - rounds1);
    cr_assert(rss2 - rss1 < 512, "VmRSS grew from %ld to %ld KiB over %ld rounds, %d requests",
              rss1, rss2, rounds2 - rounds1, nreq);
    cr_assert(fds2 <= fds1, "open descriptors grew from %d to %d over %ld rounds", fds1, fds2,
              rounds2 - rounds1);
    harness_conn_close(&c);
    serve_stop_ok(&s);
    close(lfd);
    harness_serve_cleanup(&s);
}

/* The sanitizer build, busy for 2 s (checks every 10 ms of each kind, all sorts of requests),
 * then SIGTERM: LeakSanitizer runs at exit and must find nothing, and nothing else may be
 * reported on the way. */
Test(serve, sanitizer_build_reports_nothing_after_a_busy_run, .timeout = 20)
{
    static const char *const reqs[] = {
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "HEAD /health/web HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /health/nosuch HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /ready HTTP/1.1\r\nHost: x\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /live HTTP/1.0\r\n\r\n",
    };
    char web[256], cache[256], db[256], port_url[128];
    const char *argv[] = {"--interval", "10ms", "--timeout", "2s", web, cache, db, port_url, NULL};
    struct harness_serve s;
    struct harness_serve_exit x;
    struct harness_http_resp r;
    int lport = 0, lfd = harness_listener("127.0.0.1", 4096, &lport), n = 0, half;
    double t0;

    cr_assert(lfd >= 0, "no listener");
    url_http(web, sizeof(web), "web", "/ok");
    snprintf(cache, sizeof(cache), "cache=redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD,
             pt_env_int("PT_REDIS_PORT"));
    snprintf(db, sizeof(db), "db=mysql://%s:%s@127.0.0.1:%d/%s", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, pt_env_int("PT_MYSQL_PORT"), HARNESS_MYSQL_DB);
    snprintf(port_url, sizeof(port_url), "port=tcp://127.0.0.1:%d", lport);
    serve_start(&s, "127.0.0.1", argv, NULL);
    t0 = harness_now_ms();
    while (harness_now_ms() - t0 < 2000) {
        harness_http(s.host, s.port, reqs[n % 7], &r, ANSWER_MS);
        n++;
    }
    /* leave a kept-alive client and a half request behind */
    half = harness_connect(s.host, s.port, ANSWER_MS);
    cr_assert(half >= 0);
    cr_assert_eq(send(half, "GET /he", 7, MSG_NOSIGNAL), 7);
    cr_assert(rounds_now(&s) >= 20, "fewer than 20 rounds in 2 s at 10 ms");
    harness_serve_stop(&s, SIGTERM, 5000, &x);
    close(half);
    cr_assert(!x.killed && x.exited && x.exit_code == 0,
              "after SIGTERM: exit code %d, signal %d, killed %d" SV_LOG, x.exit_code, x.signo,
              x.killed, slog(&s));
    cr_assert(strstr(slog(&s), "Sanitizer") == NULL && strstr(slog(&s), "runtime error") == NULL,
              "a sanitizer report after %d requests" SV_LOG, n, slog(&s));
    close(lfd);
    harness_serve_cleanup(&s);
}

/* ---- memcached in serve ---- */

/* A memcached check is a datastore in the health document and of type memcached in the
 * metrics; a refused one names itself in /ready. */
Test(serve, memcached_is_a_datastore_in_health_and_type_memcached_in_metrics, .timeout = 20)
{
    char cache[128], gone[128], want[128];
    const char *argv[] = {"--interval", "200ms", "--timeout", "2s", cache, gone, NULL};
    struct harness_serve s;
    struct harness_http_resp r;
    int port = pt_env_int("PT_MEMCACHED_PORT"), closed = harness_free_port();

    snprintf(cache, sizeof(cache), "cache=memcached://127.0.0.1:%d", port);
    snprintf(gone, sizeof(gone), "gone=memcached://127.0.0.1:%d", closed);
    serve_start(&s, "127.0.0.1", argv, NULL);
    wait_rounds(&s, 2, 5000);
    req(&s, "GET", "/health/cache", &r);
    expect(&s, &r, "GET /health/cache", 200, NULL);
    snprintf(want, sizeof(want), "memcached://127.0.0.1:%d", port);
    expect_check_entry(&r, "cache", "datastore", "pass", want);
    req(&s, "GET", "/health", &r);
    expect(&s, &r, "GET /health", 503, NULL);
    snprintf(want, sizeof(want), "memcached://127.0.0.1:%d", closed);
    expect_check_entry(&r, "gone", "datastore", "fail", want);
    req(&s, "GET", "/ready", &r);
    expect(&s, &r, "GET /ready", 503, "not ready: gone (connect)\ngone: connection refused\n");
    req(&s, "GET", "/metrics", &r);
    expect(&s, &r, "GET /metrics", 200, NULL);
    expect_check_series(&r, "cache", "memcached", 1);
    expect_check_series(&r, "gone", "memcached", 0);
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
}

/* The fewest descriptors pid holds over a few samples 40 ms apart: a round in flight holds a
 * socket or two for a moment (on a loaded machine a sample can land in one); a leak is there
 * in every sample. */
static int
fd_count_settled(pid_t pid)
{
    int least = -1;

    for (int i = 0; i < 8; i++) {
        int n = harness_proc_fd_count(pid);

        if (n > 0 && (least < 0 || n < least))
            least = n;
        usleep(40 * 1000);
    }
    return least;
}

/* Every way a memcached check ends (a pass, a refusal, a timeout that aborts it) closes its
 * socket: the serve process holds as many descriptors after 15 more rounds as before. */
Test(serve, memcached_rounds_leave_no_descriptor_behind, .timeout = 20)
{
    char cache[128], gone[128], silent[128];
    /* Rounds of 100 ms, 300 ms apart: the descriptors are counted between two rounds. */
    const char *argv[] = {"--interval", "300ms", "--timeout", "100ms", cache, gone, silent, NULL};
    struct harness_serve s;
    int port, fd = harness_silent_listener(&port), before, after;
    long rounds;

    cr_assert(fd >= 0, "cannot listen on 127.0.0.1");
    snprintf(cache, sizeof(cache), "cache=memcached://127.0.0.1:%d",
             pt_env_int("PT_MEMCACHED_PORT"));
    snprintf(gone, sizeof(gone), "gone=memcached://127.0.0.1:%d", harness_free_port());
    snprintf(silent, sizeof(silent), "silent=memcached://127.0.0.1:%d", port);
    serve_start(&s, "127.0.0.1", argv, NULL);
    rounds = wait_rounds(&s, 3, 5000);
    before = fd_count_settled(s.pid);
    wait_rounds(&s, rounds + 15, 10000);
    after = fd_count_settled(s.pid);
    cr_assert(before > 0 && after == before, "descriptors: %d, then %d after 15 rounds" SV_LOG,
              before, after, slog(&s));
    serve_stop_ok(&s);
    harness_serve_cleanup(&s);
    close(fd);
}
