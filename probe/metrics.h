/* Prometheus text exposition format 0.0.4. */
#ifndef PROBE_METRICS_H
#define PROBE_METRICS_H

#include <stddef.h>

#include "buf.h"

struct metrics_check {
    const char *name;
    const char *kind;
    int up;
    double duration_s;
    unsigned long failures;
    double last_success; /* unix seconds, 0 when never */
};

void metrics_render(struct buf *out, const struct metrics_check *m, size_t n, double round_s,
                    unsigned long rounds);

#endif
