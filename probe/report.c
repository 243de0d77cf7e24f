/*
 * The two faces of a result: aligned text lines for a terminal and `docker inspect`, and the
 * "Health Check Response Format for HTTP APIs" document for machines. Both stay valid and
 * bounded whatever a server sent back: messages were cleaned by check_done(), the JSON writer
 * escapes, and the text is cut per message so every line survives Docker's 4096-byte limit.
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

static int
shown(const struct check *c, int quiet)
{
    return !quiet || c->status != CHECK_PASS;
}

/* Cuts a UTF-8 string to at most max bytes, on a character boundary. */
static int
utf8_cut(const char *s, int max)
{
    int n = (int)strlen(s);

    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

void
report_text(struct buf *out, const struct run *r, int quiet)
{
    int wname = 4, wtarget = 0, wmsg = 9, fixed = 0, nshown = 0, budget;

    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];
        int tl = (int)strlen(c->t->url.redacted);

        if (!shown(c, quiet))
            continue;
        nshown++;
        if ((int)strlen(c->t->name) > wname)
            wname = (int)strlen(c->t->name);
        if (tl > wtarget)
            wtarget = tl > 200 ? 200 : tl;
    }
    if (nshown == 0)
        return;
    /* Each line: "PASS " name "  " target "  " msg "  " time "\n"; the messages share what is
     * left of the budget. */
    fixed = 5 + wname + 2 + wtarget + 2 + 2 + 12 + 1;
    budget = (REPORT_MAX - fixed * nshown) / nshown;
    if (budget < 16)
        budget = 16;
    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];
        const char *msg = c->msg[0] ? c->msg : (c->status == CHECK_PASS ? "ok" : "failed");
        int ml = utf8_cut(msg, budget);
        int tl = utf8_cut(c->t->url.redacted, 200);
        const char *more = "";
        int pad;

        if (!shown(c, quiet))
            continue;
        if (ml < (int)strlen(msg) && ml >= 3) {
            ml = utf8_cut(msg, budget - 3);
            more = "...";
        }
        pad = wmsg - ml - (int)strlen(more);
        buf_addf(out, "%s %-*s  %-*.*s  %.*s%s%*s  %.1fms\n",
                 c->status == CHECK_PASS ? "PASS" : "FAIL", wname, c->t->name, wtarget, tl,
                 c->t->url.redacted, ml, msg, more, pad > 0 ? pad : 0, "", check_ms(c));
    }
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
    json_add_cstr(out, c->ops->component_type);
    buf_addf(out,
             ",\"observedValue\":%.1f,\"observedUnit\":\"ms\",\"status\":\"%s\",\"time\":\"%s\"",
             check_ms(c), status == CHECK_PASS ? "pass" : "fail", when);
    buf_adds(out, ",\"target\":");
    json_add_cstr(out, c->t->url.redacted);
    if (c->status != CHECK_PASS || status != CHECK_PASS) {
        buf_adds(out, ",\"output\":");
        json_add_cstr(out, c->msg[0] ? c->msg : "failed");
    }
    buf_adds(out, "}]");
}

void
report_json(struct buf *out, const struct run *r, const struct check *only,
            const enum check_status *states)
{
    int pass = 1, first = 1;

    for (size_t i = 0; i < r->n; i++) {
        const struct check *c = &r->checks[i];

        if ((only == NULL || c == only) &&
            (states ? states[i] : (enum check_status)c->status) != CHECK_PASS)
            pass = 0;
    }
    buf_addf(out,
             "{\"status\":\"%s\",\"version\":\"1\",\"releaseId\":\"" PROBE_VERSION
             "\",\"description\":\"probe\",\"checks\":{",
             pass ? "pass" : "fail");
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
        json_check(out, c, states ? states[i] : (enum check_status)c->status);
    }
    buf_adds(out, "}}\n");
}
