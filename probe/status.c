/*
 * The status server answers GET and HEAD from what the last round found; a request never
 * starts a check. It is built to survive the clients a load balancer and the internet bring:
 * a request line and headers are capped at 8 KiB, a request must be complete within 5 s of the
 * previous one (a slowloris client is dropped, not waited for), connections are bounded (the
 * ones past the bound are closed at once), a client that does not read gets no more requests
 * parsed, and running out of file descriptors pauses accepting instead of spinning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "status.h"
#include "http.h"
#include "value.h"

struct status_conn {
    struct status_server *srv;
    int fd;
    ev_io io;
    ev_timer deadline;
    char in[STATUS_MAX_REQUEST];
    size_t inlen;
    struct buf out;
    size_t outoff;
    int closing; /* close once out is written */
    struct status_conn *prev;
    struct status_conn *next;
};

struct status_server {
    struct ev_loop *loop;
    int fd;
    ev_io accept_io;
    ev_timer accept_pause;
    status_handler_fn *handler;
    void *ctx;
    struct status_conn *conns;
    int nconns;
};

/* ---- the request parser ---- */

/* Case-insensitive search for a comma-separated token in a header value. */
static int
has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);

    for (size_t i = 0; i < n;) {
        size_t j;

        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        for (j = i; j < n && v[j] != ','; j++)
            ;
        {
            size_t e = j;

            while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
                e--;
            if (e - i == tl && strncasecmp(v + i, tok, tl) == 0)
                return 1;
        }
        i = j;
    }
    return 0;
}

/* The request line: METHOD SP origin-form SP HTTP/1.x. */
static int
parse_request_line(const char *p, size_t n, struct status_req *req)
{
    size_t i = 0, m, t0, tl;

    m = http_token_len(p, n);
    if (m == 0 || m >= sizeof(req->method) || m >= n || p[m] != ' ')
        return PARSE_BAD;
    memcpy(req->method, p, m);
    req->method[m] = '\0';
    i = m + 1;
    t0 = i;
    if (i >= n || p[i] != '/')
        return PARSE_BAD;
    while (i < n && p[i] != ' ') {
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] == 0x7f)
            return PARSE_BAD;
        i++;
    }
    if (i >= n)
        return PARSE_BAD;
    tl = strcspn(p + t0, "? ");
    if (tl < sizeof(req->path)) {
        memcpy(req->path, p + t0, tl);
        req->path[tl] = '\0';
    } else {
        req->path[0] = '\0';
    }
    i++;
    if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || (p[i + 7] != '0' && p[i + 7] != '1'))
        return PARSE_BAD;
    req->http_minor = p[i + 7] - '0';
    return PARSE_OK;
}

static int
parse_header_line(const char *p, size_t n, struct status_req *req, int *conn_close, int *conn_keep)
{
    size_t c, v;

    c = http_token_len(p, n);
    if (c == 0 || c >= n || p[c] != ':')
        return PARSE_BAD;
    for (v = c + 1; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
        ;
    if (!http_header_value_ok(p + v, n - v))
        return PARSE_BAD;
    if (c == 10 && strncasecmp(p, "Connection", c) == 0) {
        *conn_close |= has_token(p + v, n - v, "close");
        *conn_keep |= has_token(p + v, n - v, "keep-alive");
    } else if (c == 14 && strncasecmp(p, "Content-Length", c) == 0) {
        size_t e = n, i;

        while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
            e--;
        if (e == v || e - v > 18)
            return PARSE_BAD;
        for (i = v; i < e && p[i] >= '0' && p[i] <= '9'; i++)
            ;
        if (i != e)
            return PARSE_BAD;
        if (e - v != 1 || p[v] != '0')
            req->has_body = 1;
    } else if (c == 17 && strncasecmp(p, "Transfer-Encoding", c) == 0) {
        req->has_body = 1;
    }
    (void)req;
    return PARSE_OK;
}

int
status_parse(const char *buf, size_t len, struct status_req *req)
{
    size_t pos = 0;
    int line = 0, conn_close = 0, conn_keep = 0;

    memset(req, 0, sizeof(*req));
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n;
        int rc;

        if (nl == NULL)
            return len >= STATUS_MAX_REQUEST ? PARSE_TOO_LARGE : PARSE_MORE;
        n = (size_t)(nl - (buf + pos));
        if ((size_t)(nl - buf) + 1 > STATUS_MAX_REQUEST)
            return PARSE_TOO_LARGE;
        if (n > 0 && buf[pos + n - 1] == '\r')
            n--;
        if (line == 0 && n == 0 && pos < 4) {
            pos = (size_t)(nl - buf) + 1; /* tolerate a stray CRLF before a request */
            continue;
        }
        if (line > 0 && n == 0) {
            req->len = (size_t)(nl - buf) + 1;
            req->keep_alive = req->http_minor == 1 ? !conn_close : conn_keep && !conn_close;
            /* A body is never read: answer, then close, so it is not taken for a request. */
            if (req->has_body)
                req->keep_alive = 0;
            return PARSE_OK;
        }
        if (memchr(buf + pos, '\0', n) != NULL)
            return PARSE_BAD;
        if (line == 0)
            rc = parse_request_line(buf + pos, n, req);
        else if (buf[pos] == ' ' || buf[pos] == '\t')
            rc = PARSE_BAD; /* obsolete line folding */
        else
            rc = parse_header_line(buf + pos, n, req, &conn_close, &conn_keep);
        if (rc != PARSE_OK)
            return rc;
        line++;
        pos = (size_t)(nl - buf) + 1;
    }
}

/* ---- connections ---- */

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);

static void
conn_close(struct status_conn *c)
{
    struct status_server *srv = c->srv;

    ev_io_stop(srv->loop, &c->io);
    ev_timer_stop(srv->loop, &c->deadline);
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->nconns--;
    buf_free(&c->out);
    free(c);
}

static const char *
reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

static void
conn_respond(struct status_conn *c, const struct status_req *req, struct status_resp *resp)
{
    int head = req != NULL && strcmp(req->method, "HEAD") == 0;

    buf_addf(&c->out,
             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
             "Cache-Control: no-store\r\nConnection: %s\r\n%s\r\n",
             resp->code, reason(resp->code), resp->content_type ? resp->content_type : "text/plain",
             resp->body.len, c->closing ? "close" : "keep-alive",
             resp->extra_headers ? resp->extra_headers : "");
    if (!head && resp->body.len > 0)
        buf_add(&c->out, resp->body.p, resp->body.len);
    if (c->out.oom)
        c->closing = 1;
}

static void
conn_error(struct status_conn *c, int code)
{
    struct status_resp resp = {.code = code, .content_type = "text/plain"};

    buf_init(&resp.body);
    buf_addf(&resp.body, "%s\n", reason(code));
    c->closing = 1;
    c->inlen = 0;
    conn_respond(c, NULL, &resp);
    buf_free(&resp.body);
}

/* Writes what is pending; 0 when all of it went out, 1 when the socket is full, -1 to close. */
static int
conn_flush(struct status_conn *c)
{
    while (c->outoff < c->out.len) {
        ssize_t w = send(c->fd, c->out.p + c->outoff, c->out.len - c->outoff, MSG_NOSIGNAL);

        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (w <= 0)
            return -1;
        c->outoff += (size_t)w;
    }
    buf_free(&c->out);
    buf_init(&c->out);
    c->outoff = 0;
    return c->closing ? -1 : 0;
}

static void
conn_rearm(struct status_conn *c, int events)
{
    struct status_server *srv = c->srv;

    if (events != c->io.events) {
        ev_io_stop(srv->loop, &c->io);
        ev_io_set(&c->io, c->fd, events);
        ev_io_start(srv->loop, &c->io);
    }
}

/* Answers every complete request in the buffer, one at a time, while the client reads. */
static void
conn_process(struct status_conn *c)
{
    struct status_server *srv = c->srv;
    int rc;

    for (;;) {
        struct status_req req;

        if (c->out.len > 0) {
            rc = conn_flush(c);
            if (rc < 0) {
                conn_close(c);
                return;
            }
            if (rc > 0) {
                conn_rearm(c, EV_WRITE);
                return;
            }
        }
        rc = status_parse(c->in, c->inlen, &req);
        if (rc == PARSE_MORE) {
            conn_rearm(c, EV_READ);
            return;
        }
        if (rc == PARSE_BAD || rc == PARSE_TOO_LARGE) {
            conn_error(c, rc == PARSE_BAD ? 400 : 431);
            continue;
        }
        {
            struct status_resp resp = {.code = 500, .content_type = "text/plain"};

            buf_init(&resp.body);
            if (!req.keep_alive)
                c->closing = 1;
            srv->handler(srv->ctx, &req, &resp);
            conn_respond(c, &req, &resp);
            buf_free(&resp.body);
        }
        memmove(c->in, c->in + req.len, c->inlen - req.len);
        c->inlen -= req.len;
        /* The next request has its own 5 s from now. */
        ev_timer_again(srv->loop, &c->deadline);
    }
}

static void
conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct status_conn *c = w->data;

    (void)loop;
    if (revents & EV_READ) {
        ssize_t r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            conn_close(c);
            return;
        }
        if (r > 0)
            c->inlen += (size_t)r;
    }
    conn_process(c);
}

static void
conn_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_close(w->data);
}

static void
accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct status_server *srv = w->data;

    (void)revents;
    ev_io_start(loop, &srv->accept_io);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct status_server *srv = w->data;

    (void)revents;
    for (int i = 0; i < 64; i++) {
        struct status_conn *c;
        int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: pause instead of spinning on a ready listener. The
                 * timer is set each time: a one-shot timer keeps nothing of its 100 ms. */
                ev_io_stop(loop, &srv->accept_io);
                ev_timer_set(&srv->accept_pause, 0.1, 0.);
                ev_timer_start(loop, &srv->accept_pause);
            }
            return;
        }
        if (srv->nconns >= STATUS_MAX_CONNS) {
            close(fd);
            continue;
        }
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->srv = srv;
        c->fd = fd;
        buf_init(&c->out);
        ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
        c->io.data = c;
        ev_io_start(loop, &c->io);
        ev_init(&c->deadline, conn_deadline_cb);
        c->deadline.repeat = STATUS_REQUEST_SECONDS;
        c->deadline.data = c;
        ev_timer_again(loop, &c->deadline);
        c->next = srv->conns;
        if (srv->conns != NULL)
            srv->conns->prev = c;
        srv->conns = c;
        srv->nconns++;
    }
}

struct status_server *
status_listen(struct ev_loop *loop, const char *addr, status_handler_fn *handler, void *ctx,
              char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char e[160];
    struct status_server *srv;
    int one = 1, zero = 0;

    if (listen_addr_parse(addr, &ss, &len, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "--listen: %s", e);
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    srv->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->fd < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        free(srv);
        return NULL;
    }
    setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) /* [::] takes IPv4 too */
        setsockopt(srv->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(srv->fd, (struct sockaddr *)&ss, len) < 0 || listen(srv->fd, 512) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        close(srv->fd);
        free(srv);
        return NULL;
    }
    srv->loop = loop;
    srv->handler = handler;
    srv->ctx = ctx;
    ev_io_init(&srv->accept_io, accept_cb, srv->fd, EV_READ);
    srv->accept_io.data = srv;
    ev_io_start(loop, &srv->accept_io);
    ev_timer_init(&srv->accept_pause, accept_resume_cb, 0.1, 0.);
    srv->accept_pause.data = srv;
    return srv;
}

void
status_local_addr(const struct status_server *srv, char *out, size_t outsz)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN];

    snprintf(out, outsz, "?");
    if (getsockname(srv->fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, outsz, "[%s]:%d", host, ntohs(in6->sin6_port));
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, outsz, "%s:%d", host, ntohs(in->sin_port));
    }
}

void
status_close(struct status_server *srv)
{
    if (srv == NULL)
        return;
    ev_io_stop(srv->loop, &srv->accept_io);
    ev_timer_stop(srv->loop, &srv->accept_pause);
    close(srv->fd);
    while (srv->conns != NULL)
        conn_close(srv->conns);
    free(srv);
}
