/* buf: the growable buffer. */
#include <criterion/criterion.h>

#include <string.h>

#include "buf.h"

Test(buf, buf_starts_empty_and_grows)
{
    struct buf b;
    int i;

    buf_init(&b);
    cr_assert_str_eq(buf_str(&b), "");
    buf_adds(&b, "ab");
    buf_add(&b, "c\0d", 3);
    cr_assert_eq(b.len, 5);
    cr_assert_eq(memcmp(b.p, "abc\0d", 6), 0);
    for (i = 0; i < 1000; i++)
        buf_addf(&b, "%d,", i);
    cr_assert_eq(b.oom, 0);
    cr_assert(strstr(buf_str(&b) + 5, "998,999,"), "tail missing");
    cr_assert_eq(strlen(buf_str(&b) + 5), b.len - 5);
    buf_free(&b);
    cr_assert_null(b.p);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(buf_str(&b), "");
}

Test(buf, buf_addf_formats)
{
    struct buf b;

    buf_init(&b);
    buf_addf(&b, "%s=%d", "x", 42);
    buf_addf(&b, "%s", "");
    cr_assert_str_eq(buf_str(&b), "x=42");
    buf_free(&b);
}
