/* What a run found, as text lines or as the health document. */
#ifndef PROBE_REPORT_H
#define PROBE_REPORT_H

#include "buf.h"
#include "run.h"

/* Docker keeps 4096 bytes of a health check's output; stay under it. */
#define REPORT_MAX 4000
/* Targets and messages are not cut below this many bytes: past that, whole lines give way. */
#define REPORT_TARGET_MIN 16
#define REPORT_MSG_MIN 32
/* Room for the last line, "... K more: P pass, F fail\n", whatever the numbers. */
#define REPORT_MORE_MAX 96

/* One line per check, the whole under REPORT_MAX bytes: long targets are shortened first,
 * then long messages are cut; if it still does not fit, passing lines give way before any
 * failure does, and a last line counts what was left out. quiet: failures only. */
void report_text(struct buf *out, const struct run *r, int quiet);
/* Appends s, cut to at most max (>= 3) bytes on a UTF-8 boundary with "..." marking the cut;
 * returns the number of bytes appended. */
size_t report_add_cut(struct buf *out, const char *s, size_t max);
/* The largest v in [lo, hi] with total(v, ctx) <= budget, or lo when none does; total must
 * not shrink as v grows. */
size_t report_fit(size_t lo, size_t hi, size_t budget, size_t (*total)(size_t v, const void *ctx),
                  const void *ctx);
/* Writes "... K more: P pass, F fail\n" (K = P + F) into dst, which holds REPORT_MORE_MAX
 * bytes, and returns its length. Plain stores only: the watchdog calls it in a signal
 * handler. */
size_t report_more_line(char *dst, size_t pass, size_t fail);
/* The whole document (only = NULL), or one check's. states, when not NULL, holds each check's
 * status after rise/fall (serve); otherwise each check's own result is its status. */
void report_json(struct buf *out, const struct run *r, const struct check *only,
                 const enum check_status *states);
/* Appends "db (auth), cache (timeout)": the checks that are not up (all, or only), with their
 * reasons; returns how many. states as for report_json. */
int report_failing(struct buf *out, const struct run *r, const struct check *only,
                   const enum check_status *states);
/* "pass" / "fail" of the whole run. */
int report_all_pass(const struct run *r);

#endif
