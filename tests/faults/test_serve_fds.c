/* `probe serve` out of file descriptors: with a low RLIMIT_NOFILE, idle clients take every
 * descriptor. The server must not spin on EMFILE, its checks must fail with a reason instead
 * of crashing, it must serve again once the clients go, and SIGTERM still ends it with 0. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"

TestSuite(serve_fds, .init = flt_require_netns);

#define SF_NOFILE 24
#define SF_IDLE 40

static double
sf_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
sf_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int
sf_listen_any(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: %s", strerror(errno));
    cr_assert(listen(fd, 4096) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int
sf_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends GET path on fd and reads one answer (headers + Content-Length body) into buf within
 * ms. Returns the status code, or -1. */
static int
sf_get(int fd, const char *path, int keep, char *buf, size_t len, int ms)
{
    char req[256];
    size_t got = 0;
    double end = sf_now_ms() + ms;
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path,
                     keep ? "" : "Connection: close\r\n");

    if (write(fd, req, (size_t)n) != n)
        return -1;
    buf[0] = '\0';
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(end - sf_now_ms());
        char *hdr_end, *cl;
        ssize_t r;

        if (left <= 0)
            return -1;
        if (poll(&p, 1, left) <= 0)
            continue;
        r = read(fd, buf + got, len - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
        hdr_end = strstr(buf, "\r\n\r\n");
        if (hdr_end == NULL)
            continue;
        cl = strcasestr(buf, "\r\ncontent-length:");
        if (cl != NULL && cl < hdr_end &&
            (size_t)(hdr_end + 4 - buf) + strtoul(cl + 17, NULL, 10) <= got)
            break;
        if (got >= len - 1)
            break;
    }
    if (strncmp(buf, "HTTP/1.", 7) != 0 || strlen(buf) < 12)
        return -1;
    return atoi(buf + 9);
}

/* utime + stime of pid in clock ticks. */
static long
sf_cpu_ticks(pid_t pid)
{
    char path[64], buf[2048], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    cr_assert_not_null(p);
    /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
     * utime(14) stime(15) */
    cr_assert(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2);
    return (long)(ut + st);
}

static pid_t sf_pid = -1;
static char sf_log[64];

static void
sf_fini(void)
{
    if (sf_pid > 0) {
        kill(sf_pid, SIGKILL);
        waitpid(sf_pid, NULL, 0);
        sf_pid = -1;
    }
    if (sf_log[0] != '\0')
        unlink(sf_log);
}

static void
sf_read_log(char *buf, size_t len)
{
    FILE *f = fopen(sf_log, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (f != NULL) {
        n = fread(buf, 1, len - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

static void
sf_exhaust(int check_cpu)
{
    const char *bin = getenv("PROBE_BIN");
    char listen_arg[32], target[64], buf[16384], log[16384];
    int tport, port, tfd, keep = -1, idle[SF_IDLE], nidle = 0, st, status = 0;
    long cpu0, cpu1, hz = sysconf(_SC_CLK_TCK);
    double t0, t1;

    if (bin == NULL || bin[0] == '\0')
        bin = "build/asan/probe";
    tfd = sf_listen_any(&tport);
    { /* a port for the server: bind 0, read back, close */
        int tmp = sf_listen_any(&port);

        close(tmp);
    }
    snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%d", port);
    snprintf(target, sizeof(target), "tcp=tcp://127.0.0.1:%d", tport);
    snprintf(sf_log, sizeof(sf_log), "/tmp/probe-fault-serve-XXXXXX");
    {
        int lfd = mkstemp(sf_log);

        cr_assert(lfd >= 0, "mkstemp: %s", strerror(errno));
        sf_pid = fork();
        cr_assert(sf_pid != -1);
        if (sf_pid == 0) {
            struct rlimit rl = {SF_NOFILE, SF_NOFILE};
            int null = open("/dev/null", O_RDWR);

            prctl(PR_SET_PDEATHSIG, SIGKILL);
            dup2(null, 0);
            dup2(lfd, 1);
            dup2(lfd, 2);
            close_range(3, ~0U, 0);
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                _exit(126);
            execl(bin, bin, "serve", "--listen", listen_arg, "--interval", "100ms", "--timeout",
                  "1s", target, (char *)NULL);
            _exit(127);
        }
        close(lfd);
    }
    /* Wait for /live. */
    for (int i = 0;; i++) {
        int fd = sf_connect(port);

        if (fd >= 0) {
            st = sf_get(fd, "/live", 0, buf, sizeof(buf), 1000);
            close(fd);
            if (st == 200)
                break;
        }
        sf_read_log(log, sizeof(log));
        cr_assert(i < 100 && waitpid(sf_pid, &status, WNOHANG) == 0,
                  "serve did not come up (status %d)\n%s", status, log);
        sf_sleep_ms(20);
    }
    /* A keep-alive connection taken before the exhaustion, to look at /health during it. */
    sf_sleep_ms(300);
    keep = sf_connect(port);
    cr_assert(keep >= 0);
    st = sf_get(keep, "/health", 1, buf, sizeof(buf), 1000);
    cr_assert_eq(st, 200, "/health before exhaustion: %d\n%s", st, buf);

    /* Exhaust: idle clients that never send a byte. Those the server cannot accept wait in
     * the backlog. */
    for (int i = 0; i < SF_IDLE; i++) {
        idle[nidle] = sf_connect(port);
        if (idle[nidle] >= 0)
            nidle++;
    }
    cr_assert(nidle >= SF_NOFILE, "only %d idle clients connected", nidle);
    sf_sleep_ms(500);

    /* No busy loop on EMFILE: CPU time over 2 s of wall time stays well under 30 %. */
    t0 = sf_now_ms();
    cpu0 = sf_cpu_ticks(sf_pid);
    sf_sleep_ms(2000);
    cpu1 = sf_cpu_ticks(sf_pid);
    t1 = sf_now_ms();
    sf_read_log(log, sizeof(log));
    cr_assert_eq(waitpid(sf_pid, &status, WNOHANG), 0, "serve died (status %#x)\n%s", status, log);
    cr_assert(!check_cpu || (double)(cpu1 - cpu0) * 1000.0 / (double)hz < 0.30 * (t1 - t0),
              "serve used %.0f ms of CPU in %.0f ms with descriptors exhausted (busy loop?)\n%s",
              (double)(cpu1 - cpu0) * 1000.0 / (double)hz, t1 - t0, log);

    /* While exhausted, the tcp check fails with a reason (seen on the kept connection). */
    st = sf_get(keep, "/health", 1, buf, sizeof(buf), 1000);
    sf_read_log(log, sizeof(log));
    cr_assert_eq(st, 503, "/health during exhaustion: %d\n%s\n--- log:\n%s", st, buf, log);
    cr_assert(strcasestr(buf, "too many open files") != NULL,
              "/health during exhaustion does not say \"too many open files\":\n%s\n--- log:\n%s",
              buf, log);
    close(keep);

    /* Clients gone: a fresh /live is answered within a second. */
    for (int i = 0; i < nidle; i++)
        close(idle[i]);
    t0 = sf_now_ms();
    for (;;) {
        int fd = sf_connect(port);

        st = -1;
        if (fd >= 0) {
            st = sf_get(fd, "/live", 0, buf, sizeof(buf), 1000);
            close(fd);
        }
        if (st == 200)
            break;
        sf_read_log(log, sizeof(log));
        cr_assert(sf_now_ms() - t0 < 1000,
                  "no 200 /live within 1 s after the clients left (%d)"
                  "\n%s\n--- log:\n%s",
                  st, buf, log);
        sf_sleep_ms(50);
    }

    /* SIGTERM: exit 0 within 1 s, sanitizer quiet. */
    cr_assert(kill(sf_pid, SIGTERM) == 0);
    t0 = sf_now_ms();
    while (waitpid(sf_pid, &status, WNOHANG) == 0) {
        cr_assert(sf_now_ms() - t0 < 1500, "serve still running 1.5 s after SIGTERM");
        sf_sleep_ms(10);
    }
    sf_pid = -1;
    sf_read_log(log, sizeof(log));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM: status %#x\n%s", status,
              log);
    cr_assert(strstr(log, "Sanitizer") == NULL && strstr(log, "runtime error:") == NULL,
              "the sanitizer reported an error\n%s", log);
    close(tfd);
}

/* Alive while exhausted, the tcp check fails with "too many open files", /live answers again
 * within 1 s once the clients leave, SIGTERM exits 0. */
Test(serve_fds, exhausted_descriptors_fail_checks_with_a_reason_and_serve_recovers, .fini = sf_fini,
     .timeout = 30)
{
    sf_exhaust(0);
}

/* Out of descriptors, the listener is ready but accept() fails: serve must pause accepting
 * (100 ms at a time), not spin. This caught a one-shot pause timer restarted without being
 * set again, which made every pause after the first end at once (100 % CPU). */
Test(serve_fds, exhausted_descriptors_do_not_make_serve_spin, .fini = sf_fini, .timeout = 30)
{
    sf_exhaust(1);
}
