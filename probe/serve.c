/*
 * The sidecar: rounds of checks every interval on the loop, never two at once, and a status
 * server on the same loop that answers from the last finished round. One set of checks serves
 * the load balancer, the orchestrator and Prometheus alike, so a flood of probes never turns
 * into a flood of database connections. A check changes state only after `rise` passes or
 * `fall` failures in a row; the first round sets it directly. State changes are logged.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "json.h"
#include "metrics.h"
#include "report.h"
#include "run.h"
#include "serve.h"
#include "status.h"
#include "text.h"
#include "version.h"

struct serve_state {
    enum check_status state; /* CHECK_PENDING until the first round ends */
    int streak;              /* consecutive results that disagree with state */
    unsigned long failures;
    double last_success;
};

struct serve {
    const struct settings *s;
    struct ev_loop *loop;
    struct run runs[2];
    struct run *cur;  /* the round in flight, when round_running */
    struct run *last; /* the last finished round, when rounds > 0 */
    int round_running;
    int round_wanted;
    unsigned long rounds;
    double round_ms;
    struct serve_state *st;
    enum check_status *states;
    struct buf health; /* /health's body for last and states, rendered when a round ends */
    ev_timer interval;
    ev_timer finish;
    ev_signal sigterm;
    ev_signal sigint;
    struct status_server *srv;
};

/* One line on stderr: text, or one JSON object. */
static void
log_line(const struct serve *sv, const char *msg)
{
    char when[32];
    struct buf b;

    clock_iso8601(time(NULL), when, sizeof(when));
    buf_init(&b);
    if (sv->s->log_json) {
        buf_addf(&b, "{\"time\":\"%s\",\"msg\":", when);
        json_add_cstr(&b, msg);
        buf_adds(&b, "}\n");
    } else {
        buf_addf(&b, "%s %s\n", when, msg);
    }
    fputs(buf_str(&b), stderr);
    buf_free(&b);
}

static const char *
state_name(enum check_status st)
{
    return st == CHECK_PASS ? "up" : st == CHECK_FAIL ? "down" : "unknown";
}

/* Text values go in double quotes with the quote and backslash escaped. */
static void
add_quoted(struct buf *b, const char *s)
{
    buf_adds(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_add(b, "\\", 1);
        buf_add(b, s, 1);
    }
    buf_adds(b, "\"");
}

static void
log_change(const struct serve *sv, const struct check *c, enum check_status prev,
           enum check_status now)
{
    char when[32];
    struct buf b;

    clock_iso8601(time(NULL), when, sizeof(when));
    buf_init(&b);
    if (sv->s->log_json) {
        buf_addf(&b, "{\"time\":\"%s\",\"check\":", when);
        json_add_cstr(&b, c->t->name);
        buf_addf(&b, ",\"state\":\"%s\",\"previous\":\"%s\"", state_name(now), state_name(prev));
        if (now == CHECK_FAIL) {
            buf_adds(&b, ",\"output\":");
            json_add_cstr(&b, c->msg);
        }
        buf_adds(&b, "}\n");
    } else {
        buf_addf(&b, "%s check=%s state=%s previous=%s", when, c->t->name, state_name(now),
                 state_name(prev));
        if (now == CHECK_FAIL) {
            buf_adds(&b, " output=");
            add_quoted(&b, c->msg);
        }
        buf_adds(&b, "\n");
    }
    fputs(buf_str(&b), stderr);
    buf_free(&b);
}

/* rise/fall: a result that disagrees with the state counts; enough in a row flips it. */
static void
serve_judge(struct serve *sv, size_t i, const struct check *c)
{
    struct serve_state *st = &sv->st[i];
    enum check_status res = c->status == CHECK_PASS ? CHECK_PASS : CHECK_FAIL;
    enum check_status prev = st->state;

    if (res == CHECK_PASS)
        st->last_success = (double)c->wall_end;
    else
        st->failures++;
    if (st->state == CHECK_PENDING) {
        st->state = res;
    } else if (res == st->state) {
        st->streak = 0;
    } else if (++st->streak >= (res == CHECK_PASS ? sv->s->rise : sv->s->fall)) {
        st->state = res;
        st->streak = 0;
    }
    sv->states[i] = st->state;
    if (st->state != prev)
        log_change(sv, c, prev, st->state);
}

static void serve_round_start(struct serve *sv);

static void
serve_round_over(struct run *r)
{
    struct serve *sv = r->user;

    /* Called from inside a check's callback: finish on the next loop iteration instead. */
    ev_timer_set(&sv->finish, 0., 0.);
    ev_timer_start(sv->loop, &sv->finish);
}

static void
serve_finish_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct serve *sv = w->data;
    struct run *done = sv->cur;

    (void)loop;
    (void)revents;
    run_finish(done);
    for (size_t i = 0; i < done->n; i++)
        serve_judge(sv, i, &done->checks[i]);
    sv->round_ms = done->t_end - done->t_start;
    sv->rounds++;
    if (sv->last != NULL)
        run_free(sv->last);
    sv->last = done;
    /* /health is asked far more often than a round ends (a load balancer, every task's
     * HEALTHCHECK): its document is rendered once here, not for every request. */
    buf_free(&sv->health);
    report_json(&sv->health, sv->last, NULL, sv->states);
    sv->cur = done == &sv->runs[0] ? &sv->runs[1] : &sv->runs[0];
    sv->round_running = 0;
    if (sv->round_wanted) {
        sv->round_wanted = 0;
        serve_round_start(sv);
    }
}

static void
serve_round_start(struct serve *sv)
{
    char err[ERRLEN];

    if (run_init(sv->cur, sv->loop, sv->s->targets, sv->s->ntargets, sv->s->timeout_ms, err,
                 sizeof(err)) < 0) {
        char line[ERRLEN + 32];

        snprintf(line, sizeof(line), "round not started: %s", err);
        log_line(sv, line);
        return;
    }
    sv->cur->on_done = serve_round_over;
    sv->cur->user = sv;
    sv->round_running = 1;
    run_start(sv->cur);
}

static void
serve_interval_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct serve *sv = w->data;

    (void)loop;
    (void)revents;
    if (sv->round_running)
        sv->round_wanted = 1; /* rounds never overlap: the next starts when this one ends */
    else
        serve_round_start(sv);
}

static void
serve_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct serve *sv = w->data;

    (void)revents;
    status_close(sv->srv);
    sv->srv = NULL;
    ev_timer_stop(loop, &sv->interval);
    ev_timer_stop(loop, &sv->finish);
    if (sv->round_running) {
        run_finish(sv->cur);
        run_free(sv->cur);
        sv->round_running = 0;
    }
    ev_signal_stop(loop, &sv->sigterm);
    ev_signal_stop(loop, &sv->sigint);
    ev_break(loop, EVBREAK_ALL);
}

static const struct check *
serve_find(const struct serve *sv, const char *name, size_t *idx)
{
    for (size_t i = 0; sv->last != NULL && i < sv->last->n; i++) {
        if (strcmp(sv->last->checks[i].t->name, name) == 0) {
            *idx = i;
            return &sv->last->checks[i];
        }
    }
    return NULL;
}

static int
serve_known(const struct serve *sv, const char *name)
{
    for (size_t i = 0; i < sv->s->ntargets; i++) {
        if (strcmp(sv->s->targets[i].name, name) == 0)
            return 1;
    }
    return 0;
}

static int
serve_all_up(const struct serve *sv)
{
    if (sv->rounds == 0)
        return 0;
    for (size_t i = 0; i < sv->s->ntargets; i++) {
        if (sv->states[i] != CHECK_PASS)
            return 0;
    }
    return 1;
}

static void
serve_metrics(struct serve *sv, struct buf *out)
{
    size_t n = sv->last ? sv->last->n : 0;
    struct metrics_check *m = calloc(n ? n : 1, sizeof(*m));

    if (m == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct check *c = &sv->last->checks[i];

        m[i].name = c->t->name;
        m[i].kind = c->kind->name;
        m[i].up = sv->states[i] == CHECK_PASS;
        m[i].duration_s = (c->t_end - c->t_start) / 1000.;
        m[i].failures = sv->st[i].failures;
        m[i].last_success = sv->st[i].last_success;
    }
    metrics_render(out, m, n, sv->round_ms / 1000., sv->rounds);
    free(m);
}

static void
serve_no_round_yet(struct buf *out)
{
    buf_adds(out, "{\"status\":\"fail\",\"version\":\"1\",\"releaseId\":\"" PROBE_VERSION
                  "\",\"description\":\"probe\",\"output\":\"no round has finished yet\","
                  "\"checks\":{}}\n");
}

/*
 * "ready", or "not ready: db (auth), cache (timeout)" and a line per failing check with its
 * message: a HEALTHCHECK that asks the sidecar shows the start of this body, so the cause
 * reaches docker inspect, names first.
 */
static void
serve_ready_body(const struct serve *sv, int up, struct buf *out)
{
    if (up) {
        buf_adds(out, "ready\n");
        return;
    }
    if (sv->last == NULL) {
        buf_adds(out, "not ready: no round has finished yet\n");
        return;
    }
    buf_adds(out, "not ready: ");
    report_failing(out, sv->last, NULL, sv->states);
    buf_adds(out, "\n");
    for (size_t i = 0; i < sv->last->n; i++) {
        const struct check *c = &sv->last->checks[i];

        if (sv->states[i] != CHECK_PASS && c->status == CHECK_FAIL)
            buf_addf(out, "%s: %s\n", c->t->name, c->msg);
    }
}

/* Routes one request. Every answer comes from memory; nothing here starts a check. */
static void
serve_handle(void *ctx, const struct status_req *req, struct status_resp *resp)
{
    struct serve *sv = ctx;
    const char *p = req->path;

    resp->content_type = "text/plain; charset=utf-8";
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        resp->code = 405;
        resp->extra_headers = "Allow: GET, HEAD\r\n";
        buf_adds(&resp->body, "method not allowed\n");
        return;
    }
    if (strcmp(p, "/live") == 0) {
        resp->code = 200;
        buf_adds(&resp->body, "live\n");
    } else if (strcmp(p, "/ready") == 0) {
        resp->code = serve_all_up(sv) ? 200 : 503;
        serve_ready_body(sv, resp->code == 200, &resp->body);
    } else if (strcmp(p, "/health") == 0) {
        resp->content_type = "application/health+json";
        resp->code = serve_all_up(sv) ? 200 : 503;
        if (sv->last == NULL)
            serve_no_round_yet(&resp->body);
        else if (sv->health.oom)
            report_json(&resp->body, sv->last, NULL, sv->states);
        else
            buf_add(&resp->body, sv->health.p, sv->health.len);
    } else if (strncmp(p, "/health/", 8) == 0 && serve_known(sv, p + 8)) {
        size_t i = 0;
        const struct check *c = serve_find(sv, p + 8, &i);

        resp->content_type = "application/health+json";
        if (c == NULL) {
            resp->code = 503;
            serve_no_round_yet(&resp->body);
        } else {
            resp->code = sv->states[i] == CHECK_PASS ? 200 : 503;
            report_json(&resp->body, sv->last, c, sv->states);
        }
    } else if (strcmp(p, "/metrics") == 0) {
        resp->code = 200;
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        serve_metrics(sv, &resp->body);
    } else {
        resp->code = 404;
        buf_adds(&resp->body, "not found\n");
    }
}

int
serve_main(const struct settings *s)
{
    struct serve sv;
    char err[ERRLEN], line[200], bound[80];
    int rc = 0;

    memset(&sv, 0, sizeof(sv));
    sv.s = s;
    sv.cur = &sv.runs[0];
    sv.st = calloc(s->ntargets, sizeof(*sv.st));
    sv.states = calloc(s->ntargets, sizeof(*sv.states));
    sv.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
    if (sv.st == NULL || sv.states == NULL || sv.loop == NULL) {
        print_error("cannot start: out of memory");
        rc = 2;
        goto out;
    }
    sv.srv = status_listen(sv.loop, s->listen, serve_handle, &sv, err, sizeof(err));
    if (sv.srv == NULL) {
        print_error(err);
        rc = 2;
        goto out;
    }
    ev_timer_init(&sv.interval, serve_interval_cb, 0., (double)s->interval_ms / 1000.);
    sv.interval.data = &sv;
    ev_timer_start(sv.loop, &sv.interval);
    ev_timer_init(&sv.finish, serve_finish_cb, 0., 0.);
    sv.finish.data = &sv;
    ev_signal_init(&sv.sigterm, serve_stop_cb, SIGTERM);
    sv.sigterm.data = &sv;
    ev_signal_start(sv.loop, &sv.sigterm);
    ev_signal_init(&sv.sigint, serve_stop_cb, SIGINT);
    sv.sigint.data = &sv;
    ev_signal_start(sv.loop, &sv.sigint);
    status_local_addr(sv.srv, bound, sizeof(bound));
    snprintf(line, sizeof(line), "listening on %s, %zu checks every %ldms, timeout %ldms", bound,
             s->ntargets, s->interval_ms, s->timeout_ms);
    log_line(&sv, line);
    ev_run(sv.loop, 0);
    log_line(&sv, "stopped");
out:
    if (sv.last != NULL)
        run_free(sv.last);
    status_close(sv.srv);
    if (sv.loop != NULL)
        ev_loop_destroy(sv.loop);
    free(sv.st);
    free(sv.states);
    buf_free(&sv.health);
    return rc;
}
