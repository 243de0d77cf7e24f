/*
 * The two faces of a result: aligned text lines for a terminal and `docker inspect`, and the
 * "Health Check Response Format for HTTP APIs" document for machines. Both stay valid and
 * bounded whatever a server sent back: messages were cleaned by check_pass()/check_fail(), the JSON writer
 * escapes, and the text is laid out to fit Docker's 4096-byte limit whatever the number of
 * checks (see report_text()).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "json.h"
#include "report.h"
#include "version.h"

static double
check_ms(const struct check *c)
{
    double ms = c->t_end - c->t_start;

    return ms > 0 ? ms : 0;
}

int
report_all_pass(const struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->checks[i].status != CHECK_PASS)
            return 0;
    }
    return 1;
}

static size_t
min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static int
shown(const struct check *c, int quiet)
{
    return !quiet || c->status != CHECK_PASS;
}

static const char *
shown_msg(const struct check *c)
{
    if (c->msg[0] != '\0')
        return c->msg;
    return c->status == CHECK_PASS ? "ok" : "failed";
}

size_t
report_add_cut(struct buf *out, const char *s, size_t max)
{
    size_t n = strlen(s), keep;

    if (n <= max) {
        buf_add(out, s, n);
        return n;
    }
    keep = max >= 3 ? max - 3 : 0;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--;
    buf_add(out, s, keep);
    buf_adds(out, "...");
    return keep + 3;
}

size_t
report_fit(size_t lo, size_t hi, size_t budget, size_t (*total)(size_t v, const void *ctx),
           const void *ctx)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;

        if (total(mid, ctx) <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static size_t
more_put(char *dst, const char *s)
{
    size_t n = strlen(s);

    memcpy(dst, s, n);
    return n;
}

static size_t
more_num(char *dst, size_t v)
{
    char digits[24];
    size_t n = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        dst[i] = digits[n - 1 - i];
    return n;
}

size_t
report_more_line(char *dst, size_t pass, size_t fail)
{
    size_t n = more_put(dst, "... ");

    n += more_num(dst + n, pass + fail);
    n += more_put(dst + n, " more: ");
    n += more_num(dst + n, pass);
    n += more_put(dst + n, " pass, ");
    n += more_num(dst + n, fail);
    n += more_put(dst + n, " fail\n");
    return n;
}

/* How the text of one run is laid out, in the order the limits give way: the longest target
 * and message, in bytes, and how many of the passing and of the failing lines are shown (the
 * first ones, in order). */
enum layout_knob { LAYOUT_TCAP, LAYOUT_MCAP, LAYOUT_KEEP_PASS, LAYOUT_KEEP_FAIL, LAYOUT_KNOBS };

struct layout {
    const struct run *r;
    int quiet;
    size_t v[LAYOUT_KNOBS];
};

/* One knob of a layout turned to a value, for report_fit(). */
struct layout_try {
    const struct layout *l;
    enum layout_knob knob;
};

/* Whether c has a line; counts the shown lines of its kind so far in *npass or *nfail. */
static int
layout_keeps(const struct layout *l, const struct check *c, size_t *npass, size_t *nfail)
{
    if (!shown(c, l->quiet))
        return 0;
    if (c->status == CHECK_PASS)
        return (*npass)++ < l->v[LAYOUT_KEEP_PASS];
    return (*nfail)++ < l->v[LAYOUT_KEEP_FAIL];
}

static void
add_pad(struct buf *out, size_t have, size_t want)
{
    for (; have < want; have++)
        buf_adds(out, " ");
}

static void
layout_render(struct buf *out, const struct layout *l)
{
    size_t wname = 4, wtarget = 0, np = 0, nf = 0;
    char more[REPORT_MORE_MAX];

    for (size_t i = 0; i < l->r->n; i++) {
        const struct check *c = &l->r->checks[i];
        size_t tl = strlen(c->t->url.redacted);

        if (!layout_keeps(l, c, &np, &nf))
            continue;
        if (strlen(c->t->name) > wname)
            wname = strlen(c->t->name);
        if (tl > l->v[LAYOUT_TCAP])
            tl = l->v[LAYOUT_TCAP];
        if (tl > wtarget)
            wtarget = tl;
    }
    np = nf = 0;
    for (size_t i = 0; i < l->r->n; i++) {
        const struct check *c = &l->r->checks[i];

        if (!layout_keeps(l, c, &np, &nf))
            continue;
        buf_addf(out, "%s %-*s  ", c->status == CHECK_PASS ? "PASS" : "FAIL", (int)wname,
                 c->t->name);
        add_pad(out, report_add_cut(out, c->t->url.redacted, l->v[LAYOUT_TCAP]), wtarget);
        buf_adds(out, "  ");
        add_pad(out, report_add_cut(out, shown_msg(c), l->v[LAYOUT_MCAP]), 9);
        buf_addf(out, "  %.1fms\n", check_ms(c));
    }
    np -= min_size(np, l->v[LAYOUT_KEEP_PASS]);
    nf -= min_size(nf, l->v[LAYOUT_KEEP_FAIL]);
    if (np + nf > 0)
        buf_add(out, more, report_more_line(more, np, nf));
}

/* Measures by rendering, so the size the layout is chosen by is the size that is printed. */
static size_t
layout_total(const struct layout *l)
{
    struct buf b;
    size_t n;

    buf_init(&b);
    layout_render(&b, l);
    n = b.len;
    buf_free(&b);
    return n;
}

static size_t
layout_total_with(size_t v, const void *ctx)
{
    const struct layout_try *t = ctx;
    struct layout l = *t->l;

    l.v[t->knob] = v;
    return layout_total(&l);
}

/* Turns one knob down, no lower than least, only as far as it takes to fit. */
static void
layout_shrink(struct layout *l, enum layout_knob knob, size_t least)
{
    struct layout_try t = {l, knob};
    size_t hi = l->v[knob];

    if (layout_total(l) > REPORT_MAX)
        l->v[knob] = report_fit(min_size(least, hi), hi, REPORT_MAX, layout_total_with, &t);
}

/* SPEC's order, each step only when the one before was not enough: targets down to
 * REPORT_TARGET_MIN, then messages down to REPORT_MSG_MIN, then passing lines from the
 * last one up, then failing lines from the last one up. */
void
report_text(struct buf *out, const struct run *r, int quiet)
{
    struct layout l = {.r = r, .quiet = quiet};
    size_t npass = 0, nfail = 0;

    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];

        if (!shown(c, quiet))
            continue;
        if (c->status == CHECK_PASS)
            npass++;
        else
            nfail++;
        if (strlen(c->t->url.redacted) > l.v[LAYOUT_TCAP])
            l.v[LAYOUT_TCAP] = strlen(c->t->url.redacted);
        if (strlen(shown_msg(c)) > l.v[LAYOUT_MCAP])
            l.v[LAYOUT_MCAP] = strlen(shown_msg(c));
    }
    if (npass + nfail == 0)
        return;
    l.v[LAYOUT_KEEP_PASS] = npass;
    l.v[LAYOUT_KEEP_FAIL] = nfail;
    layout_shrink(&l, LAYOUT_TCAP, REPORT_TARGET_MIN);
    layout_shrink(&l, LAYOUT_MCAP, REPORT_MSG_MIN);
    layout_shrink(&l, LAYOUT_KEEP_PASS, 0);
    layout_shrink(&l, LAYOUT_KEEP_FAIL, 0);
    layout_render(out, &l);
}

static void
json_check(struct buf *out, const struct check *c, enum check_status status)
{
    char when[32];
    time_t t = (time_t)c->wall_end;

    if (t == 0)
        t = time(NULL);
    clock_iso8601(t, when, sizeof(when));
    buf_adds(out, "[{\"componentId\":");
    json_add_cstr(out, c->t->name);
    buf_adds(out, ",\"componentType\":");
    json_add_cstr(out, c->kind->component_type);
    buf_addf(out,
             ",\"observedValue\":%.1f,\"observedUnit\":\"ms\",\"status\":\"%s\",\"time\":\"%s\"",
             check_ms(c), status == CHECK_PASS ? "pass" : "fail", when);
    buf_adds(out, ",\"target\":");
    json_add_cstr(out, c->t->url.redacted);
    if (c->status != CHECK_PASS || status != CHECK_PASS) {
        buf_adds(out, ",\"output\":");
        json_add_cstr(out, c->msg[0] ? c->msg : "failed");
    }
    if (c->status == CHECK_FAIL) {
        buf_addf(out, ",\"reason\":\"%s\"", check_reason_name(c->reason));
        if (c->reason == REASON_TIMEOUT)
            buf_addf(out, ",\"phase\":\"%s\"", check_phase_name(c->phase));
    }
    buf_adds(out, "}]");
}

static enum check_status
state_of(const struct run *r, size_t i, const enum check_status *states)
{
    return states ? states[i] : (enum check_status)r->checks[i].status;
}

/* A failing check's reason word; one that passed its last round but has not risen yet is
 * "recovering". */
static const char *
failing_reason(const struct check *c)
{
    return c->status == CHECK_FAIL ? check_reason_name(c->reason) : "recovering";
}

int
report_failing(struct buf *out, const struct run *r, const struct check *only,
               const enum check_status *states)
{
    int n = 0;

    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];

        if ((only != NULL && c != only) || state_of(r, i, states) == CHECK_PASS)
            continue;
        buf_addf(out, "%s%s (%s)", n++ ? ", " : "", c->t->name, failing_reason(c));
    }
    return n;
}

void
report_json(struct buf *out, const struct run *r, const struct check *only,
            const enum check_status *states)
{
    struct buf failing;
    int first = 1;

    buf_init(&failing);
    buf_adds(out, "{\"status\":");
    if (report_failing(&failing, r, only, states) == 0) {
        buf_adds(out, "\"pass\"");
    } else {
        /* Where a reader of the first bytes (docker inspect) sees it: who failed, and why. */
        buf_adds(out, "\"fail\",\"output\":");
        json_add_cstr(out, buf_str(&failing));
    }
    buf_free(&failing);
    buf_adds(out, ",\"version\":\"1\",\"releaseId\":\"" PROBE_VERSION
                  "\",\"description\":\"probe\",\"checks\":{");
    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];
        char key[96];

        if (only != NULL && c != only)
            continue;
        snprintf(key, sizeof(key), "%s:responseTime", c->t->name);
        if (!first)
            buf_adds(out, ",");
        first = 0;
        json_add_cstr(out, key);
        buf_adds(out, ":");
        json_check(out, c, state_of(r, i, states));
    }
    buf_adds(out, "}}\n");
}
