/* A run: every check started at once on one loop, each under its own deadline. */
#ifndef PROBE_RUN_H
#define PROBE_RUN_H

#include <ev.h>

#include "check.h"

struct run {
    struct ev_loop *loop;
    struct check *checks;
    size_t n;
    size_t pending;
    long timeout_ms;
    double t_start;
    double t_end;
    struct resolver *resolver; /* created when the first name needs looking up */
    void **kind_state;         /* per kind in the registry: its run-wide state (curl's multi) */
    void (*on_done)(struct run *r);
    void *user;
};

/* Prepares one check per target; nothing starts yet. */
int run_init(struct run *r, struct ev_loop *loop, const struct target *targets, size_t n,
             long timeout_ms, char *err, size_t errlen);
/* Starts every check; r->on_done is called on the loop when the last result is in. */
void run_start(struct run *r);
/* Stops whatever is still in flight and frees the checks' resources (not the results). */
void run_finish(struct run *r);
void run_free(struct run *r);

/* The run-wide state slot of a kind, NULL until the kind fills it. */
void **run_kind_state(struct run *r, const struct kind *k);

/* Called by check_pass() and check_fail(). */
void run_check_finished(struct run *r);

#endif
