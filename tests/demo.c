/* `make run`: starts throwaway redis, mariadb, postgres, memcached and HTTP servers on
 * loopback, checks them
 * with the probe given as argv[1], shows a failure, stops everything. Exits with the probe's first
 * exit code. The HTTP server is tests/helpers/httpd, found in $PROBE_HELPERS or in
 * build/helpers next to this program. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The passwords reach the probe through its environment and ${VAR} in the targets, the way
 * a Dockerfile or an ECS task would pass them. */
static const char *const secrets[] = {"DB_PASSWORD=" HARNESS_MYSQL_PASSWORD,
                                      "REDIS_PASSWORD=" HARNESS_REDIS_PASSWORD,
                                      "PG_PASSWORD=" HARNESS_PG_PASSWORD, NULL};

static void
show(const char *title, const char *const argv[], int *first_exit)
{
    struct probe_result *r = malloc(sizeof(*r));
    int i;

    if (r == NULL)
        return;
    printf("\n== %s\n$ probe", title);
    for (i = 0; argv[i] != NULL; i++)
        printf(" %s", argv[i]);
    printf("\n");
    fflush(stdout);
    if (harness_run_probe(argv, secrets, r) != 0) {
        printf("cannot run the probe: %s\n", r->err);
        if (*first_exit < 0)
            *first_exit = 1;
        free(r);
        return;
    }
    fputs(r->out, stdout);
    fputs(r->err, stdout);
    printf("(exit %d, %.0f ms)\n", r->exit_code, r->elapsed_ms);
    if (*first_exit < 0)
        *first_exit = r->exited ? r->exit_code : 1;
    free(r);
}

/* $PROBE_HELPERS, else the helpers dir beside this program (build/demo -> build/helpers). */
static void
helpers_dir(const char *argv0, char *out, size_t len)
{
    const char *env = getenv("PROBE_HELPERS");
    char copy[HARNESS_PATH];

    if (env != NULL && env[0] != '\0') {
        snprintf(out, len, "%s", env);
        return;
    }
    snprintf(copy, sizeof(copy), "%s", argv0);
    snprintf(out, len, "%s/helpers", dirname(copy));
}

int
main(int argc, char **argv)
{
    struct harness_redis redis = {0};
    struct harness_mysql mysql = {0};
    struct harness_httpd httpd = {0};
    struct harness_postgres pg = {0};
    struct harness_memcached memcached = {0};
    struct harness_pki pki;
    char err[HARNESS_ERRLEN], helpers[HARNESS_PATH], web[128], db[256], cache[256], bad[256];
    char pgdb[256], sessions[128], tls[256];
    int first_exit = -1;
    double t0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH-TO-PROBE\n", argv[0]);
        return 1;
    }
    setenv("PROBE_BIN", argv[1], 1);
    helpers_dir(argv[0], helpers, sizeof(helpers));

    printf("starting throwaway servers on 127.0.0.1 ...\n");
    fflush(stdout);
    t0 = harness_now_ms();
    /* A test CA for the redis TLS port (rediss://). */
    if (harness_pki_create(&pki, err, sizeof(err)) == 0) {
        redis.tls_cert = pki.cert;
        redis.tls_key = pki.key;
    }
    if (harness_redis_start(&redis, err, sizeof(err)) != 0 ||
        harness_mysql_start(&mysql, NULL, err, sizeof(err)) != 0 ||
        harness_httpd_start(&httpd, helpers, err, sizeof(err)) != 0 ||
        harness_postgres_start(&pg, err, sizeof(err)) != 0 ||
        harness_memcached_start(&memcached, err, sizeof(err)) != 0) {
        fprintf(stderr, "demo: %s\n", err);
        harness_stop_all();
        return 1;
    }
    printf("  redis-server  127.0.0.1:%d  (requirepass, in %s)\n", redis.port, redis.proc.dir);
    if (redis.tls_cert != NULL)
        printf("                TLS on 127.0.0.1:%d (certificate from the CA %s)\n", redis.tls_port,
               pki.ca);
    printf("  mariadbd      127.0.0.1:%d  (database %s, user %s, in %s)\n", mysql.port,
           HARNESS_MYSQL_DB, HARNESS_MYSQL_USER, mysql.proc.dir);
    printf("  postgres      127.0.0.1:%d  (database %s, user %s, in %s)\n", pg.port, HARNESS_PG_DB,
           HARNESS_PG_USER, pg.proc.dir);
    printf("  httpd         127.0.0.1:%d  (/health, /ok, /503, /slow?ms=N, ...)\n", httpd.port);
    printf("  memcached     127.0.0.1:%d\n", memcached.port);
    printf("all up in %.0f ms\n", harness_now_ms() - t0);

    snprintf(web, sizeof(web), "app=http://127.0.0.1:%d/health", httpd.port);
    snprintf(db, sizeof(db), "db=mysql://%s:${DB_PASSWORD}@127.0.0.1:%d/%s", HARNESS_MYSQL_USER,
             mysql.port, HARNESS_MYSQL_DB);
    snprintf(cache, sizeof(cache), "cache=redis://:${REDIS_PASSWORD}@127.0.0.1:%d/0", redis.port);
    snprintf(pgdb, sizeof(pgdb), "pg=postgres://%s:${PG_PASSWORD}@127.0.0.1:%d/%s?role=primary",
             HARNESS_PG_USER, pg.port, HARNESS_PG_DB);
    snprintf(sessions, sizeof(sessions), "sessions=memcached://127.0.0.1:%d", memcached.port);
    snprintf(bad, sizeof(bad), "cache=redis://:not-the-password@127.0.0.1:%d/0", redis.port);
    snprintf(tls, sizeof(tls), "cache=rediss://:${REDIS_PASSWORD}@localhost:%d/0", redis.tls_port);
    {
        const char *const text[] = {"check", "--timeout", "3s",     web, db,
                                    cache,   pgdb,        sessions, NULL};
        const char *const json[] = {"check", "--timeout", "3s", "--json", web,
                                    db,      cache,       pgdb, sessions, NULL};
        const char *const fail[] = {"check", "--timeout", "3s", web, bad, NULL};
        const char *const rediss[] = {"check", "--timeout", "3s", "--cacert", pki.ca, tls, NULL};

        show("five healthy targets", text, &first_exit);
        show("the same as the health document", json, &first_exit);
        show("a wrong redis password (a failure, exit 1)", fail, &first_exit);
        if (redis.tls_cert != NULL)
            show("redis over TLS, verified against the name localhost", rediss, &first_exit);
    }

    printf("\nstopping the servers ...\n");
    harness_stop_all();
    printf("done\n");
    return first_exit < 0 ? 1 : first_exit;
}
