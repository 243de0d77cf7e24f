/* tcp://host:port — passes when a TCP connection is established. Each address is tried in
 * turn within the one deadline. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct tcp_state {
    ev_io io;
    int fd;
    int last_errno;
};

static void tcp_try_next(struct check *c);

static void
tcp_close(struct check *c)
{
    struct tcp_state *st = c->priv;

    if (st == NULL || st->fd < 0)
        return;
    ev_io_stop(c->loop, &st->io);
    close(st->fd);
    st->fd = -1;
}

static void
tcp_fail_or_next(struct check *c, int err)
{
    struct tcp_state *st = c->priv;

    st->last_errno = err;
    tcp_close(c);
    c->addr_idx++;
    tcp_try_next(c);
}

static void
tcp_writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct check *c = w->data;
    int err = 0;
    socklen_t len = sizeof(err);
    struct tcp_state *st = c->priv;

    (void)loop;
    (void)revents;
    if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    check_attempt_stop(c);
    if (err != 0) {
        tcp_fail_or_next(c, err);
        return;
    }
    tcp_close(c);
    check_pass(c, "connected");
}

static void
tcp_try_next(struct check *c)
{
    struct tcp_state *st = c->priv;
    const struct net_addr *a;

    if (c->addr_idx >= c->naddrs) {
        check_fail(c, check_errno_reason(st->last_errno), "%s", check_errno_text(st->last_errno));
        return;
    }
    a = &c->addrs[c->addr_idx];
    st->fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (st->fd < 0) {
        st->last_errno = errno;
        c->addr_idx++;
        tcp_try_next(c);
        return;
    }
    if (connect(st->fd, (const struct sockaddr *)&a->sa, a->len) < 0 && errno != EINPROGRESS) {
        tcp_fail_or_next(c, errno);
        return;
    }
    ev_io_init(&st->io, tcp_writable_cb, st->fd, EV_WRITE);
    st->io.data = c;
    ev_io_start(c->loop, &st->io);
    check_attempt_arm(c);
}

static void
tcp_attempt_timeout(struct check *c)
{
    tcp_fail_or_next(c, ETIMEDOUT);
}

static int
tcp_start(struct check *c)
{
    struct tcp_state *st = c->priv;

    st->fd = -1;
    st->last_errno = EHOSTUNREACH;
    tcp_try_next(c);
    return 0;
}

static void
tcp_abort(struct check *c)
{
    tcp_close(c);
}

static const struct kind_scheme tcp_schemes[] = {{"tcp", 0, 0}, {NULL, 0, 0}};

const struct kind kind_tcp = {
    .name = "tcp",
    .component_type = "tcp",
    .usage = "tcp://host:port",
    .schemes = tcp_schemes,
    .userinfo = USERINFO_NONE,
    .path = PATH_NONE,
    .state_size = sizeof(struct tcp_state),
    .start = tcp_start,
    .abort = tcp_abort,
    .attempt_timeout = tcp_attempt_timeout,
};
