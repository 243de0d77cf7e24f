/*
 * The few bytes of gRPC that a health check needs, without protoc: the length-prefixed message
 * frame, the one-field messages HealthCheckRequest{string service = 1} and
 * HealthCheckResponse{ServingStatus status = 1}, and the texts of grpc-status and
 * grpc-message. Bounds are checked on every byte: what the peer sends is untrusted.
 */
#ifndef PROBE_GRPC_WIRE_H
#define PROBE_GRPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Compressed flag (1 byte) and message length (4 bytes, big-endian). */
#define GRPC_WIRE_FRAME_HDR 5
/* The longest service name a request carries; the framed request fits in
 * GRPC_WIRE_FRAME_HDR + GRPC_WIRE_SERVICE_MAX + 3 bytes (a tag and a varint length). */
#define GRPC_WIRE_SERVICE_MAX 1024
#define GRPC_WIRE_REQUEST_MAX (GRPC_WIRE_FRAME_HDR + GRPC_WIRE_SERVICE_MAX + 3)

/* grpc.health.v1.HealthCheckResponse.ServingStatus */
enum grpc_serving {
    GRPC_UNKNOWN = 0,
    GRPC_SERVING = 1,
    GRPC_NOT_SERVING = 2,
    GRPC_SERVICE_UNKNOWN = 3,
};

/* The framed HealthCheckRequest for service[0..n) into out; 0 and *len, or -1 when the name is
 * over GRPC_WIRE_SERVICE_MAX or the frame does not fit in outlen bytes. An empty service is the
 * empty message (proto3 leaves defaults out). */
int grpc_wire_request(const char *service, size_t n, unsigned char *out, size_t outlen,
                      size_t *len);
/* The service named by a framed HealthCheckRequest (a view into p): 0, or -1 with err. */
int grpc_wire_request_service(const unsigned char *p, size_t n, const unsigned char **service,
                              size_t *len, char *err, size_t errlen);
/* The status of a response body p[0..n): exactly one uncompressed frame holding a
 * HealthCheckResponse. 0 and *status (UNKNOWN when the field is absent), or -1 with err. */
int grpc_wire_response(const unsigned char *p, size_t n, int64_t *status, char *err, size_t errlen);

/* grpc-message is percent-encoded; a '%' not followed by two hex digits stays as it is.
 * Writes at most outlen - 1 bytes and a NUL; returns the length written. */
size_t grpc_wire_pct_decode(const char *in, size_t n, char *out, size_t outlen);
/* "UNIMPLEMENTED" for 12, ...; NULL for a code outside the gRPC table. */
const char *grpc_wire_code_name(long code);
/* "SERVING", ...; NULL for a value outside the enum. */
const char *grpc_wire_serving_name(int64_t status);

#endif
