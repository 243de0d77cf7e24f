/* Scripted TCP peers for the protocol fault tests (see scripted.h). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scripted.h"

struct scr_server {
    int lfd;
    scr_serve_fn serve;
    const void *arg;
};

static double
scr_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void *
scr_main(void *arg)
{
    struct scr_server *s = arg;
    struct scr_conn *c = malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
            continue;
        c->fd = fd;
        c->len = 0;
        s->serve(c, s->arg);
        close(fd);
    }
    return NULL;
}

int
scr_server(scr_serve_fn serve, const void *arg)
{
    static struct scr_server servers[8];
    static int nservers;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    struct scr_server *s;
    pthread_t t;
    int one = 1;

    cr_assert(nservers < 8, "too many scripted servers in one test");
    s = &servers[nservers++];
    s->serve = serve;
    s->arg = arg;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(s->lfd >= 0, "socket: %s", strerror(errno));
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: %s", strerror(errno));
    cr_assert(listen(s->lfd, 16) == 0, "listen: %s", strerror(errno));
    cr_assert(getsockname(s->lfd, (struct sockaddr *)&sa, &len) == 0);
    cr_assert_eq(pthread_create(&t, NULL, scr_main, s), 0);
    pthread_detach(t);
    return ntohs(sa.sin_port);
}

int
scr_write(struct scr_conn *c, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads more into c->buf before the deadline end; 1 read, 0 EOF/timeout/full. */
static int
scr_fill(struct scr_conn *c, double end)
{
    for (;;) {
        struct pollfd p = {c->fd, POLLIN, 0};
        int left = (int)(end - scr_now_ms());
        ssize_t n;

        if (left <= 0 || c->len >= sizeof(c->buf))
            return 0;
        if (poll(&p, 1, left) <= 0)
            continue;
        n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        c->len += (size_t)n;
        return 1;
    }
}

void
scr_hold(struct scr_conn *c, int ms)
{
    double end = scr_now_ms() + ms;

    for (;;) {
        c->len = 0;
        if (!scr_fill(c, end))
            return;
    }
}

static void
scr_consume(struct scr_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Parses one complete command at the start of c->buf: its size, 0 when incomplete, -1 bad. */
static long
scr_resp_parse(const struct scr_conn *c, char *name, size_t nlen)
{
    const char *b = (const char *)c->buf, *end = b + c->len, *p = b, *nl;
    long count;

    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        return 0;
    if (*p != '*') {
        size_t w = strcspn(p, " \r\n");

        snprintf(name, nlen, "%.*s", (int)w, p);
        return (long)(nl + 1 - b);
    }
    count = strtol(p + 1, NULL, 10);
    if (count <= 0 || count > 64)
        return -1;
    p = nl + 1;
    for (long i = 0; i < count; i++) {
        long blen;

        if (p >= end)
            return 0;
        if (*p != '$')
            return -1;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return 0;
        blen = strtol(p + 1, NULL, 10);
        if (blen < 0 || blen > 4096)
            return -1;
        p = nl + 1;
        if (end - p < blen + 2)
            return 0;
        if (i == 0)
            snprintf(name, nlen, "%.*s", (int)blen, p);
        p += blen + 2;
    }
    return (long)(p - b);
}

int
scr_resp_command(struct scr_conn *c, char *name, size_t len, int ms)
{
    double end = scr_now_ms() + ms;

    for (;;) {
        long n = scr_resp_parse(c, name, len);

        if (n < 0)
            return -1;
        if (n > 0) {
            scr_consume(c, (size_t)n);
            for (char *q = name; *q != '\0'; q++)
                *q = (char)toupper((unsigned char)*q);
            return 0;
        }
        if (!scr_fill(c, end))
            return -1;
    }
}

int
scr_mysql_packet(struct scr_conn *c, unsigned seq, const void *payload, size_t len)
{
    unsigned char h[4] = {(unsigned char)(len & 0xff), (unsigned char)(len >> 8 & 0xff),
                          (unsigned char)(len >> 16 & 0xff), (unsigned char)seq};

    if (scr_write(c, h, 4) != 0)
        return -1;
    return scr_write(c, payload, len);
}

/* CLIENT_LONG_PASSWORD | FOUND_ROWS | LONG_FLAG | CONNECT_WITH_DB | PROTOCOL_41 |
 * TRANSACTIONS | SECURE_CONNECTION | PLUGIN_AUTH */
#define SCR_CAPS 0x0008a20fUL

/* CLIENT_SSL: the server offers TLS after the greeting. */
#define SCR_CAP_SSL 0x00000800UL

static int
scr_mysql_greeting_caps(struct scr_conn *c, unsigned long caps)
{
    static const char version[] = "8.0.36-fault";
    static const char plugin[] = "mysql_native_password";
    unsigned char b[128];
    size_t n = 0;

    b[n++] = 10;
    memcpy(b + n, version, sizeof(version));
    n += sizeof(version);
    memcpy(b + n, "\x07\x00\x00\x00", 4); /* connection id */
    n += 4;
    memcpy(b + n, "abcdefgh", 8); /* scramble, part 1 */
    n += 8;
    b[n++] = 0;
    b[n++] = caps & 0xff;
    b[n++] = caps >> 8 & 0xff;
    b[n++] = 33;   /* utf8_general_ci */
    b[n++] = 0x02; /* SERVER_STATUS_AUTOCOMMIT */
    b[n++] = 0x00;
    b[n++] = caps >> 16 & 0xff;
    b[n++] = caps >> 24 & 0xff;
    b[n++] = 21; /* length of the scramble + NUL */
    memset(b + n, 0, 10);
    n += 10;
    memcpy(b + n, "ijklmnopqrst", 12); /* scramble, part 2 */
    n += 12;
    b[n++] = 0;
    memcpy(b + n, plugin, sizeof(plugin));
    n += sizeof(plugin);
    return scr_mysql_packet(c, 0, b, n);
}

int
scr_mysql_greeting(struct scr_conn *c)
{
    return scr_mysql_greeting_caps(c, SCR_CAPS);
}

int
scr_mysql_greeting_ssl(struct scr_conn *c)
{
    return scr_mysql_greeting_caps(c, SCR_CAPS | SCR_CAP_SSL);
}

long
scr_mysql_read_packet(struct scr_conn *c, int ms)
{
    double end = scr_now_ms() + ms;

    for (;;) {
        if (c->len >= 4) {
            size_t plen = c->buf[0] | (size_t)c->buf[1] << 8 | (size_t)c->buf[2] << 16;

            if (plen + 4 > sizeof(c->buf))
                return -1;
            if (c->len >= plen + 4) {
                scr_consume(c, plen + 4);
                return (long)plen;
            }
        }
        if (!scr_fill(c, end))
            return -1;
    }
}

/* One length-prefixed PostgreSQL startup-phase packet (no type byte): its code, or -1. */
static long
scr_pg_packet(struct scr_conn *c, double end)
{
    for (;;) {
        if (c->len >= 8) {
            size_t plen = (size_t)c->buf[0] << 24 | (size_t)c->buf[1] << 16 |
                          (size_t)c->buf[2] << 8 | c->buf[3];
            long code =
                (long)c->buf[4] << 24 | (long)c->buf[5] << 16 | (long)c->buf[6] << 8 | c->buf[7];

            if (plen < 8 || plen > sizeof(c->buf))
                return -1;
            if (c->len >= plen) {
                scr_consume(c, plen);
                return code;
            }
        }
        if (!scr_fill(c, end))
            return -1;
    }
}

int
scr_pg_startup(struct scr_conn *c, int ms)
{
    double end = scr_now_ms() + ms;
    long code = scr_pg_packet(c, end);

    if (code == 80877103) { /* SSLRequest: no TLS here */
        if (scr_write(c, "N", 1) != 0)
            return -1;
        code = scr_pg_packet(c, end);
    }
    return code == 196608 ? 0 : -1; /* protocol 3.0 */
}
