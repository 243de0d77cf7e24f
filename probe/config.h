/* The YAML config file. */
#ifndef PROBE_CONFIG_H
#define PROBE_CONFIG_H

#include <stddef.h>

#include "http.h"

struct cfg_check {
    char *name;          /* NULL: derived from the scheme later */
    char *url;           /* expanded */
    char *expect_status; /* NULL: default */
    char *expect_body;   /* NULL: none */
    struct http_header *headers;
    size_t nheaders;
    long timeout_ms; /* 0: unset */
    char *query;     /* mysql: overrides ?query= */
    int insecure;    /* -1 unset, 0 or 1 */
    char *cacert;    /* NULL: unset */
    char *cert;      /* NULL: unset */
    char *key;       /* NULL: unset */
    int line;        /* where the check's mapping starts (1-based) */
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

#endif
