/* json_expect: JSON Pointer parsing (RFC 6901) and checking a body against expectations. */
#include <criterion/criterion.h>

#include <string.h>

#include "json_expect.h"
#include "text.h"

static void
parses(const char *spec, const char *ptr, const char *want, size_t ntokens)
{
    struct json_expect e;
    char err[ERRLEN] = "";

    cr_assert_eq(json_expect_parse(&e, spec, err, sizeof(err)), 0, "%s: %s", spec, err);
    cr_assert_str_eq(e.ptr, ptr);
    cr_assert_str_eq(e.want, want);
    cr_assert_eq(e.ntokens, ntokens, "%s: %zu tokens", spec, e.ntokens);
    json_expect_free(&e);
}

static void
rejects(const char *spec, const char *msg)
{
    struct json_expect e;
    char err[ERRLEN] = "";

    cr_assert_eq(json_expect_parse(&e, spec, err, sizeof(err)), -1, "%s accepted", spec);
    cr_assert_str_eq(err, msg, "%s", spec);
    cr_assert_null(e.ptr);
    cr_assert_null(e.tokens);
}

Test(json_expect, pointers_parse)
{
    parses("/status=UP", "/status", "UP", 1);
    parses("/components/db/status=UP", "/components/db/status", "UP", 3);
    parses("/items/0=", "/items/0", "", 2);
    parses("/a=b=c", "/a", "b=c", 1);
    parses("=x", "", "x", 0);
    parses("/=x", "/", "x", 1);
    parses("//=x", "//", "x", 2);
}

Test(json_expect, escapes_decode)
{
    struct json_expect e;
    char err[ERRLEN];

    cr_assert_eq(json_expect_parse(&e, "/a~1b/m~0n/~01=v", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(e.ntokens, 3);
    cr_assert_str_eq(e.tokens[0], "a/b");
    cr_assert_str_eq(e.tokens[1], "m~n");
    cr_assert_str_eq(e.tokens[2], "~1", "~01 is ~ then 1, not /");
    json_expect_free(&e);
}

Test(json_expect, bad_pointers_rejected)
{
    rejects("status=UP", "bad JSON pointer \"status\": must start with \"/\"");
    rejects("/status", "expected POINTER=VALUE, got \"/status\"");
    rejects("", "expected POINTER=VALUE, got \"\"");
    rejects("/a~2=x", "bad JSON pointer \"/a~2\": \"~\" must be followed by 0 or 1");
    rejects("/a~=x", "bad JSON pointer \"/a~\": \"~\" must be followed by 0 or 1");
}

static int
check(const char *spec, const char *body, char *msg, size_t len)
{
    struct json_expect e;
    char err[ERRLEN];
    int rc;

    cr_assert_eq(json_expect_parse(&e, spec, err, sizeof(err)), 0, "%s", err);
    msg[0] = '\0';
    rc = json_expects_check(&e, 1, body, strlen(body), msg, len);
    json_expect_free(&e);
    return rc;
}

Test(json_expect, scalar_forms)
{
    static const char doc[] = "{\"s\": \"UP\", \"i\": 3, \"r\": 0.1, \"t\": true, \"f\": false,"
                              " \"n\": null, \"e\": \"\", \"big\": 12345678901234, \"x\": 1e2,"
                              " \"arr\": [10, [20, 30]]}";
    char msg[ERRLEN];

    cr_assert_eq(check("/s=UP", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/i=3", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/r=0.1", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/t=true", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/f=false", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/n=null", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/e=", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/big=12345678901234", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/x=100", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/arr/1/0=20", doc, msg, sizeof(msg)), 0, "%s", msg);
}

Test(json_expect, failure_messages)
{
    static const char doc[] = "{\"s\": \"DOWN\", \"i\": 3, \"o\": {}, \"a\": [], \"n\": null,"
                              " \"q\": \"a\\\"b\\nc\"}";
    char msg[ERRLEN];

    cr_assert_eq(check("/s=UP", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/s is \"DOWN\", expected UP");
    cr_assert_eq(check("/i=4", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/i is 3, expected 4");
    cr_assert_eq(check("/o=x", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/o is an object, expected x");
    cr_assert_eq(check("/a=x", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/a is an array, expected x");
    cr_assert_eq(check("/n=UP", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/n is null, expected UP");
    cr_assert_eq(check("/zz=UP", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/zz is missing, expected UP");
    cr_assert_eq(check("/s/x=UP", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/s/x is missing, expected UP");
    cr_assert_eq(check("/q=x", doc, msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "/q is \"a\\\"b\\nc\", expected x");
    cr_assert_eq(check("/s=UP", "{\"s\": ", msg, sizeof(msg)), -1);
    cr_assert(strncmp(msg, "body is not JSON: ", 18) == 0, "%s", msg);
    cr_assert_eq(check("/s=UP", "", msg, sizeof(msg)), -1);
    cr_assert(strncmp(msg, "body is not JSON: ", 18) == 0, "%s", msg);
}

Test(json_expect, array_indexes)
{
    static const char doc[] = "[\"a\", \"b\"]";
    char msg[ERRLEN];

    cr_assert_eq(check("/1=b", doc, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(check("/2=c", doc, msg, sizeof(msg)), -1);
    cr_assert_eq(check("/-=c", doc, msg, sizeof(msg)), -1);
    cr_assert_eq(check("/01=b", doc, msg, sizeof(msg)), -1);
    cr_assert_eq(check("/+1=b", doc, msg, sizeof(msg)), -1);
    cr_assert_eq(check("/99999999999999999999999=b", doc, msg, sizeof(msg)), -1);
    cr_assert_eq(check("=x", "\"x\"", msg, sizeof(msg)), 0, "%s", msg);
}

Test(json_expect, copy_is_deep)
{
    struct json_expect a, b;
    char err[ERRLEN];

    cr_assert_eq(json_expect_parse(&a, "/x~1y/0=1", err, sizeof(err)), 0);
    cr_assert_eq(json_expect_copy(&b, &a), 0);
    json_expect_free(&a);
    cr_assert_str_eq(b.ptr, "/x~1y/0");
    cr_assert_str_eq(b.tokens[0], "x/y");
    cr_assert_str_eq(b.want, "1");
    json_expect_free(&b);
}
