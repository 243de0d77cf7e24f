/* probe wait: the command runs, in probe's place, only once one round passes whole; the
 * command gets the process as probe got it; the exit codes of SPEC "Exit codes". The command
 * is tests/helpers/report_exec, which writes down what it was handed. */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* Pauses of the tests that time the start: fixed, so "within one interval" is one number. */
#define PAUSE_MS 200
/* What a loaded 2-core machine and the sanitizer build add to a round and an exec. */
#define SLACK_MS 300

static void
sleep_ms(long ms)
{
    usleep((useconds_t)ms * 1000);
}

static const char *
helper(const char *name, char *out, size_t len)
{
    const char *dir = getenv("PROBE_HELPERS");

    cr_assert(dir != NULL && dir[0] != '\0', "PROBE_HELPERS is not set (run make integration)");
    snprintf(out, len, "%s/%s", dir, name);
    return out;
}

/* The value of key in report_exec's file, or NULL. */
static const char *
report_get(const char *report, const char *key, char *out, size_t len)
{
    size_t n = strlen(key);

    for (const char *p = report; p != NULL && *p != '\0';) {
        if (strncmp(p, key, n) == 0 && p[n] == '=') {
            snprintf(out, len, "%.*s", (int)strcspn(p + n + 1, "\n"), p + n + 1);
            return out;
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

static void
read_report(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    cr_assert_not_null(f, "the command did not run: no %s", path);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void
assert_report(const char *report, const char *key, const char *want)
{
    char v[512];

    cr_assert_not_null(report_get(report, key, v, sizeof(v)), "no %s in the report:\n%s", key,
                       report);
    cr_assert_str_eq(v, want, "%s is \"%s\", expected \"%s\"; report:\n%s", key, v, want, report);
}

/* This process's SigIgn mask. */
static unsigned long long
own_sigign(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long v = 0;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "SigIgn: %llx", &v) == 1)
            break;
    }
    if (f != NULL)
        fclose(f);
    return v;
}

static void
bg_start(struct harness_bg *b, const char *const argv[], const char *const env[])
{
    struct harness_cmd c = {0};
    char err[HARNESS_ERRLEN];

    c.argv = argv;
    c.env = env;
    cr_assert_eq(harness_bg_start(b, &c, err, sizeof(err)), 0, "%s", err);
}

/* A listening socket on 127.0.0.1:port (0: any; SO_REUSEADDR), or -1. */
static int
listen_on(int port)
{
    struct sockaddr_in sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

Test(wait, command_runs_in_probes_place_once_mysql_and_redis_answer, .timeout = 20)
{
    struct harness_redis redis = {0};
    struct harness_mysql mysql = {0};
    struct harness_bg bg;
    struct probe_result rr, *r = &rr;
    char dir[512], file[600], bin[512], db[256], cache[256], report[8192], v[64], pid[32];
    char err[HARNESS_ERRLEN];
    double ready_ms, exec_ms;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/report", dir);
    redis.want_port = harness_free_port();
    mysql.want_port = harness_free_port();
    snprintf(db, sizeof(db), "db=mysql://%s:%s@127.0.0.1:%d/%s", HARNESS_MYSQL_USER,
             HARNESS_MYSQL_PASSWORD, mysql.want_port, HARNESS_MYSQL_DB);
    snprintf(cache, sizeof(cache), "cache=redis://:%s@127.0.0.1:%d/0", HARNESS_REDIS_PASSWORD,
             redis.want_port);
    {
        const char *argv[] = {"wait",
                              "--timeout",
                              "18s",
                              "--interval",
                              "200ms",
                              "--max-interval",
                              "200ms",
                              db,
                              cache,
                              "--",
                              helper("report_exec", bin, sizeof(bin)),
                              file,
                              "one",
                              "two words",
                              NULL};
        const char *env[] = {"WAIT_TEST_VAR=kept-7", NULL};

        bg_start(&bg, argv, env);
    }
    snprintf(pid, sizeof(pid), "%ld", (long)bg.pid);
    sleep_ms(1000);
    cr_assert_eq(harness_redis_start(&redis, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(harness_mysql_start(&mysql, NULL, err, sizeof(err)), 0, "%s", err);
    ready_ms = harness_now_ms();
    harness_bg_finish(&bg, 15000, r);
    harness_proc_stop(&mysql.proc);
    harness_proc_stop(&redis.proc);
    PT_ASSERT_EXIT(r, 0);
    read_report(file, report, sizeof(report));
    assert_report(report, "pid", pid);
    assert_report(report, "argc", "3");
    assert_report(report, "arg1", "one");
    assert_report(report, "arg2", "two words");
    assert_report(report, "fds", "0,1,2");
    assert_report(report, "sigblk", "0000000000000000");
    /* glibc keeps signals 32 and 33 for itself: neither the harness nor probe can change how
     * they are set, so whatever this process has there, the command inherits */
    snprintf(v, sizeof(v), "%016llx", own_sigign() & 0x180000000ULL);
    assert_report(report, "sigign", v);
    assert_report(report, "itimer", "0.000000");
    assert_report(report, "env", "kept-7");
    cr_assert_str_eq(r->out, "app stdout\n", "stdout is the command's alone" PT_OUT, PT_ARGS(r));
    exec_ms = atof(report_get(report, "mono_ms", v, sizeof(v)));
    cr_assert(exec_ms - ready_ms <= PAUSE_MS + SLACK_MS,
              "the command ran %.1f ms after the last dependency answered (pause %d ms)" PT_OUT,
              exec_ms - ready_ms, PAUSE_MS, PT_ARGS(r));
    cr_log_info("wait: the command ran %.1f ms after mariadbd answered", exec_ms - ready_ms);
    PT_ASSERT_ERR_RE(r, "^probe wait: db down \\(connect\\): ");
    PT_ASSERT_ERR_RE(r, "^probe wait: cache down \\(connect\\): ");
    PT_ASSERT_ERR_RE(r, "^probe wait: cache up: PONG$");
    PT_ASSERT_ERR_RE(r, "^probe wait: db up: ping ok$");
    PT_ASSERT_ERR_RE(r, "^probe wait: ready after [0-9.]+(ms|s)$");
    pt_assert_no_secret(r, HARNESS_MYSQL_PASSWORD);
    pt_assert_no_secret(r, HARNESS_REDIS_PASSWORD);
    harness_bg_cleanup(&bg);
}

/* Two listeners that are never open at once: each passes every other round. */
struct flap {
    int port[2];
    int toggles; /* how many times to swap before both open */
    double both_open_ms;
};

static void *
flap_thread(void *arg)
{
    struct flap *f = arg;
    int open_one = 0, fd = listen_on(f->port[0]);

    for (int t = 0; t < f->toggles && fd >= 0; t++) {
        int c = accept(fd, NULL, NULL); /* a round's check connected */

        if (c >= 0)
            close(c);
        sleep_ms(50); /* that round is over: swap before the next one */
        close(fd);
        open_one = !open_one;
        fd = listen_on(f->port[open_one]);
    }
    {
        int other = listen_on(f->port[!open_one]);

        f->both_open_ms = harness_now_ms();
        sleep_ms(3000);
        if (other >= 0)
            close(other);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

Test(wait, a_flapping_dependency_does_not_end_the_wait_until_a_round_passes_whole, .timeout = 20)
{
    struct flap f = {{harness_free_port(), harness_free_port()}, 4, 0};
    struct harness_bg bg;
    struct probe_result rr, *r = &rr;
    char dir[512], file[600], bin[512], a[64], b[64], report[8192], v[64];
    pthread_t th;

    pt_tmpdir(dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/report", dir);
    snprintf(a, sizeof(a), "a=tcp://127.0.0.1:%d", f.port[0]);
    snprintf(b, sizeof(b), "b=tcp://127.0.0.1:%d", f.port[1]);
    cr_assert_eq(pthread_create(&th, NULL, flap_thread, &f), 0);
    sleep_ms(50);
    {
        const char *argv[] = {"wait",
                              "--timeout",
                              "10s",
                              "--interval",
                              "200ms",
                              "--max-interval",
                              "200ms",
                              a,
                              b,
                              "--",
                              helper("report_exec", bin, sizeof(bin)),
                              file,
                              NULL};

        bg_start(&bg, argv, NULL);
    }
    harness_bg_finish(&bg, 15000, r);
    pthread_join(th, NULL);
    PT_ASSERT_EXIT(r, 0);
    read_report(file, report, sizeof(report));
    cr_assert(atof(report_get(report, "mono_ms", v, sizeof(v))) >= f.both_open_ms,
              "the command ran before both listeners were open" PT_OUT, PT_ARGS(r));
    PT_ASSERT_ERR_RE(r, "probe wait: a up: connected\nprobe wait: b down \\(connect\\): "
                        "connection refused\nprobe wait: a down \\(connect\\): connection "
                        "refused\nprobe wait: b up: connected\nprobe wait: a up: connected\n"
                        "probe wait: b down");
    PT_ASSERT_ERR_RE(r, "^probe wait: ready after");
    harness_bg_cleanup(&bg);
}

Test(wait, overall_timeout_exits_1_with_the_report_of_what_still_fails, .timeout = 20)
{
    struct probe_result r;
    char refused[64], silent[64], bin[512];
    int port, fd = harness_silent_listener(&port);
    const char *argv[] = {"wait",
                          "--timeout",
                          "1s",
                          "--check-timeout",
                          "2s",
                          "--interval",
                          "100ms",
                          refused,
                          silent,
                          "--",
                          helper("report_exec", bin, sizeof(bin)),
                          "/nonexistent/report",
                          NULL};

    cr_assert(fd >= 0);
    snprintf(refused, sizeof(refused), "refused=tcp://127.0.0.1:%d", harness_free_port());
    snprintf(silent, sizeof(silent), "silent=redis://127.0.0.1:%d", port);
    pt_run(&r, argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 1000);
    cr_assert_str_empty(r.out, "nothing on stdout" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, "^probe wait: gave up after 1\\.[0-9]s \\(1 round\\): 2 of 2 checks "
                         "failing$");
    PT_ASSERT_ERR_RE(&r, "^FAIL refused +tcp://127.0.0.1:[0-9]+ +connection refused");
    /* the round in flight was cut at the deadline, with its phase */
    PT_ASSERT_ERR_RE(&r, "^FAIL silent +redis://127.0.0.1:[0-9]+ +timeout after (9[0-9]{2}|1000)ms "
                         "\\((connect|request|response)\\)");
    cr_assert(r.err_len < 4096, "the report is %zu bytes" PT_OUT, r.err_len, PT_ARGS(&r));
}

/* SIGTERM / SIGINT while a round is in flight: 128 + N, at once. */
static void
stopped_by(int sig, int want)
{
    struct harness_bg bg;
    struct probe_result r;
    char silent[64];
    int port, fd = harness_silent_listener(&port);
    const char *argv[] = {"wait", "--timeout", "15s", silent, "--", "true", NULL};
    double sent;

    cr_assert(fd >= 0);
    snprintf(silent, sizeof(silent), "redis://127.0.0.1:%d", port);
    bg_start(&bg, argv, NULL);
    sleep_ms(500);
    sent = harness_now_ms();
    kill(bg.pid, sig);
    harness_bg_finish(&bg, 5000, &r);
    close(fd);
    PT_ASSERT_EXIT(&r, want);
    cr_assert(r.elapsed_ms - (sent - bg.started_ms) < 200, "exited %.1f ms after the signal" PT_OUT,
              r.elapsed_ms - (sent - bg.started_ms), PT_ARGS(&r));
    cr_log_info("wait: exit %d %.1f ms after signal %d", want,
                r.elapsed_ms - (sent - bg.started_ms), sig);
    PT_ASSERT_ERR_RE(&r, "^probe: wait: stopped by SIG(TERM|INT)$");
    harness_bg_cleanup(&bg);
}

Test(wait, sigterm_while_waiting_exits_143_at_once, .timeout = 20)
{
    stopped_by(SIGTERM, 143);
}

Test(wait, sigint_while_waiting_exits_130_at_once, .timeout = 20)
{
    stopped_by(SIGINT, 130);
}

/* A target that passes at once: a listener the kernel accepts for. */
static int
open_target(char *url, size_t len)
{
    int port, fd = harness_silent_listener(&port);

    cr_assert(fd >= 0);
    snprintf(url, len, "tcp://127.0.0.1:%d", port);
    return fd;
}

static void
assert_one_error_line(const struct probe_result *r, const char *re)
{
    cr_assert_eq(pt_count_lines(r->err), 1, "one line on stderr" PT_OUT, PT_ARGS(r));
    PT_ASSERT_ERR_RE(r, re);
}

Test(wait, command_not_found_exits_127, .timeout = 20)
{
    struct probe_result r;
    char url[64];
    int fd = open_target(url, sizeof(url));
    const char *abs[] = {"wait", "-q", url, "--", "/nonexistent/app", NULL};
    const char *path[] = {"wait", "-q", url, "--", "no-such-app-3f1c", "arg", NULL};

    pt_run(&r, abs, NULL);
    PT_ASSERT_EXIT(&r, 127);
    assert_one_error_line(&r, "^probe: wait: cannot run \"/nonexistent/app\": No such file");
    pt_run(&r, path, NULL);
    PT_ASSERT_EXIT(&r, 127);
    assert_one_error_line(&r, "^probe: wait: cannot run \"no-such-app-3f1c\": No such file");
    close(fd);
}

Test(wait, command_not_executable_exits_126, .timeout = 20)
{
    struct probe_result r;
    char url[64], dir[512], file[600];
    int fd = open_target(url, sizeof(url));
    const char *argv[] = {"wait", "-q", url, "--", file, NULL};
    const char *isdir[] = {"wait", "-q", url, "--", dir, NULL};

    pt_tmpdir(dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/app.sh", dir);
    pt_write_file(file, "#!/bin/sh\necho never\n");
    chmod(file, 0644);
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 126);
    assert_one_error_line(&r, "^probe: wait: cannot run \"[^\"]+\": Permission denied$");
    pt_run(&r, isdir, NULL);
    PT_ASSERT_EXIT(&r, 126);
    close(fd);
}

Test(wait, without_a_command_exits_0_once_ready, .timeout = 20)
{
    struct probe_result r;
    char url[64];
    int fd = open_target(url, sizeof(url));
    const char *argv[] = {"wait", url, NULL};
    const char *quiet[] = {"wait", "-q", url, NULL};

    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_str_empty(r.out, "nothing on stdout" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, "^probe wait: tcp up: connected\nprobe wait: ready after [0-9]+ms\n$");
    pt_run(&r, quiet, NULL);
    PT_ASSERT_EXIT(&r, 0);
    cr_assert_str_empty(r.err, "-q: nothing on success" PT_OUT, PT_ARGS(&r));
    close(fd);
}

Test(wait, quiet_keeps_only_the_final_failure_report, .timeout = 20)
{
    struct probe_result r;
    char up[64], down[64];
    int fd = open_target(up, sizeof(up));
    const char *argv[] = {"wait",  "-q", "--timeout", "700ms", "--interval",
                          "100ms", up,   down,        NULL};

    snprintf(down, sizeof(down), "down=tcp://127.0.0.1:%d", harness_free_port());
    pt_run(&r, argv, NULL);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 700);
    cr_assert(!pt_match(r.err, " up: | down \\(", 0), "-q shows no progress" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, "^probe wait: gave up after [0-9]+ms \\([0-9]+ rounds\\): 1 of 2");
    PT_ASSERT_ERR_RE(&r, "^FAIL down ");
    cr_assert(!pt_match(r.err, "^PASS", 0), "-q: failures only" PT_OUT, PT_ARGS(&r));
}

Test(wait, bad_flags_exit_2_with_one_line, .timeout = 20)
{
    static const char *const cases[][6] = {
        {"--interval", "x", "tcp://127.0.0.1:1", NULL},
        {"--check-timeout", "0", "tcp://127.0.0.1:1", NULL},
        {"--max-interval", "-1s", "tcp://127.0.0.1:1", NULL},
        {"--timeout", "25h", "tcp://127.0.0.1:1", NULL},
        {"--bogus", "tcp://127.0.0.1:1", NULL},
        {"--json", "tcp://127.0.0.1:1", NULL},
        {"tcp://127.0.0.1:1", "--", NULL},
        {"--", "true", NULL},
        {"mysql://u:Sec-pw-91@127.0.0.1:99999/app", "--", "true", NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[8] = {"wait"};
        struct probe_result r;
        int n = 1;

        for (int k = 0; cases[i][k] != NULL; k++)
            argv[n++] = cases[i][k];
        argv[n] = NULL;
        pt_run(&r, argv, NULL);
        PT_ASSERT_EXIT(&r, 2);
        cr_assert_str_empty(r.out, "case %zu: nothing on stdout" PT_OUT, i, PT_ARGS(&r));
        assert_one_error_line(&r, "^probe: [^\n]+$");
        pt_assert_no_secret(&r, "Sec-pw-91");
    }
}

Test(wait, a_wrong_password_is_reported_without_the_password, .timeout = 20)
{
    struct probe_result r;
    char url[128];
    const char *argv[] = {"wait", "--timeout", "800ms", url, NULL};

    snprintf(url, sizeof(url), "cache=redis://:Wrong-pw-5e1d@127.0.0.1:%d",
             pt_env_int("PT_REDIS_PORT"));
    pt_run(&r, argv, NULL);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_ERR_RE(&r, "^probe wait: cache down \\(auth\\): WRONGPASS");
    PT_ASSERT_ERR_RE(&r, "^FAIL cache +redis://:\\*\\*\\*@127.0.0.1:[0-9]+ +WRONGPASS");
    pt_assert_no_secret(&r, "Wrong-pw-5e1d");
}

/* The config's timeout: bounds each round; PROBE_TIMEOUT the whole wait. */
Test(wait, config_timeout_bounds_each_round_and_probe_timeout_the_wait, .timeout = 20)
{
    struct probe_result r;
    char cfg[600], text[256];
    int port, fd = harness_silent_listener(&port);
    const char *argv[] = {"wait", "-c", cfg, NULL};
    const char *env[] = {"PROBE_TIMEOUT=1500ms", "PROBE_INTERVAL=100ms", NULL};

    cr_assert(fd >= 0);
    snprintf(text, sizeof(text),
             "timeout: 300ms\ninterval: 10s\nchecks:\n  - name: cache\n    url: "
             "redis://127.0.0.1:%d\n",
             port);
    pt_write_config(cfg, sizeof(cfg), text);
    pt_run(&r, argv, env);
    close(fd);
    PT_ASSERT_EXIT(&r, 1);
    PT_ASSERT_DEADLINE(&r, 1500);
    cr_assert(r.elapsed_ms >= 1500, "gave up before PROBE_TIMEOUT" PT_OUT, PT_ARGS(&r));
    PT_ASSERT_ERR_RE(&r, "^probe wait: cache down \\(timeout\\): timeout after 300ms");
}

/* What probe was given that it did not open itself is the command's: an inherited fd stays. */
Test(wait, an_inherited_descriptor_passes_through, .timeout = 20)
{
    struct harness_cmd c = {0};
    struct probe_result r;
    char url[64], dir[512], file[600], bin[512], script[2048], report[8192];
    int fd = open_target(url, sizeof(url));
    const char *argv[] = {"-c", script, NULL};

    pt_tmpdir(dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/report", dir);
    snprintf(script, sizeof(script), "exec 7</dev/null; exec '%s' wait -q '%s' -- '%s' '%s'",
             getenv("PROBE_BIN"), url, helper("report_exec", bin, sizeof(bin)), file);
    c.bin = "/bin/sh";
    c.argv = argv;
    cr_assert_eq(harness_run(&c, &r), 0, "%s", r.err);
    close(fd);
    PT_ASSERT_EXIT(&r, 0);
    read_report(file, report, sizeof(report));
    assert_report(report, "fds", "0,1,2,7");
}
