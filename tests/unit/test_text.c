/* text: UTF-8, text_clean, text_quote, redact_secret. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "text.h"

/* Criterion runs each parameter in a re-executed process, so parameter structs hold their
 * strings inline rather than as pointers. */

/* ---- UTF-8 ---- */

struct utf8_case {
    char in[8];
    size_t n;
    int valid;
    size_t len;
};

ParameterizedTestParameters(text, utf8_next_classifies_sequences)
{
    static struct utf8_case cases[] = {
        {"a", 1, 1, 1},
        {"\xc2\xa0", 2, 1, 2},
        {"\xe2\x82\xac", 3, 1, 3},
        {"\xed\x9f\xbf", 3, 1, 3},     /* U+D7FF, just below the surrogates */
        {"\xf0\x9f\x98\x80", 4, 1, 4}, /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 1, 4}, /* U+10FFFF */
        {"\x80", 1, 0, 1},             /* lone continuation */
        {"\xc0\x80", 2, 0, 1},         /* overlong NUL */
        {"\xc1\xbf", 2, 0, 1},         /* overlong */
        {"\xe0\x80\x80", 3, 0, 1},     /* overlong */
        {"\xf0\x80\x80\x80", 4, 0, 1}, /* overlong */
        {"\xed\xa0\x80", 3, 0, 1},     /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, 0, 1}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4, 0, 1}, /* no such lead byte */
        {"\xff", 1, 0, 1},
        {"\xe2\x82", 2, 0, 2},  /* truncated by the end */
        {"\xe2\x82x", 3, 0, 2}, /* truncated by the next character */
        {"\xf0\x9f\x98", 3, 0, 3},
    };
    return cr_make_param_array(struct utf8_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct utf8_case *c, text, utf8_next_classifies_sequences)
{
    size_t len = 99;

    cr_assert_eq(utf8_next(c->in, c->n, &len), c->valid, "case %02x", (unsigned char)c->in[0]);
    cr_assert_eq(len, c->len, "case %02x: len %zu", (unsigned char)c->in[0], len);
}

/* ---- text_clean ---- */

struct clean_case {
    char in[48];
    size_t n;
    size_t dstsz;
    char out[48];
};

ParameterizedTestParameters(text, text_clean_makes_text_safe)
{
    static struct clean_case cases[] = {
        {"hello", 5, 64, "hello"},
        {"a\tb\n\nc", 6, 64, "a b c"},
        {"  a  ", 5, 64, "a"},
        {"\r\n", 2, 64, ""},
        {"a\0b", 3, 64, "a b"},
        {"a\xff"
         "b",
         3, 64, "a?b"},
        {"x\xe2\x82", 3, 64, "x?"},
        {"\xc0\x80", 2, 64, "??"},
        {"caf\xc3\xa9 \xe2\x9c\x93", 9, 64, "caf\xc3\xa9 \xe2\x9c\x93"},
        {"x\x1b[31mred", 9, 64, "x [31mred"},
        {"a\xc2\x9b"
         "b",
         4, 64, "a b"},
        {"a\x7f"
         "b",
         3, 64, "a b"},
        {"abc", 3, 4, "abc"},
        {"abcd", 4, 4, "..."},
        {"abcdefghijklmnop", 16, 10, "abcdef..."},
        {"abc defghijklmnop", 17, 9, "abc d..."},
        {"abcd efghij", 11, 9, "abcd..."},
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10, 8, "\xc3\xa9\xc3\xa9..."},
        {"\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93", 9, 8, "\xe2\x9c\x93..."},
        {"abcdef", 6, 3, "ab"},
        {"ab      ", 8, 3, "ab"},
        {"abc", 3, 1, ""},
    };
    return cr_make_param_array(struct clean_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct clean_case *c, text, text_clean_makes_text_safe)
{
    char *dst = malloc(c->dstsz); /* exact size, so ASan sees any overflow */
    size_t len;

    cr_assert_not_null(dst);
    len = text_clean(dst, c->dstsz, c->in, c->n);
    cr_assert_str_eq(dst, c->out);
    cr_assert_eq(len, strlen(dst));
    free(dst);
}

Test(text, text_clean_zero_size_writes_nothing)
{
    char dst[1] = {'Z'};

    cr_assert_eq(text_clean(dst, 0, "abc", 3), 0);
    cr_assert_eq(dst[0], 'Z');
}

/* Random bytes, a fixed seed: whatever comes in, what goes out is short, valid UTF-8 and free
 * of control characters. */
Test(text, text_clean_output_is_always_safe)
{
    unsigned char src[300];
    uint32_t x = 12345;
    size_t i, round, dstsz, len;
    char *dst;

    for (round = 0; round < 2000; round++) {
        for (i = 0; i < sizeof(src); i++) {
            x = x * 1103515245u + 12345u;
            src[i] = (unsigned char)(x >> 16);
        }
        dstsz = 1 + round % 97;
        dst = malloc(dstsz);
        cr_assert_not_null(dst);
        len = text_clean(dst, dstsz, (const char *)src, round % sizeof(src));
        cr_assert_lt(len, dstsz);
        cr_assert_eq(len, strlen(dst));
        cr_assert(oracle_utf8_ok((const unsigned char *)dst, len), "round %zu", round);
        for (i = 0; i < len; i++)
            cr_assert((unsigned char)dst[i] >= 0x20 && dst[i] != 0x7f, "round %zu", round);
        cr_assert(len == 0 || (dst[0] != ' ' && dst[len - 1] != ' '), "round %zu", round);
        cr_assert_null(strstr(dst, "  "), "round %zu", round);
        free(dst);
    }
}

/* ---- redact_secret ---- */

struct redact_case {
    char in[48];
    char secret[16];
    size_t sz;
    char out[48];
};

ParameterizedTestParameters(text, redact_secret_hides_every_occurrence)
{
    static struct redact_case cases[] = {
        {"user:hunter2@h", "hunter2", 48, "user:***@h"},
        {"hunter2 and hunter2", "hunter2", 48, "*** and ***"},
        {"hunter2hunter2", "hunter2", 48, "******"},
        {"no secret here", "hunter2", 48, "no secret here"},
        {"a-a-a", "a", 48, "***-***-***"},
        {"aaa", "aa", 48, "***a"},
        {"xaxax", "a", 8, "x***x**"},
        {"aaaa", "a", 5, "****"},
        {"pw", "pw", 3, "**"},
        {"xpw", "pw", 4, "x**"},
        {"abc", "", 48, "abc"},
    };
    return cr_make_param_array(struct redact_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct redact_case *c, text, redact_secret_hides_every_occurrence)
{
    char *s = malloc(c->sz); /* exact size, so ASan sees any overflow */

    cr_assert_not_null(s);
    snprintf(s, c->sz, "%s", c->in);
    redact_secret(s, c->sz, c->secret);
    cr_assert_str_eq(s, c->out);
    free(s);
}

Test(text, redact_secret_null_secret_changes_nothing)
{
    char s[] = "abc";

    redact_secret(s, sizeof(s), NULL);
    cr_assert_str_eq(s, "abc");
}

/* ---- text_quote ---- */

struct quote_case {
    char in[48];
    size_t n;
    size_t outsz;
    char out[48];
};

ParameterizedTestParameters(text, text_quote_cuts_and_replaces)
{
    static struct quote_case cases[] = {
        {"250ms", 5, QUOTE_MAX + 4, "250ms"},
        {"", 0, QUOTE_MAX + 4, ""},
        /* QUOTE_MAX (40) bytes are shown whole; one more and the quote ends in "..." */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40, QUOTE_MAX + 4,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 41, QUOTE_MAX + 4,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."},
        {"3\x1b[2Js caf\xc3\xa9\x7f", 13, QUOTE_MAX + 4, "3?[2Js caf???"},
        {"abcdef", 3, QUOTE_MAX + 4, "abc"},
        {"ab\0cd", 5, QUOTE_MAX + 4, "ab"},
        {"abcdef", 6, 4, "abc"},
    };
    return cr_make_param_array(struct quote_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct quote_case *c, text, text_quote_cuts_and_replaces)
{
    char *q = malloc(c->outsz); /* exact size, so ASan sees any overflow */

    cr_assert_not_null(q);
    text_quote(q, c->outsz, c->in, c->n);
    cr_assert_str_eq(q, c->out);
    free(q);
}
