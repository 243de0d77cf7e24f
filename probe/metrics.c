/* The /metrics page: one family at a time, each with its HELP and TYPE, label values escaped
 * as the exposition format asks (backslash, double quote, newline). */
#include "metrics.h"
#include "version.h"

static void
label(struct buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            buf_adds(out, "\\\\");
        else if (*v == '"')
            buf_adds(out, "\\\"");
        else if (*v == '\n')
            buf_adds(out, "\\n");
        else
            buf_add(out, v, 1);
    }
}

static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
labels(struct buf *out, const char *name, const struct metrics_check *m)
{
    buf_addf(out, "%s{check=\"", name);
    label(out, m->name);
    buf_adds(out, "\",type=\"");
    label(out, m->kind);
    buf_adds(out, "\"} ");
}

enum metrics_field { FIELD_UP, FIELD_DURATION, FIELD_FAILURES, FIELD_LAST_SUCCESS };

static const struct {
    const char *name;
    const char *type;
    const char *help;
    enum metrics_field field;
} per_check[] = {
    {"probe_check_up", "gauge", "Whether the check passes (1) or fails (0), after rise/fall.",
     FIELD_UP},
    {"probe_check_duration_seconds", "gauge", "How long the check took in the last round.",
     FIELD_DURATION},
    {"probe_check_failures_total", "counter", "Failed runs of the check since start.",
     FIELD_FAILURES},
    {"probe_check_last_success_timestamp_seconds", "gauge",
     "Unix time of the check's last pass, 0 if never.", FIELD_LAST_SUCCESS},
};

void
metrics_render(struct buf *out, const struct metrics_check *m, size_t n, double round_s,
               unsigned long rounds)
{
    for (size_t f = 0; f < sizeof(per_check) / sizeof(per_check[0]); f++) {
        family(out, per_check[f].name, per_check[f].type, per_check[f].help);
        for (size_t i = 0; i < n; i++) {
            labels(out, per_check[f].name, &m[i]);
            switch (per_check[f].field) {
            case FIELD_UP:
                buf_addf(out, "%d\n", m[i].up);
                break;
            case FIELD_DURATION:
                buf_addf(out, "%.6f\n", m[i].duration_s);
                break;
            case FIELD_FAILURES:
                buf_addf(out, "%lu\n", m[i].failures);
                break;
            case FIELD_LAST_SUCCESS:
                buf_addf(out, "%.3f\n", m[i].last_success);
                break;
            }
        }
    }
    family(out, "probe_round_duration_seconds", "gauge", "How long the last round took.");
    buf_addf(out, "probe_round_duration_seconds %.6f\n", round_s);
    family(out, "probe_rounds_total", "counter", "Rounds finished since start.");
    buf_addf(out, "probe_rounds_total %lu\n", rounds);
    family(out, "probe_build_info", "gauge", "probe's version.");
    buf_adds(out, "probe_build_info{version=\"" PROBE_VERSION "\"} 1\n");
}
