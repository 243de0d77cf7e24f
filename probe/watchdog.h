/* The last resort of a one-shot run: a timer signal that ends the process if the loop is stuck. */
#ifndef PROBE_WATCHDOG_H
#define PROBE_WATCHDOG_H

#include "run.h"

/* Arms the watchdog: if the process is still running after ms, it prints the unfinished
 * checks (within report.h's REPORT_MAX, the ones that do not fit counted in a last line) and
 * exits 1, whatever the loop is doing. */
void watchdog_arm(struct run *r, long ms);
/* How much past the deadline the watchdog allows before it ends a stuck loop. */
#define WATCHDOG_GRACE_MS 50
void watchdog_disarm(void);
/* Where the watchdog writes (stdout unless told): wait keeps stdout for its command. */
void watchdog_output(int fd);

#endif
