/* Starts the real servers once for the whole integration run and stops them at the end.
 *
 * The PRE_ALL hook runs in the runner process before any test worker exists; the environment
 * it sets is inherited by the workers, which is how tests learn the ports:
 *
 *   PT_HTTP_PORT          tests/helpers/httpd on 127.0.0.1
 *   PT_HTTP_SOCK          the same httpd on a unix socket
 *   PT_HTTPS_PORT         openssl s_server with a certificate signed by PT_HTTPS_CA
 *   PT_HTTPS_SELF_PORT    openssl s_server with a self-signed certificate
 *   PT_HTTPS_CA           the CA file; PT_TLS_SELF_CERT the self-signed certificate
 *   PT_REDIS_PORT         redis master (requirepass + ACL users, see harness.h)
 *   PT_REDIS_REPLICA_PORT a replica of it, link up
 *   PT_REDIS_ORPHAN_PORT  a replica of a closed port, link down
 *   PT_REDIS_TLS_PORT     the master's TLS port (certificate from PT_HTTPS_CA)
 *   PT_REDIS_EXPIRED_PORT, PT_REDIS_WRONG_PORT  TLS ports of two more masters, with an expired
 *                         certificate and one for DNS:other.example only
 *   PT_MYSQL_PORT, PT_MYSQL_SOCKET  mariadbd with database app and the users of harness.h
 *   PT_MYSQL_TLS=1|0      the server has TLS with PT_HTTPS_CA
 *   PT_ED25519=1|0        the ed25519 user exists
 *   PT_PG_PORT, PT_PG_SOCKET_DIR, PT_PG_LOG  postgres with database app, users of harness.h
 *   PT_PG_TLS_PORT, PT_PG_TLS_LOG  postgres taking TLS only (hostssl), cert for DNS names only
 *   PT_PG_STANDBY_PORT    a hot standby of PT_PG_PORT; PT_PG_COLD_PORT one with hot_standby
 *                         off, whose logins get 57P03
 *   PT_MEMCACHED_PORT     memcached on 127.0.0.1
 *   PT_GRPC_PORT          tests/helpers/grpc_health.py, h2c; PT_GRPCS_PORT the same over TLS
 *                         (certificate signed by PT_HTTPS_CA); both answer from PT_GRPC_CONTROL
 *                         (harness_grpc_set); PT_GRPC_NOHEALTH_PORT: no health service at all
 *   PT_TMPDIR             scratch space for files tests write; removed at the end
 *   PT_SETUP_ERRORS       why a server did not start, if one did not */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct harness_pki pki;
static struct harness_mysql mysql;
static struct harness_redis redis, redis_replica, redis_orphan, redis_expired, redis_wrong;
static struct harness_httpd httpd;
static struct harness_https https, https_self, https_mtls;
static struct harness_postgres pg, pg_tls, pg_standby, pg_cold;
static struct harness_memcached memcached;
static struct harness_grpc grpc, grpcs, grpcs_mtls, grpc_nohealth;
static char setup_errors[4096];

static void
export_int(const char *name, int value)
{
    char v[32];

    snprintf(v, sizeof(v), "%d", value);
    setenv(name, v, 1);
}

static void
setup_failed(const char *err)
{
    size_t n = strlen(setup_errors);

    snprintf(setup_errors + n, sizeof(setup_errors) - n, "%s%s", n ? "; " : "", err);
    fprintf(stderr, "harness: %s\n", err);
}

static void
start_http(void)
{
    char err[HARNESS_ERRLEN];

    if (harness_httpd_start(&httpd, getenv("PROBE_HELPERS"), err, sizeof(err)) == 0) {
        export_int("PT_HTTP_PORT", httpd.port);
        setenv("PT_HTTP_SOCK", httpd.sock, 1);
    } else
        setup_failed(err);
    if (pki.dir[0] == '\0')
        return;
    if (harness_https_start(&https, pki.cert, pki.key, err, sizeof(err)) == 0)
        export_int("PT_HTTPS_PORT", https.port);
    else
        setup_failed(err);
    if (harness_https_start(&https_self, pki.self_cert, pki.self_key, err, sizeof(err)) == 0)
        export_int("PT_HTTPS_SELF_PORT", https_self.port);
    else
        setup_failed(err);
    if (harness_https_mtls_start(&https_mtls, pki.cert, pki.key, pki.ca, err, sizeof(err)) == 0)
        export_int("PT_HTTPS_MTLS_PORT", https_mtls.port);
    else
        setup_failed(err);
}

/* A master with a TLS port whose certificate is cert (the server's key). */
static void
start_redis_tls(struct harness_redis *r, const char *cert, const char *env)
{
    char err[HARNESS_ERRLEN];

    r->tls_cert = cert;
    r->tls_key = pki.key;
    if (harness_redis_start(r, err, sizeof(err)) == 0)
        export_int(env, r->tls_port);
    else
        setup_failed(err);
}

static void
start_redis(void)
{
    char err[HARNESS_ERRLEN];

    if (pki.dir[0] != '\0') {
        redis.tls_cert = pki.cert;
        redis.tls_key = pki.key;
    }

    if (harness_redis_start(&redis, err, sizeof(err)) != 0) {
        setup_failed(err);
        return;
    }
    export_int("PT_REDIS_PORT", redis.port);
    if (redis.tls_cert != NULL)
        export_int("PT_REDIS_TLS_PORT", redis.tls_port);
    redis_replica.master_port = redis.port;
    if (harness_redis_start(&redis_replica, err, sizeof(err)) == 0)
        export_int("PT_REDIS_REPLICA_PORT", redis_replica.port);
    else
        setup_failed(err);
    redis_orphan.master_port = -harness_free_port();
    if (harness_redis_start(&redis_orphan, err, sizeof(err)) == 0)
        export_int("PT_REDIS_ORPHAN_PORT", redis_orphan.port);
    else
        setup_failed(err);
    if (pki.dir[0] == '\0')
        return;
    start_redis_tls(&redis_expired, pki.expired_cert, "PT_REDIS_EXPIRED_PORT");
    start_redis_tls(&redis_wrong, pki.wrong_cert, "PT_REDIS_WRONG_PORT");
}

static void
start_mysql(void)
{
    char err[HARNESS_ERRLEN];

    if (harness_mysql_start(&mysql, pki.dir[0] ? &pki : NULL, err, sizeof(err)) != 0) {
        setup_failed(err);
        return;
    }
    export_int("PT_MYSQL_PORT", mysql.port);
    setenv("PT_MYSQL_SOCKET", mysql.socket, 1);
    export_int("PT_MYSQL_TLS", mysql.tls);
    export_int("PT_ED25519", mysql.ed25519);
}

static int
start_pg_one(struct harness_postgres *p, const char *port_env, const char *log_env)
{
    char err[HARNESS_ERRLEN];

    if (harness_postgres_start(p, err, sizeof(err)) != 0) {
        setup_failed(err);
        return -1;
    }
    export_int(port_env, p->port);
    if (log_env != NULL)
        setenv(log_env, p->log, 1);
    return 0;
}

static void
start_postgres(void)
{
    if (start_pg_one(&pg, "PT_PG_PORT", "PT_PG_LOG") == 0) {
        setenv("PT_PG_SOCKET_DIR", pg.socket_dir, 1);
        pg_standby.primary = &pg;
        start_pg_one(&pg_standby, "PT_PG_STANDBY_PORT", NULL);
        pg_cold.primary = &pg;
        pg_cold.cold = 1;
        start_pg_one(&pg_cold, "PT_PG_COLD_PORT", NULL);
    }
    if (pki.dir[0] != '\0') {
        pg_tls.pki = &pki;
        start_pg_one(&pg_tls, "PT_PG_TLS_PORT", "PT_PG_TLS_LOG");
    }
}

static void
start_memcached(void)
{
    char err[HARNESS_ERRLEN];

    if (harness_memcached_start(&memcached, err, sizeof(err)) == 0)
        export_int("PT_MEMCACHED_PORT", memcached.port);
    else
        setup_failed(err);
}

/* The statuses the gRPC tests rely on; a test that switches one uses a service of its own. */
static void
start_grpc(void)
{
    static const char *const statuses[][2] = {
        {"", "SERVING"},
        {"app", "SERVING"},
        {"down", "NOT_SERVING"},
        {"unknown", "UNKNOWN"},
        {"unavailable", "14 backend down: 100% of replicas"},
        {"denied", "16 token expired"},
        {"missing", "5 unknown service missing"},
        {"secure", "AUTH Bearer tok-7f3a"},
    };
    const char *helpers = getenv("PROBE_HELPERS");
    char err[HARNESS_ERRLEN];

    if (harness_grpc_start(&grpc, helpers, NULL, err, sizeof(err)) != 0) {
        setup_failed(err);
        return;
    }
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (harness_grpc_set(grpc.control, statuses[i][0], statuses[i][1], err, sizeof(err)) != 0)
            setup_failed(err);
    }
    export_int("PT_GRPC_PORT", grpc.port);
    setenv("PT_GRPC_CONTROL", grpc.control, 1);
    snprintf(grpcs.control, sizeof(grpcs.control), "%s", grpc.control);
    if (pki.dir[0] != '\0' && harness_grpc_start(&grpcs, helpers, &pki, err, sizeof(err)) == 0)
        export_int("PT_GRPCS_PORT", grpcs.port);
    else if (pki.dir[0] != '\0')
        setup_failed(err);
    snprintf(grpcs_mtls.control, sizeof(grpcs_mtls.control), "%s", grpc.control);
    grpcs_mtls.mtls = 1;
    if (pki.dir[0] != '\0' && harness_grpc_start(&grpcs_mtls, helpers, &pki, err, sizeof(err)) == 0)
        export_int("PT_GRPCS_MTLS_PORT", grpcs_mtls.port);
    else if (pki.dir[0] != '\0')
        setup_failed(err);
    grpc_nohealth.no_health = 1;
    if (harness_grpc_start(&grpc_nohealth, helpers, NULL, err, sizeof(err)) == 0)
        export_int("PT_GRPC_NOHEALTH_PORT", grpc_nohealth.port);
    else
        setup_failed(err);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    char err[HARNESS_ERRLEN], tmp[HARNESS_PATH];
    double t0 = harness_now_ms();

    (void)set;
    if (harness_tempdir("scratch", tmp, sizeof(tmp)) == 0)
        setenv("PT_TMPDIR", tmp, 1);
    else
        setup_failed("cannot create a scratch dir under /tmp");
    if (harness_pki_create(&pki, err, sizeof(err)) == 0) {
        setenv("PT_HTTPS_CA", pki.ca, 1);
        setenv("PT_TLS_SELF_CERT", pki.self_cert, 1);
        setenv("PT_TLS_SELF_KEY", pki.self_key, 1);
        setenv("PT_CLIENT_CERT", pki.client_cert, 1);
        setenv("PT_CLIENT_KEY", pki.client_key, 1);
        setenv("PT_CLIENT_KEY_ENC", pki.client_key_enc, 1);
    } else {
        setup_failed(err);
    }
    start_mysql();
    start_postgres();
    start_redis();
    start_http();
    start_memcached();
    start_grpc();
    if (setup_errors[0] != '\0')
        setenv("PT_SETUP_ERRORS", setup_errors, 1);
    fprintf(stderr,
            "harness: servers up in %.0f ms (mariadb: install %.0f ms, start %.0f ms, "
            "ed25519 %s; postgres %.0f ms, standby %.0f ms)\n",
            harness_now_ms() - t0, mysql.install_ms, mysql.start_ms, mysql.ed25519 ? "yes" : "no",
            pg.start_ms, pg_standby.start_ms);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    harness_stop_all();
}
