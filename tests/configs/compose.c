/* config/compose.yaml: the probe commands of each service, with the environment and the
 * secret files that service's container has, and the wiring: health checks everywhere,
 * service_healthy dependencies, declared secrets, the binary in every container that runs it,
 * the sidecar's port. Strings are read the way compose reads them: "$$" is a "$", and an
 * unescaped ${...} would be interpolated from the host before probe ever saw it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configs.h"

/* Compose's interpolation, for strings where only "$$" (a literal "$") belongs: compose
 * would replace ${...} and $NAME from the host when it reads the file. The result is what
 * the container gets; err says what compose would have replaced. */
static char *
compose_unescape(const char *in, char *err, size_t errlen)
{
    char *out = xstrdup(in), *w = out;
    const char *p;

    err[0] = '\0';
    for (p = in; *p != '\0'; p++) {
        if (p[0] == '$' && p[1] == '$') {
            *w++ = '$';
            p++;
            continue;
        }
        if (p[0] == '$' && (p[1] == '{' || p[1] == '_' || isalpha((unsigned char)p[1])) &&
            err[0] == '\0')
            snprintf(err, errlen,
                     "compose replaces \"%.40s\" from the host environment when it reads the "
                     "file, before probe sees it: write $$ for a $ that probe should get",
                     p);
        *w++ = *p;
    }
    *w = '\0';
    return out;
}

/* Appends the strings of a compose list (or one string, which compose splits on blanks) to
 * argv, unescaped. */
static void
compose_words(yaml_document_t *d, yaml_node_t *n, struct pcmd *c)
{
    char err[CFG_ERRLEN];
    size_t i;

    if (n == NULL)
        return;
    if (n->type == YAML_SCALAR_NODE) {
        if (c->form[0] == '\0')
            snprintf(c->form, sizeof(c->form),
                     "a string is split or run by a shell; write a list (exec form)");
        return;
    }
    for (i = 0; i < yseq_len(n); i++) {
        const char *s = yscalar(yseq_at(d, n, i));
        char *u;

        if (s == NULL)
            continue;
        u = compose_unescape(s, err, sizeof(err));
        if (err[0] != '\0' && c->form[0] == '\0')
            snprintf(c->form, sizeof(c->form), "%s", err);
        strv_push(c->argv, u);
        free(u);
    }
}

/* The container a compose service describes: its environment and its secret files. */
static void
compose_container(yaml_document_t *d, yaml_node_t *svc, struct pcmd *c)
{
    yaml_node_t *env = yget(d, svc, "environment"), *secrets = yget(d, svc, "secrets");
    yaml_node_t *build = yget(d, svc, "build");
    const char *image = yscalar(yget(d, svc, "image"));
    char err[CFG_ERRLEN], line[1024];
    size_t i;

    if (env != NULL && env->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;

        for (p = env->data.mapping.pairs.start; p < env->data.mapping.pairs.top; p++) {
            const char *k = yscalar(ynode(d, p->key)), *val = yscalar(ynode(d, p->value));
            char *u;

            if (k == NULL)
                continue;
            u = compose_unescape(val != NULL ? val : DUMMY_SECRET, err, sizeof(err));
            snprintf(line, sizeof(line), "%s=%s", k, err[0] != '\0' ? DUMMY_SECRET : u);
            strv_push(c->env, line);
            free(u);
        }
    }
    for (i = 0; env != NULL && i < yseq_len(env); i++) {
        const char *item = yscalar(yseq_at(d, env, i));

        if (item == NULL)
            continue;
        if (strchr(item, '=') != NULL) {
            char *u = compose_unescape(item, err, sizeof(err));

            strv_push(c->env, u);
            free(u);
        } else {
            snprintf(line, sizeof(line), "%s=%s", item, DUMMY_SECRET);
            strv_push(c->env, line);
        }
    }
    for (i = 0; i < yseq_len(secrets); i++) {
        yaml_node_t *s = yseq_at(d, secrets, i);
        const char *name = yscalar(s);

        if (name == NULL) {
            name = yscalar(yget(d, s, "target"));
            if (name != NULL && strncmp(name, SECRETS_DIR, strlen(SECRETS_DIR)) == 0)
                name += strlen(SECRETS_DIR);
            if (name == NULL || strchr(name, '/') != NULL)
                name = yscalar(yget(d, s, "source"));
        }
        if (name != NULL)
            strv_push(c->files, name);
    }
    if (image != NULL)
        snprintf(c->image, sizeof(c->image), "%s", image);
    if (build != NULL) {
        const char *ctx = yscalar(build), *df = "Dockerfile";

        if (ctx == NULL) {
            ctx = yscalar(yget(d, build, "context"));
            if (yscalar(yget(d, build, "dockerfile")) != NULL)
                df = yscalar(yget(d, build, "dockerfile"));
        }
        snprintf(c->dockerfile, sizeof(c->dockerfile), "%s/%s", ctx != NULL ? ctx : ".", df);
    }
}

/* The probe commands of one compose service: its health check, and its entrypoint and
 * command when they run probe. */
void
compose_collect(const struct cfile *f, yaml_document_t *d, const char *name, yaml_node_t *svc)
{
    yaml_node_t *hc = yget(d, svc, "healthcheck"), *ep = yget(d, svc, "entrypoint");
    yaml_node_t *cmd = yget(d, svc, "command");
    const char *image = yscalar(yget(d, svc, "image"));
    char what[256];

    if (hc != NULL && yget(d, hc, "test") != NULL) {
        yaml_node_t *test = yget(d, hc, "test");
        const char *timeout = yscalar(yget(d, hc, "timeout"));
        struct pcmd *c;

        snprintf(what, sizeof(what), "services.%s.healthcheck", name);
        c = pcmd_new(f->path, yline(test), what, 1);
        compose_container(d, svc, c);
        c->timeout_ms = timeout != NULL ? duration_ms(timeout) : DOCKER_TIMEOUT_MS;
        if (test->type == YAML_SCALAR_NODE) {
            snprintf(c->form, sizeof(c->form),
                     "a string test runs in a shell (CMD-SHELL); write [\"CMD\", \"probe\", ...]");
        } else if (yseq_len(test) == 0 || yscalar(yseq_at(d, test, 0)) == NULL ||
                   strcmp(yscalar(yseq_at(d, test, 0)), "CMD") != 0) {
            snprintf(c->form, sizeof(c->form), "the test must start with \"CMD\" (exec form)");
        } else {
            compose_words(d, test, c);
            strv_shift(c->argv); /* "CMD" */
        }
        if (timeout != NULL && c->timeout_ms < 0)
            snprintf(c->form, sizeof(c->form), "timeout \"%s\" is not a duration", timeout);
        pcmd_check_form(c);
    }
    /* The service runs probe when its entrypoint does, or when it is the probe image and the
     * command is a probe subcommand. */
    {
        const char *ep0 = ep != NULL && yseq_len(ep) > 0 ? yscalar(yseq_at(d, ep, 0)) : NULL;
        const char *cmd0 = cmd != NULL && yseq_len(cmd) > 0 ? yscalar(yseq_at(d, cmd, 0)) : NULL;
        int runs_probe = (ep0 != NULL && strcmp(basename_of(ep0), "probe") == 0) ||
                         (ep == NULL && cmd0 != NULL && strcmp(basename_of(cmd0), "probe") == 0);
        int probe_image = ep == NULL && image != NULL && strstr(image, "probe") != NULL &&
                          cmd0 != NULL &&
                          (strcmp(cmd0, "serve") == 0 || strcmp(cmd0, "check") == 0);
        struct pcmd *c;

        if (!runs_probe && !probe_image)
            return;
        snprintf(what, sizeof(what), "services.%s.%s", name, ep != NULL ? "entrypoint" : "command");
        c = pcmd_new(f->path, yline(ep != NULL ? ep : cmd), what, 0);
        compose_container(d, svc, c);
        if (probe_image)
            strv_push(c->argv, "probe");
        compose_words(d, ep, c);
        compose_words(d, cmd, c);
        pcmd_check_form(c);
    }
}

static int
compose_has_healthcheck(yaml_document_t *d, yaml_node_t *svc)
{
    yaml_node_t *hc = yget(d, svc, "healthcheck"), *dis;

    dis = yget(d, hc, "disable");
    return hc != NULL && yget(d, hc, "test") != NULL &&
           !(yscalar(dis) != NULL && strcmp(yscalar(dis), "true") == 0);
}

/* The image is the probe image, where the binary is /probe. */
static int
is_probe_image(const char *image)
{
    const char *base = basename_of(image);

    return strncmp(base, "probe:", 6) == 0 || strncmp(base, "probe@", 6) == 0 ||
           strcmp(base, "probe") == 0;
}

/* The probe a command names exists in its container. */
static void
check_binary(const struct pcmd *c, struct verdict *v)
{
    const char *a0 = c->argv->n > 0 ? c->argv->v[0] : "";
    char df[512];

    if (strcmp(basename_of(a0), "probe") != 0)
        return;
    snprintf(df, sizeof(df), "%s",
             strncmp(c->dockerfile, "./", 2) == 0 ? c->dockerfile + 2 : c->dockerfile);
    if (strcmp(a0, "/probe") == 0) {
        if (!is_probe_image(c->image) && !(df[0] != '\0' && dockerfile_copies_probe(df, 1)))
            problem(v, "%s: runs /probe, but image \"%s\" is not the probe image", c->where,
                    c->image);
    } else if (strcmp(a0, "probe") == 0) {
        if (df[0] == '\0')
            problem(v,
                    "%s: runs probe from the PATH, but the service is not built from a "
                    "Dockerfile in config/ that puts it there",
                    c->where);
        else if (!dockerfile_copies_probe(df, 0))
            problem(v,
                    "%s: runs probe from the PATH, but config/%s does not COPY --from= the "
                    "probe image's /probe to /usr/local/bin/probe",
                    c->where, df);
    } else {
        problem(v, "%s: runs %s: use probe (on the PATH) or /probe (the probe image)", c->where,
                a0);
    }
}

/* Every depends_on names a service; service_healthy only one with a health check; and the
 * app waits for db and cache to be healthy, which is what this example is for. */
static void
compose_check_depends(const struct cfile *f, yaml_document_t *d, yaml_node_t *services)
{
    static const char *const needed[] = {"db", "cache"};
    struct verdict v = {0};
    yaml_node_pair_t *p, *q;
    yaml_node_t *app;
    size_t i;

    for (p = services->data.mapping.pairs.start; p < services->data.mapping.pairs.top; p++) {
        const char *name = yscalar(ynode(d, p->key));
        yaml_node_t *dep = yget(d, ynode(d, p->value), "depends_on");

        if (dep == NULL || dep->type != YAML_MAPPING_NODE)
            continue;
        for (q = dep->data.mapping.pairs.start; q < dep->data.mapping.pairs.top; q++) {
            const char *target = yscalar(ynode(d, q->key));
            const char *cond = yscalar(yget(d, ynode(d, q->value), "condition"));
            yaml_node_t *tsvc = target != NULL ? yget(d, services, target) : NULL;
            int line = yline(ynode(d, q->key));

            if (tsvc == NULL)
                problem(&v, "%s:%d: %s depends on %s, which is no service", f->path, line, name,
                        target ? target : "?");
            else if (cond != NULL && strcmp(cond, "service_healthy") == 0 &&
                     !compose_has_healthcheck(d, tsvc))
                problem(&v, "%s:%d: %s waits for %s to be healthy, which has no health check",
                        f->path, line, name, target);
            else if (cond != NULL && strcmp(cond, "service_healthy") != 0 &&
                     strcmp(cond, "service_started") != 0 &&
                     strcmp(cond, "service_completed_successfully") != 0)
                problem(&v, "%s:%d: unknown condition %s", f->path, line, cond);
        }
    }
    app = yget(d, services, "app");
    for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        const char *cond =
            yscalar(yget(d, yget(d, yget(d, app, "depends_on"), needed[i]), "condition"));

        if (cond == NULL || strcmp(cond, "service_healthy") != 0)
            problem(&v, "%s: app does not wait for %s with condition: service_healthy", f->path,
                    needed[i]);
    }
    report(&v,
           "%s: app waits for db and cache to be healthy; every service_healthy dependency "
           "has a health check",
           f->path);
}

/* Every secret a service lists is declared at the top level, and a file secret lives in
 * config/secrets/, which git ignores. */
static void
compose_check_secrets(const struct cfile *f, yaml_document_t *d, yaml_node_t *services,
                      yaml_node_t *secrets)
{
    struct verdict v = {0};
    yaml_node_pair_t *p;
    size_t i;

    for (p = services->data.mapping.pairs.start; p < services->data.mapping.pairs.top; p++) {
        const char *name = yscalar(ynode(d, p->key));
        yaml_node_t *ss = yget(d, ynode(d, p->value), "secrets");

        for (i = 0; i < yseq_len(ss); i++) {
            yaml_node_t *s = yseq_at(d, ss, i);
            const char *sname = yscalar(s) ? yscalar(s) : yscalar(yget(d, s, "source"));
            yaml_node_t *decl = sname != NULL ? yget(d, secrets, sname) : NULL;
            const char *file = yscalar(yget(d, decl, "file"));

            if (decl == NULL)
                problem(&v,
                        "%s:%d: service %s uses secret %s, which is not declared under the "
                        "top-level secrets:",
                        f->path, yline(s), name, sname ? sname : "?");
            else if (file != NULL && strncmp(file, "./secrets/", 10) != 0 &&
                     strncmp(file, "secrets/", 8) != 0)
                problem(&v,
                        "%s:%d: secret %s is the file %s: keep secret files in config/secrets/, "
                        "which git ignores",
                        f->path, yline(decl), sname, file);
            else if (file == NULL && yget(d, decl, "environment") == NULL &&
                     yget(d, decl, "external") == NULL)
                problem(&v, "%s:%d: secret %s has no file, environment or external", f->path,
                        yline(decl), sname);
        }
    }
    report(&v, "%s: every secret a service uses is declared, from config/secrets/", f->path);
}

/* The service that runs probe serve publishes the port it listens on, and its own health
 * check asks its /ready. */
static void
compose_check_sidecar(const struct cfile *f, yaml_document_t *d, yaml_node_t *services,
                      const struct pcmd *serve)
{
    char svc[128] = "", what[160], ready[64];
    struct verdict v = {0};
    yaml_node_t *ports;
    int published = 0;
    long port;
    size_t i;

    if (serve == NULL) {
        problem(&v, "%s: no service runs probe serve", f->path);
        report(&v, "%s: the probe serve sidecar publishes its port and checks its own /ready",
               f->path);
        return;
    }
    port = listen_port(serve);
    sscanf(strstr(serve->where, "services.") + 9, "%127[^.]", svc);
    ports = yget(d, yget(d, services, svc), "ports");
    for (i = 0; i < yseq_len(ports); i++) {
        yaml_node_t *pn = yseq_at(d, ports, i);
        const char *ps = yscalar(pn) ? yscalar(pn) : yscalar(yget(d, pn, "target"));
        const char *colon = ps != NULL ? strrchr(ps, ':') : NULL;

        if (ps != NULL && strtol(colon != NULL ? colon + 1 : ps, NULL, 10) == port)
            published = 1;
    }
    if (!published)
        problem(&v, "%s: the sidecar %s listens on %ld but does not publish it", f->path, svc,
                port);
    snprintf(what, sizeof(what), "services.%s.healthcheck", svc);
    snprintf(ready, sizeof(ready), "http://127.0.0.1:%ld/ready", port);
    if (find_pcmd(f->path, what, 1) == NULL || !pcmd_mentions(find_pcmd(f->path, what, 1), ready))
        problem(&v, "%s: the sidecar's health check does not ask its own %s", f->path, ready);
    report(&v, "%s: the probe serve sidecar publishes its port and checks its own /ready", f->path);
}

/* The wiring of a compose file whose probe commands were collected from first_cmd on. */
void
test_compose(const struct cfile *f, yaml_document_t *d, size_t first_cmd)
{
    yaml_node_t *root = yaml_document_get_root_node(d), *services = yget(d, root, "services");
    struct verdict hc = {0}, bin = {0};
    const struct pcmd *serve = NULL;
    yaml_node_pair_t *p;
    size_t i;

    for (p = services->data.mapping.pairs.start; p < services->data.mapping.pairs.top; p++) {
        if (!compose_has_healthcheck(d, ynode(d, p->value)))
            problem(&hc, "%s:%d: service %s has no health check", f->path, yline(ynode(d, p->key)),
                    yscalar(ynode(d, p->key)));
    }
    report(&hc, "%s: every service has a health check", f->path);
    compose_check_depends(f, d, services);
    compose_check_secrets(f, d, services, yget(d, root, "secrets"));
    for (i = first_cmd; i < cfg_ncmds; i++) {
        check_binary(&cfg_cmds[i], &bin);
        if (!cfg_cmds[i].health && cfg_cmds[i].argv->n > 1 &&
            strcmp(cfg_cmds[i].argv->v[1], "serve") == 0)
            serve = &cfg_cmds[i];
    }
    report(&bin, "%s: the probe each command runs is in that container", f->path);
    compose_check_sidecar(f, d, services, serve);
}
