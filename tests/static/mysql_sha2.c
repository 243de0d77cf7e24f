/*
 * mysql_sha2 USER PASSWORD [--switch]
 *
 * The smallest MySQL 8 server that proves a client speaks caching_sha2_password: it listens
 * on a free 127.0.0.1 port (printed on stdout as "PORT\n"), greets each connection (one at a
 * time) with a fresh 20-byte nonce and accepts USER only with the SHA-256 scramble of
 * PASSWORD (the "fast auth" path: 0x01 0x03, then OK); anything else gets MySQL's 1045. After
 * that it answers COM_PING with OK and ends at COM_QUIT. With --switch the greeting names
 * mysql_native_password and the server then asks the client to switch to
 * caching_sha2_password, as a MySQL 8 server does for an account that uses it.
 *
 * MariaDB, the only server Debian ships, never offers caching_sha2_password; this stands in
 * for MySQL 8 in tests/static/run.sh. Not a server for anything else: no TLS, no RSA
 * exchange, no queries.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NONCE_LEN 20
#define SHA2_PLUGIN "caching_sha2_password"
#define NATIVE_PLUGIN "mysql_native_password"

/* Client capability bits the response parser needs. */
#define CLIENT_CONNECT_WITH_DB 0x00000008u
#define CLIENT_PROTOCOL_41 0x00000200u
#define CLIENT_SECURE_CONNECTION 0x00008000u
#define CLIENT_PLUGIN_AUTH 0x00080000u
#define CLIENT_PLUGIN_AUTH_LENENC_DATA 0x00200000u
/* LONG_PASSWORD FOUND_ROWS LONG_FLAG CONNECT_WITH_DB PROTOCOL_41 TRANSACTIONS
 * SECURE_CONNECTION MULTI_STATEMENTS MULTI_RESULTS PLUGIN_AUTH PLUGIN_AUTH_LENENC_DATA */
#define SERVER_CAPS 0x002ba20fu

struct conn {
    int fd;
    unsigned char seq;
};

static int
read_full(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);

        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* One packet: 3-byte length, sequence number, payload. Returns the payload length or -1. */
static long
packet_read(struct conn *c, unsigned char *buf, size_t cap)
{
    unsigned char hdr[4];
    size_t len;

    if (read_full(c->fd, hdr, 4) == -1)
        return -1;
    len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16;
    if (len > cap || read_full(c->fd, buf, len) == -1)
        return -1;
    c->seq = (unsigned char)(hdr[3] + 1);
    return (long)len;
}

static int
packet_write(struct conn *c, const unsigned char *payload, size_t len)
{
    unsigned char buf[512];

    if (len + 4 > sizeof(buf))
        return -1;
    buf[0] = (unsigned char)(len & 0xff);
    buf[1] = (unsigned char)(len >> 8 & 0xff);
    buf[2] = (unsigned char)(len >> 16 & 0xff);
    buf[3] = c->seq++;
    memcpy(buf + 4, payload, len);
    return write(c->fd, buf, len + 4) == (ssize_t)(len + 4) ? 0 : -1;
}

static int
send_ok(struct conn *c)
{
    /* OK, 0 rows, no insert id, SERVER_STATUS_AUTOCOMMIT, no warnings */
    static const unsigned char ok[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};

    return packet_write(c, ok, sizeof(ok));
}

static int
send_err(struct conn *c, unsigned int code, const char *state, const char *msg)
{
    unsigned char buf[300];
    size_t n = strlen(msg);

    if (n > sizeof(buf) - 9)
        n = sizeof(buf) - 9;
    buf[0] = 0xff;
    buf[1] = (unsigned char)(code & 0xff);
    buf[2] = (unsigned char)(code >> 8);
    buf[3] = '#';
    memcpy(buf + 4, state, 5);
    memcpy(buf + 9, msg, n);
    return packet_write(c, buf, n + 9);
}

static void
sha256(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
       unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int outlen = 32;

    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, a, alen);
    if (b != NULL)
        EVP_DigestUpdate(ctx, b, blen);
    EVP_DigestFinal_ex(ctx, out, &outlen);
    EVP_MD_CTX_free(ctx);
}

/* XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)), nonce)); an empty password sends nothing. */
static int
scramble_ok(const char *password, const unsigned char *nonce, const unsigned char *resp,
            size_t resp_len)
{
    unsigned char d1[32], d2[32], d3[32];

    if (password[0] == '\0')
        return resp_len == 0;
    if (resp_len != 32)
        return 0;
    sha256((const unsigned char *)password, strlen(password), NULL, 0, d1);
    sha256(d1, 32, NULL, 0, d2);
    sha256(d2, 32, nonce, NONCE_LEN, d3);
    for (size_t i = 0; i < 32; i++)
        if ((unsigned char)(d1[i] ^ d3[i]) != resp[i])
            return 0;
    return 1;
}

static int
send_greeting(struct conn *c, const unsigned char *nonce, const char *plugin)
{
    unsigned char buf[256];
    size_t n = 0;
    static const char version[] = "8.0.36-probe-test";

    buf[n++] = 10;
    memcpy(buf + n, version, sizeof(version));
    n += sizeof(version);
    memcpy(buf + n, "\x01\x00\x00\x00", 4); /* connection id */
    n += 4;
    memcpy(buf + n, nonce, 8);
    n += 8;
    buf[n++] = 0;
    buf[n++] = SERVER_CAPS & 0xff;
    buf[n++] = SERVER_CAPS >> 8 & 0xff;
    buf[n++] = 45; /* utf8mb4_general_ci */
    buf[n++] = 0x02;
    buf[n++] = 0x00;
    buf[n++] = SERVER_CAPS >> 16 & 0xff;
    buf[n++] = SERVER_CAPS >> 24 & 0xff;
    buf[n++] = NONCE_LEN + 1;
    memset(buf + n, 0, 10);
    n += 10;
    memcpy(buf + n, nonce + 8, NONCE_LEN - 8);
    n += NONCE_LEN - 8;
    buf[n++] = 0;
    memcpy(buf + n, plugin, strlen(plugin) + 1);
    n += strlen(plugin) + 1;
    return packet_write(c, buf, n);
}

/* Fields of a HandshakeResponse41 that matter here. */
struct response {
    char user[64];
    const unsigned char *auth;
    size_t auth_len;
    char plugin[64];
};

static int
parse_response(const unsigned char *p, size_t len, struct response *r)
{
    const unsigned char *end = p + len, *s;
    unsigned long caps;

    memset(r, 0, sizeof(*r));
    if (len < 32)
        return -1;
    caps = (unsigned long)p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 |
           (unsigned long)p[3] << 24;
    if (!(caps & CLIENT_PROTOCOL_41))
        return -1;
    p += 32;
    s = memchr(p, 0, (size_t)(end - p));
    if (s == NULL || (size_t)(s - p) >= sizeof(r->user))
        return -1;
    memcpy(r->user, p, (size_t)(s - p));
    p = s + 1;
    if (p >= end)
        return -1;
    if (caps & (CLIENT_PLUGIN_AUTH_LENENC_DATA | CLIENT_SECURE_CONNECTION)) {
        if (*p >= 0xfb)
            return -1; /* a response over 250 bytes is not a scramble */
        r->auth_len = *p++;
    } else {
        s = memchr(p, 0, (size_t)(end - p));
        if (s == NULL)
            return -1;
        r->auth_len = (size_t)(s - p);
    }
    if (r->auth_len > (size_t)(end - p))
        return -1;
    r->auth = p;
    p += r->auth_len;
    if (!(caps & (CLIENT_PLUGIN_AUTH_LENENC_DATA | CLIENT_SECURE_CONNECTION)) && p < end)
        p++;
    if ((caps & CLIENT_CONNECT_WITH_DB) && p < end) {
        s = memchr(p, 0, (size_t)(end - p));
        p = s != NULL ? s + 1 : end;
    }
    if ((caps & CLIENT_PLUGIN_AUTH) && p < end) {
        s = memchr(p, 0, (size_t)(end - p));
        if (s != NULL && (size_t)(s - p) < sizeof(r->plugin))
            memcpy(r->plugin, p, (size_t)(s - p));
    }
    return 0;
}

static void
serve(int fd, const char *user, const char *password, int do_switch)
{
    struct conn c = {fd, 0};
    unsigned char nonce[NONCE_LEN], buf[4096], sw[64];
    const unsigned char *auth;
    size_t auth_len;
    struct response r;
    long n;
    char msg[200];

    RAND_bytes(nonce, sizeof(nonce));
    for (size_t i = 0; i < sizeof(nonce); i++)
        nonce[i] = (unsigned char)(0x21 + nonce[i] % 0x5e); /* printable, never 0 */
    if (send_greeting(&c, nonce, do_switch ? NATIVE_PLUGIN : SHA2_PLUGIN) == -1)
        return;
    n = packet_read(&c, buf, sizeof(buf));
    if (n < 0 || parse_response(buf, (size_t)n, &r) == -1)
        return;
    auth = r.auth;
    auth_len = r.auth_len;
    if (strcmp(r.plugin, SHA2_PLUGIN) != 0) {
        /* Auth switch: 0xfe, plugin name, nonce, NUL; the answer is the bare scramble. */
        sw[0] = 0xfe;
        memcpy(sw + 1, SHA2_PLUGIN, sizeof(SHA2_PLUGIN));
        memcpy(sw + 1 + sizeof(SHA2_PLUGIN), nonce, NONCE_LEN);
        sw[1 + sizeof(SHA2_PLUGIN) + NONCE_LEN] = 0;
        if (packet_write(&c, sw, 2 + sizeof(SHA2_PLUGIN) + NONCE_LEN) == -1)
            return;
        n = packet_read(&c, buf, sizeof(buf));
        if (n < 0)
            return;
        auth = buf;
        auth_len = (size_t)n;
    }
    if (strcmp(r.user, user) != 0 || !scramble_ok(password, nonce, auth, auth_len)) {
        snprintf(msg, sizeof(msg), "Access denied for user '%s'@'127.0.0.1' (using password: %s)",
                 r.user, auth_len > 0 ? "YES" : "NO");
        send_err(&c, 1045, "28000", msg);
        return;
    }
    if (auth_len > 0 && packet_write(&c, (const unsigned char *)"\x01\x03", 2) == -1)
        return;
    if (send_ok(&c) == -1)
        return;
    for (;;) {
        c.seq = 0;
        n = packet_read(&c, buf, sizeof(buf));
        if (n < 1 || buf[0] == 0x01) /* COM_QUIT */
            return;
        if (buf[0] == 0x0e) /* COM_PING */
            send_ok(&c);
        else
            send_err(&c, 1047, "08S01", "Unknown command");
    }
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    struct timeval tv = {5, 0};
    int lfd, one = 1;

    if (argc < 3 || (argc == 4 && strcmp(argv[3], "--switch") != 0) || argc > 4) {
        fprintf(stderr, "usage: %s USER PASSWORD [--switch]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lfd == -1 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(lfd, 16) == -1 ||
        getsockname(lfd, (struct sockaddr *)&sa, &salen) == -1) {
        perror("mysql_sha2: listen");
        return 1;
    }
    printf("%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd == -1)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        serve(fd, argv[1], argv[2], argc == 4);
        close(fd);
    }
}
