/* What a run found, as text lines or as the health document. */
#ifndef PROBE_REPORT_H
#define PROBE_REPORT_H

#include "buf.h"
#include "run.h"

/* Docker keeps 4096 bytes of a health check's output; stay under it. */
#define REPORT_MAX 4000

void report_text(struct buf *out, const struct run *r, int quiet);
/* The whole document (only = NULL), or one check's. states, when not NULL, holds each check's
 * status after rise/fall (serve); otherwise each check's own result is its status. */
void report_json(struct buf *out, const struct run *r, const struct check *only,
                 const enum check_status *states);
/* "pass" / "fail" of the whole run. */
int report_all_pass(const struct run *r);

#endif
