/*
 * HTTP JSON assertions (--expect-json PTR=VALUE, config expect_json:): an RFC 6901 JSON Pointer
 * into the response body, parsed by libjansson, selects a scalar whose JSON form must equal
 * VALUE as text ("healthy" for the string "healthy", 3, true, null).
 */
#ifndef PROBE_JSON_EXPECT_H
#define PROBE_JSON_EXPECT_H

#include <stddef.h>

/* One expectation: the pointer as written, its decoded reference tokens, the wanted text. */
struct json_expect {
    char *ptr;
    char **tokens; /* "~1" and "~0" already turned into '/' and '~' */
    size_t ntokens;
    char *want;
};

/* Checks and splits pointer ptr ("" is the whole document, else "/tok/tok..."). 0, or -1 with
 * err naming the pointer. */
int json_expect_init(struct json_expect *e, const char *ptr, const char *want, char *err,
                     size_t errlen);
/* "PTR=VALUE" (the first '=' ends the pointer), as --expect-json takes it. 0 or -1 with err. */
int json_expect_parse(struct json_expect *e, const char *spec, char *err, size_t errlen);
/* Copies src into dst (deep); 0 or -1 without memory. */
int json_expect_copy(struct json_expect *dst, const struct json_expect *src);
void json_expect_free(struct json_expect *e);
/* Frees n expectations and the array. */
void json_expects_free(struct json_expect *e, size_t n);

/* Parses body[0..len) and checks every expectation in order: 0 when all hold, -1 with msg
 * saying what the first one found ("/status is \"DOWN\", expected UP", "body is not JSON: ..."). */
int json_expects_check(const struct json_expect *e, size_t n, const char *body, size_t len,
                       char *msg, size_t msglen);

#endif
