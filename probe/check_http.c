/*
 * http:// and https:// — curl's multi_socket API on the loop. The check passes when the final
 * status is in the expected set and, if asked, the body contains the expected text. Redirects
 * are not followed, proxies are not used, only http and https are spoken, and the body and
 * headers read are capped.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "json.h"
#include "tls.h"
#include "run.h"
#include "text.h"
#include "version.h"

#define HTTP_BODY_CAP (1024 * 1024)
#define HTTP_HEADER_CAP (64 * 1024)
/* How much of the body a failing status shows: where Django's and Spring's health views put
 * the cause. The text output cuts it further to fit. */
#define HTTP_FAIL_BODY 256

extern const struct kind kind_http;

enum http_stop { STOP_NONE, STOP_STATUS_ONLY, STOP_BAD_STATUS, STOP_BODY_CAP, STOP_HEADER_CAP };

/* Run-wide: one multi handle, its timer and the sockets curl asked us to watch. */
struct http_multi {
    CURLM *multi;
    struct ev_loop *loop;
    ev_timer timer;
    struct http_sock *socks;
};

struct http_sock {
    ev_io io;
    curl_socket_t fd;
    struct http_multi *m;
    struct http_sock *next;
};

struct http_state {
    CURL *easy;
    int in_multi;
    struct curl_slist *headers;
    struct curl_slist *resolve;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    struct buf body;
    size_t header_bytes;
    size_t body_bytes;
    int found;
    enum http_stop stop;
    long status;
    curl_socket_t fd; /* curl's socket, to tell a stuck connect from a stuck TLS handshake */
    int socket_errno; /* why socket() failed: curl does not keep it */
};

static void http_multi_done(struct http_multi *m);

static void
http_sock_free(struct http_multi *m, struct http_sock *hs)
{
    for (struct http_sock **pp = &m->socks; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == hs) {
            *pp = hs->next;
            break;
        }
    }
    ev_io_stop(m->loop, &hs->io);
    free(hs);
}

static void
http_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct http_sock *hs = w->data;
    struct http_multi *m = hs->m;
    int flags = 0, running = 0;

    (void)loop;
    if (revents & EV_READ)
        flags |= CURL_CSELECT_IN;
    if (revents & EV_WRITE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(m->multi, hs->fd, flags, &running);
    http_multi_done(m);
}

static int
http_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_multi *m = userp;
    struct http_sock *hs = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (hs != NULL)
            http_sock_free(m, hs);
        return 0;
    }
    if (hs == NULL) {
        hs = calloc(1, sizeof(*hs));
        if (hs == NULL)
            return -1;
        hs->fd = fd;
        hs->m = m;
        hs->next = m->socks;
        m->socks = hs;
        curl_multi_assign(m->multi, fd, hs);
    } else {
        ev_io_stop(m->loop, &hs->io);
    }
    if (what & CURL_POLL_IN)
        events |= EV_READ;
    if (what & CURL_POLL_OUT)
        events |= EV_WRITE;
    ev_io_init(&hs->io, http_io_cb, fd, events);
    hs->io.data = hs;
    ev_io_start(m->loop, &hs->io);
    return 0;
}

static void
http_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct http_multi *m = w->data;
    int running = 0;

    (void)loop;
    (void)revents;
    curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    http_multi_done(m);
}

static int
http_timer_set_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_multi *m = userp;

    (void)multi;
    ev_timer_stop(m->loop, &m->timer);
    if (timeout_ms >= 0) {
        ev_timer_set(&m->timer, (double)timeout_ms / 1000., 0.);
        ev_timer_start(m->loop, &m->timer);
    }
    return 0;
}

static struct http_multi *
http_multi_get(struct run *r)
{
    static int global_ready;
    void **slot = run_kind_state(r, &kind_http);
    struct http_multi *m = *slot;

    if (m != NULL)
        return m;
    if (!global_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        atexit(curl_global_cleanup);
        global_ready = 1;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->multi = curl_multi_init();
    if (m->multi == NULL) {
        free(m);
        return NULL;
    }
    m->loop = r->loop;
    ev_timer_init(&m->timer, http_timer_cb, 0., 0.);
    m->timer.data = m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, http_sock_cb);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, http_timer_set_cb);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    *slot = m;
    return m;
}

static void
http_run_free(struct run *r)
{
    void **slot = run_kind_state(r, &kind_http);
    struct http_multi *m = *slot;

    if (m == NULL)
        return;
    ev_timer_stop(m->loop, &m->timer);
    curl_multi_cleanup(m->multi);
    while (m->socks != NULL)
        http_sock_free(m, m->socks);
    free(m);
    *slot = NULL;
}

static size_t
http_header_cb(char *data, size_t size, size_t n, void *userp)
{
    struct check *c = userp;
    struct http_state *st = c->priv;

    st->header_bytes += size * n;
    check_phase(c, PHASE_RESPONSE);
    if (st->header_bytes > HTTP_HEADER_CAP) {
        st->stop = STOP_HEADER_CAP;
        return 0;
    }
    (void)data;
    return size * n;
}

/* Keeps the start of a failing response's body for the message; stops once it has enough. */
static size_t
http_fail_body(struct http_state *st, const char *data, size_t len)
{
    size_t room = HTTP_FAIL_BODY - st->body.len;

    buf_add(&st->body, data, len < room ? len : room);
    if (st->body.len >= HTTP_FAIL_BODY) {
        st->stop = STOP_BAD_STATUS;
        return 0;
    }
    return len;
}

/*
 * The body is read only as far as the verdict needs: not at all when only the status counts,
 * its start when the status fails (the cause is there). When text is asked for, the whole
 * body is read up to the cap, and a body over the cap fails even if the text came early: a
 * health endpoint that streams without end is not healthy.
 */
static size_t
http_write_cb(char *data, size_t size, size_t n, void *userp)
{
    struct check *c = userp;
    struct http_state *st = c->priv;
    const char *want = c->t->expect_body;
    size_t len = size * n;

    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &st->status);
    if (!status_set_has(&c->t->expect_status, st->status))
        return http_fail_body(st, data, len);
    if (want == NULL) {
        st->stop = STOP_STATUS_ONLY;
        return 0;
    }
    st->body_bytes += len;
    if (st->body_bytes > HTTP_BODY_CAP) {
        st->stop = STOP_BODY_CAP;
        return 0;
    }
    if (!st->found) {
        buf_add(&st->body, data, len);
        st->found = memmem(buf_str(&st->body), st->body.len, want, strlen(want)) != NULL;
        if (st->found)
            buf_free(&st->body);
    }
    return len;
}

/* "HTTP 503", or "HTTP 503: " and the start of the body the app sent (check_fail cleans it). */
static void
http_fail_status(struct check *c)
{
    struct http_state *st = c->priv;

    if (st->body.len == 0)
        check_fail(c, REASON_STATUS, "HTTP %ld", st->status);
    else
        check_fail(c, REASON_STATUS, "HTTP %ld: %s", st->status, buf_str(&st->body));
}

/* The reason for a transfer curl ended with an error. */
static enum check_reason
http_curl_reason(CURLcode rc)
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

static void
http_verdict(struct check *c, CURLcode rc)
{
    struct http_state *st = c->priv;
    const char *want = c->t->expect_body;
    const char *text = st->errbuf[0] ? st->errbuf : curl_easy_strerror(rc);
    long os_errno = 0;

    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &st->status);
    switch (st->stop) {
    case STOP_STATUS_ONLY:
        check_pass(c, "%ld", st->status);
        return;
    case STOP_BAD_STATUS:
        http_fail_status(c);
        return;
    case STOP_BODY_CAP:
        check_fail(c, REASON_LIMIT, "body over the %d-byte limit", HTTP_BODY_CAP);
        return;
    case STOP_HEADER_CAP:
        check_fail(c, REASON_LIMIT, "response headers over %d bytes", HTTP_HEADER_CAP);
        return;
    case STOP_NONE:
        break;
    }
    if (rc == CURLE_OK) {
        if (!status_set_has(&c->t->expect_status, st->status))
            http_fail_status(c);
        else if (want != NULL && !st->found)
            check_fail(c, REASON_BODY, "body does not contain \"%.*s\"", QUOTE_MAX, want);
        else
            check_pass(c, "%ld", st->status);
        return;
    }
    curl_easy_getinfo(st->easy, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno == 0)
        os_errno = st->socket_errno;
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
        break;
    default:
        if (http_curl_reason(rc) == REASON_TLS) {
            check_fail(c, REASON_TLS, "tls: %s", text);
            return;
        }
        break;
    }
    check_fail(c, http_curl_reason(rc), "%s", text);
}

static void
http_detach(struct check *c)
{
    struct http_state *st = c->priv;
    struct http_multi *m = *run_kind_state(c->run, &kind_http);

    if (st != NULL && st->in_multi && m != NULL) {
        curl_multi_remove_handle(m->multi, st->easy);
        st->in_multi = 0;
    }
}

static void
http_multi_done(struct http_multi *m)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        struct check *c = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        if (c == NULL)
            continue;
        http_verdict(c, msg->data.result);
        http_detach(c);
    }
}

/* curl opens its sockets through here so that a failing socket() (EMFILE) keeps its errno. */
static curl_socket_t
http_opensocket_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct check *c = userp;
    struct http_state *st = c->priv;
    curl_socket_t fd;

    (void)purpose;
    fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        st->socket_errno = errno;
    return fd;
}

static int
http_sockopt_cb(void *userp, curl_socket_t fd, curlsocktype purpose)
{
    struct check *c = userp;
    struct http_state *st = c->priv;

    (void)purpose;
    st->fd = fd;
    return CURL_SOCKOPT_OK;
}

static int
http_closesocket_cb(void *userp, curl_socket_t fd)
{
    struct check *c = userp;
    struct http_state *st = c->priv;

    if (st->fd == fd)
        st->fd = CURL_SOCKET_BAD;
    return close(fd);
}

/* Builds the URL without credentials; the user and password go through their own options. */
static char *
http_url(const struct url *u)
{
    struct buf b;

    buf_init(&b);
    buf_addf(&b, "%s://", u->scheme->name);
    if (u->host_is_v6)
        buf_addf(&b, "[%s]", u->host);
    else
        buf_adds(&b, u->host);
    buf_addf(&b, ":%d%s", u->port, u->path);
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
 * first one drops SYNs, so probe moves on itself (http_attempt_timeout).
 */
static struct curl_slist *
http_resolve_list(const struct check *c)
{
    struct buf b;
    struct curl_slist *list;
    const struct net_addr *a = &c->addrs[c->addr_idx];

    if (c->naddrs == 0)
        return NULL;
    buf_init(&b);
    buf_addf(&b, "%s:%d:", c->t->url.host, c->t->url.port);
    buf_addf(&b, a->sa.ss_family == AF_INET6 ? "[%s]" : "%s", a->text);
    list = b.oom ? NULL : curl_slist_append(NULL, buf_str(&b));
    buf_free(&b);
    return list;
}

static int
http_setup(struct check *c, struct http_state *st)
{
    const struct target *t = c->t;
    CURL *e = st->easy;

    st->url = http_url(&t->url);
    if (st->url == NULL)
        return -1;
    if (!c->t->url.host_is_v6 && c->naddrs > 0 && strcmp(c->addrs[0].text, t->url.host) != 0) {
        st->resolve = http_resolve_list(c);
        if (st->resolve == NULL)
            return -1;
        curl_easy_setopt(e, CURLOPT_RESOLVE, st->resolve);
    }
    for (size_t i = 0; i < t->nheaders; i++) {
        char line[1024];
        struct curl_slist *l;

        snprintf(line, sizeof(line), "%s: %s", t->headers[i].name, t->headers[i].value);
        l = curl_slist_append(st->headers, line);
        if (l == NULL)
            return -1;
        st->headers = l;
    }
    curl_easy_setopt(e, CURLOPT_URL, st->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, st->errbuf);
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
    if (st->headers != NULL)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->headers);
    if (t->url.user != NULL) {
        curl_easy_setopt(e, CURLOPT_USERNAME, t->url.user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, t->url.pass ? t->url.pass : "");
    }
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, http_opensocket_cb);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, http_sockopt_cb);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, http_closesocket_cb);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    if (t->insecure) {
        /* Verification off: no CA file is named, so none is opened. */
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    } else if (t->cacert != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, t->cacert);
    }
    return 0;
}

/* Whether curl's socket got through TCP: the kernel knows its peer only once connected. */
static int
http_tcp_up(const struct http_state *st)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);

    return st->fd != CURL_SOCKET_BAD && getpeername(st->fd, (struct sockaddr *)&peer, &len) == 0;
}

/* One transfer to the current address; a new easy handle per address. */
static int
http_attempt(struct check *c)
{
    struct http_multi *m = *run_kind_state(c->run, &kind_http);
    struct http_state *st = c->priv;

    st->fd = CURL_SOCKET_BAD;
    st->easy = curl_easy_init();
    if (st->easy == NULL || http_setup(c, st) < 0) {
        check_fail(c, REASON_RESOURCE, "cannot set up the HTTP request");
        return -1;
    }
    if (curl_multi_add_handle(m->multi, st->easy) != CURLM_OK) {
        check_fail(c, REASON_RESOURCE, "cannot start the HTTP request");
        return -1;
    }
    st->in_multi = 1;
    check_attempt_arm(c);
    return 0;
}

/* Frees one attempt's handle and lists, keeping the state for the next attempt. */
static void
http_attempt_free(struct check *c)
{
    struct http_state *st = c->priv;

    http_detach(c);
    if (st->easy != NULL)
        curl_easy_cleanup(st->easy);
    st->easy = NULL;
    curl_slist_free_all(st->headers);
    st->headers = NULL;
    curl_slist_free_all(st->resolve);
    st->resolve = NULL;
    free(st->url);
    st->url = NULL;
}

static int
http_start(struct check *c)
{
    struct http_multi *m = http_multi_get(c->run);
    struct http_state *st = c->priv;

    buf_init(&st->body);
    if (m == NULL) {
        check_fail(c, REASON_RESOURCE, "cannot initialise libcurl");
        return -1;
    }
    return http_attempt(c);
}

/* The share of the deadline ran out: if TCP never came up, try the next address. */
static void
http_attempt_timeout(struct check *c)
{
    struct http_state *st = c->priv;

    if (http_tcp_up(st))
        return; /* connected: this address keeps the rest of the deadline */
    http_attempt_free(c);
    c->addr_idx++;
    http_attempt(c);
}

/*
 * Tells which phase a stuck transfer was in. curl records its connect time only once the whole
 * connection (TLS included) is up, so the socket itself is asked whether TCP got through. A
 * failing status whose body never finished is reported as that status, not as a timeout.
 */
static void
http_sync_phase(struct check *c)
{
    struct http_state *st = c->priv;
    curl_off_t app = 0;

    if (st->easy == NULL)
        return;
    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &st->status);
    if (st->status != 0 && !status_set_has(&c->t->expect_status, st->status)) {
        http_fail_status(c);
        return;
    }
    if (c->phase == PHASE_RESPONSE)
        return;
    curl_easy_getinfo(st->easy, CURLINFO_APPCONNECT_TIME_T, &app);
    if (!http_tcp_up(st))
        check_phase(c, PHASE_CONNECT);
    else if (c->t->url.scheme->tls && app == 0)
        check_phase(c, PHASE_TLS);
    else
        check_phase(c, PHASE_RESPONSE);
}

static void
http_abort(struct check *c)
{
    http_detach(c);
}

static void
http_cleanup(struct check *c)
{
    struct http_state *st = c->priv;

    if (st == NULL)
        return;
    http_attempt_free(c);
    buf_free(&st->body);
}

/* Plain HTTP still initialises OpenSSL through libcurl; https verifies with it. */
static enum kind_crypto
http_crypto(const struct target *t)
{
    return t->url.scheme->tls ? CRYPTO_TLS : CRYPTO_PLAIN;
}

static void
http_version(struct buf *out)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    buf_addf(out, "libcurl %s (%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
}

/* Header values that commonly carry credentials are not printed. */
static int
http_header_is_secret(const char *name)
{
    static const char *const words[] = {"auth", "cookie", "token", "key", "secret", "pass"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasestr(name, words[i]) != NULL)
            return 1;
    }
    return 0;
}

/* `probe validate`: the HTTP settings of a check, as YAML (values as JSON strings). */
static void
http_describe(const struct target *t, struct buf *out)
{
    char set[128];

    status_set_format(&t->expect_status, set, sizeof(set));
    buf_addf(out, "    expect_status: %s\n", set);
    if (t->expect_body != NULL) {
        buf_adds(out, "    expect_body: ");
        json_add_cstr(out, t->expect_body);
        buf_adds(out, "\n");
    }
    for (size_t h = 0; h < t->nheaders; h++) {
        char line[1024];

        snprintf(line, sizeof(line), "%s: %s", t->headers[h].name,
                 http_header_is_secret(t->headers[h].name) ? "***" : t->headers[h].value);
        buf_adds(out, "    header: ");
        json_add_cstr(out, line);
        buf_adds(out, "\n");
    }
    tls_describe(t, out);
}

static const struct kind_scheme http_schemes[] = {
    {"http", 80, 0},
    {"https", 443, 1},
    {NULL, 0, 0},
};

const struct kind kind_http = {
    .name = "http",
    .component_type = "http",
    .usage = "http(s)://[user:pass@]host[:port]/path",
    .schemes = http_schemes,
    .userinfo = USERINFO_USER,
    .path = PATH_RAW,
    .crypto = http_crypto,
    .version = http_version,
    .describe = http_describe,
    .state_size = sizeof(struct http_state),
    .start = http_start,
    .abort = http_abort,
    .cleanup = http_cleanup,
    .sync_phase = http_sync_phase,
    .attempt_timeout = http_attempt_timeout,
    .run_free = http_run_free,
};
