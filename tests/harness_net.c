/* Loopback sockets for the tests: free ports, listeners that never answer or drop SYNs, and a
 * raw HTTP/1.1 client that reads responses off the wire as they come. */
#include "harness_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Fills a sockaddr for a numeric loopback address; the harness never talks to anything else. */
static int
loopback_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)port);
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
            return -1;
        *len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
            return -1;
        *len = sizeof(*s4);
    }
    return 0;
}

static int
bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int
harness_free_port(void)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, port;

    if (loopback_addr("127.0.0.1", 0, &ss, &len) == -1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
        close(fd);
        return -1;
    }
    port = bound_port(fd);
    close(fd);
    return port;
}

int
harness_listener(const char *addr, int backlog, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;

    if (loopback_addr(addr, port != NULL ? *port : 0, &ss, &len) == -1)
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, backlog) == -1) {
        close(fd);
        return -1;
    }
    if (port != NULL)
        *port = bound_port(fd);
    return fd;
}

int
harness_silent_listener(int *port)
{
    *port = 0;
    return harness_listener("127.0.0.1", 64, port);
}

/* Starts a non-blocking connect to 127.0.0.1:port and says whether it completed within ms. */
int
harness_connect_within(int port, int ms, int *fd_out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct pollfd pfd;
    int fd, soerr = 0;
    socklen_t soerr_len = sizeof(soerr);

    *fd_out = -1;
    if (loopback_addr("127.0.0.1", port, &ss, &len) == -1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    *fd_out = fd;
    if (connect(fd, (struct sockaddr *)&ss, len) == 0)
        return 1;
    if (errno != EINPROGRESS)
        return -1;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, ms) != 1)
        return 0;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) == -1 || soerr != 0)
        return -1;
    return 1;
}

/* Linux drops a SYN when the accept queue of the listener is full (and
 * tcp_abort_on_overflow is 0), so with backlog 0 and one unaccepted connection every further
 * connect() hangs in SYN_SENT: a peer that "drops SYNs" without touching the firewall. */
int
harness_full_listener_open(struct harness_full_listener *f)
{
    int i, r;

    memset(f, 0, sizeof(*f));
    f->port = 0;
    f->lfd = harness_listener("127.0.0.1", 0, &f->port);
    if (f->lfd == -1)
        return -1;
    for (i = 0; i < (int)(sizeof(f->cfds) / sizeof(f->cfds[0])); i++) {
        r = harness_connect_within(f->port, 300, &f->cfds[f->ncfds]);
        if (f->cfds[f->ncfds] != -1)
            f->ncfds++;
        if (r == 0)
            return 0; /* this SYN was dropped: the queue is full */
        if (r == -1)
            break;
    }
    harness_full_listener_close(f);
    return -1;
}

void
harness_full_listener_close(struct harness_full_listener *f)
{
    int i;

    for (i = 0; i < f->ncfds; i++)
        close(f->cfds[i]);
    f->ncfds = 0;
    if (f->lfd >= 0)
        close(f->lfd);
    f->lfd = -1;
}

/* ---- a raw HTTP/1.1 client ---- */

int
harness_connect_start(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    if (loopback_addr(host, port, &ss, &len) == -1)
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) == -1 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int
harness_connect(const char *host, int port, int ms)
{
    struct pollfd pfd;
    int fd = harness_connect_start(host, port), soerr = 0, flags;
    socklen_t soerr_len = sizeof(soerr);

    if (fd == -1)
        return -1;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) == -1 ||
        soerr != 0) {
        close(fd);
        return -1;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

int
harness_conn_open(struct harness_conn *c, const char *host, int port, int ms)
{
    c->len = 0;
    c->fd = harness_connect(host, port, ms);
    return c->fd == -1 ? -1 : 0;
}

int
harness_conn_send(struct harness_conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

void
harness_conn_close(struct harness_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

/* Reads more bytes into c->buf before end. 1: got some (or was interrupted), 0: the peer closed
 * or the connection failed, -1: timeout, -2: the buffer is full. */
static int
conn_fill(struct harness_conn *c, double end)
{
    struct pollfd pfd;
    int left = (int)(end - harness_now_ms()), r;
    ssize_t n;

    if (c->len >= sizeof(c->buf))
        return -2;
    if (left <= 0)
        return -1;
    pfd.fd = c->fd;
    pfd.events = POLLIN;
    r = poll(&pfd, 1, left);
    if (r == -1 && errno == EINTR)
        return 1;
    if (r <= 0)
        return r == 0 ? -1 : 0;
    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
    if (n > 0) {
        c->len += (size_t)n;
        return 1;
    }
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return 1;
    return 0;
}

static int
resp_fail(struct harness_http_resp *r, const char *why, double t0)
{
    r->status = 0;
    snprintf(r->why, sizeof(r->why), "%s", why);
    r->elapsed_ms = harness_now_ms() - t0;
    return -1;
}

int
harness_conn_response(struct harness_conn *c, int head, struct harness_http_resp *r, int ms)
{
    double t0 = harness_now_ms(), end = t0 + ms;
    const char *hend;
    char value[64];
    size_t hlen, need = 0;
    int status, until_eof = 0, rc;

    r->status = 0;
    r->why[0] = r->head[0] = r->body[0] = '\0';
    r->content_length = -1;
    r->body_len = 0;
    for (;;) {
        hend = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (hend != NULL)
            break;
        if (c->len >= sizeof(r->head))
            return resp_fail(r, "malformed: head too long", t0);
        rc = conn_fill(c, end);
        if (rc == -1)
            return resp_fail(r, c->len ? "timeout in the head" : "timeout", t0);
        if (rc == 0)
            return resp_fail(r, c->len ? "closed in the head" : "closed", t0);
    }
    hlen = (size_t)(hend - c->buf);
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    hlen += 4;
    if (strncmp(r->head, "HTTP/1.", 7) != 0 || sscanf(r->head + 7, "%*1d %3d", &status) != 1 ||
        status < 100 || status > 999)
        return resp_fail(r, "malformed: status line", t0);
    if (harness_http_header(r, "Content-Length", value, sizeof(value)) == 0) {
        char *e;

        r->content_length = strtol(value, &e, 10);
        if (e == value || *e != '\0' || r->content_length < 0)
            return resp_fail(r, "malformed: Content-Length", t0);
    }
    if (head || status / 100 == 1 || status == 204 || status == 304)
        need = 0;
    else if (r->content_length >= 0)
        need = (size_t)r->content_length;
    else
        until_eof = 1;
    if (need > sizeof(r->body) - 1)
        return resp_fail(r, "body too large for the harness", t0);
    for (;;) {
        if (!until_eof && c->len - hlen >= need)
            break;
        rc = conn_fill(c, end);
        if (rc == -1)
            return resp_fail(r, "timeout in the body", t0);
        if (rc == -2 || (rc == 0 && !until_eof))
            return resp_fail(r, rc == 0 ? "closed in the body" : "body too large", t0);
        if (rc == 0) {
            need = c->len - hlen;
            if (need > sizeof(r->body) - 1)
                return resp_fail(r, "body too large for the harness", t0);
            break;
        }
    }
    memcpy(r->body, c->buf + hlen, need);
    r->body[need] = '\0';
    r->body_len = need;
    c->len -= hlen + need;
    memmove(c->buf, c->buf + hlen + need, c->len);
    r->status = status;
    r->elapsed_ms = harness_now_ms() - t0;
    return 0;
}

int
harness_conn_wait_close(struct harness_conn *c, int ms, double *after_ms, size_t *extra)
{
    double t0 = harness_now_ms(), end = t0 + ms;
    size_t got = c->len;
    char buf[4096];

    c->len = 0;
    for (;;) {
        struct pollfd pfd;
        int left = (int)(end - harness_now_ms()), r;
        ssize_t n;

        if (left <= 0)
            break;
        pfd.fd = c->fd;
        pfd.events = POLLIN;
        r = poll(&pfd, 1, left);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (after_ms != NULL)
            *after_ms = harness_now_ms() - t0;
        if (extra != NULL)
            *extra = got;
        return 1;
    }
    if (extra != NULL)
        *extra = got;
    return 0;
}

int
harness_http(const char *host, int port, const char *request, struct harness_http_resp *r, int ms)
{
    struct harness_conn *c = malloc(sizeof(*c));
    double t0 = harness_now_ms();
    int rc = -1;

    if (c == NULL)
        return resp_fail(r, "out of memory", t0);
    if (harness_conn_open(c, host, port, ms) == -1) {
        resp_fail(r, "connect failed", t0);
    } else if (harness_conn_send(c, request, strlen(request)) == -1) {
        resp_fail(r, "send failed", t0);
    } else {
        rc = harness_conn_response(c, strncmp(request, "HEAD ", 5) == 0, r,
                                   ms - (int)(harness_now_ms() - t0));
        r->elapsed_ms = harness_now_ms() - t0;
    }
    harness_conn_close(c);
    free(c);
    return rc;
}

int
harness_http_header(const struct harness_http_resp *r, const char *name, char *out, size_t outlen)
{
    const char *line = strstr(r->head, "\r\n");
    size_t nlen = strlen(name);

    while (line != NULL) {
        const char *end, *v;

        line += 2;
        end = strstr(line, "\r\n");
        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            v = line + nlen + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            snprintf(out, outlen, "%.*s", (int)(end - v), v);
            return 0;
        }
        line = *end != '\0' ? end : NULL;
    }
    return -1;
}
