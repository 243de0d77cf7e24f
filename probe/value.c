/* Parsers for user-given values: durations, status sets, names, listen addresses, files. */
#include "value.h"
#include "text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DUR_MAX_MS (24L * 60 * 60 * 1000)
#define NAME_MAX_LEN 64

static int
dur_error(const char *s, const char *what, char *err, size_t errlen)
{
    char q[QUOTE_MAX + 4];

    text_quote(q, sizeof(q), s, strlen(s));
    snprintf(err, errlen, "duration \"%s\" %s", q, what);
    return -1;
}

/*
 * Exact decimal arithmetic (no floating point), so "0.3s" is 300 ms and not 299. A result that
 * is not a whole number of milliseconds ("1.5ms") is refused rather than rounded.
 */
int
dur_parse(const char *s, long *ms, char *err, size_t errlen)
{
    static const char *const bad = "is not valid (use e.g. 250ms, 3s, 1m, 1.5s)";
    unsigned long long whole = 0, frac = 0, scale = 1, unit, total;
    const char *p = s;

    if (!s)
        s = p = "";
    if (!isdigit((unsigned char)*p))
        return dur_error(s, bad, err, errlen);
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > 1000000000000ULL)
            return dur_error(s, "is over 24h", err, errlen);
        whole = whole * 10 + (unsigned long long)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return dur_error(s, bad, err, errlen);
        for (; isdigit((unsigned char)*p); p++) {
            if (scale < 1000000000ULL) {
                frac = frac * 10 + (unsigned long long)(*p - '0');
                scale *= 10;
            } else if (*p != '0') {
                return dur_error(s, "is not a whole number of milliseconds", err, errlen);
            }
        }
    }
    if (strcmp(p, "ms") == 0)
        unit = 1;
    else if (*p == '\0' || strcmp(p, "s") == 0)
        unit = 1000;
    else if (strcmp(p, "m") == 0)
        unit = 60000;
    else
        return dur_error(s, bad, err, errlen);
    if (frac * unit % scale != 0)
        return dur_error(s, "is not a whole number of milliseconds", err, errlen);
    total = whole * unit + frac * unit / scale;
    if (total == 0)
        return dur_error(s, "must be more than 0", err, errlen);
    if (total > (unsigned long long)DUR_MAX_MS)
        return dur_error(s, "is over 24h", err, errlen);
    *ms = (long)total;
    return 0;
}

/* Reads exactly three digits not followed by a fourth. */
static int
status_code(const char **pp, int *code)
{
    const char *p = *pp;
    int i;

    for (i = 0; i < 3; i++)
        if (!isdigit((unsigned char)p[i]))
            return -1;
    if (isdigit((unsigned char)p[3]))
        return -1;
    *code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    *pp = p + 3;
    return 0;
}

/* The set is filled only when the whole text is valid, so a caller's default survives. */
int
status_set_parse(const char *s, struct status_set *set, char *err, size_t errlen)
{
    struct status_set tmp;
    const char *p = s ? s : "";
    char q[QUOTE_MAX + 4];
    int lo, hi;

    text_quote(q, sizeof(q), p, strlen(p));
    tmp.n = 0;
    for (;;) {
        if (status_code(&p, &lo) < 0)
            goto syntax;
        hi = lo;
        if (*p == '-') {
            p++;
            if (status_code(&p, &hi) < 0)
                goto syntax;
        }
        if (lo < 100 || lo > 599 || hi < 100 || hi > 599) {
            snprintf(err, errlen, "status set \"%s\": codes must be 100-599", q);
            return -1;
        }
        if (lo > hi) {
            snprintf(err, errlen, "status set \"%s\": range %d-%d is backwards", q, lo, hi);
            return -1;
        }
        if (tmp.n == STATUS_SET_MAX) {
            snprintf(err, errlen, "status set \"%s\" has more than %d items", q, STATUS_SET_MAX);
            return -1;
        }
        tmp.r[tmp.n].lo = lo;
        tmp.r[tmp.n].hi = hi;
        tmp.n++;
        if (*p == '\0')
            break;
        if (*p != ',')
            goto syntax;
        p++;
    }
    *set = tmp;
    return 0;
syntax:
    snprintf(err, errlen, "bad status set \"%s\" (use e.g. 200, 200-299,304)", q);
    return -1;
}

int
status_set_has(const struct status_set *set, long code)
{
    int i;

    for (i = 0; i < set->n; i++)
        if (code >= set->r[i].lo && code <= set->r[i].hi)
            return 1;
    return 0;
}

/* Items are written in the order they were given; one that does not fit is left out whole. */
void
status_set_format(const struct status_set *set, char *out, size_t outsz)
{
    size_t off = 0;
    int i, w;

    if (outsz == 0)
        return;
    out[0] = '\0';
    for (i = 0; i < set->n; i++) {
        if (set->r[i].lo == set->r[i].hi)
            w = snprintf(out + off, outsz - off, "%s%d", i ? "," : "", set->r[i].lo);
        else
            w = snprintf(out + off, outsz - off, "%s%d-%d", i ? "," : "", set->r[i].lo,
                         set->r[i].hi);
        if (w < 0 || (size_t)w >= outsz - off) {
            out[off] = '\0';
            return;
        }
        off += (size_t)w;
    }
}

int
name_valid(const char *s)
{
    size_t i;

    if (!s)
        return 0;
    for (i = 0; s[i]; i++) {
        if (i == NAME_MAX_LEN)
            return 0;
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return 0;
    }
    return i > 0;
}

int
listen_addr_parse(const char *addr, struct sockaddr_storage *ss, socklen_t *len, char *err,
                  size_t errlen)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    char *end;
    long port;
    size_t hl;

    memset(ss, 0, sizeof(*ss));
    if (colon == NULL) {
        snprintf(err, errlen, "expected HOST:PORT, got \"%.60s\"", addr);
        return -1;
    }
    port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
        snprintf(err, errlen, "bad port in \"%.60s\"", addr);
        return -1;
    }
    hl = (size_t)(colon - addr);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

        if (hl - 2 >= sizeof(host))
            goto bad;
        memcpy(host, addr + 1, hl - 2);
        host[hl - 2] = '\0';
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            goto bad;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;

        if (hl >= sizeof(host))
            goto bad;
        memcpy(host, addr, hl);
        host[hl] = '\0';
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
        if (hl == 0 || strcmp(host, "*") == 0)
            in->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            goto bad;
        return 0;
    }
bad:
    snprintf(err, errlen, "bad address in \"%.60s\" (use 0.0.0.0:8080 or [::]:8080)", addr);
    return -1;
}

int
file_readable(const char *path, char *err, size_t errlen)
{
    struct stat sb;

    if (path[0] == '\0') {
        snprintf(err, errlen, "empty file name");
        return -1;
    }
    if (stat(path, &sb) < 0 || access(path, R_OK) < 0) {
        snprintf(err, errlen, "cannot read \"%.200s\": %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "\"%.200s\" is not a file", path);
        return -1;
    }
    return 0;
}

long
file_read_upto(int fd, char *buf, size_t cap)
{
    size_t len = 0;

    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    return (long)len;
}
