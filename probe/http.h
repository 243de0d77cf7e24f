/* HTTP syntax shared by the flags, the config and the status server: tokens and header fields. */
#ifndef PROBE_HTTP_H
#define PROBE_HTTP_H

#include <stddef.h>

/* One "Name: value" header a check sends, from --header or the config's headers mapping. */
struct http_header {
    char *name;
    char *value;
};

/* Frees the n headers' names and values (either may be NULL) and the array itself. */
void http_headers_free(struct http_header *h, size_t n);

/* How many bytes at the start of s[0..n) are RFC 9110 token characters (tchar): what a method
 * and a header name are made of. A name is valid when it is non-empty and all token. */
size_t http_token_len(const char *s, size_t n);

/* A header value may not end the header line early or smuggle another one: no CR, LF or other
 * control byte (a tab is allowed) in v[0..n). Returns 1 when v is fine. */
int http_header_value_ok(const char *v, size_t n);

#endif
