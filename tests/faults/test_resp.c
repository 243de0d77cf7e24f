/* Redis (RESP) peers that answer wrongly: error replies, a reply that is not PONG, non-RESP
 * bytes, a reply cut short. The probe pipelines AUTH/SELECT/PING in one write; these peers
 * parse commands as they come and answer each one. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "scripted.h"

TestSuite(resp, .init = flt_require_netns);

/* What a scripted Redis answers. */
struct resp_script {
    const char *other; /* reply to AUTH, SELECT, anything but PING; NULL: same as ping */
    const char *ping;  /* reply to PING */
    int close_after;   /* 1: close right after the PING reply; 0: hold until the client goes */
};

/* The commands the peer saw, in order, space-separated (server thread, same process). */
static char resp_seen[256];

static void
resp_serve(struct scr_conn *c, const void *arg)
{
    const struct resp_script *s = arg;
    char name[64];

    while (scr_resp_command(c, name, sizeof(name), 5000) == 0) {
        int is_ping = strcmp(name, "PING") == 0;
        const char *reply = is_ping || s->other == NULL ? s->ping : s->other;
        size_t used = strlen(resp_seen);

        snprintf(resp_seen + used, sizeof(resp_seen) - used, "%s%s", used ? " " : "", name);

        if (scr_write(c, reply, strlen(reply)) != 0)
            return;
        if (is_ping) {
            if (!s->close_after)
                scr_hold(c, 5000);
            return;
        }
    }
}

static void
resp_run(struct probe_result *r, const struct resp_script *s, const char *userinfo_db_fmt,
         const char *timeout)
{
    const char *argv[] = {"check", "--timeout", timeout, NULL, NULL};
    char url[128];

    snprintf(url, sizeof(url), userinfo_db_fmt, scr_server(resp_serve, s));
    argv[3] = url;
    flt_run(r, argv, 0);
    cr_log_info("%.1f ms: %s", r->elapsed_ms, r->out);
}

Test(resp, loading_on_ping_reports_server_text, .timeout = 20)
{
    static const struct resp_script s = {NULL,
                                         "-LOADING Redis is loading the dataset in memory\r\n", 0};
    struct probe_result r;

    resp_run(&r, &s, "redis://127.0.0.1:%d", "3s");
    flt_assert_fail(&r, "redis", "LOADING Redis is loading", 1000);
}

Test(resp, loading_on_pipelined_auth_select_ping, .timeout = 20)
{
    static const struct resp_script s = {NULL,
                                         "-LOADING Redis is loading the dataset in memory\r\n", 0};
    struct probe_result r;

    resp_run(&r, &s, "redis://probe:pw@127.0.0.1:%d/3", "3s");
    flt_assert_fail(&r, "redis", "LOADING Redis is loading", 1000);
}

Test(resp, ok_instead_of_pong_fails, .timeout = 20)
{
    static const struct resp_script s = {"+OK\r\n", "+OK\r\n", 0};
    struct probe_result r;

    resp_run(&r, &s, "redis://:pw@127.0.0.1:%d/1", "3s");
    flt_assert_fail(&r, "redis", "  unexpected reply to PING: OK +[0-9.]+ms$", 1000);
}

Test(resp, http_garbage_fails_with_protocol_reason, .timeout = 20)
{
    static const struct resp_script s = {"HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\n", 0};
    struct probe_result r;

    resp_run(&r, &s, "redis://127.0.0.1:%d", "1s");
    flt_assert_fail(&r, "redis", "protocol|invalid|unexpected|malformed|not (a )?redis|RESP",
                    FLT_T_MS + FLT_SLACK_MS);
}

Test(resp, close_mid_reply_fails_at_once, .timeout = 20)
{
    static const struct resp_script s = {"+OK\r\n", "+PO", 1};
    struct probe_result r;

    resp_run(&r, &s, "redis://:pw@127.0.0.1:%d/2", "3s");
    flt_assert_fail(&r, "redis", "closed|lost|eof|reset|truncated", 1000);
}

Test(resp, noperm_on_ping_reports_server_text, .timeout = 20)
{
    static const struct resp_script s = {
        "+OK\r\n", "-NOPERM this user has no permissions to run the 'ping' command\r\n", 0};
    struct probe_result r;

    resp_run(&r, &s, "redis://probe:pw@127.0.0.1:%d/4", "3s");
    flt_assert_fail(&r, "redis", "NOPERM this user has no permissions to run the 'ping' command",
                    1000);
    cr_assert_str_eq(resp_seen, "AUTH SELECT PING", "commands seen: %s", resp_seen);
}
