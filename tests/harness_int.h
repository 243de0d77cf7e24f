/* What the pieces of the test harness share among themselves. Tests include harness.h only;
 * this header is for tests/harness_*.c. */
#ifndef PROBE_TESTS_HARNESS_INT_H
#define PROBE_TESTS_HARNESS_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

#define HARNESS_STOP_GRACE_MS 5000

/* ---- harness_run.c: how every child starts ---- */

/* What every child does before exec: its own process group, killed with the runner (the death
 * signal follows the thread that forked, so only trust it from the main one), default signals,
 * stdin from /dev/null, stdout and stderr where asked, no other descriptors. */
void harness_child_prepare(pid_t parent, int main_thread, int outfd, int errfd);
/* execve(bin, argv, envp) in a child; on failure says why on stderr and exits 127. */
void harness_child_execve(const char *bin, const char *const argv[], char **envp)
    __attribute__((noreturn));
/* The child's environment: the caller's minus PROBE_*, SSL_CERT_FILE and SSL_CERT_DIR (nothing
 * of it when only), with the extra entries applied ("K=V" sets K, "K" removes it). The array
 * is malloc'd, the strings are not copied; NULL when out of memory. */
char **harness_child_env(const char *const extra[], int only);

/* ---- harness_bg.c ---- */

/* Forks bin with args (args[0] included), the environment as harness_child_env() makes it,
 * stdout and stderr into the two files, in its own process group, registered for cleanup.
 * The pid, or -1 with err saying why. */
pid_t harness_spawn_to_files(const char *bin, const char *const args[], const char *const env[],
                             int env_only, const char *out_path, const char *err_path, char *err,
                             size_t errlen);

/* ---- harness_proc.c: processes, temp dirs and files the harness owns ---- */

void harness_sleep_ms(long ms);
/* snprintf into a caller's error buffer (err may be NULL). */
void harness_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* snprintf for paths: the temp dirs are short, so a cut path is a bug worth a clear error
 * later (the file will not be found) rather than a compiler warning at every call. */
int harness_pathf(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int harness_write_file(const char *path, const char *text, char *err, size_t errlen);
/* The last bytes of a log file on one line, for error messages. */
void harness_log_tail(const char *path, char *out, size_t outlen);
/* Fills p->what and mkdtemp's p->dir ("/tmp/probe-test-WHAT.XXXXXX"); not yet registered. */
int harness_make_tempdir(struct harness_proc *p, const char *what, char *err, size_t errlen);
/* The registry: a process (pid > 0) or a directory (pid 0) to kill or remove when the process
 * that started it ends, whichever way. */
void harness_reg_add(pid_t pid, const char *dir);
void harness_reg_forget(pid_t pid, const char *dir);
/* 1 when pid has exited (reaped here, or by someone else: *status is -1), 0 while it runs. */
int harness_child_exited(pid_t pid, int *status);
void harness_describe_status(int status, char *out, size_t outlen);
/* Forks argv with stdout+stderr appended to log_path, in its own process group, in dir. */
pid_t harness_spawn_logged(const char *const argv[], const char *dir, const char *log_path,
                           char *err, size_t errlen);
/* Runs a command to completion (bounded), output appended to log_path. */
int harness_run_logged(const char *const argv[], const char *dir, const char *log_path,
                       int limit_ms, char *err, size_t errlen);
/* SIGTERM to the process group, SIGKILL after grace_ms, reap. */
void harness_terminate(pid_t pid, int grace_ms);

/* ---- harness_net.c ---- */

/* Starts a non-blocking connect to 127.0.0.1:port and says whether it completed within ms:
 * 1 yes, 0 not yet, -1 failed. *fd_out is the socket (or -1), for the caller to close. */
int harness_connect_within(int port, int ms, int *fd_out);

#endif
