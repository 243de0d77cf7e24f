/*
 * Text that reaches a person: UTF-8 decoding, cleaning server-sent text, quoting user input in
 * an error, hiding a secret, and the one way an error line is printed.
 */
#ifndef PROBE_TEXT_H
#define PROBE_TEXT_H

#include <stddef.h>

/* The size of the caller-owned buffer that a function returning -1 fills with the reason. */
#define ERRLEN 256

/* How much of a user's input an error message quotes; a quote buffer is QUOTE_MAX + 4 bytes. */
#define QUOTE_MAX 40

/* The UTF-8 sequence at s[0..n): returns 1 when it is valid (no overlong, surrogate or
 * > U+10FFFF) and 0 when not; *len is its length, or the bytes one U+FFFD should replace. */
int utf8_next(const char *s, size_t n, size_t *len);

/*
 * Copies server-sent text for a terminal, log line or JSON: control bytes become a space,
 * invalid UTF-8 becomes '?', runs of spaces fold, leading/trailing space is trimmed, and the
 * result is cut at a UTF-8 boundary to fit dstsz (ending in "..." when cut). Returns the length.
 */
size_t text_clean(char *dst, size_t dstsz, const char *src, size_t n);

/* Copies s[0..n) (stopping at a NUL) into out for quoting in an error message: at most
 * QUOTE_MAX bytes, then "...", and every byte that is not printable ASCII becomes '?'. */
void text_quote(char *out, size_t outsz, const char *s, size_t n);

/* Replaces every occurrence of secret (when non-empty) in the NUL-terminated s by "***", in place.
 */
void redact_secret(char *s, size_t sz, const char *secret);

/* Prints "probe: MSG" on stderr as one clean line: MSG may quote user input (a flag's value, a
 * URL, a file name), so control bytes and invalid UTF-8 are replaced as text_clean does. */
void print_error(const char *msg);

/* Writes the formatted message into the caller's err buffer and returns -1: the one way a
 * parser reports what is wrong. */
int text_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
