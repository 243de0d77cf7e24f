/* The literal-password scanner. Examples get copied into real deployments, so a password
 * written into one, even a "change-me" default, tends to end up in production. The rules
 * are few and specific so that they can be exact: a URL's password must be nothing but
 * ${...} references; a secret-named key or variable must hold a reference, a path, an ARN or
 * a flag; a secret variable must not have a ${VAR:-default}; requirepass and friends must be
 * followed by a reference or a command substitution. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "configs.h"

int
scan_secret_name(const char *name)
{
    static const char *const words[] = {"password", "passwd", "pwd",        "secret",
                                        "token",    "apikey", "api_key",    "api-key",
                                        "auth",     "cookie", "private_key"};
    size_t i, n = strlen(name), w;

    for (i = 0; i < n; i++) {
        for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
            if (strncasecmp(name + i, words[w], strlen(words[w])) == 0)
                return 1;
        }
    }
    return 0;
}

static void
leak(const struct leak_sink *sink, int line, const char *fmt, const char *a, size_t alen)
{
    char what[CFG_ERRLEN];

    snprintf(what, sizeof(what), fmt, (int)alen, a);
    sink->report(sink->ctx, line, what);
}

/* The end of a reference starting at p ("${...}" or compose's "$${...}"), or NULL when p
 * does not start one. Nested references count: ${A:-${B}}. */
static const char *
ref_end(const char *p)
{
    int depth = 0;

    if (p[0] == '$' && p[1] == '$')
        p++;
    if (p[0] != '$' || p[1] != '{')
        return NULL;
    for (; *p != '\0'; p++) {
        if (p[0] == '$' && p[1] == '{') {
            depth++;
            p++;
        } else if (*p == '}' && --depth == 0) {
            return p + 1;
        }
    }
    return NULL;
}

/* Checks the authority of the URL whose "://" ends at p. */
static void
scan_url(const char *p, int line, const struct leak_sink *sink)
{
    const char *colon = NULL, *at = NULL, *q = p;

    while (*q != '\0' && strchr("/?#\"' \t\n", *q) == NULL) {
        const char *end = ref_end(q);

        if (end != NULL) {
            q = end;
            continue;
        }
        if (*q == '@') {
            at = q;
            break;
        }
        if (*q == ':' && colon == NULL)
            colon = q;
        q++;
    }
    if (at == NULL || colon == NULL || colon > at)
        return;
    for (q = colon + 1; q < at;) {
        const char *end = ref_end(q);

        if (end == NULL || end > at) {
            leak(sink, line, "a literal password in a URL: \"%.*s\"", p, (size_t)(at + 1 - p));
            return;
        }
        q = end;
    }
}

/* Checks "${NAME:-DEFAULT}" and "${NAME-DEFAULT}" at p. */
static void
scan_default(const char *p, int line, const struct leak_sink *sink)
{
    const char *name, *end = ref_end(p), *q;
    char buf[128];
    size_t n;

    if (end == NULL)
        return;
    name = strchr(p, '{') + 1;
    for (q = name; isalnum((unsigned char)*q) || *q == '_'; q++)
        ;
    n = (size_t)(q - name);
    if (n == 0 || n >= sizeof(buf))
        return;
    memcpy(buf, name, n);
    buf[n] = '\0';
    if (q[0] == ':' && q[1] == '-')
        q += 2;
    else if (q[0] == '-')
        q += 1;
    else
        return;
    if (scan_secret_name(buf) && q < end - 1)
        leak(sink, line, "a default for a secret: \"%.*s\"", p, (size_t)(end - p));
}

/* Checks the value that follows a server's password option at p ("requirepass X"). */
static void
scan_option(const char *word, const char *p, int line, const struct leak_sink *sink)
{
    const char *v = p + strlen(word), *e;

    if (*v != ' ' && *v != '=' && *v != '\t')
        return;
    while (*v == ' ' || *v == '=' || *v == '\t')
        v++;
    if (*v == '"' || *v == '\'' || *v == '\\')
        v++;
    if (*v == '"' || *v == '\'')
        v++;
    if (*v == '$' || *v == '\0')
        return;
    for (e = v; *e != '\0' && !isspace((unsigned char)*e) && *e != '"' && *e != '\''; e++)
        ;
    leak(sink, line, "a literal password option: \"%.*s\"", p, (size_t)(e - p));
}

void
scan_string(const char *s, int line, const struct leak_sink *sink)
{
    static const char *const options[] = {"requirepass", "masterauth", "--password", "--pass"};
    const char *p;
    size_t o;

    for (p = strstr(s, "://"); p != NULL; p = strstr(p + 3, "://"))
        scan_url(p + 3, line, sink);
    for (p = strstr(s, "${"); p != NULL; p = strstr(p + 2, "${"))
        scan_default(p > s && p[-1] == '$' ? p - 1 : p, line, sink);
    for (o = 0; o < sizeof(options) / sizeof(options[0]); o++) {
        for (p = strstr(s, options[o]); p != NULL; p = strstr(p + 1, options[o]))
            scan_option(options[o], p, line, sink);
    }
}

void
scan_pair(const char *name, const char *value, int line, const struct leak_sink *sink)
{
    static const char *const flags[] = {"0", "1", "true", "false", "yes", "no", "on", "off"};
    size_t i;

    if (!scan_secret_name(name) || value[0] == '\0')
        return;
    if (strstr(value, "${") != NULL || strstr(value, "$(") != NULL)
        return;
    if (value[0] == '/' || strncmp(value, "./", 2) == 0 || strncmp(value, "arn:", 4) == 0)
        return;
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcasecmp(value, flags[i]) == 0)
            return;
    }
    leak(sink, line, "a literal value for a secret: \"%.*s\"", name, strlen(name));
}

struct leak_ctx {
    const struct cfile *f;
    struct verdict *v;
};

static void
leak_report(void *ctx, int line, const char *what)
{
    struct leak_ctx *lc = ctx;

    problem(lc->v, "%s:%d: %s", lc->f->path, line, what);
}

static void
scan_yaml(yaml_document_t *d, yaml_node_t *n, int depth, const struct leak_sink *sink)
{
    yaml_node_pair_t *p;
    yaml_node_item_t *it;

    if (depth > YAML_DEPTH_MAX)
        return;
    if (n->type == YAML_SCALAR_NODE) {
        scan_string(yscalar(n), yline(n), sink);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const char *s = yscalar(ynode(d, *it)), *eq = s ? strchr(s, '=') : NULL;

            if (eq != NULL && eq > s && strcspn(s, " \t") > (size_t)(eq - s)) {
                char name[256];

                snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
                scan_pair(name, eq + 1, yline(ynode(d, *it)), sink);
            }
            scan_yaml(d, ynode(d, *it), depth + 1, sink);
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            const char *k = yscalar(ynode(d, p->key)), *val = yscalar(ynode(d, p->value));

            if (k != NULL && val != NULL)
                scan_pair(k, val, yline(ynode(d, p->value)), sink);
            scan_yaml(d, ynode(d, p->value), depth + 1, sink);
        }
    }
}

static void
scan_json(const struct jnode *n, const struct leak_sink *sink)
{
    const struct jnode *m;

    if (n->type == JN_STRING)
        scan_string(n->text, n->line, sink);
    if (n->key != NULL && n->type == JN_STRING)
        scan_pair(n->key, n->text, n->line, sink);
    if (n->type == JN_OBJECT && jn_str(jn_get(n, "name")) && jn_str(jn_get(n, "value")))
        scan_pair(jn_str(jn_get(n, "name")), jn_str(jn_get(n, "value")), n->line, sink);
    for (m = n->child; m != NULL; m = m->next)
        scan_json(m, sink);
}

/* ENV and ARG pairs: KEY=VALUE words, or the old "ENV KEY VALUE". */
static void
scan_dockerfile_pairs(const struct dinstr *in, const struct leak_sink *sink)
{
    const char *p = in->args;

    if (strchr(p, '=') == NULL || strcspn(p, " \t") < strcspn(p, "=")) {
        char name[256];
        size_t n = strcspn(p, " \t");

        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        scan_pair(name, p + n + strspn(p + n, " \t"), in->line, sink);
        return;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, "="), vlen;
        char name[256], value[1024];
        const char *val = p + n + 1;
        char quote = 0;

        if (p[n] != '=')
            break;
        if (*val == '"' || *val == '\'')
            quote = *val++;
        vlen = quote ? strcspn(val, quote == '"' ? "\"" : "'") : strcspn(val, " \t");
        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        snprintf(value, sizeof(value), "%.*s", (int)vlen, val);
        scan_pair(name, value, in->line, sink);
        p = val + vlen + (quote && val[vlen] != '\0');
        p += strspn(p, " \t");
    }
}

void
test_no_passwords(const struct cfile *f)
{
    struct verdict v = {0};
    struct leak_ctx lc = {f, &v};
    struct leak_sink sink = {leak_report, &lc};
    char err[CFG_ERRLEN];

    if (f->kind == FILE_YAML) {
        yaml_document_t doc;

        if (yaml_load(f, &doc) == 0) {
            scan_yaml(&doc, yaml_document_get_root_node(&doc), 0, &sink);
            yaml_document_delete(&doc);
        } else {
            problem(&v, "%s: does not parse, so it cannot be scanned", f->path);
        }
    } else if (f->kind == FILE_JSON) {
        struct jnode *root = jdoc_parse(f->text, err, sizeof(err));

        if (root != NULL)
            scan_json(root, &sink);
        else
            problem(&v, "%s: does not parse, so it cannot be scanned", f->path);
        jdoc_free(root);
    } else if (f->kind == FILE_DOCKERFILE) {
        struct dfile df;
        size_t i;

        if (dfile_parse(f->text, &df, err, sizeof(err)) == 0) {
            for (i = 0; i < df.n; i++) {
                scan_string(df.v[i].args, df.v[i].line, &sink);
                if (strcmp(df.v[i].word, "ENV") == 0 || strcmp(df.v[i].word, "ARG") == 0)
                    scan_dockerfile_pairs(&df.v[i], &sink);
            }
            dfile_free(&df);
        }
    } else {
        const char *p = f->text;
        int line = 1;

        while (*p != '\0') {
            size_t n = strcspn(p, "\n");
            char buf[4096];

            snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
            scan_string(buf, line++, &sink);
            p += n + (p[n] == '\n');
        }
    }
    report(&v, "no literal password: %s", f->path);
}

/* The scanner must find what it is there to find; this keeps the test above from passing by
 * finding nothing. */
void
test_scanner(void)
{
    static const struct {
        const char *s, *name; /* name: a scan_pair; else a scan_string */
        int leaks;
    } cases[] = {
        {"mysql://app:hunter2@db:3306/app", NULL, 1},
        {"redis://:hunter2@cache:6379/0", NULL, 1},
        {"mysql://app:${DB_PASSWORD}x@db/app", NULL, 1},
        {"mysql://app:${DB_PASSWORD:-change-me}@db/app", NULL, 1},
        {"exec redis-server --requirepass hunter2", NULL, 1},
        {"--password=hunter2", NULL, 1},
        {"hunter2", "MARIADB_PASSWORD", 1},
        {"Bearer abc123", "Authorization", 1},
        {"mysql://app:${DB_PASSWORD}@db:3306/app", NULL, 0},
        {"mysql://app:$${file:/run/secrets/db_password}@db/app", NULL, 0},
        {"redis://:${file:/run/secrets/redis_password}@cache/0", NULL, 0},
        {"http://user@host:8080/path", NULL, 0},
        {"http://127.0.0.1:8080/ready", NULL, 0},
        {"exec redis-server --requirepass \"$(cat /run/secrets/redis_password)\"", NULL, 0},
        {"/run/secrets/db_password", "MARIADB_PASSWORD_FILE", 0},
        {"1", "MARIADB_RANDOM_ROOT_PASSWORD", 0},
        {"arn:aws:ssm:us-east-1:111122223333:parameter/app/redis", "REDIS_PASSWORD", 0},
        {"Bearer ${TOKEN}", "Authorization", 0},
        {"app.internal", "Host", 0},
    };
    struct verdict v = {0}, found = {0};
    struct cfile self = {"(scanner case)", NULL, FILE_OTHER, NULL, 0};
    struct leak_ctx lc = {&self, &found};
    struct leak_sink sink = {leak_report, &lc};
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        found.problems = 0;
        if (cases[i].name != NULL)
            scan_pair(cases[i].name, cases[i].s, 1, &sink);
        else
            scan_string(cases[i].s, 1, &sink);
        if ((found.problems > 0) != cases[i].leaks)
            problem(&v, "%s%s%s: expected %s", cases[i].name ? cases[i].name : "",
                    cases[i].name ? ": " : "", cases[i].s,
                    cases[i].leaks ? "a leak, found none" : "nothing, found a leak");
    }
    report(&v, "the password scanner flags literal passwords and passes references");
}
