/* MySQL peers that break the protocol: an ERR packet instead of the greeting, a greeting then
 * a close, a greeting then silence after the client's auth response, a greeting offering TLS
 * then silence after the client's SSL request. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "scripted.h"

TestSuite(mysqlproto, .init = flt_require_netns);

static void
my_err_instead_of_greeting(struct scr_conn *c, const void *arg)
{
    static const char msg[] = "Too many connections";
    unsigned char b[64];
    size_t n = 0;

    (void)arg;
    b[n++] = 0xff;
    b[n++] = 1040 & 0xff;
    b[n++] = 1040 >> 8;
    memcpy(b + n, "#08004", 6);
    n += 6;
    memcpy(b + n, msg, sizeof(msg) - 1);
    n += sizeof(msg) - 1;
    (void)scr_mysql_packet(c, 0, b, n);
    scr_hold(c, 500); /* let the client read it, then close */
}

static void
my_greeting_then_close(struct scr_conn *c, const void *arg)
{
    (void)arg;
    (void)scr_mysql_greeting(c);
}

static void
my_greeting_then_silence(struct scr_conn *c, const void *arg)
{
    (void)arg;
    if (scr_mysql_greeting(c) != 0)
        return;
    (void)scr_mysql_read_packet(c, 5000); /* the HandshakeResponse41 */
    scr_hold(c, 5000);
}

/* Reads the SSL request (32 bytes) and whatever the ClientHello brings, and never answers. */
static void
my_tls_then_silence(struct scr_conn *c, const void *arg)
{
    (void)arg;
    if (scr_mysql_greeting_ssl(c) != 0)
        return;
    (void)scr_mysql_read_packet(c, 5000); /* the SSL request */
    scr_hold(c, 5000);
}

static void
my_run_opts(struct probe_result *r, scr_serve_fn fn, const char *timeout, const char *opts)
{
    const char *argv[] = {"check", "--json", "--timeout", timeout, NULL, NULL};
    char url[160];

    snprintf(url, sizeof(url), "mysql://probe:pw@127.0.0.1:%d/app%s", scr_server(fn, NULL), opts);
    argv[4] = url;
    flt_run(r, argv, 0);
    cr_log_info("%.1f ms: %s", r->elapsed_ms, r->out);
}

static void
my_run(struct probe_result *r, scr_serve_fn fn, const char *timeout)
{
    const char *argv[] = {"check", "--timeout", timeout, NULL, NULL};
    char url[96];

    snprintf(url, sizeof(url), "mysql://probe:pw@127.0.0.1:%d/app", scr_server(fn, NULL));
    argv[3] = url;
    flt_run(r, argv, 0);
    cr_log_info("%.1f ms: %s", r->elapsed_ms, r->out);
}

Test(mysqlproto, err_packet_instead_of_greeting, .timeout = 20)
{
    struct probe_result r;

    my_run(&r, my_err_instead_of_greeting, "3s");
    flt_assert_fail(&r, "mysql", "1040.*Too many connections", 1000);
}

Test(mysqlproto, greeting_then_close_fails_at_once, .timeout = 20)
{
    struct probe_result r;

    my_run(&r, my_greeting_then_close, "3s");
    flt_assert_fail(&r, "mysql", "2013|2026|lost|closed|reset", 1000);
}

Test(mysqlproto, silence_after_auth_response_times_out_in_auth, .timeout = 20)
{
    struct probe_result r;

    my_run(&r, my_greeting_then_silence, "1s");
    flt_assert_fail(&r, "mysql", "timeout.*\\(auth\\)", FLT_T_MS + FLT_SLACK_MS);
}

Test(mysqlproto, tls_handshake_that_stalls_times_out_in_tls, .timeout = 20)
{
    static const char *const modes[] = {"required", "verify-identity"};
    struct probe_result r;

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        char opts[64];

        snprintf(opts, sizeof(opts), "?ssl-mode=%s", modes[i]);
        my_run_opts(&r, my_tls_then_silence, "1s", opts);
        flt_assert_json_fail(&r, "mysql", "timeout", "tls", "timeout after 1000ms \\(tls\\)",
                             FLT_T_MS + FLT_SLACK_MS);
    }
}
