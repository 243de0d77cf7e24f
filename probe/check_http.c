/*
 * http:// and https:// — curl's multi_socket API on the loop. The check passes when the final
 * status is in the expected set and, if asked, the body contains the expected text and its JSON
 * holds the expected values (json_expect.c). A check may go over a unix socket (unix_socket:,
 * --unix-socket: gunicorn, uwsgi), where the URL's host is only the Host header. Redirects
 * are not followed, proxies are not used, only http and https are spoken, and the body and
 * headers read are capped.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "check.h"
#include "curl_loop.h"
#include "json.h"
#include "json_expect.h"
#include "tls.h"
#include "run.h"
#include "text.h"

#define HTTP_BODY_CAP (1024 * 1024)
#define HTTP_HEADER_CAP (64 * 1024)
/* How much of the body a failing status shows: where Django's and Spring's health views put
 * the cause. The text output cuts it further to fit. */
#define HTTP_FAIL_BODY 256

extern const struct kind kind_http;

enum http_stop { STOP_NONE, STOP_STATUS_ONLY, STOP_BAD_STATUS, STOP_BODY_CAP, STOP_HEADER_CAP };

struct http_state {
    struct curl_xfer x; /* first: the curl_kind_* ops find it at c->priv */
    struct buf body;
    size_t header_bytes;
    size_t body_bytes;
    int found;
    enum http_stop stop;
    long status;
};

static size_t
http_header_cb(char *data, size_t size, size_t n, void *userp)
{
    struct check *c = userp;
    struct http_state *st = c->priv;

    st->header_bytes += size * n;
    check_phase(c, PHASE_RESPONSE);
    if (st->header_bytes > HTTP_HEADER_CAP) {
        st->stop = STOP_HEADER_CAP;
        return 0;
    }
    (void)data;
    return size * n;
}

/* Keeps the start of a failing response's body for the message; stops once it has enough. */
static size_t
http_fail_body(struct http_state *st, const char *data, size_t len)
{
    size_t room = HTTP_FAIL_BODY - st->body.len;

    buf_add(&st->body, data, len < room ? len : room);
    if (st->body.len >= HTTP_FAIL_BODY) {
        st->stop = STOP_BAD_STATUS;
        return 0;
    }
    return len;
}

/*
 * The body is read only as far as the verdict needs: not at all when only the status counts,
 * its start when the status fails (the cause is there). When text is asked for, the whole
 * body is read up to the cap, and a body over the cap fails even if the text came early: a
 * health endpoint that streams without end is not healthy.
 */
static size_t
http_write_cb(char *data, size_t size, size_t n, void *userp)
{
    struct check *c = userp;
    struct http_state *st = c->priv;
    const char *want = c->t->expect_body;
    int keep = c->t->nexpect_json > 0; /* JSON needs the whole body */
    size_t len = size * n;

    curl_easy_getinfo(st->x.easy, CURLINFO_RESPONSE_CODE, &st->status);
    if (!status_set_has(&c->t->expect_status, st->status))
        return http_fail_body(st, data, len);
    if (want == NULL && !keep) {
        st->stop = STOP_STATUS_ONLY;
        return 0;
    }
    st->body_bytes += len;
    if (st->body_bytes > HTTP_BODY_CAP) {
        st->stop = STOP_BODY_CAP;
        return 0;
    }
    if (keep || !st->found)
        buf_add(&st->body, data, len);
    if (want != NULL && !st->found) {
        st->found = memmem(buf_str(&st->body), st->body.len, want, strlen(want)) != NULL;
        if (st->found && !keep)
            buf_free(&st->body);
    }
    return len;
}

/* "HTTP 503", or "HTTP 503: " and the start of the body the app sent (check_fail cleans it). */
static void
http_fail_status(struct check *c)
{
    struct http_state *st = c->priv;

    if (st->body.len == 0)
        check_fail(c, REASON_STATUS, "HTTP %ld", st->status);
    else
        check_fail(c, REASON_STATUS, "HTTP %ld: %s", st->status, buf_str(&st->body));
}

/* The status and text passed: the JSON expectations, if any, decide. */
static void
http_check_json(struct check *c)
{
    struct http_state *st = c->priv;
    char msg[ERRLEN];

    if (c->t->nexpect_json > 0 &&
        json_expects_check(c->t->expect_json, c->t->nexpect_json, st->body.p ? st->body.p : "",
                           st->body.len, msg, sizeof(msg)) < 0) {
        check_fail(c, REASON_BODY, "%s", msg);
        return;
    }
    check_pass(c, "%ld", st->status);
}

static void
http_done(struct curl_xfer *x, CURLcode rc)
{
    struct check *c = x->c;
    struct http_state *st = c->priv;
    const char *want = c->t->expect_body;

    curl_easy_getinfo(st->x.easy, CURLINFO_RESPONSE_CODE, &st->status);
    switch (st->stop) {
    case STOP_STATUS_ONLY:
        check_pass(c, "%ld", st->status);
        return;
    case STOP_BAD_STATUS:
        http_fail_status(c);
        return;
    case STOP_BODY_CAP:
        check_fail(c, REASON_LIMIT, "body over the %d-byte limit", HTTP_BODY_CAP);
        return;
    case STOP_HEADER_CAP:
        check_fail(c, REASON_LIMIT, "response headers over %d bytes", HTTP_HEADER_CAP);
        return;
    case STOP_NONE:
        break;
    }
    if (rc == CURLE_OK) {
        if (!status_set_has(&c->t->expect_status, st->status))
            http_fail_status(c);
        else if (want != NULL && !st->found)
            check_fail(c, REASON_BODY, "body does not contain \"%.*s\"", QUOTE_MAX, want);
        else
            http_check_json(c);
        return;
    }
    curl_xfer_fail(&st->x, rc);
}

/* One transfer to the current address; a new easy handle per address. */
static int
http_attempt(struct check *c)
{
    struct http_state *st = c->priv;
    CURL *e;

    if (curl_xfer_open(&st->x, c, &kind_http, c->t->url.path, http_done) < 0) {
        check_fail(c, REASON_RESOURCE, "cannot set up the HTTP request");
        return -1;
    }
    e = st->x.easy;
    if (c->t->url.user != NULL) {
        curl_easy_setopt(e, CURLOPT_USERNAME, c->t->url.user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, c->t->url.pass ? c->t->url.pass : "");
    }
    if (c->t->url.socket != NULL)
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->t->url.socket);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    return curl_xfer_start(&st->x);
}

/*
 * A unix socket path that is missing or not a socket fails before curl is asked, which would
 * only say "Couldn't connect"; a socket nobody listens on is refused by connect() itself.
 */
static int
http_socket_ok(struct check *c)
{
    const char *path = c->t->url.socket;
    struct stat sb;

    if (path == NULL)
        return 0;
    if (stat(path, &sb) < 0) {
        check_fail(c, check_errno_reason(errno), "unix socket %s: %s", path,
                   check_errno_text(errno));
        return -1;
    }
    if (!S_ISSOCK(sb.st_mode)) {
        check_fail(c, REASON_CONNECT, "unix socket %s: not a socket", path);
        return -1;
    }
    return 0;
}

static int
http_start(struct check *c)
{
    struct http_state *st = c->priv;

    buf_init(&st->body);
    if (http_socket_ok(c) < 0)
        return -1;
    return http_attempt(c);
}

/* The share of the deadline ran out: if TCP never came up, try the next address. */
static void
http_attempt_timeout(struct check *c)
{
    struct http_state *st = c->priv;

    if (curl_xfer_next_address(&st->x))
        http_attempt(c);
}

/*
 * Tells which phase a stuck transfer was in (curl_xfer_sync_phase). A failing status whose
 * body never finished is reported as that status, not as a timeout.
 */
static void
http_sync_phase(struct check *c)
{
    struct http_state *st = c->priv;

    if (st->x.easy == NULL)
        return;
    curl_easy_getinfo(st->x.easy, CURLINFO_RESPONSE_CODE, &st->status);
    if (st->status != 0 && !status_set_has(&c->t->expect_status, st->status)) {
        http_fail_status(c);
        return;
    }
    curl_xfer_sync_phase(&st->x);
}

static void
http_cleanup(struct check *c)
{
    struct http_state *st = c->priv;

    if (st == NULL)
        return;
    curl_xfer_close(&st->x);
    buf_free(&st->body);
}

static void
http_run_free(struct run *r)
{
    curl_loop_put(r, &kind_http);
}

static void
http_version(struct buf *out)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    buf_addf(out, "libcurl %s (%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
}

/* Header values that commonly carry credentials are not printed. */
static int
http_header_is_secret(const char *name)
{
    static const char *const words[] = {"auth", "cookie", "token", "key", "secret", "pass"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasestr(name, words[i]) != NULL)
            return 1;
    }
    return 0;
}

/* `probe validate`: the HTTP settings of a check, as YAML (values as JSON strings). */
static void
http_describe(const struct target *t, struct buf *out)
{
    char set[128];

    status_set_format(&t->expect_status, set, sizeof(set));
    buf_addf(out, "    expect_status: %s\n", set);
    if (t->expect_body != NULL) {
        buf_adds(out, "    expect_body: ");
        json_add_cstr(out, t->expect_body);
        buf_adds(out, "\n");
    }
    if (t->nexpect_json > 0)
        buf_adds(out, "    expect_json:\n");
    for (size_t j = 0; j < t->nexpect_json; j++) {
        buf_adds(out, "      ");
        json_add_cstr(out, t->expect_json[j].ptr);
        buf_adds(out, ": ");
        json_add_cstr(out, t->expect_json[j].want);
        buf_adds(out, "\n");
    }
    for (size_t h = 0; h < t->nheaders; h++) {
        char line[1024];

        snprintf(line, sizeof(line), "%s: %s", t->headers[h].name,
                 http_header_is_secret(t->headers[h].name) ? "***" : t->headers[h].value);
        buf_adds(out, "    header: ");
        json_add_cstr(out, line);
        buf_adds(out, "\n");
    }
    tls_describe(t, out);
}

static const struct kind_option http_options[] = {
    {"unix_socket", NULL, KIND_OPT_SOCKET | KIND_OPT_SHOW | KIND_OPT_CONFIG},
    {NULL, NULL, 0},
};

static const struct kind_scheme http_schemes[] = {
    {"http", 80, 0},
    {"https", 443, 1},
    {NULL, 0, 0},
};

const struct kind kind_http = {
    .name = "http",
    .component_type = "http",
    .usage = "http(s)://[user:pass@]host[:port]/path",
    .schemes = http_schemes,
    .userinfo = USERINFO_USER,
    .path = PATH_RAW,
    .options = http_options,
    .crypto = curl_kind_crypto,
    .version = http_version,
    .describe = http_describe,
    .state_size = sizeof(struct http_state),
    .start = http_start,
    .abort = curl_kind_abort,
    .cleanup = http_cleanup,
    .sync_phase = http_sync_phase,
    .attempt_timeout = http_attempt_timeout,
    .run_free = http_run_free,
};
