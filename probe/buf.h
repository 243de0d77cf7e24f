/* A growable byte buffer: the JSON writer, the reports and the status server build text in it. */
#ifndef PROBE_BUF_H
#define PROBE_BUF_H

#include <stddef.h>

/* On allocation failure it sets oom and drops further writes. */
struct buf {
    char *p;
    size_t len;
    size_t cap;
    int oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminated view of the contents (always valid, "" when empty). */
const char *buf_str(struct buf *b);

#endif
