/* Host names resolved on the loop (c-ares), so no library ever calls getaddrinfo on a name.
 * The resolver knows nothing of checks: it turns a name into addresses and says so. */
#ifndef PROBE_RESOLVE_H
#define PROBE_RESOLVE_H

#include <ev.h>
#include <stddef.h>
#include <sys/socket.h>

/* One address with its port, and its numeric text (no brackets). */
struct net_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64];
};

struct resolver;
struct resolve_query;

/* Called once per query that was not cancelled: n addresses were written, or n is 0 and err
 * says why ("no such host db", "dns timeout for db"). */
typedef void resolve_done_fn(void *arg, int n, const char *err);

struct resolver *resolver_new(struct ev_loop *loop, char *err, size_t errlen);
/* Pending queries are dropped without their callbacks. */
void resolver_free(struct resolver *res);

/* A numeric host (IPv4 or IPv6 text) needs no lookup: 1 and *out filled, or 0. */
int resolve_numeric(const char *host, int port, struct net_addr *out);
/* Starts a lookup of host writing up to max addresses with port into out. *slot points to the
 * query while it is in flight and is cleared before done runs (which may be at once, from
 * /etc/hosts). 0, or -1 without memory. */
int resolve_name(struct resolver *res, const char *host, int port, struct net_addr *out, int max,
                 resolve_done_fn *done, void *arg, struct resolve_query **slot);
/* Forgets the query in *slot, if any: its answer is dropped and out is not touched. */
void resolve_cancel(struct resolve_query **slot);

#endif
