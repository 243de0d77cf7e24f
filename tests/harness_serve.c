/* `probe serve` in the background: started on a free port, waited for until it accepts,
 * stopped with a signal and a time limit, its output kept in files for the test to read. */
#include "harness_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    int n = 0, i;
    pid_t pid;

    args[n++] = bin;
    args[n++] = "serve";
    if (listen != NULL) {
        args[n++] = "--listen";
        args[n++] = listen;
    }
    for (i = 0; argv != NULL && argv[i] != NULL && n < 127; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    pid = harness_spawn_to_files(bin, args, env, 0, s->out_path, s->err_path, err, errlen);
    if (pid == -1) {
        char why[HARNESS_ERRLEN];

        snprintf(why, sizeof(why), "%s", err);
        harness_errf(err, errlen, "serve: %s", why);
    }
    return pid;
}

int
harness_serve_running(struct harness_serve *s, struct harness_serve_exit *x)
{
    int status = 0;

    if (s->pid > 0 && harness_child_exited(s->pid, &status)) {
        serve_exit_from_status(&s->last, status);
        harness_reg_forget(s->pid, NULL);
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
        harness_pathf(s->err_path, sizeof(s->err_path), "%s/stderr", s->dir) == -1 ||
        harness_pathf(s->out_path, sizeof(s->out_path), "%s/stdout", s->dir) == -1) {
        harness_errf(err, errlen, "serve: cannot make a temp dir: %s", strerror(errno));
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
            harness_sleep_ms(5);
        }
        harness_log_tail(s->err_path, tail, sizeof(tail));
        if (s->pid > 0) {
            harness_errf(err, errlen, "serve: port %d not accepting after %d ms; stderr: %s",
                         s->port, wait_ms, tail);
            break;
        }
        harness_errf(err, errlen,
                     "serve: exited (status %d, signal %d) before it listened; stderr: %s",
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
                harness_sleep_ms(1);
            s->last.killed = 1;
            break;
        }
        harness_sleep_ms(1);
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
            harness_sleep_ms(1);
    }
    if (s->dir[0] != '\0') {
        harness_rmtree(s->dir);
        harness_reg_forget(0, s->dir);
        s->dir[0] = '\0';
    }
}
