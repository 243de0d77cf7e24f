/* A real PostgreSQL server for the tests: initdb into a temp dir, the harness's users and
 * database, postgres on a free loopback port with its unix socket in the same dir; or a TLS
 * server that takes TLS connections only; or a standby of another (pg_basebackup -R), hot or
 * cold. PostgreSQL refuses to run as root, so as root the server runs as the postgres user. */
#include "harness_int.h"

#include <errno.h>
#include <glob.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG_START_LIMIT_MS 30000
#define PG_ATTEMPTS 3

/* Debian's server binaries: /usr/lib/postgresql/VERSION/bin, the newest there. */
static int
pg_bindir(char *out, size_t outlen)
{
    glob_t g;
    int rc = -1;

    if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
        return -1;
    if (g.gl_pathc > 0) {
        const char *last = g.gl_pathv[g.gl_pathc - 1];
        size_t n = strlen(last) - strlen("/postgres");

        snprintf(out, outlen, "%.*s", (int)n, last);
        rc = 0;
    }
    globfree(&g);
    return rc;
}

/* As root, argv runs as the postgres user (setpriv execs it: the pid stays the server's). */
static int
pg_argv(const char *const in[], const char **out, size_t max)
{
    size_t n = 0;

    if (geteuid() == 0) {
        static const char *const drop[] = {"setpriv", "--reuid=postgres", "--regid=postgres",
                                           "--clear-groups", "--"};

        for (size_t i = 0; i < 5; i++)
            out[n++] = drop[i];
    }
    for (size_t i = 0; in[i] != NULL && n + 1 < max; i++)
        out[n++] = in[i];
    out[n] = NULL;
    return 0;
}

static int
pg_run(const char *const argv[], const char *dir, const char *log, char *err, size_t errlen)
{
    const char *full[40];

    pg_argv(argv, full, 40);
    return harness_run_logged(full, dir, log, 60000, err, errlen);
}

/* Gives a path to the postgres user when the harness runs as root. */
static void
pg_chown(const char *path)
{
    struct passwd *pw;

    if (geteuid() != 0)
        return;
    pw = getpwnam("postgres");
    if (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) != 0)
        return;
}

static int
pg_write(const char *path, const char *text, char *err, size_t errlen)
{
    if (harness_write_file(path, text, err, errlen) == -1)
        return -1;
    pg_chown(path);
    return 0;
}

/* Copies a file readable only by its owner (postgres wants its key 0600). */
static int
pg_copy(const char *from, const char *to, char *err, size_t errlen)
{
    char buf[16384];
    FILE *f = fopen(from, "r");
    size_t n;

    if (f == NULL) {
        harness_errf(err, errlen, "postgres: %s: %s", from, strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (pg_write(to, buf, err, errlen) == -1)
        return -1;
    return chmod(to, 0600);
}

/*
 * Ready when a startup packet for user postgres gets an authentication request back ('R'), or
 * an error other than 57P03 (the TLS server has no entry for a plain connection); a cold
 * standby is ready when it answers 57P03. The connection closes at the password prompt, which
 * the server does not log (psql does the same).
 */
static int
pg_ready(int port, int want_57p03)
{
    static const char pkt[] = "\0\0\0\x29\0\x03\0\0user\0postgres\0database\0postgres\0\0";
    struct pollfd pfd;
    char buf[512];
    ssize_t got = 0;
    int fd, r = harness_connect_within(port, 500, &fd), busy;

    if (r != 1) {
        if (fd != -1)
            close(fd);
        return 0;
    }
    if (send(fd, pkt, sizeof(pkt) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(pkt) - 1) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, 1000) == 1)
            got = recv(fd, buf, sizeof(buf) - 1, 0);
    }
    close(fd);
    if (got <= 0)
        return 0;
    buf[got] = '\0';
    busy = buf[0] == 'E' && memmem(buf, (size_t)got, "C57P03", 6) != NULL;
    return want_57p03 ? busy : (buf[0] == 'R' || (buf[0] == 'E' && !busy));
}

static const char pg_init_sql[] =
    "CREATE ROLE " HARNESS_PG_USER " LOGIN PASSWORD '" HARNESS_PG_PASSWORD "';\n"
    "CREATE ROLE " HARNESS_PG_PCT_USER " LOGIN PASSWORD '" HARNESS_PG_PCT_PASSWORD "';\n"
    "SET password_encryption = 'md5';\n"
    "CREATE ROLE " HARNESS_PG_MD5_USER " LOGIN PASSWORD '" HARNESS_PG_MD5_PASSWORD "';\n"
    "CREATE DATABASE " HARNESS_PG_DB " OWNER " HARNESS_PG_USER ";\n";

/* "md5" lets SCRAM users log in with SCRAM and md5 users with md5. The TLS server takes
 * hostssl only, so a plain connection finds no pg_hba.conf entry (28000). */
static const char pg_hba_plain[] = "local all postgres trust\n"
                                   "local replication postgres trust\n"
                                   "local all all md5\n"
                                   "host all all 127.0.0.1/32 md5\n"
                                   "host all all ::1/128 md5\n";
static const char pg_hba_tls[] = "local all postgres trust\n"
                                 "local all all md5\n"
                                 "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                                 "hostssl all all ::1/128 scram-sha-256\n";

/* initdb and the users (through the unix socket of a server started just for that), or a
 * base backup of the primary that starts as its standby. */
static int
pg_make_data(struct harness_postgres *pg, const char *bin, const char *data, char *err,
             size_t errlen)
{
    char prog[HARNESS_PATH + 32], path[HARNESS_PATH + 32], log[HARNESS_PATH + 32];
    char port[16];

    harness_pathf(log, sizeof(log), "%s/setup.log", pg->proc.dir);
    if (pg->primary != NULL) {
        snprintf(prog, sizeof(prog), "%s/pg_basebackup", bin);
        snprintf(port, sizeof(port), "%d", pg->primary->port);
        {
            const char *const argv[] = {
                prog, "-D",     data,        "-h",       pg->primary->socket_dir,
                "-p", port,     "-U",        "postgres", "-R",
                "-X", "stream", "--no-sync", NULL};

            return pg_run(argv, pg->proc.dir, log, err, errlen);
        }
    }
    snprintf(prog, sizeof(prog), "%s/initdb", bin);
    {
        const char *const argv[] = {prog, "-D",    data, "-U",   "postgres",
                                    "-A", "trust", "-E", "UTF8", "--no-instructions",
                                    "-N", NULL};

        if (pg_run(argv, pg->proc.dir, log, err, errlen) == -1)
            return -1;
    }
    harness_pathf(path, sizeof(path), "%s/pg_hba.conf", data);
    if (pg_write(path, pg->pki != NULL ? pg_hba_tls : pg_hba_plain, err, errlen) == -1)
        return -1;
    harness_pathf(path, sizeof(path), "%s/init.sql", pg->proc.dir);
    if (pg_write(path, pg_init_sql, err, errlen) == -1)
        return -1;
    /* Single-user mode runs the statements without any network, before the real start. */
    snprintf(prog, sizeof(prog), "%s/postgres", bin);
    {
        char sh[HARNESS_PATH * 3];
        const char *const argv[] = {"sh", "-c", sh, NULL};

        harness_pathf(sh, sizeof(sh), "exec %s --single -D %s postgres < %s/init.sql", prog, data,
                      pg->proc.dir);
        return pg_run(argv, pg->proc.dir, log, err, errlen);
    }
}

static int
pg_try_start(struct harness_postgres *pg, char *err, size_t errlen)
{
    char bin[HARNESS_PATH], prog[HARNESS_PATH + 32], data[HARNESS_PATH + 16];
    char o_port[32], o_sock[HARNESS_PATH + 48], o_cert[HARNESS_PATH + 48];
    char o_key[HARNESS_PATH + 48], path[HARNESS_PATH + 32], tail[400];
    const char *argv[48], *full[56];
    double t0 = harness_now_ms(), end;
    int n = 0, status;

    if (pg_bindir(bin, sizeof(bin)) == -1) {
        harness_errf(err, errlen,
                     "postgres: /usr/lib/postgresql/*/bin not found (install "
                     "postgresql)");
        return -1;
    }
    if (harness_make_tempdir(&pg->proc, "postgres", err, errlen) == -1)
        return -1;
    harness_reg_add(0, pg->proc.dir);
    pg_chown(pg->proc.dir);
    snprintf(pg->socket_dir, sizeof(pg->socket_dir), "%s", pg->proc.dir);
    harness_pathf(pg->log, sizeof(pg->log), "%s/postgres.log", pg->proc.dir);
    snprintf(data, sizeof(data), "%s/data", pg->proc.dir);
    if (pg_make_data(pg, bin, data, err, errlen) == -1)
        goto fail;
    pg->port = harness_free_port();
    snprintf(prog, sizeof(prog), "%s/postgres", bin);
    snprintf(o_port, sizeof(o_port), "port=%d", pg->port);
    snprintf(o_sock, sizeof(o_sock), "unix_socket_directories=%s", pg->socket_dir);
    argv[n++] = prog;
    argv[n++] = "-D";
    argv[n++] = data;
    argv[n++] = "-c";
    argv[n++] = o_port;
    argv[n++] = "-c";
    argv[n++] = o_sock;
    argv[n++] = "-c";
    argv[n++] = "listen_addresses=127.0.0.1";
    argv[n++] = "-c";
    argv[n++] = "fsync=off";
    argv[n++] = "-c";
    argv[n++] = "shared_buffers=16MB";
    argv[n++] = "-c";
    argv[n++] = "max_connections=40";
    argv[n++] = "-c";
    argv[n++] = "log_min_messages=info";
    argv[n++] = "-c";
    argv[n++] = "log_disconnections=on";
    if (pg->cold) {
        argv[n++] = "-c";
        argv[n++] = "hot_standby=off";
    }
    if (pg->pki != NULL) {
        harness_pathf(path, sizeof(path), "%s/server.pem", pg->proc.dir);
        if (pg_copy(pg->pki->dns_cert, path, err, errlen) == -1)
            goto fail;
        snprintf(o_cert, sizeof(o_cert), "ssl_cert_file=%s", path);
        harness_pathf(path, sizeof(path), "%s/server.key", pg->proc.dir);
        if (pg_copy(pg->pki->dns_key, path, err, errlen) == -1)
            goto fail;
        snprintf(o_key, sizeof(o_key), "ssl_key_file=%s", path);
        argv[n++] = "-c";
        argv[n++] = "ssl=on";
        argv[n++] = "-c";
        argv[n++] = o_cert;
        argv[n++] = "-c";
        argv[n++] = o_key;
    }
    argv[n] = NULL;
    pg_argv(argv, full, 56);
    pg->proc.pid = harness_spawn_logged(full, pg->proc.dir, pg->log, err, errlen);
    if (pg->proc.pid == -1) {
        pg->proc.pid = 0;
        goto fail;
    }
    harness_reg_add(pg->proc.pid, NULL);
    for (end = harness_now_ms() + PG_START_LIMIT_MS; !pg_ready(pg->port, pg->cold);) {
        if (harness_child_exited(pg->proc.pid, &status)) {
            harness_reg_forget(pg->proc.pid, NULL);
            pg->proc.pid = 0;
            harness_log_tail(pg->log, tail, sizeof(tail));
            harness_errf(err, errlen, "postgres exited before it was ready; log: %s", tail);
            goto fail;
        }
        if (harness_now_ms() > end) {
            harness_log_tail(pg->log, tail, sizeof(tail));
            harness_errf(err, errlen, "postgres not ready after %d ms; log: %s", PG_START_LIMIT_MS,
                         tail);
            goto fail;
        }
        harness_sleep_ms(20);
    }
    pg->start_ms = harness_now_ms() - t0;
    return 0;
fail:
    harness_proc_stop(&pg->proc);
    return -1;
}

int
harness_postgres_start(struct harness_postgres *pg, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < PG_ATTEMPTS; attempt++) {
        if (pg_try_start(pg, err, errlen) == 0)
            return 0;
        if (strstr(err, "not found") != NULL)
            break;
    }
    return -1;
}

long
harness_postgres_log_mark(const struct harness_postgres *pg)
{
    struct stat st;

    return stat(pg->log, &st) == 0 ? (long)st.st_size : 0;
}
