/* http: token characters and header values. */
#include <criterion/criterion.h>

#include <string.h>

#include "http.h"

static int
value_ok(const char *v)
{
    return http_header_value_ok(v, strlen(v));
}

Test(http, header_value_refuses_control_bytes_but_not_tab_or_utf8)
{
    cr_assert(value_ok("a b\tc \xc3\xa9"));
    cr_assert(value_ok(""));
    cr_assert_not(value_ok("a\x01b"));
    cr_assert_not(value_ok("a\x7f"));
    cr_assert_not(value_ok("a\x1b[2J"));
    cr_assert_not(value_ok("a\rb"));
}

Test(http, header_value_is_checked_only_up_to_n)
{
    cr_assert(http_header_value_ok("ok\r\n", 2));
    cr_assert_not(http_header_value_ok("ok\r\n", 3));
    cr_assert_not(http_header_value_ok("a\0b", 3));
}

/* RFC 9110: tchar is any VCHAR but the delimiters "(),/:;<=>?@[\]{}. */
Test(http, token_len_counts_rfc9110_tchars)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~09azAZ";
    static const char delim[] = "\"(),/:;<=>?@[\\]{}";
    char one;

    cr_assert_eq(http_token_len(tchar, strlen(tchar)), strlen(tchar));
    for (int c = 0; c < 256; c++) {
        int want = (c > 0x20 && c < 0x7f && strchr(delim, c) == NULL);

        one = (char)c;
        cr_assert_eq(http_token_len(&one, 1), (size_t)want, "byte 0x%02x", c);
    }
}

Test(http, token_len_stops_at_the_first_other_byte_and_at_n)
{
    cr_assert_eq(http_token_len("GET / HTTP/1.1", 14), 3);
    cr_assert_eq(http_token_len("Content-Type: x", 15), 12);
    cr_assert_eq(http_token_len("abc", 2), 2);
    cr_assert_eq(http_token_len("", 0), 0);
}
