/*
 * JSON Pointer assertions on an HTTP body. The body is parsed by libjansson; this file only
 * walks the pointer (RFC 6901) and prints the scalar it lands on in its JSON form.
 */
#include "json_expect.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* How much of a found value a failure message shows (check_fail cleans it further). */
#define FOUND_MAX 64

static int
ptr_fail(char *err, size_t errlen, const char *ptr, const char *why)
{
    char q[QUOTE_MAX + 4];

    text_quote(q, sizeof(q), ptr, strlen(ptr));
    return text_fail(err, errlen, "bad JSON pointer \"%s\": %s", q, why);
}

/* One reference token of ptr[0..n) with its escapes decoded; NULL with err on a bad "~". */
static char *
ptr_token(const char *p, size_t n, const char *ptr, char *err, size_t errlen)
{
    char *tok = malloc(n + 1);
    size_t o = 0;

    if (tok == NULL) {
        text_fail(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '~') {
            tok[o++] = p[i];
            continue;
        }
        if (i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
            tok[o++] = p[i + 1] == '0' ? '~' : '/';
            i++;
            continue;
        }
        free(tok);
        ptr_fail(err, errlen, ptr, "\"~\" must be followed by 0 or 1");
        return NULL;
    }
    tok[o] = '\0';
    return tok;
}

int
json_expect_init(struct json_expect *e, const char *ptr, const char *want, char *err, size_t errlen)
{
    const char *p;

    memset(e, 0, sizeof(*e));
    if (ptr[0] != '\0' && ptr[0] != '/')
        return ptr_fail(err, errlen, ptr, "must start with \"/\"");
    e->ptr = strdup(ptr);
    e->want = strdup(want);
    if (e->ptr == NULL || e->want == NULL)
        goto oom;
    for (p = ptr; *p == '/';) {
        size_t n = strcspn(p + 1, "/");
        char **v = realloc(e->tokens, (e->ntokens + 1) * sizeof(*v));

        if (v == NULL)
            goto oom;
        e->tokens = v;
        e->tokens[e->ntokens] = ptr_token(p + 1, n, ptr, err, errlen);
        if (e->tokens[e->ntokens] == NULL) {
            json_expect_free(e);
            return -1;
        }
        e->ntokens++;
        p += 1 + n;
    }
    return 0;
oom:
    json_expect_free(e);
    return text_fail(err, errlen, "out of memory");
}

int
json_expect_parse(struct json_expect *e, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    char *ptr;
    int rc;

    memset(e, 0, sizeof(*e));
    if (eq == NULL) {
        char q[QUOTE_MAX + 4];

        text_quote(q, sizeof(q), spec, strlen(spec));
        return text_fail(err, errlen, "expected POINTER=VALUE, got \"%s\"", q);
    }
    ptr = strndup(spec, (size_t)(eq - spec));
    if (ptr == NULL)
        return text_fail(err, errlen, "out of memory");
    rc = json_expect_init(e, ptr, eq + 1, err, errlen);
    free(ptr);
    return rc;
}

int
json_expect_copy(struct json_expect *dst, const struct json_expect *src)
{
    char err[ERRLEN];

    return json_expect_init(dst, src->ptr, src->want, err, sizeof(err));
}

void
json_expect_free(struct json_expect *e)
{
    for (size_t i = 0; i < e->ntokens; i++)
        free(e->tokens[i]);
    free(e->tokens);
    free(e->ptr);
    free(e->want);
    memset(e, 0, sizeof(*e));
}

void
json_expects_free(struct json_expect *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_expect_free(&e[i]);
    free(e);
}

/* RFC 6901 array index: "0" or digits without a leading zero; "-" (past the end) never is. */
static int
ptr_index(const char *tok, size_t *out)
{
    size_t v = 0;

    if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
        return -1;
    for (const char *p = tok; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > ((size_t)-1 - 9) / 10)
            return -1;
        v = v * 10 + (size_t)(*p - '0');
    }
    *out = v;
    return 0;
}

static const json_t *
ptr_walk(const struct json_expect *e, const json_t *v)
{
    for (size_t i = 0; i < e->ntokens && v != NULL; i++) {
        size_t idx;

        if (json_is_object(v))
            v = json_object_get(v, e->tokens[i]);
        else if (json_is_array(v) && ptr_index(e->tokens[i], &idx) == 0)
            v = json_array_get(v, idx);
        else
            v = NULL;
    }
    return v;
}

/* A real as the shortest text that reads back as the same double (0.1, not 0.1000...01); a
 * whole one as an integer (1e2 and 100.0 are 100). */
static void
real_text(double d, char *out, size_t outsz)
{
    if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
        snprintf(out, outsz, "%lld", (long long)d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, outsz, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

/*
 * The scalar's text as VALUE is compared with (a string without its quotes) and, into shown,
 * its JSON form for messages; -1 for an object or array, with shown naming the type.
 */
static int
scalar_text(const json_t *v, char **text, char *shown, size_t shownsz)
{
    char num[32];
    char *dump;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        snprintf(shown, shownsz, "an object");
        return -1;
    case JSON_ARRAY:
        snprintf(shown, shownsz, "an array");
        return -1;
    case JSON_STRING:
        *text = strndup(json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *text = strdup(num);
        break;
    case JSON_REAL:
        real_text(json_real_value(v), num, sizeof(num));
        *text = strdup(num);
        break;
    case JSON_TRUE:
        *text = strdup("true");
        break;
    case JSON_FALSE:
        *text = strdup("false");
        break;
    case JSON_NULL:
    default:
        *text = strdup("null");
        break;
    }
    if (*text == NULL) {
        snprintf(shown, shownsz, "(out of memory)");
        return -1;
    }
    if (!json_is_string(v)) {
        snprintf(shown, shownsz, "%s", *text);
        return 0;
    }
    dump = json_dumps(v, JSON_ENCODE_ANY);
    text_clean(shown, shownsz, dump != NULL ? dump : *text, strlen(dump != NULL ? dump : *text));
    free(dump);
    return 0;
}

/* 0 when e holds in root; -1 with msg. */
static int
expect_one(const struct json_expect *e, const json_t *root, char *msg, size_t msglen)
{
    const json_t *v = ptr_walk(e, root);
    char shown[FOUND_MAX + 4];
    char *text = NULL;
    int ok;

    if (v == NULL) {
        snprintf(msg, msglen, "%.*s is missing, expected %.*s", QUOTE_MAX, e->ptr, QUOTE_MAX,
                 e->want);
        return -1;
    }
    if (scalar_text(v, &text, shown, sizeof(shown)) < 0) {
        snprintf(msg, msglen, "%.*s is %s, expected %.*s", QUOTE_MAX, e->ptr, shown, QUOTE_MAX,
                 e->want);
        return -1;
    }
    ok = strcmp(text, e->want) == 0;
    free(text);
    if (ok)
        return 0;
    snprintf(msg, msglen, "%.*s is %s, expected %.*s", QUOTE_MAX, e->ptr, shown, QUOTE_MAX,
             e->want);
    return -1;
}

int
json_expects_check(const struct json_expect *e, size_t n, const char *body, size_t len, char *msg,
                   size_t msglen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    int rc = 0;

    if (root == NULL) {
        snprintf(msg, msglen, "body is not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
        return -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = expect_one(&e[i], root, msg, msglen);
    json_decref(root);
    return rc;
}
