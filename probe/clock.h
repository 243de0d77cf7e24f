/* Time: the monotonic clock that deadlines are measured on. */
#ifndef PROBE_CLOCK_H
#define PROBE_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Monotonic clock in milliseconds (fractional). */
double mono_ms(void);

#endif
