/* A program in the background: started the way every child of the harness starts, its output
 * in files (a pipe nobody reads would block it), reaped with a time limit. `probe wait`'s
 * tests start it, then start the servers it waits for, or signal it. */
#include "harness_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t
harness_spawn_to_files(const char *bin, const char *const args[], const char *const env[],
                       int env_only, const char *out_path, const char *err_path, char *err,
                       size_t errlen)
{
    int outfd, errfd, main_thread = gettid() == getpid();
    char **envp;
    pid_t pid, parent = getpid();

    outfd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    errfd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    envp = harness_child_env(env, env_only);
    if (outfd == -1 || errfd == -1 || envp == NULL) {
        harness_errf(err, errlen, "cannot set up the child: %s", strerror(errno));
        pid = -1;
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        harness_child_prepare(parent, main_thread, outfd, errfd);
        harness_child_execve(bin, args, envp);
    }
    if (pid == -1) {
        harness_errf(err, errlen, "fork: %s", strerror(errno));
    } else {
        setpgid(pid, pid);
        harness_reg_add(pid, NULL);
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
harness_bg_start(struct harness_bg *b, const struct harness_cmd *c, char *err, size_t errlen)
{
    const char *args[HARNESS_ARGS_MAX + 2];
    const char *bin = c->bin;
    int n = 0;

    memset(b, 0, sizeof(*b));
    if (bin == NULL || bin[0] == '\0')
        bin = getenv("PROBE_BIN");
    if (bin == NULL || bin[0] == '\0')
        bin = "build/probe";
    args[n++] = bin;
    for (int i = 0; c->argv != NULL && c->argv[i] != NULL && n <= HARNESS_ARGS_MAX; i++)
        args[n++] = c->argv[i];
    args[n] = NULL;
    if (harness_tempdir("bg", b->dir, sizeof(b->dir)) == -1 ||
        harness_pathf(b->out_path, sizeof(b->out_path), "%s/stdout", b->dir) == -1 ||
        harness_pathf(b->err_path, sizeof(b->err_path), "%s/stderr", b->dir) == -1) {
        harness_errf(err, errlen, "bg: cannot make a temp dir: %s", strerror(errno));
        return -1;
    }
    b->started_ms = harness_now_ms();
    b->pid = harness_spawn_to_files(bin, args, c->env, c->env_only, b->out_path, b->err_path, err,
                                    errlen);
    if (b->pid == -1) {
        b->pid = 0;
        return -1;
    }
    return 0;
}

static void
bg_read(const char *path, char *buf, size_t *len, int *truncated)
{
    FILE *f = fopen(path, "r");

    *len = 0;
    if (f != NULL) {
        *len = fread(buf, 1, HARNESS_OUT_MAX - 1, f);
        *truncated |= fgetc(f) != EOF;
        fclose(f);
    }
    buf[*len] = '\0';
}

void
harness_bg_finish(struct harness_bg *b, int limit_ms, struct probe_result *r)
{
    double end = harness_now_ms() + limit_ms;
    int status = -1;

    memset(r, 0, sizeof(*r));
    r->exit_code = -1;
    while (b->pid > 0 && !harness_child_exited(b->pid, &status)) {
        if (harness_now_ms() > end) {
            kill(-b->pid, SIGKILL);
            kill(b->pid, SIGKILL);
            r->killed = 1;
            while (!harness_child_exited(b->pid, &status))
                harness_sleep_ms(1);
            break;
        }
        harness_sleep_ms(1);
    }
    r->elapsed_ms = harness_now_ms() - b->started_ms;
    if (b->pid > 0) {
        harness_reg_forget(b->pid, NULL);
        b->pid = 0;
        b->status = status;
    }
    if (b->status != -1 && WIFEXITED(b->status)) {
        r->exited = 1;
        r->exit_code = WEXITSTATUS(b->status);
    } else if (b->status != -1 && WIFSIGNALED(b->status)) {
        r->signo = WTERMSIG(b->status);
    }
    bg_read(b->out_path, r->out, &r->out_len, &r->truncated);
    bg_read(b->err_path, r->err, &r->err_len, &r->truncated);
}

void
harness_bg_cleanup(struct harness_bg *b)
{
    int status;

    if (b->pid > 0) {
        kill(-b->pid, SIGKILL);
        kill(b->pid, SIGKILL);
        while (!harness_child_exited(b->pid, &status))
            harness_sleep_ms(1);
        harness_reg_forget(b->pid, NULL);
        b->pid = 0;
    }
    if (b->dir[0] != '\0') {
        harness_rmtree(b->dir);
        harness_reg_forget(0, b->dir);
        b->dir[0] = '\0';
    }
}
