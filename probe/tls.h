/* OpenSSL's share of a run's start-up: only what the run's targets need. */
#ifndef PROBE_TLS_H
#define PROBE_TLS_H

#include <stddef.h>

#include "target.h"

/* Call before any library (libcurl, Connector/C) touches OpenSSL. */
void tls_preinit(const struct target *targets, size_t n);

struct buf;
/* `probe validate`: how a TLS check verifies its peer (insecure, cacert), as YAML lines. */
void tls_describe(const struct target *t, struct buf *out);

#endif
