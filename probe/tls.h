/* OpenSSL's share of a run's start-up: only what the run's targets need. */
#ifndef PROBE_TLS_H
#define PROBE_TLS_H

#include <stddef.h>

#include "target.h"

/* Call before any library (libcurl, Connector/C) touches OpenSSL. */
void tls_preinit(const struct target *targets, size_t n);
/* 1 while no run of this process has had a TLS target (set by tls_preinit): the static
 * build's OPENSSL_init_ssl wrapper (scripts/static/ssl_defaults.c) then does nothing. */
extern int tls_ssl_unused;

/* Loads a client certificate (PEM, with its chain) and its key (PEM; NULL: the key is in the
 * certificate file) the way the TLS handshake will, so that a missing, unreadable, mismatched
 * or encrypted key is one error line before any check starts. 0, or -1 with err. */
int tls_keypair_check(const char *cert, const char *key, char *err, size_t errlen);
struct buf;
/* `probe validate`: how a TLS check verifies its peer (insecure, cacert), as YAML lines. */
void tls_describe(const struct target *t, struct buf *out);

#endif
