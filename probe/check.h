/*
 * One check interface. A kind of check is a const descriptor (kind.h); one struct check holds
 * the state every kind shares: the result, its reason, the phase it is in, the message and
 * the timings.
 * The first result recorded wins; later ones (a reply after the deadline, an error during
 * teardown) are ignored.
 */
#ifndef PROBE_CHECK_H
#define PROBE_CHECK_H

#include <ev.h>
#include <signal.h>
#include <sys/socket.h>

#include "kind.h"
#include "resolve.h"
#include "target.h"

enum check_phase {
    PHASE_DNS,
    PHASE_CONNECT,
    PHASE_TLS,
    PHASE_AUTH,
    PHASE_REQUEST,
    PHASE_QUERY,
    PHASE_RESPONSE,
    PHASE_COUNT
};

enum check_status { CHECK_PENDING, CHECK_PASS, CHECK_FAIL };

/* Why a check failed: one word from one table shared by every kind (SPEC, "The health
 * document"). The text output keeps the message; the health document carries the word. */
enum check_reason {
    REASON_NONE,
    REASON_DNS,      /* no such host, resolver failure */
    REASON_CONNECT,  /* refused, unreachable, reset before the protocol */
    REASON_TLS,      /* handshake, certificate */
    REASON_AUTH,     /* credentials refused */
    REASON_STATUS,   /* HTTP status outside the set, wrong role */
    REASON_BODY,     /* expected text or value missing */
    REASON_PROTOCOL, /* the peer spoke something else */
    REASON_LIMIT,    /* reply over a cap */
    REASON_SERVER,   /* the server refused for its own reasons */
    REASON_TIMEOUT,  /* the deadline; the phase says where */
    REASON_RESOURCE, /* out of fds or memory */
    REASON_COUNT
};

#define CHECK_MSG_LEN 512
#define CHECK_MAX_ADDRS 16

struct run;

struct check {
    const struct target *t;
    const struct kind *kind; /* t->url.kind */
    struct run *run;
    struct ev_loop *loop;

    volatile sig_atomic_t status; /* enum check_status; read by the watchdog */
    volatile sig_atomic_t phase;  /* enum check_phase; read by the watchdog */
    enum check_reason reason;     /* set with a failure */
    char msg[CHECK_MSG_LEN];
    double t_start; /* mono_ms */
    double t_end;
    long wall_end; /* time(NULL) when done, for the health document */

    ev_timer deadline;
    ev_timer attempt; /* per-address share of the deadline, when several addresses remain */
    struct net_addr addrs[CHECK_MAX_ADDRS];
    int naddrs;
    int addr_idx;                /* the address being tried */
    struct resolve_query *query; /* in flight while the name is looked up */

    void *priv; /* the kind's own state */
};

const char *check_phase_name(enum check_phase phase);
/* The reason's word ("dns", "connect", ...). */
const char *check_reason_name(enum check_reason reason);

/* Record the first result and stop the check's work; every later call is a no-op. */
void check_pass(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_fail(struct check *c, enum check_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The reason for a socket errno: resource for EMFILE/ENFILE/ENOMEM/ENOBUFS, else connect. */
enum check_reason check_errno_reason(int err);
/* Moves to the next phase (for timeout messages). */
void check_phase(struct check *c, enum check_phase phase);
/* Each address gets an equal share of what is left of the deadline, so a first address that
 * silently drops SYNs cannot use it all; the timer is armed only while others remain. */
void check_attempt_arm(struct check *c);
void check_attempt_stop(struct check *c);
/* Text for a socket errno: "connection refused", "network unreachable", ... */
const char *check_errno_text(int err);

#endif
