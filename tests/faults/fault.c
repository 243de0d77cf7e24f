/* The runner and the misbehaving peers of the fault-injection tests. Peers are threads of the
 * test process (Criterion runs each test in its own process), so they end with the test. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"
#include "harness.h"

/* harness_run() with the fault suite's default binary (the sanitizer build) and its rules: a
 * run that had to be killed, died of a signal or made the sanitizer speak fails the test. */
void
flt_run(struct probe_result *r, const char *const argv[], long nofile)
{
    const char *bin = getenv("PROBE_BIN");
    struct harness_cmd c = {0};

    c.bin = bin != NULL && bin[0] != '\0' ? bin : "build/asan/probe";
    c.argv = argv;
    c.nofile = nofile;
    cr_assert(harness_run(&c, r) == 0, "%s", r->err);
    cr_assert(!r->killed, "the probe still ran after %d ms and was killed\n%s%s",
              HARNESS_RUN_LIMIT_MS, r->out, r->err);
    cr_assert(r->exited, "the probe died of signal %d\n%s%s", r->signo, r->out, r->err);
    cr_assert(strstr(r->err, "Sanitizer") == NULL && strstr(r->err, "runtime error:") == NULL,
              "the sanitizer reported an error\n%s%s", r->out, r->err);
}

/* The output line of check name ("STATUS NAME  ..."), copied into line; 0 or -1. */
static int
flt_line_of(const struct probe_result *r, const char *name, char *line, size_t len)
{
    size_t nl = strlen(name);

    for (const char *p = r->out; p != NULL && *p != '\0';) {
        const char *end = p + strcspn(p, "\n");
        const char *w = p + strcspn(p, " \n");

        while (*w == ' ')
            w++;
        if (strncmp(w, name, nl) == 0 && w[nl] == ' ') {
            snprintf(line, len, "%.*s", (int)(end - p), p);
            return 0;
        }
        p = *end == '\n' ? end + 1 : NULL;
    }
    return -1;
}

int
flt_match(const char *s, const char *re)
{
    regex_t rx;
    int rc;

    cr_assert(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_ICASE) == 0, "bad regex /%s/", re);
    rc = regexec(&rx, s, 0, NULL, 0);
    regfree(&rx);
    return rc == 0;
}

#define FLT_OUT "\n--- exit %d, %.1f ms\n--- stdout:\n%s--- stderr:\n%s"
#define FLT_ARGS(r) (r)->exit_code, (r)->elapsed_ms, (r)->out, (r)->err

static void
flt_assert_line(const struct probe_result *r, const char *name, const char *status, const char *re)
{
    char line[2048];

    cr_assert(flt_line_of(r, name, line, sizeof(line)) == 0, "no line for check %s" FLT_OUT, name,
              FLT_ARGS(r));
    cr_assert(strncmp(line, status, strlen(status)) == 0, "check %s is not %s" FLT_OUT, name,
              status, FLT_ARGS(r));
    cr_assert(flt_match(line, re), "line of %s does not match /%s/" FLT_OUT, name, re, FLT_ARGS(r));
}

void
flt_assert_fail(const struct probe_result *r, const char *name, const char *re, int within_ms)
{
    cr_assert_eq(r->exit_code, 1, "exit code %d, expected 1" FLT_OUT, r->exit_code, FLT_ARGS(r));
    flt_assert_line(r, name, "FAIL ", re);
    if (within_ms == FLT_T_MS + FLT_SLACK_MS) /* a run that ends at its deadline */
        harness_note_deadline(r->elapsed_ms, FLT_T_MS, name);
    if (within_ms > 0)
        cr_assert(r->elapsed_ms <= within_ms, "took %.1f ms, limit %d ms" FLT_OUT, r->elapsed_ms,
                  within_ms, FLT_ARGS(r));
}

void
flt_assert_json_fail(const struct probe_result *r, const char *name, const char *reason,
                     const char *phase, const char *re, int within_ms)
{
    char path[160], v[1024];

    cr_assert_eq(r->exit_code, 1, "exit code %d, expected 1" FLT_OUT, r->exit_code, FLT_ARGS(r));
    snprintf(path, sizeof(path), "checks/%s:responseTime/0/reason", name);
    cr_assert_eq(pt_json_get(r->out, path, v, sizeof(v)), 0, "no %s" FLT_OUT, path, FLT_ARGS(r));
    cr_assert_str_eq(v, reason, "%s" FLT_OUT, path, FLT_ARGS(r));
    snprintf(path, sizeof(path), "checks/%s:responseTime/0/phase", name);
    if (phase != NULL) {
        cr_assert_eq(pt_json_get(r->out, path, v, sizeof(v)), 0, "no %s" FLT_OUT, path,
                     FLT_ARGS(r));
        cr_assert_str_eq(v, phase, "%s" FLT_OUT, path, FLT_ARGS(r));
    }
    snprintf(path, sizeof(path), "checks/%s:responseTime/0/output", name);
    cr_assert_eq(pt_json_get(r->out, path, v, sizeof(v)), 0, "no %s" FLT_OUT, path, FLT_ARGS(r));
    cr_assert(flt_match(v, re), "%s does not match /%s/" FLT_OUT, path, re, FLT_ARGS(r));
    if (within_ms == FLT_T_MS + FLT_SLACK_MS)
        harness_note_deadline(r->elapsed_ms, FLT_T_MS, name);
    if (within_ms > 0)
        cr_assert(r->elapsed_ms <= within_ms, "took %.1f ms, limit %d ms" FLT_OUT, r->elapsed_ms,
                  within_ms, FLT_ARGS(r));
}

void
flt_assert_pass(const struct probe_result *r, const char *name, const char *re)
{
    cr_assert_eq(r->exit_code, 0, "exit code %d, expected 0" FLT_OUT, r->exit_code, FLT_ARGS(r));
    flt_assert_line(r, name, "PASS ", re);
}

void
flt_require_netns(void)
{
    const char *v = getenv("FAULTS_NETNS");

    cr_assert(v != NULL && strcmp(v, "1") == 0,
              "run through `make test-faults`: these tests need the namespace of netns.sh");
}

/* ---- DNS ---- */

static int
flt_bind(int type, const char *addr, int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, addr, &sa.sin_addr);
    cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s:%d: %s", addr, port,
              strerror(errno));
    if (type == SOCK_STREAM)
        cr_assert(listen(fd, 64) == 0, "listen: %s", strerror(errno));
    return fd;
}

/* Queries pile up in the socket buffers and TCP handshakes complete in the kernel: nobody ever
 * reads or answers. The sockets close when the test process exits. */
void
flt_dns_silent(void)
{
    (void)flt_bind(SOCK_DGRAM, "127.0.0.1", 53);
    (void)flt_bind(SOCK_STREAM, "127.0.0.1", 53);
}

static void *
flt_nxdomain_main(void *arg)
{
    int fd = *(int *)arg;

    free(arg);
    for (;;) {
        unsigned char q[512];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);

        if (n < 12)
            continue;
        q[2] = (unsigned char)(0x80 | (q[2] & 0x79)); /* QR=1, keep opcode and RD */
        q[3] = 0x80 | 3;                              /* RA=1, RCODE=NXDOMAIN */
        memset(q + 6, 0, 6);                          /* no answer, authority, additional */
        (void)sendto(fd, q, (size_t)n, 0, (struct sockaddr *)&from, flen);
    }
    return NULL;
}

void
flt_dns_nxdomain(void)
{
    int *fd = malloc(sizeof(*fd));
    pthread_t t;

    cr_assert_not_null(fd);
    *fd = flt_bind(SOCK_DGRAM, "127.0.0.1", 53);
    cr_assert_eq(pthread_create(&t, NULL, flt_nxdomain_main, fd), 0);
    pthread_detach(t);
}

/* ---- TCP peers ---- */

struct flt_server {
    int lfd;
    enum flt_mode mode;
};

/* Reads what the client sends until a blank line or ms pass. */
static void
flt_read_request(int fd, int ms)
{
    char buf[4096];
    size_t len = 0;
    double end = harness_now_ms() + ms;

    while (len < sizeof(buf) - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(end - harness_now_ms());
        ssize_t n;

        if (left <= 0 || poll(&p, 1, left) <= 0)
            return;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL)
            return;
    }
}

static int
flt_write(int fd, const void *data, size_t len)
{
    return send(fd, data, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static void
flt_reset(int fd)
{
    struct linger lg = {1, 0};

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static void
flt_serve_one(int fd, enum flt_mode mode)
{
    static const char endless_chunk[] = "400\r\n";
    char chunk[1024 + 8];

    switch (mode) {
    case FLT_RESET_HALF_STATUS:
        flt_read_request(fd, 1000);
        (void)flt_write(fd, "HTTP/1.1 2", 10);
        usleep(20000);
        flt_reset(fd);
        return;
    case FLT_RESET_AFTER_READ:
        flt_read_request(fd, 200);
        flt_reset(fd);
        return;
    case FLT_RESET_MID_GREETING:
        /* The first bytes of a MySQL v10 handshake: length 0x4a, seq 0, protocol 10. */
        (void)flt_write(fd,
                        "\x4a\x00\x00\x00\x0a"
                        "5.5.5-",
                        11);
        usleep(20000);
        flt_reset(fd);
        return;
    case FLT_ENDLESS_CHUNKED: {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n";

        flt_read_request(fd, 1000);
        memcpy(chunk, endless_chunk, 5);
        memset(chunk + 5, 'x', 1024);
        memcpy(chunk + 5 + 1024, "\r\n", 2);
        if (flt_write(fd, head, sizeof(head) - 1) == 0) {
            while (flt_write(fd, chunk, 5 + 1024 + 2) == 0)
                ;
        }
        break;
    }
    case FLT_ENDLESS_HEADERS: {
        static const char line[] = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";

        flt_read_request(fd, 1000);
        if (flt_write(fd, "HTTP/1.1 200 OK\r\n", 17) == 0) {
            while (flt_write(fd, line, sizeof(line) - 1) == 0)
                ;
        }
        break;
    }
    case FLT_REDIRECT_SELF: {
        static const char resp[] = "HTTP/1.1 302 Found\r\nLocation: /loop\r\n"
                                   "Content-Length: 0\r\nConnection: close\r\n\r\n";

        flt_read_request(fd, 1000);
        (void)flt_write(fd, resp, sizeof(resp) - 1);
        break;
    }
    case FLT_GARBAGE: {
        unsigned char noise[512];

        flt_read_request(fd, 1000);
        for (size_t i = 0; i < sizeof(noise); i++)
            noise[i] = (unsigned char)((i * 151u + 7u) & 0xff);
        (void)flt_write(fd, noise, sizeof(noise));
        usleep(20000);
        break;
    }
    }
    close(fd);
}

static void *
flt_server_main(void *arg)
{
    struct flt_server *s = arg;

    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd >= 0)
            flt_serve_one(fd, s->mode);
    }
    return NULL;
}

int
flt_server(enum flt_mode mode)
{
    static struct flt_server servers[8];
    static int nservers;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    struct flt_server *s;
    pthread_t t;

    cr_assert(nservers < 8, "too many servers in one test");
    s = &servers[nservers++];
    s->mode = mode;
    s->lfd = flt_bind(SOCK_STREAM, "127.0.0.1", 0);
    cr_assert(getsockname(s->lfd, (struct sockaddr *)&sa, &len) == 0);
    cr_assert_eq(pthread_create(&t, NULL, flt_server_main, s), 0);
    pthread_detach(t);
    return ntohs(sa.sin_port);
}

/* ---- iptables ---- */

long
flt_syn_drops(const char *addr)
{
    char line[512];
    long pkts = -1;
    FILE *f = popen("iptables -w -n -v -x -L INPUT 2>/dev/null", "r");

    cr_assert_not_null(f, "cannot run iptables");
    while (fgets(line, sizeof(line), f) != NULL) {
        char dst[64];
        long p;

        if (strstr(line, "DROP") == NULL)
            continue;
        /* pkts bytes target prot opt in out source destination ... */
        if (sscanf(line, "%ld %*d %*s %*s %*s %*s %*s %*s %63s", &p, dst) == 2 &&
            strcmp(dst, addr) == 0)
            pkts = p;
    }
    pclose(f);
    return pkts;
}
