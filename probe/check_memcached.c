/*
 * memcached://host[:port] — the text protocol on a socket of our own: a non-blocking connect
 * to each address in turn within the one deadline, then `version\r\n`, then one reply line.
 * Only `VERSION x` passes, with x as the message; `ERROR`, `CLIENT_ERROR …` and
 * `SERVER_ERROR …` fail with the server's text (`CLIENT_ERROR unauthenticated`, from a server
 * started with -Y, as an auth failure). A reply is judged as soon as its first bytes
 * cannot start any of those, so a peer that speaks something else fails at once, and a line
 * over MC_REPLY_MAX fails without growing a buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "conn.h"

/* The longest reply line taken, "\r\n" included; memcached's own is about 20 bytes. */
#define MC_REPLY_MAX 1024
/* How much of a reply that is not memcached's the message quotes. */
#define MC_QUOTE_MAX 64

static const char mc_request[] = "version\r\n";

/* The starts of every reply a server may give to `version`. */
static const char *const mc_replies[] = {"VERSION ", "ERROR", "CLIENT_ERROR ", "SERVER_ERROR ",
                                         NULL};

struct mc_state {
    struct conn cn;
    size_t sent; /* bytes of mc_request written */
    size_t len;  /* bytes of the reply in buf */
    char buf[MC_REPLY_MAX];
};

static void
mc_close(struct check *c)
{
    struct mc_state *st = c->priv;

    if (st != NULL)
        conn_close(c, &st->cn);
}

/* Stops watching the socket for one direction and starts watching it for the other. */
static void
mc_watch(struct check *c, int events)
{
    struct mc_state *st = c->priv;

    ev_io_stop(c->loop, &st->cn.io);
    ev_io_set(&st->cn.io, st->cn.fd, events);
    ev_io_start(c->loop, &st->cn.io);
}

/* Whether the len bytes at s could still become one of the replies memcached gives. */
static int
mc_could_be_reply(const char *s, size_t len)
{
    for (int i = 0; mc_replies[i] != NULL; i++) {
        size_t n = strlen(mc_replies[i]);

        if (memcmp(s, mc_replies[i], len < n ? len : n) == 0)
            return 1;
    }
    return 0;
}

static int
mc_starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(s, prefix, n) == 0;
}

/* Judges one complete reply line (without its line end). */
static void
mc_judge(struct check *c, const char *line, size_t len)
{
    mc_close(c);
    if (mc_starts_with(line, len, "VERSION ") && len > 8) {
        check_pass(c, "%.*s", (int)(len - 8), line + 8);
        return;
    }
    /* memcached -Y (ASCII auth) answers every command so until a client logs in. */
    if (len == 28 && memcmp(line, "CLIENT_ERROR unauthenticated", 28) == 0) {
        check_fail(c, REASON_AUTH, "%.*s (the server wants ASCII auth, which probe does not speak)",
                   (int)len, line);
        return;
    }
    if ((len == 5 && memcmp(line, "ERROR", 5) == 0) || mc_starts_with(line, len, "ERROR ") ||
        mc_starts_with(line, len, "CLIENT_ERROR ") || mc_starts_with(line, len, "SERVER_ERROR ")) {
        check_fail(c, REASON_SERVER, "%.*s", (int)len, line);
        return;
    }
    check_fail(c, REASON_PROTOCOL, "unexpected reply to version: %.*s%s",
               (int)(len < MC_QUOTE_MAX ? len : MC_QUOTE_MAX), line,
               len > MC_QUOTE_MAX ? "..." : "");
}

/* Takes what the socket has; a reply is judged as soon as its line is complete or its first
 * bytes rule it out. EOF before the line end is a closed connection, whatever came first. */
static void
mc_read(struct check *c)
{
    struct mc_state *st = c->priv;

    for (;;) {
        ssize_t n = recv(st->cn.fd, st->buf + st->len, sizeof(st->buf) - st->len, 0);
        char *nl;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            conn_fail_errno(c, &st->cn, errno);
            return;
        }
        if (n == 0) {
            mc_close(c);
            check_fail(c, REASON_CONNECT, "connection closed %s",
                       st->len == 0 ? "before a reply" : "in the middle of the reply");
            return;
        }
        nl = memchr(st->buf + st->len, '\n', (size_t)n);
        st->len += (size_t)n;
        if (nl != NULL) {
            size_t line = (size_t)(nl - st->buf);

            mc_judge(c, st->buf, line > 0 && st->buf[line - 1] == '\r' ? line - 1 : line);
            return;
        }
        if (!mc_could_be_reply(st->buf, st->len)) {
            mc_judge(c, st->buf, st->len);
            return;
        }
        if (st->len == sizeof(st->buf)) {
            mc_close(c);
            check_fail(c, REASON_LIMIT, "reply to version over %d bytes", MC_REPLY_MAX);
            return;
        }
    }
}

/* Writes what is left of the request; a short write waits for the socket to drain. */
static void
mc_write(struct check *c)
{
    struct mc_state *st = c->priv;

    while (st->sent < sizeof(mc_request) - 1) {
        ssize_t n =
            send(st->cn.fd, mc_request + st->sent, sizeof(mc_request) - 1 - st->sent, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            mc_watch(c, EV_WRITE);
            return;
        }
        if (n < 0) {
            conn_fail_errno(c, &st->cn, errno);
            return;
        }
        st->sent += (size_t)n;
    }
    check_phase(c, PHASE_RESPONSE);
    mc_watch(c, EV_READ);
}

/* The socket drained, or the reply arrived. */
static void
mc_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct check *c = w->data;

    (void)loop;
    if (c->phase == PHASE_REQUEST && (revents & EV_WRITE))
        mc_write(c);
    else if (revents & EV_READ)
        mc_read(c);
}

static void
mc_connected(struct check *c, struct conn *cn)
{
    ev_io_init(&cn->io, mc_io_cb, cn->fd, EV_WRITE);
    cn->io.data = c;
    check_phase(c, PHASE_REQUEST);
    mc_write(c);
}

static int
mc_start(struct check *c)
{
    struct mc_state *st = c->priv;

    conn_start(c, &st->cn, mc_connected);
    return 0;
}

static void
mc_attempt_timeout(struct check *c)
{
    struct mc_state *st = c->priv;

    conn_attempt_timeout(c, &st->cn);
}

static void
mc_abort(struct check *c)
{
    mc_close(c);
}

static const struct kind_scheme mc_schemes[] = {{"memcached", 11211, 0}, {NULL, 0, 0}};

const struct kind kind_memcached = {
    .name = "memcached",
    .component_type = "datastore",
    .usage = "memcached://host[:port]",
    .schemes = mc_schemes,
    .userinfo = USERINFO_NONE,
    .path = PATH_NONE,
    .state_size = sizeof(struct mc_state),
    .start = mc_start,
    .abort = mc_abort,
    .attempt_timeout = mc_attempt_timeout,
};
