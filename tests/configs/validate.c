/* `probe validate` on every probe command line, in the environment its container would have:
 * the variables the example gives it and the secret files mounted into it, and nothing else,
 * so a reference the container does not provide fails here as it would in production.
 * /run/secrets/NAME is pointed at a dummy file in a temporary directory, the only change made
 * to a command line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "configs.h"
#include "harness.h"

/* Runs `probe ARGS...` with exactly the variables in env, stdout and stderr together in r->out
 * as a terminal would show them. 0, or -1 with r->err saying why it could not run. */
static int
validate_run(const struct strv *args, const struct strv *env, struct probe_result *r)
{
    struct harness_cmd c = {0};

    c.bin = cfg_probe_bin;
    c.argv = (const char *const *)args->v;
    c.env = (const char *const *)env->v;
    c.env_only = 1;
    c.merge_err = 1;
    return harness_run(&c, r);
}

static void
write_secret(const char *dir, const char *name)
{
    char path[1024];
    FILE *fp;

    if (strchr(name, '/') != NULL)
        return;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    if (fp == NULL)
        die(path);
    fputs(DUMMY_SECRET "\n", fp);
    fclose(fp);
}

/* For a container whose environment comes at run time: each ${NAME} in s gets the dummy
 * value, each ${file:/run/secrets/NAME} a dummy file. Returns how many files it wrote. */
static int
give_references(const char *s, struct strv *env, const char *dir)
{
    const char *p;
    int nfile = 0;

    for (p = strstr(s, "${"); p != NULL; p = strstr(p + 2, "${")) {
        const char *name = p + 2;
        size_t n = 0;
        char line[512];

        if (strncmp(name, "file:" SECRETS_DIR, 5 + strlen(SECRETS_DIR)) == 0) {
            const char *fname = name + 5 + strlen(SECRETS_DIR);

            n = strcspn(fname, "}:");
            snprintf(line, sizeof(line), "%.*s", (int)n, fname);
            write_secret(dir, line);
            nfile++;
            continue;
        }
        while (isalnum((unsigned char)name[n]) || name[n] == '_')
            n++;
        if (n == 0 || env_has(env, name, n))
            continue;
        snprintf(line, sizeof(line), "%.*s=%s", (int)n, name, DUMMY_SECRET);
        strv_push(env, line);
    }
    return nfile;
}

/* s with every "${file:/run/secrets/" pointing into dir instead. */
static char *
point_secrets(const char *s, const char *dir)
{
    char to[600];

    snprintf(to, sizeof(to), "${file:%s/", dir);
    return replace_all(s, "${file:" SECRETS_DIR, to);
}

static int
is_wait(const struct pcmd *c)
{
    return !c->health && c->argv->n > 1 && strcmp(c->argv->v[1], "wait") == 0;
}

/*
 * What `probe wait ... -- COMMAND` hands over to. The app must become the process that gets
 * the container's SIGTERM: a `sh -c` script has to end by exec'ing it, or the shell stays
 * PID 1 (which ignores SIGTERM) and `docker stop` waits its 10 s for the SIGKILL.
 */
static void
wait_command(const struct pcmd *c, struct verdict *v)
{
    size_t i = 2;
    const char *script, *last, *p;

    while (i < c->argv->n && strcmp(c->argv->v[i], "--") != 0)
        i++;
    if (i + 1 >= c->argv->n) {
        problem(v, "probe wait has no command after --: the container would exit once ready");
        return;
    }
    if (strcmp(basename_of(c->argv->v[i + 1]), "sh") != 0 || i + 3 >= c->argv->n ||
        strcmp(c->argv->v[i + 2], "-c") != 0)
        return;
    script = c->argv->v[i + 3];
    last = script;
    for (p = script; *p != '\0'; p++) {
        if (*p == ';' || *p == '\n' || (p[0] == '&' && p[1] == '&'))
            last = p + 1 + (p[0] == '&');
    }
    last += strspn(last, " \t");
    if (strncmp(last, "exec ", 5) != 0)
        problem(v,
                "the sh -c script ends with \"%.60s\", not exec: the shell would stay PID 1 "
                "and the app would never get the container's SIGTERM",
                last);
}

/* Runs `probe validate` on a command's options and targets, in its container's
 * environment; *deadline_ms gets the run's timeout as probe resolved it. */
static void
validate_pcmd(size_t idx, struct verdict *v, long *deadline_ms)
{
    struct pcmd *c = &cfg_cmds[idx];
    struct strv *argv = strv_new(), *env = strv_new();
    struct probe_result *r = malloc(sizeof(*r));
    char dir[512];
    size_t i;

    if (r == NULL)
        die("malloc");
    *deadline_ms = -1;
    snprintf(dir, sizeof(dir), "%s/cmd%zu", cfg_tmpdir, idx);
    if (mkdir(dir, 0700) < 0)
        die(dir);
    for (i = 0; i < c->files->n; i++)
        write_secret(dir, c->files->v[i]);
    for (i = 0; i < c->env->n; i++)
        strv_push(env, c->env->v[i]);
    strv_push(argv, "validate");
    for (i = 2; i < c->argv->n; i++) {
        char *arg;

        if (is_wait(c) && strcmp(c->argv->v[i], "--") == 0)
            break; /* the command probe wait runs: not probe's */
        arg = point_secrets(c->argv->v[i], dir);

        if (c->open_env)
            give_references(c->argv->v[i], env, dir);
        strv_push(argv, arg);
        free(arg);
    }
    if (validate_run(argv, env, r) < 0) {
        problem(v, "cannot run %s: %s", cfg_probe_bin, r->err);
    } else if (r->exit_code != 0) {
        problem(v, "probe validate exited %d:", r->exit_code);
        problem(v, "  %s", r->out);
    } else {
        if (strstr(r->out, DUMMY_SECRET) != NULL)
            problem(v, "a secret shows in probe's output: a ${...} reference is somewhere probe "
                       "does not treat as a password");
        if (sscanf(r->out, "timeout: %ldms", deadline_ms) != 1)
            problem(v, "no \"timeout: Nms\" line in probe validate's output");
    }
    free(r);
    strv_free(argv);
    strv_free(env);
}

void
test_pcmds(void)
{
    size_t i;

    for (i = 0; i < cfg_ncmds; i++) {
        struct pcmd *c = &cfg_cmds[i];
        struct verdict form = {0}, val = {0}, dl = {0};
        long deadline;

        if (c->form[0] != '\0')
            problem(&form, "%s", c->form);
        report(&form, "%s: exec form, runs probe%s", c->where, c->health ? " check" : "");
        if (c->argv->n < 2 || strcmp(basename_of(c->argv->v[0]), "probe") != 0)
            continue;
        validate_pcmd(i, &val, &deadline);
        report(&val, "%s: its targets pass probe validate", c->where);
        if (is_wait(c)) {
            struct verdict cmd = {0};

            wait_command(c, &cmd);
            report(&cmd, "%s: probe wait hands over to a command that becomes PID 1", c->where);
        }
        if (!c->health || deadline < 0)
            continue;
        if (c->timeout_ms < 0)
            problem(&dl, "the health check's timeout is not a duration");
        else if (deadline >= c->timeout_ms)
            problem(&dl,
                    "probe's deadline %ldms is not below the health check's timeout %ldms: the "
                    "container runtime would kill probe before it reports why",
                    deadline, c->timeout_ms);
        report(&dl, "%s: probe's deadline (%ldms) is below the health check's timeout (%ldms)",
               c->where, deadline, c->timeout_ms);
    }
}

/* Gives every reference in the document's values (not its comments) a dummy. */
static int
give_yaml_references(yaml_document_t *d, yaml_node_t *n, int depth, struct strv *env,
                     const char *dir)
{
    yaml_node_pair_t *p;
    yaml_node_item_t *it;
    int nfile = 0;

    if (depth > YAML_DEPTH_MAX)
        return 0;
    if (n->type == YAML_SCALAR_NODE) {
        nfile += give_references(yscalar(n), env, dir);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            nfile += give_yaml_references(d, ynode(d, *it), depth + 1, env, dir);
    } else if (n->type == YAML_MAPPING_NODE) {
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
            nfile += give_yaml_references(d, ynode(d, p->value), depth + 1, env, dir);
    }
    return nfile;
}

/* probe validate -c FILE with each variable the file uses set. A file that reads
 * /run/secrets/ is validated as a copy that reads dummy files instead (same lines). */
void
test_probe_config(const struct cfile *f, yaml_document_t *d)
{
    struct strv *argv = strv_new(), *env = strv_new();
    struct probe_result *r = malloc(sizeof(*r));
    struct verdict v = {0};
    char dir[512], copy[1024];
    const char *path = f->path;

    if (r == NULL)
        die("malloc");
    snprintf(dir, sizeof(dir), "%s/config%zu", cfg_tmpdir, (size_t)(f - cfg_files));
    if (mkdir(dir, 0700) < 0)
        die(dir);
    if (give_yaml_references(d, yaml_document_get_root_node(d), 0, env, dir) > 0) {
        char *text = point_secrets(f->text, dir);
        FILE *fp;

        snprintf(copy, sizeof(copy), "%s/%s", dir, basename_of(f->path));
        fp = fopen(copy, "w");
        if (fp == NULL)
            die(copy);
        fputs(text, fp);
        fclose(fp);
        free(text);
        path = copy;
    }
    strv_push(argv, "validate");
    strv_push(argv, "-c");
    strv_push(argv, path);
    if (validate_run(argv, env, r) < 0)
        problem(&v, "cannot run %s: %s", cfg_probe_bin, r->err);
    else if (r->exit_code != 0) {
        char *out = replace_all(r->out, path, f->path);

        problem(&v, "probe validate exited %d:", r->exit_code);
        problem(&v, "  %s", out);
        free(out);
    } else if (strstr(r->out, DUMMY_SECRET) != NULL) {
        problem(&v, "a secret shows in probe validate's output");
    }
    report(&v, "probe validate -c %s (with %zu variable%s set)", f->path, env->n,
           env->n == 1 ? "" : "s");
    free(r);
    strv_free(argv);
    strv_free(env);
}
