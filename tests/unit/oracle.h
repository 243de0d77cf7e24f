/* Test-side oracles: written apart from the code under test, so the tests do not judge a
 * function with itself. */
#ifndef PROBE_TESTS_ORACLE_H
#define PROBE_TESTS_ORACLE_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at s[0..n) (no overlong, surrogate, > U+10FFFF),
 * or 0 when there is none. */
size_t oracle_utf8_len(const unsigned char *s, size_t n);
/* 1 when all of s[0..n) is valid UTF-8. */
int oracle_utf8_ok(const unsigned char *s, size_t n);

#endif
