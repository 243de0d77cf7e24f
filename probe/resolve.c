/*
 * Name resolution on the loop with c-ares. MariaDB Connector/C and hiredis call getaddrinfo()
 * synchronously and curl's threaded resolver can outlive a deadline, so every library is
 * handed numeric addresses resolved here, under the check's own deadline.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "run.h"
#include "text.h"

#define RES_MAX_FDS 16

struct res_fd {
    ev_io io;
    int fd;
    int used;
};

struct resolver {
    struct ev_loop *loop;
    ares_channel channel;
    ev_timer timer;
    struct res_fd fds[RES_MAX_FDS];
    int library_ready;
};

/* One in-flight query; it outlives its check when the check is cancelled first. */
struct res_query {
    struct check *c; /* NULL once cancelled */
};

static void res_rearm(struct resolver *res);

static void
res_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct resolver *res = w->data;
    ares_socket_t rfd = (revents & EV_READ) ? w->fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (revents & EV_WRITE) ? w->fd : ARES_SOCKET_BAD;

    (void)loop;
    ares_process_fd(res->channel, rfd, wfd);
    res_rearm(res);
}

static void
res_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct resolver *res = w->data;

    (void)loop;
    (void)revents;
    ares_process_fd(res->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    res_rearm(res);
}

/* c-ares' own retransmission timer, mapped onto one ev_timer. */
static void
res_rearm(struct resolver *res)
{
    struct timeval tv, *tvp;

    if (res->channel == NULL)
        return;
    ev_timer_stop(res->loop, &res->timer);
    tvp = ares_timeout(res->channel, NULL, &tv);
    if (tvp != NULL) {
        ev_timer_set(&res->timer, (double)tvp->tv_sec + (double)tvp->tv_usec / 1e6, 0.);
        ev_timer_start(res->loop, &res->timer);
    }
}

static void
res_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct resolver *res = data;
    struct res_fd *slot = NULL;
    int events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

    for (int i = 0; i < RES_MAX_FDS; i++) {
        if (res->fds[i].used && res->fds[i].fd == fd) {
            slot = &res->fds[i];
            break;
        }
    }
    if (slot != NULL) {
        ev_io_stop(res->loop, &slot->io);
        if (events == 0) {
            slot->used = 0;
            return;
        }
    } else {
        if (events == 0)
            return;
        for (int i = 0; i < RES_MAX_FDS; i++) {
            if (!res->fds[i].used) {
                slot = &res->fds[i];
                break;
            }
        }
        if (slot == NULL)
            return; /* more sockets than a probe ever opens; c-ares times the query out */
        slot->used = 1;
        slot->fd = fd;
    }
    ev_io_init(&slot->io, res_io_cb, fd, events);
    slot->io.data = res;
    ev_io_start(res->loop, &slot->io);
}

static struct resolver *
res_get(struct run *r, char *err, size_t errlen)
{
    struct resolver *res = r->resolver;
    struct ares_options opts;
    int rc;

    if (res != NULL)
        return res;
    res = calloc(1, sizeof(*res));
    if (res == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "dns: %s", ares_strerror(rc));
        free(res);
        return NULL;
    }
    res->library_ready = 1;
    res->loop = r->loop;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = res_sock_state_cb;
    opts.sock_state_cb_data = res;
    /* Short tries so that a second server or attempt fits in a health-check deadline. */
    opts.timeout = 1000;
    opts.tries = 3;
    rc = ares_init_options(&res->channel, &opts,
                           ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "dns: %s", ares_strerror(rc));
        ares_library_cleanup();
        free(res);
        return NULL;
    }
    ev_timer_init(&res->timer, res_timer_cb, 0., 0.);
    res->timer.data = res;
    r->resolver = res;
    return res;
}

static int
addr_add(struct check *c, const struct sockaddr *sa, socklen_t len, int port)
{
    struct check_addr *a;

    if (c->naddrs >= CHECK_MAX_ADDRS)
        return 0;
    a = &c->addrs[c->naddrs];
    memset(a, 0, sizeof(*a));
    memcpy(&a->sa, sa, len);
    a->len = len;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;

        in->sin_port = htons((uint16_t)port);
        inet_ntop(AF_INET, &in->sin_addr, a->text, sizeof(a->text));
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;

        in6->sin6_port = htons((uint16_t)port);
        inet_ntop(AF_INET6, &in6->sin6_addr, a->text, sizeof(a->text));
    } else {
        return 0;
    }
    c->naddrs++;
    return 1;
}

/* Numeric hosts need no lookup: fill the address at once. */
static int
addr_numeric(struct check *c, const char *host, int port)
{
    struct sockaddr_in in;
    struct sockaddr_in6 in6;

    memset(&in, 0, sizeof(in));
    memset(&in6, 0, sizeof(in6));
    if (inet_pton(AF_INET, host, &in.sin_addr) == 1) {
        in.sin_family = AF_INET;
        return addr_add(c, (struct sockaddr *)&in, sizeof(in), port);
    }
    if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        return addr_add(c, (struct sockaddr *)&in6, sizeof(in6), port);
    }
    return 0;
}

static void
check_begin(struct check *c)
{
    c->addr_idx = 0;
    check_phase(c, PHASE_CONNECT);
    c->ops->start(c);
}

static void
res_answer_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    struct res_query *q = arg;
    struct check *c = q->c;

    (void)timeouts;
    free(q);
    if (c == NULL) {
        if (ai != NULL)
            ares_freeaddrinfo(ai);
        return;
    }
    c->resolve = NULL;
    if (status == ARES_SUCCESS && ai != NULL) {
        for (struct ares_addrinfo_node *n = ai->nodes; n != NULL; n = n->ai_next)
            addr_add(c, n->ai_addr, n->ai_addrlen, c->t->url.port);
    }
    if (ai != NULL)
        ares_freeaddrinfo(ai);
    if (c->naddrs == 0 && strcasecmp(c->t->url.host, "localhost") == 0) {
        /* RFC 6761: localhost is loopback even where /etc/hosts does not say so. */
        addr_numeric(c, "127.0.0.1", c->t->url.port);
    }
    if (c->naddrs > 0) {
        check_begin(c);
        return;
    }
    switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_SUCCESS:
        check_done(c, CHECK_FAIL, "no such host %s", c->t->url.host);
        break;
    case ARES_ETIMEOUT:
        check_done(c, CHECK_FAIL, "dns timeout for %s", c->t->url.host);
        break;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
        break;
    default:
        check_done(c, CHECK_FAIL, "dns error for %s: %s", c->t->url.host, ares_strerror(status));
        break;
    }
}

void
resolve_start(struct check *c)
{
    struct ares_addrinfo_hints hints;
    struct resolver *res;
    struct res_query *q;
    char err[ERRLEN];
    char port[8];

    c->naddrs = 0;
    c->addr_idx = 0;
    /* A unix socket (mysql socket=) or a numeric host needs no lookup. */
    if (c->t->url.host[0] == '\0' || c->t->url.socket != NULL ||
        addr_numeric(c, c->t->url.host, c->t->url.port)) {
        check_begin(c);
        return;
    }
    res = res_get(c->run, err, sizeof(err));
    if (res == NULL) {
        check_done(c, CHECK_FAIL, "%s", err);
        return;
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL) {
        check_done(c, CHECK_FAIL, "out of memory");
        return;
    }
    q->c = c;
    c->resolve = q;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", c->t->url.port);
    ares_getaddrinfo(res->channel, c->t->url.host, port, &hints, res_answer_cb, q);
    res_rearm(res);
}

void
resolve_cancel(struct check *c)
{
    struct res_query *q = c->resolve;

    if (q != NULL) {
        q->c = NULL;
        c->resolve = NULL;
    }
}

void
resolve_free(struct run *r)
{
    struct resolver *res = r->resolver;

    if (res == NULL)
        return;
    ev_timer_stop(res->loop, &res->timer);
    /* ares_destroy() answers every pending query with ARES_EDESTRUCTION, freeing them. */
    ares_destroy(res->channel);
    res->channel = NULL;
    for (int i = 0; i < RES_MAX_FDS; i++) {
        if (res->fds[i].used)
            ev_io_stop(res->loop, &res->fds[i].io);
    }
    if (res->library_ready)
        ares_library_cleanup();
    free(res);
    r->resolver = NULL;
}
