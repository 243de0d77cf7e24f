/*
 * One check interface. A kind of check is a const table of functions; one struct check holds
 * the state every kind shares: the result, the phase it is in, the message and the timings.
 * The first result recorded wins; later ones (a reply after the deadline, an error during
 * teardown) are ignored.
 */
#ifndef PROBE_CHECK_H
#define PROBE_CHECK_H

#include <ev.h>
#include <signal.h>
#include <sys/socket.h>

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

#define CHECK_MSG_LEN 512
#define CHECK_MAX_ADDRS 16

struct check;
struct run;

struct check_ops {
    int kind;                   /* index into run->kind_state */
    const char *name;           /* "http", "tcp", "mysql", "redis" */
    const char *component_type; /* health document componentType */
    /* Starts the protocol once the addresses are known (c->addrs); returns 0, or -1 after
     * calling check_done(). */
    int (*start)(struct check *c);
    /* Stops everything in flight on the loop without blocking; the check is already done. */
    void (*abort)(struct check *c);
    /* Frees what start allocated; called once, after the loop has stopped. */
    void (*cleanup)(struct check *c);
    /* Brings c->phase up to date from the library's own view, before a timeout is reported;
     * may be NULL when the kind tracks its phase as it goes. */
    void (*sync_phase)(struct check *c);
    /* The current address got its share of the deadline without connecting: give it up and
     * try the next one. May be NULL for kinds that leave this to their library (curl). */
    void (*attempt_timeout)(struct check *c);
    /* Frees the kind's run-wide state (run->kind_state[kind]); may be NULL. */
    void (*run_free)(struct run *r);
};

enum check_kind { KIND_HTTP, KIND_TCP, KIND_MYSQL, KIND_REDIS, KIND_COUNT };

struct check_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64]; /* numeric form, no brackets */
};

struct check {
    const struct target *t;
    const struct check_ops *ops;
    struct run *run;
    struct ev_loop *loop;

    volatile sig_atomic_t status; /* enum check_status; read by the watchdog */
    volatile sig_atomic_t phase;  /* enum check_phase; read by the watchdog */
    char msg[CHECK_MSG_LEN];
    double t_start; /* mono_ms */
    double t_end;
    long wall_end; /* time(NULL) when done, for the health document */

    ev_timer deadline;
    ev_timer attempt; /* per-address share of the deadline, when several addresses remain */
    struct check_addr addrs[CHECK_MAX_ADDRS];
    int naddrs;
    int addr_idx;  /* the address being tried */
    void *resolve; /* in-flight resolver query, owned by resolve.c */

    void *priv; /* the kind's own state */
};

extern const struct check_ops check_http_ops;
extern const struct check_ops check_tcp_ops;
extern const struct check_ops check_mysql_ops;
extern const struct check_ops check_redis_ops;

const struct check_ops *check_ops_for(enum url_scheme scheme);
const char *check_phase_name(enum check_phase phase);

/* Records the first result and stops the check's work; every later call is a no-op. */
void check_done(struct check *c, enum check_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Moves to the next phase (for timeout messages). */
void check_phase(struct check *c, enum check_phase phase);
/* Each address gets an equal share of what is left of the deadline, so a first address that
 * silently drops SYNs cannot use it all; the timer is armed only while others remain. */
void check_attempt_arm(struct check *c);
void check_attempt_stop(struct check *c);
/* Text for a socket errno: "connection refused", "network unreachable", ... */
const char *check_errno_text(int err);

#endif
