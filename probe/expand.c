/*
 * ${VAR}, ${VAR:-default} and ${file:/path} expansion, done by probe itself so that secrets stay
 * out of `docker inspect`. A variable's value and a file's content are inserted as they are,
 * never expanded again; a default is expanded (like the shell), so ${A:-${B}} works.
 */
#include "expand.h"
#include "buf.h"
#include "text.h"
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (64 * 1024)
#define DEPTH_MAX 16

static int expand_into(struct buf *out, const char *in, size_t n, int depth, char *err,
                       size_t errlen);

/* Finds the '}' that closes a "${" whose body starts at p, skipping nested "${...}" (in a
 * default) and "$${" escapes. NULL when there is none. */
static const char *
find_close(const char *p, const char *end)
{
    int depth = 0;

    while (p < end) {
        if (end - p >= 3 && p[0] == '$' && p[1] == '$' && p[2] == '{') {
            p += 3;
        } else if (end - p >= 2 && p[0] == '$' && p[1] == '{') {
            depth++;
            p += 2;
        } else if (*p == '}') {
            if (depth == 0)
                return p;
            depth--;
            p++;
        } else {
            p++;
        }
    }
    return NULL;
}

static int
name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
        return 0;
    for (i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

/*
 * Reads a secret file whole. Only regular files, opened without blocking, so a FIFO or a
 * device cannot hang the probe; bigger than 64 KiB or holding a NUL byte is an error rather
 * than a silently different secret.
 */
static int
read_secret_file(struct buf *out, const char *path, char *err, size_t errlen)
{
    size_t len = 0, cap = FILE_MAX + 1;
    char *data = NULL;
    struct stat st;
    long r;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return text_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        text_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        text_fail(err, errlen, "cannot read %s: not a regular file", path);
        goto out;
    }
    data = malloc(cap);
    if (!data) {
        text_fail(err, errlen, "out of memory");
        goto out;
    }
    r = file_read_upto(fd, data, cap);
    if (r < 0) {
        text_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    len = (size_t)r;
    if (len > FILE_MAX) {
        text_fail(err, errlen, "cannot read %s: bigger than 64 KiB", path);
        goto out;
    }
    if (memchr(data, '\0', len)) {
        text_fail(err, errlen, "cannot read %s: it contains a NUL byte", path);
        goto out;
    }
    if (len > 0 && data[len - 1] == '\n') {
        len--;
        if (len > 0 && data[len - 1] == '\r')
            len--;
    }
    buf_add(out, data, len);
    rc = 0;
out:
    if (data)
        explicit_bzero(data, cap);
    free(data);
    data = NULL;
    close(fd);
    return rc;
}

/* One "${...}" whose body is body[0..n). */
static int
expand_ref(struct buf *out, const char *body, size_t n, int depth, char *err, size_t errlen)
{
    const char *colon, *value;
    char name[256], q[QUOTE_MAX + 4];
    size_t namelen;

    if (n >= 5 && memcmp(body, "file:", 5) == 0) {
        char *path;
        int rc;

        if (n == 5)
            return text_fail(err, errlen, "empty path in ${file:}");
        path = strndup(body + 5, n - 5);
        if (!path)
            return text_fail(err, errlen, "out of memory");
        rc = read_secret_file(out, path, err, errlen);
        free(path);
        path = NULL;
        return rc;
    }
    colon = memchr(body, ':', n);
    namelen = colon ? (size_t)(colon - body) : n;
    if (!name_ok(body, namelen) || namelen >= sizeof(name)) {
        /* At most QUOTE_MAX bytes of the name and no "...": as this message always read. */
        text_quote(q, sizeof(q), body, namelen < QUOTE_MAX ? namelen : QUOTE_MAX);
        return text_fail(err, errlen, "bad variable name \"%s\"", q);
    }
    memcpy(name, body, namelen);
    name[namelen] = '\0';
    if (colon && (n - namelen < 2 || colon[1] != '-'))
        return text_fail(err, errlen, "bad reference to %s: only ${%s} and ${%s:-default}", name,
                         name, name);
    value = getenv(name);
    if (value && *value) {
        buf_adds(out, value);
        return 0;
    }
    if (colon)
        return expand_into(out, colon + 2, n - namelen - 2, depth + 1, err, errlen);
    if (value)
        return 0;
    return text_fail(err, errlen, "unset variable %s", name);
}

static int
expand_into(struct buf *out, const char *in, size_t n, int depth, char *err, size_t errlen)
{
    const char *p = in, *end = in + n, *close;

    if (depth > DEPTH_MAX)
        return text_fail(err, errlen, "defaults nested too deep");
    while (p < end) {
        if (end - p >= 3 && p[0] == '$' && p[1] == '$' && p[2] == '{') {
            buf_add(out, "${", 2);
            p += 3;
        } else if (end - p >= 2 && p[0] == '$' && p[1] == '{') {
            close = find_close(p + 2, end);
            if (!close)
                return text_fail(err, errlen, "unterminated \"${\"");
            if (expand_ref(out, p + 2, (size_t)(close - p - 2), depth, err, errlen) < 0)
                return -1;
            p = close + 1;
        } else {
            buf_add(out, p, 1);
            p++;
        }
    }
    return 0;
}

char *
expand_str(const char *in, char *err, size_t errlen)
{
    struct buf out;
    char *res;

    buf_init(&out);
    if (!in)
        in = "";
    if (expand_into(&out, in, strlen(in), 0, err, errlen) < 0)
        goto fail;
    if (out.oom) {
        text_fail(err, errlen, "out of memory");
        goto fail;
    }
    res = out.p ? out.p : strdup("");
    if (!res) {
        text_fail(err, errlen, "out of memory");
        goto fail;
    }
    return res;
fail:
    if (out.p)
        explicit_bzero(out.p, out.cap);
    buf_free(&out);
    return NULL;
}
