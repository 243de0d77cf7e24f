/* Small shared helpers: durations, status sets, growable buffers, text cleaning, time. */
#ifndef PROBE_UTIL_H
#define PROBE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#define PROBE_VERSION "0.1.0"
#define ERRLEN 256

/* A growable byte buffer; on allocation failure it sets oom and drops further writes. */
struct buf {
    char *p;
    size_t len;
    size_t cap;
    int oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminated view of the contents (always valid, "" when empty). */
const char *buf_str(struct buf *b);

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

/*
 * Copies server-sent text for a terminal, log line or JSON: control bytes become a space,
 * invalid UTF-8 becomes '?', runs of spaces fold, leading/trailing space is trimmed, and the
 * result is cut at a UTF-8 boundary to fit dstsz (ending in "..." when cut). Returns the length.
 */
size_t text_clean(char *dst, size_t dstsz, const char *src, size_t n);

/* The UTF-8 sequence at s[0..n): returns 1 when it is valid (no overlong, surrogate or
 * > U+10FFFF) and 0 when not; *len is its length, or the bytes one U+FFFD should replace. */
int utf8_next(const char *s, size_t n, size_t *len);

/* A listen address: "HOST:PORT", "[V6]:PORT", ":PORT" or "*:PORT" (every IPv4 address). On error
 * err names what is wrong and quotes addr; the caller prefixes where it came from. */
int listen_addr_parse(const char *addr, struct sockaddr_storage *ss, socklen_t *len, char *err,
                      size_t errlen);

/* A header value may not end the header line early or smuggle another one: no CR, LF or other
 * control byte (a tab is allowed). Returns 1 when v is fine. */
int header_value_ok(const char *v);

/* Whether path names a readable regular file (a CA bundle); 0, or -1 with the reason in err. */
int file_readable(const char *path, char *err, size_t errlen);

/* Prints "probe: MSG" on stderr as one clean line: MSG may quote user input (a flag's value, a
 * URL, a file name), so control bytes and invalid UTF-8 are replaced as text_clean does. */
void print_error(const char *msg);

/* Monotonic clock in milliseconds (fractional). */
double mono_ms(void);

/* Replaces every occurrence of secret (when non-empty) in the NUL-terminated s by "***", in place.
 */
void redact_secret(char *s, size_t sz, const char *secret);

#endif
