/* What every kind of check shares: the result, the phase, the failure texts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "run.h"
#include "text.h"

static const char *const phase_names[PHASE_COUNT] = {
    [PHASE_DNS] = "dns",           [PHASE_CONNECT] = "connect", [PHASE_TLS] = "tls",
    [PHASE_AUTH] = "auth",         [PHASE_REQUEST] = "request", [PHASE_QUERY] = "query",
    [PHASE_RESPONSE] = "response",
};

const char *
check_phase_name(enum check_phase phase)
{
    if (phase < 0 || phase >= PHASE_COUNT)
        return "?";
    return phase_names[phase];
}

/* The one table of failure words; the health document and `probe validate` use it. */
static const char *const reason_names[REASON_COUNT] = {
    [REASON_NONE] = "",         [REASON_DNS] = "dns",           [REASON_CONNECT] = "connect",
    [REASON_TLS] = "tls",       [REASON_AUTH] = "auth",         [REASON_STATUS] = "status",
    [REASON_BODY] = "body",     [REASON_PROTOCOL] = "protocol", [REASON_LIMIT] = "limit",
    [REASON_SERVER] = "server", [REASON_TIMEOUT] = "timeout",   [REASON_RESOURCE] = "resource",
};

const char *
check_reason_name(enum check_reason reason)
{
    if (reason < 0 || reason >= REASON_COUNT)
        return "?";
    return reason_names[reason];
}

void
check_phase(struct check *c, enum check_phase phase)
{
    if (c->status == CHECK_PENDING)
        c->phase = phase;
}

/*
 * The first result wins: a reply that lands after the deadline, or an error raised while a
 * connection is torn down, must not overwrite what was already reported.
 */
static void
check_done(struct check *c, enum check_status st, enum check_reason reason, const char *fmt,
           va_list ap)
{
    char raw[CHECK_MSG_LEN];

    if (c->status != CHECK_PENDING)
        return;
    vsnprintf(raw, sizeof(raw), fmt, ap);
    /* Redact before cleaning, which may change the bytes a password is made of, and after,
     * in case cleaning joined one back together. */
    if (c->t->url.pass != NULL)
        redact_secret(raw, sizeof(raw), c->t->url.pass);
    text_clean(c->msg, sizeof(c->msg), raw, strlen(raw));
    if (c->t->url.pass != NULL)
        redact_secret(c->msg, sizeof(c->msg), c->t->url.pass);
    c->t_end = mono_ms();
    c->wall_end = (long)time(NULL);
    c->reason = reason;
    c->status = st;
    ev_timer_stop(c->loop, &c->deadline);
    ev_timer_stop(c->loop, &c->attempt);
    run_check_finished(c->run);
}

void
check_pass(struct check *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    check_done(c, CHECK_PASS, REASON_NONE, fmt, ap);
    va_end(ap);
}

void
check_fail(struct check *c, enum check_reason reason, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    check_done(c, CHECK_FAIL, reason, fmt, ap);
    va_end(ap);
}

static void
check_attempt_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct check *c = w->data;

    (void)loop;
    (void)revents;
    if (c->status == CHECK_PENDING && c->kind->attempt_timeout != NULL)
        c->kind->attempt_timeout(c);
}

void
check_attempt_arm(struct check *c)
{
    int left = c->naddrs - c->addr_idx;

    ev_timer_stop(c->loop, &c->attempt);
    if (left <= 1 || c->status != CHECK_PENDING)
        return;
    ev_init(&c->attempt, check_attempt_cb);
    c->attempt.data = c;
    ev_timer_set(&c->attempt, ev_timer_remaining(c->loop, &c->deadline) / left, 0.);
    ev_timer_start(c->loop, &c->attempt);
}

void
check_attempt_stop(struct check *c)
{
    ev_timer_stop(c->loop, &c->attempt);
}

enum check_reason
check_errno_reason(int err)
{
    switch (err) {
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
        return REASON_RESOURCE;
    default:
        return REASON_CONNECT;
    }
}

/* Short lower-case texts, the words an operator expects from curl and ping. */
const char *
check_errno_text(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return "connection refused";
    case ECONNRESET:
        return "connection reset";
    case ENETUNREACH:
        return "network unreachable";
    case EHOSTUNREACH:
        return "host unreachable";
    case ETIMEDOUT:
        return "connection timed out";
    case EMFILE:
    case ENFILE:
        return "too many open files";
    case EADDRNOTAVAIL:
        return "address not available";
    case EPIPE:
        return "connection closed";
    case EAFNOSUPPORT:
        return "address family not supported";
    default:
        return strerror(err);
    }
}
