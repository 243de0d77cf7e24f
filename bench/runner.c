/* bench/runner: times commands side by side for `make bench` (issue #6).
 *
 *   runner [-w WARMUP] [-n ROUNDS] [-t SECONDS] LABEL ARG... [--- LABEL ARG...]...
 *
 * Each command is LABEL followed by its argv (a shell chain is `LABEL sh -c '...'`); commands
 * are separated by `---`. After WARMUP untimed rounds, ROUNDS timed rounds run every command
 * once, one after another; round r starts at command r mod count, so no command always runs
 * first or right after the same neighbour. Each run is fork + execvp with stdin, stdout and
 * stderr on /dev/null. Wall time is CLOCK_MONOTONIC from before fork() to after wait4(); CPU
 * time (user + sys) and peak RSS come from wait4()'s rusage, which includes the descendants
 * the command waited for (a shell chain's curl, redis-cli...). A command still running after
 * SECONDS (default 30) is killed by SIGALRM (an alarm set before exec survives it).
 *
 * Output, one TSV line per command after a header line:
 *   label runs wall_med_ms wall_min_ms wall_max_ms cpu_med_ms rss_max_kib exits failed
 * where exits lists each exit status seen with its count (`0:200`, `0:198,1:2`, `sig14:1`)
 * and failed counts timed runs that did not exit 0. Exit status 0 when every run of every
 * command (warm-up included) exited 0, 1 when some did not, 2 on a usage or system error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATUSES 8

struct status_count {
    int status; /* exit code, or -signal */
    long count;
};

struct cmd {
    const char *label;
    char **argv;
    double *wall_ms;
    double *cpu_ms;
    long rss_max_kib;
    long failed;
    long warmup_failed;
    struct status_count seen[MAX_STATUSES];
    int nseen;
};

static void
usage(void)
{
    fprintf(stderr, "usage: runner [-w WARMUP] [-n ROUNDS] [-t SECONDS] LABEL ARG... "
                    "[--- LABEL ARG...]...\n");
    exit(2);
}

static long
parse_count(const char *s, long min)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min)
        usage();
    return v;
}

static double
ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static double
tv_ms(const struct timeval *tv)
{
    return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static void
child(char **argv, unsigned timeout_s)
{
    int fd = open("/dev/null", O_RDWR);

    if (fd == -1 || dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
        _exit(126);
    if (fd > 2)
        close(fd);
    alarm(timeout_s);
    execvp(argv[0], argv);
    _exit(127);
}

/* Runs argv once; returns its status (exit code, or -signal) and fills the measures. */
static int
run_once(char **argv, unsigned timeout_s, double *wall, double *cpu, long *rss)
{
    struct timespec t0, t1;
    struct rusage ru;
    pid_t pid;
    int st;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid == -1) {
        perror("runner: fork");
        exit(2);
    }
    if (pid == 0)
        child(argv, timeout_s);
    while (wait4(pid, &st, 0, &ru) == -1) {
        if (errno != EINTR) {
            perror("runner: wait4");
            exit(2);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *wall = ms_between(&t0, &t1);
    *cpu = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
    *rss = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static void
count_status(struct cmd *c, int status)
{
    int i;

    for (i = 0; i < c->nseen; i++) {
        if (c->seen[i].status == status) {
            c->seen[i].count++;
            return;
        }
    }
    if (c->nseen < MAX_STATUSES) {
        c->seen[c->nseen].status = status;
        c->seen[c->nseen].count = 1;
        c->nseen++;
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
print_cmd(struct cmd *c, long n)
{
    int i;

    printf("%s\t%ld\t%.3f", c->label, n, median(c->wall_ms, n));
    printf("\t%.3f\t%.3f", c->wall_ms[0], c->wall_ms[n - 1]); /* sorted by median() */
    printf("\t%.3f\t%ld\t", median(c->cpu_ms, n), c->rss_max_kib);
    for (i = 0; i < c->nseen; i++) {
        if (c->seen[i].status >= 0)
            printf("%s%d:%ld", i ? "," : "", c->seen[i].status, c->seen[i].count);
        else
            printf("%ssig%d:%ld", i ? "," : "", -c->seen[i].status, c->seen[i].count);
    }
    printf("\t%ld\n", c->failed);
}

/* Splits argv at `---` into commands; returns how many. */
static int
parse_cmds(int argc, char **argv, struct cmd **out)
{
    struct cmd *cmds = calloc((size_t)argc, sizeof(*cmds));
    int i = 0, n = 0;

    if (cmds == NULL) {
        perror("runner");
        exit(2);
    }
    while (i < argc) {
        int start = i;

        while (i < argc && strcmp(argv[i], "---") != 0)
            i++;
        if (i - start < 2) /* a label and at least the program */
            usage();
        cmds[n].label = argv[start];
        cmds[n].argv = &argv[start + 1];
        n++;
        if (i < argc)
            argv[i++] = NULL; /* ends the previous argv */
    }
    *out = cmds;
    return n;
}

int
main(int argc, char **argv)
{
    long warmup = 5, rounds = 50, r;
    unsigned timeout_s = 30;
    struct cmd *cmds;
    int opt, ncmd, i, bad = 0;

    while ((opt = getopt(argc, argv, "+w:n:t:")) != -1) {
        switch (opt) {
        case 'w':
            warmup = parse_count(optarg, 0);
            break;
        case 'n':
            rounds = parse_count(optarg, 1);
            break;
        case 't':
            timeout_s = (unsigned)parse_count(optarg, 1);
            break;
        default:
            usage();
        }
    }
    if (optind >= argc)
        usage();
    ncmd = parse_cmds(argc - optind, argv + optind, &cmds);
    for (i = 0; i < ncmd; i++) {
        cmds[i].wall_ms = calloc((size_t)rounds, sizeof(double));
        cmds[i].cpu_ms = calloc((size_t)rounds, sizeof(double));
        if (cmds[i].wall_ms == NULL || cmds[i].cpu_ms == NULL) {
            perror("runner");
            return 2;
        }
    }
    for (r = -warmup; r < rounds; r++) {
        for (i = 0; i < ncmd; i++) {
            struct cmd *c = &cmds[((r % ncmd + ncmd) % ncmd + i) % ncmd];
            double wall, cpu;
            long rss;
            int st = run_once(c->argv, timeout_s, &wall, &cpu, &rss);

            if (r < 0) {
                c->warmup_failed += st != 0;
                continue;
            }
            c->wall_ms[r] = wall;
            c->cpu_ms[r] = cpu;
            if (rss > c->rss_max_kib)
                c->rss_max_kib = rss;
            c->failed += st != 0;
            count_status(c, st);
        }
    }
    printf("label\truns\twall_med_ms\twall_min_ms\twall_max_ms\tcpu_med_ms\trss_max_kib\texits"
           "\tfailed\n");
    for (i = 0; i < ncmd; i++) {
        print_cmd(&cmds[i], rounds);
        if (cmds[i].failed || cmds[i].warmup_failed) {
            fprintf(stderr,
                    "runner: %s: %ld of %ld timed runs and %ld of %ld warm-up runs failed\n",
                    cmds[i].label, cmds[i].failed, rounds, cmds[i].warmup_failed, warmup);
            bad = 1;
        }
    }
    return bad;
}
