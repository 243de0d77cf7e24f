/* status: the request parser of the status server, table-driven. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "status.h"

struct parse_case {
    char in[256];
    int want;
    char method[16];
    char path[64];
    int keep_alive;
};

ParameterizedTestParameters(status, parses_requests)
{
    static struct parse_case cases[] = {
        {"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", PARSE_OK, "GET", "/health", 1},
        {"HEAD /ready HTTP/1.1\r\n\r\n", PARSE_OK, "HEAD", "/ready", 1},
        {"GET /metrics?x=1 HTTP/1.1\r\n\r\n", PARSE_OK, "GET", "/metrics", 1},
        {"GET / HTTP/1.0\r\n\r\n", PARSE_OK, "GET", "/", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", PARSE_OK, "GET", "/", 1},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", PARSE_OK, "GET", "/", 0},
        {"GET / HTTP/1.1\r\nconnection: Upgrade, CLOSE\r\n\r\n", PARSE_OK, "GET", "/", 0},
        {"GET /live HTTP/1.1\n\n", PARSE_OK, "GET", "/live", 1},
        {"\r\nGET /live HTTP/1.1\r\n\r\n", PARSE_OK, "GET", "/live", 1},
        {"POST /health HTTP/1.1\r\nContent-Length: 0\r\n\r\n", PARSE_OK, "POST", "/health", 1},
        {"GET /health HTTP/1.1\r\nHost: x\r\n", PARSE_MORE, "", "", 0},
        {"GET /hea", PARSE_MORE, "", "", 0},
        {"", PARSE_MORE, "", "", 0},
        {"GET\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET /health\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET health HTTP/1.1\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET http://x/health HTTP/1.1\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET /health HTTP/2.0\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET /health HTTP/1.1 \r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET  /health HTTP/1.1\r\n\r\n", PARSE_BAD, "", "", 0},
        {"G(T /health HTTP/1.1\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET /he\x01lth HTTP/1.1\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", PARSE_BAD, "", "", 0},
        {"POST /ready HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", PARSE_OK, "POST", "/ready", 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", PARSE_OK, "POST", "/", 0},
        {"GET / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", PARSE_BAD, "", "", 0},
        {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", PARSE_BAD, "", "", 0},
    };
    return cr_make_param_array(struct parse_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct parse_case *c, status, parses_requests)
{
    struct status_req req;
    int rc = status_parse(c->in, strlen(c->in), &req);

    cr_assert_eq(rc, c->want, "\"%s\": got %d, want %d", c->in, rc, c->want);
    if (rc != PARSE_OK)
        return;
    cr_assert_str_eq(req.method, c->method);
    cr_assert_str_eq(req.path, c->path);
    cr_assert_eq(req.keep_alive, c->keep_alive, "keep-alive of \"%s\"", c->in);
}

Test(status, request_length_counts_only_the_first_of_pipelined_requests)
{
    const char *two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    struct status_req req;

    cr_assert_eq(status_parse(two, strlen(two), &req), PARSE_OK);
    cr_assert_str_eq(req.path, "/a");
    cr_assert_eq(req.len, strlen("GET /a HTTP/1.1\r\n\r\n"));
    cr_assert_eq(status_parse(two + req.len, strlen(two) - req.len, &req), PARSE_OK);
    cr_assert_str_eq(req.path, "/b");
}

Test(status, headers_over_8k_are_too_large)
{
    static char big[STATUS_MAX_REQUEST + 64];
    struct status_req req;
    size_t n = 0;

    n += (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX-Pad: ");
    memset(big + n, 'a', sizeof(big) - n - 1);
    cr_assert_eq(status_parse(big, STATUS_MAX_REQUEST, &req), PARSE_TOO_LARGE);
    cr_assert_eq(status_parse(big, sizeof(big) - 1, &req), PARSE_TOO_LARGE);
    /* a complete request just under the cap is fine */
    memcpy(big + STATUS_MAX_REQUEST - 6, "\r\n\r\n", 4);
    cr_assert_eq(status_parse(big, STATUS_MAX_REQUEST - 2, &req), PARSE_OK);
}

Test(status, a_long_target_leaves_an_empty_path)
{
    static char req_line[1024];
    struct status_req req;

    memset(req_line, 'a', sizeof(req_line));
    memcpy(req_line, "GET /", 5);
    memcpy(req_line + 600, " HTTP/1.1\r\n\r\n", 14);
    req_line[614] = '\0';
    cr_assert_eq(status_parse(req_line, strlen(req_line), &req), PARSE_OK);
    cr_assert_str_eq(req.path, "");
}

Test(status, nul_byte_is_bad)
{
    const char r[] = "GET /x\0y HTTP/1.1\r\n\r\n";
    struct status_req req;

    cr_assert_eq(status_parse(r, sizeof(r) - 1, &req), PARSE_BAD);
}
