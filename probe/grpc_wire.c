/*
 * gRPC's message frame and the protobuf encoding of the two health messages, by hand: a
 * message is a sequence of (tag varint, value) pairs, the tag being field << 3 | wire type; a
 * reader skips the fields it does not know, and of a repeated scalar field keeps the last.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "grpc_wire.h"

enum wire_type { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* Field 1 of a message, as found. */
struct wire_field {
    int present;
    int type;
    uint64_t varint;            /* WIRE_VARINT */
    const unsigned char *bytes; /* WIRE_LEN: a view into the message */
    size_t len;
};

static int
wire_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return -1;
}

/* At most 10 bytes, the last one holding the 64th bit only. 0, or -1 when cut or too long. */
static int
wire_varint(const unsigned char *p, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;

    for (int i = 0; i < 10; i++) {
        unsigned char b;

        if (*pos >= n)
            return -1;
        b = p[(*pos)++];
        if (i == 9 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static size_t
wire_put_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;

    do {
        out[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            out[n] |= 0x80;
        n++;
    } while (v != 0);
    return n;
}

/* Walks every field of msg, skipping all but field 1; the last field 1 wins, as in protobuf. */
static int
wire_field1(const unsigned char *msg, size_t n, struct wire_field *f, char *err, size_t errlen)
{
    size_t pos = 0;

    memset(f, 0, sizeof(*f));
    while (pos < n) {
        uint64_t tag, v = 0;
        int type;

        if (wire_varint(msg, n, &pos, &tag) < 0)
            return wire_fail(err, errlen, "malformed message (bad field tag)");
        type = (int)(tag & 7);
        if ((tag >> 3) == 0)
            return wire_fail(err, errlen, "malformed message (field number 0)");
        switch (type) {
        case WIRE_VARINT:
            if (wire_varint(msg, n, &pos, &v) < 0)
                return wire_fail(err, errlen, "malformed message (bad varint)");
            break;
        case WIRE_I64:
        case WIRE_I32:
            v = type == WIRE_I64 ? 8 : 4;
            if (n - pos < v)
                return wire_fail(err, errlen, "malformed message (cut field)");
            pos += (size_t)v;
            break;
        case WIRE_LEN:
            if (wire_varint(msg, n, &pos, &v) < 0 || v > n - pos)
                return wire_fail(err, errlen, "malformed message (bad length)");
            if (tag >> 3 == 1) {
                f->bytes = msg + pos;
                f->len = (size_t)v;
            }
            pos += (size_t)v;
            break;
        default:
            return wire_fail(err, errlen, "malformed message (bad wire type)");
        }
        if (tag >> 3 == 1) {
            f->present = 1;
            f->type = type;
            f->varint = v;
        }
    }
    return 0;
}

/* The one message of a unary call: a frame that fills p[0..n) exactly. */
static int
wire_unframe(const unsigned char *p, size_t n, const unsigned char **msg, size_t *len, char *err,
             size_t errlen)
{
    uint32_t mlen;

    if (n == 0)
        return wire_fail(err, errlen, "no response message");
    if (n < GRPC_WIRE_FRAME_HDR)
        return wire_fail(err, errlen, "malformed frame (cut header)");
    if (p[0] == 1)
        return wire_fail(err, errlen, "compressed message (none was accepted)");
    if (p[0] != 0)
        return wire_fail(err, errlen, "malformed frame (bad flag)");
    mlen = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    if (mlen > n - GRPC_WIRE_FRAME_HDR)
        return wire_fail(err, errlen, "malformed frame (cut message)");
    if (mlen < n - GRPC_WIRE_FRAME_HDR)
        return wire_fail(err, errlen, "more than one message in a unary response");
    *msg = p + GRPC_WIRE_FRAME_HDR;
    *len = mlen;
    return 0;
}

int
grpc_wire_request(const char *service, size_t n, unsigned char *out, size_t outlen, size_t *len)
{
    unsigned char lenbuf[10];
    size_t nl, mlen;

    if (n > GRPC_WIRE_SERVICE_MAX)
        return -1;
    nl = wire_put_varint(lenbuf, n);
    mlen = n == 0 ? 0 : 1 + nl + n;
    if (outlen < GRPC_WIRE_FRAME_HDR || mlen > outlen - GRPC_WIRE_FRAME_HDR)
        return -1;
    out[0] = 0;
    out[1] = (unsigned char)(mlen >> 24);
    out[2] = (unsigned char)(mlen >> 16);
    out[3] = (unsigned char)(mlen >> 8);
    out[4] = (unsigned char)mlen;
    if (n > 0) {
        out[5] = 1 << 3 | WIRE_LEN;
        memcpy(out + 6, lenbuf, nl);
        memcpy(out + 6 + nl, service, n);
    }
    *len = GRPC_WIRE_FRAME_HDR + mlen;
    return 0;
}

/* Field 1 of the one message in a framed body. */
static int
wire_framed_field1(const unsigned char *p, size_t n, struct wire_field *f, char *err, size_t errlen)
{
    const unsigned char *msg;
    size_t mlen;

    if (wire_unframe(p, n, &msg, &mlen, err, errlen) < 0)
        return -1;
    return wire_field1(msg, mlen, f, err, errlen);
}

int
grpc_wire_request_service(const unsigned char *p, size_t n, const unsigned char **service,
                          size_t *len, char *err, size_t errlen)
{
    struct wire_field f;

    if (wire_framed_field1(p, n, &f, err, errlen) < 0)
        return -1;
    if (f.present && f.type != WIRE_LEN)
        return wire_fail(err, errlen, "malformed message (service is not a string)");
    *service = f.present ? f.bytes : p;
    *len = f.present ? f.len : 0;
    return 0;
}

int
grpc_wire_response(const unsigned char *p, size_t n, int64_t *status, char *err, size_t errlen)
{
    struct wire_field f;

    if (wire_framed_field1(p, n, &f, err, errlen) < 0)
        return -1;
    if (f.present && f.type != WIRE_VARINT)
        return wire_fail(err, errlen, "malformed message (status is not an enum)");
    /* An enum is an int32 on the wire, sign-extended to 64 bits when negative. */
    *status = f.present ? (int64_t)f.varint : GRPC_UNKNOWN;
    return 0;
}

static int
wire_hex(char c)
{
    if (!isxdigit((unsigned char)c))
        return -1;
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

size_t
grpc_wire_pct_decode(const char *in, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    if (outlen == 0)
        return 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        int hi = in[i] == '%' && n - i >= 3 ? wire_hex(in[i + 1]) : -1;
        int lo = hi >= 0 ? wire_hex(in[i + 2]) : -1;

        if (lo >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    return o;
}

const char *
grpc_wire_code_name(long code)
{
    static const char *const names[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };

    if (code < 0 || code >= (long)(sizeof(names) / sizeof(names[0])))
        return NULL;
    return names[code];
}

const char *
grpc_wire_serving_name(int64_t status)
{
    static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

    if (status < 0 || status > GRPC_SERVICE_UNKNOWN)
        return NULL;
    return names[status];
}
