/* Integration test harness: throwaway real servers on loopback and a runner for the probe.
 *
 * Every server runs in its own mkdtemp'd directory and process group. Three things make sure
 * none outlives the run: harness_stop_all() (called by the test runner's POST_ALL hook and
 * by demo), an atexit handler in the process that started them, and a guardian process that
 * holds the read end of a pipe and, when the starting process dies without cleaning up (a
 * signal, a crash), kills what is still registered and removes the directories. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define START_LIMIT_MS 30000
#define INSTALL_LIMIT_MS 60000
#define STOP_GRACE_MS 5000
#define REG_MAX 64

/* ---- time, sockets ---- */

double
harness_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* snprintf for paths: the temp dirs are short, so a cut path is a bug worth a clear error
 * later (the file will not be found) rather than a compiler warning at every call. */
static int pathf(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pathf(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Fills a sockaddr for a numeric loopback address; the harness never talks to anything else. */
static int
loopback_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)port);
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
            return -1;
        *len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
            return -1;
        *len = sizeof(*s4);
    }
    return 0;
}

static int
bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
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

int
harness_free_port(void)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, port;

    if (loopback_addr("127.0.0.1", 0, &ss, &len) == -1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
        close(fd);
        return -1;
    }
    port = bound_port(fd);
    close(fd);
    return port;
}

int
harness_listener(const char *addr, int backlog, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;

    if (loopback_addr(addr, port != NULL ? *port : 0, &ss, &len) == -1)
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, backlog) == -1) {
        close(fd);
        return -1;
    }
    if (port != NULL)
        *port = bound_port(fd);
    return fd;
}

int
harness_silent_listener(int *port)
{
    *port = 0;
    return harness_listener("127.0.0.1", 64, port);
}

/* Starts a non-blocking connect to 127.0.0.1:port and says whether it completed within ms. */
static int
connect_within(int port, int ms, int *fd_out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct pollfd pfd;
    int fd, soerr = 0;
    socklen_t soerr_len = sizeof(soerr);

    *fd_out = -1;
    if (loopback_addr("127.0.0.1", port, &ss, &len) == -1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    *fd_out = fd;
    if (connect(fd, (struct sockaddr *)&ss, len) == 0)
        return 1;
    if (errno != EINPROGRESS)
        return -1;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, ms) != 1)
        return 0;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) == -1 || soerr != 0)
        return -1;
    return 1;
}

/* Linux drops a SYN when the accept queue of the listener is full (and
 * tcp_abort_on_overflow is 0), so with backlog 0 and one unaccepted connection every further
 * connect() hangs in SYN_SENT: a peer that "drops SYNs" without touching the firewall. */
int
harness_full_listener_open(struct harness_full_listener *f)
{
    int i, r;

    memset(f, 0, sizeof(*f));
    f->port = 0;
    f->lfd = harness_listener("127.0.0.1", 0, &f->port);
    if (f->lfd == -1)
        return -1;
    for (i = 0; i < (int)(sizeof(f->cfds) / sizeof(f->cfds[0])); i++) {
        r = connect_within(f->port, 300, &f->cfds[f->ncfds]);
        if (f->cfds[f->ncfds] != -1)
            f->ncfds++;
        if (r == 0)
            return 0; /* this SYN was dropped: the queue is full */
        if (r == -1)
            break;
    }
    harness_full_listener_close(f);
    return -1;
}

void
harness_full_listener_close(struct harness_full_listener *f)
{
    int i;

    for (i = 0; i < f->ncfds; i++)
        close(f->cfds[i]);
    f->ncfds = 0;
    if (f->lfd >= 0)
        close(f->lfd);
    f->lfd = -1;
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

static int
write_file(const char *path, const char *text, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fputs(text, f);
    if (fclose(f) != 0) {
        errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The last bytes of a log file on one line, for error messages. */
static void
log_tail(const char *path, char *out, size_t outlen)
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

static int
make_tempdir(struct harness_proc *p, const char *what, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->what, sizeof(p->what), "%s", what);
    snprintf(p->dir, sizeof(p->dir), "/tmp/probe-test-%s.XXXXXX", what);
    if (mkdtemp(p->dir) == NULL) {
        errf(err, errlen, "%s: mkdtemp: %s", what, strerror(errno));
        p->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- the registry and the guardian ---- */

static void reg_add(pid_t pid, const char *dir);

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
            pathf(g[ng++].dir, sizeof(g[0].dir), "%s", line + 2);
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
            sleep_ms(10);
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

static void
reg_add(pid_t pid, const char *dir)
{
    guard_init();
    if (nreg < REG_MAX) {
        reg[nreg].pid = pid;
        snprintf(reg[nreg].dir, sizeof(reg[0].dir), "%s", dir != NULL ? dir : "");
        nreg++;
    }
    guard_send(pid > 0 ? 'P' : 'D', pid, pid > 0 ? NULL : dir);
}

static void
reg_forget(pid_t pid, const char *dir)
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

    if (make_tempdir(&tmp, what, NULL, 0) == -1 || pathf(out, outlen, "%s", tmp.dir) == -1)
        return -1;
    reg_add(0, out);
    return 0;
}

/* ---- processes ---- */

/* 1 when pid has exited (reaped here or by someone else), 0 while it runs. */
static int
child_exited(pid_t pid, int *status)
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

static void
describe_status(int status, char *out, size_t outlen)
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

/* What every child does before exec: its own process group, killed with the runner (the death
 * signal follows the thread that forked, so only trust it from the main one), default signals,
 * stdin from /dev/null, stdout and stderr where asked, no other descriptors. */
static void
child_prepare(pid_t parent, int main_thread, int outfd, int errfd)
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
static pid_t
spawn(const char *const argv[], const char *dir, const char *log_path, char *err, size_t errlen)
{
    pid_t parent = getpid(), pid;
    int main_thread = gettid() == parent;
    int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (logfd == -1) {
        errf(err, errlen, "cannot open %s: %s", log_path, strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid == -1) {
        errf(err, errlen, "fork: %s", strerror(errno));
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        child_prepare(parent, main_thread, logfd, logfd);
        if (dir != NULL && chdir(dir) == -1)
            _exit(127);
        child_exec(argv);
    }
    setpgid(pid, pid);
    close(logfd);
    return pid;
}

/* Runs a command to completion (bounded), output appended to log_path. */
static int
run_cmd(const char *const argv[], const char *dir, const char *log_path, int limit_ms, char *err,
        size_t errlen)
{
    char why[64], tail[400];
    double end = harness_now_ms() + limit_ms;
    int status = 0;
    pid_t pid = spawn(argv, dir, log_path, err, errlen);

    if (pid == -1)
        return -1;
    while (!child_exited(pid, &status)) {
        if (harness_now_ms() > end) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            errf(err, errlen, "%s did not finish within %d ms", argv[0], limit_ms);
            return -1;
        }
        sleep_ms(5);
    }
    if (status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return 0;
    describe_status(status, why, sizeof(why));
    log_tail(log_path, tail, sizeof(tail));
    errf(err, errlen, "%s %s: %s", argv[0], why, tail);
    return -1;
}

static void
terminate(pid_t pid, int grace_ms)
{
    double end = harness_now_ms() + grace_ms;
    int status;

    if (kill(-pid, SIGTERM) == -1)
        kill(pid, SIGTERM);
    while (!child_exited(pid, &status)) {
        if (harness_now_ms() > end) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        sleep_ms(5);
    }
    /* Whatever the leader forked (httpd's per-connection children) goes with it. */
    kill(-pid, SIGKILL);
}

void
harness_proc_stop(struct harness_proc *p)
{
    if (p->pid > 0) {
        terminate(p->pid, STOP_GRACE_MS);
        reg_forget(p->pid, NULL);
        p->pid = 0;
    }
    if (p->dir[0] != '\0') {
        harness_rmtree(p->dir);
        reg_forget(0, p->dir);
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

            terminate(pid, STOP_GRACE_MS);
            reg_forget(pid, NULL);
        }
    }
    while (nreg > 0) {
        char dir[HARNESS_PATH];

        snprintf(dir, sizeof(dir), "%s", reg[nreg - 1].dir);
        harness_rmtree(dir);
        reg_forget(0, dir);
    }
}

/* Starts argv in p->dir and registers it. */
static int
proc_spawn(struct harness_proc *p, const char *const argv[], char *err, size_t errlen)
{
    char log_path[HARNESS_PATH + 32];

    pathf(log_path, sizeof(log_path), "%s/%s.log", p->dir, p->what);
    p->pid = spawn(argv, p->dir, log_path, err, errlen);
    if (p->pid == -1) {
        p->pid = 0;
        return -1;
    }
    reg_add(p->pid, NULL);
    return 0;
}

/* Frees everything a failed start left behind, keeping err. */
static int
start_failed(struct harness_proc *p)
{
    harness_proc_stop(p);
    return -1;
}

/* What a readiness probe makes of one attempt. */
enum ready { READY_NOT_YET, READY_YES, READY_FAIL };

/* Connects to 127.0.0.1:port, sends req (may be NULL), reads up to len bytes within ms. */
static ssize_t
exchange(int port, const char *req, char *buf, size_t len, int ms)
{
    struct pollfd pfd;
    size_t got = 0;
    ssize_t n;
    double end = harness_now_ms() + ms;
    int fd, r = connect_within(port, ms, &fd);

    if (r != 1) {
        if (fd != -1)
            close(fd);
        return -1;
    }
    if (req != NULL && send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    while (got < len) {
        int left = (int)(end - harness_now_ms());

        if (left <= 0)
            break;
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, left) <= 0)
            break;
        n = recv(fd, buf + got, len - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

/* Polls ready() until it says yes, the process dies, or the limit passes. */
static int
wait_ready(struct harness_proc *p, enum ready (*ready)(void *arg, char *why, size_t whylen),
           void *arg, int limit_ms, char *err, size_t errlen)
{
    char why[256] = "", log_path[HARNESS_PATH + 32], tail[400], how[64];
    double end = harness_now_ms() + limit_ms;
    int status;

    pathf(log_path, sizeof(log_path), "%s/%s.log", p->dir, p->what);
    for (;;) {
        enum ready r = ready(arg, why, sizeof(why));

        if (r == READY_YES)
            return 0;
        if (r == READY_FAIL) {
            log_tail(log_path, tail, sizeof(tail));
            errf(err, errlen, "%s: %s; log: %s", p->what, why, tail);
            return -1;
        }
        if (child_exited(p->pid, &status)) {
            describe_status(status, how, sizeof(how));
            log_tail(log_path, tail, sizeof(tail));
            errf(err, errlen, "%s %s before it was ready; log: %s", p->what, how, tail);
            reg_forget(p->pid, NULL);
            p->pid = 0;
            return -1;
        }
        if (harness_now_ms() > end) {
            log_tail(log_path, tail, sizeof(tail));
            errf(err, errlen, "%s not ready after %d ms%s%s; log: %s", p->what, limit_ms,
                 why[0] ? ": " : "", why, tail);
            return -1;
        }
        sleep_ms(20);
    }
}

/* A server may lose the race for a port picked by harness_free_port(); try a few ports. */
#define START_ATTEMPTS 3

/* ---- the certificates ---- */

static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = probe test\n"
                                  "[ca_ext]\n"
                                  "basicConstraints = critical, CA:TRUE\n"
                                  "keyUsage = critical, keyCertSign, cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[server_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "authorityKeyIdentifier = keyid\n"
                                  "[self_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost\n";

int
harness_pki_create(struct harness_pki *pki, char *err, size_t errlen)
{
    struct harness_proc tmp;
    char cnf[HARNESS_PATH + 16], csr[HARNESS_PATH + 16], log_path[HARNESS_PATH + 16];
    int i;

    memset(pki, 0, sizeof(*pki));
    if (make_tempdir(&tmp, "pki", err, errlen) == -1)
        return -1;
    snprintf(pki->dir, sizeof(pki->dir), "%s", tmp.dir);
    reg_add(0, pki->dir);
    snprintf(cnf, sizeof(cnf), "%s/openssl.cnf", pki->dir);
    snprintf(csr, sizeof(csr), "%s/server.csr", pki->dir);
    snprintf(log_path, sizeof(log_path), "%s/openssl.log", pki->dir);
    pathf(pki->ca, sizeof(pki->ca), "%s/ca.pem", pki->dir);
    pathf(pki->cert, sizeof(pki->cert), "%s/server.pem", pki->dir);
    pathf(pki->key, sizeof(pki->key), "%s/server.key", pki->dir);
    pathf(pki->self_cert, sizeof(pki->self_cert), "%s/self.pem", pki->dir);
    pathf(pki->self_key, sizeof(pki->self_key), "%s/self.key", pki->dir);
    if (write_file(cnf, openssl_cnf, err, errlen) == -1)
        goto fail;
    {
        const char *const ca[] = {"openssl",
                                  "req",
                                  "-x509",
                                  "-new",
                                  "-newkey",
                                  "ec",
                                  "-pkeyopt",
                                  "ec_paramgen_curve:prime256v1",
                                  "-nodes",
                                  "-keyout",
                                  "ca.key",
                                  "-out",
                                  "ca.pem",
                                  "-days",
                                  "3",
                                  "-subj",
                                  "/CN=probe test CA",
                                  "-config",
                                  cnf,
                                  "-extensions",
                                  "ca_ext",
                                  NULL};
        const char *const req[] = {"openssl",
                                   "req",
                                   "-new",
                                   "-newkey",
                                   "ec",
                                   "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1",
                                   "-nodes",
                                   "-keyout",
                                   "server.key",
                                   "-out",
                                   "server.csr",
                                   "-subj",
                                   "/CN=127.0.0.1",
                                   "-config",
                                   cnf,
                                   NULL};
        const char *const sign[] = {
            "openssl",    "x509",     "-req",        "-in",         "server.csr", "-CA", "ca.pem",
            "-CAkey",     "ca.key",   "-set_serial", "4242",        "-days",      "3",   "-out",
            "server.pem", "-extfile", cnf,           "-extensions", "server_ext", NULL};
        const char *const self[] = {
            "openssl",       "req",     "-x509",    "-new",
            "-newkey",       "ec",      "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes",        "-keyout", "self.key", "-out",
            "self.pem",      "-days",   "3",        "-subj",
            "/CN=127.0.0.1", "-config", cnf,        "-extensions",
            "self_ext",      NULL};
        const char *const *steps[] = {ca, req, sign, self};

        for (i = 0; i < 4; i++) {
            if (run_cmd(steps[i], pki->dir, log_path, 20000, err, errlen) == -1)
                goto fail;
        }
    }
    return 0;
fail:
    harness_pki_remove(pki);
    return -1;
}

void
harness_pki_remove(struct harness_pki *pki)
{
    if (pki->dir[0] == '\0')
        return;
    harness_rmtree(pki->dir);
    reg_forget(0, pki->dir);
    pki->dir[0] = '\0';
}

/* ---- redis ---- */

static enum ready
redis_ready(void *arg, char *why, size_t whylen)
{
    struct harness_redis *r = arg;
    char buf[4096], req[256];
    ssize_t n;

    if (r->master_port == 0 || r->master_port < 0) {
        n = exchange(r->port, "PING\r\n", buf, 1, 500);
        return n == 1 && (buf[0] == '+' || buf[0] == '-') ? READY_YES : READY_NOT_YET;
    }
    /* A replica is ready when its link to the master is up. */
    snprintf(req, sizeof(req), "AUTH %s\r\nINFO replication\r\nQUIT\r\n", HARNESS_REDIS_PASSWORD);
    n = exchange(r->port, req, buf, sizeof(buf) - 1, 500);
    if (n <= 0)
        return READY_NOT_YET;
    buf[n] = '\0';
    if (strncmp(buf, "-WRONGPASS", 10) == 0) {
        snprintf(why, whylen, "AUTH failed");
        return READY_FAIL;
    }
    snprintf(why, whylen, "replication link not up");
    return strstr(buf, "master_link_status:up") != NULL ? READY_YES : READY_NOT_YET;
}

/* master_port > 0: a replica that must reach its master; < 0: a replica of 127.0.0.1 at a
 * closed port (-master_port), whose link stays down and which answers -MASTERDOWN. */
static int
redis_try_start(struct harness_redis *r, char *err, size_t errlen)
{
    char conf[4096], path[HARNESS_PATH + 16];
    const char *const argv[] = {"redis-server", path, NULL};
    size_t n;

    if (make_tempdir(&r->proc, "redis", err, errlen) == -1)
        return -1;
    reg_add(0, r->proc.dir);
    r->port = harness_free_port();
    n = (size_t)snprintf(conf, sizeof(conf),
                         "bind 127.0.0.1\n"
                         "port %d\n"
                         "daemonize no\n"
                         "protected-mode no\n"
                         "save \"\"\n"
                         "appendonly no\n"
                         "databases 16\n"
                         "dir %s\n"
                         "logfile \"\"\n"
                         "maxclients 200\n"
                         "maxmemory 32mb\n"
                         "repl-diskless-sync yes\n"
                         "repl-diskless-sync-delay 0\n"
                         "requirepass %s\n"
                         "masterauth %s\n"
                         "user %s on >%s ~* &* +@all\n"
                         "user %s on >%s ~* &* -@all +auth\n"
                         "user %s on >%s ~* &* +@all\n",
                         r->port, r->proc.dir, HARNESS_REDIS_PASSWORD, HARNESS_REDIS_PASSWORD,
                         HARNESS_REDIS_ACL_USER, HARNESS_REDIS_ACL_PASSWORD,
                         HARNESS_REDIS_NOPING_USER, HARNESS_REDIS_NOPING_PASSWORD,
                         HARNESS_REDIS_PCT_USER, HARNESS_REDIS_PCT_PASSWORD);
    if (r->master_port > 0 && n < sizeof(conf))
        snprintf(conf + n, sizeof(conf) - n, "replicaof 127.0.0.1 %d\n", r->master_port);
    else if (r->master_port < 0 && n < sizeof(conf))
        snprintf(conf + n, sizeof(conf) - n,
                 "replicaof 127.0.0.1 %d\n"
                 "replica-serve-stale-data no\n",
                 -r->master_port);
    n = strlen(conf);
    if (r->extra_conf != NULL && n < sizeof(conf))
        snprintf(conf + n, sizeof(conf) - n, "%s\n", r->extra_conf);
    snprintf(path, sizeof(path), "%s/redis.conf", r->proc.dir);
    if (write_file(path, conf, err, errlen) == -1)
        return start_failed(&r->proc);
    if (proc_spawn(&r->proc, argv, err, errlen) == -1)
        return start_failed(&r->proc);
    if (wait_ready(&r->proc, redis_ready, r, START_LIMIT_MS, err, errlen) == -1)
        return start_failed(&r->proc);
    return 0;
}

int
harness_redis_start(struct harness_redis *r, char *err, size_t errlen)
{
    double t0 = harness_now_ms();
    int attempt;

    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (redis_try_start(r, err, errlen) == 0) {
            r->start_ms = harness_now_ms() - t0;
            return 0;
        }
    }
    return -1;
}

/* ---- mariadb ---- */

/* Where the server looks for plugins; the harness only asks for ed25519 when it is there. */
static const char *
mysql_plugin_dir(void)
{
    static const char *const dirs[] = {"/usr/lib/mysql/plugin",       "/usr/lib64/mysql/plugin",
                                       "/usr/lib/mariadb/plugin",     "/usr/lib64/mariadb/plugin",
                                       "/usr/local/mysql/lib/plugin", NULL};
    char path[HARNESS_PATH];
    int i;

    for (i = 0; dirs[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/auth_ed25519.so", dirs[i]);
        if (access(path, R_OK) == 0)
            return dirs[i];
    }
    return NULL;
}

static const char *
find_program(const char *name, char *out, size_t outlen)
{
    static const char *const extra[] = {"/usr/sbin", "/usr/local/sbin", "/sbin", NULL};
    const char *path = getenv("PATH");
    char dirs[4096], *save = NULL, *d;
    int i;

    snprintf(dirs, sizeof(dirs), "%s", path != NULL ? path : "/usr/bin:/bin");
    for (d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, outlen, "%s/%s", d, name);
        if (access(out, X_OK) == 0)
            return out;
    }
    for (i = 0; extra[i] != NULL; i++) {
        snprintf(out, outlen, "%s/%s", extra[i], name);
        if (access(out, X_OK) == 0)
            return out;
    }
    return NULL;
}

static enum ready
mysql_ready(void *arg, char *why, size_t whylen)
{
    struct harness_mysql *m = arg;
    unsigned char buf[5];
    ssize_t n;

    /* The server accepts TCP before it runs --init-file, but sends its greeting (protocol
     * version 10) only once the init file is done and connections are handled. */
    n = exchange(m->port, NULL, (char *)buf, sizeof(buf), 1000);
    if (n < (ssize_t)sizeof(buf))
        return READY_NOT_YET;
    if (buf[4] == 10)
        return READY_YES;
    snprintf(why, whylen, "unexpected greeting byte 0x%02x", buf[4]);
    return buf[4] == 0xff ? READY_FAIL : READY_NOT_YET;
}

static int
dir_exists(const char *dir, const char *sub)
{
    char path[HARNESS_PATH * 2];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The init file stops at its first error, so each part ends by creating a marker database
 * whose directory then shows that the part ran. ed25519 comes last: it may be missing. */
static int
mysql_write_init(const char *path, int with_ed25519, char *err, size_t errlen)
{
    char sql[4096];
    size_t n;

    n = (size_t)snprintf(
        sql, sizeof(sql),
        "DROP USER IF EXISTS ''@'localhost';\n"
        "CREATE DATABASE IF NOT EXISTS %s;\n"
        "CREATE TABLE %s.items (id INT PRIMARY KEY, name VARCHAR(32));\n"
        "INSERT INTO %s.items VALUES (1, 'one');\n"
        "CREATE USER '%s'@'%%' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s');\n"
        "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%%';\n"
        /* without a global privilege, an unknown database reads 1044, not 1049 */
        "GRANT SELECT ON *.* TO '%s'@'%%';\n"
        "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n"
        "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n"
        "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%%';\n"
        "CREATE DATABASE harness_base_done;\n",
        HARNESS_MYSQL_DB, HARNESS_MYSQL_DB, HARNESS_MYSQL_DB, HARNESS_MYSQL_USER,
        HARNESS_MYSQL_PASSWORD, HARNESS_MYSQL_DB, HARNESS_MYSQL_USER, HARNESS_MYSQL_USER,
        HARNESS_MYSQL_NOAPP_USER, HARNESS_MYSQL_NOAPP_PASSWORD, HARNESS_MYSQL_PCT_USER,
        HARNESS_MYSQL_PCT_PASSWORD, HARNESS_MYSQL_DB, HARNESS_MYSQL_PCT_USER);
    if (with_ed25519 && n < sizeof(sql))
        snprintf(sql + n, sizeof(sql) - n,
                 "CREATE USER '%s'@'%%' IDENTIFIED VIA ed25519 USING PASSWORD('%s');\n"
                 "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%%';\n"
                 "CREATE DATABASE harness_ed25519_done;\n",
                 HARNESS_MYSQL_ED25519_USER, HARNESS_MYSQL_ED25519_PASSWORD, HARNESS_MYSQL_DB,
                 HARNESS_MYSQL_ED25519_USER);
    return write_file(path, sql, err, errlen);
}

static int
mysql_try_start(struct harness_mysql *m, const struct harness_pki *pki, char *err, size_t errlen)
{
    char datadir[HARNESS_PATH + 16], init[HARNESS_PATH + 16], log_path[HARNESS_PATH + 16];
    char o_datadir[HARNESS_PATH + 32], o_socket[HARNESS_PATH + 32], o_port[32];
    char o_pid[HARNESS_PATH + 32], o_err[HARNESS_PATH + 32], o_init[HARNESS_PATH + 32];
    char o_tmp[HARNESS_PATH + 32], o_plugdir[HARNESS_PATH + 32];
    char o_ca[HARNESS_PATH + 32], o_cert[HARNESS_PATH + 32], o_key[HARNESS_PATH + 32];
    char mariadbd[HARNESS_PATH], install[HARNESS_PATH];
    const char *plugdir = mysql_plugin_dir();
    const char *argv[48];
    double t0;
    int n = 0, root = geteuid() == 0;

    if (find_program("mariadbd", mariadbd, sizeof(mariadbd)) == NULL &&
        find_program("mysqld", mariadbd, sizeof(mariadbd)) == NULL) {
        errf(err, errlen, "mariadb: mariadbd not found (install mariadb-server)");
        return -1;
    }
    if (find_program("mariadb-install-db", install, sizeof(install)) == NULL &&
        find_program("mysql_install_db", install, sizeof(install)) == NULL) {
        errf(err, errlen, "mariadb: mariadb-install-db not found (install mariadb-server)");
        return -1;
    }
    if (make_tempdir(&m->proc, "mariadb", err, errlen) == -1)
        return -1;
    reg_add(0, m->proc.dir);
    m->port = harness_free_port();
    snprintf(datadir, sizeof(datadir), "%s/data", m->proc.dir);
    pathf(m->socket, sizeof(m->socket), "%s/mysql.sock", m->proc.dir);
    snprintf(init, sizeof(init), "%s/init.sql", m->proc.dir);
    snprintf(log_path, sizeof(log_path), "%s/install.log", m->proc.dir);
    snprintf(o_datadir, sizeof(o_datadir), "--datadir=%s", datadir);
    snprintf(o_tmp, sizeof(o_tmp), "--tmpdir=%s", m->proc.dir);

    t0 = harness_now_ms();
    n = 0;
    argv[n++] = install;
    argv[n++] = "--no-defaults";
    argv[n++] = o_datadir;
    argv[n++] = "--auth-root-authentication-method=normal";
    argv[n++] = "--skip-test-db";
    argv[n++] = "--skip-name-resolve";
    if (root)
        argv[n++] = "--user=root";
    argv[n++] = "--skip-log-bin";
    argv[n++] = o_tmp;
    argv[n++] = "--innodb-buffer-pool-size=16M";
    argv[n++] = "--innodb-log-file-size=8M";
    argv[n++] = "--innodb-use-native-aio=0";
    argv[n] = NULL;
    if (run_cmd(argv, m->proc.dir, log_path, INSTALL_LIMIT_MS, err, errlen) == -1)
        return start_failed(&m->proc);
    m->install_ms = harness_now_ms() - t0;
    if (mysql_write_init(init, plugdir != NULL, err, errlen) == -1)
        return start_failed(&m->proc);

    snprintf(o_socket, sizeof(o_socket), "--socket=%s", m->socket);
    snprintf(o_port, sizeof(o_port), "--port=%d", m->port);
    snprintf(o_pid, sizeof(o_pid), "--pid-file=%s/mariadbd.pid", m->proc.dir);
    snprintf(o_err, sizeof(o_err), "--log-error=%s/error.log", m->proc.dir);
    snprintf(o_init, sizeof(o_init), "--init-file=%s", init);
    n = 0;
    argv[n++] = mariadbd;
    argv[n++] = "--no-defaults";
    argv[n++] = o_datadir;
    argv[n++] = o_socket;
    argv[n++] = o_port;
    argv[n++] = "--bind-address=127.0.0.1";
    argv[n++] = o_pid;
    argv[n++] = o_err;
    argv[n++] = o_tmp;
    argv[n++] = o_init;
    if (root)
        argv[n++] = "--user=root";
    argv[n++] = "--skip-networking=0";
    argv[n++] = "--skip-name-resolve";
    argv[n++] = "--skip-log-bin";
    argv[n++] = "--performance-schema=OFF";
    argv[n++] = "--innodb-buffer-pool-size=16M";
    argv[n++] = "--innodb-log-file-size=8M";
    argv[n++] = "--innodb-use-native-aio=0";
    argv[n++] = "--key-buffer-size=1M";
    argv[n++] = "--table-open-cache=64";
    argv[n++] = "--thread-cache-size=8";
    argv[n++] = "--max-connections=100";
    argv[n++] = "--max-connect-errors=1000000";
    argv[n++] = "--loose-feedback=OFF";
    if (plugdir != NULL) {
        snprintf(o_plugdir, sizeof(o_plugdir), "--plugin-dir=%s", plugdir);
        argv[n++] = o_plugdir;
        argv[n++] = "--plugin-load-add=auth_ed25519";
    }
    if (pki != NULL) {
        snprintf(o_ca, sizeof(o_ca), "--ssl-ca=%s", pki->ca);
        snprintf(o_cert, sizeof(o_cert), "--ssl-cert=%s", pki->cert);
        snprintf(o_key, sizeof(o_key), "--ssl-key=%s", pki->key);
        argv[n++] = o_ca;
        argv[n++] = o_cert;
        argv[n++] = o_key;
    }
    for (int i = 0; m->extra_args != NULL && m->extra_args[i] != NULL && i < 8; i++)
        argv[n++] = m->extra_args[i];
    argv[n] = NULL;

    t0 = harness_now_ms();
    if (proc_spawn(&m->proc, argv, err, errlen) == -1)
        return start_failed(&m->proc);
    if (wait_ready(&m->proc, mysql_ready, m, START_LIMIT_MS, err, errlen) == -1)
        return start_failed(&m->proc);
    m->start_ms = harness_now_ms() - t0;
    if (!dir_exists(datadir, "harness_base_done")) {
        char tail[400];

        snprintf(log_path, sizeof(log_path), "%s/mariadb.log", m->proc.dir);
        log_tail(log_path, tail, sizeof(tail));
        errf(err, errlen, "mariadb: the init file failed: %s", tail);
        return start_failed(&m->proc);
    }
    m->ed25519 = dir_exists(datadir, "harness_ed25519_done");
    m->tls = pki != NULL;
    return 0;
}

int
harness_mysql_start(struct harness_mysql *m, const struct harness_pki *pki, char *err,
                    size_t errlen)
{
    int attempt;

    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (mysql_try_start(m, pki, err, errlen) == 0)
            return 0;
        if (strstr(err, "not found") != NULL)
            break;
    }
    return -1;
}

/* ---- the HTTP helper and openssl s_server ---- */

static enum ready
httpd_ready(void *arg, char *why, size_t whylen)
{
    struct harness_httpd *h = arg;
    char buf[16];
    ssize_t n = exchange(h->port, "GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", buf, 12, 500);

    (void)why;
    (void)whylen;
    return n == 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0 ? READY_YES : READY_NOT_YET;
}

int
harness_httpd_start(struct harness_httpd *h, const char *helpers_dir, char *err, size_t errlen)
{
    char bin[HARNESS_PATH + 16], port[16];
    const char *const argv[] = {bin, port, "127.0.0.1", NULL};
    int attempt;

    if (helpers_dir == NULL || helpers_dir[0] == '\0')
        helpers_dir = "build/helpers";
    if (helpers_dir[0] == '/')
        snprintf(bin, sizeof(bin), "%s/httpd", helpers_dir);
    else {
        char cwd[HARNESS_PATH];

        if (getcwd(cwd, sizeof(cwd)) == NULL)
            cwd[0] = '\0';
        snprintf(bin, sizeof(bin), "%.120s/%.120s/httpd", cwd, helpers_dir);
    }
    if (access(bin, X_OK) == -1) {
        errf(err, errlen, "httpd: %s: %s (build tests/helpers/httpd.c, set PROBE_HELPERS)", bin,
             strerror(errno));
        return -1;
    }
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (make_tempdir(&h->proc, "httpd", err, errlen) == -1)
            return -1;
        reg_add(0, h->proc.dir);
        h->port = harness_free_port();
        snprintf(port, sizeof(port), "%d", h->port);
        if (proc_spawn(&h->proc, argv, err, errlen) == 0 &&
            wait_ready(&h->proc, httpd_ready, h, START_LIMIT_MS, err, errlen) == 0)
            return 0;
        harness_proc_stop(&h->proc);
    }
    return -1;
}

static enum ready
tcp_ready(void *arg, char *why, size_t whylen)
{
    int *port = arg, fd, r = connect_within(*port, 500, &fd);

    (void)why;
    (void)whylen;
    if (fd != -1)
        close(fd);
    return r == 1 ? READY_YES : READY_NOT_YET;
}

int
harness_https_start(struct harness_https *h, const char *cert, const char *key, char *err,
                    size_t errlen)
{
    char accept[64];
    const char *const argv[] = {"openssl", "s_server", "-accept", accept,   "-cert", cert,
                                "-key",    key,        "-www",    "-quiet", NULL};
    int attempt;

    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (make_tempdir(&h->proc, "https", err, errlen) == -1)
            return -1;
        reg_add(0, h->proc.dir);
        h->port = harness_free_port();
        snprintf(accept, sizeof(accept), "127.0.0.1:%d", h->port);
        if (proc_spawn(&h->proc, argv, err, errlen) == 0 &&
            wait_ready(&h->proc, tcp_ready, &h->port, START_LIMIT_MS, err, errlen) == 0)
            return 0;
        harness_proc_stop(&h->proc);
    }
    return -1;
}

/* ---- running the probe ---- */

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

/* The child's environment: the caller's, filtered (nothing of it when only), with the extra
 * entries applied. */
static char **
build_env(const char *const extra[], int only)
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

/* In the child, after child_prepare(): the resource limits the command asks for. A
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
    const char *args[128];
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
    while (c->argv != NULL && c->argv[n - 1] != NULL && n < 127) {
        args[n] = c->argv[n - 1];
        n++;
    }
    args[n] = NULL;
    envp = build_env(c->env, c->env_only);
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
        union {
            const char *const *c;
            char *const *m;
        } a;

        /* The thread that forks waits for the child, so its death signal is safe from any. */
        child_prepare(parent, 1, po[1], c->merge_err ? po[1] : pe[1]);
        child_limits(c);
        a.c = args;
        execve(bin, a.m, envp);
        dprintf(2, "harness: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
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

/* ---- a redis that goes down and comes back ---- */

void
harness_redis_kill(struct harness_redis *r)
{
    if (r->proc.pid > 0) {
        terminate(r->proc.pid, STOP_GRACE_MS);
        reg_forget(r->proc.pid, NULL);
        r->proc.pid = 0;
    }
}

/* The config file harness_redis_start() wrote is still in the directory, port included. */
int
harness_redis_restart(struct harness_redis *r, char *err, size_t errlen)
{
    char path[HARNESS_PATH + 16];
    const char *const argv[] = {"redis-server", path, NULL};

    if (r->proc.dir[0] == '\0' || r->proc.pid > 0) {
        errf(err, errlen, "redis: restart needs a server stopped by harness_redis_kill()");
        return -1;
    }
    if (pathf(path, sizeof(path), "%s/redis.conf", r->proc.dir) == -1)
        return -1;
    if (proc_spawn(&r->proc, argv, err, errlen) == -1)
        return -1;
    if (wait_ready(&r->proc, redis_ready, r, START_LIMIT_MS, err, errlen) == -1) {
        harness_redis_kill(r);
        return -1;
    }
    return 0;
}

/* ---- probe serve ---- */

#define SERVE_ATTEMPTS 3

static void
serve_exit_from_status(struct harness_serve_exit *x, int status)
{
    x->exited = 0;
    x->exit_code = -1;
    x->signo = 0;
    if (status == -1) {
        x->exited = 1; /* reaped by someone else: nothing more is known */
    } else if (WIFEXITED(status)) {
        x->exited = 1;
        x->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        x->signo = WTERMSIG(status);
    }
}

/* Forks bin serve [--listen listen] argv... with stdout and stderr in the serve's files. */
static pid_t
serve_spawn(struct harness_serve *s, const char *bin, const char *listen, const char *const argv[],
            const char *const env[], char *err, size_t errlen)
{
    const char *args[128];
    char **envp;
    int n = 0, i, outfd, errfd;
    int main_thread = gettid() == getpid();
    pid_t pid, parent = getpid();

    args[n++] = bin;
    args[n++] = "serve";
    if (listen != NULL) {
        args[n++] = "--listen";
        args[n++] = listen;
    }
    for (i = 0; argv != NULL && argv[i] != NULL && n < 127; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    outfd = open(s->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    errfd = open(s->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    envp = build_env(env, 0);
    if (outfd == -1 || errfd == -1 || envp == NULL) {
        errf(err, errlen, "serve: cannot set up the child: %s", strerror(errno));
        pid = -1;
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        union {
            const char *const *c;
            char *const *m;
        } a;

        child_prepare(parent, main_thread, outfd, errfd);
        a.c = args;
        execve(bin, a.m, envp);
        dprintf(2, "harness: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    if (pid == -1) {
        errf(err, errlen, "serve: fork: %s", strerror(errno));
    } else {
        setpgid(pid, pid);
        reg_add(pid, NULL);
    }
out:
    free(envp);
    if (outfd != -1)
        close(outfd);
    if (errfd != -1)
        close(errfd);
    return pid;
}

int
harness_serve_running(struct harness_serve *s, struct harness_serve_exit *x)
{
    int status = 0;

    if (s->pid > 0 && child_exited(s->pid, &status)) {
        serve_exit_from_status(&s->last, status);
        reg_forget(s->pid, NULL);
        s->pid = 0;
    }
    if (x != NULL)
        *x = s->last;
    return s->pid > 0;
}

size_t
harness_serve_log(const struct harness_serve *s, char *buf, size_t len)
{
    FILE *f = fopen(s->err_path, "r");
    size_t n = 0;

    if (len == 0)
        return 0;
    if (f != NULL) {
        n = fread(buf, 1, len - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return n;
}

int
harness_serve_start(struct harness_serve *s, const char *bin, const char *host,
                    const char *const argv[], const char *const env[], int wait_ms, char *err,
                    size_t errlen)
{
    char listen[96], tail[400];
    int attempt, fd;
    double end;

    if (host != NULL) {
        memset(s, 0, sizeof(*s));
        snprintf(s->host, sizeof(s->host), "%s", host);
    } else {
        s->pid = 0;
        s->dir[0] = '\0';
    }
    memset(&s->last, 0, sizeof(s->last));
    s->last.exit_code = -1;
    if (bin == NULL || bin[0] == '\0')
        bin = getenv("PROBE_BIN");
    if (bin == NULL || bin[0] == '\0')
        bin = "build/probe";
    if (harness_tempdir("serve", s->dir, sizeof(s->dir)) == -1 ||
        pathf(s->err_path, sizeof(s->err_path), "%s/stderr", s->dir) == -1 ||
        pathf(s->out_path, sizeof(s->out_path), "%s/stdout", s->dir) == -1) {
        errf(err, errlen, "serve: cannot make a temp dir: %s", strerror(errno));
        return -1;
    }
    for (attempt = 0; attempt < SERVE_ATTEMPTS; attempt++) {
        if (host != NULL) {
            s->port = harness_free_port();
            if (strchr(host, ':') != NULL)
                snprintf(listen, sizeof(listen), "[%s]:%d", host, s->port);
            else
                snprintf(listen, sizeof(listen), "%s:%d", host, s->port);
        }
        s->started_ms = harness_now_ms();
        s->pid = serve_spawn(s, bin, host != NULL ? listen : NULL, argv, env, err, errlen);
        if (s->pid == -1) {
            s->pid = 0;
            break;
        }
        end = s->started_ms + wait_ms;
        for (;;) {
            fd = harness_connect(s->host, s->port, 100);
            /* A connection made before the child exited might have been to someone else who
             * took the port; the child running after it is what says the port is ours. */
            if (!harness_serve_running(s, NULL)) {
                if (fd != -1)
                    close(fd);
                break;
            }
            if (fd != -1) {
                close(fd);
                s->ready_ms = harness_now_ms();
                return 0;
            }
            if (harness_now_ms() > end)
                break;
            sleep_ms(5);
        }
        log_tail(s->err_path, tail, sizeof(tail));
        if (s->pid > 0) {
            errf(err, errlen, "serve: port %d not accepting after %d ms; stderr: %s", s->port,
                 wait_ms, tail);
            break;
        }
        errf(err, errlen, "serve: exited (status %d, signal %d) before it listened; stderr: %s",
             s->last.exit_code, s->last.signo, tail);
        if (host == NULL || s->last.exit_code != 2 || strstr(tail, "in use") == NULL)
            break;
    }
    harness_serve_cleanup(s);
    return -1;
}

void
harness_serve_stop(struct harness_serve *s, int sig, int limit_ms, struct harness_serve_exit *x)
{
    double t0 = harness_now_ms();

    if (s->pid > 0 && sig != 0)
        kill(s->pid, sig);
    while (harness_serve_running(s, NULL)) {
        if (harness_now_ms() - t0 > limit_ms) {
            kill(-s->pid, SIGKILL);
            kill(s->pid, SIGKILL);
            while (harness_serve_running(s, NULL))
                sleep_ms(1);
            s->last.killed = 1;
            break;
        }
        sleep_ms(1);
    }
    s->last.elapsed_ms = harness_now_ms() - t0;
    if (x != NULL)
        *x = s->last;
}

void
harness_serve_cleanup(struct harness_serve *s)
{
    if (s->pid > 0) {
        kill(-s->pid, SIGKILL);
        kill(s->pid, SIGKILL);
        while (harness_serve_running(s, NULL))
            sleep_ms(1);
    }
    if (s->dir[0] != '\0') {
        harness_rmtree(s->dir);
        reg_forget(0, s->dir);
        s->dir[0] = '\0';
    }
}

/* ---- a raw HTTP/1.1 client ---- */

int
harness_connect_start(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    if (loopback_addr(host, port, &ss, &len) == -1)
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) == -1 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int
harness_connect(const char *host, int port, int ms)
{
    struct pollfd pfd;
    int fd = harness_connect_start(host, port), soerr = 0, flags;
    socklen_t soerr_len = sizeof(soerr);

    if (fd == -1)
        return -1;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) == -1 ||
        soerr != 0) {
        close(fd);
        return -1;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

int
harness_conn_open(struct harness_conn *c, const char *host, int port, int ms)
{
    c->len = 0;
    c->fd = harness_connect(host, port, ms);
    return c->fd == -1 ? -1 : 0;
}

int
harness_conn_send(struct harness_conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

void
harness_conn_close(struct harness_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

/* Reads more bytes into c->buf before end. 1: got some (or was interrupted), 0: the peer closed
 * or the connection failed, -1: timeout, -2: the buffer is full. */
static int
conn_fill(struct harness_conn *c, double end)
{
    struct pollfd pfd;
    int left = (int)(end - harness_now_ms()), r;
    ssize_t n;

    if (c->len >= sizeof(c->buf))
        return -2;
    if (left <= 0)
        return -1;
    pfd.fd = c->fd;
    pfd.events = POLLIN;
    r = poll(&pfd, 1, left);
    if (r == -1 && errno == EINTR)
        return 1;
    if (r <= 0)
        return r == 0 ? -1 : 0;
    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
    if (n > 0) {
        c->len += (size_t)n;
        return 1;
    }
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return 1;
    return 0;
}

static int
resp_fail(struct harness_http_resp *r, const char *why, double t0)
{
    r->status = 0;
    snprintf(r->why, sizeof(r->why), "%s", why);
    r->elapsed_ms = harness_now_ms() - t0;
    return -1;
}

int
harness_conn_response(struct harness_conn *c, int head, struct harness_http_resp *r, int ms)
{
    double t0 = harness_now_ms(), end = t0 + ms;
    const char *hend;
    char value[64];
    size_t hlen, need = 0;
    int status, until_eof = 0, rc;

    r->status = 0;
    r->why[0] = r->head[0] = r->body[0] = '\0';
    r->content_length = -1;
    r->body_len = 0;
    for (;;) {
        hend = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (hend != NULL)
            break;
        if (c->len >= sizeof(r->head))
            return resp_fail(r, "malformed: head too long", t0);
        rc = conn_fill(c, end);
        if (rc == -1)
            return resp_fail(r, c->len ? "timeout in the head" : "timeout", t0);
        if (rc == 0)
            return resp_fail(r, c->len ? "closed in the head" : "closed", t0);
    }
    hlen = (size_t)(hend - c->buf);
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    hlen += 4;
    if (strncmp(r->head, "HTTP/1.", 7) != 0 || sscanf(r->head + 7, "%*1d %3d", &status) != 1 ||
        status < 100 || status > 999)
        return resp_fail(r, "malformed: status line", t0);
    if (harness_http_header(r, "Content-Length", value, sizeof(value)) == 0) {
        char *e;

        r->content_length = strtol(value, &e, 10);
        if (e == value || *e != '\0' || r->content_length < 0)
            return resp_fail(r, "malformed: Content-Length", t0);
    }
    if (head || status / 100 == 1 || status == 204 || status == 304)
        need = 0;
    else if (r->content_length >= 0)
        need = (size_t)r->content_length;
    else
        until_eof = 1;
    if (need > sizeof(r->body) - 1)
        return resp_fail(r, "body too large for the harness", t0);
    for (;;) {
        if (!until_eof && c->len - hlen >= need)
            break;
        rc = conn_fill(c, end);
        if (rc == -1)
            return resp_fail(r, "timeout in the body", t0);
        if (rc == -2 || (rc == 0 && !until_eof))
            return resp_fail(r, rc == 0 ? "closed in the body" : "body too large", t0);
        if (rc == 0) {
            need = c->len - hlen;
            if (need > sizeof(r->body) - 1)
                return resp_fail(r, "body too large for the harness", t0);
            break;
        }
    }
    memcpy(r->body, c->buf + hlen, need);
    r->body[need] = '\0';
    r->body_len = need;
    c->len -= hlen + need;
    memmove(c->buf, c->buf + hlen + need, c->len);
    r->status = status;
    r->elapsed_ms = harness_now_ms() - t0;
    return 0;
}

int
harness_conn_wait_close(struct harness_conn *c, int ms, double *after_ms, size_t *extra)
{
    double t0 = harness_now_ms(), end = t0 + ms;
    size_t got = c->len;
    char buf[4096];

    c->len = 0;
    for (;;) {
        struct pollfd pfd;
        int left = (int)(end - harness_now_ms()), r;
        ssize_t n;

        if (left <= 0)
            break;
        pfd.fd = c->fd;
        pfd.events = POLLIN;
        r = poll(&pfd, 1, left);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (after_ms != NULL)
            *after_ms = harness_now_ms() - t0;
        if (extra != NULL)
            *extra = got;
        return 1;
    }
    if (extra != NULL)
        *extra = got;
    return 0;
}

int
harness_http(const char *host, int port, const char *request, struct harness_http_resp *r, int ms)
{
    struct harness_conn *c = malloc(sizeof(*c));
    double t0 = harness_now_ms();
    int rc = -1;

    if (c == NULL)
        return resp_fail(r, "out of memory", t0);
    if (harness_conn_open(c, host, port, ms) == -1) {
        resp_fail(r, "connect failed", t0);
    } else if (harness_conn_send(c, request, strlen(request)) == -1) {
        resp_fail(r, "send failed", t0);
    } else {
        rc = harness_conn_response(c, strncmp(request, "HEAD ", 5) == 0, r,
                                   ms - (int)(harness_now_ms() - t0));
        r->elapsed_ms = harness_now_ms() - t0;
    }
    harness_conn_close(c);
    free(c);
    return rc;
}

int
harness_http_header(const struct harness_http_resp *r, const char *name, char *out, size_t outlen)
{
    const char *line = strstr(r->head, "\r\n");
    size_t nlen = strlen(name);

    while (line != NULL) {
        const char *end, *v;

        line += 2;
        end = strstr(line, "\r\n");
        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            v = line + nlen + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            snprintf(out, outlen, "%.*s", (int)(end - v), v);
            return 0;
        }
        line = *end != '\0' ? end : NULL;
    }
    return -1;
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
