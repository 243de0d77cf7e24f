/*
 * redis:// and rediss:// — hiredis' async API on the loop through its libev adapter. The
 * conversation is data: AUTH (with an ACL user if given), SELECT, ROLE when a role is asked,
 * then PING, all pipelined in one write. The first error reply is the result, with the server's
 * own text; only +PONG passes. hiredis is handed a numeric address, so it never resolves a name.
 * rediss:// is the same conversation inside TLS (hiredis_ssl), verified against the URL's host
 * name (SNI too), not the address probe connected to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/hiredis_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/adapters/libev.h>

#include "buf.h"
#include "check.h"
#include "run.h"
#include "tls.h"

extern const struct kind kind_redis;

enum redis_cmd { CMD_AUTH, CMD_SELECT, CMD_ROLE, CMD_PING, CMD_COUNT };

struct redis_state;

/* What a reply callback needs to know: whose reply, to which command. */
struct redis_slot {
    struct redis_state *st;
    enum redis_cmd cmd;
};

struct redis_state {
    redisAsyncContext *ac; /* the live connection; NULL once hiredis or we freed it */
    struct check *c;       /* NULL while we free the context ourselves */
    SSL_CTX *ssl_ctx;      /* rediss: the check's TLS settings, for every address */
    SSL *ssl;              /* rediss: the live connection's, owned by hiredis (freed with ac) */
    /* rediss: a plain-text PING beside a handshake that gets no answer (redis_sniff_cb). */
    ev_timer sniff_timer;
    ev_io sniff_io;
    int sniffing; /* the second connection is open: sniff_io.fd */
    int replied;  /* a whole reply came on this connection */
    char last_err[CHECK_MSG_LEN];
    enum check_reason last_reason;
    struct redis_slot slots[CMD_COUNT];
};

/* ?role= values, in the order of redis_roles[]. */
enum redis_role { ROLE_ANY, ROLE_MASTER, ROLE_REPLICA };
static const char *const redis_roles[] = {"master", "replica", NULL};

static int redis_connect_next(struct check *c);
static void redis_sync_phase(struct check *c);

/* Credentials refused, by the command that failed or the error code the server sent. */
static enum check_reason
redis_error_reason(enum redis_cmd cmd, const char *s, size_t n)
{
    if (cmd == CMD_AUTH || (n >= 6 && memcmp(s, "NOAUTH", 6) == 0) ||
        (n >= 9 && memcmp(s, "WRONGPASS", 9) == 0))
        return REASON_AUTH;
    return REASON_SERVER;
}

/* hiredis' error class as a reason; its I/O errors carry only strerror's text. */
static enum check_reason
redis_ctx_reason(int err, const char *errstr)
{
    switch (err) {
    case REDIS_ERR_PROTOCOL:
        return REASON_PROTOCOL;
    case REDIS_ERR_OOM:
        return REASON_RESOURCE;
    case REDIS_ERR_IO:
        if (strstr(errstr, "Too many open files") != NULL ||
            strstr(errstr, "Cannot allocate memory") != NULL)
            return REASON_RESOURCE;
        return REASON_CONNECT;
    default:
        return REASON_CONNECT;
    }
}

/* The phase after the connection (and its TLS) is up. */
static enum check_phase
redis_phase_after_tls(const struct check *c)
{
    return c->t->url.pass != NULL ? PHASE_AUTH : PHASE_RESPONSE;
}

/* A reply came through TLS: the handshake is over. */
static void
redis_tls_done(struct check *c)
{
    if (c->phase == PHASE_TLS)
        check_phase(c, redis_phase_after_tls(c));
}

/* The verifier's verdict, else OpenSSL's own reason, for a handshake that failed; 1 when there
 * was one and the check failed with it. */
static int
redis_tls_verdict(struct check *c, SSL *ssl)
{
    unsigned long e = ERR_peek_last_error();
    long v = SSL_get_verify_result(ssl);

    if (!c->t->insecure && v != X509_V_OK) {
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            check_fail(c, REASON_TLS, "tls: %s: the certificate is not for %s",
                       X509_verify_cert_error_string(v), c->t->url.host);
        else
            check_fail(c, REASON_TLS, "tls: %s", X509_verify_cert_error_string(v));
        return 1;
    }
    if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_reason_error_string(e) != NULL) {
        check_fail(c, REASON_TLS, "tls: %s", ERR_reason_error_string(e));
        return 1;
    }
    return 0;
}

/*
 * A rediss connection that went away before its handshake finished is a TLS failure: hiredis
 * reports only errno's text for it. Returns 1 when it recorded the failure.
 */
static int
redis_tls_failed(struct check *c)
{
    struct redis_state *st = c->priv;

    if (st->ssl == NULL || SSL_is_init_finished(st->ssl))
        return 0;
    if (redis_tls_verdict(c, st->ssl))
        return 1;
    check_fail(c, REASON_TLS, "tls: handshake failed: %s",
               st->ac != NULL && st->ac->errstr[0] ? st->ac->errstr : "connection closed");
    return 1;
}

/*
 * hiredis' protocol error names the first byte it did not expect; 0x15 (alert) and 0x16
 * (handshake) start a TLS record: redis:// was pointed at a TLS port.
 */
static int
redis_tls_record(const char *errstr)
{
    return strstr(errstr, "\\x15") != NULL || strstr(errstr, "\\x16") != NULL;
}

/*
 * The connection went away: a rediss handshake that never finished, or a redis:// connection
 * that got a TLS record or was closed before any reply (what a TLS-only port does), is said
 * as such. Returns 1 when it recorded the failure.
 */
static int
redis_lost_to_tls(struct check *c, const redisAsyncContext *ac)
{
    struct redis_state *st = c->priv;

    if (redis_tls_failed(c))
        return 1;
    if (ac->err == REDIS_ERR_PROTOCOL && redis_tls_record(ac->errstr)) {
        check_fail(c, REASON_PROTOCOL, "%s: the server speaks TLS; use rediss://", ac->errstr);
        return 1;
    }
    /* ElastiCache and Redis' own tls-port close a plain connection on its first bytes. */
    if (!c->t->url.scheme->tls && !st->replied &&
        (ac->err == REDIS_ERR_IO || ac->err == REDIS_ERR_EOF) &&
        (ac->c.reader == NULL || ac->c.reader->len == 0)) {
        check_fail(c, redis_ctx_reason(ac->err, ac->errstr),
                   "connection closed before any reply: %s (a TLS-only port? then rediss://)",
                   ac->errstr);
        return 1;
    }
    return 0;
}

/* Judges one reply; a NULL reply means the connection went away (or is being freed). */
static void
redis_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;
    struct redis_slot *slot = privdata;
    struct redis_state *st = slot->st;
    struct check *c;

    /* Replies of a connection we gave up on (freed, or a failed address) are not ours. */
    if (st == NULL || st->c == NULL || ac != st->ac)
        return;
    c = st->c;
    if (c->status != CHECK_PENDING)
        return;
    if (reply == NULL) {
        if (redis_lost_to_tls(c, ac))
            return;
        check_fail(c, redis_ctx_reason(ac->err, ac->errstr), "connection closed: %s",
                   ac->errstr[0] ? ac->errstr : "eof");
        return;
    }
    st->replied = 1;
    redis_tls_done(c);
    if (reply->type == REDIS_REPLY_ERROR) {
        check_fail(c, redis_error_reason(slot->cmd, reply->str, reply->len), "%.*s",
                   (int)reply->len, reply->str);
        return;
    }
    switch (slot->cmd) {
    case CMD_AUTH:
        check_phase(c, PHASE_RESPONSE);
        return;
    case CMD_SELECT:
        return;
    case CMD_ROLE: {
        int want = url_opt_choice(&c->t->url, "role");
        const char *role;

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
            reply->element[0]->type != REDIS_REPLY_STRING) {
            check_fail(c, REASON_PROTOCOL, "unexpected reply to ROLE");
            return;
        }
        role = reply->element[0]->str;
        if (want == ROLE_MASTER && strcmp(role, "master") != 0) {
            check_fail(c, REASON_STATUS, "role is %s, not master", role);
            return;
        }
        if (want == ROLE_REPLICA) {
            if (strcmp(role, "slave") != 0) {
                check_fail(c, REASON_STATUS, "role is %s, not replica", role);
                return;
            }
            if (reply->elements < 4 || reply->element[3]->type != REDIS_REPLY_STRING ||
                strcmp(reply->element[3]->str, "connected") != 0) {
                check_fail(c, REASON_STATUS, "replica link to master is %s",
                           reply->elements >= 4 && reply->element[3]->str ? reply->element[3]->str
                                                                          : "down");
                return;
            }
        }
        return;
    }
    case CMD_PING:
        if ((reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) &&
            reply->len == 4 && memcmp(reply->str, "PONG", 4) == 0) {
            check_pass(c, "PONG");
            return;
        }
        check_fail(c, REASON_PROTOCOL, "unexpected reply to PING: %.*s",
                   reply->str != NULL ? (int)reply->len : 0, reply->str != NULL ? reply->str : "");
        return;
    case CMD_COUNT:
        break;
    }
}

static void
redis_send(struct redis_state *st, enum redis_cmd cmd, int argc, const char **argv)
{
    size_t lens[3];

    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    st->slots[cmd].st = st;
    st->slots[cmd].cmd = cmd;
    redisAsyncCommandArgv(st->ac, redis_reply_cb, &st->slots[cmd], argc, argv, lens);
}

static void
redis_converse(struct check *c)
{
    struct redis_state *st = c->priv;
    const struct url *u = &c->t->url;
    char db[16];

    if (u->pass != NULL) {
        const char *auth_user[] = {"AUTH", u->user ? u->user : "", u->pass};
        const char *auth[] = {"AUTH", u->pass};

        if (u->user != NULL && u->user[0] != '\0')
            redis_send(st, CMD_AUTH, 3, auth_user);
        else
            redis_send(st, CMD_AUTH, 2, auth);
    }
    if (u->db_index != 0) {
        const char *sel[] = {"SELECT", db};

        snprintf(db, sizeof(db), "%d", u->db_index);
        redis_send(st, CMD_SELECT, 2, sel);
    }
    if (url_opt_choice(u, "role") != ROLE_ANY) {
        const char *role[] = {"ROLE"};

        redis_send(st, CMD_ROLE, 1, role);
    }
    {
        const char *ping[] = {"PING"};

        redis_send(st, CMD_PING, 1, ping);
    }
}

/* hiredis says "Connection refused"; say it the way the other checks do. */
static void
redis_lower_errno_text(char *s)
{
    if (s[0] >= 'A' && s[0] <= 'Z' && strchr(s, ':') == NULL)
        s[0] = (char)(s[0] - 'A' + 'a');
}

/* How long a rediss handshake may go unanswered before a plain PING asks whether the port
 * speaks Redis without TLS. A TLS server answers a ClientHello within one round trip. */
#define REDIS_SNIFF_AFTER 0.2

static void
redis_sniff_stop(struct check *c)
{
    struct redis_state *st = c->priv;

    ev_timer_stop(c->loop, &st->sniff_timer);
    ev_io_stop(c->loop, &st->sniff_io);
    if (st->sniffing)
        close(st->sniff_io.fd);
    st->sniffing = 0;
}

/*
 * A plain Redis port never answers a ClientHello: it reads it as an inline command and waits
 * for a newline that its NUL bytes hide, so rediss:// to it would only end at the deadline. A
 * second, plain connection that says PING tells the two apart: a RESP reply ('+' or '-') is
 * plain Redis. Anything else (a TLS alert, a close, silence) leaves the handshake to its fate.
 */
static void
redis_sniff_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct check *c = w->data;
    struct redis_state *st = c->priv;
    char b = 0;

    (void)loop;
    if (revents & EV_WRITE) {
        ev_io_stop(c->loop, &st->sniff_io);
        if (send(w->fd, "PING\r\n", 6, MSG_NOSIGNAL) != 6) {
            redis_sniff_stop(c);
            return;
        }
        ev_io_set(&st->sniff_io, w->fd, EV_READ);
        ev_io_start(c->loop, &st->sniff_io);
        return;
    }
    if (recv(w->fd, &b, 1, 0) < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    redis_sniff_stop(c);
    if ((b == '+' || b == '-') && c->status == CHECK_PENDING && c->phase == PHASE_TLS)
        check_fail(c, REASON_PROTOCOL,
                   "no TLS handshake: the port speaks plain Redis (redis://, not rediss://)");
}

static void
redis_sniff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct check *c = w->data;
    struct redis_state *st = c->priv;
    const struct net_addr *a = &c->addrs[c->addr_idx];
    int fd;

    (void)loop;
    (void)revents;
    redis_sync_phase(c); /* a handshake that finished without a reply yet is not stuck */
    if (c->status != CHECK_PENDING || c->phase != PHASE_TLS)
        return;
    fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0 && errno != EINPROGRESS) {
        close(fd);
        return;
    }
    ev_io_init(&st->sniff_io, redis_sniff_io_cb, fd, EV_WRITE);
    st->sniff_io.data = c;
    st->sniffing = 1;
    ev_io_start(c->loop, &st->sniff_io);
}

static void
redis_sniff_arm(struct check *c)
{
    struct redis_state *st = c->priv;

    ev_timer_init(&st->sniff_timer, redis_sniff_cb, REDIS_SNIFF_AFTER, 0.);
    st->sniff_timer.data = c;
    ev_timer_start(c->loop, &st->sniff_timer);
}

/* This address could not be connected to (err is hiredis' text): the next one, or the end. */
static int
redis_address_failed(struct check *c, int err, const char *errstr)
{
    struct redis_state *st = c->priv;

    snprintf(st->last_err, sizeof(st->last_err), "%s", errstr);
    st->last_reason = redis_ctx_reason(err, errstr);
    redis_lower_errno_text(st->last_err);
    if (c->status == CHECK_PENDING && c->addr_idx + 1 < c->naddrs) {
        c->addr_idx++;
        return redis_connect_next(c);
    }
    check_fail(c, st->last_reason, "%s", st->last_err);
    return -1;
}

static void
redis_connect_cb(const redisAsyncContext *ac, int status)
{
    struct redis_state *st = ac->data;
    struct check *c;

    if (st == NULL || st->c == NULL)
        return;
    c = st->c;
    if (status != REDIS_OK) {
        /* hiredis frees the context (and its SSL) after this callback returns. */
        st->ac = NULL;
        st->ssl = NULL;
        redis_address_failed(c, ac->err, ac->errstr);
        return;
    }
    check_attempt_stop(c);
    check_phase(c, st->ssl != NULL ? PHASE_TLS : redis_phase_after_tls(c));
    if (st->ssl != NULL)
        redis_sniff_arm(c);
}

static void
redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
    struct redis_state *st = ac->data;

    (void)status;
    if (st == NULL || ac != st->ac)
        return;
    if (st->c != NULL && st->c->status == CHECK_PENDING)
        redis_lost_to_tls(st->c, ac); /* needs the SSL, so before forgetting it */
    /* hiredis frees the context after this callback returns. */
    st->ac = NULL;
    st->ssl = NULL;
    if (st->c == NULL || st->c->status != CHECK_PENDING)
        return;
    if (ac->err == REDIS_ERR_PROTOCOL) /* not Redis on the other end, or a broken reply */
        check_fail(st->c, REASON_PROTOCOL, "%s", ac->errstr);
    else
        check_fail(st->c, redis_ctx_reason(ac->err, ac->errstr), "connection closed%s%s",
                   ac->errstr[0] ? ": " : "", ac->errstr);
}

/* The run's TLS contexts for rediss, one per distinct verification setting, so that ten
 * checks against the same CA bundle parse it once (a context is the costly part of a TLS
 * client: about half of a rediss check's instructions). */
#define REDIS_TLS_CTX_MAX 8

struct redis_tls_cache {
    struct {
        int insecure;
        char *cacert; /* NULL: the default bundle */
        SSL_CTX *ctx;
    } e[REDIS_TLS_CTX_MAX];
    int n;
};

static SSL_CTX *
redis_tls_cached(struct run *r, const struct target *t)
{
    struct redis_tls_cache *cache = *run_kind_state(r, &kind_redis);

    /* Without verification the CA does not matter; with it, the same file or both none. */
    const char *want = t->insecure ? NULL : t->cacert;

    for (int i = 0; cache != NULL && i < cache->n; i++) {
        const char *have = cache->e[i].cacert;

        if (cache->e[i].insecure == t->insecure &&
            (have == NULL ? want == NULL : want != NULL && strcmp(have, want) == 0))
            return cache->e[i].ctx;
    }
    return NULL;
}

/* Keeps ctx for the rest of the run (the cache holds its own reference); when the cache is
 * full or out of memory the check simply keeps its own. */
static void
redis_tls_remember(struct run *r, const struct target *t, SSL_CTX *ctx)
{
    void **slot = run_kind_state(r, &kind_redis);
    struct redis_tls_cache *cache = *slot;

    if (cache == NULL) {
        cache = calloc(1, sizeof(*cache));
        if (cache == NULL)
            return;
        *slot = cache;
    }
    if (cache->n >= REDIS_TLS_CTX_MAX || SSL_CTX_up_ref(ctx) != 1)
        return;
    cache->e[cache->n].insecure = t->insecure;
    cache->e[cache->n].cacert = t->cacert != NULL && !t->insecure ? strdup(t->cacert) : NULL;
    cache->e[cache->n].ctx = ctx;
    cache->n++;
}

static void
redis_run_free(struct run *r)
{
    void **slot = run_kind_state(r, &kind_redis);
    struct redis_tls_cache *cache = *slot;

    for (int i = 0; cache != NULL && i < cache->n; i++) {
        SSL_CTX_free(cache->e[i].ctx);
        free(cache->e[i].cacert);
    }
    free(cache);
    *slot = NULL;
}

/*
 * The check's TLS settings, for all its addresses: verification on unless --insecure (then no
 * CA file is read at all), against --cacert / SSL_CERT_FILE or OpenSSL's default bundle; one
 * context per setting per run.
 */
static int
redis_tls_context(struct check *c)
{
    struct redis_state *st = c->priv;
    const struct target *t = c->t;
    SSL_CTX *shared = redis_tls_cached(c->run, t);
    unsigned long e;

    if (shared != NULL && SSL_CTX_up_ref(shared) == 1) {
        st->ssl_ctx = shared;
        return 0;
    }
    ERR_clear_error();
    st->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (st->ssl_ctx == NULL) {
        check_fail(c, REASON_RESOURCE, "tls: cannot create a TLS context");
        return -1;
    }
    if (t->insecure) {
        SSL_CTX_set_verify(st->ssl_ctx, SSL_VERIFY_NONE, NULL);
        redis_tls_remember(c->run, t, st->ssl_ctx);
        return 0;
    }
    SSL_CTX_set_verify(st->ssl_ctx, SSL_VERIFY_PEER, NULL);
    if (t->cacert != NULL ? SSL_CTX_load_verify_locations(st->ssl_ctx, t->cacert, NULL) == 1
                          : SSL_CTX_set_default_verify_paths(st->ssl_ctx) == 1) {
        redis_tls_remember(c->run, t, st->ssl_ctx);
        return 0;
    }
    e = ERR_peek_last_error();
    check_fail(c, REASON_TLS, "tls: cannot load the CA bundle %s: %s",
               t->cacert != NULL ? t->cacert : "(system default)",
               e != 0 && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unreadable");
    return -1;
}

/* A TLS session for this connection: SNI and the name check use the URL's host (an IP address
 * in the URL is checked against the certificate's IP SANs and sent without SNI). */
static SSL *
redis_tls_session(struct check *c)
{
    struct redis_state *st = c->priv;
    char *host = c->t->url.host; /* not const: SSL_set_tlsext_host_name casts it to void * */
    unsigned char bin[16];
    SSL *ssl = SSL_new(st->ssl_ctx);

    if (ssl == NULL)
        return NULL;
    if (inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1)
            return ssl;
    } else if (SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1) {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        return ssl;
    }
    SSL_free(ssl);
    return NULL;
}

/*
 * Starts TLS on a connection hiredis is still making; the handshake runs on the loop, though on
 * loopback it may finish (or fail) right here. 0: under way; -1: the check failed; 1: the
 * connection itself failed, with hiredis' error in the context, as a failed connect.
 */
static int
redis_tls_start(struct check *c, redisAsyncContext *ac)
{
    struct redis_state *st = c->priv;
    SSL *ssl = redis_tls_session(c);
    int rc;

    if (ssl == NULL) {
        check_fail(c, REASON_RESOURCE, "tls: cannot create a TLS session");
        return -1;
    }
    ERR_clear_error();
    if (redisInitiateSSL(&ac->c, ssl) == REDIS_OK) {
        st->ssl = ssl; /* hiredis owns it now */
        return 0;
    }
    rc = redis_tls_verdict(c, ssl) ? -1 : 1;
    SSL_free(ssl);
    return rc;
}

static int
redis_connect_next(struct check *c)
{
    struct redis_state *st = c->priv;
    const struct net_addr *a = &c->addrs[c->addr_idx];
    redisAsyncContext *ac;
    redisOptions opt = {0};

    check_phase(c, PHASE_CONNECT);
    st->replied = 0;
    REDIS_OPTIONS_SET_TCP(&opt, a->text, c->t->url.port);
    ac = redisAsyncConnectWithOptions(&opt);
    if (ac == NULL) {
        check_fail(c, REASON_RESOURCE, "out of memory");
        return -1;
    }
    if (ac->c.err == 0 && c->t->url.scheme->tls && redis_tls_start(c, ac) < 0) {
        redisAsyncFree(ac);
        return -1;
    }
    if (ac->c.err) {
        const char *prefix = "SSL_connect failed: ";
        char errstr[sizeof(ac->c.errstr)];
        int err = ac->c.err;

        snprintf(errstr, sizeof(errstr), "%s",
                 ac->c.errstr +
                     (strncmp(ac->c.errstr, prefix, strlen(prefix)) == 0 ? strlen(prefix) : 0));
        redisAsyncFree(ac);
        return redis_address_failed(c, err, errstr);
    }
    ac->data = st;
    st->ac = ac;
    redisLibevAttach(c->loop, ac);
    redisAsyncSetConnectCallback(ac, redis_connect_cb);
    redisAsyncSetDisconnectCallback(ac, redis_disconnect_cb);
    /* Commands queue until the connection is up; hiredis writes them once it is writable. */
    redis_converse(c);
    check_attempt_arm(c);
    return 0;
}

static int
redis_start(struct check *c)
{
    struct redis_state *st = c->priv;

    st->c = c;
    ev_init(&st->sniff_timer, redis_sniff_cb);
    ev_init(&st->sniff_io, redis_sniff_io_cb);
    if (c->t->url.scheme->tls && redis_tls_context(c) < 0)
        return -1;
    return redis_connect_next(c);
}

/* Called from a loop callback of ours, never from inside hiredis, so freeing here is safe. */
static void
redis_abort(struct check *c)
{
    struct redis_state *st = c->priv;
    redisAsyncContext *ac;

    if (st == NULL)
        return;
    redis_sniff_stop(c);
    if (st->ac == NULL)
        return;
    ac = st->ac;
    st->ac = NULL;
    st->ssl = NULL; /* freed with the context */
    st->c = NULL;   /* the callbacks run by the free must not touch the check */
    ac->data = NULL;
    redisAsyncFree(ac);
    st->c = c;
}

static void
redis_cleanup(struct check *c)
{
    struct redis_state *st = c->priv;

    if (st != NULL && st->ssl_ctx != NULL) {
        SSL_CTX_free(st->ssl_ctx);
        st->ssl_ctx = NULL;
    }
}

/* A deadline that ran out after the handshake finished was not spent in it. */
static void
redis_sync_phase(struct check *c)
{
    struct redis_state *st = c->priv;

    if (st != NULL && st->ac != NULL && st->ssl != NULL && SSL_is_init_finished(st->ssl))
        redis_tls_done(c);
}

/* This address had its share of the deadline: drop its connection, try the next. */
static void
redis_attempt_timeout(struct check *c)
{
    struct redis_state *st = c->priv;

    redis_abort(c);
    snprintf(st->last_err, sizeof(st->last_err), "connection timed out");
    st->last_reason = REASON_CONNECT;
    c->addr_idx++;
    redis_connect_next(c);
}

/* rediss verifies with OpenSSL; redis never touches it. */
static enum kind_crypto
redis_crypto(const struct target *t)
{
    return t->url.scheme->tls ? CRYPTO_TLS : CRYPTO_NONE;
}

static void
redis_version(struct buf *out)
{
    buf_addf(out, "hiredis %d.%d.%d (TLS: hiredis_ssl)\n", HIREDIS_MAJOR, HIREDIS_MINOR,
             HIREDIS_PATCH);
}

/* `probe validate`: how a rediss check verifies its peer. */
static void
redis_describe(const struct target *t, struct buf *out)
{
    if (t->url.scheme->tls)
        tls_describe(t, out);
}

static const struct kind_scheme redis_schemes[] = {
    {"redis", 6379, 0},
    {"rediss", 6379, 1},
    {NULL, 0, 0},
};

static const struct kind_option redis_options[] = {
    {"role", redis_roles, 0},
    {NULL, NULL, 0},
};

const struct kind kind_redis = {
    .name = "redis",
    .component_type = "datastore",
    .usage = "redis(s)://[[user]:pass@]host[:port][/db][?role=master|replica]",
    .schemes = redis_schemes,
    .userinfo = USERINFO_PASSWORD,
    .path = PATH_NUMBER,
    .options = redis_options,
    .crypto = redis_crypto,
    .version = redis_version,
    .describe = redis_describe,
    .state_size = sizeof(struct redis_state),
    .start = redis_start,
    .abort = redis_abort,
    .cleanup = redis_cleanup,
    .run_free = redis_run_free,
    .sync_phase = redis_sync_phase,
    .attempt_timeout = redis_attempt_timeout,
};
