/* The YAML config file. */
#ifndef PROBE_CONFIG_H
#define PROBE_CONFIG_H

#include <stddef.h>

#include "http.h"
#include "json_expect.h"

#define CFG_KIND_OPTS_MAX 8

/* A kind's option given as a check key (one flagged KIND_OPT_CONFIG: query, role...); it
 * replaces what the URL says, once the URL tells which kind the check is. */
struct cfg_kind_opt {
    const char *key; /* the kind's own key string */
    char *value;     /* expanded */
    int line;        /* where the value is, for errors (1-based) */
    int col;
};

struct cfg_check {
    char *name;                      /* NULL: derived from the scheme later */
    char *url;                       /* expanded */
    char *expect_status;             /* NULL: default */
    char *expect_body;               /* NULL: none */
    struct json_expect *expect_json; /* expect_json: mapping, pointers checked */
    size_t nexpect_json;
    struct http_header *headers;
    size_t nheaders;
    long timeout_ms; /* 0: unset */
    int insecure;    /* -1 unset, 0 or 1 */
    char *cacert;    /* NULL: unset */
    char *cert;      /* NULL: unset */
    char *key;       /* NULL: unset */
    struct cfg_kind_opt opts[CFG_KIND_OPTS_MAX];
    size_t nopts;
    int line; /* where the check's mapping starts (1-based) */
    int col;
};

struct cfg {
    char *path;
    long timeout_ms;  /* 0: unset */
    long interval_ms; /* 0: unset */
    char *listen;     /* NULL: unset */
    int rise;         /* 0: unset */
    int fall;         /* 0: unset */
    char *log_format; /* NULL: unset; "text" or "json" */
    struct cfg_check *checks;
    size_t nchecks;
};

/* 0 on success; -1 with err = "FILE:LINE:COL: message". */
int cfg_load_file(const char *path, struct cfg *cfg, char *err, size_t errlen);
int cfg_load_string(const char *name, const char *text, size_t len, struct cfg *cfg, char *err,
                    size_t errlen);
void cfg_free(struct cfg *cfg);
/* The value of a kind option given as a check key, NULL when not given. */
const char *cfg_check_opt(const struct cfg_check *chk, const char *key);

#endif
