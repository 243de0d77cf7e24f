/*
 * mysql:// — MariaDB Connector/C's non-blocking API, driven by the wait mask it returns.
 * Connect and authenticate (and select the database), then COM_PING or the given query, whose
 * first row is read. The library is handed one numeric address at a time, so it never
 * resolves a name itself; the next address is tried when a connection cannot be made. A
 * connection that got through the handshake is closed with COM_QUIT, so the server never
 * counts the probe against max_connect_errors.
 *
 * TLS: the library verifies the chain (it is always given a CA, so a bad chain ends the
 * handshake) but is never asked for its own name check, which would compare the certificate
 * with the numeric address it was handed. verify-identity checks the certificate of this
 * connection against the URL's host name here, as soon as the handshake is over and before
 * the check can pass (mysql_tls_verify).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "check.h"

/* The connection's TLS session (net.pvio->ctls->ssl) is declared by ma_pvio.h and ma_tls.h,
 * which Connector/C installs with its API (Debian's libmariadb-dev, and
 * scripts/static/build-mariadb.sh): with HAVE_TLS they describe MARIADB_TLS, which they need
 * uchar for, and ma_tls.h has one old-style declaration. */
typedef unsigned char uchar;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#define HAVE_TLS 1
#include <ma_pvio.h>
#undef HAVE_TLS
#pragma GCC diagnostic pop

enum mysql_step { STEP_IDLE, STEP_CONNECT, STEP_PING, STEP_QUERY, STEP_STORE };

struct mysql_state {
    MYSQL *mysql;
    MYSQL_RES *res;
    enum mysql_step step;
    int connected;
    int tls_checked;     /* mysql_tls_verify() ran for this connection */
    int io_wait_expired; /* mysql_io_wait() gave up at the deadline */
    ev_io io;
    ev_timer wait_timer;
    char last_err[CHECK_MSG_LEN];
    enum check_reason last_reason;
};

/* ?ssl-mode= values, in the order of mysql_ssl_modes[]. */
enum mysql_ssl_mode {
    SSL_MODE_DEFAULT,
    SSL_MODE_DISABLED,
    SSL_MODE_PREFERRED,
    SSL_MODE_REQUIRED,
    SSL_MODE_VERIFY_CA,
    SSL_MODE_VERIFY_IDENTITY
};
static const char *const mysql_ssl_modes[] = {"disabled",  "preferred",       "required",
                                              "verify-ca", "verify-identity", NULL};

static void mysql_step_cb(struct check *c, int ready);
static int mysql_connect_next(struct check *c);

/*
 * The reason for a MySQL error number: the server's own codes (1xxx) are a refusal of the
 * login or of the server's own doing; the client library's (2xxx) say how the connection
 * failed.
 */
static enum check_reason
mysql_reason(unsigned int no)
{
    switch (no) {
    case 1044: /* access denied to the database */
    case 1045: /* access denied (password) */
    case 1049: /* unknown database: the login names one that is not there */
    case 1130: /* host not allowed to connect */
    case 1251: /* client does not support the authentication protocol */
    case 1698: /* access denied (auth plugin) */
    case 2059: /* authentication plugin cannot be loaded */
    case 2061: /* authentication requires a secure connection */
        return REASON_AUTH;
    case 2001: /* cannot create a socket */
    case 2008: /* out of memory */
        return REASON_RESOURCE;
    case 2002: /* cannot connect (socket) */
    case 2003: /* cannot connect (TCP) */
    case 2006: /* server has gone away */
    case 2013: /* lost connection */
        return REASON_CONNECT;
    case 2005: /* unknown host */
        return REASON_DNS;
    case 2026: /* TLS error */
        return REASON_TLS;
    default:
        return no >= 2000 ? REASON_PROTOCOL : REASON_SERVER;
    }
}

/* Connector/C's one-time set-up reads /etc/services for the "mysql" port unless mysql_port is
 * already set (about a third of a MySQL check's instructions under callgrind). Every probe URL
 * carries its port, so the default is set first. The shared library keeps the variable private,
 * so the reference is weak: the static build gets the shortcut, the dynamic one reads the file. */
#pragma weak mysql_port

static void
mysql_skip_services_lookup(void)
{
    if (&mysql_port != NULL && mysql_port == 0)
        mysql_port = 3306;
}

/*
 * The OpenSSL session of this connection, or NULL when it has none (yet). Connector/C is built
 * with OpenSSL in both builds (Debian's libmariadb3 links libssl3; build-mariadb.sh says
 * WITH_SSL=OPENSSL); with another TLS library ctls->ssl would be something else, so that is
 * checked rather than assumed, and the caller then fails closed.
 */
static SSL *
mysql_tls_session(MYSQL *m)
{
    const char *lib = NULL;

    if (m->net.pvio == NULL || m->net.pvio->ctls == NULL || m->net.pvio->ctls->ssl == NULL)
        return NULL;
    if (mariadb_get_infov(m, MARIADB_TLS_LIBRARY, &lib) != 0 || lib == NULL ||
        strncmp(lib, "OpenSSL", 7) != 0)
        return NULL;
    return m->net.pvio->ctls->ssl;
}

/* The phase from the library's own view, while it connects: TLS while a handshake is under
 * way, the greeting and the login once TCP is up (the first wait to read). */
static void
mysql_track_phase(struct check *c, int status)
{
    struct mysql_state *st = c->priv;
    SSL *ssl;

    if (st->step != STEP_CONNECT || st->mysql == NULL)
        return;
    ssl = mysql_tls_session(st->mysql);
    if (ssl != NULL && !SSL_is_init_finished(ssl)) {
        check_phase(c, PHASE_TLS);
        return;
    }
    if ((status & MYSQL_WAIT_READ) || ssl != NULL) {
        /* TCP is up: this address is reachable, it keeps the rest of the deadline. */
        check_attempt_stop(c);
        check_phase(c, PHASE_AUTH);
    }
}

/* Whether the URL's host is an IP literal, which the certificate must then name as an IP SAN. */
static int
mysql_host_is_ip(const char *host)
{
    unsigned char a[16];

    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/*
 * verify-ca and verify-identity, for the session this MYSQL holds: the handshake is over, the
 * chain verified (the library aborts a handshake with a bad chain; the result is read again
 * here), and for verify-identity the peer certificate names the URL's host: a DNS SAN, or the
 * CN when there is none, wildcards as OpenSSL's X509_check_host allows them; an IP literal
 * must be an IP SAN. Anything that cannot be established is a failure (tls): 0, or -1 after
 * check_fail().
 */
static int
mysql_tls_verify(struct check *c, int mode)
{
    struct mysql_state *st = c->priv;
    const char *host = c->t->url.host[0] != '\0' ? c->t->url.host : "localhost";
    SSL *ssl = mysql_tls_session(st->mysql);
    X509 *cert;
    long res;
    int ok;

    st->tls_checked = 1;
    if (ssl == NULL || !SSL_is_init_finished(ssl) || SSL_get_app_data(ssl) != st->mysql) {
        check_fail(c, REASON_TLS, "tls: no verified TLS session to check the server certificate");
        return -1;
    }
    res = SSL_get_verify_result(ssl);
    if (res != X509_V_OK) {
        check_fail(c, REASON_TLS, "tls: %s", X509_verify_cert_error_string(res));
        return -1;
    }
    cert = SSL_get0_peer_certificate(ssl);
    if (cert == NULL) {
        check_fail(c, REASON_TLS, "tls: the server sent no certificate");
        return -1;
    }
    if (mode != SSL_MODE_VERIFY_IDENTITY)
        return 0;
    if (mysql_host_is_ip(host))
        ok = X509_check_ip_asc(cert, host, 0) == 1;
    else
        ok = X509_check_host(cert, host, strlen(host), 0, NULL) == 1;
    if (!ok) {
        check_fail(c, REASON_TLS, "tls: the server certificate does not name %s%s", host,
                   mysql_host_is_ip(host) ? " (an IP SAN)" : "");
        return -1;
    }
    return 0;
}

/* Runs mysql_tls_verify() once, as soon as the TLS handshake of a verifying mode is over (the
 * library then waits for the answer to the login), and before a connection counts as made. */
static int
mysql_tls_gate(struct check *c, int done)
{
    struct mysql_state *st = c->priv;
    int mode = url_opt_choice(&c->t->url, "ssl-mode");
    SSL *ssl;

    if (mode != SSL_MODE_VERIFY_CA && mode != SSL_MODE_VERIFY_IDENTITY)
        return 0;
    if (st->tls_checked)
        return 0;
    ssl = mysql_tls_session(st->mysql);
    if (!done && (ssl == NULL || !SSL_is_init_finished(ssl)))
        return 0;
    return mysql_tls_verify(c, mode);
}

/* Exported by Connector/C (ma_pvio.c, in libmariadb's symbol map) but declared in no installed
 * header: a function called after every read and write of every connection. */
int ma_pvio_register_callback(my_bool register_callback,
                              void (*callback_function)(int mode, MYSQL *mysql, const uchar *buffer,
                                                        size_t length));

/*
 * Connector/C's socket plugin keeps its socket blocking between operations (its non-blocking
 * API reads and writes with MSG_DONTWAIT), but OpenSSL reads and writes the descriptor itself:
 * on a blocking socket the TLS handshake and every TLS read would block the loop. So the
 * socket is made non-blocking as soon as the first packet (the greeting) has been read, before
 * the library can start TLS; the plugin's own idea of the mode is left alone, so it never
 * switches it back. OpenSSL then reports WANT_READ, which the library turns into a wait on the
 * loop (reads) or into mysql_io_wait() (the handshake).
 */
static void
mysql_pvio_cb(int mode, MYSQL *mysql, const uchar *buffer, size_t length)
{
    int fd, fl;

    (void)mode;
    (void)buffer;
    (void)length;
    if (mysql == NULL || mysql->net.pvio == NULL)
        return;
    fd = (int)mysql_get_socket(mysql);
    if (fd < 0)
        return;
    fl = fcntl(fd, F_GETFL);
    if (fl != -1 && !(fl & O_NONBLOCK))
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The check whose connection Connector/C is working on inside a _start/_cont call: one at a
 * time, the loop has one thread. */
static struct check *mysql_in_library;

/*
 * Connector/C 3.3 runs the TLS handshake with a blocking poll() even under its non-blocking API
 * (ma_tls_connect waits in the socket plugin's wait_io_or_timeout, with connect_timeout, which
 * is "forever" by default). MARIADB_OPT_IO_WAIT replaces that poll: here it waits at most until
 * the check's deadline and notes the phase, so a handshake that stalls ends at the deadline as
 * "timeout (tls)". The loop itself waits meanwhile: other checks go on once it returns.
 */
static int
mysql_io_wait(my_socket fd, my_bool is_read, int timeout_ms)
{
    struct check *c = mysql_in_library;
    struct pollfd p = {.fd = fd, .events = is_read ? POLLIN : POLLOUT};
    int ms = timeout_ms > 0 ? timeout_ms : -1, rc;

    if (c != NULL) {
        double left;

        check_phase(c, PHASE_TLS);
        ev_now_update(c->loop);
        left = ev_timer_remaining(c->loop, &c->deadline) * 1000.;
        if (left < 0)
            left = 0;
        if (ms < 0 || left < ms)
            ms = (int)left + 1;
    }
    do {
        rc = poll(&p, 1, ms);
    } while (rc == -1 && errno == EINTR);
    if (rc == 0) {
        errno = ETIMEDOUT;
        if (c != NULL)
            ((struct mysql_state *)c->priv)->io_wait_expired = 1;
    }
    return rc;
}

/* mysql_real_connect_start (host: the address to connect to) or, host NULL, _cont with the
 * wait mask that became ready; mysql_io_wait() knows the check meanwhile. */
static int
mysql_connect_call(struct check *c, MYSQL **ret, int ready, const char *host)
{
    struct mysql_state *st = c->priv;
    const struct url *u = &c->t->url;
    int status;

    mysql_in_library = c;
    if (host != NULL)
        status = mysql_real_connect_start(ret, st->mysql, u->socket != NULL ? NULL : host, u->user,
                                          u->pass, u->db, (unsigned int)u->port, u->socket, 0);
    else
        status = mysql_real_connect_cont(ret, st->mysql, ready);
    mysql_in_library = NULL;
    return status;
}

static void
mysql_watch_stop(struct check *c)
{
    struct mysql_state *st = c->priv;

    ev_io_stop(c->loop, &st->io);
    ev_timer_stop(c->loop, &st->wait_timer);
}

static void
mysql_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct check *c = w->data;
    int ready = 0;

    (void)loop;
    if (revents & EV_READ)
        ready |= MYSQL_WAIT_READ;
    if (revents & EV_WRITE)
        ready |= MYSQL_WAIT_WRITE;
    mysql_step_cb(c, ready);
}

static void
mysql_wait_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    mysql_step_cb(w->data, MYSQL_WAIT_TIMEOUT);
}

/* Waits for what the library asked for; re-reads the socket, which changes on reconnects. */
static void
mysql_wait(struct check *c, int status)
{
    struct mysql_state *st = c->priv;
    int events = 0;

    mysql_watch_stop(c);
    mysql_track_phase(c, status);
    if (status & MYSQL_WAIT_READ)
        events |= EV_READ;
    if (status & (MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT))
        events |= EV_WRITE;
    if (events != 0) {
        ev_io_set(&st->io, mysql_get_socket(st->mysql), events);
        ev_io_start(c->loop, &st->io);
    }
    if (status & MYSQL_WAIT_TIMEOUT) {
        ev_timer_set(&st->wait_timer, mysql_get_timeout_value_ms(st->mysql) / 1000., 0.);
        ev_timer_start(c->loop, &st->wait_timer);
    }
}

/* "NNNN message" and its reason; the client's own connect errors say what the socket said,
 * like curl. */
static enum check_reason
mysql_error_text(MYSQL *mysql, char *out, size_t outsz)
{
    unsigned int no = mysql_errno(mysql);
    const char *msg = mysql_error(mysql);
    const char *paren = strrchr(msg, '(');
    int sys = 0;

    if ((no == 2002 || no == 2003) && paren != NULL && sscanf(paren, "(%d", &sys) == 1 && sys > 0) {
        snprintf(out, outsz, "%u %s", no, check_errno_text(sys));
        return check_errno_reason(sys);
    }
    snprintf(out, outsz, "%u %s", no, msg);
    return mysql_reason(no);
}

static void
mysql_fail(struct check *c)
{
    struct mysql_state *st = c->priv;
    char text[CHECK_MSG_LEN];
    enum check_reason reason = mysql_error_text(st->mysql, text, sizeof(text));

    st->step = STEP_IDLE;
    check_fail(c, reason, "%s", text);
}

static void
mysql_run_query(struct check *c)
{
    struct mysql_state *st = c->priv;
    const char *query = url_opt(&c->t->url, "query");
    int err = 0, status;

    check_phase(c, PHASE_QUERY);
    if (query == NULL) {
        st->step = STEP_PING;
        status = mysql_ping_start(&err, st->mysql);
    } else {
        st->step = STEP_QUERY;
        status = mysql_real_query_start(&err, st->mysql, query, (unsigned long)strlen(query));
    }
    if (status != 0) {
        mysql_wait(c, status);
        return;
    }
    mysql_step_cb(c, -1);
}

static void
mysql_query_result(struct check *c)
{
    struct mysql_state *st = c->priv;
    MYSQL_ROW row;

    if (st->res == NULL) {
        if (mysql_errno(st->mysql) != 0) {
            mysql_fail(c);
            return;
        }
        st->step = STEP_IDLE;
        check_pass(c, "query ok");
        return;
    }
    row = mysql_fetch_row(st->res);
    st->step = STEP_IDLE;
    if (row == NULL) {
        check_fail(c, REASON_BODY, "query returned no rows");
        return;
    }
    check_pass(c, "query ok: %.60s", mysql_num_fields(st->res) > 0 && row[0] ? row[0] : "NULL");
}

/*
 * One step of the state machine. ready is the wait mask that became true, or -1 when the
 * previous call finished at once and its result is ready to be read.
 */
static void
mysql_step_cb(struct check *c, int ready)
{
    struct mysql_state *st = c->priv;
    MYSQL *ret = NULL;
    int err = 0, status = 0;

    mysql_watch_stop(c);
    if (c->status != CHECK_PENDING)
        return;
    switch (st->step) {
    case STEP_CONNECT:
        if (ready >= 0)
            status = mysql_connect_call(c, &ret, ready, NULL);
        else
            ret = st->connected ? st->mysql : NULL;
        if (status != 0) {
            if (mysql_tls_gate(c, 0) < 0)
                return;
            break;
        }
        if (ret == NULL) {
            unsigned int no = mysql_errno(st->mysql);

            if (st->io_wait_expired)
                return; /* the deadline is due: the scheduler reports the timeout (tls) */
            st->last_reason = mysql_error_text(st->mysql, st->last_err, sizeof(st->last_err));
            if ((no == 2002 || no == 2003) && c->addr_idx + 1 < c->naddrs) {
                c->addr_idx++;
                mysql_connect_next(c);
                return;
            }
            st->step = STEP_IDLE;
            check_fail(c, st->last_reason, "%s", st->last_err);
            return;
        }
        st->connected = 1;
        if (mysql_tls_gate(c, 1) < 0) {
            st->step = STEP_IDLE; /* logged in: the close says COM_QUIT */
            return;
        }
        mysql_run_query(c);
        return;
    case STEP_PING:
    case STEP_QUERY:
        if (ready >= 0 && st->step == STEP_PING)
            status = mysql_ping_cont(&err, st->mysql, ready);
        else if (ready >= 0)
            status = mysql_real_query_cont(&err, st->mysql, ready);
        else
            err = mysql_errno(st->mysql) != 0;
        if (status != 0)
            break;
        if (err != 0) {
            mysql_fail(c);
            return;
        }
        if (st->step == STEP_PING) {
            st->step = STEP_IDLE;
            check_pass(c, "ping ok");
            return;
        }
        st->step = STEP_STORE;
        check_phase(c, PHASE_RESPONSE);
        status = mysql_store_result_start(&st->res, st->mysql);
        if (status != 0)
            break;
        mysql_query_result(c);
        return;
    case STEP_STORE:
        status = mysql_store_result_cont(&st->res, st->mysql, ready);
        if (status != 0)
            break;
        mysql_query_result(c);
        return;
    case STEP_IDLE:
        return;
    }
    mysql_wait(c, status);
}

/*
 * The CA for a verifying mode without ssl-ca: OpenSSL's defaults, named explicitly. Connector/C
 * asks for chain verification during the handshake only when it is given a CA file or
 * directory; otherwise only its name check (MYSQL_OPT_SSL_VERIFY_SERVER_CERT, never used here)
 * would make it look at the chain. SSL_CERT_FILE / SSL_CERT_DIR win, as in OpenSSL.
 */
static void
mysql_default_ca(const char **file, const char **dir)
{
    *file = getenv(X509_get_default_cert_file_env());
    if (*file == NULL || **file == '\0')
        *file = X509_get_default_cert_file();
    *dir = getenv(X509_get_default_cert_dir_env());
    if (*dir == NULL || **dir == '\0')
        *dir = X509_get_default_cert_dir();
}

static int
mysql_set_options(struct check *c, MYSQL *m)
{
    const struct url *u = &c->t->url;
    my_bool on = 1;
    unsigned int proto = u->socket != NULL ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
    const char *ca = url_opt(u, "ssl-ca"), *ca_dir = NULL;

    if (mysql_options(m, MYSQL_OPT_NONBLOCK, 0) != 0 ||
        mysql_optionsv(m, MARIADB_OPT_IO_WAIT, mysql_io_wait) != 0)
        return -1;
    mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
    switch (url_opt_choice(u, "ssl-mode")) {
    case SSL_MODE_DEFAULT:
    case SSL_MODE_DISABLED:
    case SSL_MODE_PREFERRED:
        break;
    case SSL_MODE_VERIFY_CA:
    case SSL_MODE_VERIFY_IDENTITY:
        /* The chain only; the name is mysql_tls_verify()'s. */
        if (ca == NULL)
            mysql_default_ca(&ca, &ca_dir);
        /* fall through */
    case SSL_MODE_REQUIRED:
        mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
        break;
    }
    if (ca != NULL)
        mysql_options(m, MYSQL_OPT_SSL_CA, ca);
    if (ca_dir != NULL)
        mysql_options(m, MYSQL_OPT_SSL_CAPATH, ca_dir);
    return 0;
}

static int
mysql_connect_next(struct check *c)
{
    struct mysql_state *st = c->priv;
    const char *host = c->naddrs > 0 ? c->addrs[c->addr_idx].text : "localhost";
    MYSQL *ret = NULL;
    int status;

    if (st->mysql != NULL)
        mysql_close(st->mysql); /* never connected: nothing is sent */
    st->connected = 0;
    st->tls_checked = 0;
    st->io_wait_expired = 0;
    mysql_skip_services_lookup();
    st->mysql = mysql_init(NULL);
    if (st->mysql == NULL || mysql_set_options(c, st->mysql) < 0) {
        check_fail(c, REASON_RESOURCE, "cannot initialise the MySQL client");
        return -1;
    }
    check_phase(c, PHASE_CONNECT);
    st->step = STEP_CONNECT;
    status = mysql_connect_call(c, &ret, 0, host);
    if (status != 0) {
        mysql_wait(c, status);
        if (c->phase == PHASE_CONNECT)
            check_attempt_arm(c);
        return 0;
    }
    st->connected = ret != NULL;
    mysql_step_cb(c, -1);
    return 0;
}

static int
mysql_start(struct check *c)
{
    struct mysql_state *st = c->priv;
    static int pvio_cb_registered;

    if (!pvio_cb_registered && ma_pvio_register_callback(1, mysql_pvio_cb) == 0)
        pvio_cb_registered = 1;

    ev_init(&st->io, mysql_io_cb);
    st->io.data = c;
    ev_timer_init(&st->wait_timer, mysql_wait_timer_cb, 0., 0.);
    st->wait_timer.data = c;
    return mysql_connect_next(c);
}

/*
 * Called outside the library's own code. An idle connection gets a clean COM_QUIT; one that is
 * stuck mid-operation has its socket shut down first, so the close cannot block.
 */
static void
mysql_abort(struct check *c)
{
    struct mysql_state *st = c->priv;

    if (st == NULL)
        return;
    mysql_watch_stop(c);
    if (st->res != NULL) {
        mysql_free_result(st->res);
        st->res = NULL;
    }
    if (st->mysql != NULL) {
        if (st->step != STEP_IDLE && mysql_get_socket(st->mysql) >= 0)
            shutdown(mysql_get_socket(st->mysql), SHUT_RDWR);
        mysql_close(st->mysql);
        st->mysql = NULL;
    }
}

/* This address had its share of the deadline without a TCP connection: try the next. */
static void
mysql_attempt_timeout(struct check *c)
{
    struct mysql_state *st = c->priv;

    mysql_abort(c);
    snprintf(st->last_err, sizeof(st->last_err), "2003 connection timed out");
    c->addr_idx++;
    mysql_connect_next(c);
}

/* TLS when the URL asks for it; the password hashing needs OpenSSL's digests either way. */
static enum kind_crypto
mysql_crypto(const struct target *t)
{
    if (url_opt_choice(&t->url, "ssl-mode") >= SSL_MODE_REQUIRED || url_opt(&t->url, "ssl-ca"))
        return CRYPTO_TLS;
    return CRYPTO_PLAIN;
}

static void
mysql_version(struct buf *out)
{
    buf_addf(out, "libmariadb %s\n", mysql_get_client_info());
}

static const struct kind_scheme mysql_schemes[] = {{"mysql", 3306, 0}, {NULL, 0, 0}};

static const struct kind_option mysql_options_table[] = {
    {"query", NULL, KIND_OPT_SHOW | KIND_OPT_CONFIG},
    {"ssl-mode", mysql_ssl_modes, 0},
    {"ssl-ca", NULL, 0},
    {"socket", NULL, KIND_OPT_SOCKET},
    {NULL, NULL, 0},
};

const struct kind kind_mysql = {
    .name = "mysql",
    .component_type = "datastore",
    .usage = "mysql://[user[:pass]@]host[:port][/db][?query=SQL&ssl-mode=..&ssl-ca=..&socket=..]",
    .schemes = mysql_schemes,
    .userinfo = USERINFO_USER,
    .path = PATH_NAME,
    .options = mysql_options_table,
    .crypto = mysql_crypto,
    .version = mysql_version,
    .state_size = sizeof(struct mysql_state),
    .start = mysql_start,
    .abort = mysql_abort,
    .attempt_timeout = mysql_attempt_timeout,
};
