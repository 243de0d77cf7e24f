/*
 * A non-blocking TCP connect to each of a check's addresses in turn, within the one deadline:
 * all that tcp:// asks, and how a kind that speaks its protocol on a socket of its own
 * (memcached://) begins. Each address but the last gets its share of what is left of the
 * deadline (check_attempt_arm); when none connects, the check fails with the last errno.
 */
#ifndef PROBE_CONN_H
#define PROBE_CONN_H

#include "check.h"

struct conn;

/* The socket is connected; cn->io is stopped but still set on cn->fd for the caller's use. */
typedef void (*conn_connected_fn)(struct check *c, struct conn *cn);

struct conn {
    ev_io io; /* first, so the watcher's callback finds its conn */
    int fd;   /* -1 when closed */
    int last_errno;
    conn_connected_fn connected;
};

/* Starts with address c->addr_idx; the result comes through connected() or check_fail(). */
void conn_start(struct check *c, struct conn *cn, conn_connected_fn connected);
/* For the kind's attempt_timeout: the current address had its share; try the next. */
void conn_attempt_timeout(struct check *c, struct conn *cn);
/* Stops the watcher and closes the socket; again is a no-op. */
void conn_close(struct check *c, struct conn *cn);
/* After the connect: closes, then fails the check with err's reason and text. */
void conn_fail_errno(struct check *c, struct conn *cn, int err);

#endif
