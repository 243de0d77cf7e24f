/* The status server: a small HTTP/1.1 server on the loop that only answers from memory. */
#ifndef PROBE_STATUS_H
#define PROBE_STATUS_H

#include <ev.h>
#include <stddef.h>

#include "buf.h"

#define STATUS_MAX_REQUEST 8192 /* request line + headers; more is 431 */
#define STATUS_MAX_CONNS 256
#define STATUS_REQUEST_SECONDS 5.0 /* a request must be complete this long after the last one */

enum status_parse_result {
    PARSE_MORE = 0,       /* not complete yet */
    PARSE_OK = 1,         /* one request, req->len bytes long */
    PARSE_BAD = -1,       /* malformed: 400 */
    PARSE_TOO_LARGE = -2, /* headers over STATUS_MAX_REQUEST: 431 */
};

struct status_req {
    char method[16];
    char path[256]; /* without the query string; "" when the target was longer */
    int http_minor; /* HTTP/1.0 or HTTP/1.1 */
    int keep_alive;
    int has_body; /* Content-Length > 0 or Transfer-Encoding: answered, then closed */
    size_t len;   /* bytes the request took */
};

/* Parses one request at the start of buf[0..len). Pure: no I/O, no allocation. */
int status_parse(const char *buf, size_t len, struct status_req *req);

struct status_resp {
    int code;
    const char *content_type;
    const char *extra_headers; /* "Name: value\r\n" lines, or NULL */
    struct buf body;
};

/* Fills resp (code, type, body) for req; called on the loop, must not block. */
typedef void status_handler_fn(void *ctx, const struct status_req *req, struct status_resp *resp);

struct status_server;

/* Listens on addr ("0.0.0.0:8080", "[::]:8080", "127.0.0.1:9000"). NULL with err. */
struct status_server *status_listen(struct ev_loop *loop, const char *addr,
                                    status_handler_fn *handler, void *ctx, char *err,
                                    size_t errlen);
/* The address actually bound ("127.0.0.1:34567" when asked for port 0). */
void status_local_addr(const struct status_server *srv, char *out, size_t outsz);
/* Stops listening and closes every connection. */
void status_close(struct status_server *srv);

#endif
