/* json: string escaping gives valid JSON for any bytes. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "oracle.h"

struct json_case {
    char in[16];
    size_t n;
    char out[64];
};

ParameterizedTestParameters(json, escapes_strings)
{
    static struct json_case cases[] = {
        {"hello", 5, "\"hello\""},
        {"", 0, "\"\""},
        {"a\"b", 3, "\"a\\\"b\""},
        {"a\\b", 3, "\"a\\\\b\""},
        {"/", 1, "\"/\""},
        {"\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""},
        {"\x01\x1f", 2, "\"\\u0001\\u001f\""},
        {"\x7f", 1, "\"\\u007f\""},
        {"a\0b", 3, "\"a\\u0000b\""},
        {"\0", 1, "\"\\u0000\""},
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
        {"\xe2\x9c\x93", 3, "\"\xe2\x9c\x93\""},
        {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},
        {"\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\""},
    };
    return cr_make_param_array(struct json_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct json_case *c, json, escapes_strings)
{
    struct buf b;

    buf_init(&b);
    json_add_str(&b, c->in, c->n);
    cr_assert_str_eq(buf_str(&b), c->out);
    buf_free(&b);
}

/* One U+FFFD per maximal invalid subpart, as browsers and Python do. */
ParameterizedTestParameters(json, replaces_invalid_utf8)
{
    static struct json_case cases[] = {
        {"\xff", 1, "\"\\ufffd\""},
        {"\x80", 1, "\"\\ufffd\""},
        {"\x80\x80", 2, "\"\\ufffd\\ufffd\""},
        {"\xc0\x80", 2, "\"\\ufffd\\ufffd\""},
        {"\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\xf8\x88\x80\x80\x80", 5, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"a\xe2\x82", 3, "\"a\\ufffd\""},
        {"\xe2\x82z", 3, "\"\\ufffdz\""},
        {"\xf0\x9f\x98", 3, "\"\\ufffd\""},
        {"\xc3", 1, "\"\\ufffd\""},
        {"ok\xc3\xa9\xff\xc3\xa9", 7, "\"ok\xc3\xa9\\ufffd\xc3\xa9\""},
    };
    return cr_make_param_array(struct json_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct json_case *c, json, replaces_invalid_utf8)
{
    struct buf b;

    buf_init(&b);
    json_add_str(&b, c->in, c->n);
    cr_assert_str_eq(buf_str(&b), c->out);
    buf_free(&b);
}

Test(json, cstr_null_writes_null)
{
    struct buf b;

    buf_init(&b);
    json_add_cstr(&b, NULL);
    cr_assert_str_eq(buf_str(&b), "null");
    buf_free(&b);
}

Test(json, cstr_writes_a_string)
{
    struct buf b;

    buf_init(&b);
    json_add_cstr(&b, "say \"hi\"\n");
    cr_assert_str_eq(buf_str(&b), "\"say \\\"hi\\\"\\n\"");
    buf_free(&b);
}

Test(json, appends_to_what_is_there)
{
    struct buf b;

    buf_init(&b);
    buf_adds(&b, "{\"k\":");
    json_add_str(&b, "v", 1);
    buf_adds(&b, "}");
    cr_assert_str_eq(buf_str(&b), "{\"k\":\"v\"}");
    buf_free(&b);
}

Test(json, null_pointer_with_length_zero_is_empty_string)
{
    struct buf b;

    buf_init(&b);
    json_add_str(&b, NULL, 0);
    cr_assert_str_eq(buf_str(&b), "\"\"");
    buf_free(&b);
}

/*
 * An independent checker of the JSON string grammar (RFC 8259): quotes around, no raw control
 * byte, only the defined escapes, and raw bytes that are valid UTF-8 without surrogates.
 */
static int
json_string_ok(const unsigned char *s, size_t n)
{
    size_t i = 1, k, j;

    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    n--;
    while (i < n) {
        if (s[i] == '"' || s[i] < 0x20)
            return 0;
        if (s[i] == '\\') {
            if (i + 1 >= n)
                return 0;
            if (s[i + 1] == 'u') {
                if (i + 6 > n)
                    return 0;
                for (j = 2; j < 6; j++)
                    if (!strchr("0123456789abcdefABCDEF", s[i + j]) || !s[i + j])
                        return 0;
                i += 6;
            } else if (strchr("\"\\/bfnrt", s[i + 1]) && s[i + 1]) {
                i += 2;
            } else {
                return 0;
            }
            continue;
        }
        k = oracle_utf8_len(s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

Test(json, checker_rejects_what_is_not_json)
{
    cr_assert_not(json_string_ok((const unsigned char *)"\"a\nb\"", 5));
    cr_assert_not(json_string_ok((const unsigned char *)"\"\\x\"", 4));
    cr_assert_not(json_string_ok((const unsigned char *)"\"\xff\"", 3));
    cr_assert_not(json_string_ok((const unsigned char *)"\"\xed\xa0\x80\"", 5));
    cr_assert(json_string_ok((const unsigned char *)"\"\\u00e9\xc3\xa9\"", 10));
}

/* Random bytes with a fixed seed, weighted towards the bytes that matter (controls, quotes,
 * backslashes, UTF-8 lead and continuation bytes). */
Test(json, any_bytes_give_valid_json)
{
    static const unsigned char pick[] = {0x00, 0x01, 0x1f, '"',  '\\', 0x7f, 0x80, 0xbf, 0xc0,
                                         0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 'a'};
    unsigned char src[200];
    uint32_t x = 777;
    size_t i, round;
    struct buf b;

    for (round = 0; round < 3000; round++) {
        for (i = 0; i < sizeof(src); i++) {
            x = x * 1103515245u + 12345u;
            src[i] = (x >> 30) ? (unsigned char)(x >> 16) : pick[(x >> 16) % sizeof(pick)];
        }
        buf_init(&b);
        json_add_str(&b, (const char *)src, round % sizeof(src));
        cr_assert_eq(b.oom, 0);
        cr_assert(json_string_ok((const unsigned char *)b.p, b.len), "round %zu: %s", round, b.p);
        buf_free(&b);
    }
}

Test(json, valid_utf8_survives_unchanged)
{
    const char *s = "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
    struct buf b;

    buf_init(&b);
    json_add_cstr(&b, s);
    cr_assert_eq(b.len, strlen(s) + 2);
    cr_assert_eq(memcmp(b.p + 1, s, strlen(s)), 0);
    buf_free(&b);
}

Test(json, long_string_is_written_whole)
{
    size_t n = 200000, i;
    char *s = malloc(n);
    struct buf b;

    cr_assert_not_null(s);
    for (i = 0; i < n; i++)
        s[i] = (i % 100 == 99) ? '\n' : 'x';
    buf_init(&b);
    json_add_str(&b, s, n);
    cr_assert_eq(b.oom, 0);
    cr_assert_eq(b.len, n + 2 + n / 100);
    free(s);
    buf_free(&b);
}
