/* grpc_wire: the gRPC frame and the health messages, byte for byte. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "grpc_wire.h"

Test(grpc_wire, request_for_the_whole_server_is_an_empty_message)
{
    unsigned char out[16];
    size_t len = 0;

    cr_assert_eq(grpc_wire_request("", 0, out, sizeof(out), &len), 0);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(out, "\0\0\0\0\0", 5), 0);
}

Test(grpc_wire, request_names_the_service_in_field_1)
{
    unsigned char out[32];
    size_t len = 0;
    static const unsigned char want[] = {0, 0, 0, 0, 5, 0x0a, 3, 'a', 'p', 'p'};

    cr_assert_eq(grpc_wire_request("app", 3, out, sizeof(out), &len), 0);
    cr_assert_eq(len, sizeof(want));
    cr_assert_eq(memcmp(out, want, len), 0);
}

Test(grpc_wire, request_with_a_long_name_has_a_two_byte_length_and_round_trips)
{
    unsigned char out[GRPC_WIRE_REQUEST_MAX];
    char name[GRPC_WIRE_SERVICE_MAX];
    const unsigned char *svc;
    size_t len = 0, n = 0;
    char err[64];

    memset(name, 'x', sizeof(name));
    cr_assert_eq(grpc_wire_request(name, sizeof(name), out, sizeof(out), &len), 0);
    cr_assert_eq(len, sizeof(out));
    cr_assert_eq(out[6], 0x80);
    cr_assert_eq(out[7], 0x08);
    cr_assert_eq(grpc_wire_request_service(out, len, &svc, &n, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(n, sizeof(name));
    cr_assert_eq(memcmp(svc, name, n), 0);
    cr_assert_eq(grpc_wire_request(name, sizeof(name), out, sizeof(out) - 1, &len), -1);
    cr_assert_eq(grpc_wire_request(name, sizeof(name) + 1, out, sizeof(out), &len), -1);
}

struct resp_case {
    unsigned char bytes[24];
    size_t n;
    int ok;
    long status;
    char err[48];
};

ParameterizedTestParameters(grpc_wire, response_decoding)
{
    static struct resp_case cases[] = {
        {{0, 0, 0, 0, 2, 0x08, 1}, 7, 1, 1, ""},
        {{0, 0, 0, 0, 2, 0x08, 2}, 7, 1, 2, ""},
        {{0, 0, 0, 0, 2, 0x08, 3}, 7, 1, 3, ""},
        {{0, 0, 0, 0, 0}, 5, 1, 0, ""}, /* the default, UNKNOWN, is left out */
        /* unknown fields are skipped, the last field 1 wins */
        {{0, 0, 0, 0, 9, 0x10, 7, 0x1a, 1, 'x', 0x08, 2, 0x08, 1}, 14, 1, 1, ""},
        {{0, 0, 0, 0, 6, 0x0d, 1, 2, 3, 4, 0x08}, 11, 0, 0, "bad varint"},
        {{0}, 0, 0, 0, "no response message"},
        {{0, 0, 0}, 3, 0, 0, "cut header"},
        {{1, 0, 0, 0, 2, 0x08, 1}, 7, 0, 0, "compressed"},
        {{2, 0, 0, 0, 2, 0x08, 1}, 7, 0, 0, "bad flag"},
        {{0, 0, 0, 0, 3, 0x08, 1}, 7, 0, 0, "cut message"},
        {{0, 0, 0, 0, 2, 0x08, 1, 0}, 8, 0, 0, "more than one message"},
        {{0, 0, 0, 0, 2, 0x0a, 0}, 7, 0, 0, "not an enum"},
        {{0, 0, 0, 0, 2, 0x0a, 5}, 7, 0, 0, "bad length"},
        {{0, 0, 0, 0, 2, 0x00, 1}, 7, 0, 0, "field number 0"},
        {{0, 0, 0, 0, 2, 0x0b, 1}, 7, 0, 0, "bad wire type"},
        {{0, 0, 0, 0, 2, 0x08, 0x80}, 7, 0, 0, "bad varint"},
        {{0, 0, 0, 0, 12, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
         17,
         0,
         0,
         "bad varint"},
    };
    return cr_make_param_array(struct resp_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct resp_case *c, grpc_wire, response_decoding)
{
    int64_t status = -1;
    char err[128] = "";
    int rc = grpc_wire_response(c->bytes, c->n, &status, err, sizeof(err));

    if (c->ok) {
        cr_assert_eq(rc, 0, "%s", err);
        cr_assert_eq(status, c->status);
    } else {
        cr_assert_eq(rc, -1);
        cr_assert(strstr(err, c->err) != NULL, "got \"%s\", want \"%s\"", err, c->err);
    }
}

Test(grpc_wire, message_is_percent_decoded_and_bad_escapes_stay)
{
    char out[64];

    cr_assert_eq(grpc_wire_pct_decode("Method%20not%20found%21", 23, out, sizeof(out)), 17);
    cr_assert_str_eq(out, "Method not found!");
    grpc_wire_pct_decode("100%", 4, out, sizeof(out));
    cr_assert_str_eq(out, "100%");
    grpc_wire_pct_decode("%zz%4", 5, out, sizeof(out));
    cr_assert_str_eq(out, "%zz%4");
    grpc_wire_pct_decode("%E2%9C%93", 9, out, sizeof(out));
    cr_assert_str_eq(out, "\xe2\x9c\x93");
    cr_assert_eq(grpc_wire_pct_decode("abcdef", 6, out, 4), 3);
    cr_assert_str_eq(out, "abc");
}

Test(grpc_wire, code_and_status_names)
{
    cr_assert_str_eq(grpc_wire_code_name(0), "OK");
    cr_assert_str_eq(grpc_wire_code_name(5), "NOT_FOUND");
    cr_assert_str_eq(grpc_wire_code_name(12), "UNIMPLEMENTED");
    cr_assert_str_eq(grpc_wire_code_name(16), "UNAUTHENTICATED");
    cr_assert_null(grpc_wire_code_name(17));
    cr_assert_null(grpc_wire_code_name(-1));
    cr_assert_str_eq(grpc_wire_serving_name(1), "SERVING");
    cr_assert_str_eq(grpc_wire_serving_name(3), "SERVICE_UNKNOWN");
    cr_assert_null(grpc_wire_serving_name(4));
    cr_assert_null(grpc_wire_serving_name(-1));
}
