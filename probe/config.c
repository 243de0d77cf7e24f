/*
 * The YAML config file. libyaml's document API loads the whole file first, so every node keeps
 * the line and column it was written at; the tree is then walked against a fixed schema and
 * every error names FILE:LINE:COL of the node that is wrong.
 */
#include "config.h"
#include "expand.h"
#include "http.h"
#include "text.h"
#include "url.h"
#include "value.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#define CFG_MAX_BYTES (1024 * 1024)
#define CFG_MAX_CHECKS 256
#define CFG_MAX_HEADERS 64
#define CFG_QUOTE_LEN 48
#define CFG_MAX_DEPTH 32
#define CFG_MAX_ANCHORS 100

/* What one load needs to report an error: the name to print and the document being walked. */
struct cfg_ctx {
    const char *name;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
};

static const char *const cfg_top_keys[] = {
    "timeout", "interval", "listen", "rise", "fall", "log_format", "checks", NULL,
};

static const char *const cfg_check_keys[] = {
    "name",     "url",    "expect_status", "expect_body", "headers",     "timeout",
    "insecure", "cacert", "cert",          "key",         "expect_json", NULL,
};

/* The check keys: the fixed ones, then every kind option flagged KIND_OPT_CONFIG (each key
 * once, whichever kinds share it), so the registry alone decides which kind keys exist. */
static const char *const *
cfg_check_key_list(void)
{
    static const char *list[48];
    size_t n = 0;

    if (list[0] != NULL)
        return list;
    for (size_t i = 0; cfg_check_keys[i] != NULL; i++)
        list[n++] = cfg_check_keys[i];
    for (size_t k = 0; k < kinds_count; k++) {
        for (const struct kind_option *o = kinds[k]->options; o != NULL && o->key != NULL; o++) {
            size_t j = 0;

            if (!(o->flags & KIND_OPT_CONFIG))
                continue;
            while (j < n && strcmp(list[j], o->key) != 0)
                j++;
            if (j == n && n + 1 < sizeof(list) / sizeof(list[0]))
                list[n++] = o->key;
        }
    }
    list[n] = NULL;
    return list;
}

static int cfg_vfail_at(struct cfg_ctx *c, size_t line, size_t col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int cfg_fail_at(struct cfg_ctx *c, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cfg_fail(struct cfg_ctx *c, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cfg_vfail_at(struct cfg_ctx *c, size_t line, size_t col, const char *fmt, va_list ap)
{
    char msg[1024];
    int n;

    if (c->errlen == 0)
        return -1;
    /* Messages quote values from the file (a multi-line scalar, a file name): one clean line. */
    n = snprintf(msg, sizeof(msg), "%s:%zu:%zu: ", c->name, line, col);
    if (n >= 0 && (size_t)n < sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    text_clean(c->err, c->errlen, msg, strlen(msg));
    return -1;
}

static int
cfg_fail_at(struct cfg_ctx *c, size_t line, size_t col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_vfail_at(c, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* libyaml marks are 0-based; people and editors count from 1. */
static int
cfg_fail(struct cfg_ctx *c, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_vfail_at(c, node->start_mark.line + 1, node->start_mark.column + 1, fmt, ap);
    va_end(ap);
    return -1;
}

/*
 * Turns a byte offset into a 1-based line and column, counting columns in characters as libyaml
 * does. Needed for NUL bytes and for libyaml's reader errors, which only give an offset.
 */
static void
cfg_offset_pos(const char *text, size_t len, size_t off, size_t *line, size_t *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];

        if (ch == '\n' || (ch == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
            (*line)++;
            *col = 1;
        } else if (ch != '\r' && (ch & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static int
cfg_yaml_error(struct cfg_ctx *c, const yaml_parser_t *parser, const char *text, size_t len)
{
    const char *problem = parser->problem != NULL ? parser->problem : "cannot parse YAML";
    size_t line;
    size_t col;

    if (parser->error == YAML_MEMORY_ERROR)
        return cfg_fail_at(c, 1, 1, "out of memory");
    if (parser->error == YAML_READER_ERROR) {
        cfg_offset_pos(text, len, parser->problem_offset < len ? parser->problem_offset : len,
                       &line, &col);
        return cfg_fail_at(c, line, col, "%s", problem);
    }
    line = parser->problem_mark.line + 1;
    col = parser->problem_mark.column + 1;
    if (parser->context != NULL)
        return cfg_fail_at(c, line, col, "%s (%s)", problem, parser->context);
    return cfg_fail_at(c, line, col, "%s", problem);
}

static const unsigned char *
cfg_event_anchor(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return ev->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT:
        return ev->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT:
        return ev->data.mapping_start.anchor;
    default:
        return NULL;
    }
}

/*
 * libyaml 0.2.5 has no nesting limit, its scanner slows down quadratically with flow depth (a
 * few hundred KB of "[" take minutes) and its loader looks every alias up in a list of all
 * anchors. A config nests four levels deep, so this event pass stops a hostile file early,
 * before the document is built. It also reports syntax errors, in libyaml's words.
 */
static int
cfg_prescan(struct cfg_ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int depth = 0;
    int anchors = 0;
    int done = 0;
    int rc = -1;

    if (!yaml_parser_initialize(&parser))
        return cfg_fail_at(c, 1, 1, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!done) {
        yaml_mark_t mark;

        if (!yaml_parser_parse(&parser, &ev)) {
            cfg_yaml_error(c, &parser, text, len);
            goto out;
        }
        mark = ev.start_mark;
        if (cfg_event_anchor(&ev) != NULL)
            anchors++;
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
            depth++;
        else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
            depth--;
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (depth > CFG_MAX_DEPTH) {
            cfg_fail_at(c, mark.line + 1, mark.column + 1, "nested deeper than %d levels",
                        CFG_MAX_DEPTH);
            goto out;
        }
        if (anchors > CFG_MAX_ANCHORS) {
            cfg_fail_at(c, mark.line + 1, mark.column + 1, "more than %d anchors", CFG_MAX_ANCHORS);
            goto out;
        }
    }
    rc = 0;
out:
    yaml_parser_delete(&parser);
    return rc;
}

static yaml_node_t *
cfg_node(struct cfg_ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

/* A plain scalar that YAML reads as null: "key:" with nothing after it, "~" or "null". */
static int
cfg_is_null(const yaml_node_t *n)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *
cfg_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return cfg_is_null(n) ? "null" : "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

/*
 * Quotes a scalar as written in the file (before ${} expansion) for an error message: what is
 * at the reported line and column, and never the value of a variable or a secret file.
 */
static const char *
cfg_quote(const yaml_node_t *n, char *out, size_t outsz)
{
    text_clean(out, outsz, (const char *)n->data.scalar.value, n->data.scalar.length);
    return out;
}

/*
 * Every value goes through here: it must be a non-null scalar without NUL bytes (a "\0"
 * escape would silently cut the C string), then ${} is expanded. what names the expected type.
 */
static int
cfg_expand(struct cfg_ctx *c, const char *key, const yaml_node_t *n, const char *what, char **out)
{
    char e[ERRLEN];

    *out = NULL;
    if (n->type != YAML_SCALAR_NODE || cfg_is_null(n))
        return cfg_fail(c, n, "%s: expected %s, got %s", key, what, cfg_kind(n));
    if (memchr(n->data.scalar.value, 0, n->data.scalar.length) != NULL)
        return cfg_fail(c, n, "%s: value contains a NUL byte", key);
    e[0] = '\0';
    *out = expand_str((const char *)n->data.scalar.value, e, sizeof(e));
    if (*out == NULL)
        return cfg_fail(c, n, "%s: %s", key, e[0] != '\0' ? e : "out of memory");
    return 0;
}

static int
cfg_string(struct cfg_ctx *c, const char *key, const yaml_node_t *n, int allow_empty, char **out)
{
    if (cfg_expand(c, key, n, "a string", out) < 0)
        return -1;
    if (!allow_empty && (*out)[0] == '\0') {
        free(*out);
        *out = NULL;
        return cfg_fail(c, n, "%s: must not be empty", key);
    }
    return 0;
}

static int
cfg_duration(struct cfg_ctx *c, const char *key, const yaml_node_t *n, long *ms)
{
    char e[ERRLEN];
    char *s = NULL;
    int rc = -1;

    if (cfg_expand(c, key, n, "a duration", &s) < 0)
        goto out;
    e[0] = '\0';
    if (dur_parse(s, ms, e, sizeof(e)) < 0) {
        cfg_fail(c, n, "%s: %s", key, e[0] != '\0' ? e : "bad duration");
        goto out;
    }
    rc = 0;
out:
    free(s);
    s = NULL;
    return rc;
}

/* Plain decimal only: strtol alone would take " 2", "+2", "0x2" and "2abc" as well. */
static int
cfg_int(struct cfg_ctx *c, const char *key, const yaml_node_t *n, int lo, int hi, int *out)
{
    char q[CFG_QUOTE_LEN];
    char *s = NULL;
    const char *p;
    long v = 0;
    int rc = -1;

    if (cfg_expand(c, key, n, "an integer", &s) < 0)
        goto out;
    for (p = s; *p >= '0' && *p <= '9' && v <= hi; p++)
        v = v * 10 + (*p - '0');
    if (p == s || *p != '\0' || v < lo || v > hi) {
        cfg_fail(c, n, "%s: expected an integer from %d to %d, got \"%s\"", key, lo, hi,
                 cfg_quote(n, q, sizeof(q)));
        goto out;
    }
    *out = (int)v;
    rc = 0;
out:
    free(s);
    s = NULL;
    return rc;
}

static int
cfg_bool(struct cfg_ctx *c, const char *key, const yaml_node_t *n, int *out)
{
    char q[CFG_QUOTE_LEN];
    char *s = NULL;
    int rc = -1;

    if (cfg_expand(c, key, n, "true or false", &s) < 0)
        goto out;
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
        *out = 1;
    } else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) {
        *out = 0;
    } else {
        cfg_fail(c, n, "%s: expected true or false, got \"%s\"", key, cfg_quote(n, q, sizeof(q)));
        goto out;
    }
    rc = 0;
out:
    free(s);
    s = NULL;
    return rc;
}

/* Keys of one mapping; icase for HTTP header names, where "Host" and "host" are the same. */
static int
cfg_key_equal(const yaml_node_t *a, const yaml_node_t *b, int icase)
{
    size_t n = a->data.scalar.length;

    if (n != b->data.scalar.length)
        return 0;
    if (icase)
        return strncasecmp((const char *)a->data.scalar.value, (const char *)b->data.scalar.value,
                           n) == 0;
    return memcmp(a->data.scalar.value, b->data.scalar.value, n) == 0;
}

/*
 * libyaml keeps a repeated key, so a file could silently say two things; the later key is the
 * error. Only keys before this pair are compared, and those were already checked to be scalars.
 */
static int
cfg_check_dup_key(struct cfg_ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair,
                  const char *what, int icase)
{
    const yaml_node_pair_t *p;
    yaml_node_t *key = cfg_node(c, pair->key);
    char q[CFG_QUOTE_LEN];

    for (p = map->data.mapping.pairs.start; p < pair; p++) {
        yaml_node_t *prev = cfg_node(c, p->key);

        if (cfg_key_equal(prev, key, icase))
            return cfg_fail(c, key, "duplicate %s \"%s\" (first at line %zu)", what,
                            cfg_quote(key, q, sizeof(q)), prev->start_mark.line + 1);
    }
    return 0;
}

/*
 * Checks that a key is one of known and not repeated, and returns it. Unknown keys are rejected
 * before duplicates are looked for, so a mapping never holds more pairs than known has entries
 * and the duplicate search stays small.
 */
static int
cfg_key(struct cfg_ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair,
        const char *const *known, const char *what, const char **out)
{
    yaml_node_t *key = cfg_node(c, pair->key);
    char q[CFG_QUOTE_LEN];
    size_t i;

    if (key->type != YAML_SCALAR_NODE || cfg_is_null(key))
        return cfg_fail(c, key, "%s must be a string, got %s", what, cfg_kind(key));
    for (i = 0; known[i] != NULL; i++) {
        if (strlen(known[i]) == key->data.scalar.length &&
            memcmp(known[i], key->data.scalar.value, key->data.scalar.length) == 0)
            break;
    }
    if (known[i] == NULL)
        return cfg_fail(c, key, "unknown %s \"%s\"", what, cfg_quote(key, q, sizeof(q)));
    if (cfg_check_dup_key(c, map, pair, what, 0) < 0)
        return -1;
    *out = known[i];
    return 0;
}

static int
cfg_headers(struct cfg_ctx *c, const yaml_node_t *map, struct cfg_check *chk)
{
    const yaml_node_pair_t *pair;
    size_t n;
    char q[CFG_QUOTE_LEN];
    char label[CFG_QUOTE_LEN + 8];

    if (map->type != YAML_MAPPING_NODE)
        return cfg_fail(c, map, "headers: expected a mapping, got %s", cfg_kind(map));
    n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n > CFG_MAX_HEADERS)
        return cfg_fail(c, map, "headers: too many headers (%zu, at most %d)", n, CFG_MAX_HEADERS);
    if (n == 0)
        return 0;
    chk->headers = calloc(n, sizeof(*chk->headers));
    if (chk->headers == NULL)
        return cfg_fail(c, map, "out of memory");
    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = cfg_node(c, pair->key);
        yaml_node_t *value = cfg_node(c, pair->value);
        struct http_header *h = &chk->headers[chk->nheaders];
        size_t len;

        if (key->type != YAML_SCALAR_NODE || cfg_is_null(key))
            return cfg_fail(c, key, "header name must be a string, got %s", cfg_kind(key));
        len = key->data.scalar.length;
        if (len == 0 || http_token_len((const char *)key->data.scalar.value, len) != len)
            return cfg_fail(c, key, "invalid header name \"%s\"", cfg_quote(key, q, sizeof(q)));
        if (cfg_check_dup_key(c, map, pair, "header", 1) < 0)
            return -1;
        chk->nheaders++;
        h->name = strdup((const char *)key->data.scalar.value);
        if (h->name == NULL)
            return cfg_fail(c, key, "out of memory");
        snprintf(label, sizeof(label), "header %s", h->name);
        if (cfg_string(c, label, value, 1, &h->value) < 0)
            return -1;
        if (!http_header_value_ok(h->value, strlen(h->value)))
            return cfg_fail(c, value, "%s: value must not contain CR, LF or control characters",
                            label);
    }
    return 0;
}

/* expect_json: {POINTER: VALUE, ...}; each pointer is checked here, where its position is known.
 * A value may be any scalar (UP, true, 3, null), taken as the text it was written as. */
static int
cfg_expect_json(struct cfg_ctx *c, const yaml_node_t *map, struct cfg_check *chk)
{
    const yaml_node_pair_t *pair;
    size_t n;

    if (map->type != YAML_MAPPING_NODE)
        return cfg_fail(c, map, "expect_json: expected a mapping, got %s", cfg_kind(map));
    n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n > CFG_MAX_HEADERS)
        return cfg_fail(c, map, "expect_json: too many pointers (%zu, at most %d)", n,
                        CFG_MAX_HEADERS);
    if (n == 0)
        return cfg_fail(c, map, "expect_json: empty mapping");
    chk->expect_json = calloc(n, sizeof(*chk->expect_json));
    if (chk->expect_json == NULL)
        return cfg_fail(c, map, "out of memory");
    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = cfg_node(c, pair->key);
        yaml_node_t *value = cfg_node(c, pair->value);
        char label[CFG_QUOTE_LEN + 16];
        char q[CFG_QUOTE_LEN];
        char e[ERRLEN];
        char *want = NULL;
        int rc;

        if (key->type != YAML_SCALAR_NODE)
            return cfg_fail(c, key, "expect_json: a pointer must be a string, got %s",
                            cfg_kind(key));
        if (cfg_check_dup_key(c, map, pair, "pointer", 0) < 0)
            return -1;
        snprintf(label, sizeof(label), "expect_json %s", cfg_quote(key, q, sizeof(q)));
        if (value->type == YAML_SCALAR_NODE && value->data.scalar.length == 0 &&
            value->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            return cfg_fail(c, value, "%s: needs a value", label);
        /* YAML's null is JSON's null: "/x: null" expects a null there. */
        if (cfg_is_null(value))
            want = strdup("null");
        else if (cfg_string(c, label, value, 1, &want) < 0)
            return -1;
        if (want == NULL)
            return cfg_fail(c, value, "out of memory");
        rc = json_expect_init(&chk->expect_json[chk->nexpect_json],
                              (const char *)key->data.scalar.value, want, e, sizeof(e));
        free(want);
        if (rc < 0)
            return cfg_fail(c, key, "expect_json: %s", e);
        chk->nexpect_json++;
    }
    return 0;
}

static int
cfg_check_name(struct cfg_ctx *c, const yaml_node_t *n, const struct cfg *cfg, size_t index,
               char **out)
{
    char q[CFG_QUOTE_LEN];
    size_t i;

    if (cfg_expand(c, "name", n, "a string", out) < 0)
        return -1;
    if (!name_valid(*out))
        return cfg_fail(c, n, "name: invalid check name \"%s\" (use 1 to 64 of A-Z a-z 0-9 _ . -)",
                        cfg_quote(n, q, sizeof(q)));
    for (i = 0; i < index; i++) {
        if (cfg->checks[i].name != NULL && strcmp(cfg->checks[i].name, *out) == 0)
            return cfg_fail(c, n, "name: duplicate check name \"%s\" (first at line %d)", *out,
                            cfg->checks[i].line);
    }
    return 0;
}

/* The URL is parsed here only to fail early with a position; url_parse's text has no password. */
static int
cfg_check_url(struct cfg_ctx *c, const yaml_node_t *n, char **out)
{
    struct url u;
    char e[ERRLEN];
    int rc = -1;

    memset(&u, 0, sizeof(u));
    if (cfg_expand(c, "url", n, "a string", out) < 0)
        goto out;
    e[0] = '\0';
    if (url_parse(*out, &u, e, sizeof(e)) < 0) {
        cfg_fail(c, n, "url: %s", e[0] != '\0' ? e : "invalid URL");
        goto out;
    }
    rc = 0;
out:
    url_free(&u);
    return rc;
}

static int
cfg_check_status(struct cfg_ctx *c, const yaml_node_t *n, char **out)
{
    struct status_set set;
    char e[ERRLEN];

    if (cfg_expand(c, "expect_status", n, "a status set", out) < 0)
        return -1;
    e[0] = '\0';
    if (status_set_parse(*out, &set, e, sizeof(e)) < 0)
        return cfg_fail(c, n, "expect_status: %s", e[0] != '\0' ? e : "bad status set");
    return 0;
}

/* A CA bundle or client certificate must be there when the config is checked, not only when a
 * handshake needs it. */
static int
cfg_file(struct cfg_ctx *c, const char *key, const yaml_node_t *n, char **out)
{
    char e[CFG_QUOTE_LEN + 64];

    if (cfg_string(c, key, n, 0, out) < 0)
        return -1;
    if (file_readable(*out, e, sizeof(e)) < 0)
        return cfg_fail(c, n, "%s: %s", key, e);
    return 0;
}

/* A kind's option as a check key: kept as text with its position; which kind takes it, and
 * whether the value is one it allows, is known once the URL is parsed (cli.c). */
static int
cfg_kind_opt(struct cfg_ctx *c, const char *key, const yaml_node_t *v, struct cfg_check *chk)
{
    struct cfg_kind_opt *o = &chk->opts[chk->nopts];

    if (chk->nopts >= CFG_KIND_OPTS_MAX)
        return cfg_fail(c, v, "%s: too many options for one check", key);
    if (cfg_string(c, key, v, 0, &o->value) < 0)
        return -1;
    o->key = key;
    o->line = (int)v->start_mark.line + 1;
    o->col = (int)v->start_mark.column + 1;
    chk->nopts++;
    return 0;
}

const char *
cfg_check_opt(const struct cfg_check *chk, const char *key)
{
    for (size_t i = 0; i < chk->nopts; i++) {
        if (strcmp(chk->opts[i].key, key) == 0)
            return chk->opts[i].value;
    }
    return NULL;
}

static int
cfg_check(struct cfg_ctx *c, const yaml_node_t *map, struct cfg *cfg, size_t index)
{
    struct cfg_check *chk = &cfg->checks[index];
    const yaml_node_pair_t *pair;

    chk->insecure = -1;
    chk->line = (int)map->start_mark.line + 1;
    chk->col = (int)map->start_mark.column + 1;
    if (map->type != YAML_MAPPING_NODE)
        return cfg_fail(c, map, "checks: each check must be a mapping, got %s", cfg_kind(map));
    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *v = cfg_node(c, pair->value);
        const char *key;
        int rc;

        if (cfg_key(c, map, pair, cfg_check_key_list(), "check key", &key) < 0)
            return -1;
        if (strcmp(key, "name") == 0)
            rc = cfg_check_name(c, v, cfg, index, &chk->name);
        else if (strcmp(key, "url") == 0)
            rc = cfg_check_url(c, v, &chk->url);
        else if (strcmp(key, "expect_status") == 0)
            rc = cfg_check_status(c, v, &chk->expect_status);
        else if (strcmp(key, "expect_body") == 0)
            rc = cfg_string(c, key, v, 0, &chk->expect_body);
        else if (strcmp(key, "headers") == 0)
            rc = cfg_headers(c, v, chk);
        else if (strcmp(key, "expect_json") == 0)
            rc = cfg_expect_json(c, v, chk);
        else if (strcmp(key, "timeout") == 0)
            rc = cfg_duration(c, key, v, &chk->timeout_ms);
        else if (strcmp(key, "insecure") == 0)
            rc = cfg_bool(c, key, v, &chk->insecure);
        else if (strcmp(key, "cacert") == 0 || strcmp(key, "cert") == 0)
            rc = cfg_file(c, key, v, strcmp(key, "cert") == 0 ? &chk->cert : &chk->cacert);
        else if (strcmp(key, "key") == 0)
            rc = cfg_file(c, key, v, &chk->key);
        else
            rc = cfg_kind_opt(c, key, v, chk);
        if (rc < 0)
            return -1;
    }
    if (chk->url == NULL) {
        if (chk->name != NULL)
            return cfg_fail(c, map, "check \"%s\" has no url", chk->name);
        return cfg_fail(c, map, "check has no url");
    }
    return 0;
}

static int
cfg_checks(struct cfg_ctx *c, const yaml_node_t *seq, struct cfg *cfg)
{
    size_t n;
    size_t i;

    if (seq->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, seq, "checks: expected a sequence, got %s", cfg_kind(seq));
    n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n > CFG_MAX_CHECKS)
        return cfg_fail(c, seq, "checks: too many checks (%zu, at most %d)", n, CFG_MAX_CHECKS);
    if (n == 0)
        return 0;
    cfg->checks = calloc(n, sizeof(*cfg->checks));
    if (cfg->checks == NULL)
        return cfg_fail(c, seq, "out of memory");
    for (i = 0; i < n; i++) {
        /* Counted before it is filled, so cfg_free releases a half-read check. */
        cfg->nchecks = i + 1;
        if (cfg_check(c, cfg_node(c, seq->data.sequence.items.start[i]), cfg, i) < 0)
            return -1;
    }
    return 0;
}

static int
cfg_log_format(struct cfg_ctx *c, const yaml_node_t *n, char **out)
{
    char q[CFG_QUOTE_LEN];

    if (cfg_expand(c, "log_format", n, "text or json", out) < 0)
        return -1;
    if (strcmp(*out, "text") != 0 && strcmp(*out, "json") != 0)
        return cfg_fail(c, n, "log_format: expected text or json, got \"%s\"",
                        cfg_quote(n, q, sizeof(q)));
    return 0;
}

static int
cfg_listen(struct cfg_ctx *c, const yaml_node_t *n, char **out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char e[160];

    if (cfg_string(c, "listen", n, 0, out) < 0)
        return -1;
    if (listen_addr_parse(*out, &ss, &len, e, sizeof(e)) < 0)
        return cfg_fail(c, n, "listen: %s", e);
    return 0;
}

static int
cfg_top(struct cfg_ctx *c, const yaml_node_t *root, struct cfg *cfg)
{
    const yaml_node_pair_t *pair;

    if (root->type != YAML_MAPPING_NODE)
        return cfg_fail(c, root, "top level must be a mapping, got %s", cfg_kind(root));
    for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *v = cfg_node(c, pair->value);
        const char *key;
        int rc;

        if (cfg_key(c, root, pair, cfg_top_keys, "key", &key) < 0)
            return -1;
        if (strcmp(key, "timeout") == 0)
            rc = cfg_duration(c, key, v, &cfg->timeout_ms);
        else if (strcmp(key, "interval") == 0)
            rc = cfg_duration(c, key, v, &cfg->interval_ms);
        else if (strcmp(key, "listen") == 0)
            rc = cfg_listen(c, v, &cfg->listen);
        else if (strcmp(key, "rise") == 0)
            rc = cfg_int(c, key, v, 1, 100, &cfg->rise);
        else if (strcmp(key, "fall") == 0)
            rc = cfg_int(c, key, v, 1, 100, &cfg->fall);
        else if (strcmp(key, "log_format") == 0)
            rc = cfg_log_format(c, v, &cfg->log_format);
        else
            rc = cfg_checks(c, v, cfg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/*
 * Loads into a local struct and hands it over only when all of it is valid, so on error the
 * caller's cfg is left zeroed and needs no cfg_free.
 */
int
cfg_load_string(const char *name, const char *text, size_t len, struct cfg *cfg, char *err,
                size_t errlen)
{
    struct cfg_ctx c;
    struct cfg tmp;
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_document_t next;
    yaml_node_t *root;
    yaml_node_t *extra;
    const char *nul;
    int have_parser = 0;
    int have_doc = 0;
    int have_next = 0;
    int rc = -1;

    memset(cfg, 0, sizeof(*cfg));
    memset(&tmp, 0, sizeof(tmp));
    c.name = name != NULL ? name : "<string>";
    c.doc = &doc;
    c.err = err;
    c.errlen = errlen;
    if (errlen > 0)
        err[0] = '\0';
    if (text == NULL) {
        text = "";
        len = 0;
    }
    if (len > CFG_MAX_BYTES) {
        snprintf(err, errlen, "%s: config is larger than 1 MiB", c.name);
        goto out;
    }
    nul = len > 0 ? memchr(text, '\0', len) : NULL;
    if (nul != NULL) {
        size_t line;
        size_t col;

        cfg_offset_pos(text, len, (size_t)(nul - text), &line, &col);
        cfg_fail_at(&c, line, col, "config contains a NUL byte");
        goto out;
    }
    if (cfg_prescan(&c, text, len) < 0)
        goto out;
    if (!yaml_parser_initialize(&parser)) {
        cfg_fail_at(&c, 1, 1, "out of memory");
        goto out;
    }
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&parser, &doc)) {
        cfg_yaml_error(&c, &parser, text, len);
        goto out;
    }
    have_doc = 1;
    root = yaml_document_get_root_node(&doc);
    if (root == NULL || cfg_is_null(root)) {
        cfg_fail_at(&c, 1, 1, "empty config: expected a mapping of settings");
        goto out;
    }
    /* A second document would be ignored silently; loading it also reports late syntax errors. */
    if (!yaml_parser_load(&parser, &next)) {
        cfg_yaml_error(&c, &parser, text, len);
        goto out;
    }
    have_next = 1;
    extra = yaml_document_get_root_node(&next);
    if (extra != NULL) {
        cfg_fail(&c, extra, "only one YAML document is allowed");
        goto out;
    }
    tmp.path = strdup(c.name);
    if (tmp.path == NULL) {
        cfg_fail_at(&c, 1, 1, "out of memory");
        goto out;
    }
    if (cfg_top(&c, root, &tmp) < 0)
        goto out;
    *cfg = tmp;
    memset(&tmp, 0, sizeof(tmp));
    rc = 0;
out:
    cfg_free(&tmp);
    if (have_next)
        yaml_document_delete(&next);
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    return rc;
}

/* Reads at most one byte past the cap, so a huge or endless file is refused without reading it. */
int
cfg_load_file(const char *path, struct cfg *cfg, char *err, size_t errlen)
{
    char *buf = NULL;
    long len = 0;
    int fd = -1;
    int rc = -1;

    memset(cfg, 0, sizeof(*cfg));
    if (path == NULL) {
        snprintf(err, errlen, "no config file given");
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    buf = malloc(CFG_MAX_BYTES + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    len = file_read_upto(fd, buf, CFG_MAX_BYTES + 1);
    if (len < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (len > CFG_MAX_BYTES) {
        snprintf(err, errlen, "%s: config is larger than 1 MiB", path);
        goto out;
    }
    rc = cfg_load_string(path, buf, (size_t)len, cfg, err, errlen);
out:
    free(buf);
    buf = NULL;
    if (fd >= 0)
        close(fd);
    return rc;
}

void
cfg_free(struct cfg *cfg)
{
    size_t i;

    if (cfg == NULL)
        return;
    for (i = 0; i < cfg->nchecks; i++) {
        struct cfg_check *chk = &cfg->checks[i];

        /* The array and every pointer into it go below; the whole cfg is zeroed at the end. */
        http_headers_free(chk->headers, chk->nheaders);
        free(chk->name);
        free(chk->url);
        free(chk->expect_status);
        free(chk->expect_body);
        json_expects_free(chk->expect_json, chk->nexpect_json);
        for (size_t o = 0; o < chk->nopts; o++)
            free(chk->opts[o].value);
        free(chk->cacert);
        free(chk->cert);
        free(chk->key);
    }
    free(cfg->checks);
    free(cfg->path);
    free(cfg->listen);
    free(cfg->log_format);
    memset(cfg, 0, sizeof(*cfg));
}
