/*
 * postgres:// and postgresql:// — libpq's non-blocking API on the loop: PQconnectStartParams
 * and PQconnectPoll driven by socket readiness, then PQsendQuery and PQconsumeInput /
 * PQisBusy / PQgetResult. libpq is handed the numeric address probe resolved (hostaddr) and
 * the URL's name (host), so sslmode=verify-full checks the certificate against the name while
 * libpq never resolves anything. The URL is the whole truth: libpq's PG* environment
 * variables, service files, ~/.pgpass and ~/.postgresql/ are kept out of it. A session that
 * got through authentication ends with Terminate (PQfinish), so the server logs no error.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "check.h"

/* Where a path must name nothing: libpq then skips its default file quietly (stat fails). */
#define PG_NO_FILE "/dev/null/probe-none"

enum pg_step { STEP_IDLE, STEP_CONNECT, STEP_ROLE, STEP_QUERY };

struct pg_state {
    PGconn *conn;
    enum pg_step step;
    int flushing; /* output of the query not yet all written */
    ev_io io;
    /* The first row of the query and its first error, while its results come in. */
    int got_row;
    int got_result;
    char value[64];
    char err[CHECK_MSG_LEN];
    enum check_reason err_reason;
    char last_err[CHECK_MSG_LEN];
    enum check_reason last_reason;
};

/* ?sslmode= values, in the order of pg_ssl_modes[] (libpq's names and meaning). */
enum pg_ssl_mode {
    PG_SSL_DEFAULT,
    PG_SSL_DISABLE,
    PG_SSL_ALLOW,
    PG_SSL_PREFER,
    PG_SSL_REQUIRE,
    PG_SSL_VERIFY_CA,
    PG_SSL_VERIFY_FULL
};
static const char *const pg_ssl_modes[] = {"disable",   "allow",       "prefer", "require",
                                           "verify-ca", "verify-full", NULL};

/* ?role= values, in the order of pg_roles[]. */
enum pg_role { PG_ROLE_ANY, PG_ROLE_PRIMARY, PG_ROLE_STANDBY };
static const char *const pg_roles[] = {"primary", "standby", NULL};

static void pg_step_cb(struct check *c);
static int pg_connect_next(struct check *c);

extern char **environ;

/*
 * libpq reads PGHOST, PGPASSWORD, PGSERVICE, PGSSLMODE, PGOPTIONS, PGTZ, PGTARGETSESSIONATTRS
 * ... whenever the connection options leave something open, and while it builds the startup
 * packet. A health check that passes only because of a variable the app happens to set (or
 * fails because of one) checks the wrong thing, so libpq runs with the environment minus
 * every PG* variable: the filtered copy is made once and swapped in around each libpq call
 * that reads options. probe's own ${PGPASSWORD} expansion has happened long before.
 */
static char **
pg_env_clean(void)
{
    static char **clean;
    size_t n = 0, o = 0;

    if (clean != NULL)
        return clean;
    while (environ != NULL && environ[n] != NULL)
        n++;
    clean = calloc(n + 1, sizeof(*clean));
    if (clean == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "PG", 2) != 0)
            clean[o++] = environ[i];
    }
    clean[o] = NULL;
    return clean;
}

static char **
pg_env_hide(void)
{
    char **saved = environ;
    char **clean = pg_env_clean();

    if (clean != NULL)
        environ = clean;
    return saved;
}

static void
pg_env_restore(char **saved)
{
    environ = saved;
}

/* The reason for a SQLSTATE: a refused login (28xxx, and 3D000, the database it names not
 * being there, as for MySQL's 1049), a protocol violation (08P01), else the server's own. */
static enum check_reason
pg_sqlstate_reason(const char *state)
{
    if (strncmp(state, "28", 2) == 0 || strcmp(state, "3D000") == 0)
        return REASON_AUTH;
    if (strcmp(state, "08P01") == 0)
        return REASON_PROTOCOL;
    return REASON_SERVER;
}

/* The next "SEVERITY:  XXXXX: " in msg, libpq's verbose form of a server error: fills state
 * with the SQLSTATE and returns where its message starts, or NULL. */
static const char *
pg_find_sqlstate(const char *msg, char state[6])
{
    for (const char *p = strstr(msg, ":  "); p != NULL; p = strstr(p + 1, ":  ")) {
        const char *s = p + 3;
        size_t k;

        for (k = 0; k < 5; k++) {
            if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'A' && s[k] <= 'Z')))
                break;
        }
        if (k == 5 && s[5] == ':' && s[6] == ' ') {
            memcpy(state, s, 5);
            state[5] = '\0';
            return s + 7;
        }
    }
    return NULL;
}

/* The errno texts libpq passes on from the socket, said the way the other kinds say them. */
static int
pg_errno_in(const char *line)
{
    static const int errs[] = {ECONNREFUSED, ECONNRESET, ENETUNREACH, EHOSTUNREACH,
                               ETIMEDOUT,    EMFILE,     ENFILE,      EADDRNOTAVAIL,
                               EPIPE,        ENOMEM,     ENOBUFS,     EAFNOSUPPORT};

    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        if (strstr(line, strerror(errs[i])) != NULL)
            return errs[i];
    }
    return 0;
}

/* The reason for an error libpq raised itself (no SQLSTATE), by what it says. */
static enum check_reason
pg_client_reason(const char *line)
{
    static const char *const protocol[] = {
        "invalid", "expected authentication request", "unexpected message", "protocol", "received",
        NULL};
    static const char *const tls[] = {"SSL", "certificate", "does not match host name", NULL};

    for (int i = 0; protocol[i] != NULL; i++) {
        if (strstr(line, protocol[i]) != NULL)
            return REASON_PROTOCOL;
    }
    for (int i = 0; tls[i] != NULL; i++) {
        if (strstr(line, tls[i]) != NULL)
            return REASON_TLS;
    }
    if (strstr(line, "password") != NULL || strstr(line, "auth") != NULL)
        return REASON_AUTH;
    return REASON_CONNECT;
}

/*
 * A connection error as one short line and its reason. A server error is "SQLSTATE message",
 * the last one libpq collected (a fallback attempt, prefer's second try, comes after the
 * first); a client one is libpq's own last line without its "connection to server at ...
 * failed:" preamble and hints.
 */
static enum check_reason
pg_conn_error(PGconn *conn, char *out, size_t outsz)
{
    const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
    const char *text = NULL, *p, *start = msg;
    char state[6] = "", found[6], line[CHECK_MSG_LEN];
    size_t n;
    int e;

    for (const char *s = msg; (p = pg_find_sqlstate(s, found)) != NULL; s = p) {
        text = p;
        memcpy(state, found, sizeof(state));
    }
    if (text != NULL) {
        snprintf(out, outsz, "%s %.*s", state, (int)strcspn(text, "\n"), text);
        return pg_sqlstate_reason(state);
    }
    /* The last "connection to server ... failed: " attempt says what went wrong last. */
    for (p = strstr(msg, " failed: "); p != NULL; p = strstr(p + 1, " failed: "))
        start = p + 9;
    n = strcspn(start, "\n");
    while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '.'))
        n--;
    snprintf(line, sizeof(line), "%.*s", (int)n, start);
    if (line[0] == '\0')
        snprintf(line, sizeof(line), "connection failed");
    e = pg_errno_in(line);
    if (e != 0) {
        snprintf(out, outsz, "%s", check_errno_text(e));
        return check_errno_reason(e);
    }
    if (strstr(line, "closed the connection unexpectedly") != NULL) {
        snprintf(out, outsz, "connection closed by the server");
        return REASON_CONNECT;
    }
    snprintf(out, outsz, "%s", line);
    return pg_client_reason(line);
}

static void
pg_watch_stop(struct check *c)
{
    struct pg_state *st = c->priv;

    ev_io_stop(c->loop, &st->io);
}

/* Waits on libpq's socket, re-read every time: a fallback attempt (sslmode=allow/prefer)
 * opens a new one. */
static void
pg_watch(struct check *c, int events)
{
    struct pg_state *st = c->priv;
    int fd = PQsocket(st->conn);

    pg_watch_stop(c);
    if (fd < 0) {
        check_fail(c, REASON_CONNECT, "connection lost");
        return;
    }
    ev_io_set(&st->io, fd, events);
    ev_io_start(c->loop, &st->io);
}

static void
pg_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    pg_step_cb(w->data);
}

/* Where libpq is in its handshake, as a phase: TCP, TLS negotiation, or the login. */
static void
pg_sync_phase(struct check *c)
{
    struct pg_state *st = c->priv;

    if (st->conn == NULL || st->step != STEP_CONNECT)
        return;
    switch (PQstatus(st->conn)) {
    case CONNECTION_STARTED:
    case CONNECTION_NEEDED:
        check_phase(c, PHASE_CONNECT);
        break;
    case CONNECTION_SSL_STARTUP:
        check_phase(c, PHASE_TLS);
        break;
    default:
        check_phase(c, PHASE_AUTH);
        break;
    }
}

/* Sends the next query: pg_is_in_recovery() when a role is asked, then the check's own. */
static void
pg_send(struct check *c, enum pg_step step)
{
    struct pg_state *st = c->priv;
    const char *query = url_opt(&c->t->url, "query");
    int rc;

    if (step == STEP_ROLE)
        query = "SELECT pg_is_in_recovery()";
    else if (query == NULL)
        query = "SELECT 1";
    st->step = step;
    st->got_row = 0;
    st->got_result = 0;
    st->value[0] = '\0';
    st->err[0] = '\0';
    check_phase(c, PHASE_QUERY);
    if (!PQsendQuery(st->conn, query)) {
        st->step = STEP_IDLE;
        st->last_reason = pg_conn_error(st->conn, st->last_err, sizeof(st->last_err));
        check_fail(c, st->last_reason, "%s", st->last_err);
        return;
    }
    rc = PQflush(st->conn);
    st->flushing = rc == 1;
    if (rc < 0) {
        st->step = STEP_IDLE;
        st->last_reason = pg_conn_error(st->conn, st->last_err, sizeof(st->last_err));
        check_fail(c, st->last_reason, "%s", st->last_err);
        return;
    }
    pg_watch(c, st->flushing ? EV_READ | EV_WRITE : EV_READ);
}

/* Takes in one result of the query: its first row, or its error. */
static void
pg_take_result(struct pg_state *st, PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);

    if (s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE || s == PGRES_NONFATAL_ERROR) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

        if (st->err[0] != '\0')
            return;
        if (state != NULL && msg != NULL) {
            snprintf(st->err, sizeof(st->err), "%s %s", state, msg);
            st->err_reason = pg_sqlstate_reason(state);
        } else {
            snprintf(st->err, sizeof(st->err), "%.*s",
                     (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
            st->err_reason = REASON_PROTOCOL;
        }
        return;
    }
    st->got_result = 1;
    if (s == PGRES_TUPLES_OK && PQntuples(res) > 0 && !st->got_row) {
        st->got_row = 1;
        snprintf(st->value, sizeof(st->value), "%s",
                 PQnfields(res) > 0 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "NULL");
    }
}

/* Every result of one query is in: judge it, then send the next or report. */
static void
pg_query_done(struct check *c)
{
    struct pg_state *st = c->priv;
    enum pg_step step = st->step;

    st->step = STEP_IDLE;
    if (st->err[0] != '\0') {
        check_fail(c, st->err_reason, "%s", st->err);
        return;
    }
    if (step == STEP_ROLE) {
        int want = url_opt_choice(&c->t->url, "role");
        int standby = st->got_row && strcmp(st->value, "t") == 0;

        if (!st->got_row) {
            check_fail(c, REASON_PROTOCOL, "no answer to pg_is_in_recovery()");
            return;
        }
        if (want == PG_ROLE_PRIMARY && standby) {
            check_fail(c, REASON_STATUS, "in recovery (standby), not primary");
            return;
        }
        if (want == PG_ROLE_STANDBY && !standby) {
            check_fail(c, REASON_STATUS, "not in recovery (primary), not standby");
            return;
        }
        pg_send(c, STEP_QUERY);
        return;
    }
    if (!st->got_row) {
        check_fail(c, REASON_BODY, "query returned no rows");
        return;
    }
    check_pass(c, "query ok: %.60s", st->value);
}

/* The query is in flight: write what is left, read what came, take every complete result. */
static void
pg_query_step(struct check *c)
{
    struct pg_state *st = c->priv;
    PGresult *res;

    if (st->flushing) {
        int rc = PQflush(st->conn);

        if (rc < 0)
            goto lost;
        st->flushing = rc == 1;
    }
    if (!PQconsumeInput(st->conn))
        goto lost;
    while (!PQisBusy(st->conn)) {
        res = PQgetResult(st->conn);
        if (res == NULL) {
            pg_query_done(c);
            return;
        }
        pg_take_result(st, res);
        PQclear(res);
    }
    pg_watch(c, st->flushing ? EV_READ | EV_WRITE : EV_READ);
    return;
lost:
    st->step = STEP_IDLE;
    st->last_reason = pg_conn_error(st->conn, st->last_err, sizeof(st->last_err));
    check_fail(c, st->last_reason, "%s", st->last_err);
}

/* One turn of PQconnectPoll. A failure before TCP was up moves on to the next address. */
static void
pg_connect_step(struct check *c)
{
    struct pg_state *st = c->priv;
    int tcp_pending = PQstatus(st->conn) == CONNECTION_STARTED;
    PostgresPollingStatusType ps;
    char **env = pg_env_hide();

    ps = PQconnectPoll(st->conn);
    pg_env_restore(env);
    if (PQstatus(st->conn) != CONNECTION_STARTED && PQstatus(st->conn) != CONNECTION_BAD) {
        /* TCP is up: this address is reachable, it keeps the rest of the deadline. */
        check_attempt_stop(c);
    }
    pg_sync_phase(c);
    switch (ps) {
    case PGRES_POLLING_READING:
        pg_watch(c, EV_READ);
        return;
    case PGRES_POLLING_WRITING:
        pg_watch(c, EV_WRITE);
        return;
    case PGRES_POLLING_OK:
        PQsetnonblocking(st->conn, 1);
        pg_send(c, url_opt_choice(&c->t->url, "role") != PG_ROLE_ANY ? STEP_ROLE : STEP_QUERY);
        return;
    default:
        break;
    }
    st->step = STEP_IDLE;
    st->last_reason = pg_conn_error(st->conn, st->last_err, sizeof(st->last_err));
    if (tcp_pending && st->last_reason == REASON_CONNECT && c->addr_idx + 1 < c->naddrs) {
        c->addr_idx++;
        pg_connect_next(c);
        return;
    }
    check_fail(c, st->last_reason, "%s", st->last_err);
}

static void
pg_step_cb(struct check *c)
{
    struct pg_state *st = c->priv;

    pg_watch_stop(c);
    if (c->status != CHECK_PENDING)
        return;
    if (st->step == STEP_CONNECT)
        pg_connect_step(c);
    else if (st->step == STEP_ROLE || st->step == STEP_QUERY)
        pg_query_step(c);
}

/* The CA for verify-ca/verify-full: sslrootcert=, else --cacert / cacert:, else the system
 * bundle (libpq's own default, ~/.postgresql/root.crt, is not looked at). Without
 * verification a root certificate is not read at all. */
static const char *
pg_root_cert(const struct target *t, int mode)
{
    const char *opt = url_opt(&t->url, "sslrootcert");

    if (opt != NULL)
        return opt;
    if (mode < PG_SSL_VERIFY_CA)
        return PG_NO_FILE;
    if (t->cacert != NULL)
        return t->cacert;
    return X509_get_default_cert_file();
}

/* Fills the keyword/value lists for one attempt; returns how many pairs. */
static int
pg_params(struct check *c, const char **kw, const char **val, char *port, size_t portsz)
{
    const struct url *u = &c->t->url;
    int mode = url_opt_choice(u, "sslmode");
    int n = 0;

    snprintf(port, portsz, "%d", u->port);
#define PG_SET(k, v)                                                                               \
    do {                                                                                           \
        kw[n] = (k);                                                                               \
        val[n] = (v);                                                                              \
        n++;                                                                                       \
    } while (0)
    if (u->socket != NULL) {
        PG_SET("host", u->socket);
    } else {
        PG_SET("host", u->host);
        PG_SET("hostaddr", c->addrs[c->addr_idx].text);
    }
    PG_SET("port", port);
    if (u->db != NULL)
        PG_SET("dbname", u->db);
    if (u->user != NULL)
        PG_SET("user", u->user);
    if (u->pass != NULL)
        PG_SET("password", u->pass);
    PG_SET("passfile", PG_NO_FILE);
    PG_SET("sslmode", mode == PG_SSL_DEFAULT ? "prefer" : pg_ssl_modes[mode - 1]);
    PG_SET("sslrootcert", pg_root_cert(c->t, mode));
    PG_SET("sslcert", PG_NO_FILE);
    PG_SET("sslkey", PG_NO_FILE);
    PG_SET("sslcrl", PG_NO_FILE);
    PG_SET("gssencmode", "disable");
    PG_SET("target_session_attrs", "any");
    PG_SET("application_name", "probe");
#undef PG_SET
    kw[n] = NULL;
    val[n] = NULL;
    return n;
}

static int
pg_connect_next(struct check *c)
{
    struct pg_state *st = c->priv;
    const char *kw[24], *val[24];
    char port[16], **env;

    if (st->conn != NULL) {
        PQfinish(st->conn); /* never logged in: nothing is sent */
        st->conn = NULL;
    }
    pg_params(c, kw, val, port, sizeof(port));
    check_phase(c, PHASE_CONNECT);
    st->step = STEP_CONNECT;
    env = pg_env_hide();
    st->conn = PQconnectStartParams(kw, val, 0);
    pg_env_restore(env);
    if (st->conn == NULL) {
        st->step = STEP_IDLE;
        check_fail(c, REASON_RESOURCE, "out of memory");
        return -1;
    }
    /* Server errors then carry their SQLSTATE: "FATAL:  28P01: password ..." */
    PQsetErrorVerbosity(st->conn, PQERRORS_VERBOSE);
    if (PQstatus(st->conn) == CONNECTION_BAD) {
        st->step = STEP_IDLE;
        st->last_reason = pg_conn_error(st->conn, st->last_err, sizeof(st->last_err));
        if (st->last_reason == REASON_CONNECT && c->addr_idx + 1 < c->naddrs) {
            c->addr_idx++;
            return pg_connect_next(c);
        }
        check_fail(c, st->last_reason, "%s", st->last_err);
        return -1;
    }
    /* libpq's first step started the TCP connect: wait until the socket is writable. */
    pg_watch(c, EV_WRITE);
    check_attempt_arm(c);
    return 0;
}

static int
pg_start(struct check *c)
{
    struct pg_state *st = c->priv;

    ev_init(&st->io, pg_io_cb);
    st->io.data = c;
    return pg_connect_next(c);
}

/*
 * Called outside libpq. A logged-in session gets PQfinish's Terminate, which goes out at once
 * (the socket's send buffer holds at most our small query); a session whose query is still
 * being written, or one stuck in the handshake, has its socket shut down first, so PQfinish
 * (which flushes in blocking mode) cannot block the loop.
 */
static void
pg_abort(struct check *c)
{
    struct pg_state *st = c->priv;

    if (st == NULL)
        return;
    pg_watch_stop(c);
    if (st->conn != NULL) {
        int up = PQstatus(st->conn) == CONNECTION_OK;

        if ((!up || st->flushing) && PQsocket(st->conn) >= 0)
            shutdown(PQsocket(st->conn), SHUT_RDWR);
        PQfinish(st->conn);
        st->conn = NULL;
    }
    st->step = STEP_IDLE;
}

/* This address had its share of the deadline without a TCP connection: try the next. */
static void
pg_attempt_timeout(struct check *c)
{
    pg_abort(c);
    c->addr_idx++;
    pg_connect_next(c);
}

/* libpq's TLS is OpenSSL's: a TCP target that may negotiate TLS (every sslmode but disable)
 * needs all of it; SCRAM and md5 need only its digests. */
static enum kind_crypto
pg_crypto(const struct target *t)
{
    if (t->url.socket == NULL && url_opt_choice(&t->url, "sslmode") != PG_SSL_DISABLE)
        return CRYPTO_TLS;
    return CRYPTO_PLAIN;
}

static void
pg_version(struct buf *out)
{
    int v = PQlibVersion();

    buf_addf(out, "libpq %d.%d\n", v / 10000, v % 100);
}

static const struct kind_scheme pg_schemes[] = {
    {"postgres", 5432, 0}, {"postgresql", 5432, 0}, {NULL, 0, 0}};

static const struct kind_option pg_options[] = {
    {"query", NULL, KIND_OPT_SHOW | KIND_OPT_CONFIG},
    {"role", pg_roles, KIND_OPT_SHOW | KIND_OPT_CONFIG},
    {"sslmode", pg_ssl_modes, 0},
    {"sslrootcert", NULL, 0},
    {"socket", NULL, KIND_OPT_SOCKET},
    {NULL, NULL, 0},
};

const struct kind kind_postgres = {
    .name = "postgres",
    .component_type = "datastore",
    .usage = "postgres://[user[:pass]@]host[:port][/db][?query=SQL&role=primary|standby&"
             "sslmode=..&sslrootcert=..&socket=DIR]",
    .schemes = pg_schemes,
    .userinfo = USERINFO_USER,
    .path = PATH_NAME,
    .options = pg_options,
    .crypto = pg_crypto,
    .version = pg_version,
    .start = pg_start,
    .abort = pg_abort,
    .state_size = sizeof(struct pg_state),
    .sync_phase = pg_sync_phase,
    .attempt_timeout = pg_attempt_timeout,
};
