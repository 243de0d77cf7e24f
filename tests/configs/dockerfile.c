/* Just enough of the Dockerfile syntax to find the instructions: comment lines dropped
 * (also inside a continued instruction, as Docker does), a trailing backslash joins the next
 * line, the first word is the instruction. Heredocs and the escape directive are not
 * needed by the examples, and a file that uses the escape directive is refused rather than
 * misread. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configs.h"

void
dfile_free(struct dfile *df)
{
    size_t i;

    for (i = 0; i < df->n; i++) {
        free(df->v[i].args);
        df->v[i].args = NULL;
    }
    free(df->v);
    df->v = NULL;
    df->n = 0;
}

/* Appends n bytes to the growing string *s of length *len. */
static int
str_append(char **s, size_t *len, const char *src, size_t n)
{
    char *grown = realloc(*s, *len + n + 1);

    if (grown == NULL)
        return -1;
    memcpy(grown + *len, src, n);
    *len += n;
    grown[*len] = '\0';
    *s = grown;
    return 0;
}

static int
dfile_add(struct dfile *df, int line, const char *text, char *err, size_t errlen)
{
    struct dinstr *grown, *in;
    size_t w = 0;

    while (isspace((unsigned char)*text))
        text++;
    if (*text == '\0')
        return 0;
    grown = realloc(df->v, (df->n + 1) * sizeof(*df->v));
    if (grown == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    df->v = grown;
    in = &df->v[df->n];
    memset(in, 0, sizeof(*in));
    in->line = line;
    while (text[w] != '\0' && !isspace((unsigned char)text[w]) && w < sizeof(in->word) - 1) {
        in->word[w] = (char)toupper((unsigned char)text[w]);
        w++;
    }
    text += w;
    while (isspace((unsigned char)*text))
        text++;
    in->args = strdup(text);
    if (in->args == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    df->n++;
    return 0;
}

int
dfile_parse(const char *text, struct dfile *df, char *err, size_t errlen)
{
    const char *p = text;
    char *cur = NULL;
    size_t curlen = 0;
    int line = 0, start = 0, rc = -1;

    df->v = NULL;
    df->n = 0;
    while (*p != '\0') {
        const char *eol = strchr(p, '\n'), *s = p, *e;

        if (eol == NULL)
            eol = p + strlen(p);
        line++;
        e = eol;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (*s == '#') {
            if (df->n == 0 && start == 0 && strncmp(s, "# escape=", 9) == 0) {
                snprintf(err, errlen, "%d:1: the escape directive is not supported here", line);
                goto out;
            }
        } else if (s < e) { /* a blank line inside an instruction is skipped, too */
            int more;

            while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            more = e > s && e[-1] == '\\';
            if (more)
                e--;
            if (start == 0)
                start = line;
            if (curlen > 0 && str_append(&cur, &curlen, " ", 1) < 0)
                goto oom;
            if (str_append(&cur, &curlen, s, (size_t)(e - s)) < 0)
                goto oom;
            if (!more) {
                if (dfile_add(df, start, cur, err, errlen) < 0)
                    goto out;
                curlen = 0;
                cur[0] = '\0';
                start = 0;
            }
        }
        p = *eol == '\n' ? eol + 1 : eol;
    }
    if (start != 0 && dfile_add(df, start, cur, err, errlen) < 0)
        goto out;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    free(cur);
    if (rc < 0)
        dfile_free(df);
    return rc;
}

/* A Dockerfile's HEALTHCHECK: options, then CMD and a JSON array. Docker quietly runs
 * anything after CMD that is not a valid JSON array of strings with /bin/sh -c, which an
 * image without a shell cannot do, so that is an error here. */
static void
dockerfile_collect(const struct cfile *f, const struct dinstr *in)
{
    struct pcmd *c = pcmd_new(f->path, in->line, "HEALTHCHECK", 1);
    const char *p = in->args;
    char err[CFG_ERRLEN];
    struct jnode *arr, *e;

    c->open_env = 1;
    c->timeout_ms = DOCKER_TIMEOUT_MS;
    while (strncmp(p, "--", 2) == 0) {
        const char *end = p + strcspn(p, " \t"), *eq = memchr(p, '=', (size_t)(end - p));
        char val[64];

        if (eq == NULL) {
            snprintf(c->form, sizeof(c->form), "option \"%.*s\" needs =VALUE", (int)(end - p), p);
            return;
        }
        if (strncmp(p, "--timeout=", 10) == 0) {
            snprintf(val, sizeof(val), "%.*s", (int)(end - eq - 1), eq + 1);
            c->timeout_ms = duration_ms(val);
            if (c->timeout_ms < 0)
                snprintf(c->form, sizeof(c->form), "--timeout=%s is not a duration", val);
        }
        p = end + strspn(end, " \t");
    }
    if (strncmp(p, "NONE", 4) == 0) {
        snprintf(c->form, sizeof(c->form), "HEALTHCHECK NONE");
        return;
    }
    if (strncmp(p, "CMD", 3) != 0 || !isspace((unsigned char)p[3])) {
        snprintf(c->form, sizeof(c->form), "expected CMD after the options");
        return;
    }
    p += 3 + strspn(p + 3, " \t");
    arr = *p == '[' ? jdoc_parse(p, err, sizeof(err)) : NULL;
    if (arr == NULL || arr->type != JN_ARRAY) {
        snprintf(c->form, sizeof(c->form),
                 "not a JSON array of strings%s%.200s, so Docker would run it with /bin/sh -c",
                 *p == '[' ? ": " : "", *p == '[' ? err : "");
        jdoc_free(arr);
        return;
    }
    for (e = arr->child; e != NULL; e = e->next) {
        if (e->type != JN_STRING) {
            snprintf(c->form, sizeof(c->form), "item %d:%d of the array is not a string", e->line,
                     e->col);
            break;
        }
        strv_push(c->argv, e->text);
    }
    jdoc_free(arr);
    pcmd_check_form(c);
}

/* A Dockerfile in config/ copies /probe from an image onto the PATH (or to /probe when
 * want_root), so that the health check finds what it names. */
int
dockerfile_copies_probe(const char *name, int want_root)
{
    const struct cfile *f = find_file(name);
    struct dfile df;
    char err[CFG_ERRLEN];
    size_t i;
    int found = 0;

    if (f == NULL || dfile_parse(f->text, &df, err, sizeof(err)) < 0)
        return 0;
    for (i = 0; i < df.n; i++) {
        const char *a = df.v[i].args, *dest;

        if (strcmp(df.v[i].word, "COPY") != 0 || strncmp(a, "--from=", 7) != 0 ||
            strstr(a, " /probe ") == NULL)
            continue;
        dest = strrchr(a, ' ') + 1;
        if (want_root ? strcmp(dest, "/probe") == 0
                      : (strcmp(dest, "/usr/local/bin/probe") == 0 ||
                         strcmp(dest, "/usr/bin/probe") == 0 || strcmp(dest, "/bin/probe") == 0 ||
                         strcmp(dest, "/usr/local/bin/") == 0))
            found = 1;
    }
    dfile_free(&df);
    return found;
}

void
test_dockerfile(const struct cfile *f)
{
    struct verdict v = {0};
    char err[CFG_ERRLEN];
    struct dfile df;
    size_t i, first = cfg_ncmds;
    int bare = 0;

    if (dfile_parse(f->text, &df, err, sizeof(err)) < 0) {
        problem(&v, "%s:%s", f->path, err);
        report(&v, "%s: reads as a Dockerfile", f->path);
        return;
    }
    for (i = 0; i < df.n; i++) {
        if (strcmp(df.v[i].word, "HEALTHCHECK") == 0)
            dockerfile_collect(f, &df.v[i]);
        if (strcmp(df.v[i].word, "COPY") == 0 && strstr(df.v[i].args, " /probe ") != NULL) {
            if (strncmp(df.v[i].args, "--from=", 7) != 0)
                problem(&v, "%s:%d: COPY of /probe without --from= the probe image", f->path,
                        df.v[i].line);
        }
    }
    for (i = first; i < cfg_ncmds; i++)
        bare |= cfg_cmds[i].argv->n > 0 && strcmp(cfg_cmds[i].argv->v[0], "probe") == 0;
    if (bare && !dockerfile_copies_probe(f->name, 0))
        problem(&v,
                "%s: the HEALTHCHECK runs probe from the PATH, but nothing copies "
                "/probe to /usr/local/bin/probe",
                f->path);
    if (strcmp(f->name, "Dockerfile.app") == 0 && first == cfg_ncmds)
        problem(&v, "%s: no HEALTHCHECK", f->path);
    if (strcmp(f->name, "Dockerfile.app") == 0 && !dockerfile_copies_probe(f->name, 0))
        problem(&v, "%s: no COPY --from=probe:latest /probe /usr/local/bin/probe", f->path);
    dfile_free(&df);
    report(&v, "%s: copies probe in from the probe image%s", f->path,
           first < cfg_ncmds ? " for its HEALTHCHECK" : "");
}
