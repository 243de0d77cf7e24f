/* probe — container health checks, concurrent on one event loop, within a deadline. */
#include <ares.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "check.h"
#include "cli.h"
#include "json.h"
#include "report.h"
#include "run.h"
#include "serve.h"
#include "text.h"
#include "value.h"
#include "version.h"
#include "wait.h"
#include "watchdog.h"

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

/* The command's settings, or its one error line printed (and nothing left to free). */
static int
settings_load(enum cli_cmd cmd, int argc, char **argv, struct settings *s)
{
    char err[512];

    if (cli_parse(cmd, argc, argv, s, err, sizeof(err)) < 0) {
        print_error(err);
        settings_free(s);
        return -1;
    }
    return 0;
}

static int
cmd_check(int argc, char **argv)
{
    struct settings s;
    struct run r;
    struct buf out;
    struct ev_loop *loop = NULL;
    char err[512];
    int rc = 1;

    if (settings_load(CLI_CHECK, argc, argv, &s) < 0)
        return 1;
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
    int rc;

    if (settings_load(CLI_SERVE, argc, argv, &s) < 0)
        return 2;
    rc = serve_main(&s);
    settings_free(&s);
    return rc;
}

static int
cmd_validate(int argc, char **argv)
{
    struct settings s;

    if (settings_load(CLI_VALIDATE, argc, argv, &s) < 0)
        return 2;
    printf("timeout: %ldms\ninterval: %ldms\nlisten: %s\nrise: %d\nfall: %d\nlog_format: %s\n",
           s.timeout_ms, s.interval_ms, s.listen, s.rise, s.fall, s.log_json ? "json" : "text");
    if (s.config_path != NULL)
        printf("config: %s\n", s.config_path);
    printf("checks:\n");
    for (size_t i = 0; i < s.ntargets; i++) {
        const struct target *t = &s.targets[i];
        const struct url *u = &t->url;
        struct buf b;

        buf_init(&b);
        buf_addf(&b, "  - name: %s\n    kind: %s\n    url: %s\n    timeout: %ldms\n", t->name,
                 u->kind->name, u->redacted, t->timeout_ms);
        if (u->kind->describe != NULL)
            u->kind->describe(t, &b);
        for (int o = 0; o < u->nopts; o++) {
            if (!(u->opts[o].def->flags & KIND_OPT_SHOW))
                continue;
            buf_addf(&b, "    %s: ", u->opts[o].def->key);
            json_add_cstr(&b, u->opts[o].value);
            buf_adds(&b, "\n");
        }
        fwrite(b.p, 1, b.len, stdout);
        buf_free(&b);
    }
    printf("reasons: # what a failing check's \"reason\" can be\n");
    for (int r = REASON_NONE + 1; r < REASON_COUNT; r++)
        printf("  - %s\n", check_reason_name((enum check_reason)r));
    settings_free(&s);
    return 0;
}

/* Before anything else: what the command is to inherit is noted before probe changes it. */
static int
cmd_wait(int argc, char **argv)
{
    struct settings s;
    int rc;

    wait_origin_save();
    signal(SIGPIPE, SIG_IGN);
    if (settings_load(CLI_WAIT, argc, argv, &s) < 0)
        return 2;
    rc = wait_main(&s);
    settings_free(&s);
    return rc;
}

static int
cmd_version(void)
{
    struct buf b;

    buf_init(&b);
    buf_addf(&b, "probe %s\n", PROBE_VERSION);
    for (size_t k = 0; k < kinds_count; k++) {
        if (kinds[k]->version != NULL)
            kinds[k]->version(&b);
    }
    buf_addf(&b, "libev %d.%d\n", ev_version_major(), ev_version_minor());
    buf_addf(&b, "c-ares %s\n", ares_version(NULL));
    buf_addf(&b, "libyaml %s\n", yaml_get_version_string());
    write_all(&b);
    buf_free(&b);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    if (strcmp(cmd, "wait") == 0)
        return cmd_wait(argc - 1, argv + 1);
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
