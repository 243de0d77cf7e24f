/* probe serve: the sidecar. */
#ifndef PROBE_SERVE_H
#define PROBE_SERVE_H

#include "cli.h"

/* Runs until SIGTERM/SIGINT; returns the exit status (0, or 2 when it cannot listen). */
int serve_main(const struct settings *s);

#endif
