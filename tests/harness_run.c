/* The one runner of the tests: starts a program (the probe, usually) the way every test wants
 * it started, with a clean environment, captures stdout and stderr, bounds its run time and
 * reports how it ended, how long it took and how much memory it used at most. The fault, the
 * integration and the configs tests all run their children through harness_run(), and the
 * servers of the harness start theirs with the same child setup. Depends on libc only. */
#include "harness_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double
harness_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void
harness_note_deadline(double elapsed_ms, int deadline_ms, const char *what)
{
    const char *path = getenv("PROBE_DEADLINE_LOG");
    FILE *f;

    if (path == NULL || path[0] == '\0' || (f = fopen(path, "a")) == NULL)
        return;
    fprintf(f, "%.1f %d %.1f %s\n", elapsed_ms - deadline_ms, deadline_ms, elapsed_ms, what);
    fclose(f);
}

/* Signal dispositions set to "ignore" survive exec; a server must start with defaults. */
static void
child_reset_signals(void)
{
    sigset_t all;
    int s;

    for (s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    }
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
}

void
harness_child_prepare(pid_t parent, int main_thread, int outfd, int errfd)
{
    int nul = open("/dev/null", O_RDONLY);

    setpgid(0, 0);
    if (main_thread)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    child_reset_signals();
    if (nul >= 0)
        dup2(nul, 0);
    dup2(outfd, 1);
    dup2(errfd, 2);
    close_range(3, ~0U, 0);
}

/* ---- the child's environment and output ---- */

static int
env_name_is(const char *entry, const char *name)
{
    size_t n = strlen(name);

    return strncmp(entry, name, n) == 0 && (entry[n] == '=' || entry[n] == '\0');
}

static int
env_inherited(const char *entry)
{
    return strncmp(entry, "PROBE_", 6) != 0 && !env_name_is(entry, "SSL_CERT_FILE") &&
           !env_name_is(entry, "SSL_CERT_DIR");
}

char **
harness_child_env(const char *const extra[], int only)
{
    size_t nenv = 0, nextra = 0, n = 0, i, j;
    char **out;

    while (!only && environ[nenv] != NULL)
        nenv++;
    while (extra != NULL && extra[nextra] != NULL)
        nextra++;
    out = calloc(nenv + nextra + 1, sizeof(*out));
    if (out == NULL)
        return NULL;
    for (i = 0; i < nenv; i++) {
        int keep = env_inherited(environ[i]);

        for (j = 0; keep && j < nextra; j++) {
            char name[256];
            size_t k = strcspn(extra[j], "=");

            snprintf(name, sizeof(name), "%.*s", (int)k, extra[j]);
            if (env_name_is(environ[i], name))
                keep = 0;
        }
        if (keep)
            out[n++] = environ[i];
    }
    for (j = 0; j < nextra; j++) {
        if (strchr(extra[j], '=') != NULL) {
            union {
                const char *c;
                char *m;
            } e;

            e.c = extra[j];
            out[n++] = e.m;
        }
    }
    out[n] = NULL;
    return out;
}

/* Appends to one of the result's buffers; what does not fit is dropped (and noted). */
static void
capture_add(struct probe_result *r, int is_err, const char *data, size_t n)
{
    char *buf = is_err ? r->err : r->out;
    size_t *len = is_err ? &r->err_len : &r->out_len;

    if (*len + n > HARNESS_OUT_MAX - 1) {
        n = HARNESS_OUT_MAX - 1 - *len;
        r->truncated = 1;
    }
    memcpy(buf + *len, data, n);
    *len += n;
    buf[*len] = '\0';
}

static void
result_fail(struct probe_result *r, const char *fmt, const char *arg)
{
    snprintf(r->err, sizeof(r->err), fmt, arg);
    r->err_len = strlen(r->err);
}

void
harness_child_execve(const char *bin, const char *const argv[], char **envp)
{
    union {
        const char *const *c;
        char *const *m;
    } a;

    a.c = argv;
    execve(bin, a.m, envp);
    dprintf(2, "harness: cannot run %s: %s\n", bin, strerror(errno));
    _exit(127);
}

/* ---- running a program ---- */

/* In the child, after harness_child_prepare(): the resource limits the command asks for. A
 * limit that cannot be set ends the child with 126 before the program runs. */
static void
child_limits(const struct harness_cmd *c)
{
    if (c->nofile > 0) {
        struct rlimit rl = {(rlim_t)c->nofile, (rlim_t)c->nofile};

        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            dprintf(2, "harness: setrlimit(RLIMIT_NOFILE, %ld): %s\n", c->nofile, strerror(errno));
            _exit(126);
        }
    }
}

/* Reads both pipes until the child closes them or the limit passes (then it is killed). */
static void
collect(struct probe_result *r, pid_t pid, int outfd, int errfd, double limit)
{
    struct pollfd pfd[2];
    int open_fds = errfd >= 0 ? 2 : 1, i;

    pfd[0].fd = outfd;
    pfd[1].fd = errfd;
    pfd[0].events = pfd[1].events = POLLIN;
    while (open_fds > 0) {
        int left = (int)(limit - harness_now_ms());

        if (left <= 0) {
            kill(pid, SIGKILL);
            r->killed = 1;
            break;
        }
        if (poll(pfd, 2, left) == -1) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (i = 0; i < 2; i++) {
            char buf[65536];
            ssize_t got;

            if (pfd[i].fd < 0 || pfd[i].revents == 0)
                continue;
            got = read(pfd[i].fd, buf, sizeof(buf));
            if (got > 0) {
                capture_add(r, i == 1, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (i = 0; i < 2; i++) {
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
    }
}

int
harness_run(const struct harness_cmd *c, struct probe_result *r)
{
    const char *bin = c->bin;
    const char *args[HARNESS_ARGS_MAX + 2];
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, status = 0, n = 0;
    struct rusage ru;
    double t0;
    char **envp;
    pid_t pid, parent = getpid();

    r->exited = r->signo = r->killed = r->truncated = 0;
    r->exit_code = -1;
    r->out_len = r->err_len = 0;
    r->out[0] = r->err[0] = '\0';
    r->elapsed_ms = 0;
    r->maxrss_kb = 0;
    if (bin == NULL || bin[0] == '\0')
        bin = getenv("PROBE_BIN");
    if (bin == NULL || bin[0] == '\0')
        bin = "build/probe";
    args[n++] = bin;
    while (c->argv != NULL && c->argv[n - 1] != NULL && n <= HARNESS_ARGS_MAX) {
        args[n] = c->argv[n - 1];
        n++;
    }
    args[n] = NULL;
    if (c->argv != NULL && c->argv[n - 1] != NULL) {
        result_fail(r, "harness: more than %s arguments", HARNESS_ARGS_MAX_TEXT);
        return -1;
    }
    envp = harness_child_env(c->env, c->env_only);
    if (envp == NULL || pipe2(po, O_CLOEXEC) == -1 ||
        (!c->merge_err && pipe2(pe, O_CLOEXEC) == -1)) {
        result_fail(r, "harness: cannot set up the child: %s", strerror(errno));
        free(envp);
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        return -1;
    }
    t0 = harness_now_ms();
    pid = fork();
    if (pid == 0) {
        /* The thread that forks waits for the child, so its death signal is safe from any. */
        harness_child_prepare(parent, 1, po[1], c->merge_err ? po[1] : pe[1]);
        child_limits(c);
        harness_child_execve(bin, args, envp);
    }
    free(envp);
    close(po[1]);
    if (pe[1] >= 0)
        close(pe[1]);
    if (pid == -1) {
        close(po[0]);
        if (pe[0] >= 0)
            close(pe[0]);
        result_fail(r, "harness: fork: %s", strerror(errno));
        return -1;
    }
    collect(r, pid, po[0], pe[0], t0 + HARNESS_RUN_LIMIT_MS);
    /* Both pipes closed: the child has exited or is about to. */
    memset(&ru, 0, sizeof(ru));
    while (wait4(pid, &status, 0, &ru) == -1 && errno == EINTR) {
    }
    r->elapsed_ms = harness_now_ms() - t0;
    r->maxrss_kb = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        r->exited = 1;
        r->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r->signo = WTERMSIG(status);
    }
    return 0;
}

int
harness_run_probe(const char *const argv[], const char *const env[], struct probe_result *r)
{
    struct harness_cmd c = {0};

    c.argv = argv;
    c.env = env;
    return harness_run(&c, r);
}
