/*
 * Parsers for the values a user gives in a flag, the environment or the config: durations,
 * HTTP status sets, check names, listen addresses and file names. Each fills a caller-owned
 * error buffer that quotes the bad input.
 */
#ifndef PROBE_VALUE_H
#define PROBE_VALUE_H

#include <stddef.h>
#include <sys/socket.h>

/* "250ms", "3s", "1m", "1.5s", bare number = seconds. > 0 and <= 24h. 0 / -1 + err. */
int dur_parse(const char *s, long *ms, char *err, size_t errlen);

/* HTTP status sets such as "200", "200-299,304". Codes 100-599. */
#define STATUS_SET_MAX 32
struct status_set {
    int n;
    struct {
        int lo;
        int hi;
    } r[STATUS_SET_MAX];
};
int status_set_parse(const char *s, struct status_set *set, char *err, size_t errlen);
int status_set_has(const struct status_set *set, long code);
/* Writes the canonical form ("200-299,304") into out. */
void status_set_format(const struct status_set *set, char *out, size_t outsz);

/* Check names: [A-Za-z0-9_.-]{1,64}. Returns 1 when valid. */
int name_valid(const char *s);

/* A listen address: "HOST:PORT", "[V6]:PORT", ":PORT" or "*:PORT" (every IPv4 address). On error
 * err names what is wrong and quotes addr; the caller prefixes where it came from. */
int listen_addr_parse(const char *addr, struct sockaddr_storage *ss, socklen_t *len, char *err,
                      size_t errlen);

/* Whether path names a readable regular file (a CA bundle); 0, or -1 with the reason in err. */
int file_readable(const char *path, char *err, size_t errlen);
/* Reads fd until end of file or until cap bytes are in buf (a caller that wants to refuse a
 * file over N bytes passes N + 1); the count, or -1 with errno. */
long file_read_upto(int fd, char *buf, size_t cap);

#endif
