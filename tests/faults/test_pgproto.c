/* PostgreSQL peers that break the protocol or refuse in it: garbage instead of the answer to
 * SSLRequest or to the startup, an ErrorResponse (57P03, 53300) instead of authentication, and
 * silence before and after the startup. Each ends at once with its reason, or at the deadline
 * with its phase. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "scripted.h"

TestSuite(pgproto, .init = flt_require_netns);

static const char pg_garbage[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

/* Garbage where the one-byte answer to SSLRequest belongs. */
static void
pg_garbage_for_ssl(struct scr_conn *c, const void *arg)
{
    (void)arg;
    (void)scr_write(c, pg_garbage, sizeof(pg_garbage) - 1);
    scr_hold(c, 500);
}

static void
pg_garbage_after_startup(struct scr_conn *c, const void *arg)
{
    (void)arg;
    if (scr_pg_startup(c, 2000) == 0)
        (void)scr_write(c, pg_garbage, sizeof(pg_garbage) - 1);
    scr_hold(c, 500);
}

/* An ErrorResponse: severity FATAL, the SQLSTATE in arg's first 5 bytes, its message after. */
static void
pg_error_after_startup(struct scr_conn *c, const void *arg)
{
    const char *spec = arg;
    unsigned char b[256];
    size_t n = 5;
    int len;

    if (scr_pg_startup(c, 2000) != 0)
        return;
    len =
        snprintf((char *)b + n, sizeof(b) - n - 2, "SFATAL%cC%.5s%cM%s%c", 0, spec, 0, spec + 5, 0);
    n += (size_t)len;
    b[n++] = 0;
    b[0] = 'E';
    b[1] = 0;
    b[2] = 0;
    b[3] = (unsigned char)((n - 1) >> 8);
    b[4] = (unsigned char)((n - 1) & 0xff);
    (void)scr_write(c, b, n);
    scr_hold(c, 500);
}

static void
pg_silent_after_startup(struct scr_conn *c, const void *arg)
{
    (void)arg;
    if (scr_pg_startup(c, 2000) == 0)
        scr_hold(c, 5000);
}

static void
pg_run(struct probe_result *r, scr_serve_fn fn, const void *arg, const char *opts)
{
    const char *argv[] = {"check", "--json", "--timeout", "1s", NULL, NULL};
    char url[128];

    snprintf(url, sizeof(url), "postgres://probe:pw@127.0.0.1:%d/app%s", scr_server(fn, arg), opts);
    argv[4] = url;
    flt_run(r, argv, 0);
}

static void
pg_assert(const struct probe_result *r, const char *reason, const char *phase, const char *re)
{
    char v[64];

    cr_assert_eq(r->exit_code, 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    cr_assert_eq(pt_json_get(r->out, "checks/postgres:responseTime/0/reason", v, sizeof(v)), 0,
                 "%s", r->out);
    cr_assert_str_eq(v, reason, "%s", r->out);
    if (phase != NULL) {
        cr_assert_eq(pt_json_get(r->out, "checks/postgres:responseTime/0/phase", v, sizeof(v)), 0,
                     "%s", r->out);
        cr_assert_str_eq(v, phase, "%s", r->out);
        cr_assert_leq(r->elapsed_ms, FLT_T_MS + FLT_SLACK_MS, "took %.1f ms", r->elapsed_ms);
        harness_note_deadline(r->elapsed_ms, FLT_T_MS, "pgproto");
    } else {
        cr_assert_leq(r->elapsed_ms, 500, "took %.1f ms\n%s", r->elapsed_ms, r->out);
    }
    cr_assert(flt_match(r->out, re), "/%s/ in\n%s", re, r->out);
}

Test(pgproto, garbage_instead_of_ssl_answer_is_protocol, .timeout = 20)
{
    struct probe_result r;

    pg_run(&r, pg_garbage_for_ssl, NULL, "");
    pg_assert(&r, "protocol", NULL, "invalid response to SSL negotiation");
}

Test(pgproto, garbage_after_startup_is_protocol, .timeout = 20)
{
    struct probe_result r;

    pg_run(&r, pg_garbage_after_startup, NULL, "?sslmode=disable");
    pg_assert(&r, "protocol", NULL, "expected authentication request from server");
}

Test(pgproto, starting_up_is_server_failure_with_sqlstate, .timeout = 20)
{
    struct probe_result r;

    pg_run(&r, pg_error_after_startup, "57P03the database system is starting up", "");
    pg_assert(&r, "server", NULL, "\"output\":\"57P03 the database system is starting up\"");
}

Test(pgproto, too_many_connections_is_server_failure_with_sqlstate, .timeout = 20)
{
    struct probe_result r;

    pg_run(&r, pg_error_after_startup, "53300sorry, too many clients already", "");
    pg_assert(&r, "server", NULL, "\"output\":\"53300 sorry, too many clients already\"");
}

Test(pgproto, silent_after_startup_times_out_in_auth, .timeout = 20)
{
    struct probe_result r;

    pg_run(&r, pg_silent_after_startup, NULL, "");
    pg_assert(&r, "timeout", "auth", "timeout after 1000ms \\(auth\\)");
}

Test(pgproto, silent_before_ssl_answer_times_out_in_tls, .timeout = 20)
{
    int port, fd = harness_silent_listener(&port);
    const char *argv[] = {"check", "--json", "--timeout", "1s", NULL, NULL};
    char url[128];
    struct probe_result r;

    cr_assert_geq(fd, 0);
    snprintf(url, sizeof(url), "postgres://probe:pw@127.0.0.1:%d/app", port);
    argv[4] = url;
    flt_run(&r, argv, 0);
    pg_assert(&r, "timeout", "tls", "timeout after 1000ms \\(tls\\)");
}
