/*
 * grpc:// and grpcs:// — the standard health service, grpc.health.v1.Health/Check, as ALB
 * gRPC target groups and Kubernetes' grpc probes ask it: one unary call over HTTP/2 through
 * libcurl on the loop (curl_loop.c), h2c with prior knowledge for grpc://, TLS with ALPN h2
 * for grpcs:// (verified like https). The check passes when the call ends with grpc-status 0
 * and the answer is SERVING. The response headers, the trailers and the message are capped.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "check.h"
#include "curl_loop.h"
#include "grpc_wire.h"
#include "json.h"
#include "text.h"

/* A HealthCheckResponse is 2 bytes; anything near the cap is not a health answer. */
#define GRPC_BODY_CAP 4096
#define GRPC_HEADER_CAP (16 * 1024)
#define GRPC_MESSAGE_MAX 256

extern const struct kind kind_grpc;

enum grpc_stop { GRPC_STOP_NONE, GRPC_STOP_BODY_CAP, GRPC_STOP_HEADER_CAP };

struct grpc_state {
    struct curl_xfer x; /* first: the curl_kind_* ops find it at c->priv */
    unsigned char req[GRPC_WIRE_REQUEST_MAX];
    size_t req_len;
    unsigned char body[GRPC_BODY_CAP];
    size_t body_len;
    size_t header_bytes;
    enum grpc_stop stop;
    char content_type[64]; /* "" until the response says */
    int have_status;
    long grpc_status;
    char grpc_message[GRPC_MESSAGE_MAX]; /* percent-decoded */
};

/* "grpc-status: 12\r\n" -> the value without blanks and line end, when the name is name. */
static int
grpc_header_value(const char *line, size_t n, const char *name, const char **v, size_t *vlen)
{
    size_t nl = strlen(name);

    if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return 0;
    line += nl + 1;
    n -= nl + 1;
    while (n > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
        n--;
    *v = line;
    *vlen = n;
    return 1;
}

/* grpc-status is 1*DIGIT; anything else is kept as "no status" (a protocol failure). */
static void
grpc_take_status(struct grpc_state *st, const char *v, size_t n)
{
    long code = 0;

    if (n == 0 || n > 4)
        return;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return;
        code = code * 10 + (v[i] - '0');
    }
    st->grpc_status = code;
    st->have_status = 1;
}

/* Headers and, after the message, trailers both come through here, one line per call. */
static size_t
grpc_header_cb(char *data, size_t size, size_t n, void *userp)
{
    struct check *c = userp;
    struct grpc_state *st = c->priv;
    size_t len = size * n, vlen;
    const char *v;

    st->header_bytes += len;
    check_phase(c, PHASE_RESPONSE);
    if (st->header_bytes > GRPC_HEADER_CAP) {
        st->stop = GRPC_STOP_HEADER_CAP;
        return 0;
    }
    if (grpc_header_value(data, len, "content-type", &v, &vlen))
        snprintf(st->content_type, sizeof(st->content_type), "%.*s", (int)vlen, v);
    else if (grpc_header_value(data, len, "grpc-status", &v, &vlen))
        grpc_take_status(st, v, vlen);
    else if (grpc_header_value(data, len, "grpc-message", &v, &vlen))
        grpc_wire_pct_decode(v, vlen, st->grpc_message, sizeof(st->grpc_message));
    return len;
}

static size_t
grpc_write_cb(char *data, size_t size, size_t n, void *userp)
{
    struct check *c = userp;
    struct grpc_state *st = c->priv;
    size_t len = size * n;

    if (len > sizeof(st->body) - st->body_len) {
        st->stop = GRPC_STOP_BODY_CAP;
        return 0;
    }
    memcpy(st->body + st->body_len, data, len);
    st->body_len += len;
    return len;
}

/* "application/grpc", "application/grpc+proto", "application/grpc; charset=..." */
static int
grpc_content_type_ok(const char *ct)
{
    size_t n = strlen("application/grpc");

    return strncasecmp(ct, "application/grpc", n) == 0 &&
           (ct[n] == '\0' || ct[n] == '+' || ct[n] == ';');
}

/*
 * A non-zero grpc-status is the server's answer, with its name and message. No health service
 * (UNIMPLEMENTED) and an unknown service (NOT_FOUND, what grpc's own health servicer answers)
 * are "status": the peer is a working gRPC server that does not call this service healthy, and
 * the fix is on the server (register the health service, the service name). Credentials
 * refused are "auth"; every other code is the server's own reason.
 */
static void
grpc_fail_code(struct check *c, long code, const char *message)
{
    const char *name = grpc_wire_code_name(code);
    enum check_reason reason;

    switch (code) {
    case 5:  /* NOT_FOUND */
    case 12: /* UNIMPLEMENTED */
        reason = REASON_STATUS;
        break;
    case 7:  /* PERMISSION_DENIED */
    case 16: /* UNAUTHENTICATED */
        reason = REASON_AUTH;
        break;
    default:
        reason = REASON_SERVER;
        break;
    }
    check_fail(c, reason, "%ld %s%s%s", code, name != NULL ? name : "(unknown code)",
               message[0] ? ": " : "", message);
}

/* An HTTP/2 peer's first frame is its SETTINGS: type 4 on stream 0 (RFC 9113, 3.4). */
static int
grpc_first_is_h2(const unsigned char *p, size_t n)
{
    return n < 9 || (p[3] == 0x04 && (p[5] & 0x7f) == 0 && p[6] == 0 && p[7] == 0 && p[8] == 0);
}

/*
 * A server that does not speak HTTP/2 answers the preface in its own way (an HTTP/1.1 error,
 * a MySQL greeting) and closes, which curl's HTTP/2 layer reports as an empty reply or a
 * reset: the first bytes the server sent say what it was.
 */
static void
grpc_fail_transfer(struct curl_xfer *x, CURLcode rc)
{
    const unsigned char *p = (const unsigned char *)x->first_in;
    size_t n = x->first_in_len, line = 0;

    if ((rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING &&
         rc != CURLE_HTTP2) ||
        x->c->t->url.scheme->tls || grpc_first_is_h2(p, n)) {
        curl_xfer_fail(x, rc);
        return;
    }
    if (memcmp(p, "HTTP/", 5) == 0) {
        while (line < n && p[line] != '\r' && p[line] != '\n')
            line++;
        check_fail(x->c, REASON_PROTOCOL, "not gRPC: the server answered over HTTP/1 (%.*s)",
                   (int)line, x->first_in);
        return;
    }
    check_fail(x->c, REASON_PROTOCOL, "not gRPC: the server does not speak HTTP/2");
}

static void
grpc_done(struct curl_xfer *x, CURLcode rc)
{
    struct check *c = x->c;
    struct grpc_state *st = c->priv;
    long status = 0, version = 0;
    int64_t serving;
    const char *name;
    char err[128];

    if (st->stop == GRPC_STOP_BODY_CAP) {
        check_fail(c, REASON_LIMIT, "response message over %d bytes", GRPC_BODY_CAP);
        return;
    }
    if (st->stop == GRPC_STOP_HEADER_CAP) {
        check_fail(c, REASON_LIMIT, "response headers over %d bytes", GRPC_HEADER_CAP);
        return;
    }
    if (rc != CURLE_OK) {
        grpc_fail_transfer(x, rc);
        return;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &version);
    if (version != CURL_HTTP_VERSION_2_0) {
        check_fail(c, REASON_PROTOCOL, "not gRPC: the server does not speak HTTP/2 (HTTP %ld)",
                   status);
        return;
    }
    if (status != 200) {
        check_fail(c, REASON_PROTOCOL, "not gRPC: HTTP %ld", status);
        return;
    }
    if (!grpc_content_type_ok(st->content_type)) {
        check_fail(c, REASON_PROTOCOL, "not gRPC: content-type %s",
                   st->content_type[0] ? st->content_type : "missing");
        return;
    }
    if (!st->have_status) {
        check_fail(c, REASON_PROTOCOL, "no grpc-status in the response");
        return;
    }
    if (st->grpc_status != 0) {
        grpc_fail_code(c, st->grpc_status, st->grpc_message);
        return;
    }
    if (grpc_wire_response(st->body, st->body_len, &serving, err, sizeof(err)) < 0) {
        check_fail(c, REASON_PROTOCOL, "%s", err);
        return;
    }
    name = grpc_wire_serving_name(serving);
    if (serving == GRPC_SERVING)
        check_pass(c, "SERVING");
    else if (name != NULL)
        check_fail(c, REASON_STATUS, "%s", name);
    else
        check_fail(c, REASON_STATUS, "serving status %" PRId64, serving);
}

/* The request's own headers, after the user's -H lines (metadata such as authorization). */
static int
grpc_headers(struct check *c, struct curl_xfer *x)
{
    static const char *const fixed[] = {"content-type: application/grpc", "te: trailers",
                                        "Expect:", "Accept:"};
    char timeout[48];

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (curl_xfer_header(x, fixed[i]) < 0)
            return -1;
    }
    if (c->t->timeout_ms <= 0)
        return 0;
    /* The server may give up when the client will: grpc-timeout in milliseconds. */
    snprintf(timeout, sizeof(timeout), "grpc-timeout: %ldm", c->t->timeout_ms);
    return curl_xfer_header(x, timeout);
}

static int
grpc_attempt(struct check *c)
{
    struct grpc_state *st = c->priv;
    CURL *e;

    st->content_type[0] = '\0';
    st->grpc_message[0] = '\0';
    st->have_status = 0;
    st->body_len = 0;
    st->header_bytes = 0;
    st->stop = GRPC_STOP_NONE;
    if (curl_xfer_open(&st->x, c, &kind_grpc, "/grpc.health.v1.Health/Check", grpc_done) < 0 ||
        grpc_headers(c, &st->x) < 0) {
        check_fail(c, REASON_RESOURCE, "cannot set up the gRPC request");
        return -1;
    }
    e = st->x.easy;
    st->x.peek_first = 1;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     c->t->url.scheme->tls ? (long)CURL_HTTP_VERSION_2TLS
                                           : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)st->req);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)st->req_len);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, grpc_header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grpc_write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    return curl_xfer_start(&st->x);
}

static int
grpc_start(struct check *c)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    const char *service = c->t->url.db != NULL ? c->t->url.db : "";
    struct grpc_state *st = c->priv;

    if (!(cv->features & CURL_VERSION_HTTP2)) {
        check_fail(c, REASON_RESOURCE, "this libcurl has no HTTP/2 (nghttp2)");
        return -1;
    }
    if (grpc_wire_request(service, strlen(service), st->req, sizeof(st->req), &st->req_len) < 0) {
        check_fail(c, REASON_RESOURCE, "service name too long");
        return -1;
    }
    return grpc_attempt(c);
}

/* The share of the deadline ran out: if TCP never came up, try the next address. */
static void
grpc_attempt_timeout(struct check *c)
{
    struct grpc_state *st = c->priv;

    if (curl_xfer_next_address(&st->x))
        grpc_attempt(c);
}

static void
grpc_cleanup(struct check *c)
{
    struct grpc_state *st = c->priv;

    if (st == NULL)
        return;
    curl_xfer_close(&st->x);
}

static void
grpc_run_free(struct run *r)
{
    curl_loop_put(r, &kind_grpc);
}

static void
grpc_version(struct buf *out)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    if ((cv->features & CURL_VERSION_HTTP2) && cv->nghttp2_version != NULL)
        buf_addf(out, "nghttp2 %s\n", cv->nghttp2_version);
    else
        buf_adds(out, "nghttp2 none (libcurl without HTTP/2: grpc checks fail)\n");
}

static int
grpc_url_check(const struct url *u, char *err, size_t errlen)
{
    if (u->db != NULL && strlen(u->db) > GRPC_WIRE_SERVICE_MAX) {
        snprintf(err, errlen, "gRPC service name longer than %d bytes", GRPC_WIRE_SERVICE_MAX);
        return -1;
    }
    return 0;
}

/* `probe validate`: the service asked about ("" is the server as a whole). */
static void
grpc_describe(const struct target *t, struct buf *out)
{
    buf_adds(out, "    service: ");
    json_add_cstr(out, t->url.db != NULL ? t->url.db : "");
    buf_adds(out, "\n");
    if (t->url.scheme->tls && t->insecure)
        buf_adds(out, "    insecure: true\n");
    if (t->url.scheme->tls && t->cacert != NULL)
        buf_addf(out, "    cacert: %s\n", t->cacert);
}

/* 50051 is the port of gRPC's own examples and what grpc_health_probe users type; grpcs on 443
 * is what an ALB target group or an ingress in front of a gRPC service listens on. */
static const struct kind_scheme grpc_schemes[] = {
    {"grpc", 50051, 0},
    {"grpcs", 443, 1},
    {NULL, 0, 0},
};

const struct kind kind_grpc = {
    .name = "grpc",
    .component_type = "component",
    .usage = "grpc(s)://host[:port][/SERVICE]",
    .schemes = grpc_schemes,
    .userinfo = USERINFO_NONE,
    .path = PATH_NAME,
    .path_name = "service",
    .url_check = grpc_url_check,
    .crypto = curl_kind_crypto,
    .version = grpc_version,
    .describe = grpc_describe,
    .start = grpc_start,
    .abort = curl_kind_abort,
    .state_size = sizeof(struct grpc_state),
    .cleanup = grpc_cleanup,
    .sync_phase = curl_kind_sync_phase,
    .attempt_timeout = grpc_attempt_timeout,
    .run_free = grpc_run_free,
};
