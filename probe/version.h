/* The probe's version: `probe version`, the User-Agent, the health document and the metrics. */
#ifndef PROBE_VERSION_H
#define PROBE_VERSION_H

#define PROBE_VERSION "0.1.0"

#endif
