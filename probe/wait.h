/* probe wait: rounds of checks until one passes whole, then the command in probe's place. */
#ifndef PROBE_WAIT_H
#define PROBE_WAIT_H

#include "cli.h"

/* Notes what the process was given before probe changes anything (signal dispositions and
 * mask, open descriptors), so the command gets exactly that back. Call first thing. */
void wait_origin_save(void);
/* Waits, then execs s->command (and returns only if that fails: 127 not found, 126 not
 * executable); without a command, 0 once ready. 1 when --timeout passes first. */
int wait_main(struct settings *s);

#endif
