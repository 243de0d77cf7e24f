/*
 * The watchdog is a plain interval timer whose handler only uses write() and _exit(): it fires
 * even if a library call blocks the loop. Every check's line is rendered when it is armed,
 * its target shortened as report_text() would so that all of them fit under REPORT_MAX; the
 * handler only picks the unfinished ones, adds their phase, and counts in a last line those
 * that do not fit, the first ones in order shown.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "report.h"
#include "watchdog.h"

/* What ends a line, after the phase. */
#define WD_TAIL ", watchdog)\n"

static struct {
    struct check *checks;
    size_t n;
    struct buf text; /* each check's "FAIL name  target  timeout after Tms (", back to back */
    size_t *end;     /* where check i's ends in text; it starts where check i - 1's ends */
    int lines;       /* 0 when they could not be rendered: only a count line then */
    int fd;          /* where the lines go, + 1: 0 is stdout */
} wd;

static void
wd_render(struct buf *out, const struct run *r, size_t tcap, size_t *end)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct target *t = r->checks[i].t;

        buf_addf(out, "FAIL %s  ", t->name);
        report_add_cut(out, t->url.redacted, tcap);
        buf_addf(out, "  timeout after %ldms (", r->timeout_ms);
        if (end != NULL)
            end[i] = out->len;
    }
}

/* The size of every check's line, each with the longest phase name. */
static size_t
wd_total(size_t tcap, const void *ctx)
{
    const struct run *r = ctx;
    struct buf b;
    size_t n, phase = 0;

    for (int p = 0; p < PHASE_COUNT; p++) {
        if (strlen(check_phase_name(p)) > phase)
            phase = strlen(check_phase_name(p));
    }
    buf_init(&b);
    wd_render(&b, r, tcap, NULL);
    n = b.len + r->n * (phase + strlen(WD_TAIL));
    buf_free(&b);
    return n;
}

static void
wd_write(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(wd.fd > 0 ? wd.fd - 1 : STDOUT_FILENO, s, n);

        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static size_t
wd_start(size_t i)
{
    return i > 0 ? wd.end[i - 1] : 0;
}

/* Async-signal-safe: reads the checks' status and phase (sig_atomic_t), writes, exits. */
static void
wd_handler(int sig)
{
    size_t pending = 0, used = 0, left = 0, reserve;
    char more[REPORT_MORE_MAX];

    (void)sig;
    for (size_t i = 0; i < wd.n; i++)
        pending += wd.checks[i].status == CHECK_PENDING;
    reserve = report_more_line(more, 0, pending);
    for (size_t i = 0; i < wd.n; i++) {
        const char *phase = check_phase_name(wd.checks[i].phase);
        size_t len;

        if (wd.checks[i].status != CHECK_PENDING)
            continue;
        if (pending > 0)
            pending--; /* now: the unfinished checks after this one */
        len = wd.lines ? wd.end[i] - wd_start(i) + strlen(phase) + strlen(WD_TAIL) : 0;
        if (!wd.lines || left > 0 || used + len + (pending > 0 ? reserve : 0) > REPORT_MAX) {
            left++;
            continue;
        }
        wd_write(wd.text.p + wd_start(i), wd.end[i] - wd_start(i));
        wd_write(phase, strlen(phase));
        wd_write(WD_TAIL, strlen(WD_TAIL));
        used += len;
    }
    if (left > 0)
        wd_write(more, report_more_line(more, 0, left));
    _exit(1);
}

void
watchdog_arm(struct run *r, long ms)
{
    struct sigaction sa;
    struct itimerval it;
    size_t tmax = 0, tcap;

    for (size_t i = 0; i < r->n; i++) {
        if (strlen(r->checks[i].t->url.redacted) > tmax)
            tmax = strlen(r->checks[i].t->url.redacted);
    }
    tcap = report_fit(tmax < REPORT_TARGET_MIN ? tmax : REPORT_TARGET_MIN, tmax, REPORT_MAX,
                      wd_total, r);
    buf_init(&wd.text);
    wd.end = calloc(r->n ? r->n : 1, sizeof(*wd.end));
    if (wd.end != NULL)
        wd_render(&wd.text, r, tcap, wd.end);
    wd.lines = wd.end != NULL && !wd.text.oom;
    wd.checks = r->checks;
    wd.n = r->n;
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
watchdog_output(int fd)
{
    wd.fd = fd + 1;
}

void
watchdog_disarm(void)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    signal(SIGALRM, SIG_DFL);
    buf_free(&wd.text);
    free(wd.end);
    wd.end = NULL;
    wd.lines = 0;
    wd.checks = NULL;
    wd.n = 0;
}
