/* The probe against real servers pushed into corners: a mariadbd that is out of connections,
 * a mariadbd with a tiny max_connect_errors that 200 runs must not get the host blocked on,
 * a redis-server that goes down and comes back under `probe serve` for 1,000 rounds, and a
 * redis-server that is still loading its dataset. The servers come from tests/harness_servers.c. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"
#include "harness.h"

TestSuite(real, .init = flt_require_netns);

/* ---- MySQL helpers ---- */

static void
real_mysql_start(struct harness_mysql *m, const char *const *extra)
{
    char err[HARNESS_ERRLEN];

    memset(m, 0, sizeof(*m));
    m->extra_args = extra;
    cr_assert_eq(harness_mysql_start(m, NULL, err, sizeof(err)), 0, "%s", err);
}

/* Runs SQL as root over the server's socket; the first line of the answer (no column names)
 * goes to out. */
static void
real_sql(const struct harness_mysql *m, const char *sql, char *out, size_t len)
{
    char cmd[1024];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "mariadb --no-defaults -uroot --socket=%s -N -B -e \"%s\" 2>&1",
             m->socket, sql);
    p = popen(cmd, "r");
    cr_assert_not_null(p, "popen: %s", strerror(errno));
    if (fgets(out, (int)len, p) == NULL)
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    cr_assert_eq(pclose(p), 0, "%s: %s", sql, out);
}

/* A global status counter, e.g. Aborted_clients. */
static long
real_status(const struct harness_mysql *m, const char *name)
{
    char sql[128], out[256];
    const char *tab;

    snprintf(sql, sizeof(sql), "SHOW GLOBAL STATUS LIKE '%s'", name);
    real_sql(m, sql, out, sizeof(out));
    tab = strchr(out, '\t');
    cr_assert_not_null(tab, "no %s in \"%s\"", name, out);
    return strtol(tab + 1, NULL, 10);
}

/* Connects to host:port, from src when not NULL, and reads the first packet header and one
 * payload byte within 2 s: 10 for a greeting, 0x10000 | code for an error packet; the fd via
 * *fd. */
static int
real_first_byte(const char *src, const char *host, int port, int *fd)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    unsigned char b[7];
    size_t got = 0;

    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(*fd >= 0, "socket: %s", strerror(errno));
    if (src != NULL) {
        struct sockaddr_in me = {.sin_family = AF_INET};

        cr_assert_eq(inet_pton(AF_INET, src, &me.sin_addr), 1);
        cr_assert_eq(bind(*fd, (struct sockaddr *)&me, sizeof(me)), 0, "bind %s: %s", src,
                     strerror(errno));
    }
    cr_assert_eq(inet_pton(AF_INET, host, &sa.sin_addr), 1);
    cr_assert_eq(connect(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s:%d: %s", host,
                 port, strerror(errno));
    while (got < sizeof(b)) {
        struct pollfd p = {*fd, POLLIN, 0};
        ssize_t n;

        if (poll(&p, 1, 2000) <= 0)
            break;
        n = read(*fd, b + got, sizeof(b) - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    cr_assert(got >= 5, "only %zu bytes of the first packet", got);
    if (b[4] == 0xff && got >= 7)
        return 0x10000 | (b[5] | b[6] << 8); /* an error: 0x10000 | its code */
    return b[4];
}

static void
real_check(struct probe_result *r, const char *timeout, const char *user, const char *pw,
           const char *host, int port)
{
    const char *argv[] = {"check", "--timeout", timeout, NULL, NULL};
    char url[256];

    snprintf(url, sizeof(url), "db=mysql://%s:%s@%s:%d/%s", user, pw, host, port, HARNESS_MYSQL_DB);
    argv[3] = url;
    flt_run(r, argv, 0);
}

/* ---- 1. out of connections ---- */

Test(real, mysql_too_many_connections_fails_with_1040_and_server_text, .timeout = 120)
{
    /* 10 is the least MariaDB takes */
    static const char *const extra[] = {"--max-connections=10", "--connect-timeout=30", NULL};
    struct harness_mysql m;
    struct probe_result r;
    int fds[11], i;

    real_mysql_start(&m, extra);
    /* Connections count from accept, authenticated or not: raw clients that read the greeting
     * and say nothing hold a slot each (until connect_timeout). With max_connections of them
     * open, the next one gets a greeting and, as it is not SUPER (probe has no CONNECTION
     * ADMIN), 1040 after its auth response; with max_connections + 1 open (the slot kept for
     * SUPER taken too), 1040 comes instead of the greeting. Both must read the same. */
    for (i = 0; i < 10; i++)
        cr_assert_eq(real_first_byte(NULL, "127.0.0.1", m.port, &fds[i]), 10, "greeting %d", i);
    real_check(&r, "3s", HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, "127.0.0.1", m.port);
    cr_log_info("after auth: %.1f ms: %s", r.elapsed_ms, r.out);
    flt_assert_fail(&r, "db", " 1040 .*Too many connections", 1000);

    cr_assert_eq(real_first_byte(NULL, "127.0.0.1", m.port, &fds[10]), 10, "11th greeting");
    real_check(&r, "3s", HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, "127.0.0.1", m.port);
    cr_log_info("instead of greeting: %.1f ms: %s", r.elapsed_ms, r.out);
    flt_assert_fail(&r, "db", " 1040 .*Too many connections", 1000);

    for (i = 0; i < 11; i++)
        close(fds[i]);
    usleep(300000); /* the server notices the closes; root would be refused before that */
    cr_log_info("Connection_errors_max_connections %ld",
                real_status(&m, "Connection_errors_max_connections"));
    harness_proc_stop(&m.proc);
}

/* ---- 2. 200 runs, max_connect_errors 5 ---- */

/* The host cache (and with it max_connect_errors) is not used for 127.0.0.1 or ::1, nor
 * with skip-name-resolve, nor for a host whose reverse lookup failed transiently (no DNS
 * server: HOST_VALIDATED stays NO and errors never add up). So the server listens on every
 * address and resolves names, a DNS server answers NXDOMAIN (a permanent answer), the probe
 * comes from REAL_HOST and a control client from REAL_CONTROL, both on lo of the test
 * namespace. */
#define REAL_HOST "10.77.0.1"
#define REAL_CONTROL "10.77.0.2"

static void
real_add_addresses(void)
{
    cr_assert_eq(system("for a in " REAL_HOST " " REAL_CONTROL "; do "
                        "ip addr show dev lo | grep -q \"inet $a/\" || "
                        "ip addr add $a/32 dev lo || exit 1; done"),
                 0, "cannot add addresses to lo");
}

struct real_counters {
    long aborted_clients, aborted_connects, connections;
};

static void
real_counters(const struct harness_mysql *m, struct real_counters *c)
{
    c->aborted_clients = real_status(m, "Aborted_clients");
    c->aborted_connects = real_status(m, "Aborted_connects");
    c->connections = real_status(m, "Connections");
}

static void
real_no_block(const struct probe_result *r, int run)
{
    cr_assert(strstr(r->out, "1129") == NULL && strstr(r->out, "blocked") == NULL,
              "run %d: the host is blocked: %s", run, r->out);
}

Test(real, mysql_200_runs_never_get_the_host_blocked, .timeout = 180)
{
    static const char *const extra[] = {"--max-connect-errors=5", "--bind-address=0.0.0.0",
                                        "--skip-name-resolve=OFF", "--performance-schema=ON", NULL};
    struct harness_mysql m;
    struct real_counters c0, c1, c2;
    struct probe_result r;
    char timeout[16], v[64];
    int fd, i, late = 0, in_auth = 0;

    real_add_addresses();
    flt_dns_nxdomain();
    real_mysql_start(&m, extra);
    real_sql(&m, "SELECT @@max_connect_errors, @@skip_name_resolve", v, sizeof(v));
    cr_assert_str_eq(v, "5\t0", "max_connect_errors, skip_name_resolve: %s", v);

    /* Control: 5 clients that read the greeting and hang up get REAL_CONTROL blocked, so a
     * probe that did the same would be caught. */
    for (i = 0; i < 5; i++) {
        int b = real_first_byte(REAL_CONTROL, REAL_HOST, m.port, &fd);

        cr_assert_eq(b, 10, "control %d: not a greeting but %#x", i, b);
        close(fd);
        usleep(20000); /* let the server count the error before the next */
    }
    cr_assert_eq(real_first_byte(REAL_CONTROL, REAL_HOST, m.port, &fd), 0x10000 | 1129,
                 "5 aborted handshakes did not block " REAL_CONTROL);
    close(fd);

    /* 100 passing runs: each one logs in and says COM_QUIT, so none is an aborted client. */
    real_counters(&m, &c0);
    for (i = 0; i < 100; i++) {
        real_check(&r, "3s", HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, REAL_HOST, m.port);
        real_no_block(&r, i);
        flt_assert_pass(&r, "db", "");
    }
    real_counters(&m, &c1);
    cr_log_info("100 passing runs: Connections +%ld Aborted_clients +%ld Aborted_connects +%ld",
                c1.connections - c0.connections, c1.aborted_clients - c0.aborted_clients,
                c1.aborted_connects - c0.aborted_connects);
    cr_assert_eq(c1.aborted_clients, c0.aborted_clients, "passing runs left aborted clients");
    cr_assert_eq(c1.aborted_connects, c0.aborted_connects, "passing runs left aborted connects");

    /* 60 wrong passwords in a row (an answered 1045 is no handshake error), then 40 runs
     * whose deadline of a few ms hits them anywhere from connect to COM_PING, each pair
     * followed by a passing run, so that at most 2 of them come in a row. */
    for (i = 0; i < 60; i++) {
        real_check(&r, "3s", HARNESS_MYSQL_USER, "wrong-pw", REAL_HOST, m.port);
        real_no_block(&r, 100 + i);
        flt_assert_fail(&r, "db", " 1045 Access denied", 1000);
    }
    for (i = 0; i < 40; i++) {
        if (i % 3 == 2) {
            real_check(&r, "3s", HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, REAL_HOST, m.port);
            real_no_block(&r, 160 + i);
            flt_assert_pass(&r, "db", "");
            continue;
        }
        snprintf(timeout, sizeof(timeout), "%dms", 1 + i % 4);
        real_check(&r, timeout, HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, REAL_HOST, m.port);
        real_no_block(&r, 160 + i);
        late += r.exit_code != 0;
        in_auth += strstr(r.out, "(auth)") != NULL;
    }
    real_counters(&m, &c2);
    cr_log_info("after 200 runs: Connections %ld (+%ld) Aborted_clients %ld (+%ld) "
                "Aborted_connects %ld (+%ld); %d of 27 tight runs failed, %d in auth",
                c2.connections, c2.connections - c0.connections, c2.aborted_clients,
                c2.aborted_clients - c0.aborted_clients, c2.aborted_connects,
                c2.aborted_connects - c0.aborted_connects, late, in_auth);

    real_sql(&m,
             "SELECT SUM_CONNECT_ERRORS, COUNT_HANDSHAKE_ERRORS, COUNT_AUTHENTICATION_ERRORS, "
             "COUNT_HOST_BLOCKED_ERRORS FROM performance_schema.host_cache WHERE IP='" REAL_HOST
             "'",
             v, sizeof(v));
    cr_log_info("host_cache of " REAL_HOST ": sum_connect_errors, handshake, authentication, "
                "blocked: %s",
                v);
    real_check(&r, "3s", HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, REAL_HOST, m.port);
    real_no_block(&r, 200);
    flt_assert_pass(&r, "db", "");
    harness_proc_stop(&m.proc);
}

/* ---- 3. serve: a redis that goes down and comes back, 1,000 rounds ---- */

#define REAL_INTERVAL "35ms"
#define REAL_ROUNDS 1000
#define REAL_RISE 2
#define REAL_FALL 2
/* VmRSS may grow by this much from round 100 to round 1,000. 900 rounds in which every
 * allocation of a round were kept would add far more: even 300 bytes a round is 264 KiB. */
#define REAL_RSS_SLACK_KB 256

/* One state of the server, from /metrics, /ready and /metrics again within the same round. */
struct real_moment {
    long rounds;
    int ready;
};

static long
real_metric(const char *body, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = body; p != NULL && *p != '\0';) {
        if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == '{')) {
            const char *sp = strchr(p, ' ');

            return sp != NULL ? strtol(sp + 1, NULL, 10) : -1;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return -1;
}

static long
real_rounds(const struct harness_serve *s)
{
    static struct harness_http_resp h;

    cr_assert_eq(harness_http(s->host, s->port,
                              "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &h,
                              2000),
                 0, "/metrics: %s", h.why);
    cr_assert_eq(h.status, 200, "/metrics answered %d", h.status);
    return real_metric(h.body, "probe_rounds_total");
}

static void
real_moment(const struct harness_serve *s, struct real_moment *m)
{
    static struct harness_http_resp h;

    for (;;) {
        long before = real_rounds(s);

        cr_assert_eq(harness_http(s->host, s->port,
                                  "GET /ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &h,
                                  2000),
                     0, "/ready: %s", h.why);
        m->ready = h.status;
        m->rounds = real_rounds(s);
        if (m->rounds == before)
            return;
    }
}

/* Polls until /ready says want; returns the rounds finished by then. Fails after 5 s. */
static long
real_until_ready(const struct harness_serve *s, int want)
{
    struct real_moment m;
    double end = harness_now_ms() + 5000;

    for (;;) {
        real_moment(s, &m);
        if (m.ready == want)
            return m.rounds;
        cr_assert(harness_now_ms() < end, "/ready still %d after 5 s (round %ld)", m.ready,
                  m.rounds);
        usleep(5000);
    }
}

static void
real_until_round(const struct harness_serve *s, long round)
{
    double end = harness_now_ms() + 60000;

    while (real_rounds(s) < round) {
        cr_assert(harness_now_ms() < end, "round %ld not reached", round);
        usleep(20000);
    }
}

/* The fewest fds over a few samples: between rounds, not while a check has its socket. */
static int
real_idle_fds(pid_t pid)
{
    int best = -1;

    for (int i = 0; i < 30; i++) {
        int n = harness_proc_fd_count(pid);

        if (n >= 0 && (best < 0 || n < best))
            best = n;
        usleep(3000);
    }
    return best;
}

/* Kills the target and brings it back; /ready must follow within fall and rise rounds.
 * Rounds finished before the kill started passed, rounds started after it returned fail:
 * /ready turns 503 after at least fall rounds from the first and at most fall + 1 from the
 * second (one round may straddle the kill). The same holds for the restart and rise. */
static void
real_flap(const struct harness_serve *s, struct harness_redis *rd, int n)
{
    char err[HARNESS_ERRLEN];
    long r0, r1, at;

    r0 = real_rounds(s);
    harness_redis_kill(rd);
    r1 = real_rounds(s);
    at = real_until_ready(s, 503);
    cr_log_info("flap %d: down between rounds %ld and %ld, 503 at %ld", n, r0, r1, at);
    cr_assert(at >= r0 + REAL_FALL && at <= r1 + REAL_FALL + 1,
              "flap %d: 503 at round %ld; target down between rounds %ld and %ld, fall %d", n, at,
              r0, r1, REAL_FALL);

    r0 = real_rounds(s);
    cr_assert_eq(harness_redis_restart(rd, err, sizeof(err)), 0, "%s", err);
    r1 = real_rounds(s);
    at = real_until_ready(s, 200);
    cr_log_info("flap %d: up between rounds %ld and %ld, 200 at %ld", n, r0, r1, at);
    cr_assert(at >= r0 + REAL_RISE && at <= r1 + REAL_RISE + 1,
              "flap %d: 200 at round %ld; target up between rounds %ld and %ld, rise %d", n, at, r0,
              r1, REAL_RISE);
}

/* The build without sanitizers: ASan keeps freed memory in quarantine and its RSS climbs by
 * design, so only the plain build's RSS says something about leaks. */
Test(real, serve_survives_1000_rounds_of_a_flapping_redis_with_flat_fds_and_rss, .timeout = 90)
{
    const char *bin = getenv("PROBE_PLAIN_BIN");
    char err[HARNESS_ERRLEN], url[256];
    const char *argv[] = {"--interval", REAL_INTERVAL, "--timeout", "25ms", "--rise",
                          "2",          "--fall",      "2",         url,    NULL};
    struct harness_redis rd = {0};
    struct harness_serve s;
    long rss100, rss_end;
    int fds100, fds_end, flap = 0;

    if (bin == NULL || bin[0] == '\0')
        bin = "build/probe";
    cr_assert_eq(harness_redis_start(&rd, err, sizeof(err)), 0, "%s", err);
    snprintf(url, sizeof(url), "cache=redis://:%s@127.0.0.1:%d", HARNESS_REDIS_PASSWORD, rd.port);
    cr_assert_eq(harness_serve_start(&s, bin, "127.0.0.1", argv, NULL, 5000, err, sizeof(err)), 0,
                 "%s", err);

    /* One flap before the first measurement, so that the failure paths have run once. */
    real_until_ready(&s, 200);
    real_until_round(&s, 30);
    real_flap(&s, &rd, flap++);
    real_until_round(&s, 100);
    fds100 = real_idle_fds(s.pid);
    rss100 = harness_proc_rss_kb(s.pid);

    for (long at = 200; at <= 800; at += 150) {
        real_until_round(&s, at);
        real_flap(&s, &rd, flap++);
    }
    real_until_round(&s, REAL_ROUNDS);
    fds_end = real_idle_fds(s.pid);
    rss_end = harness_proc_rss_kb(s.pid);
    cr_log_info("%d flaps; round 100: %d fds, %ld KiB; round %ld: %d fds, %ld KiB", flap, fds100,
                rss100, real_rounds(&s), fds_end, rss_end);
    cr_assert_eq(fds_end, fds100, "open fds: %d at round 100, %d at the end", fds100, fds_end);
    cr_assert(rss_end - rss100 < REAL_RSS_SLACK_KB, "VmRSS grew from %ld to %ld KiB", rss100,
              rss_end);

    harness_serve_stop(&s, SIGTERM, 2000, &s.last);
    cr_assert(s.last.exited && s.last.exit_code == 0, "serve did not exit 0 on SIGTERM");
    harness_serve_cleanup(&s);
    harness_proc_stop(&rd.proc);
}

/* ---- 4. redis-server still loading its dataset ---- */

/* Redis 7 hidden configs: key-load-delay (µs slept per key loaded) makes loading slow, and
 * loading-process-events-interval-bytes makes the server answer clients (-LOADING) while it
 * loads instead of only every 2 MB. */
Test(real, redis_loading_fails_with_the_server_text, .timeout = 60)
{
    char err[HARNESS_ERRLEN], cmd[512], url[256];
    const char *argv[] = {"check", "--timeout", "3s", url, NULL};
    struct harness_redis rd = {0};
    struct probe_result r;

    rd.extra_conf = "enable-debug-command yes\n"
                    "key-load-delay 2000\n"
                    "loading-process-events-interval-bytes 1024";
    cr_assert_eq(harness_redis_start(&rd, err, sizeof(err)), 0, "%s", err);
    snprintf(cmd, sizeof(cmd),
             "redis-cli -p %d -a %s --no-auth-warning DEBUG POPULATE 3000 key 256 >/dev/null && "
             "redis-cli -p %d -a %s --no-auth-warning SAVE >/dev/null",
             rd.port, HARNESS_REDIS_PASSWORD, rd.port, HARNESS_REDIS_PASSWORD);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    harness_redis_kill(&rd);
    /* back once it answers PING at all: -LOADING, for 3,000 keys x 2 ms = 6 s */
    cr_assert_eq(harness_redis_restart(&rd, err, sizeof(err)), 0, "%s", err);

    snprintf(url, sizeof(url), "cache=redis://:%s@127.0.0.1:%d/3", HARNESS_REDIS_PASSWORD, rd.port);
    flt_run(&r, argv, 0);
    cr_log_info("%.1f ms: %s", r.elapsed_ms, r.out);
    flt_assert_fail(&r, "cache", " LOADING Redis is loading the dataset in memory", 1000);
    harness_proc_stop(&rd.proc);
}
