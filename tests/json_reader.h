/* The JSON reader of the tests (tests/json_reader.c): a strict RFC 8259 parser that builds a
 * tree in which every value knows where it stands, line and column for messages, its bytes for
 * a lookup by path. Depends on libc and probe/text.c (its UTF-8 decoder) only, so the unit,
 * integration, fault, configs and fuzz tests all read JSON with it. */
#ifndef PROBE_TESTS_JSON_READER_H
#define PROBE_TESTS_JSON_READER_H

#include <stddef.h>

enum jn_type { JN_NULL, JN_BOOL, JN_NUMBER, JN_STRING, JN_ARRAY, JN_OBJECT };

struct jnode {
    enum jn_type type;
    int line, col;       /* 1-based, where the value starts */
    size_t start, end;   /* the value's bytes in the document: [start, end) */
    char *key;           /* member name when the parent is an object, else NULL */
    char *text;          /* string: decoded value; number, bool: as written; else NULL */
    struct jnode *child; /* array elements, object members */
    struct jnode *next;
};

/* The tree of a text that is exactly one JSON value (RFC 8259, valid UTF-8, no duplicate
 * member names, nested 64 deep at most), or NULL with "LINE:COL: what" in err (may be NULL). */
struct jnode *jdoc_parse(const char *text, char *err, size_t errlen);
void jdoc_free(struct jnode *n);
/* The member key of an object, or NULL (also when obj is NULL or not an object). */
const struct jnode *jn_get(const struct jnode *obj, const char *key);
/* The text of a string node, or NULL. */
const char *jn_str(const struct jnode *n);
/* 0 and the value of an integer number node, else -1. */
int jn_int(const struct jnode *n, long *out);

/* 1 when s is exactly one well-formed JSON value (jdoc_parse accepts it), else 0. */
int pt_json_valid(const char *s);
/* The raw text of the JSON value at path ("checks/app:responseTime/0/status"; strings
 * without their quotes, escapes as written), or -1 when there is none or doc is not JSON. */
int pt_json_get(const char *doc, const char *path, char *out, size_t outlen);
/* Copies n bytes of src as a NUL-terminated string, cut to fit dst. */
void pt_copy_field(char *dst, size_t dstlen, const char *src, size_t n);

#endif
