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
#include <strings.h>

#include "resolve.h"
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
};

/* One in-flight query; it outlives its caller's interest when cancelled first. */
struct resolve_query {
    char *host;
    int port;
    struct net_addr *out; /* NULL once cancelled */
    int max;
    resolve_done_fn *done;
    void *arg;
    struct resolve_query **slot; /* the caller's pointer to this query, cleared when it ends */
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

struct resolver *
resolver_new(struct ev_loop *loop, char *err, size_t errlen)
{
    struct resolver *res = calloc(1, sizeof(*res));
    struct ares_options opts;
    int rc;

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
    res->loop = loop;
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
    return res;
}

static int
addr_set(struct net_addr *a, const struct sockaddr *sa, socklen_t len, int port)
{
    if (len > sizeof(a->sa))
        return 0;
    memset(a, 0, sizeof(*a));
    memcpy(&a->sa, sa, len);
    a->len = len;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;

        in->sin_port = htons((uint16_t)port);
        inet_ntop(AF_INET, &in->sin_addr, a->text, sizeof(a->text));
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;

        in6->sin6_port = htons((uint16_t)port);
        inet_ntop(AF_INET6, &in6->sin6_addr, a->text, sizeof(a->text));
        return 1;
    }
    return 0;
}

int
resolve_numeric(const char *host, int port, struct net_addr *out)
{
    struct sockaddr_in in;
    struct sockaddr_in6 in6;

    memset(&in, 0, sizeof(in));
    memset(&in6, 0, sizeof(in6));
    if (inet_pton(AF_INET, host, &in.sin_addr) == 1) {
        in.sin_family = AF_INET;
        return addr_set(out, (struct sockaddr *)&in, sizeof(in), port);
    }
    if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        return addr_set(out, (struct sockaddr *)&in6, sizeof(in6), port);
    }
    return 0;
}

static void
query_free(struct resolve_query *q)
{
    free(q->host);
    free(q);
}

static void
res_answer_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    struct resolve_query *q = arg;
    char err[320];
    int n = 0;

    (void)timeouts;
    if (q->slot != NULL)
        *q->slot = NULL;
    if (q->out == NULL || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
        if (ai != NULL)
            ares_freeaddrinfo(ai);
        query_free(q);
        return;
    }
    if (status == ARES_SUCCESS && ai != NULL) {
        for (struct ares_addrinfo_node *a = ai->nodes; a != NULL && n < q->max; a = a->ai_next)
            n += addr_set(&q->out[n], a->ai_addr, a->ai_addrlen, q->port);
    }
    if (ai != NULL)
        ares_freeaddrinfo(ai);
    /* RFC 6761: localhost is loopback even where /etc/hosts does not say so. */
    if (n == 0 && strcasecmp(q->host, "localhost") == 0)
        n = resolve_numeric("127.0.0.1", q->port, &q->out[0]);
    err[0] = '\0';
    if (n == 0) {
        switch (status) {
        case ARES_ENOTFOUND:
        case ARES_ENODATA:
        case ARES_SUCCESS:
            snprintf(err, sizeof(err), "no such host %s", q->host);
            break;
        case ARES_ETIMEOUT:
            snprintf(err, sizeof(err), "dns timeout for %s", q->host);
            break;
        default:
            snprintf(err, sizeof(err), "dns error for %s: %s", q->host, ares_strerror(status));
            break;
        }
    }
    q->done(q->arg, n, err);
    query_free(q);
}

int
resolve_name(struct resolver *res, const char *host, int port, struct net_addr *out, int max,
             resolve_done_fn *done, void *arg, struct resolve_query **slot)
{
    struct ares_addrinfo_hints hints;
    struct resolve_query *q = calloc(1, sizeof(*q));
    char portstr[8];

    if (q == NULL)
        return -1;
    q->host = strdup(host);
    if (q->host == NULL) {
        free(q);
        return -1;
    }
    /* Set before asking: c-ares may answer (from /etc/hosts) before ares_getaddrinfo returns. */
    q->slot = slot;
    *slot = q;
    q->port = port;
    q->out = out;
    q->max = max;
    q->done = done;
    q->arg = arg;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof(portstr), "%d", port);
    ares_getaddrinfo(res->channel, host, portstr, &hints, res_answer_cb, q);
    res_rearm(res);
    return 0;
}

void
resolve_cancel(struct resolve_query **slot)
{
    struct resolve_query *q = *slot;

    if (q != NULL) {
        q->out = NULL;
        q->slot = NULL;
        *slot = NULL;
    }
}

void
resolver_free(struct resolver *res)
{
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
    ares_library_cleanup();
    free(res);
}
