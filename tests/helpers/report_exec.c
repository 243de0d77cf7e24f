/* What `probe wait` hands its command, as the command sees it.
 *
 *   report_exec FILE [ARG...]
 *
 * Writes FILE (whole, by a rename) with one "key=value" line each: pid, mono_ms (when it
 * started, CLOCK_MONOTONIC, comparable with the test's clock), argc and arg1..argN, fds (the
 * open descriptors from /proc/self/fd, without the one reading it), sigblk and sigign (the
 * hex masks of /proc/self/status), itimer (seconds left on ITIMER_REAL), env (the value of
 * WAIT_TEST_VAR, or "(unset)"). Then prints "app stdout" on stdout and exits 0. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void
status_field(FILE *out, const char *key, const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(field);

    fprintf(out, "%s=", key);
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            char *v = line + n + 1;

            v += strspn(v, " \t");
            fputs(v, out); /* ends in a newline */
            fclose(f);
            return;
        }
    }
    if (f != NULL)
        fclose(f);
    fputs("?\n", out);
}

int
main(int argc, char **argv)
{
    struct timespec ts;
    struct itimerval it;
    char tmp[4096];
    const char *env = getenv("WAIT_TEST_VAR");
    DIR *d;
    struct dirent *e;
    FILE *out;
    int first = 1;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (argc < 2) {
        fprintf(stderr, "usage: report_exec FILE [ARG...]\n");
        return 2;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
    out = fopen(tmp, "w");
    if (out == NULL) {
        perror(tmp);
        return 1;
    }
    fprintf(out, "pid=%ld\n", (long)getpid());
    fprintf(out, "mono_ms=%.3f\n", (double)ts.tv_sec * 1000. + (double)ts.tv_nsec / 1e6);
    fprintf(out, "argc=%d\n", argc - 1);
    for (int i = 2; i < argc; i++)
        fprintf(out, "arg%d=%s\n", i - 1, argv[i]);
    fputs("fds=", out);
    d = opendir("/proc/self/fd");
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d) || atoi(e->d_name) == fileno(out))
            continue;
        fprintf(out, "%s%s", first ? "" : ",", e->d_name);
        first = 0;
    }
    if (d != NULL)
        closedir(d);
    fputs("\n", out);
    status_field(out, "sigblk", "SigBlk");
    status_field(out, "sigign", "SigIgn");
    getitimer(ITIMER_REAL, &it);
    fprintf(out, "itimer=%ld.%06ld\n", (long)it.it_value.tv_sec, (long)it.it_value.tv_usec);
    fprintf(out, "env=%s\n", env != NULL ? env : "(unset)");
    if (fclose(out) != 0 || rename(tmp, argv[1]) != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("app stdout\n");
    return 0;
}
