/* Time: the monotonic clock that deadlines are measured on, and wall-clock time as text. */
#ifndef PROBE_CLOCK_H
#define PROBE_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Monotonic clock in milliseconds (fractional). */
double mono_ms(void);

/* Writes t as UTC in ISO 8601, "2026-12-01T08:30:00Z", the form of the health document's
 * "time" and of every log line. */
void clock_iso8601(time_t t, char *out, size_t outsz);

#endif
