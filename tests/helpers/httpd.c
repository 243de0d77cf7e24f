/* A tiny HTTP/1.1 server for the integration tests: `httpd PORT [ADDR]` (ADDR 127.0.0.1 or
 * ::1, default 127.0.0.1). One process per connection, so slow answers never hold up others;
 * every answer says `Connection: close`. Prints "ready" once it listens.
 *
 *   /ok        200 "ok"               /health    200 {"status": "healthy"}
 *   /404 /500 /503  that status       /redirect  302 Location: /ok
 *   /unhealthy 503 with a JSON cause   /bigerror  500 with an 8 KiB body starting "FIRST "
 *   /slow?ms=N sleep N ms, 200 "slow" /silent    read, never answer, wait for the client to go
 *   /drip      a status line, then one header byte per second
 *   /big       200 with a 2 MiB body  /headers   200, the request's header lines as the body
 *   /close     close without a word   /garbage   a reply that is not HTTP
 *   anything else 404; methods other than GET and HEAD 405. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 65536
#define BIG_BODY (2 * 1024 * 1024)
/* A connection never lives longer than this, whatever the client does. */
#define CONN_LIFETIME_S 300

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w == -1 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void
respond(int fd, int head, int status, const char *reason, const char *ctype, const char *extra,
        const char *body, size_t len)
{
    char hdr[1024];
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "Connection: close\r\n"
                     "\r\n",
                     status, reason, ctype, len, extra);

    if (write_all(fd, hdr, (size_t)n) == -1)
        return;
    if (!head && len > 0)
        write_all(fd, body, len);
}

static void
respond_text(int fd, int head, int status, const char *reason, const char *body)
{
    respond(fd, head, status, reason, "text/plain", "", body, strlen(body));
}

/* Reads until the end of the request headers; returns their length, 0 on EOF or overflow. */
static size_t
read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;

    while (len + 1 < cap) {
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
            return len;
    }
    return 0;
}

/* Waits until the client closes its side (or the lifetime alarm ends the process). */
static void
drain_until_eof(int fd)
{
    char buf[4096];

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        if (n == 0 || (n == -1 && errno != EINTR))
            return;
    }
}

static long
query_number(const char *query, const char *key)
{
    size_t klen = strlen(key);
    const char *p = query;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=')
            return strtol(p + klen + 1, NULL, 10);
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return 0;
}

static void
serve_big(int fd, int head)
{
    char *body = malloc(BIG_BODY);
    size_t i;

    if (body == NULL) {
        respond_text(fd, head, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    for (i = 0; i < BIG_BODY; i++)
        body[i] = (i % 64 == 63) ? '\n' : 'b';
    respond(fd, head, 200, "OK", "text/plain", "", body, BIG_BODY);
    free(body);
}

static void
serve_drip(int fd)
{
    static const char start[] = "HTTP/1.1 200 OK\r\nX-Drip: ";
    int i;

    if (write_all(fd, start, sizeof(start) - 1) == -1)
        return;
    for (i = 0; i < CONN_LIFETIME_S; i++) {
        sleep_ms(1000);
        if (write_all(fd, "a", 1) == -1)
            return;
    }
}

static void
serve(int fd)
{
    char *req = malloc(REQ_MAX), method[16], target[2048], *path, *query, *headers;
    size_t len;
    int head;

    if (req == NULL)
        return;
    len = read_request(fd, req, REQ_MAX);
    if (len == 0 || sscanf(req, "%15s %2047s", method, target) != 2) {
        if (len > 0)
            respond_text(fd, 0, 400, "Bad Request", "bad request\n");
        free(req);
        return;
    }
    head = strcmp(method, "HEAD") == 0;
    path = target;
    query = strchr(target, '?');
    if (query != NULL)
        *query++ = '\0';
    headers = strstr(req, "\r\n");
    headers = headers != NULL ? headers + 2 : req + len;

    if (!head && strcmp(method, "GET") != 0) {
        respond(fd, 0, 405, "Method Not Allowed", "text/plain", "Allow: GET, HEAD\r\n",
                "method not allowed\n", 19);
    } else if (strcmp(path, "/ok") == 0) {
        respond_text(fd, head, 200, "OK", "ok");
    } else if (strcmp(path, "/health") == 0) {
        static const char body[] = "{\"status\": \"healthy\"}";

        respond(fd, head, 200, "OK", "application/json", "", body, sizeof(body) - 1);
    } else if (strcmp(path, "/404") == 0) {
        respond_text(fd, head, 404, "Not Found", "not found\n");
    } else if (strcmp(path, "/500") == 0) {
        respond_text(fd, head, 500, "Internal Server Error", "internal error\n");
    } else if (strcmp(path, "/503") == 0) {
        respond_text(fd, head, 503, "Service Unavailable", "unavailable\n");
    } else if (strcmp(path, "/unhealthy") == 0) {
        /* Django's health views (django-health-check) answer a failure like this. */
        static const char body[] = "{\"status\": \"unhealthy\", \"error\": \"Error 111 "
                                   "connecting to redis:6379.\tConnection refused.\"}\n";

        respond(fd, head, 503, "Service Unavailable", "application/json", "", body,
                sizeof(body) - 1);
    } else if (strcmp(path, "/bigerror") == 0) {
        static char body[8192];

        memset(body, 'e', sizeof(body));
        memcpy(body, "FIRST ", 6);
        respond(fd, head, 500, "Internal Server Error", "text/plain", "", body, sizeof(body));
    } else if (strcmp(path, "/redirect") == 0) {
        respond(fd, head, 302, "Found", "text/plain", "Location: /ok\r\n", "redirect\n", 9);
    } else if (strcmp(path, "/slow") == 0) {
        long ms = query_number(query, "ms");

        if (ms > 0)
            sleep_ms(ms > 600000 ? 600000 : ms);
        respond_text(fd, head, 200, "OK", "slow");
    } else if (strcmp(path, "/silent") == 0) {
        drain_until_eof(fd);
    } else if (strcmp(path, "/drip") == 0) {
        serve_drip(fd);
    } else if (strcmp(path, "/big") == 0) {
        serve_big(fd, head);
    } else if (strcmp(path, "/headers") == 0) {
        char *end = strstr(headers, "\r\n\r\n");
        size_t n = end != NULL ? (size_t)(end - headers) + 2 : strlen(headers);

        respond(fd, head, 200, "OK", "text/plain", "", headers, n);
    } else if (strcmp(path, "/close") == 0) {
        /* nothing: the connection just closes */
    } else if (strcmp(path, "/garbage") == 0) {
        write_all(fd, "hello there\r\n\r\n", 15);
    } else {
        respond_text(fd, head, 404, "Not Found", "not found\n");
    }
    free(req);
}

int
main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
    int port, lfd, one = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: httpd PORT [127.0.0.1|::1]\n");
        return 2;
    }
    port = atoi(argv[1]);
    memset(&ss, 0, sizeof(ss));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)port);
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1 ||
            !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
            fprintf(stderr, "httpd: %s is not ::1\n", addr);
            return 2;
        }
        sslen = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1 ||
            (ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "httpd: %s is not a loopback address\n", addr);
            return 2;
        }
        sslen = sizeof(*s4);
    }
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    signal(SIGPIPE, SIG_IGN);
    lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd == -1) {
        perror("httpd: socket");
        return 1;
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&ss, sslen) == -1 || listen(lfd, 128) == -1) {
        fprintf(stderr, "httpd: %s port %d: %s\n", addr, port, strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        pid_t pid;
        int fd = accept(lfd, NULL, NULL);

        if (fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            perror("httpd: accept");
            return 1;
        }
        pid = fork();
        if (pid == 0) {
            close(lfd);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            alarm(CONN_LIFETIME_S);
            serve(fd);
            shutdown(fd, SHUT_WR);
            close(fd);
            _exit(0);
        }
        close(fd);
    }
}
