/* The test harness: the one include of every test that runs the probe or a server. What it
 * declares is defined, by subject, in
 *   tests/harness_run.c      the child runner (harness_run), the deadline log
 *   tests/harness_proc.c     processes, temp dirs and their cleanup, /proc readers
 *   tests/harness_servers.c  real redis-server, mariadbd, memcached, the HTTP helper,
 *                            openssl s_server
 *   tests/harness_pki.c      the test CA and its certificates
 *   tests/harness_serve.c    `probe serve` in the background
 *   tests/harness_net.c      loopback sockets and a raw HTTP/1.1 client
 *   tests/json_reader.c      the JSON reader (json_reader.h)
 * and the Criterion helpers at the end in tests/integration/common.c. All but the last depend
 * on libc only, so tests/demo.c and the configs tests link them too. */
#ifndef PROBE_TESTS_HARNESS_H
#define PROBE_TESTS_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "json_reader.h"

#define HARNESS_PATH 256
#define HARNESS_ERRLEN 512

/* Credentials the servers are set up with. The passwords are unusual strings so that a test
 * can assert that none of them ever shows up in what the probe prints. */
#define HARNESS_REDIS_PASSWORD "Rds-pw-7c1f9a"
#define HARNESS_REDIS_ACL_USER "alice"
#define HARNESS_REDIS_ACL_PASSWORD "Alc-pw-52e0d4"
#define HARNESS_REDIS_NOPING_USER "noping"
#define HARNESS_REDIS_NOPING_PASSWORD "Npg-pw-9b33a1"
/* An ACL user whose password needs percent-escapes in a URL: "p@ss:w/rd%7". */
#define HARNESS_REDIS_PCT_USER "pct"
#define HARNESS_REDIS_PCT_PASSWORD "p@ss:w/rd%7"
#define HARNESS_REDIS_PCT_PASSWORD_URL "p%40ss%3Aw%2Frd%257"

#define HARNESS_MYSQL_DB "app"
#define HARNESS_MYSQL_USER "probe"
#define HARNESS_MYSQL_PASSWORD "Mys-pw-3d8e61"
#define HARNESS_MYSQL_NOAPP_USER "noapp"
#define HARNESS_MYSQL_NOAPP_PASSWORD "Nap-pw-0a7c2f"
#define HARNESS_MYSQL_PCT_USER "pctuser"
#define HARNESS_MYSQL_PCT_PASSWORD "p@ss:w/rd%7"
#define HARNESS_MYSQL_PCT_PASSWORD_URL "p%40ss%3Aw%2Frd%257"
#define HARNESS_MYSQL_ED25519_USER "edprobe"
#define HARNESS_MYSQL_ED25519_PASSWORD "Edp-pw-6f2b90"

#define HARNESS_PG_DB "app"
#define HARNESS_PG_USER "app" /* SCRAM-SHA-256 */
#define HARNESS_PG_PASSWORD "Pgs-pw-8a41c7"
#define HARNESS_PG_MD5_USER "oldapp" /* md5 */
#define HARNESS_PG_MD5_PASSWORD "Pgm-pw-27d9e3"
#define HARNESS_PG_PCT_USER "pctuser"
#define HARNESS_PG_PCT_PASSWORD "p@ss:w/rd%7"
#define HARNESS_PG_PCT_PASSWORD_URL "p%40ss%3Aw%2Frd%257"

/* A server process and the temporary directory it owns. The process leads its own process
 * group, so stopping it also stops anything it forked. */
struct harness_proc {
    pid_t pid;              /* 0 when not running */
    char what[32];          /* "redis", "mariadb", ... for messages */
    char dir[HARNESS_PATH]; /* mkdtemp'd, "" when none; removed on stop */
};

/* A throwaway CA, a server certificate it signed (SAN IP:127.0.0.1, IP:::1, DNS:localhost),
 * one it signed for names only (DNS:localhost, DNS:db.test), an unrelated self-signed
 * certificate for the first one's names, and, for the name checks of MySQL's verify-identity,
 * one whose only SAN is DNS:db.test (db_), one for DNS:other.test (other_) and one for
 * IP:127.0.0.1 alone (ip_); and two bad ones: expired_, wrong_ (DNS:other.example). */
struct harness_pki {
    char dir[HARNESS_PATH];
    char ca[HARNESS_PATH];
    char cert[HARNESS_PATH];
    char key[HARNESS_PATH];
    char self_cert[HARNESS_PATH];
    char self_key[HARNESS_PATH];
    char dns_cert[HARNESS_PATH];
    char dns_key[HARNESS_PATH];
    /* A client certificate the CA signed (mTLS), its key, and the key under a passphrase. */
    char client_cert[HARNESS_PATH];
    char client_key[HARNESS_PATH];
    char client_key_enc[HARNESS_PATH];
    char db_cert[HARNESS_PATH];
    char db_key[HARNESS_PATH];
    char other_cert[HARNESS_PATH];
    char other_key[HARNESS_PATH];
    char ip_cert[HARNESS_PATH];
    char ip_key[HARNESS_PATH];
    /* Signed by the CA with the server's key: one that expired yesterday (same names), one
     * for DNS:other.example only. */
    char expired_cert[HARNESS_PATH];
    char wrong_cert[HARNESS_PATH];
};

struct harness_redis {
    struct harness_proc proc;
    int port;
    /* Set before start. 0: a master. > 0: a replica of 127.0.0.1:master_port, ready once its
     * link is up. < 0: a replica of the closed port -master_port with
     * replica-serve-stale-data no, so its link stays down and PING answers -MASTERDOWN. */
    int master_port;
    /* Set before start, or NULL: more lines for redis.conf, appended last (they win). */
    const char *extra_conf;
    /* Set before start, or 0: the port to listen on (a test that points a probe at a server
     * before it exists), else a free one. */
    int want_port;
    /* Set before start, or NULL: a TLS port too (tls_port, set by start) with this certificate
     * and key; clients are not asked for certificates. The plain port stays. */
    const char *tls_cert;
    const char *tls_key;
    int tls_port;
    double start_ms;
};

struct harness_mysql {
    struct harness_proc proc;
    int port;
    char socket[HARNESS_PATH];
    int ed25519; /* 1 when the ed25519 user was created */
    int tls;     /* 1 when the server has TLS with the harness CA */
    /* Set before start, or NULL: more mariadbd options (NULL-terminated), passed last so
     * they override the harness's own (e.g. "--max-connections=2"). At most 8. */
    const char *const *extra_args;
    int want_port; /* as for harness_redis */
    double install_ms;
    double start_ms;
};

/* A PostgreSQL server (Debian's postgresql package) in its own temp dir: the users of harness.h
 * and database app, listening on 127.0.0.1 and a unix socket in proc.dir. */
struct harness_postgres {
    struct harness_proc proc;
    int port;
    char socket_dir[HARNESS_PATH]; /* the unix socket's directory (proc.dir) */
    char log[HARNESS_PATH];        /* the server's own log (stderr) */
    /* Set before start, all optional: */
    const struct harness_pki *pki;          /* TLS with pki->dns_cert, and hostssl lines only */
    const struct harness_postgres *primary; /* a standby of it (pg_basebackup -R) */
    int cold;                               /* a standby with hot_standby off: logins get 57P03 */
    double start_ms;
};

/* tests/helpers/httpd.c: /ok /health /404 /500 /503 /redirect /slow?ms=N /silent /drip /big
 * /headers /close /garbage, GET and HEAD, one process per connection. */
struct harness_httpd {
    struct harness_proc proc;
    int port;
    char sock[HARNESS_PATH]; /* the same answers on this unix socket (in proc.dir) */
};

/* openssl s_server -www: answers any GET with 200 and a status page. */
struct harness_https {
    struct harness_proc proc;
    int port;
};

/* memcached on 127.0.0.1, no UDP, 16 MB. */
struct harness_memcached {
    struct harness_proc proc;
    int port;
    /* Set before start: 1 for ASCII auth (-Y) with the user below, so every command before a
     * login is answered CLIENT_ERROR unauthenticated. */
    int auth;
};

#define HARNESS_MEMCACHED_USER "mc"
#define HARNESS_MEMCACHED_PASSWORD "Mcd-pw-81b7e3"

/* tests/helpers/grpc_health.py (python3-grpcio): grpc.health.v1.Health/Check on 127.0.0.1, each
 * service's status read from a file in the control directory at every call (see the script and
 * harness_grpc_set); TLS with the harness CA's server certificate when started with a pki. */
struct harness_grpc {
    struct harness_proc proc;
    int port;
    /* Set before start, or "": the control directory (default: "control" in the temp dir). */
    char control[HARNESS_PATH + 16];
    int no_health; /* set before start: no health service, every call ends 12 UNIMPLEMENTED */
    int mtls;      /* set before start (with a pki): require a client certificate from its CA */
};

/* Output is kept in the struct itself, so a test that stops at a failed assertion leaks
 * nothing (the test binary runs under LeakSanitizer). */
#define HARNESS_OUT_MAX 65536

struct probe_result {
    int exited;    /* 1: exited normally with exit_code */
    int exit_code; /* -1 unless exited */
    int signo;     /* terminating signal, 0 when it exited */
    int killed;    /* 1: still running at HARNESS_RUN_LIMIT_MS and killed by the harness */
    int truncated; /* 1: stdout or stderr was longer than HARNESS_OUT_MAX - 1 bytes */
    size_t out_len;
    size_t err_len;
    double elapsed_ms;         /* fork to reap, CLOCK_MONOTONIC */
    long maxrss_kb;            /* peak resident set of the child (wait4's rusage), KiB */
    char out[HARNESS_OUT_MAX]; /* stdout, NUL-terminated */
    char err[HARNESS_OUT_MAX]; /* stderr, NUL-terminated; the reason when the run failed */
};

#define HARNESS_RUN_LIMIT_MS 15000
/* The most arguments harness_run_probe() passes (256 targets and options); more is an error. */
#define HARNESS_ARGS_MAX 300
#define HARNESS_ARGS_MAX_TEXT "300"

/* Milliseconds on CLOCK_MONOTONIC. */
double harness_now_ms(void);

/* A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read it, close), or -1. */
int harness_free_port(void);

/* A listening socket on addr ("127.0.0.1" or "::1", port 0 = any) that never accepts: the
 * kernel completes handshakes until the backlog is full, then nobody speaks. Returns the fd
 * and sets *port, or -1. */
int harness_listener(const char *addr, int backlog, int *port);
/* harness_listener("127.0.0.1", 64, port): a peer that accepts and never answers. */
int harness_silent_listener(int *port);

/* A listener whose accept queue is full, so new SYNs are dropped and a connect() hangs.
 * Returns 0, or -1 when the kernel could not be made to drop SYNs (the caller should skip). */
struct harness_full_listener {
    int lfd;
    int cfds[8];
    int ncfds;
    int port;
};
int harness_full_listener_open(struct harness_full_listener *f);
void harness_full_listener_close(struct harness_full_listener *f);

/* Servers. Each start function returns 0, or -1 with a message in err; on failure nothing is
 * left running and the temp dir is gone. Everything started is also stopped by
 * harness_stop_all(), at exit of the process that started it, and by a guardian process if
 * that process is killed. */
int harness_pki_create(struct harness_pki *pki, char *err, size_t errlen);
void harness_pki_remove(struct harness_pki *pki);
int harness_redis_start(struct harness_redis *r, char *err, size_t errlen);
int harness_mysql_start(struct harness_mysql *m, const struct harness_pki *pki, char *err,
                        size_t errlen);
int harness_httpd_start(struct harness_httpd *h, const char *helpers_dir, char *err, size_t errlen);
int harness_postgres_start(struct harness_postgres *pg, char *err, size_t errlen);
/* The size of pg's log now: what a test reads past it was logged after this point. */
long harness_postgres_log_mark(const struct harness_postgres *pg);
int harness_https_start(struct harness_https *h, const char *cert, const char *key, char *err,
                        size_t errlen);
/* The same, requiring a client certificate signed by client_ca (NULL: none asked for). */
int harness_https_mtls_start(struct harness_https *h, const char *cert, const char *key,
                             const char *client_ca, char *err, size_t errlen);
int harness_memcached_start(struct harness_memcached *m, char *err, size_t errlen);
int harness_grpc_start(struct harness_grpc *g, const char *helpers_dir,
                       const struct harness_pki *pki, char *err, size_t errlen);
/* What the gRPC server in control answers for service ("": the server as a whole) from now on:
 * SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN, or "CODE MESSAGE" (that grpc-status). 0/-1. */
int harness_grpc_set(const char *control, const char *service, const char *line, char *err,
                     size_t errlen);
/* SIGTERM to the process group, SIGKILL after a few seconds, reap, remove the temp dir. */
void harness_proc_stop(struct harness_proc *p);
/* Stops every server and removes every temp dir this process started and still owns. */
void harness_stop_all(void);

/* What harness_run() starts; a field left 0 or NULL takes its default. */
struct harness_cmd {
    const char *bin;         /* NULL: $PROBE_BIN, else build/probe */
    const char *const *argv; /* what follows argv[0] (added), NULL-terminated; NULL: none */
    const char *const *env;  /* extra "K=V" entries (replacing K), or "K" alone to remove K */
    int env_only;            /* 1: env is the child's whole environment, nothing is inherited */
    int merge_err;           /* 1: stderr goes into out with stdout, in the order written */
    long nofile;             /* > 0: the child's RLIMIT_NOFILE, soft and hard */
};

/* Runs c->bin to its end, HARNESS_RUN_LIMIT_MS at most, stdin from /dev/null, in its own
 * process group, stdout and stderr captured into r. The child's environment is the caller's
 * minus PROBE_*, SSL_CERT_FILE and SSL_CERT_DIR, so settings of the shell never leak into a
 * test, with c->env applied. Returns 0 when the program ran (whatever it exited with), -1 with
 * r->err describing why it could not. */
int harness_run(const struct harness_cmd *c, struct probe_result *r);
/* harness_run() of $PROBE_BIN with argv and env, everything else by default. */
int harness_run_probe(const char *const argv[], const char *const env[], struct probe_result *r);

/* Removes a directory tree (no symlinks followed). */
void harness_rmtree(const char *path);
/* mkdtemp("/tmp/probe-test-WHAT.XXXXXX"), removed again by harness_stop_all(). 0 or -1. */
int harness_tempdir(const char *what, char *out, size_t outlen);

/* Stops a redis started by harness_redis_start() but keeps its directory and port, so that
 * harness_redis_restart() brings the same server back on the same port: a target that goes
 * down and comes back. */
void harness_redis_kill(struct harness_redis *r);
int harness_redis_restart(struct harness_redis *r, char *err, size_t errlen);

/* ---- any program in the background (tests/harness_bg.c) ---- */

/* A program started like harness_run()'s children, with stdout and stderr going to files in
 * its own temp dir, for a test that acts while it runs (`probe wait`). */
struct harness_bg {
    pid_t pid; /* 0 once reaped */
    char dir[HARNESS_PATH];
    char out_path[HARNESS_PATH + 16];
    char err_path[HARNESS_PATH + 16];
    double started_ms; /* harness_now_ms() at fork */
    int status;        /* wait status once reaped */
};

/* Starts c (its bin, argv, env, env_only; merge_err and nofile are not used). 0, or -1 with
 * err saying why. */
int harness_bg_start(struct harness_bg *b, const struct harness_cmd *c, char *err, size_t errlen);
/* Waits up to limit_ms for it to end (then SIGKILL, r->killed) and fills r: how it ended,
 * elapsed_ms from the fork, stdout and stderr from the files. */
void harness_bg_finish(struct harness_bg *b, int limit_ms, struct probe_result *r);
/* Kills it if it still runs and removes its temp dir. */
void harness_bg_cleanup(struct harness_bg *b);

/* ---- `probe serve` in the background, and a raw HTTP/1.1 client for it ---- */

/* How a serve process ended. */
struct harness_serve_exit {
    int exited;        /* 1: exited normally with exit_code */
    int exit_code;     /* -1 unless exited */
    int signo;         /* terminating signal, 0 when it exited */
    int killed;        /* 1: still running at the limit and killed by the harness */
    double elapsed_ms; /* from the signal to the reap */
};

/* A `probe serve` process with stdout and stderr going to files in its own temp dir. */
struct harness_serve {
    pid_t pid;     /* 0 once reaped */
    int port;      /* where it listens */
    char host[48]; /* "127.0.0.1" or "::1": where the harness connects */
    char dir[HARNESS_PATH];
    char err_path[HARNESS_PATH + 16];
    char out_path[HARNESS_PATH + 16];
    double started_ms;              /* harness_now_ms() at fork */
    double ready_ms;                /* harness_now_ms() when the port first accepted */
    struct harness_serve_exit last; /* how it ended, once reaped */
};

/* Starts `BIN serve [--listen HOST:PORT] ARGS...` (bin NULL: $PROBE_BIN; argv: what follows
 * "serve", NULL-terminated; env as for harness_run_probe) and waits up to wait_ms until its port
 * accepts a connection. host "127.0.0.1" or "::1": the harness picks a free port and adds
 * --listen (bracketed for IPv6), trying another port when the chosen one was taken in between;
 * host NULL: the listen address comes from argv, env or a config file, and the caller sets
 * s->host and s->port beforehand. Returns 0, or -1 with err saying why (the end of the
 * process's stderr when it exited); on -1 nothing is left running. */
int harness_serve_start(struct harness_serve *s, const char *bin, const char *host,
                        const char *const argv[], const char *const env[], int wait_ms, char *err,
                        size_t errlen);
/* Sends sig (0: none, just wait) and waits up to limit_ms for the process to end; past the limit
 * it is killed with SIGKILL and x->killed is set. The temp dir stays, for the logs. */
void harness_serve_stop(struct harness_serve *s, int sig, int limit_ms,
                        struct harness_serve_exit *x);
/* 1 while the process runs (not yet reaped), else 0; fills x when it has ended. */
int harness_serve_running(struct harness_serve *s, struct harness_serve_exit *x);
/* Reads the process's stderr file so far into buf (NUL-terminated, cut to fit); its length. */
size_t harness_serve_log(const struct harness_serve *s, char *buf, size_t len);
/* Kills the process if it still runs and removes its temp dir. */
void harness_serve_cleanup(struct harness_serve *s);

/* Connects to host:port ("127.0.0.1" or "::1") within ms; a blocking fd, or -1. */
int harness_connect(const char *host, int port, int ms);
/* A non-blocking socket whose connect to host:port has been started (or completed), or -1. */
int harness_connect_start(const char *host, int port);

#define HARNESS_HTTP_HEAD 16384
#define HARNESS_HTTP_BODY 131072

/* One HTTP response as read off the wire. */
struct harness_http_resp {
    int status;                   /* 0 when no complete response arrived */
    char why[64];                 /* when status is 0: "timeout", "closed", "malformed" */
    char head[HARNESS_HTTP_HEAD]; /* status line and header lines, NUL-terminated */
    long content_length;          /* -1 when the header is missing */
    size_t body_len;
    char body[HARNESS_HTTP_BODY]; /* NUL-terminated */
    double elapsed_ms;            /* from the call to the last byte of the response */
};

/* A client connection that keeps the bytes read past one response (pipelining). */
struct harness_conn {
    int fd;
    size_t len;
    char buf[HARNESS_HTTP_HEAD + HARNESS_HTTP_BODY];
};

/* 0, or -1 when the connection could not be made within ms. */
int harness_conn_open(struct harness_conn *c, const char *host, int port, int ms);
/* Writes all of data; 0 or -1 (the peer is gone). */
int harness_conn_send(struct harness_conn *c, const char *data, size_t len);
/* Reads one response (head: it answers a HEAD request, so it has no body) within ms. A body
 * needs a Content-Length; without one the body runs to the end of the connection. 0, or -1
 * with r->why set. */
int harness_conn_response(struct harness_conn *c, int head, struct harness_http_resp *r, int ms);
/* Waits up to ms for the peer to close (EOF or reset). 1: closed, *after_ms says when (from the
 * call) and *extra how many more bytes came first; 0: still open. */
int harness_conn_wait_close(struct harness_conn *c, int ms, double *after_ms, size_t *extra);
void harness_conn_close(struct harness_conn *c);
/* One request on a fresh connection; the response is read as for HEAD when the request starts
 * with "HEAD ". 0 or -1 (r->why). */
int harness_http(const char *host, int port, const char *request, struct harness_http_resp *r,
                 int ms);
/* The value of the first header called name (any case), without surrounding blanks; 0 or -1. */
int harness_http_header(const struct harness_http_resp *r, const char *name, char *out,
                        size_t outlen);

/* VmRSS of a process in KiB, or -1. */
long harness_proc_rss_kb(pid_t pid);
/* Number of open file descriptors of a process, or -1. */
int harness_proc_fd_count(pid_t pid);

/* ---- Criterion helpers, defined in tests/integration/common.c (test binary only). ---- */

/* One line of `probe check` output, split into its columns. */
struct pt_line {
    char status[8];
    char name[80];
    char target[1024];
    char message[2048];
    char time[32];
};

/* Value of an environment variable exported by the PRE_ALL hook; fails the test (naming the
 * server's start error, if any) when it is missing. */
const char *pt_env(const char *name);
int pt_env_int(const char *name);
/* 1 when PROBE_BIN is a release build, not the test build (PT_RELEASE_BUILD set: `make
 * integration-static` runs the suite against build/probe-static). */
int pt_release_build(void);
/* Skips the test on a release build, for a test that needs what only the test build has
 * (PROBE_TEST_STALL_MS, the sanitizers, build/probe beside it); what names that need. */
void pt_need_test_build(const char *what);
/* Runs the probe with a NULL-terminated argv and env (may be NULL); fails the test if it
 * could not run or was killed. */
void pt_run(struct probe_result *r, const char *const argv[], const char *const env[]);
/* The output line of the check called name; fails the test when there is none. */
void pt_line_of(const struct probe_result *r, const char *name, struct pt_line *l);
/* Splits one output line; 0 or -1 when it does not look like "STATUS NAME TARGET MSG TIME". */
int pt_parse_line(const char *line, struct pt_line *l);
int pt_count_lines(const char *s);
/* Extended regex match, REG_ICASE when icase. */
int pt_match(const char *s, const char *regex, int icase);
/* Fails the test when secret appears in stdout or stderr. */
void pt_assert_no_secret(const struct probe_result *r, const char *secret);
/* Runs `probe check --cacert path TARGETS...` under strace (it must pass) and counts how often
 * the file path was opened. */
int pt_count_opens(const char *path, const char *const targets[]);
/* A fresh directory for files a test writes, under $PT_TMPDIR (which the POST_ALL hook
 * removes, so a failing test leaves nothing behind). */
void pt_tmpdir(char *dir, size_t len);
void pt_write_file(const char *path, const char *text);
/* A config file: body written to probe.yaml in a fresh pt_tmpdir(), its path put in path. */
void pt_write_config(char *path, size_t len, const char *body);
/* Asserts that r has a line for name with status ("PASS"/"FAIL"), a message matching the
 * extended regex msg_re (NULL: any) and a time like "2.1ms". */
void pt_assert_check(const struct probe_result *r, const char *name, const char *status,
                     const char *msg_re);
/* The probe's output as context in an assertion message: cr_assert(x, "why" PT_OUT, PT_ARGS(r)) */
#define PT_OUT "\n--- exit %d, signal %d, %.1f ms\n--- stdout:\n%s--- stderr:\n%s"
#define PT_ARGS(r) (r)->exit_code, (r)->signo, (r)->elapsed_ms, (r)->out, (r)->err
#define PT_ASSERT_EXIT(r, code)                                                                    \
    cr_assert_eq((r)->exit_code, (code), "exit code %d, expected %d" PT_OUT, (r)->exit_code,       \
                 (code), PT_ARGS(r))
/* For the suite's summary: appends "OVER DEADLINE ELAPSED WHAT" (ms; OVER = ELAPSED - DEADLINE)
 * to the file $PROBE_DEADLINE_LOG when it is set (`make test` prints the largest OVER). */
void harness_note_deadline(double elapsed_ms, int deadline_ms, const char *what);
/* A run that ends at its deadline T took at most T + 100 ms (the spec's slack); noted. */
#define PT_ASSERT_DEADLINE(r, t)                                                                   \
    do {                                                                                           \
        harness_note_deadline((r)->elapsed_ms, (t), __func__);                                     \
        PT_ASSERT_WITHIN(r, (t) + 100);                                                            \
    } while (0)
/* The run took at most ms milliseconds of wall time. */
#define PT_ASSERT_WITHIN(r, ms)                                                                    \
    cr_assert((r)->elapsed_ms <= (double)(ms), "took %.1f ms, limit %d ms" PT_OUT,                 \
              (r)->elapsed_ms, (int)(ms), PT_ARGS(r))
/* stdout (or s) matches an extended regex. */
#define PT_ASSERT_OUT_RE(r, re)                                                                    \
    cr_assert(pt_match((r)->out, (re), 0), "stdout does not match /%s/" PT_OUT, (re), PT_ARGS(r))
#define PT_ASSERT_ERR_RE(r, re)                                                                    \
    cr_assert(pt_match((r)->err, (re), 0), "stderr does not match /%s/" PT_OUT, (re), PT_ARGS(r))

#endif
