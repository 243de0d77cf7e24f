/*
 * probe wait: an entrypoint's "wait until the database and the cache really answer". Rounds
 * of every check at once (the same run as check and serve), each under --check-timeout and
 * never past the overall --timeout; a round in which every check passes ends the wait, and
 * the command replaces probe (execvp: same PID, same environment, same stdin/stdout/stderr).
 * Between rounds the pause doubles up to --max-interval, a little shorter at random so that
 * many replicas spread out. stdout is the command's: probe writes only to stderr.
 *
 * What probe changed in the process is undone before the exec: its descriptors are closed
 * (those it inherited stay), signal dispositions and the mask are as probe found them, the
 * watchdog's timer is off. SIGTERM and SIGINT end the wait at once with 128 + N, also as
 * PID 1 in a container, where a signal without a handler is ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"
#include "run.h"
#include "text.h"
#include "wait.h"
#include "watchdog.h"

/* Descriptors probe was started with, which the command inherits as it would have. */
#define ORIGIN_FDS_MAX 64
/* When /proc is not mounted, descriptors are probed one by one up to this. */
#define FD_SCAN_MAX 65536
/* How much of a check's message a progress line shows. */
#define WAIT_MSG_MAX 300
/* The jitter takes up to a tenth off a pause: never longer, so a start is never later. */
#define WAIT_JITTER 0.1

static struct {
    struct sigaction act[NSIG];
    unsigned char have[NSIG];
    sigset_t mask;
    int fds[ORIGIN_FDS_MAX];
    size_t nfds;
} origin;

struct wait {
    struct settings *s;
    struct ev_loop *loop;
    struct run runs[2];
    struct run *last;         /* the last finished round, or NULL */
    long *own_timeout;        /* each target's own timeout_ms, before a round cuts it */
    enum check_status *shown; /* each check's state as last reported */
    double t0;
    double deadline;
    unsigned rounds;
    unsigned long rng;
    ev_timer pause;
};

/* Calls fn(fd, arg) for every open descriptor >= 3: from /proc/self/fd, or when that is not
 * there (a minimal container may lack /proc), by asking each one up to the limit. */
static void
fds_each(void (*fn)(int fd, void *arg), void *arg)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    if (d == NULL) {
        struct rlimit rl;
        long max = FD_SCAN_MAX;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
            max = (long)rl.rlim_cur;
        for (int fd = 3; fd < max; fd++) {
            if (fcntl(fd, F_GETFD) != -1)
                fn(fd, arg);
        }
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);

        if (e->d_name[0] != '.' && *end == '\0' && fd >= 3 && fd != dirfd(d))
            fn((int)fd, arg);
    }
    closedir(d);
}

static void
origin_add_fd(int fd, void *arg)
{
    (void)arg;
    if (origin.nfds < ORIGIN_FDS_MAX)
        origin.fds[origin.nfds++] = fd;
}

void
wait_origin_save(void)
{
    sigprocmask(SIG_SETMASK, NULL, &origin.mask);
    for (int sig = 1; sig < NSIG; sig++)
        origin.have[sig] = sigaction(sig, NULL, &origin.act[sig]) == 0;
    fds_each(origin_add_fd, NULL);
}

static int
origin_has_fd(int fd)
{
    for (size_t i = 0; i < origin.nfds; i++) {
        if (origin.fds[i] == fd)
            return 1;
    }
    return 0;
}

/* Past ORIGIN_FDS_MAX inherited descriptors, the rest are closed like probe's own. */
static void
close_own_fd(int fd, void *arg)
{
    (void)arg;
    if (!origin_has_fd(fd))
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Async-signal-safe: one line, then the exit status a shell gives a death by that signal. */
static void
wait_on_signal(int sig)
{
    static const char term[] = "probe: wait: stopped by SIGTERM\n";
    static const char intr[] = "probe: wait: stopped by SIGINT\n";
    ssize_t rc;

    if (sig == SIGTERM)
        rc = write(STDERR_FILENO, term, sizeof(term) - 1);
    else
        rc = write(STDERR_FILENO, intr, sizeof(intr) - 1);
    (void)rc;
    _exit(128 + sig);
}

static void
signals_catch(void)
{
    struct sigaction sa;
    sigset_t unblock;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wait_on_signal;
    sigfillset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGTERM);
    sigaddset(&unblock, SIGINT);
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

/*
 * The process as the command should get it. SIGTERM and SIGINT stay caught (and blocked) to
 * the last moment, so one that arrives now still ends probe with 128 + N instead of being
 * lost or killing it by the default action; the mask goes back just before the exec.
 */
static void
wait_restore_process(void)
{
    struct itimerval off;
    sigset_t stop, pending;

    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    memset(&off, 0, sizeof(off));
    setitimer(ITIMER_REAL, &off, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (origin.have[sig] && sig != SIGTERM && sig != SIGINT && sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &origin.act[sig], NULL);
    }
    fds_each(close_own_fd, NULL);
    sigpending(&pending);
    if (sigismember(&pending, SIGTERM))
        wait_on_signal(SIGTERM);
    if (sigismember(&pending, SIGINT))
        wait_on_signal(SIGINT);
    sigaction(SIGTERM, &origin.act[SIGTERM], NULL);
    sigaction(SIGINT, &origin.act[SIGINT], NULL);
    sigprocmask(SIG_SETMASK, &origin.mask, NULL);
}

/* execvp, or the shell's exit status when it cannot: 127 not found, 126 anything else. */
static int
wait_exec(char **command)
{
    char q[QUOTE_MAX + 4], msg[ERRLEN];
    int err;

    wait_restore_process();
    execvp(command[0], command);
    err = errno;
    text_quote(q, sizeof(q), command[0], strlen(command[0]));
    snprintf(msg, sizeof(msg), "wait: cannot run \"%s\": %s", q, strerror(err));
    print_error(msg);
    return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

static void
wait_break_cb(struct run *r)
{
    ev_break(r->loop, EVBREAK_ALL);
}

static void
wait_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* xorshift: a jitter needs no more, and no global state is touched. */
static double
wait_random(struct wait *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (double)(w->rng % 1000000) / 1e6;
}

static void
add_elapsed(struct buf *b, double ms)
{
    if (ms < 999.5) /* what rounds to 1000 is "1.0s", never "1000ms" */
        buf_addf(b, "%.0fms", ms);
    else
        buf_addf(b, "%.1fs", ms / 1000.);
}

/* One line per check whose state differs from what was last said about it. */
static void
wait_progress(struct wait *w, const struct run *r)
{
    struct buf b;

    if (w->s->quiet)
        return;
    buf_init(&b);
    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];

        if ((enum check_status)c->status == w->shown[i])
            continue;
        w->shown[i] = (enum check_status)c->status;
        if (c->status == CHECK_PASS)
            buf_addf(&b, "probe wait: %s up: ", c->t->name);
        else
            buf_addf(&b, "probe wait: %s down (%s): ", c->t->name, check_reason_name(c->reason));
        report_add_cut(&b, c->msg, WAIT_MSG_MAX);
        buf_adds(&b, "\n");
    }
    fputs(buf_str(&b), stderr);
    buf_free(&b);
}

/* One round under ms; 0 when every check passed. The round stays in w->last for the report. */
static int
wait_round(struct wait *w, long ms)
{
    struct run *r = w->last == &w->runs[0] ? &w->runs[1] : &w->runs[0];
    char err[ERRLEN];

    for (size_t i = 0; i < w->s->ntargets; i++) {
        long own = w->own_timeout[i];

        w->s->targets[i].timeout_ms = own > 0 && own < ms ? own : ms;
    }
    if (run_init(r, w->loop, w->s->targets, w->s->ntargets, ms, err, sizeof(err)) < 0) {
        print_error(err);
        return -1;
    }
    r->on_done = wait_break_cb;
    watchdog_arm(r, ms + WATCHDOG_GRACE_MS);
    run_start(r);
    if (r->pending > 0)
        ev_run(w->loop, 0);
    watchdog_disarm();
    run_finish(r);
    w->rounds++;
    if (w->last != NULL)
        run_free(w->last);
    w->last = r;
    wait_progress(w, r);
    return report_all_pass(r) ? 0 : -1;
}

static void
wait_sleep(struct wait *w, double ms)
{
    ev_timer_set(&w->pause, ms / 1000., 0.);
    ev_timer_start(w->loop, &w->pause);
    ev_run(w->loop, 0);
    ev_timer_stop(w->loop, &w->pause);
}

/* The deadline passed: which checks still fail and why, as `check` would say it. */
static void
wait_give_up(struct wait *w)
{
    struct buf b;
    size_t fail = 0;

    buf_init(&b);
    for (size_t i = 0; i < w->last->n; i++)
        fail += w->last->checks[i].status != CHECK_PASS;
    buf_adds(&b, "probe wait: gave up after ");
    add_elapsed(&b, mono_ms() - w->t0);
    buf_addf(&b, " (%u round%s): %zu of %zu checks failing\n", w->rounds, w->rounds == 1 ? "" : "s",
             fail, w->last->n);
    report_text(&b, w->last, w->s->quiet);
    fputs(buf_str(&b), stderr);
    buf_free(&b);
}

/* Rounds until one passes whole (0) or the deadline passes (1). */
static int
wait_rounds(struct wait *w)
{
    double pause = (double)w->s->interval_ms;
    double max = (double)w->s->max_interval_ms;

    for (;;) {
        double left = w->deadline - mono_ms(), nap;
        long ms = (long)(left < (double)w->s->check_timeout_ms ? left : w->s->check_timeout_ms);

        if (ms < 1)
            return 1;
        if (wait_round(w, ms) == 0)
            return 0;
        if (w->last == NULL)
            return 1;
        nap = (pause < max ? pause : max) * (1. - WAIT_JITTER * wait_random(w));
        left = w->deadline - mono_ms();
        if (nap > left)
            nap = left;
        if (nap > 0)
            wait_sleep(w, nap);
        pause *= 2;
    }
}

int
wait_main(struct settings *s)
{
    struct wait w;
    int rc = 1;

    memset(&w, 0, sizeof(w));
    w.s = s;
    w.t0 = mono_ms();
    w.deadline = w.t0 + (double)s->timeout_ms;
    w.rng = (((unsigned long)getpid() * 2654435761UL) ^ (unsigned long)(w.t0 * 1000.)) | 1;
    signals_catch();
    watchdog_output(STDERR_FILENO);
    w.own_timeout = calloc(s->ntargets, sizeof(*w.own_timeout));
    w.shown = calloc(s->ntargets, sizeof(*w.shown));
    w.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
    if (w.own_timeout == NULL || w.shown == NULL || w.loop == NULL) {
        print_error("wait: cannot start: out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->ntargets; i++)
        w.own_timeout[i] = s->targets[i].timeout_ms;
    ev_timer_init(&w.pause, wait_pause_cb, 0., 0.);
    rc = wait_rounds(&w);
    if (rc != 0 && w.last != NULL)
        wait_give_up(&w);
    if (rc == 0 && !s->quiet) {
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "probe wait: ready after ");
        add_elapsed(&b, mono_ms() - w.t0);
        buf_adds(&b, "\n");
        fputs(buf_str(&b), stderr);
        buf_free(&b);
    }
out:
    if (w.last != NULL)
        run_free(w.last);
    if (w.loop != NULL)
        ev_loop_destroy(w.loop);
    free(w.own_timeout);
    free(w.shown);
    if (rc == 0 && s->command != NULL)
        return wait_exec(s->command);
    return rc;
}
