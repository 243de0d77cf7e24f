/* The command line, the environment and the config file, merged into one set of settings
 * (flags > environment > config file > defaults). */
#ifndef PROBE_CLI_H
#define PROBE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "target.h"

enum cli_cmd { CLI_CHECK, CLI_SERVE, CLI_VALIDATE, CLI_WAIT };

struct settings {
    enum cli_cmd cmd;
    char *config_path;
    long timeout_ms;
    long interval_ms;
    char *listen;
    int rise;
    int fall;
    int log_json;
    int json;
    int quiet;
    long check_timeout_ms; /* wait: the deadline of each round */
    long max_interval_ms;  /* wait: the longest pause between rounds */
    char **command;        /* wait: what follows "--" (into argv, NULL-terminated), or NULL */
    struct target *targets;
    size_t ntargets;
};

/* argv starts after the command word. 0, or -1 with a one-line err naming the problem. */
int cli_parse(enum cli_cmd cmd, int argc, char **argv, struct settings *s, char *err,
              size_t errlen);
void settings_free(struct settings *s);
void cli_usage(FILE *out);

#endif
