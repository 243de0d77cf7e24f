/* JSON string writer: valid JSON for any input bytes. */
#ifndef PROBE_JSON_H
#define PROBE_JSON_H

#include "buf.h"

/* Appends s[0..n) as a quoted JSON string; invalid UTF-8 is replaced by U+FFFD. */
void json_add_str(struct buf *b, const char *s, size_t n);
/* Same for a NUL-terminated string (NULL writes null). */
void json_add_cstr(struct buf *b, const char *s);

#endif
