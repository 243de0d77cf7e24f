/* The tests of the examples in config/, the way they will be used. Every YAML and JSON file
 * parses. Every probe command line in them (Dockerfile HEALTHCHECK, compose healthchecks and
 * commands, ECS healthCheck commands and commands) is exec form, passes `probe validate` in
 * the environment its container would have (its variables, its mounted secrets, nothing
 * else), and has a deadline below its health check's timeout. The compose file and the ECS
 * task definition wire dependencies, secrets and ports as the README says. No file holds a
 * literal password.
 *
 * usage: test_configs CONFIG_DIR PROBE_BIN
 * One line per test, PASS or FAIL (with the reasons below it), then "N passed, M failed";
 * exit 0 only when nothing failed. CONFIG_DIR/secrets/ is not read: it holds real secrets. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configs.h"

struct cfile cfg_files[MAX_FILES];
size_t cfg_nfiles;
struct pcmd cfg_cmds[MAX_CMDS];
size_t cfg_ncmds;
const char *cfg_probe_bin;
char cfg_tmpdir[] = "/tmp/probe-configs.XXXXXX";
static int n_passed, n_failed;

void
die(const char *what)
{
    fprintf(stderr, "test_configs: %s: %s\n", what, strerror(errno));
    exit(2);
}

char *
xstrdup(const char *s)
{
    char *d = strdup(s);

    if (d == NULL)
        die("strdup");
    return d;
}

struct strv *
strv_new(void)
{
    struct strv *s = calloc(1, sizeof(*s));

    if (s == NULL)
        die("calloc");
    return s;
}

void
strv_push(struct strv *s, const char *str)
{
    char **grown = realloc(s->v, (s->n + 2) * sizeof(*s->v));

    if (grown == NULL)
        die("realloc");
    s->v = grown;
    s->v[s->n++] = xstrdup(str);
    s->v[s->n] = NULL;
}

/* Drops the first string. */
void
strv_shift(struct strv *s)
{
    if (s->n == 0)
        return;
    free(s->v[0]);
    memmove(s->v, s->v + 1, s->n * sizeof(*s->v)); /* the NULL too */
    s->n--;
}

void
strv_free(struct strv *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s);
}

/* 1 when env has "NAME=..." for name of length n. */
int
env_has(const struct strv *env, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
            return 1;
    }
    return 0;
}

void
problem(struct verdict *v, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    v->problems++;
    n = snprintf(v->text + v->len, sizeof(v->text) - v->len, "     %s\n", line);
    if (n > 0)
        v->len += (size_t)n < sizeof(v->text) - v->len ? (size_t)n : sizeof(v->text) - v->len - 1;
}

/* Prints and counts one test's result: PASS, or FAIL and its problems. */
void
report(const struct verdict *v, const char *fmt, ...)
{
    va_list ap;

    printf("%s ", v->problems == 0 ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n%s", v->problems == 0 ? "" : v->text);
    fflush(stdout);
    if (v->problems == 0)
        n_passed++;
    else
        n_failed++;
}

const char *
basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* s with every occurrence of from replaced by to. */
char *
replace_all(const char *s, const char *from, const char *to)
{
    size_t flen = strlen(from), tlen = strlen(to), count = 0;
    const char *p;
    char *out, *w;

    for (p = strstr(s, from); p != NULL; p = strstr(p + flen, from))
        count++;
    out = malloc(strlen(s) + count * tlen + 1);
    if (out == NULL)
        die("malloc");
    for (w = out, p = s;;) {
        const char *hit = strstr(p, from);

        if (hit == NULL) {
            strcpy(w, p);
            return out;
        }
        memcpy(w, p, (size_t)(hit - p));
        memcpy(w + (hit - p), to, tlen);
        w += (hit - p) + tlen;
        p = hit + flen;
    }
}

/* Milliseconds in a Go duration as Docker and compose take it ("4s", "1m30s", "500ms"), or
 * -1 when it is not one. */
long
duration_ms(const char *s)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1},
                 {"s", 1000},  {"m", 60000}, {"h", 3600000}};
    double total = 0;
    const char *p = s;

    if (strcmp(s, "0") == 0)
        return 0;
    if (*p == '\0')
        return -1;
    while (*p != '\0') {
        double v = 0, scale = 1;
        int digits = 0;
        size_t u;

        for (; isdigit((unsigned char)*p); p++, digits++)
            v = v * 10 + (*p - '0');
        if (*p == '.') {
            for (p++; isdigit((unsigned char)*p); p++, digits++) {
                scale /= 10;
                v += (*p - '0') * scale;
            }
        }
        if (digits == 0)
            return -1;
        for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
            size_t n = strlen(units[u].unit);

            /* "ms" before "m", and "m" must not be the start of "ms" */
            if (strncmp(p, units[u].unit, n) == 0 && !(n == 1 && *p == 'm' && p[1] == 's'))
                break;
        }
        if (u == sizeof(units) / sizeof(units[0]))
            return -1;
        total += v * units[u].ms;
        p += strlen(units[u].unit);
    }
    return (long)total;
}

static char *
read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (fp == NULL)
        return NULL;
    for (;;) {
        size_t got;

        if (cap - n < 4096) {
            char *grown = realloc(buf, cap + 65536);

            if (grown == NULL)
                die("realloc");
            buf = grown;
            cap += 65536;
        }
        got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static enum file_kind
kind_of(const char *name)
{
    const char *base = basename_of(name);

    if (ends_with(base, ".yaml") || ends_with(base, ".yml"))
        return FILE_YAML;
    if (ends_with(base, ".json"))
        return FILE_JSON;
    if (strncmp(base, "Dockerfile", 10) == 0 || ends_with(base, ".Dockerfile") ||
        ends_with(base, ".dockerfile"))
        return FILE_DOCKERFILE;
    return FILE_OTHER;
}

/* Every regular file under dir, in name order, except the secrets/ directory at the top. */
static void
collect_files(const char *root, const char *rel)
{
    char dir[512];
    struct dirent **list;
    int n, i;

    snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
    n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        die(dir);
    for (i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        char path[1024], sub[512];
        struct stat st;

        snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e);
        snprintf(path, sizeof(path), "%s/%s", root, sub);
        if (strcmp(e, ".") == 0 || strcmp(e, "..") == 0 || stat(path, &st) < 0) {
            free(list[i]);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!(*rel == '\0' && strcmp(e, "secrets") == 0))
                collect_files(root, sub);
        } else if (S_ISREG(st.st_mode)) {
            struct cfile *f;

            if (cfg_nfiles == MAX_FILES) {
                errno = ENOSPC;
                die("more files in the config directory than MAX_FILES");
            }
            f = &cfg_files[cfg_nfiles++];

            snprintf(f->path, sizeof(f->path), "%s", path);
            f->name = f->path + strlen(root) + 1;
            f->kind = kind_of(sub);
            f->text = read_file(path, &f->len);
            if (f->text == NULL)
                die(path);
        }
        free(list[i]);
    }
    free(list);
}

const struct cfile *
find_file(const char *name)
{
    size_t i;

    for (i = 0; i < cfg_nfiles; i++) {
        if (strcmp(cfg_files[i].name, name) == 0)
            return &cfg_files[i];
    }
    return NULL;
}

static void
test_json_parses(const struct cfile *f)
{
    char err[CFG_ERRLEN];
    struct verdict v = {0};
    struct jnode *root = jdoc_parse(f->text, err, sizeof(err));

    if (strlen(f->text) != f->len)
        problem(&v, "%s: a NUL byte in the file", f->path);
    else if (root == NULL)
        problem(&v, "%s:%s", f->path, err);
    jdoc_free(root);
    report(&v, "JSON parses: %s", f->path);
}

struct pcmd *
pcmd_new(const char *file, int line, const char *what, int health)
{
    struct pcmd *c;

    if (cfg_ncmds == MAX_CMDS) {
        errno = ENOSPC;
        die("too many probe commands");
    }
    c = &cfg_cmds[cfg_ncmds++];
    memset(c, 0, sizeof(*c));
    snprintf(c->where, sizeof(c->where), "%s:%d: %s", file, line, what);
    c->health = health;
    c->argv = strv_new();
    c->env = strv_new();
    c->files = strv_new();
    c->timeout_ms = -1;
    return c;
}

/* The shape every probe command must have: probe (on the PATH or /probe) and then `check`
 * for a health check, `serve` or `check` for what a container runs. */
void
pcmd_check_form(struct pcmd *c)
{
    const char *sub;

    if (c->form[0] != '\0')
        return;
    if (c->argv->n == 0 || strcmp(basename_of(c->argv->v[0]), "probe") != 0) {
        snprintf(c->form, sizeof(c->form), "does not run probe (runs \"%s\")",
                 c->argv->n > 0 ? c->argv->v[0] : "");
        return;
    }
    sub = c->argv->n > 1 ? c->argv->v[1] : "";
    if (c->health && strcmp(sub, "check") != 0)
        snprintf(c->form, sizeof(c->form), "a health check runs `probe check`, not `probe %s`",
                 sub);
    else if (!c->health && strcmp(sub, "serve") != 0 && strcmp(sub, "check") != 0 &&
             strcmp(sub, "wait") != 0)
        snprintf(c->form, sizeof(c->form), "runs `probe %s`", sub);
}

/* The port a `probe serve` command listens on. */
long
listen_port(const struct pcmd *c)
{
    const char *addr = "0.0.0.0:8080", *colon;
    size_t i;

    for (i = 0; i < c->argv->n; i++) {
        const char *a = c->argv->v[i];

        if ((strcmp(a, "--listen") == 0 || strcmp(a, "-l") == 0) && i + 1 < c->argv->n)
            addr = c->argv->v[i + 1];
        else if (strncmp(a, "--listen=", 9) == 0)
            addr = a + 9;
    }
    colon = strrchr(addr, ':');
    return colon != NULL ? strtol(colon + 1, NULL, 10) : -1;
}

int
pcmd_mentions(const struct pcmd *c, const char *s)
{
    size_t i;

    for (i = 0; i < c->argv->n; i++) {
        if (strstr(c->argv->v[i], s) != NULL)
            return 1;
    }
    return 0;
}

/* The first command collected from file whose where has what in it. */
const struct pcmd *
find_pcmd(const char *file, const char *what, int health)
{
    size_t i;

    for (i = 0; i < cfg_ncmds; i++) {
        if (cfg_cmds[i].health == health && strncmp(cfg_cmds[i].where, file, strlen(file)) == 0 &&
            strstr(cfg_cmds[i].where, what) != NULL)
            return &cfg_cmds[i];
    }
    return NULL;
}

/* The examples this issue promises; the other tests pass vacuously on a missing file. */
static void
test_examples_present(const char *dir)
{
    static const char *const required[] = {"Dockerfile.app", "compose.yaml",
                                           "ecs-task-definition.json", "ecs-target-group.json",
                                           "probe.yaml"};
    struct verdict v = {0};
    size_t i;

    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (find_file(required[i]) == NULL)
            problem(&v, "%s/%s is missing", dir, required[i]);
    }
    report(&v, "the examples are all there: Dockerfile.app, compose.yaml, "
               "ecs-task-definition.json, ecs-target-group.json, probe.yaml");
}

static void
remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;

    if (dir != NULL) {
        while ((e = readdir(dir)) != NULL) {
            char sub[1024];

            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        closedir(dir);
        rmdir(path);
    } else {
        unlink(path);
    }
}

int
main(int argc, char **argv)
{
    const struct cfile *tgf;
    struct jnode *tg = NULL;
    char err[CFG_ERRLEN];
    size_t i;

    if (argc != 3) {
        fprintf(stderr, "usage: %s CONFIG_DIR PROBE_BIN\n", argv[0]);
        return 2;
    }
    cfg_probe_bin = argv[2];
    if (access(cfg_probe_bin, X_OK) < 0)
        die(cfg_probe_bin);
    if (mkdtemp(cfg_tmpdir) == NULL)
        die("mkdtemp");
    collect_files(argv[1], "");

    for (i = 0; i < cfg_nfiles; i++) {
        if (cfg_files[i].kind == FILE_YAML)
            test_yaml_parses(&cfg_files[i]);
        else if (cfg_files[i].kind == FILE_JSON)
            test_json_parses(&cfg_files[i]);
    }

    tgf = find_file("ecs-target-group.json");
    if (tgf != NULL)
        tg = jdoc_parse(tgf->text, err, sizeof(err));
    for (i = 0; i < cfg_nfiles; i++) {
        struct cfile *f = &cfg_files[i];
        size_t first = cfg_ncmds;

        if (f->kind == FILE_DOCKERFILE) {
            test_dockerfile(f);
        } else if (f->kind == FILE_YAML) {
            yaml_document_t doc;
            yaml_node_t *root, *services;

            if (yaml_load(f, &doc) < 0)
                continue;
            root = yaml_document_get_root_node(&doc);
            services = yget(&doc, root, "services");
            if (services != NULL && services->type == YAML_MAPPING_NODE) {
                yaml_node_pair_t *p;

                for (p = services->data.mapping.pairs.start; p < services->data.mapping.pairs.top;
                     p++)
                    compose_collect(f, &doc, yscalar(ynode(&doc, p->key)), ynode(&doc, p->value));
                test_compose(f, &doc, first);
            } else if (yget(&doc, root, "checks") != NULL) {
                test_probe_config(f, &doc);
            }
            yaml_document_delete(&doc);
        } else if (f->kind == FILE_JSON) {
            struct jnode *root = jdoc_parse(f->text, err, sizeof(err));
            const struct jnode *c, *ctrs = jn_get(root, "containerDefinitions");

            if (ctrs != NULL) {
                for (c = ctrs->child; c != NULL; c = c->next)
                    ecs_collect(f, c);
                test_ecs_task(f, root, tg);
            }
            jdoc_free(root);
        }
    }
    jdoc_free(tg);

    test_examples_present(argv[1]);
    test_pcmds();
    for (i = 0; i < cfg_nfiles; i++)
        test_no_passwords(&cfg_files[i]);
    test_scanner();

    for (i = 0; i < cfg_ncmds; i++) {
        strv_free(cfg_cmds[i].argv);
        strv_free(cfg_cmds[i].env);
        strv_free(cfg_cmds[i].files);
    }
    for (i = 0; i < cfg_nfiles; i++)
        free(cfg_files[i].text);
    remove_tree(cfg_tmpdir);
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed == 0 ? 0 : 1;
}
