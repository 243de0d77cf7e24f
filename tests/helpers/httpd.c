/* A tiny HTTP/1.1 server for the integration tests: `httpd PORT [ADDR [SOCKET]]` (ADDR
 * 127.0.0.1 or ::1, default 127.0.0.1; SOCKET: the same answers on that unix socket path too,
 * as gunicorn gives them). One process per connection, so slow answers never hold up others;
 * every answer says `Connection: close`. Prints "ready" once it listens.
 *
 *   /ok        200 "ok"               /health    200 {"status": "healthy"}
 *   /404 /500 /503  that status       /redirect  302 Location: /ok
 *   /unhealthy 503 with a JSON cause   /bigerror  500 with an 8 KiB body starting "FIRST "
 *   /slow?ms=N sleep N ms, 200 "slow" /silent    read, never answer, wait for the client to go
 *   /drip      a status line, then one header byte per second
 *   /big       200 with a 2 MiB body  /headers   200, the request's header lines as the body
 *   /close     close without a word   /garbage   a reply that is not HTTP
 *   /json/NAME 200 with a JSON body: django django-unhealthy spring spring-down array
 *              escapes invalid long big (over 1 MiB), for --expect-json
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
#include <sys/un.h>
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

/* A big JSON document: the pointer's member comes after 1.5 MiB of padding. */
static void
serve_json_big(int fd, int head)
{
    static const char start[] = "{\"pad\": \"", end[] = "\", \"status\": \"UP\"}";
    size_t pad = 3 * 512 * 1024, n = sizeof(start) - 1 + pad + sizeof(end) - 1;
    char *body = malloc(n);

    if (body == NULL) {
        respond_text(fd, head, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    memcpy(body, start, sizeof(start) - 1);
    memset(body + sizeof(start) - 1, 'p', pad);
    memcpy(body + sizeof(start) - 1 + pad, end, sizeof(end) - 1);
    respond(fd, head, 200, "OK", "application/json", "", body, n);
    free(body);
}

/* The health documents --expect-json is tested against, by name; NULL when unknown. */
static const char *
json_body(const char *name)
{
    static const struct {
        const char *name, *body;
    } docs[] = {
        {"django", "{\"status\": \"healthy\", \"checks\": {\"db\": \"working\", "
                   "\"cache\": \"working\"}}"},
        {"django-unhealthy", "{\"status\": \"unhealthy\", \"checks\": {\"db\": \"working\", "
                             "\"cache\": \"Error 111\\nconnecting\"}}"},
        {"spring", "{\"status\":\"UP\",\"components\":{\"db\":{\"status\":\"UP\"}}}"},
        {"spring-down", "{\"status\":\"DOWN\",\"components\":{\"db\":{\"status\":\"DOWN\"}}}"},
        {"array", "{\"items\": [{\"name\": \"a\", \"ok\": true}, {\"name\": \"b\", "
                  "\"ok\": false}], \"count\": 3, \"ratio\": 0.1, \"none\": null, "
                  "\"neg\": -2.5e3}"},
        {"escapes", "{\"a/b\": \"slash\", \"m~n\": \"tilde\", \"\": \"empty\"}"},
        {"invalid", "{\"status\": \"UP\", "},
        {"long", "{\"status\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxEND\"}"},
    };

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        if (strcmp(docs[i].name, name) == 0)
            return docs[i].body;
    }
    return NULL;
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
    } else if (strcmp(path, "/json/big") == 0) {
        serve_json_big(fd, head);
    } else if (strncmp(path, "/json/", 6) == 0 && json_body(path + 6) != NULL) {
        const char *body = json_body(path + 6);

        respond(fd, head, 200, "OK", "application/json", "", body, strlen(body));
    } else {
        respond_text(fd, head, 404, "Not Found", "not found\n");
    }
    free(req);
}

/* Serves every connection of lfd in its own process; never returns. */
static void __attribute__((noreturn)) accept_loop(int lfd)
{
    for (;;) {
        pid_t pid;
        int fd = accept(lfd, NULL, NULL);

        if (fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            perror("httpd: accept");
            exit(1);
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

/* A listening unix socket at path (an old one there is replaced). */
static int
unix_listen(const char *path, int *out)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        fprintf(stderr, "httpd: %s: path too long\n", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path));
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(fd, 128) == -1) {
        fprintf(stderr, "httpd: %s: %s\n", path, strerror(errno));
        return -1;
    }
    *out = fd;
    return 0;
}

int
main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
    int port, lfd, ufd = -1, one = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: httpd PORT [127.0.0.1|::1 [SOCKET]]\n");
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
    if (argc > 3 && unix_listen(argv[3], &ufd) == -1)
        return 1;
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    if (ufd != -1 && fork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(lfd);
        accept_loop(ufd);
    }
    printf("ready\n");
    fflush(stdout);
    accept_loop(lfd);
}
