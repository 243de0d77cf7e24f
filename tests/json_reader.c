/* A small JSON reader for the tests: validates a document and looks up a value by path. It
 * depends on libc only, so the unit and the integration tests share it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "text.h"

void
pt_copy_field(char *dst, size_t dstlen, const char *src, size_t n)
{
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static const char *json_value(const char *p, int depth);

static const char *
json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* One UTF-8 sequence starting at s, or NULL when it is not valid: probe's own decoder decides. */
static const char *
json_utf8(const char *s)
{
    size_t len;

    return utf8_next(s, strnlen(s, 4), &len) ? s + len : NULL;
}

static const char *
json_string(const char *p)
{
    if (*p != '"')
        return NULL;
    p++;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                int i;

                for (i = 1; i <= 4; i++) {
                    if (strchr("0123456789abcdefABCDEF", p[i]) == NULL || p[i] == '\0')
                        return NULL;
                }
                p += 5;
            } else if (*p != '\0' && strchr("\"\\/bfnrt", *p) != NULL) {
                p++;
            } else {
                return NULL;
            }
        } else {
            p = json_utf8(p);
            if (p == NULL)
                return NULL;
        }
    }
    return p + 1;
}

static const char *
json_number(const char *p)
{
    const char *start;

    if (*p == '-')
        p++;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (*p == '.') {
        start = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == start)
            return NULL;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        start = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == start)
            return NULL;
    }
    return p;
}

static const char *
json_container(const char *p, int depth)
{
    char close = *p == '{' ? '}' : ']';

    p = json_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            p = json_string(p);
            if (p == NULL)
                return NULL;
            p = json_ws(p);
            if (*p != ':')
                return NULL;
            p = json_ws(p + 1);
        }
        p = json_value(p, depth + 1);
        if (p == NULL)
            return NULL;
        p = json_ws(p);
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = json_ws(p + 1);
    }
}

static const char *
json_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = json_ws(p);
    if (*p == '{' || *p == '[')
        return json_container(p, depth);
    if (*p == '"')
        return json_string(p);
    if (strncmp(p, "true", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    if (strncmp(p, "null", 4) == 0)
        return p + 4;
    return json_number(p);
}

int
pt_json_valid(const char *s)
{
    const char *end = json_value(s, 0);

    return end != NULL && *json_ws(end) == '\0';
}

/* Finds the member or element named by the first segment of path inside the container at p,
 * and returns where its value starts. */
static const char *
json_child(const char *p, const char *seg, size_t seglen)
{
    p = json_ws(p);
    if (*p == '{') {
        p = json_ws(p + 1);
        while (*p == '"') {
            const char *key = p + 1, *after = json_string(p);

            if (after == NULL)
                return NULL;
            p = json_ws(json_ws(after) + 1);
            if ((size_t)(after - 1 - key) == seglen && strncmp(key, seg, seglen) == 0)
                return p;
            p = json_value(p, 1);
            if (p == NULL)
                return NULL;
            p = json_ws(p);
            if (*p != ',')
                return NULL;
            p = json_ws(p + 1);
        }
        return NULL;
    }
    if (*p == '[') {
        long idx = strtol(seg, NULL, 10);

        p = json_ws(p + 1);
        while (*p != ']' && *p != '\0') {
            if (idx-- == 0)
                return p;
            p = json_value(p, 1);
            if (p == NULL)
                return NULL;
            p = json_ws(p);
            if (*p == ',')
                p = json_ws(p + 1);
        }
    }
    return NULL;
}

int
pt_json_get(const char *doc, const char *path, char *out, size_t outlen)
{
    const char *p = doc, *end;

    while (*path != '\0') {
        size_t seglen = strcspn(path, "/");

        p = json_child(p, path, seglen);
        if (p == NULL)
            return -1;
        path += seglen;
        if (*path == '/')
            path++;
    }
    p = json_ws(p);
    end = json_value(p, 0);
    if (end == NULL)
        return -1;
    if (*p == '"') {
        p++;
        end--;
    }
    pt_copy_field(out, outlen, p, (size_t)(end - p));
    return 0;
}
