/* The JSON reader of the tests: strict (RFC 8259), it builds a tree and says where a document
 * goes wrong, line and column, so a broken example in config/ reads like a compiler error.
 * Duplicate member names are an error too: AWS and most readers silently keep one of them.
 * The validity check and the lookup by path of the unit, integration and fault tests are this
 * same parser, so every test holds JSON to one standard. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "text.h"

#define JSON_DEPTH_MAX 64
#define JSON_ERRLEN 512

struct jparser {
    const char *doc;
    const char *p;
    int line, col;
    char *err;
    size_t errlen;
    int failed;
};

static struct jnode *jp_value(struct jparser *jp, int depth);

static void jp_fail(struct jparser *jp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error only, at the current position. */
static void
jp_fail(struct jparser *jp, const char *fmt, ...)
{
    char msg[JSON_ERRLEN];
    va_list ap;

    if (jp->failed)
        return;
    jp->failed = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(jp->err, jp->errlen, "%d:%d: %s", jp->line, jp->col, msg);
}

static void
jp_advance(struct jparser *jp)
{
    if (*jp->p == '\n') {
        jp->line++;
        jp->col = 1;
    } else if (((unsigned char)*jp->p & 0xc0) != 0x80) {
        jp->col++; /* columns count characters, not UTF-8 continuation bytes */
    }
    jp->p++;
}

static void
jp_ws(struct jparser *jp)
{
    while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
        jp_advance(jp);
}

static struct jnode *
jn_new(struct jparser *jp, enum jn_type type)
{
    struct jnode *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        jp_fail(jp, "out of memory");
        return NULL;
    }
    n->type = type;
    n->line = jp->line;
    n->col = jp->col;
    n->start = (size_t)(jp->p - jp->doc);
    return n;
}

void
jdoc_free(struct jnode *n)
{
    while (n != NULL) {
        struct jnode *next = n->next;

        jdoc_free(n->child);
        free(n->key);
        free(n->text);
        free(n);
        n = next;
    }
}

/* Appends the UTF-8 encoding of code point cp to out. */
static size_t
utf8_put(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Four hex digits after "\u", or -1. */
static long
jp_hex4(struct jparser *jp)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = *jp->p;

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
        jp_advance(jp);
    }
    return v;
}

/* A string at jp->p (on its opening quote), decoded into a new buffer. */
static char *
jp_string(struct jparser *jp)
{
    /* Decoding never makes a string longer than its source (\uXXXX is 6 bytes, at most 4 out). */
    const char *close = jp->p + 1;
    char *out, *o;

    while (*close != '\0' && *close != '"')
        close += (*close == '\\' && close[1] != '\0') ? 2 : 1;
    out = malloc((size_t)(close - jp->p) + 1);
    if (out == NULL) {
        jp_fail(jp, "out of memory");
        return NULL;
    }
    o = out;
    jp_advance(jp);
    for (;;) {
        unsigned char c = (unsigned char)*jp->p;

        if (c == '"') {
            jp_advance(jp);
            break;
        }
        if (c == '\0') {
            jp_fail(jp, "unterminated string");
            goto fail;
        }
        if (c < 0x20) {
            jp_fail(jp, "control character 0x%02x in a string (write it as an escape)", c);
            goto fail;
        }
        if (c == '\\') {
            const char *esc = "\"\\/bfnrt", *dec = "\"\\/\b\f\n\r\t";
            const char *hit;

            jp_advance(jp);
            if (*jp->p == 'u') {
                long cp;

                jp_advance(jp);
                cp = jp_hex4(jp);
                if (cp < 0) {
                    jp_fail(jp, "\\u needs four hex digits");
                    goto fail;
                }
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    long lo = -1;

                    if (jp->p[0] == '\\' && jp->p[1] == 'u') {
                        jp_advance(jp);
                        jp_advance(jp);
                        lo = jp_hex4(jp);
                    }
                    if (lo < 0xdc00 || lo > 0xdfff) {
                        jp_fail(jp, "a high surrogate without its low surrogate");
                        goto fail;
                    }
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    jp_fail(jp, "a low surrogate without its high surrogate");
                    goto fail;
                }
                o += utf8_put(o, (unsigned long)cp);
                continue;
            }
            hit = *jp->p != '\0' ? strchr(esc, *jp->p) : NULL;
            if (hit == NULL) {
                jp_fail(jp, "unknown escape \\%c", *jp->p);
                goto fail;
            }
            *o++ = dec[hit - esc];
            jp_advance(jp);
            continue;
        }
        {
            size_t n = 0;

            if (!utf8_next(jp->p, strnlen(jp->p, 4), &n)) {
                jp_fail(jp, "invalid UTF-8 in a string");
                goto fail;
            }
            while (n-- > 0) {
                *o++ = *jp->p;
                jp_advance(jp);
            }
        }
    }
    *o = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
jp_number(struct jparser *jp, struct jnode *n)
{
    const char *start = jp->p;

    if (*jp->p == '-')
        jp_advance(jp);
    if (*jp->p == '0') {
        jp_advance(jp);
        if (is_digit(*jp->p)) {
            jp_fail(jp, "a number with a leading zero");
            return -1;
        }
    } else if (is_digit(*jp->p)) {
        while (is_digit(*jp->p))
            jp_advance(jp);
    } else {
        jp_fail(jp, "expected a value");
        return -1;
    }
    if (*jp->p == '.') {
        jp_advance(jp);
        if (!is_digit(*jp->p)) {
            jp_fail(jp, "expected a digit after '.'");
            return -1;
        }
        while (is_digit(*jp->p))
            jp_advance(jp);
    }
    if (*jp->p == 'e' || *jp->p == 'E') {
        jp_advance(jp);
        if (*jp->p == '+' || *jp->p == '-')
            jp_advance(jp);
        if (!is_digit(*jp->p)) {
            jp_fail(jp, "expected a digit in the exponent");
            return -1;
        }
        while (is_digit(*jp->p))
            jp_advance(jp);
    }
    n->text = strndup(start, (size_t)(jp->p - start));
    if (n->text == NULL) {
        jp_fail(jp, "out of memory");
        return -1;
    }
    return 0;
}

/* An array or object at jp->p; members are appended in order. */
static int
jp_container(struct jparser *jp, struct jnode *n, int depth)
{
    char close = n->type == JN_OBJECT ? '}' : ']';
    struct jnode **tail = &n->child;

    jp_advance(jp);
    jp_ws(jp);
    if (*jp->p == close) {
        jp_advance(jp);
        return 0;
    }
    for (;;) {
        struct jnode *item;
        char *key = NULL;

        if (n->type == JN_OBJECT) {
            const struct jnode *dup;
            int kline = jp->line, kcol = jp->col;

            if (*jp->p != '"') {
                jp_fail(jp, *jp->p == '}' ? "a comma before '}'" : "expected a member name");
                return -1;
            }
            key = jp_string(jp);
            if (key == NULL)
                return -1;
            for (dup = n->child; dup != NULL; dup = dup->next) {
                if (strcmp(dup->key, key) == 0) {
                    jp->line = kline;
                    jp->col = kcol;
                    jp_fail(jp, "duplicate member \"%s\" (the first one's value is at %d:%d)", key,
                            dup->line, dup->col);
                    free(key);
                    return -1;
                }
            }
            jp_ws(jp);
            if (*jp->p != ':') {
                jp_fail(jp, "expected ':' after member name \"%s\"", key);
                free(key);
                return -1;
            }
            jp_advance(jp);
            jp_ws(jp);
        } else if (*jp->p == ']') {
            jp_fail(jp, "a comma before ']'");
            return -1;
        }
        item = jp_value(jp, depth + 1);
        if (item == NULL) {
            free(key);
            return -1;
        }
        item->key = key;
        *tail = item;
        tail = &item->next;
        jp_ws(jp);
        if (*jp->p == close) {
            jp_advance(jp);
            return 0;
        }
        if (*jp->p != ',') {
            jp_fail(jp, "expected ',' or '%c'", close);
            return -1;
        }
        jp_advance(jp);
        jp_ws(jp);
    }
}

static int
jp_word(struct jparser *jp, const char *word)
{
    size_t n = strlen(word), i;

    if (strncmp(jp->p, word, n) != 0)
        return 0;
    for (i = 0; i < n; i++)
        jp_advance(jp);
    return 1;
}

static struct jnode *
jp_value(struct jparser *jp, int depth)
{
    struct jnode *n;
    int rc = 0;

    if (depth > JSON_DEPTH_MAX) {
        jp_fail(jp, "nested deeper than %d", JSON_DEPTH_MAX);
        return NULL;
    }
    jp_ws(jp);
    switch (*jp->p) {
    case '{':
    case '[':
        n = jn_new(jp, *jp->p == '{' ? JN_OBJECT : JN_ARRAY);
        if (n != NULL)
            rc = jp_container(jp, n, depth);
        break;
    case '"':
        n = jn_new(jp, JN_STRING);
        if (n != NULL) {
            n->text = jp_string(jp);
            rc = n->text == NULL ? -1 : 0;
        }
        break;
    case 't':
    case 'f':
    case 'n': {
        const char *word = *jp->p == 't' ? "true" : *jp->p == 'f' ? "false" : "null";

        n = jn_new(jp, *jp->p == 'n' ? JN_NULL : JN_BOOL);
        if (n == NULL)
            break;
        if (!jp_word(jp, word)) {
            jp_fail(jp, "expected a value");
            rc = -1;
        } else if (n->type == JN_BOOL) {
            n->text = strdup(word);
            rc = n->text == NULL ? -1 : 0;
        }
        break;
    }
    case '\0':
        jp_fail(jp, "unexpected end of the document");
        return NULL;
    default:
        n = jn_new(jp, JN_NUMBER);
        if (n != NULL)
            rc = jp_number(jp, n);
        break;
    }
    if (n == NULL || rc < 0) {
        jdoc_free(n);
        return NULL;
    }
    n->end = (size_t)(jp->p - jp->doc);
    return n;
}

struct jnode *
jdoc_parse(const char *text, char *err, size_t errlen)
{
    struct jparser jp = {text, text, 1, 1, err, errlen, 0};
    struct jnode *root;

    if (strncmp(text, "\xef\xbb\xbf", 3) == 0) {
        jp_fail(&jp, "a byte order mark (JSON text must not start with one)");
        return NULL;
    }
    root = jp_value(&jp, 0);
    if (root == NULL)
        return NULL;
    jp_ws(&jp);
    if (*jp.p != '\0') {
        jp_fail(&jp, "unexpected text after the document");
        jdoc_free(root);
        return NULL;
    }
    return root;
}

const struct jnode *
jn_get(const struct jnode *obj, const char *key)
{
    const struct jnode *m;

    if (obj == NULL || obj->type != JN_OBJECT)
        return NULL;
    for (m = obj->child; m != NULL; m = m->next) {
        if (strcmp(m->key, key) == 0)
            return m;
    }
    return NULL;
}

const char *
jn_str(const struct jnode *n)
{
    return n != NULL && n->type == JN_STRING ? n->text : NULL;
}

int
jn_int(const struct jnode *n, long *out)
{
    char *end;

    if (n == NULL || n->type != JN_NUMBER || strpbrk(n->text, ".eE") != NULL)
        return -1;
    *out = strtol(n->text, &end, 10);
    return *end == '\0' ? 0 : -1;
}

void
pt_copy_field(char *dst, size_t dstlen, const char *src, size_t n)
{
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int
pt_json_valid(const char *s)
{
    struct jnode *root = jdoc_parse(s, NULL, 0);

    jdoc_free(root);
    return root != NULL;
}

/* The child of a container named by one path segment: a member name, or an array index. */
static const struct jnode *
jn_child(const struct jnode *n, const char *seg, size_t seglen)
{
    const struct jnode *c;
    long idx;

    if (n->type == JN_OBJECT) {
        for (c = n->child; c != NULL; c = c->next) {
            if (strlen(c->key) == seglen && strncmp(c->key, seg, seglen) == 0)
                return c;
        }
        return NULL;
    }
    if (n->type != JN_ARRAY)
        return NULL;
    idx = strtol(seg, NULL, 10);
    for (c = n->child; c != NULL && idx >= 0; c = c->next) {
        if (idx-- == 0)
            return c;
    }
    return NULL;
}

int
pt_json_get(const char *doc, const char *path, char *out, size_t outlen)
{
    struct jnode *root = jdoc_parse(doc, NULL, 0);
    const struct jnode *n = root;
    size_t start, end;

    while (n != NULL && *path != '\0') {
        size_t seglen = strcspn(path, "/");

        n = jn_child(n, path, seglen);
        path += seglen;
        if (*path == '/')
            path++;
    }
    if (n == NULL) {
        jdoc_free(root);
        return -1;
    }
    start = n->start;
    end = n->end;
    if (n->type == JN_STRING) {
        start++;
        end--;
    }
    pt_copy_field(out, outlen, doc + start, end - start);
    jdoc_free(root);
    return 0;
}
