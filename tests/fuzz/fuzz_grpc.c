/*
 * libFuzzer target: the gRPC wire unit (probe/grpc_wire.c) on arbitrary bytes, copied to a
 * buffer of exactly their size so that any read past the end is caught.
 *   - a response body that grpc_wire_response() accepts is one well-formed frame: flag 0 and
 *     a big-endian length that is exactly the rest of the input;
 *   - a request that grpc_wire_request_service() accepts names a service inside the input,
 *     and encoding that name again decodes back to the same bytes;
 *   - the input taken as a service name round-trips through encode and decode, and the frame
 *     is as long as the protobuf encoding says;
 *   - percent-decoding never grows the text and always ends it with a NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
varint_len(size_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Encodes name, decodes it back: the same bytes, the length the encoding predicts. */
static void
round_trip(const unsigned char *name, size_t n)
{
    unsigned char frame[GRPC_WIRE_REQUEST_MAX];
    const unsigned char *svc;
    size_t len = 0, got = 0;
    char err[128];

    if (grpc_wire_request((const char *)name, n, frame, sizeof(frame), &len) < 0) {
        if (n <= GRPC_WIRE_SERVICE_MAX)
            abort(); /* every name up to the limit fits */
        return;
    }
    if (n > GRPC_WIRE_SERVICE_MAX || len != GRPC_WIRE_FRAME_HDR + (n ? 1 + varint_len(n) + n : 0))
        abort();
    if (grpc_wire_request_service(frame, len, &svc, &got, err, sizeof(err)) < 0)
        abort();
    if (got != n || (n > 0 && memcmp(svc, name, n) != 0))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *p = malloc(size ? size : 1);
    const unsigned char *svc;
    char err[128], *text;
    int64_t status;
    size_t n = 0;

    if (p == NULL)
        return 0;
    memcpy(p, data, size);
    if (grpc_wire_response(p, size, &status, err, sizeof(err)) == 0) {
        uint32_t mlen;

        if (size < GRPC_WIRE_FRAME_HDR || p[0] != 0)
            abort();
        mlen = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        if (mlen != size - GRPC_WIRE_FRAME_HDR)
            abort();
    } else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL) {
        abort();
    }
    if (grpc_wire_request_service(p, size, &svc, &n, err, sizeof(err)) == 0) {
        if (n > 0 && (svc < p || svc + n > p + size))
            abort();
        if (n <= GRPC_WIRE_SERVICE_MAX)
            round_trip(svc, n);
    }
    round_trip(p, size);
    text = malloc(size + 1);
    if (text != NULL) {
        size_t w = grpc_wire_pct_decode((const char *)p, size, text, size + 1);

        if (w > size || text[w] != '\0')
            abort();
        free(text);
    }
    free(p);
    return 0;
}
