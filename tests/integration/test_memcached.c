/* Memcached checks against a real memcached (servers.c, PT_MEMCACHED_PORT): `version` must
 * answer `VERSION x`, and x is the message. Replies real memcached never gives to `version`
 * (ERROR, SERVER_ERROR, garbage, a line over the cap) are in tests/faults/test_mcproto.c. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define VERSION_RE "^[0-9]+\\.[0-9]+\\.[0-9]+"

static void
check_url(struct probe_result *r, const char *timeout, const char *url)
{
    const char *argv[] = {"check", "--timeout", timeout, url, NULL};

    pt_run(r, argv, NULL);
}

static void
memcached_url(char *url, size_t len, const char *host)
{
    snprintf(url, len, "memcached://%s:%d", host, pt_env_int("PT_MEMCACHED_PORT"));
}

Test(memcached, version_passes_with_the_server_version, .timeout = 20)
{
    char url[128];
    struct probe_result r;
    struct pt_line l;

    memcached_url(url, sizeof(url), "127.0.0.1");
    check_url(&r, "5s", url);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "memcached", "PASS", VERSION_RE "$");
    pt_line_of(&r, "memcached", &l);
    cr_assert_str_eq(l.target, url, "target column" PT_OUT, PT_ARGS(&r));
}

/* localhost is resolved by probe itself (c-ares reads /etc/hosts), like any name. */
Test(memcached, host_name_passes, .timeout = 20)
{
    char url[128];
    struct probe_result r;

    memcached_url(url, sizeof(url), "localhost");
    check_url(&r, "5s", url);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "memcached", "PASS", VERSION_RE "$");
}

Test(memcached, refused_is_failure_at_once, .timeout = 20)
{
    char url[128];
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", harness_free_port());
    check_url(&r, "5s", url);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "memcached", "FAIL", "^connection refused$");
    PT_ASSERT_WITHIN(&r, 1000);
}

/* A peer that accepts and never answers `version`: the deadline, in the response phase. */
Test(memcached, silent_peer_times_out_in_response_phase, .timeout = 20)
{
    char url[128];
    struct probe_result r;
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0, "cannot listen on 127.0.0.1");
    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", port);
    check_url(&r, "1s", url);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    pt_assert_check(&r, "memcached", "FAIL", "^timeout after 1000ms \\(response\\)$");
    PT_ASSERT_DEADLINE(&r, 1000);
}

/* Real memcached, in front of a different protocol's server: redis answers `version` with
 * an error of its own, which is not memcached's. */
Test(memcached, redis_on_the_port_is_a_protocol_failure, .timeout = 20)
{
    char url[128], v[64];
    const char *argv[] = {"check", "--json", "--timeout", "2s", url, NULL};
    struct probe_result r;

    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/reason", v, sizeof(v)), 0,
                 PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(v, "protocol", PT_OUT, PT_ARGS(&r));
    PT_ASSERT_WITHIN(&r, 1000);
}

Test(memcached, json_component_type_is_datastore, .timeout = 20)
{
    char target[160], v[64];
    const char *argv[] = {"check", "--json", target, NULL};
    struct probe_result r;

    snprintf(target, sizeof(target), "cache=memcached://127.0.0.1:%d",
             pt_env_int("PT_MEMCACHED_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_eq(pt_json_get(r.out, "checks/cache:responseTime/0/componentType", v, sizeof(v)), 0,
                 PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(v, "datastore", PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "checks/cache:responseTime/0/status", v, sizeof(v)), 0);
    cr_assert_str_eq(v, "pass", PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "checks/cache:responseTime/0/reason", v, sizeof(v)), -1,
                 "a passing check carries no reason" PT_OUT, PT_ARGS(&r));
}

Test(memcached, probe_targets_is_used_without_arguments, .timeout = 20)
{
    char targets[160];
    const char *env[] = {targets, NULL};
    const char *argv[] = {"check", NULL};
    struct probe_result r;

    snprintf(targets, sizeof(targets), "PROBE_TARGETS=cache=memcached://127.0.0.1:%d",
             pt_env_int("PT_MEMCACHED_PORT"));
    pt_run(&r, argv, env);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "cache", "PASS", VERSION_RE "$");
}

Test(memcached, config_file_check_passes_and_validates, .timeout = 20)
{
    char path[HARNESS_PATH + 16], yaml[256];
    const char *check[] = {"check", "-c", path, NULL};
    const char *validate[] = {"validate", "-c", path, NULL};
    struct probe_result r;

    snprintf(yaml, sizeof(yaml),
             "timeout: 2s\nchecks:\n  - name: sessions\n    url: memcached://127.0.0.1:%d\n"
             "    timeout: 1s\n",
             pt_env_int("PT_MEMCACHED_PORT"));
    pt_write_config(path, sizeof(path), yaml);
    pt_run(&r, check, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "sessions", "PASS", VERSION_RE "$");
    pt_run(&r, validate, NULL);
    PT_ASSERT_EXIT(&r, 0);
    PT_ASSERT_OUT_RE(&r, "^  - name: sessions$");
    PT_ASSERT_OUT_RE(&r, "^    kind: memcached$");
    PT_ASSERT_OUT_RE(&r, "^    url: memcached://127\\.0\\.0\\.1:[0-9]+$");
    PT_ASSERT_OUT_RE(&r, "^    timeout: 1000ms$");
}

/* The default name is the scheme, made unique like any other. */
Test(memcached, default_names_are_memcached_made_unique, .timeout = 20)
{
    char a[128], b[128];
    const char *argv[] = {"check", a, b, NULL};
    struct probe_result r;

    memcached_url(a, sizeof(a), "127.0.0.1");
    memcached_url(b, sizeof(b), "localhost");
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    pt_assert_check(&r, "memcached", "PASS", NULL);
    pt_assert_check(&r, "memcached-2", "PASS", NULL);
}

/* memcached has no password in its URL: one given is refused, and never printed. */
Test(memcached, userinfo_and_path_are_refused_with_one_line, .timeout = 20)
{
    static const char *const bad[][2] = {
        {"memcached://app:Mc-pw-4242@127.0.0.1:11211", "takes no user or password"},
        {"memcached://127.0.0.1:11211/0", "takes no path or options"},
        {"memcached://127.0.0.1:11211?timeout=1", "takes no path or options"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *argv[] = {"check", bad[i][0], NULL};
        const char *vargv[] = {"validate", bad[i][0], NULL};
        struct probe_result r;

        pt_run(&r, argv, NULL);
        PT_ASSERT_EXIT(&r, 1);
        cr_assert_eq(r.out_len, 0, "nothing on stdout" PT_OUT, PT_ARGS(&r));
        cr_assert_eq(pt_count_lines(r.err), 1, "one line" PT_OUT, PT_ARGS(&r));
        PT_ASSERT_ERR_RE(&r, bad[i][1]);
        pt_assert_no_secret(&r, "Mc-pw-4242");
        pt_run(&r, vargv, NULL);
        PT_ASSERT_EXIT(&r, 2);
        pt_assert_no_secret(&r, "Mc-pw-4242");
    }
}

/* A memcached started with -Y (ASCII auth) answers every command before a login with
 * CLIENT_ERROR unauthenticated: an auth failure, with the server's text, since the URL has no
 * way to log in. */
Test(memcached, server_with_ascii_auth_is_an_auth_failure, .timeout = 20)
{
    struct harness_memcached m = {.auth = 1};
    char err[HARNESS_ERRLEN], url[128], v[128];
    const char *argv[] = {"check", "--json", "--timeout", "2s", url, NULL};
    struct probe_result r;

    cr_assert_eq(harness_memcached_start(&m, err, sizeof(err)), 0, "%s", err);
    snprintf(url, sizeof(url), "memcached://127.0.0.1:%d", m.port);
    pt_run(&r, argv, NULL);
    harness_proc_stop(&m.proc);
    PT_ASSERT_EXIT(&r, 1);
    cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/reason", v, sizeof(v)), 0,
                 PT_OUT, PT_ARGS(&r));
    cr_assert_str_eq(v, "auth", PT_OUT, PT_ARGS(&r));
    cr_assert_eq(pt_json_get(r.out, "checks/memcached:responseTime/0/output", v, sizeof(v)), 0);
    cr_assert(pt_match(v, "^CLIENT_ERROR unauthenticated", 0), "output: %s", v);
    pt_assert_no_secret(&r, HARNESS_MEMCACHED_PASSWORD);
}
