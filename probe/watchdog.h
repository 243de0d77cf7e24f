/* The last resort of a one-shot run: a timer signal that ends the process if the loop is stuck. */
#ifndef PROBE_WATCHDOG_H
#define PROBE_WATCHDOG_H

#include "run.h"

/* Arms the watchdog: if the process is still running after ms, it prints the unfinished
 * checks (within report.h's REPORT_MAX, the ones that do not fit counted in a last line) and
 * exits 1, whatever the loop is doing. */
void watchdog_arm(struct run *r, long ms);
void watchdog_disarm(void);

#endif
