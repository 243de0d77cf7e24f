/* Runs a program with a given environment and collects what it prints. probe is run with
 * exactly the variables a container would have, so a reference the container does not
 * provide fails here the way it would fail in the container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "configs.h"

int
run_capture(const char *prog, char *const argv[], char *const envp[], struct run_result *r)
{
    size_t used = 0;
    int fds[2], status;
    pid_t pid;

    r->exit_code = -1;
    r->out[0] = '\0';
    if (pipe(fds) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);

        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execve(prog, argv, envp);
        fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        char sink[512];
        char *dst = used < sizeof(r->out) - 1 ? r->out + used : sink;
        size_t room = used < sizeof(r->out) - 1 ? sizeof(r->out) - 1 - used : sizeof(sink);
        ssize_t n = read(fds[0], dst, room);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            used += (size_t)n;
    }
    r->out[used] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(status))
        r->exit_code = WEXITSTATUS(status);
    return 0;
}
