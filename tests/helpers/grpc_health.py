#!/usr/bin/python3
"""A real gRPC server (Debian's python3-grpcio) with the standard health service,
grpc.health.v1.Health/Check, for the tests: no protoc, the two one-field messages are
encoded by hand.

    grpc_health.py PORT CONTROL_DIR [--tls CERT KEY [--client-ca CA]] [--no-health]

The status of service S is the first line of CONTROL_DIR/S (CONTROL_DIR/_default for the
empty service ""), read on every call, so a test switches it by rewriting the file:
SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN, or "CODE MESSAGE" to end the call with
that grpc-status and grpc-message, or "AUTH VALUE": SERVING when the call's authorization
metadata is VALUE, else 16 UNAUTHENTICATED. A service without a file (or with a name that is not
[A-Za-z0-9._-]) is SERVICE_UNKNOWN. --no-health registers no service at all: every call
ends with 12 UNIMPLEMENTED. Exits 2 when the port cannot be bound (the harness tries
another)."""

import os
import re
import signal
import sys
import threading
from concurrent import futures

import grpc

STATUSES = {"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3}
NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def varint(data, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def decode_request(data):
    """HealthCheckRequest{string service = 1} -> the service name."""
    service, pos = "", 0
    while pos < len(data):
        tag, pos = varint(data, pos)
        wire = tag & 7
        if wire == 0:
            _, pos = varint(data, pos)
        elif wire == 2:
            n, pos = varint(data, pos)
            if tag >> 3 == 1:
                service = data[pos:pos + n].decode("utf-8", "replace")
            pos += n
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError("bad wire type")
    return service


def encode_response(status):
    """HealthCheckResponse{ServingStatus status = 1}."""
    return b"" if status == 0 else bytes([0x08, status])


def control_line(control, service):
    name = "_default" if service == "" else service
    if not NAME_RE.match(name):
        return "SERVICE_UNKNOWN"
    try:
        with open(os.path.join(control, name), encoding="utf-8") as f:
            return f.readline().strip()
    except FileNotFoundError:
        return "SERVICE_UNKNOWN"


def make_check(control):
    def check(service, context):
        line = control_line(control, service)
        if line.startswith("AUTH "):
            metadata = dict(context.invocation_metadata())
            if metadata.get("authorization") == line[5:]:
                return STATUSES["SERVING"]
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad token")
        if line in STATUSES:
            return STATUSES[line]
        code, _, message = line.partition(" ")
        wanted = [c for c in grpc.StatusCode if c.value[0] == int(code)]
        context.abort(wanted[0], message)
        return 0

    return check


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 64
    port, control, rest = int(args[0]), args[1], args[2:]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if "--no-health" not in rest:
        handler = grpc.unary_unary_rpc_method_handler(
            make_check(control),
            request_deserializer=decode_request,
            response_serializer=encode_response)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health", {"Check": handler}),))
    address = "127.0.0.1:%d" % port
    try:
        if "--tls" in rest:
            i = rest.index("--tls")
            with open(rest[i + 1], "rb") as f:
                cert = f.read()
            with open(rest[i + 2], "rb") as f:
                key = f.read()
            client_ca = None
            if "--client-ca" in rest:
                with open(rest[rest.index("--client-ca") + 1], "rb") as f:
                    client_ca = f.read()
            # With a client CA, a client certificate from it is required (mTLS).
            creds = grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca,
                                                require_client_auth=client_ca is not None)
            bound = server.add_secure_port(address, creds)
        else:
            bound = server.add_insecure_port(address)
    except RuntimeError:
        bound = 0
    if bound != port:
        sys.stderr.write("grpc_health: cannot bind %s\n" % address)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    server.start()
    sys.stderr.write("grpc_health: serving on %s\n" % address)
    sys.stderr.flush()
    done.wait()
    server.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
