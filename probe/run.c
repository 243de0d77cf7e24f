/*
 * The scheduler: every check starts at once, each under one deadline timer shared by all its
 * phases. When the last result is in, the run is over; teardown happens after the loop
 * callback that produced a result has returned, never inside a library's own callback.
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
#include "tls.h"

static void
run_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct check *c = w->data;

    (void)loop;
    (void)revents;
    if (c->ops->sync_phase != NULL && c->priv != NULL)
        c->ops->sync_phase(c);
    check_done(c, CHECK_FAIL, "timeout after %ldms (%s)", c->t->timeout_ms,
               check_phase_name(c->phase));
    resolve_cancel(c);
    c->ops->abort(c);
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
    if (r->checks == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct check *c = &r->checks[i];

        c->t = &targets[i];
        c->ops = check_ops_for(targets[i].url.scheme);
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
        c->msg[0] = '\0';
        c->t_start = r->t_start;
        ev_timer_set(&c->deadline, (double)ms / 1000., 0.);
        ev_timer_start(r->loop, &c->deadline);
    }
    /* Start after every timer is armed, so a check that fails at once cannot end the run
     * before the others exist. */
    for (size_t i = 0; i < r->n; i++)
        resolve_start(&r->checks[i]);
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

void
run_finish(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct check *c = &r->checks[i];

        if (c->status == CHECK_PENDING)
            check_done(c, CHECK_FAIL, "cancelled (%s)", check_phase_name(c->phase));
        ev_timer_stop(r->loop, &c->deadline);
        ev_timer_stop(r->loop, &c->attempt);
        resolve_cancel(c);
        c->ops->abort(c);
        c->ops->cleanup(c);
    }
    for (int k = 0; k < KIND_COUNT; k++) {
        for (size_t i = 0; i < r->n; i++) {
            if (r->checks[i].ops->kind == k && r->checks[i].ops->run_free != NULL) {
                r->checks[i].ops->run_free(r);
                break;
            }
        }
    }
    resolve_free(r);
}

void
run_free(struct run *r)
{
    free(r->checks);
    r->checks = NULL;
    r->n = 0;
}

/*
 * The watchdog is a plain interval timer whose handler only uses write() and _exit(): it fires
 * even if a library call blocks the loop. Its lines are rendered before the run starts.
 */
#define WD_MAX 64
static struct {
    struct check *checks;
    size_t n;
    char *prefix[WD_MAX];
} wd;

static void
wd_write(const char *s)
{
    size_t n = strlen(s);

    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);

        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void
wd_handler(int sig)
{
    (void)sig;
    for (size_t i = 0; i < wd.n && i < WD_MAX; i++) {
        if (wd.checks[i].status != CHECK_PENDING || wd.prefix[i] == NULL)
            continue;
        wd_write(wd.prefix[i]);
        wd_write(check_phase_name(wd.checks[i].phase));
        wd_write(", watchdog)\n");
    }
    _exit(1);
}

void
watchdog_arm(struct run *r, long ms)
{
    struct sigaction sa;
    struct itimerval it;

    wd.checks = r->checks;
    wd.n = r->n;
    for (size_t i = 0; i < r->n && i < WD_MAX; i++) {
        const struct target *t = r->checks[i].t;
        char line[512];

        snprintf(line, sizeof(line), "FAIL %s  %s  timeout after %ldms (", t->name, t->url.redacted,
                 r->timeout_ms);
        wd.prefix[i] = strdup(line);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wd_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof(it));
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

void
watchdog_disarm(void)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    signal(SIGALRM, SIG_DFL);
    for (size_t i = 0; i < WD_MAX; i++) {
        free(wd.prefix[i]);
        wd.prefix[i] = NULL;
    }
    wd.checks = NULL;
    wd.n = 0;
}
