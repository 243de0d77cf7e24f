/* probe — container health checks, concurrent on one event loop, within a deadline. */
#include <ares.h>
#include <curl/curl.h>
#include <ev.h>
#include <hiredis/hiredis.h>
#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "cli.h"
#include "json.h"
#include "report.h"
#include "run.h"
#include "serve.h"
#include "text.h"
#include "value.h"
#include "version.h"

/* How much past the deadline the watchdog allows before it ends a stuck loop. */
#define WATCHDOG_GRACE_MS 50

static void
run_over_cb(struct run *r)
{
    ev_break(r->loop, EVBREAK_ALL);
}

static void
write_all(const struct buf *b)
{
    if (b->len > 0)
        fwrite(b->p, 1, b->len, stdout);
    fflush(stdout);
}

#ifdef PROBE_TEST_HOOKS
/* Test builds only: PROBE_TEST_STALL_MS blocks the loop the way a stuck library call would,
 * so the tests can prove that the watchdog ends the run anyway. */
static void
test_hook_stall(void)
{
    const char *ms = getenv("PROBE_TEST_STALL_MS");

    if (ms != NULL)
        usleep((useconds_t)atol(ms) * 1000);
}
#endif

static int
cmd_check(int argc, char **argv)
{
    struct settings s;
    struct run r;
    struct buf out;
    struct ev_loop *loop = NULL;
    char err[512];
    int rc = 1;

    if (cli_parse(CLI_CHECK, argc, argv, &s, err, sizeof(err)) < 0) {
        print_error(err);
        settings_free(&s);
        return 1;
    }
    buf_init(&out);
    loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
    if (loop == NULL ||
        run_init(&r, loop, s.targets, s.ntargets, s.timeout_ms, err, sizeof(err)) < 0) {
        print_error(loop ? err : "cannot create the event loop");
        goto out;
    }
    r.on_done = run_over_cb;
    watchdog_arm(&r, s.timeout_ms + WATCHDOG_GRACE_MS);
    run_start(&r);
#ifdef PROBE_TEST_HOOKS
    test_hook_stall();
#endif
    if (r.pending > 0)
        ev_run(loop, 0);
    if (s.json)
        report_json(&out, &r, NULL, NULL);
    else
        report_text(&out, &r, s.quiet);
    write_all(&out);
    rc = report_all_pass(&r) ? 0 : 1;
    run_finish(&r);
    watchdog_disarm();
    run_free(&r);
out:
    buf_free(&out);
    if (loop != NULL)
        ev_loop_destroy(loop);
    settings_free(&s);
    return rc;
}

static int
cmd_serve(int argc, char **argv)
{
    struct settings s;
    char err[512];
    int rc;

    if (cli_parse(CLI_SERVE, argc, argv, &s, err, sizeof(err)) < 0) {
        print_error(err);
        settings_free(&s);
        return 2;
    }
    rc = serve_main(&s);
    settings_free(&s);
    return rc;
}

/* Prints "key: value" with the value as a JSON string, which YAML reads as well. */
static void
print_quoted(const char *key, const char *value)
{
    struct buf b;

    buf_init(&b);
    json_add_cstr(&b, value);
    printf("    %s: %s\n", key, buf_str(&b));
    buf_free(&b);
}

/* Header values that commonly carry credentials are not printed. */
static int
header_is_secret(const char *name)
{
    static const char *const words[] = {"auth", "cookie", "token", "key", "secret", "pass"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasestr(name, words[i]) != NULL)
            return 1;
    }
    return 0;
}

static int
cmd_validate(int argc, char **argv)
{
    struct settings s;
    char err[512];

    if (cli_parse(CLI_VALIDATE, argc, argv, &s, err, sizeof(err)) < 0) {
        print_error(err);
        settings_free(&s);
        return 2;
    }
    printf("timeout: %ldms\ninterval: %ldms\nlisten: %s\nrise: %d\nfall: %d\nlog_format: %s\n",
           s.timeout_ms, s.interval_ms, s.listen, s.rise, s.fall, s.log_json ? "json" : "text");
    if (s.config_path != NULL)
        printf("config: %s\n", s.config_path);
    printf("checks:\n");
    for (size_t i = 0; i < s.ntargets; i++) {
        const struct target *t = &s.targets[i];
        char set[128];

        printf("  - name: %s\n    kind: %s\n    url: %s\n    timeout: %ldms\n", t->name,
               url_scheme_name(t->url.scheme), t->url.redacted, t->timeout_ms);
        if (t->url.scheme == URL_HTTP || t->url.scheme == URL_HTTPS) {
            status_set_format(&t->expect_status, set, sizeof(set));
            printf("    expect_status: %s\n", set);
            if (t->expect_body != NULL)
                print_quoted("expect_body", t->expect_body);
            for (size_t h = 0; h < t->nheaders; h++) {
                char line[1024];

                snprintf(line, sizeof(line), "%s: %s", t->headers[h].name,
                         header_is_secret(t->headers[h].name) ? "***" : t->headers[h].value);
                print_quoted("header", line);
            }
            if (t->insecure)
                printf("    insecure: true\n");
            if (t->cacert != NULL)
                printf("    cacert: %s\n", t->cacert);
        }
        if (t->query != NULL)
            print_quoted("query", t->query);
    }
    settings_free(&s);
    return 0;
}

static int
cmd_version(void)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    printf("probe %s\n", PROBE_VERSION);
    printf("libcurl %s (%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
    printf("libev %d.%d\n", ev_version_major(), ev_version_minor());
    printf("hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    printf("libmariadb %s\n", mysql_get_client_info());
    printf("c-ares %s\n", ares_version(NULL));
    printf("libyaml %s\n", yaml_get_version_string());
    return 0;
}

int
main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    signal(SIGPIPE, SIG_IGN);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version();
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cli_usage(stdout);
        return 0;
    }
    if (cmd[0] == '\0') {
        print_error("no command");
    } else {
        char msg[80];

        snprintf(msg, sizeof(msg), "unknown command \"%.*s\"", QUOTE_MAX, cmd);
        print_error(msg);
    }
    cli_usage(stderr);
    return 1;
}
