/* ${VAR}, ${VAR:-default} and ${file:/path} expansion, done by probe itself. */
#ifndef PROBE_EXPAND_H
#define PROBE_EXPAND_H

#include <stddef.h>

/* Returns a malloc'd expanded copy of in, or NULL with err (e.g. "unset variable DB_PASSWORD").
 * "$${" is a literal "${". ${file:PATH} reads up to 64 KiB and trims one trailing newline. */
char *expand_str(const char *in, char *err, size_t errlen);

#endif
