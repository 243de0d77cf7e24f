/*
 * The scheduler: every check starts at once, each under one deadline timer shared by all its
 * phases. It owns the step from a target to its addresses (numeric, a unix socket, or asked
 * of the resolver) and from the addresses to the kind's start. When the last result is in,
 * the run is over; teardown happens after the loop callback that produced a result has
 * returned, never inside a library's own callback.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "resolve.h"
#include "run.h"
#include "text.h"
#include "tls.h"

static void
run_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct check *c = w->data;

    (void)loop;
    (void)revents;
    if (c->kind->sync_phase != NULL && c->priv != NULL)
        c->kind->sync_phase(c);
    check_fail(c, REASON_TIMEOUT, "timeout after %ldms (%s)", c->t->timeout_ms,
               check_phase_name(c->phase));
    resolve_cancel(&c->query);
    c->kind->abort(c);
}

/* The addresses are known: the kind takes over. A start that fails without saying why is
 * still a failure. */
static void
run_check_begin(struct check *c)
{
    c->addr_idx = 0;
    check_phase(c, PHASE_CONNECT);
    if (c->kind->state_size > 0) {
        c->priv = calloc(1, c->kind->state_size);
        if (c->priv == NULL) {
            check_fail(c, REASON_RESOURCE, "out of memory");
            return;
        }
    }
    if (c->kind->start(c) < 0 && c->status == CHECK_PENDING)
        check_fail(c, REASON_RESOURCE, "cannot start the %s check", c->kind->name);
}

static void
run_resolved(void *arg, int n, const char *err)
{
    struct check *c = arg;

    if (c->status != CHECK_PENDING)
        return;
    c->naddrs = n;
    if (n == 0) {
        check_fail(c, REASON_DNS, "%s", err);
        return;
    }
    run_check_begin(c);
}

/* A unix socket or a numeric host needs no lookup; a name is asked of the run's resolver. */
static void
run_check_start(struct check *c)
{
    const struct url *u = &c->t->url;
    struct run *r = c->run;
    char err[ERRLEN];

    c->naddrs = 0;
    c->addr_idx = 0;
    if (u->socket != NULL || u->host[0] == '\0') {
        run_check_begin(c);
        return;
    }
    if (resolve_numeric(u->host, u->port, &c->addrs[0])) {
        c->naddrs = 1;
        run_check_begin(c);
        return;
    }
    if (r->resolver == NULL) {
        r->resolver = resolver_new(r->loop, err, sizeof(err));
        if (r->resolver == NULL) {
            check_fail(c, REASON_DNS, "%s", err);
            return;
        }
    }
    if (resolve_name(r->resolver, u->host, u->port, c->addrs, CHECK_MAX_ADDRS, run_resolved, c,
                     &c->query) < 0)
        check_fail(c, REASON_RESOURCE, "out of memory");
}

int
run_init(struct run *r, struct ev_loop *loop, const struct target *targets, size_t n,
         long timeout_ms, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->timeout_ms = timeout_ms;
    r->n = n;
    r->checks = calloc(n ? n : 1, sizeof(*r->checks));
    r->kind_state = calloc(kinds_count, sizeof(*r->kind_state));
    if (r->checks == NULL || r->kind_state == NULL) {
        free(r->checks);
        free(r->kind_state);
        r->checks = NULL;
        r->kind_state = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct check *c = &r->checks[i];

        c->t = &targets[i];
        c->kind = targets[i].url.kind;
        c->run = r;
        c->loop = loop;
        ev_timer_init(&c->deadline, run_deadline_cb, 0., 0.);
        c->deadline.data = c;
        ev_timer_init(&c->attempt, NULL, 0., 0.);
    }
    tls_preinit(targets, n);
    return 0;
}

void
run_start(struct run *r)
{
    r->pending = r->n;
    ev_now_update(r->loop);
    r->t_start = mono_ms();
    for (size_t i = 0; i < r->n; i++) {
        struct check *c = &r->checks[i];
        long ms = c->t->timeout_ms;

        if (ms <= 0 || ms > r->timeout_ms)
            ms = r->timeout_ms;
        c->status = CHECK_PENDING;
        c->phase = PHASE_DNS;
        c->reason = REASON_NONE;
        c->msg[0] = '\0';
        c->t_start = r->t_start;
        ev_timer_set(&c->deadline, (double)ms / 1000., 0.);
        ev_timer_start(r->loop, &c->deadline);
    }
    /* Start after every timer is armed, so a check that fails at once cannot end the run
     * before the others exist. */
    for (size_t i = 0; i < r->n; i++)
        run_check_start(&r->checks[i]);
    if (r->n == 0 && r->on_done != NULL)
        r->on_done(r);
}

void
run_check_finished(struct run *r)
{
    if (r->pending > 0 && --r->pending == 0) {
        r->t_end = mono_ms();
        if (r->on_done != NULL)
            r->on_done(r);
    }
}

void **
run_kind_state(struct run *r, const struct kind *k)
{
    return &r->kind_state[kind_index(k)];
}

void
run_finish(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct check *c = &r->checks[i];

        if (c->status == CHECK_PENDING)
            check_fail(c, REASON_TIMEOUT, "cancelled (%s)", check_phase_name(c->phase));
        ev_timer_stop(r->loop, &c->deadline);
        ev_timer_stop(r->loop, &c->attempt);
        resolve_cancel(&c->query);
        c->kind->abort(c);
        if (c->kind->cleanup != NULL)
            c->kind->cleanup(c);
        free(c->priv);
        c->priv = NULL;
    }
    for (size_t k = 0; k < kinds_count; k++) {
        if (r->kind_state[k] != NULL && kinds[k]->run_free != NULL)
            kinds[k]->run_free(r);
    }
    resolver_free(r->resolver);
    r->resolver = NULL;
}

void
run_free(struct run *r)
{
    free(r->checks);
    r->checks = NULL;
    free(r->kind_state);
    r->kind_state = NULL;
    r->n = 0;
}
