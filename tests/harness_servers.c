/* Real throwaway servers on loopback: redis-server, mariadbd, memcached, the HTTP helper and
 * openssl s_server, each started in its own temp dir and process group and waited for until it
 * answers. */
#include "harness_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define START_LIMIT_MS 30000
#define INSTALL_LIMIT_MS 60000

/* Starts argv in p->dir and registers it. */
static int
proc_spawn(struct harness_proc *p, const char *const argv[], char *err, size_t errlen)
{
    char log_path[HARNESS_PATH + 32];

    harness_pathf(log_path, sizeof(log_path), "%s/%s.log", p->dir, p->what);
    p->pid = harness_spawn_logged(argv, p->dir, log_path, err, errlen);
    if (p->pid == -1) {
        p->pid = 0;
        return -1;
    }
    harness_reg_add(p->pid, NULL);
    return 0;
}

/* Frees everything a failed start left behind, keeping err. */
static int
start_failed(struct harness_proc *p)
{
    harness_proc_stop(p);
    return -1;
}

/* What a readiness probe makes of one attempt. */
enum ready { READY_NOT_YET, READY_YES, READY_FAIL };

/* Connects to 127.0.0.1:port, sends req (may be NULL), reads up to len bytes within ms. */
static ssize_t
exchange(int port, const char *req, char *buf, size_t len, int ms)
{
    struct pollfd pfd;
    size_t got = 0;
    ssize_t n;
    double end = harness_now_ms() + ms;
    int fd, r = harness_connect_within(port, ms, &fd);

    if (r != 1) {
        if (fd != -1)
            close(fd);
        return -1;
    }
    if (req != NULL && send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    while (got < len) {
        int left = (int)(end - harness_now_ms());

        if (left <= 0)
            break;
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, left) <= 0)
            break;
        n = recv(fd, buf + got, len - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

/* Polls ready() until it says yes, the process dies, or the limit passes. */
static int
wait_ready(struct harness_proc *p, enum ready (*ready)(void *arg, char *why, size_t whylen),
           void *arg, int limit_ms, char *err, size_t errlen)
{
    char why[256] = "", log_path[HARNESS_PATH + 32], tail[400], how[64];
    double end = harness_now_ms() + limit_ms;
    int status;

    harness_pathf(log_path, sizeof(log_path), "%s/%s.log", p->dir, p->what);
    for (;;) {
        enum ready r = ready(arg, why, sizeof(why));

        if (r == READY_YES)
            return 0;
        if (r == READY_FAIL) {
            harness_log_tail(log_path, tail, sizeof(tail));
            harness_errf(err, errlen, "%s: %s; log: %s", p->what, why, tail);
            return -1;
        }
        if (harness_child_exited(p->pid, &status)) {
            harness_describe_status(status, how, sizeof(how));
            harness_log_tail(log_path, tail, sizeof(tail));
            harness_errf(err, errlen, "%s %s before it was ready; log: %s", p->what, how, tail);
            harness_reg_forget(p->pid, NULL);
            p->pid = 0;
            return -1;
        }
        if (harness_now_ms() > end) {
            harness_log_tail(log_path, tail, sizeof(tail));
            harness_errf(err, errlen, "%s not ready after %d ms%s%s; log: %s", p->what, limit_ms,
                         why[0] ? ": " : "", why, tail);
            return -1;
        }
        harness_sleep_ms(20);
    }
}

/* A server may lose the race for a port picked by harness_free_port(); try a few ports. */
#define START_ATTEMPTS 3

/* ---- redis ---- */

static enum ready
redis_ready(void *arg, char *why, size_t whylen)
{
    struct harness_redis *r = arg;
    char buf[4096], req[256];
    ssize_t n;

    if (r->master_port == 0 || r->master_port < 0) {
        n = exchange(r->port, "PING\r\n", buf, 1, 500);
        return n == 1 && (buf[0] == '+' || buf[0] == '-') ? READY_YES : READY_NOT_YET;
    }
    /* A replica is ready when its link to the master is up. */
    snprintf(req, sizeof(req), "AUTH %s\r\nINFO replication\r\nQUIT\r\n", HARNESS_REDIS_PASSWORD);
    n = exchange(r->port, req, buf, sizeof(buf) - 1, 500);
    if (n <= 0)
        return READY_NOT_YET;
    buf[n] = '\0';
    if (strncmp(buf, "-WRONGPASS", 10) == 0) {
        snprintf(why, whylen, "AUTH failed");
        return READY_FAIL;
    }
    snprintf(why, whylen, "replication link not up");
    return strstr(buf, "master_link_status:up") != NULL ? READY_YES : READY_NOT_YET;
}

/* master_port > 0: a replica that must reach its master; < 0: a replica of 127.0.0.1 at a
 * closed port (-master_port), whose link stays down and which answers -MASTERDOWN. */
static int
redis_try_start(struct harness_redis *r, char *err, size_t errlen)
{
    char conf[4096], path[HARNESS_PATH + 16];
    const char *const argv[] = {"redis-server", path, NULL};
    size_t n;

    if (harness_make_tempdir(&r->proc, "redis", err, errlen) == -1)
        return -1;
    harness_reg_add(0, r->proc.dir);
    r->port = r->want_port > 0 ? r->want_port : harness_free_port();
    n = (size_t)snprintf(conf, sizeof(conf),
                         "bind 127.0.0.1\n"
                         "port %d\n"
                         "daemonize no\n"
                         "protected-mode no\n"
                         "save \"\"\n"
                         "appendonly no\n"
                         "databases 16\n"
                         "dir %s\n"
                         "logfile \"\"\n"
                         "maxclients 200\n"
                         "maxmemory 32mb\n"
                         "repl-diskless-sync yes\n"
                         "repl-diskless-sync-delay 0\n"
                         "requirepass %s\n"
                         "masterauth %s\n"
                         "user %s on >%s ~* &* +@all\n"
                         "user %s on >%s ~* &* -@all +auth\n"
                         "user %s on >%s ~* &* +@all\n",
                         r->port, r->proc.dir, HARNESS_REDIS_PASSWORD, HARNESS_REDIS_PASSWORD,
                         HARNESS_REDIS_ACL_USER, HARNESS_REDIS_ACL_PASSWORD,
                         HARNESS_REDIS_NOPING_USER, HARNESS_REDIS_NOPING_PASSWORD,
                         HARNESS_REDIS_PCT_USER, HARNESS_REDIS_PCT_PASSWORD);
    if (r->master_port > 0 && n < sizeof(conf))
        snprintf(conf + n, sizeof(conf) - n, "replicaof 127.0.0.1 %d\n", r->master_port);
    else if (r->master_port < 0 && n < sizeof(conf))
        snprintf(conf + n, sizeof(conf) - n,
                 "replicaof 127.0.0.1 %d\n"
                 "replica-serve-stale-data no\n",
                 -r->master_port);
    n = strlen(conf);
    if (r->tls_cert != NULL && r->tls_key != NULL && n < sizeof(conf)) {
        r->tls_port = harness_free_port();
        snprintf(conf + n, sizeof(conf) - n,
                 "tls-port %d\n"
                 "tls-cert-file %s\n"
                 "tls-key-file %s\n"
                 "tls-auth-clients no\n",
                 r->tls_port, r->tls_cert, r->tls_key);
        n = strlen(conf);
    }
    if (r->extra_conf != NULL && n < sizeof(conf))
        snprintf(conf + n, sizeof(conf) - n, "%s\n", r->extra_conf);
    snprintf(path, sizeof(path), "%s/redis.conf", r->proc.dir);
    if (harness_write_file(path, conf, err, errlen) == -1)
        return start_failed(&r->proc);
    if (proc_spawn(&r->proc, argv, err, errlen) == -1)
        return start_failed(&r->proc);
    if (wait_ready(&r->proc, redis_ready, r, START_LIMIT_MS, err, errlen) == -1)
        return start_failed(&r->proc);
    return 0;
}

int
harness_redis_start(struct harness_redis *r, char *err, size_t errlen)
{
    double t0 = harness_now_ms();
    int attempt;

    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (redis_try_start(r, err, errlen) == 0) {
            r->start_ms = harness_now_ms() - t0;
            return 0;
        }
    }
    return -1;
}

/* ---- mariadb ---- */

/* Where the server looks for plugins; the harness only asks for ed25519 when it is there. */
static const char *
mysql_plugin_dir(void)
{
    static const char *const dirs[] = {"/usr/lib/mysql/plugin",       "/usr/lib64/mysql/plugin",
                                       "/usr/lib/mariadb/plugin",     "/usr/lib64/mariadb/plugin",
                                       "/usr/local/mysql/lib/plugin", NULL};
    char path[HARNESS_PATH];
    int i;

    for (i = 0; dirs[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/auth_ed25519.so", dirs[i]);
        if (access(path, R_OK) == 0)
            return dirs[i];
    }
    return NULL;
}

static const char *
find_program(const char *name, char *out, size_t outlen)
{
    static const char *const extra[] = {"/usr/sbin", "/usr/local/sbin", "/sbin", NULL};
    const char *path = getenv("PATH");
    char dirs[4096], *save = NULL, *d;
    int i;

    snprintf(dirs, sizeof(dirs), "%s", path != NULL ? path : "/usr/bin:/bin");
    for (d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, outlen, "%s/%s", d, name);
        if (access(out, X_OK) == 0)
            return out;
    }
    for (i = 0; extra[i] != NULL; i++) {
        snprintf(out, outlen, "%s/%s", extra[i], name);
        if (access(out, X_OK) == 0)
            return out;
    }
    return NULL;
}

static enum ready
mysql_ready(void *arg, char *why, size_t whylen)
{
    struct harness_mysql *m = arg;
    unsigned char buf[5];
    ssize_t n;

    /* The server accepts TCP before it runs --init-file, but sends its greeting (protocol
     * version 10) only once the init file is done and connections are handled. */
    n = exchange(m->port, NULL, (char *)buf, sizeof(buf), 1000);
    if (n < (ssize_t)sizeof(buf))
        return READY_NOT_YET;
    if (buf[4] == 10)
        return READY_YES;
    snprintf(why, whylen, "unexpected greeting byte 0x%02x", buf[4]);
    return buf[4] == 0xff ? READY_FAIL : READY_NOT_YET;
}

static int
dir_exists(const char *dir, const char *sub)
{
    char path[HARNESS_PATH * 2];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The init file stops at its first error, so each part ends by creating a marker database
 * whose directory then shows that the part ran. ed25519 comes last: it may be missing. */
static int
mysql_write_init(const char *path, int with_ed25519, char *err, size_t errlen)
{
    char sql[4096];
    size_t n;

    n = (size_t)snprintf(
        sql, sizeof(sql),
        "DROP USER IF EXISTS ''@'localhost';\n"
        "CREATE DATABASE IF NOT EXISTS %s;\n"
        "CREATE TABLE %s.items (id INT PRIMARY KEY, name VARCHAR(32));\n"
        "INSERT INTO %s.items VALUES (1, 'one');\n"
        "CREATE USER '%s'@'%%' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s');\n"
        "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%%';\n"
        /* without a global privilege, an unknown database reads 1044, not 1049 */
        "GRANT SELECT ON *.* TO '%s'@'%%';\n"
        "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n"
        "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n"
        "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%%';\n"
        "CREATE DATABASE harness_base_done;\n",
        HARNESS_MYSQL_DB, HARNESS_MYSQL_DB, HARNESS_MYSQL_DB, HARNESS_MYSQL_USER,
        HARNESS_MYSQL_PASSWORD, HARNESS_MYSQL_DB, HARNESS_MYSQL_USER, HARNESS_MYSQL_USER,
        HARNESS_MYSQL_NOAPP_USER, HARNESS_MYSQL_NOAPP_PASSWORD, HARNESS_MYSQL_PCT_USER,
        HARNESS_MYSQL_PCT_PASSWORD, HARNESS_MYSQL_DB, HARNESS_MYSQL_PCT_USER);
    if (with_ed25519 && n < sizeof(sql))
        snprintf(sql + n, sizeof(sql) - n,
                 "CREATE USER '%s'@'%%' IDENTIFIED VIA ed25519 USING PASSWORD('%s');\n"
                 "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%%';\n"
                 "CREATE DATABASE harness_ed25519_done;\n",
                 HARNESS_MYSQL_ED25519_USER, HARNESS_MYSQL_ED25519_PASSWORD, HARNESS_MYSQL_DB,
                 HARNESS_MYSQL_ED25519_USER);
    return harness_write_file(path, sql, err, errlen);
}

static int
mysql_try_start(struct harness_mysql *m, const struct harness_pki *pki, char *err, size_t errlen)
{
    char datadir[HARNESS_PATH + 16], init[HARNESS_PATH + 16], log_path[HARNESS_PATH + 16];
    char o_datadir[HARNESS_PATH + 32], o_socket[HARNESS_PATH + 32], o_port[32];
    char o_pid[HARNESS_PATH + 32], o_err[HARNESS_PATH + 32], o_init[HARNESS_PATH + 32];
    char o_tmp[HARNESS_PATH + 32], o_plugdir[HARNESS_PATH + 32];
    char o_ca[HARNESS_PATH + 32], o_cert[HARNESS_PATH + 32], o_key[HARNESS_PATH + 32];
    char mariadbd[HARNESS_PATH], install[HARNESS_PATH];
    const char *plugdir = mysql_plugin_dir();
    const char *argv[48];
    double t0;
    int n = 0, root = geteuid() == 0;

    if (find_program("mariadbd", mariadbd, sizeof(mariadbd)) == NULL &&
        find_program("mysqld", mariadbd, sizeof(mariadbd)) == NULL) {
        harness_errf(err, errlen, "mariadb: mariadbd not found (install mariadb-server)");
        return -1;
    }
    if (find_program("mariadb-install-db", install, sizeof(install)) == NULL &&
        find_program("mysql_install_db", install, sizeof(install)) == NULL) {
        harness_errf(err, errlen, "mariadb: mariadb-install-db not found (install mariadb-server)");
        return -1;
    }
    if (harness_make_tempdir(&m->proc, "mariadb", err, errlen) == -1)
        return -1;
    harness_reg_add(0, m->proc.dir);
    m->port = m->want_port > 0 ? m->want_port : harness_free_port();
    snprintf(datadir, sizeof(datadir), "%s/data", m->proc.dir);
    harness_pathf(m->socket, sizeof(m->socket), "%s/mysql.sock", m->proc.dir);
    snprintf(init, sizeof(init), "%s/init.sql", m->proc.dir);
    snprintf(log_path, sizeof(log_path), "%s/install.log", m->proc.dir);
    snprintf(o_datadir, sizeof(o_datadir), "--datadir=%s", datadir);
    snprintf(o_tmp, sizeof(o_tmp), "--tmpdir=%s", m->proc.dir);

    t0 = harness_now_ms();
    n = 0;
    argv[n++] = install;
    argv[n++] = "--no-defaults";
    argv[n++] = o_datadir;
    argv[n++] = "--auth-root-authentication-method=normal";
    argv[n++] = "--skip-test-db";
    argv[n++] = "--skip-name-resolve";
    if (root)
        argv[n++] = "--user=root";
    argv[n++] = "--skip-log-bin";
    argv[n++] = o_tmp;
    argv[n++] = "--innodb-buffer-pool-size=16M";
    argv[n++] = "--innodb-log-file-size=8M";
    argv[n++] = "--innodb-use-native-aio=0";
    argv[n] = NULL;
    if (harness_run_logged(argv, m->proc.dir, log_path, INSTALL_LIMIT_MS, err, errlen) == -1)
        return start_failed(&m->proc);
    m->install_ms = harness_now_ms() - t0;
    if (mysql_write_init(init, plugdir != NULL, err, errlen) == -1)
        return start_failed(&m->proc);

    snprintf(o_socket, sizeof(o_socket), "--socket=%s", m->socket);
    snprintf(o_port, sizeof(o_port), "--port=%d", m->port);
    snprintf(o_pid, sizeof(o_pid), "--pid-file=%s/mariadbd.pid", m->proc.dir);
    snprintf(o_err, sizeof(o_err), "--log-error=%s/error.log", m->proc.dir);
    snprintf(o_init, sizeof(o_init), "--init-file=%s", init);
    n = 0;
    argv[n++] = mariadbd;
    argv[n++] = "--no-defaults";
    argv[n++] = o_datadir;
    argv[n++] = o_socket;
    argv[n++] = o_port;
    argv[n++] = "--bind-address=127.0.0.1";
    argv[n++] = o_pid;
    argv[n++] = o_err;
    argv[n++] = o_tmp;
    argv[n++] = o_init;
    if (root)
        argv[n++] = "--user=root";
    argv[n++] = "--skip-networking=0";
    argv[n++] = "--skip-name-resolve";
    argv[n++] = "--skip-log-bin";
    argv[n++] = "--performance-schema=OFF";
    argv[n++] = "--innodb-buffer-pool-size=16M";
    argv[n++] = "--innodb-log-file-size=8M";
    argv[n++] = "--innodb-use-native-aio=0";
    argv[n++] = "--key-buffer-size=1M";
    argv[n++] = "--table-open-cache=64";
    argv[n++] = "--thread-cache-size=8";
    argv[n++] = "--max-connections=100";
    argv[n++] = "--max-connect-errors=1000000";
    argv[n++] = "--loose-feedback=OFF";
    if (plugdir != NULL) {
        snprintf(o_plugdir, sizeof(o_plugdir), "--plugin-dir=%s", plugdir);
        argv[n++] = o_plugdir;
        argv[n++] = "--plugin-load-add=auth_ed25519";
    }
    if (pki != NULL) {
        snprintf(o_ca, sizeof(o_ca), "--ssl-ca=%s", pki->ca);
        snprintf(o_cert, sizeof(o_cert), "--ssl-cert=%s", pki->cert);
        snprintf(o_key, sizeof(o_key), "--ssl-key=%s", pki->key);
        argv[n++] = o_ca;
        argv[n++] = o_cert;
        argv[n++] = o_key;
    }
    for (int i = 0; m->extra_args != NULL && m->extra_args[i] != NULL && i < 8; i++)
        argv[n++] = m->extra_args[i];
    argv[n] = NULL;

    t0 = harness_now_ms();
    if (proc_spawn(&m->proc, argv, err, errlen) == -1)
        return start_failed(&m->proc);
    if (wait_ready(&m->proc, mysql_ready, m, START_LIMIT_MS, err, errlen) == -1)
        return start_failed(&m->proc);
    m->start_ms = harness_now_ms() - t0;
    if (!dir_exists(datadir, "harness_base_done")) {
        char tail[400];

        snprintf(log_path, sizeof(log_path), "%s/mariadb.log", m->proc.dir);
        harness_log_tail(log_path, tail, sizeof(tail));
        harness_errf(err, errlen, "mariadb: the init file failed: %s", tail);
        return start_failed(&m->proc);
    }
    m->ed25519 = dir_exists(datadir, "harness_ed25519_done");
    m->tls = pki != NULL;
    return 0;
}

int
harness_mysql_start(struct harness_mysql *m, const struct harness_pki *pki, char *err,
                    size_t errlen)
{
    int attempt;

    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (mysql_try_start(m, pki, err, errlen) == 0)
            return 0;
        if (strstr(err, "not found") != NULL)
            break;
    }
    return -1;
}

/* ---- the HTTP helper and openssl s_server ---- */

/* Ready once req on a fresh connection is answered with bytes that start with want. */
static enum ready
answer_starts_with(int port, const char *req, const char *want)
{
    char buf[64];
    size_t len = strlen(want);
    ssize_t n = exchange(port, req, buf, len < sizeof(buf) ? len : sizeof(buf), 500);

    return n == (ssize_t)len && memcmp(buf, want, len) == 0 ? READY_YES : READY_NOT_YET;
}

static enum ready
httpd_ready(void *arg, char *why, size_t whylen)
{
    struct harness_httpd *h = arg;

    (void)why;
    (void)whylen;
    return answer_starts_with(h->port, "GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                              "HTTP/1.1 200");
}

/* The helper program name in helpers_dir ($PROBE_HELPERS; NULL: build/helpers), absolute. */
static int
helper_path(const char *helpers_dir, const char *name, char *bin, size_t len, char *err,
            size_t errlen)
{
    if (helpers_dir == NULL || helpers_dir[0] == '\0')
        helpers_dir = "build/helpers";
    if (helpers_dir[0] == '/')
        snprintf(bin, len, "%s/%s", helpers_dir, name);
    else {
        char cwd[HARNESS_PATH];

        if (getcwd(cwd, sizeof(cwd)) == NULL)
            cwd[0] = '\0';
        snprintf(bin, len, "%.120s/%.120s/%s", cwd, helpers_dir, name);
    }
    if (access(bin, X_OK) == -1) {
        harness_errf(err, errlen, "%s: %s (build tests/helpers/, set PROBE_HELPERS)", bin,
                     strerror(errno));
        return -1;
    }
    return 0;
}

int
harness_httpd_start(struct harness_httpd *h, const char *helpers_dir, char *err, size_t errlen)
{
    char bin[HARNESS_PATH + 16], port[16];
    const char *const argv[] = {bin, port, "127.0.0.1", h->sock, NULL};
    int attempt;

    if (helper_path(helpers_dir, "httpd", bin, sizeof(bin), err, errlen) == -1)
        return -1;
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (harness_make_tempdir(&h->proc, "httpd", err, errlen) == -1)
            return -1;
        harness_reg_add(0, h->proc.dir);
        h->port = harness_free_port();
        snprintf(port, sizeof(port), "%d", h->port);
        snprintf(h->sock, sizeof(h->sock), "%.200s/http.sock", h->proc.dir);
        if (proc_spawn(&h->proc, argv, err, errlen) == 0 &&
            wait_ready(&h->proc, httpd_ready, h, START_LIMIT_MS, err, errlen) == 0)
            return 0;
        harness_proc_stop(&h->proc);
    }
    return -1;
}

static enum ready
tcp_ready(void *arg, char *why, size_t whylen)
{
    int *port = arg, fd, r = harness_connect_within(*port, 500, &fd);

    (void)why;
    (void)whylen;
    if (fd != -1)
        close(fd);
    return r == 1 ? READY_YES : READY_NOT_YET;
}

int
harness_https_start(struct harness_https *h, const char *cert, const char *key, char *err,
                    size_t errlen)
{
    return harness_https_mtls_start(h, cert, key, NULL, err, errlen);
}

int
harness_https_mtls_start(struct harness_https *h, const char *cert, const char *key,
                         const char *client_ca, char *err, size_t errlen)
{
    char accept[64];
    const char *argv[16] = {"openssl", "s_server", "-accept", accept,   "-cert", cert,
                            "-key",    key,        "-www",    "-quiet", NULL};
    int attempt;

    if (client_ca != NULL) {
        /* -Verify: a client certificate from client_ca is required, not just asked for. */
        argv[10] = "-Verify";
        argv[11] = "1";
        argv[12] = "-CAfile";
        argv[13] = client_ca;
        argv[14] = NULL;
    }

    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (harness_make_tempdir(&h->proc, "https", err, errlen) == -1)
            return -1;
        harness_reg_add(0, h->proc.dir);
        h->port = harness_free_port();
        snprintf(accept, sizeof(accept), "127.0.0.1:%d", h->port);
        if (proc_spawn(&h->proc, argv, err, errlen) == 0 &&
            wait_ready(&h->proc, tcp_ready, &h->port, START_LIMIT_MS, err, errlen) == 0)
            return 0;
        harness_proc_stop(&h->proc);
    }
    return -1;
}

/* ---- the gRPC health server ---- */

int
harness_grpc_start(struct harness_grpc *g, const char *helpers_dir, const struct harness_pki *pki,
                   char *err, size_t errlen)
{
    char bin[HARNESS_PATH + 16], port[16];
    const char *argv[10] = {bin, port, g->control, NULL};
    int attempt, n = 3;

    if (helper_path(helpers_dir, "grpc_health.py", bin, sizeof(bin), err, errlen) == -1)
        return -1;
    if (pki != NULL) {
        argv[n++] = "--tls";
        argv[n++] = pki->cert;
        argv[n++] = pki->key;
        if (g->mtls) {
            argv[n++] = "--client-ca";
            argv[n++] = pki->ca;
        }
    }
    if (g->no_health)
        argv[n++] = "--no-health";
    argv[n] = NULL;
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        int own = g->control[0] == '\0';

        if (harness_make_tempdir(&g->proc, "grpc", err, errlen) == -1)
            return -1;
        harness_reg_add(0, g->proc.dir);
        if (own) {
            harness_pathf(g->control, sizeof(g->control), "%s/control", g->proc.dir);
            if (mkdir(g->control, 0700) == -1) {
                harness_errf(err, errlen, "grpc: mkdir %s: %s", g->control, strerror(errno));
                return start_failed(&g->proc);
            }
        }
        g->port = harness_free_port();
        snprintf(port, sizeof(port), "%d", g->port);
        if (proc_spawn(&g->proc, argv, err, errlen) == 0 &&
            wait_ready(&g->proc, tcp_ready, &g->port, START_LIMIT_MS, err, errlen) == 0)
            return 0;
        harness_proc_stop(&g->proc);
        if (own)
            g->control[0] = '\0';
    }
    return -1;
}

/* Written aside and renamed, so the server never reads half a line. */
int
harness_grpc_set(const char *control, const char *service, const char *line, char *err,
                 size_t errlen)
{
    char path[HARNESS_PATH + 64], tmp[HARNESS_PATH + 80], text[256];

    if (harness_pathf(path, sizeof(path), "%s/%s", control, service[0] ? service : "_default") ==
            -1 ||
        harness_pathf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) == -1)
        return -1;
    snprintf(text, sizeof(text), "%s\n", line);
    if (harness_write_file(tmp, text, err, errlen) == -1)
        return -1;
    if (rename(tmp, path) == -1) {
        harness_errf(err, errlen, "rename %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- a redis that goes down and comes back ---- */

void
harness_redis_kill(struct harness_redis *r)
{
    if (r->proc.pid > 0) {
        harness_terminate(r->proc.pid, HARNESS_STOP_GRACE_MS);
        harness_reg_forget(r->proc.pid, NULL);
        r->proc.pid = 0;
    }
}

/* The config file harness_redis_start() wrote is still in the directory, port included. */
int
harness_redis_restart(struct harness_redis *r, char *err, size_t errlen)
{
    char path[HARNESS_PATH + 16];
    const char *const argv[] = {"redis-server", path, NULL};

    if (r->proc.dir[0] == '\0' || r->proc.pid > 0) {
        harness_errf(err, errlen, "redis: restart needs a server stopped by harness_redis_kill()");
        return -1;
    }
    if (harness_pathf(path, sizeof(path), "%s/redis.conf", r->proc.dir) == -1)
        return -1;
    if (proc_spawn(&r->proc, argv, err, errlen) == -1)
        return -1;
    if (wait_ready(&r->proc, redis_ready, r, START_LIMIT_MS, err, errlen) == -1) {
        harness_redis_kill(r);
        return -1;
    }
    return 0;
}

/* ---- memcached ---- */

static enum ready
memcached_ready(void *arg, char *why, size_t whylen)
{
    struct harness_memcached *m = arg;

    (void)why;
    (void)whylen;
    return answer_starts_with(m->port, "version\r\n",
                              m->auth ? "CLIENT_ERROR unauthenticated" : "VERSION ");
}

/* memcached refuses to run as root without -u, so as root it runs as nobody (which must be
 * able to read the auth file). */
int
harness_memcached_start(struct harness_memcached *m, char *err, size_t errlen)
{
    char port[16], auth[HARNESS_PATH + 16];
    const char *argv[20] = {"memcached", "-l", "127.0.0.1", "-p", port, "-U", "0",
                            "-m",        "16", "-c",        "64", "-t", "1",  NULL};
    int attempt, n = 13;

    if (geteuid() == 0) {
        argv[n++] = "-u";
        argv[n++] = "nobody";
    }
    if (m->auth) {
        argv[n++] = "-Y";
        argv[n++] = auth;
    }
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (harness_make_tempdir(&m->proc, "memcached", err, errlen) == -1)
            return -1;
        harness_reg_add(0, m->proc.dir);
        m->port = harness_free_port();
        snprintf(port, sizeof(port), "%d", m->port);
        harness_pathf(auth, sizeof(auth), "%s/auth", m->proc.dir);
        if (m->auth &&
            (chmod(m->proc.dir, 0755) != 0 ||
             harness_write_file(auth, HARNESS_MEMCACHED_USER ":" HARNESS_MEMCACHED_PASSWORD "\n",
                                err, errlen) != 0 ||
             chmod(auth, 0644) != 0)) {
            harness_proc_stop(&m->proc);
            return -1;
        }
        if (proc_spawn(&m->proc, (const char *const *)argv, err, errlen) == 0 &&
            wait_ready(&m->proc, memcached_ready, m, START_LIMIT_MS, err, errlen) == 0)
            return 0;
        harness_proc_stop(&m->proc);
    }
    return -1;
}
