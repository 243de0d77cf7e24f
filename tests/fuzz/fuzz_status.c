/*
 * libFuzzer target: status_parse() on arbitrary bytes. A PARSE_OK request must say how long it
 * was (0 < len <= input), leave method and path NUL-terminated and keep_alive 0 or 1, and no
 * shorter prefix of it may already parse as a whole request: the server reads a request in
 * pieces, so an early PARSE_OK or PARSE_BAD would cut or refuse a good request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_req(const struct status_req *req, size_t size)
{
    if (req->len == 0 || req->len > size)
        abort();
    if (!memchr(req->method, '\0', sizeof(req->method)) ||
        !memchr(req->path, '\0', sizeof(req->path)))
        abort();
    if (req->keep_alive != 0 && req->keep_alive != 1)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct status_req req;
    char *buf;
    size_t k, step;
    int rc, r;

    buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    memset(&req, 0xAA, sizeof(req));
    rc = status_parse(buf, size, &req);
    if (rc != PARSE_MORE && rc != PARSE_OK && rc != PARSE_BAD && rc != PARSE_TOO_LARGE)
        abort();
    if (rc == PARSE_OK) {
        size_t len;

        check_req(&req, size);
        len = req.len;
        /* Every prefix of a short request, a sample of the prefixes of a long one. */
        step = len > 1024 ? len / 256 : 1;
        for (k = 0; k < len; k += step) {
            char *pre = malloc(k ? k : 1);

            if (!pre)
                break;
            memcpy(pre, buf, k);
            memset(&req, 0xAA, sizeof(req));
            r = status_parse(pre, k, &req);
            free(pre);
            if (r != PARSE_MORE)
                abort();
        }
        /* The request alone, without what followed it, parses the same. */
        memset(&req, 0xAA, sizeof(req));
        if (status_parse(buf, len, &req) != PARSE_OK || req.len != len)
            abort();
    }
    free(buf);
    return 0;
}
