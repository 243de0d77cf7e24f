/* A non-blocking connect to each address of a check in turn (conn.h). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"

static void conn_try(struct check *c, struct conn *cn);

void
conn_close(struct check *c, struct conn *cn)
{
    if (cn->fd < 0)
        return;
    ev_io_stop(c->loop, &cn->io);
    close(cn->fd);
    cn->fd = -1;
}

void
conn_fail_errno(struct check *c, struct conn *cn, int err)
{
    conn_close(c, cn);
    check_fail(c, check_errno_reason(err), "%s", check_errno_text(err));
}

static void
conn_next(struct check *c, struct conn *cn, int err)
{
    cn->last_errno = err;
    conn_close(c, cn);
    c->addr_idx++;
    conn_try(c, cn);
}

/* Writable: the connect finished, one way or the other; SO_ERROR says which. */
static void
conn_writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *cn = (struct conn *)w;
    struct check *c = w->data;
    int err = 0;
    socklen_t len = sizeof(err);

    (void)revents;
    if (getsockopt(cn->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    check_attempt_stop(c);
    if (err != 0) {
        conn_next(c, cn, err);
        return;
    }
    ev_io_stop(loop, &cn->io);
    cn->connected(c, cn);
}

static void
conn_try(struct check *c, struct conn *cn)
{
    const struct net_addr *a;

    if (c->addr_idx >= c->naddrs) {
        check_fail(c, check_errno_reason(cn->last_errno), "%s", check_errno_text(cn->last_errno));
        return;
    }
    a = &c->addrs[c->addr_idx];
    check_phase(c, PHASE_CONNECT);
    cn->fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cn->fd < 0) {
        conn_next(c, cn, errno);
        return;
    }
    if (connect(cn->fd, (const struct sockaddr *)&a->sa, a->len) < 0 && errno != EINPROGRESS) {
        conn_next(c, cn, errno);
        return;
    }
    ev_io_init(&cn->io, conn_writable_cb, cn->fd, EV_WRITE);
    cn->io.data = c;
    ev_io_start(c->loop, &cn->io);
    check_attempt_arm(c);
}

void
conn_start(struct check *c, struct conn *cn, conn_connected_fn connected)
{
    cn->fd = -1;
    cn->last_errno = EHOSTUNREACH;
    cn->connected = connected;
    conn_try(c, cn);
}

void
conn_attempt_timeout(struct check *c, struct conn *cn)
{
    conn_next(c, cn, ETIMEDOUT);
}
