/* The processes, temp dirs and files the test harness owns, and who cleans them up.
 *
 * Every server runs in its own mkdtemp'd directory and process group. Three things make sure
 * none outlives the run: harness_stop_all() (called by the test runner's POST_ALL hook and
 * by demo), an atexit handler in the process that started them, and a guardian process that
 * holds the read end of a pipe and, when the starting process dies without cleaning up (a
 * signal, a crash), kills what is still registered and removes the directories. */
#include "harness_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REG_MAX 64

void
harness_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

void
harness_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int
harness_pathf(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- files ---- */

static int
rmtree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void
harness_rmtree(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return;
    nftw(path, rmtree_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int
harness_write_file(const char *path, const char *text, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        harness_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fputs(text, f);
    if (fclose(f) != 0) {
        harness_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The last bytes of a log file on one line, for error messages. */
void
harness_log_tail(const char *path, char *out, size_t outlen)
{
    char buf[600];
    size_t n, i, j = 0;
    FILE *f = fopen(path, "r");

    out[0] = '\0';
    if (f == NULL)
        return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);

        if (size > (long)sizeof(buf) - 1)
            fseek(f, size - (long)sizeof(buf) + 1, SEEK_SET);
        else
            fseek(f, 0, SEEK_SET);
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    for (i = 0; i < n && j + 4 < outlen; i++) {
        if (buf[i] == '\n') {
            if (i + 1 < n)
                j += (size_t)snprintf(out + j, outlen - j, " | ");
        } else if (buf[i] != '\r') {
            out[j++] = buf[i];
        }
    }
    out[j] = '\0';
}

int
harness_make_tempdir(struct harness_proc *p, const char *what, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->what, sizeof(p->what), "%s", what);
    snprintf(p->dir, sizeof(p->dir), "/tmp/probe-test-%s.XXXXXX", what);
    if (mkdtemp(p->dir) == NULL) {
        harness_errf(err, errlen, "%s: mkdtemp: %s", what, strerror(errno));
        p->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- the registry and the guardian ---- */

struct reg_entry {
    pid_t pid;              /* 0 for a directory entry */
    char dir[HARNESS_PATH]; /* "" for a process entry */
};

static struct reg_entry reg[REG_MAX];
static int nreg;
static int guard_fd = -1;
static pid_t reg_owner;

static void guardian_main(int fd) __attribute__((noreturn));

static int
proc_gone(pid_t pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    size_t n;

    if (kill(pid, 0) == -1 && errno == ESRCH)
        return 1;
    /* An orphan that nobody reaps stays a zombie; that is gone enough. */
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

/* Reads "P pid", "p pid", "D dir", "d dir" lines until the pipe closes; then everything still
 * registered is killed and removed. It runs in its own session so that a Ctrl-C aimed at the
 * test run does not take it down before it has cleaned up. */
static void
guardian_main(int fd)
{
    static struct reg_entry g[REG_MAX];
    char line[HARNESS_PATH + 16], ch;
    size_t len = 0;
    int ng = 0, i, t;
    ssize_t n;

    setsid();
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        n = read(fd, &ch, 1);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (ch != '\n') {
            if (len + 1 < sizeof(line))
                line[len++] = ch;
            continue;
        }
        line[len] = '\0';
        len = 0;
        if (line[0] == 'P' && ng < REG_MAX) {
            g[ng].pid = (pid_t)atoi(line + 2);
            g[ng++].dir[0] = '\0';
        } else if (line[0] == 'D' && ng < REG_MAX) {
            g[ng].pid = 0;
            harness_pathf(g[ng++].dir, sizeof(g[0].dir), "%s", line + 2);
        } else if (line[0] == 'p' || line[0] == 'd') {
            for (i = 0; i < ng; i++) {
                if ((line[0] == 'p' && g[i].pid == (pid_t)atoi(line + 2)) ||
                    (line[0] == 'd' && g[i].pid == 0 && strcmp(g[i].dir, line + 2) == 0)) {
                    g[i] = g[--ng];
                    break;
                }
            }
        }
    }
    for (i = 0; i < ng; i++) {
        if (g[i].pid > 0) {
            kill(-g[i].pid, SIGKILL);
            kill(g[i].pid, SIGKILL);
        }
    }
    for (i = 0; i < ng; i++) {
        for (t = 0; g[i].pid > 0 && t < 300 && !proc_gone(g[i].pid); t++)
            harness_sleep_ms(10);
    }
    for (i = 0; i < ng; i++) {
        if (g[i].pid == 0)
            harness_rmtree(g[i].dir);
    }
    _exit(0);
}

static void
harness_atexit(void)
{
    if (getpid() == reg_owner)
        harness_stop_all();
}

static void
guard_send(char kind, pid_t pid, const char *dir)
{
    char line[HARNESS_PATH + 16];
    int n;

    if (guard_fd == -1)
        return;
    if (dir != NULL)
        n = snprintf(line, sizeof(line), "%c %s\n", kind, dir);
    else
        n = snprintf(line, sizeof(line), "%c %d\n", kind, (int)pid);
    if (n > 0 && write(guard_fd, line, (size_t)n) != n) {
        /* The guardian is gone; the atexit handler still cleans up. */
    }
}

/* Lazily starts the guardian and the atexit handler, in the first process that starts a
 * server. Forked children (Criterion workers) inherit neither duty: both check the pid. */
static void
guard_init(void)
{
    int fds[2];
    pid_t pid;

    if (reg_owner == getpid())
        return;
    reg_owner = getpid();
    nreg = 0;
    guard_fd = -1;
    atexit(harness_atexit);
    if (pipe2(fds, O_CLOEXEC) == -1)
        return;
    pid = fork();
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);

        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
        }
        if (fds[0] != 3) {
            dup2(fds[0], 3);
        }
        close_range(4, ~0U, 0);
        guardian_main(3);
    }
    close(fds[0]);
    if (pid == -1) {
        close(fds[1]);
        return;
    }
    guard_fd = fds[1];
}

void
harness_reg_add(pid_t pid, const char *dir)
{
    guard_init();
    if (nreg < REG_MAX) {
        reg[nreg].pid = pid;
        snprintf(reg[nreg].dir, sizeof(reg[0].dir), "%s", dir != NULL ? dir : "");
        nreg++;
    }
    guard_send(pid > 0 ? 'P' : 'D', pid, pid > 0 ? NULL : dir);
}

void
harness_reg_forget(pid_t pid, const char *dir)
{
    int i;

    for (i = 0; i < nreg; i++) {
        if ((pid > 0 && reg[i].pid == pid) ||
            (pid == 0 && reg[i].pid == 0 && strcmp(reg[i].dir, dir) == 0)) {
            reg[i] = reg[--nreg];
            break;
        }
    }
    if (reg_owner == getpid())
        guard_send(pid > 0 ? 'p' : 'd', pid, pid > 0 ? NULL : dir);
}

int
harness_tempdir(const char *what, char *out, size_t outlen)
{
    struct harness_proc tmp;

    if (harness_make_tempdir(&tmp, what, NULL, 0) == -1 ||
        harness_pathf(out, outlen, "%s", tmp.dir) == -1)
        return -1;
    harness_reg_add(0, out);
    return 0;
}

/* ---- processes ---- */

/* 1 when pid has exited (reaped here or by someone else), 0 while it runs. */
int
harness_child_exited(pid_t pid, int *status)
{
    pid_t r = waitpid(pid, status, WNOHANG);

    if (r == pid)
        return 1;
    if (r == -1 && errno == ECHILD) {
        *status = -1;
        return 1;
    }
    return 0;
}

void
harness_describe_status(int status, char *out, size_t outlen)
{
    if (status == -1)
        snprintf(out, outlen, "exited");
    else if (WIFEXITED(status))
        snprintf(out, outlen, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, outlen, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, outlen, "stopped");
}

static void
child_exec(const char *const argv[])
{
    union {
        const char *const *c;
        char *const *m;
    } args;

    args.c = argv;
    execvp(args.m[0], args.m);
    dprintf(2, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Forks argv with stdout+stderr appended to log_path, in its own process group, in dir. */
pid_t
harness_spawn_logged(const char *const argv[], const char *dir, const char *log_path, char *err,
                     size_t errlen)
{
    pid_t parent = getpid(), pid;
    int main_thread = gettid() == parent;
    int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (logfd == -1) {
        harness_errf(err, errlen, "cannot open %s: %s", log_path, strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid == -1) {
        harness_errf(err, errlen, "fork: %s", strerror(errno));
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        harness_child_prepare(parent, main_thread, logfd, logfd);
        if (dir != NULL && chdir(dir) == -1)
            _exit(127);
        child_exec(argv);
    }
    setpgid(pid, pid);
    close(logfd);
    return pid;
}

/* Runs a command to completion (bounded), output appended to log_path. */
int
harness_run_logged(const char *const argv[], const char *dir, const char *log_path, int limit_ms,
                   char *err, size_t errlen)
{
    char why[64], tail[400];
    double end = harness_now_ms() + limit_ms;
    int status = 0;
    pid_t pid = harness_spawn_logged(argv, dir, log_path, err, errlen);

    if (pid == -1)
        return -1;
    while (!harness_child_exited(pid, &status)) {
        if (harness_now_ms() > end) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            harness_errf(err, errlen, "%s did not finish within %d ms", argv[0], limit_ms);
            return -1;
        }
        harness_sleep_ms(5);
    }
    if (status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return 0;
    harness_describe_status(status, why, sizeof(why));
    harness_log_tail(log_path, tail, sizeof(tail));
    harness_errf(err, errlen, "%s %s: %s", argv[0], why, tail);
    return -1;
}

void
harness_terminate(pid_t pid, int grace_ms)
{
    double end = harness_now_ms() + grace_ms;
    int status;

    if (kill(-pid, SIGTERM) == -1)
        kill(pid, SIGTERM);
    while (!harness_child_exited(pid, &status)) {
        if (harness_now_ms() > end) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        harness_sleep_ms(5);
    }
    /* Whatever the leader forked (httpd's per-connection children) goes with it. */
    kill(-pid, SIGKILL);
}

void
harness_proc_stop(struct harness_proc *p)
{
    if (p->pid > 0) {
        harness_terminate(p->pid, HARNESS_STOP_GRACE_MS);
        harness_reg_forget(p->pid, NULL);
        p->pid = 0;
    }
    if (p->dir[0] != '\0') {
        harness_rmtree(p->dir);
        harness_reg_forget(0, p->dir);
        p->dir[0] = '\0';
    }
}

void
harness_stop_all(void)
{
    int i;

    for (i = nreg - 1; i >= 0; i--) {
        if (reg[i].pid > 0) {
            pid_t pid = reg[i].pid;

            harness_terminate(pid, HARNESS_STOP_GRACE_MS);
            harness_reg_forget(pid, NULL);
        }
    }
    while (nreg > 0) {
        char dir[HARNESS_PATH];

        snprintf(dir, sizeof(dir), "%s", reg[nreg - 1].dir);
        harness_rmtree(dir);
        harness_reg_forget(0, dir);
    }
}

/* ---- /proc ---- */

long
harness_proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

int
harness_proc_fd_count(pid_t pid)
{
    char path[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n;
}
