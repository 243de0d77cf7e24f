/*
 * curl's multi_socket API on libev, after curl's evhiperfifo example: one run-wide struct (the
 * multi handle, its timer, the sockets curl asked us to watch), one per socket, and one per
 * transfer (struct curl_xfer), whose kind hears the end through its done callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "curl_loop.h"
#include "run.h"
#include "version.h"

/* Run-wide, shared by every curl kind of the run: each kind's slot points here. */
struct curl_loop {
    CURLM *multi;
    struct ev_loop *loop;
    ev_timer timer;
    struct curl_sock *socks;
    const struct run *run;
    int refs; /* the kinds' slots that point here */
    struct curl_loop *next;
};

struct curl_sock {
    ev_io io;
    curl_socket_t fd;
    struct curl_xfer *x; /* the transfer that opened it */
    struct curl_loop *l;
    struct curl_sock *next;
};

/* The runs that have a multi handle: usually one, two while serve hands over a round. */
static struct curl_loop *curl_loops;

static void curl_loop_done(struct curl_loop *l);

/* Keeps the first bytes the peer sent, before curl reads them, or, when curl failed on a write
 * first, as it closes the socket (they are still queued). One syscall per transfer. */
static void
curl_xfer_peek(struct curl_xfer *x, curl_socket_t fd)
{
    ssize_t n;

    if (!x->peek_first || x->first_in_len > 0)
        return;
    n = recv(fd, x->first_in, sizeof(x->first_in), MSG_PEEK | MSG_DONTWAIT);
    x->first_in_len = n > 0 ? (size_t)n : 0;
}

static void
curl_sock_free(struct curl_loop *l, struct curl_sock *cs)
{
    for (struct curl_sock **pp = &l->socks; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == cs) {
            *pp = cs->next;
            break;
        }
    }
    ev_io_stop(l->loop, &cs->io);
    free(cs);
}

static void
curl_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct curl_sock *cs = w->data;
    struct curl_loop *l = cs->l;
    int flags = 0, running = 0;

    (void)loop;
    if ((revents & EV_READ) && cs->x != NULL)
        curl_xfer_peek(cs->x, cs->fd);
    if (revents & EV_READ)
        flags |= CURL_CSELECT_IN;
    if (revents & EV_WRITE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(l->multi, cs->fd, flags, &running);
    curl_loop_done(l);
}

static int
curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct curl_loop *l = userp;
    struct curl_sock *cs = socketp;
    int events = 0;

    if (what == CURL_POLL_REMOVE) {
        if (cs != NULL)
            curl_sock_free(l, cs);
        return 0;
    }
    if (cs == NULL) {
        cs = calloc(1, sizeof(*cs));
        if (cs == NULL)
            return -1;
        cs->fd = fd;
        cs->l = l;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&cs->x);
        cs->next = l->socks;
        l->socks = cs;
        curl_multi_assign(l->multi, fd, cs);
    } else {
        ev_io_stop(l->loop, &cs->io);
    }
    if (what & CURL_POLL_IN)
        events |= EV_READ;
    if (what & CURL_POLL_OUT)
        events |= EV_WRITE;
    ev_io_init(&cs->io, curl_io_cb, fd, events);
    cs->io.data = cs;
    ev_io_start(l->loop, &cs->io);
    return 0;
}

static void
curl_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct curl_loop *l = w->data;
    int running = 0;

    (void)loop;
    (void)revents;
    curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    curl_loop_done(l);
}

/* Fractional seconds: evhiperfifo's integer division would turn curl's 1 ms into 0. */
static int
curl_timer_set_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct curl_loop *l = userp;

    (void)multi;
    ev_timer_stop(l->loop, &l->timer);
    if (timeout_ms >= 0) {
        ev_timer_set(&l->timer, (double)timeout_ms / 1000., 0.);
        ev_timer_start(l->loop, &l->timer);
    }
    return 0;
}

static struct curl_loop *
curl_loop_new(struct run *r)
{
    static int global_ready;
    struct curl_loop *l;

    if (!global_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        atexit(curl_global_cleanup);
        global_ready = 1;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->multi = curl_multi_init();
    if (l->multi == NULL) {
        free(l);
        return NULL;
    }
    l->loop = r->loop;
    l->run = r;
    ev_timer_init(&l->timer, curl_timer_cb, 0., 0.);
    l->timer.data = l;
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, curl_timer_set_cb);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
    l->next = curl_loops;
    curl_loops = l;
    return l;
}

/* The run's multi handle, made by its first curl transfer; k's slot keeps a reference, so the
 * handle lives until the last curl kind of the run has let go of it (curl_loop_put). */
static struct curl_loop *
curl_loop_get(struct run *r, const struct kind *k)
{
    void **slot = run_kind_state(r, k);
    struct curl_loop *l = *slot;

    if (l != NULL)
        return l;
    for (l = curl_loops; l != NULL && l->run != r; l = l->next)
        ;
    if (l == NULL)
        l = curl_loop_new(r);
    if (l == NULL)
        return NULL;
    *slot = l;
    l->refs++;
    return l;
}

void
curl_loop_put(struct run *r, const struct kind *k)
{
    void **slot = run_kind_state(r, k);
    struct curl_loop *l = *slot;

    if (l == NULL)
        return;
    *slot = NULL;
    if (--l->refs > 0)
        return;
    for (struct curl_loop **pp = &curl_loops; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    ev_timer_stop(l->loop, &l->timer);
    curl_multi_cleanup(l->multi);
    while (l->socks != NULL)
        curl_sock_free(l, l->socks);
    free(l);
}

/*
 * A transfer whose TCP connection never came up (refused, unreachable) while the name has more
 * addresses: the kind moves on to the next one now, as when an attempt's share of the deadline
 * runs out. "localhost" is ::1 and 127.0.0.1 in Docker's /etc/hosts, and a server listening on
 * 0.0.0.0 refuses ::1.
 */
static int
curl_loop_next_address(struct curl_xfer *x, CURLcode rc)
{
    struct check *c = x->c;

    if (rc != CURLE_COULDNT_CONNECT || c->addr_idx + 1 >= c->naddrs ||
        c->kind->attempt_timeout == NULL || curl_xfer_tcp_up(x))
        return 0;
    c->kind->attempt_timeout(c);
    return 1;
}

/* Called after curl returned to the loop: each finished transfer goes to its kind, then out of
 * the multi handle. */
static void
curl_loop_done(struct curl_loop *l)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(l->multi, &left)) != NULL) {
        struct curl_xfer *x = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x == NULL)
            continue;
        /* msg went with the old handle: nothing of it is read after this. */
        if (curl_loop_next_address(x, msg->data.result))
            continue;
        x->done(x, msg->data.result);
        if (x->easy == msg->easy_handle)
            curl_xfer_detach(x);
    }
}

/* curl opens its sockets through here so that a failing socket() (EMFILE) keeps its errno. */
static curl_socket_t
curl_opensocket_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct curl_xfer *x = userp;
    curl_socket_t fd;

    (void)purpose;
    fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        x->socket_errno = errno;
    return fd;
}

static int
curl_sockopt_cb(void *userp, curl_socket_t fd, curlsocktype purpose)
{
    struct curl_xfer *x = userp;

    (void)purpose;
    x->fd = fd;
    return CURL_SOCKOPT_OK;
}

static int
curl_closesocket_cb(void *userp, curl_socket_t fd)
{
    struct curl_xfer *x = userp;

    curl_xfer_peek(x, fd);
    if (x->fd == fd)
        x->fd = CURL_SOCKET_BAD;
    return close(fd);
}

/* The URL without credentials (they go through their own options, if at all). */
static char *
curl_xfer_url(const struct url *u, const char *path)
{
    struct buf b;

    buf_init(&b);
    buf_adds(&b, u->scheme->tls ? "https://" : "http://");
    if (u->host_is_v6)
        buf_addf(&b, "[%s]", u->host);
    else
        buf_adds(&b, u->host);
    buf_addf(&b, ":%d%s", u->port, path);
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    buf_str(&b);
    return b.p;
}

/*
 * Hands curl the address we are trying, so it never runs a resolver of its own. One address
 * at a time: curl 7.88 driven by multi_socket does not move on to a second address when the
 * first one drops SYNs, so the kind moves on itself (its attempt_timeout).
 */
static struct curl_slist *
curl_xfer_resolve_list(const struct check *c)
{
    struct buf b;
    struct curl_slist *list;
    const struct net_addr *a = &c->addrs[c->addr_idx];

    buf_init(&b);
    buf_addf(&b, "%s:%d:", c->t->url.host, c->t->url.port);
    buf_addf(&b, a->sa.ss_family == AF_INET6 ? "[%s]" : "%s", a->text);
    list = b.oom ? NULL : curl_slist_append(NULL, buf_str(&b));
    buf_free(&b);
    return list;
}

int
curl_xfer_header(struct curl_xfer *x, const char *line)
{
    struct curl_slist *l = curl_slist_append(x->headers, line);

    if (l == NULL)
        return -1;
    x->headers = l;
    return 0;
}

/* OpenSSL asks this when the server requests a client certificate and the connection has
 * none (it is never called when --cert gave one); the transfer notes it, and no certificate
 * is sent. The SSL_CTX is the connection's own (curl makes one per connection). */
static int xfer_ctx_index = -1;

static int
curl_xfer_cert_asked(SSL *ssl, X509 **cert, EVP_PKEY **key)
{
    struct curl_xfer *x = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), xfer_ctx_index);

    (void)cert;
    (void)key;
    if (x != NULL)
        x->cert_asked = 1;
    return 0;
}

static CURLcode
curl_xfer_ssl_ctx(CURL *e, void *ctx, void *arg)
{
    (void)e;
    if (xfer_ctx_index < 0)
        xfer_ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (xfer_ctx_index >= 0 && SSL_CTX_set_ex_data(ctx, xfer_ctx_index, arg) == 1)
        SSL_CTX_set_client_cert_cb(ctx, curl_xfer_cert_asked);
    return CURLE_OK;
}

/*
 * Only a CA file, never a CA directory (Debian's curl defaults to both): curl then parses the
 * bundle once per run and shares the store among the run's transfers (its CA cache lives in
 * the multi handle and skips any transfer with a CApath). Verification off names no CA file,
 * so none is opened. A client certificate (mTLS) was loaded once when the settings were read;
 * without one, the transfer notes whether the server asked for one (curl_xfer_cert_asked).
 */
static void
curl_xfer_tls(struct curl_xfer *x, CURL *e, const struct target *t)
{
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    if (t->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
    } else if (t->cacert != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, t->cacert);
    }
    if (t->cert != NULL) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY, t->key != NULL ? t->key : t->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    } else {
        curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, curl_xfer_ssl_ctx);
        curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, x);
    }
}

int
curl_xfer_open(struct curl_xfer *x, struct check *c, const struct kind *k, const char *path,
               curl_xfer_done_fn *done)
{
    const struct target *t = c->t;
    CURL *e;

    memset(x, 0, sizeof(*x));
    x->c = c;
    x->kind = k;
    x->done = done;
    x->fd = CURL_SOCKET_BAD;
    x->easy = e = curl_easy_init();
    x->url = curl_xfer_url(&t->url, path);
    if (e == NULL || x->url == NULL)
        return -1;
    if (!t->url.host_is_v6 && c->naddrs > 0 && strcmp(c->addrs[0].text, t->url.host) != 0) {
        x->resolve = curl_xfer_resolve_list(c);
        if (x->resolve == NULL)
            return -1;
        curl_easy_setopt(e, CURLOPT_RESOLVE, x->resolve);
    }
    for (size_t i = 0; i < t->nheaders; i++) {
        char line[1024];

        snprintf(line, sizeof(line), "%s: %s", t->headers[i].name, t->headers[i].value);
        if (curl_xfer_header(x, line) < 0)
            return -1;
    }
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#ifdef CURLOPT_QUICK_EXIT
    curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "probe/" PROBE_VERSION);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, curl_opensocket_cb);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, curl_sockopt_cb);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, x);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, curl_closesocket_cb);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, x);
    curl_xfer_tls(x, e, t);
    return 0;
}

int
curl_xfer_start(struct curl_xfer *x)
{
    struct curl_loop *l = curl_loop_get(x->c->run, x->kind);

    if (l == NULL) {
        check_fail(x->c, REASON_RESOURCE, "cannot initialise libcurl");
        return -1;
    }
    if (x->headers != NULL)
        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    if (curl_multi_add_handle(l->multi, x->easy) != CURLM_OK) {
        check_fail(x->c, REASON_RESOURCE, "cannot start the %s request", x->kind->name);
        return -1;
    }
    x->in_multi = 1;
    check_attempt_arm(x->c);
    return 0;
}

void
curl_xfer_detach(struct curl_xfer *x)
{
    struct curl_loop *l;

    if (!x->in_multi)
        return;
    l = *run_kind_state(x->c->run, x->kind);
    if (l != NULL)
        curl_multi_remove_handle(l->multi, x->easy);
    x->in_multi = 0;
}

void
curl_xfer_close(struct curl_xfer *x)
{
    if (x->c != NULL)
        curl_xfer_detach(x);
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    x->easy = NULL;
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    curl_slist_free_all(x->resolve);
    x->resolve = NULL;
    free(x->url);
    x->url = NULL;
}

/* The kernel knows a socket's peer only once it is connected. */
int
curl_xfer_tcp_up(const struct curl_xfer *x)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);

    return x->fd != CURL_SOCKET_BAD && getpeername(x->fd, (struct sockaddr *)&peer, &len) == 0;
}

/* curl records its connect time only once the whole connection (TLS included) is up, so the
 * socket itself is asked whether TCP got through. */
void
curl_xfer_sync_phase(struct curl_xfer *x)
{
    struct check *c = x->c;
    curl_off_t app = 0;

    if (x->easy == NULL || c->phase == PHASE_RESPONSE)
        return;
    curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &app);
    if (!curl_xfer_tcp_up(x))
        check_phase(c, PHASE_CONNECT);
    else if (c->t->url.scheme->tls && app == 0)
        check_phase(c, PHASE_TLS);
    else
        check_phase(c, PHASE_RESPONSE);
}

/* The reason for a transfer curl ended with an error. */
static enum check_reason
curl_xfer_reason(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return REASON_TLS;
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return REASON_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
        return REASON_DNS;
    case CURLE_OUT_OF_MEMORY:
        return REASON_RESOURCE;
    case CURLE_OPERATION_TIMEDOUT:
        return REASON_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED:
        return REASON_LIMIT;
    default:
        return REASON_PROTOCOL;
    }
}

/* Whether an HTTP response (a status line or HEADERS) came back on the transfer. */
static int
curl_xfer_answered(struct curl_xfer *x)
{
    long code = 0;

    return curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code != 0;
}

void
curl_xfer_fail(struct curl_xfer *x, CURLcode rc)
{
    struct check *c = x->c;
    const char *text = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
    long os_errno = 0;

    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno == 0)
        os_errno = x->socket_errno;
    /* A server that requires a client certificate (mTLS) ends a connection without one the way
     * its TLS stack does (TLS 1.3's alert after the handshake, a bare close, a reset), so curl's
     * error varies; that it asked for one the check does not have is the cause to name. */
    if (x->cert_asked && rc != CURLE_OPERATION_TIMEDOUT && !curl_xfer_answered(x)) {
        check_fail(c, REASON_TLS, "tls: the server asked for a client certificate and none was "
                                  "given (--cert): %s", text);
        return;
    }
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        check_fail(c, os_errno ? check_errno_reason((int)os_errno) : REASON_CONNECT, "%s",
                   os_errno ? check_errno_text((int)os_errno) : "could not connect");
        return;
    case CURLE_GOT_NOTHING:
        check_fail(c, REASON_CONNECT, "empty reply from server");
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        if (os_errno != 0) {
            check_fail(c, check_errno_reason((int)os_errno), "%s", check_errno_text((int)os_errno));
            return;
        }
        /* An alert from the peer's TLS layer after the handshake (TLS 1.3 sends "certificate
         * required" only then): a TLS failure, not a broken connection. */
        if (c->t->url.scheme->tls && strstr(text, "SSL routines") != NULL) {
            check_fail(c, REASON_TLS, "tls: %s", text);
            return;
        }
        break;
    default:
        if (curl_xfer_reason(rc) == REASON_TLS) {
            check_fail(c, REASON_TLS, "tls: %s", text);
            return;
        }
        break;
    }
    check_fail(c, curl_xfer_reason(rc), "%s", text);
}

int
curl_xfer_next_address(struct curl_xfer *x)
{
    if (curl_xfer_tcp_up(x))
        return 0;
    curl_xfer_close(x);
    x->c->addr_idx++;
    return 1;
}

void
curl_kind_abort(struct check *c)
{
    struct curl_xfer *x = c->priv;

    if (x != NULL)
        curl_xfer_detach(x);
}

void
curl_kind_sync_phase(struct check *c)
{
    curl_xfer_sync_phase(c->priv);
}

enum kind_crypto
curl_kind_crypto(const struct target *t)
{
    return t->url.scheme->tls ? CRYPTO_TLS : CRYPTO_PLAIN;
}
