/*
 * libcurl's multi_socket API on the loop, for the kinds that speak HTTP through curl (http,
 * grpc): one multi handle per run serves every such check; each check drives one transfer at
 * a time (struct curl_xfer), to one address that probe resolved itself (CURLOPT_RESOLVE), and
 * hears its end through its own done callback, called from the loop, never from inside curl.
 */
#ifndef PROBE_CURL_LOOP_H
#define PROBE_CURL_LOOP_H

#include <curl/curl.h>

#include "check.h"

struct curl_xfer;

/* The transfer ended with rc; x is still attached (its easy handle may be asked anything). */
typedef void curl_xfer_done_fn(struct curl_xfer *x, CURLcode rc);

struct curl_xfer {
    struct check *c;
    const struct kind *kind; /* whose run-wide slot holds the multi handle */
    curl_xfer_done_fn *done;
    CURL *easy;
    int in_multi;
    struct curl_slist *resolve;
    struct curl_slist *headers;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    curl_socket_t fd; /* curl's socket, to tell a stuck connect from a stuck TLS handshake */
    int socket_errno; /* why socket() failed: curl does not keep it */
    int cert_asked;   /* the TLS server asked for a client certificate the check does not have */
    /* The first bytes the peer sent, peeked before curl read them: what a server that is not
     * HTTP/2 said to the preface, which curl's HTTP/2 layer reports only as an empty reply. */
    int peek_first; /* set by the kind that wants first_in */
    char first_in[64];
    size_t first_in_len;
};

/* A new easy handle for c's current address, with what every curl kind shares: the URL
 * "http[s]://host:port" + path (https when the scheme means TLS), no credentials, no proxy, no
 * redirects, no reuse, no signals, the target's TLS settings and headers, the socket hooks.
 * The kind adds its own options to x->easy and headers with curl_xfer_header(), then calls
 * curl_xfer_start(). 0, or -1 without memory (x must still be closed). */
int curl_xfer_open(struct curl_xfer *x, struct check *c, const struct kind *k, const char *path,
                   curl_xfer_done_fn *done);
/* Appends one "Name: value" request header. 0 or -1. */
int curl_xfer_header(struct curl_xfer *x, const char *line);
/* Hands the transfer to the run's multi handle and arms the address's share of the deadline.
 * 0, or -1 after check_fail(). */
int curl_xfer_start(struct curl_xfer *x);
/* Takes the transfer out of the multi handle (stops it); the handle stays for getinfo. */
void curl_xfer_detach(struct curl_xfer *x);
/* Detaches and frees the handle, the lists and the URL; x can be opened again. */
void curl_xfer_close(struct curl_xfer *x);
/* Whether curl's socket got through TCP. */
int curl_xfer_tcp_up(const struct curl_xfer *x);
/* The phase a stuck transfer is in: connect, tls, or (once TLS is up) response. */
void curl_xfer_sync_phase(struct curl_xfer *x);
/* Fails the check for a transfer curl ended with an error: errno texts for connect and
 * receive errors, "tls: ..." for certificates and handshakes, curl's text otherwise. */
void curl_xfer_fail(struct curl_xfer *x, CURLcode rc);

/* The transfer's address had its share of the deadline: 0 when TCP got through (it keeps the
 * rest); 1 when it was closed and c->addr_idx moved on, for the kind to open the next. */
int curl_xfer_next_address(struct curl_xfer *x);

/* Ops shared by the curl kinds, whose state (c->priv) begins with their struct curl_xfer. */
void curl_kind_abort(struct check *c);
void curl_kind_sync_phase(struct check *c);
/* Even plain HTTP initialises OpenSSL through libcurl; TLS schemes verify with it. */
enum kind_crypto curl_kind_crypto(const struct target *t);

/* The kind's run_free: lets go of the run's multi handle (freed with its last user). */
void curl_loop_put(struct run *r, const struct kind *k);

#endif
