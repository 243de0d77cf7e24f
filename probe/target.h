/* What one check checks: the resolved, validated description built from flags, env and config. */
#ifndef PROBE_TARGET_H
#define PROBE_TARGET_H

#include "http.h"
#include "json_expect.h"
#include "url.h"
#include "value.h"

struct target {
    char name[65];
    char *raw;       /* the URL after ${} expansion (holds the password: never print) */
    struct url url;  /* parsed; url.redacted is what gets printed */
    long timeout_ms; /* this check's own deadline; <= the run's */
    /* http */
    struct status_set expect_status;
    char *expect_body;
    struct json_expect *expect_json; /* every one must hold; the body is read whole */
    size_t nexpect_json;
    struct http_header *headers;
    size_t nheaders;
    int insecure;
    char *cacert;
    char *cert; /* TLS client certificate (PEM), NULL: none */
    char *key;  /* its key (PEM), NULL: in the certificate file */
};

void target_free(struct target *t);

#endif
