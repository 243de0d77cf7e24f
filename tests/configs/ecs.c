/* config/ecs-task-definition.json and ecs-target-group.json: the probe commands of each
 * container (healthCheck.command must be exec form, "CMD"), the environment ECS gives it
 * (environment values, and secrets as variables), and the task's wiring: Fargate and awsvpc,
 * healthCheck fields within ECS's limits, dependsOn, secret ARNs, logs, and the sidecar's
 * port as the target group's health check port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configs.h"

/* The elements of an array or the members of an object, or NULL. */
static const struct jnode *
items(const struct jnode *n)
{
    return n != NULL && (n->type == JN_ARRAY || n->type == JN_OBJECT) ? n->child : NULL;
}

static int
str_is(const struct jnode *n, const char *s)
{
    return jn_str(n) != NULL && strcmp(jn_str(n), s) == 0;
}

static const char *
ctr_name(const struct jnode *ctr)
{
    return jn_str(jn_get(ctr, "name")) != NULL ? jn_str(jn_get(ctr, "name")) : "?";
}

static const struct jnode *
ecs_find(const struct jnode *ctrs, const char *name)
{
    const struct jnode *c;

    for (c = items(ctrs); c != NULL; c = c->next) {
        if (str_is(jn_get(c, "name"), name))
            return c;
    }
    return NULL;
}

/* The environment an ECS container gets: its environment values, and its secrets as
 * variables (ECS has no secret files). */
static void
ecs_container(const struct jnode *ctr, struct pcmd *c)
{
    const struct jnode *e;
    char line[1024];

    for (e = items(jn_get(ctr, "environment")); e != NULL; e = e->next) {
        if (jn_str(jn_get(e, "name")) == NULL || jn_str(jn_get(e, "value")) == NULL)
            continue;
        snprintf(line, sizeof(line), "%s=%s", jn_str(jn_get(e, "name")),
                 jn_str(jn_get(e, "value")));
        strv_push(c->env, line);
    }
    for (e = items(jn_get(ctr, "secrets")); e != NULL; e = e->next) {
        if (jn_str(jn_get(e, "name")) == NULL)
            continue;
        snprintf(line, sizeof(line), "%s=%s", jn_str(jn_get(e, "name")), DUMMY_SECRET);
        strv_push(c->env, line);
    }
    if (jn_str(jn_get(ctr, "image")) != NULL)
        snprintf(c->image, sizeof(c->image), "%.255s", jn_str(jn_get(ctr, "image")));
}

static void
push_strings(const struct jnode *arr, struct pcmd *c)
{
    const struct jnode *e;

    for (e = arr != NULL ? arr->child : NULL; e != NULL; e = e->next) {
        if (e->type == JN_STRING)
            strv_push(c->argv, e->text);
        else if (c->form[0] == '\0')
            snprintf(c->form, sizeof(c->form), "item at %d:%d is not a string", e->line, e->col);
    }
}

void
ecs_collect(const struct cfile *f, const struct jnode *ctr)
{
    const struct jnode *hc = jn_get(ctr, "healthCheck"), *ep = jn_get(ctr, "entryPoint");
    const struct jnode *cmd = jn_get(ctr, "command");
    const char *name = ctr_name(ctr);
    char what[256];

    if (jn_get(hc, "command") != NULL) {
        const struct jnode *hcmd = jn_get(hc, "command");
        const char *first = hcmd->child != NULL ? jn_str(hcmd->child) : NULL;
        long secs;
        struct pcmd *c;

        snprintf(what, sizeof(what), "container %s healthCheck.command", name);
        c = pcmd_new(f->path, hcmd->line, what, 1);
        ecs_container(ctr, c);
        c->timeout_ms = jn_int(jn_get(hc, "timeout"), &secs) == 0 ? secs * 1000 : 5000;
        if (first == NULL || strcmp(first, "CMD") != 0) {
            snprintf(c->form, sizeof(c->form),
                     "starts with \"%s\": it must be \"CMD\" (exec form; CMD-SHELL needs a shell "
                     "in the image, and the shell would expand ${VAR} into probe's argv)",
                     first != NULL ? first : "");
        } else {
            push_strings(hcmd, c);
            strv_shift(c->argv); /* "CMD" */
        }
        pcmd_check_form(c);
    }
    {
        const char *ep0 = ep != NULL && ep->child != NULL ? jn_str(ep->child) : NULL;
        const char *cmd0 = cmd != NULL && cmd->child != NULL ? jn_str(cmd->child) : NULL;
        struct pcmd *c;

        if (!((ep0 != NULL && strcmp(basename_of(ep0), "probe") == 0) ||
              (ep == NULL && cmd0 != NULL && strcmp(basename_of(cmd0), "probe") == 0)))
            return;
        snprintf(what, sizeof(what), "container %s entryPoint + command", name);
        c = pcmd_new(f->path, (ep != NULL ? ep : cmd)->line, what, 0);
        ecs_container(ctr, c);
        push_strings(ep, c);
        push_strings(cmd, c);
        pcmd_check_form(c);
    }
}

static void
ecs_range(const struct jnode *hc, const char *key, long lo, long hi, const char *where,
          struct verdict *v)
{
    long val;

    if (jn_int(jn_get(hc, key), &val) < 0)
        problem(v, "%s: healthCheck.%s is missing or not an integer", where, key);
    else if (val < lo || val > hi)
        problem(v, "%s: healthCheck.%s %ld is outside ECS's %ld-%ld", where, key, val, lo, hi);
}

/* An ARN of the service with a 12-digit account and a resource that starts as given. */
static int
arn_ok(const char *arn, const char *service, const char *resource)
{
    char svc[32], region[32], account[32], rest[256];

    if (sscanf(arn, "arn:aws:%31[^:]:%31[^:]:%31[^:]:%255s", svc, region, account, rest) != 4)
        return 0;
    return strcmp(svc, service) == 0 && strlen(account) == 12 &&
           strspn(account, "0123456789") == 12 && strncmp(rest, resource, strlen(resource)) == 0;
}

static void
ecs_check_task(const struct cfile *f, const struct jnode *root)
{
    const struct jnode *ctrs = jn_get(root, "containerDefinitions"), *c, *e;
    struct verdict v = {0};
    int fargate = 0;

    for (e = items(jn_get(root, "requiresCompatibilities")); e != NULL; e = e->next)
        fargate |= str_is(e, "FARGATE");
    if (!fargate)
        problem(&v, "requiresCompatibilities does not include FARGATE");
    if (!str_is(jn_get(root, "networkMode"), "awsvpc"))
        problem(&v, "networkMode is not awsvpc (Fargate requires it)");
    if (jn_str(jn_get(root, "cpu")) == NULL || jn_str(jn_get(root, "memory")) == NULL)
        problem(&v, "Fargate needs task-level cpu and memory (strings)");
    if (jn_str(jn_get(root, "executionRoleArn")) == NULL)
        problem(&v, "no executionRoleArn: ECS needs it to read secrets and write logs");
    if (items(ctrs) == NULL)
        problem(&v, "no containerDefinitions");
    for (c = items(ctrs); c != NULL; c = c->next) {
        if (jn_get(c, "essential") == NULL || jn_get(c, "essential")->type != JN_BOOL)
            problem(&v, "%s:%d: container %s: essential is not set", f->path, c->line, ctr_name(c));
    }
    report(&v,
           "%s: a Fargate task in awsvpc mode with an execution role; essential set on "
           "every container",
           f->path);
}

static void
ecs_check_healthchecks(const struct cfile *f, const struct jnode *ctrs)
{
    const struct jnode *c;
    struct verdict v = {0};

    for (c = items(ctrs); c != NULL; c = c->next) {
        const struct jnode *hc = jn_get(c, "healthCheck");
        char where[1200];

        snprintf(where, sizeof(where), "%s:%d: container %.100s", f->path, c->line, ctr_name(c));
        if (hc == NULL) {
            problem(&v, "%s: no healthCheck", where);
            continue;
        }
        ecs_range(hc, "interval", 5, 300, where, &v);
        ecs_range(hc, "timeout", 2, 60, where, &v);
        ecs_range(hc, "retries", 1, 10, where, &v);
        ecs_range(hc, "startPeriod", 0, 300, where, &v);
    }
    report(&v,
           "%s: every container has a healthCheck with interval, timeout, retries and "
           "startPeriod in ECS's ranges",
           f->path);
}

static void
ecs_check_depends(const struct cfile *f, const struct jnode *ctrs)
{
    const struct jnode *c, *e;
    struct verdict v = {0};
    int waits = 0;

    for (c = items(ctrs); c != NULL; c = c->next) {
        for (e = items(jn_get(c, "dependsOn")); e != NULL; e = e->next) {
            const char *dn = jn_str(jn_get(e, "containerName"));
            const char *cond = jn_str(jn_get(e, "condition"));
            const struct jnode *dc = dn != NULL ? ecs_find(ctrs, dn) : NULL;

            if (dc == NULL || dc == c)
                problem(&v, "%s:%d: %s depends on \"%s\", which is no other container", f->path,
                        e->line, ctr_name(c), dn ? dn : "");
            else if (cond == NULL ||
                     (strcmp(cond, "HEALTHY") != 0 && strcmp(cond, "START") != 0 &&
                      strcmp(cond, "COMPLETE") != 0 && strcmp(cond, "SUCCESS") != 0))
                problem(&v, "%s:%d: condition \"%s\" is not START, COMPLETE, SUCCESS or HEALTHY",
                        f->path, e->line, cond ? cond : "");
            else if (strcmp(cond, "HEALTHY") == 0 && jn_get(dc, "healthCheck") == NULL)
                problem(&v, "%s:%d: %s waits for %s to be HEALTHY, which has no healthCheck",
                        f->path, e->line, ctr_name(c), dn);
            else if (strcmp(cond, "HEALTHY") == 0)
                waits = 1;
        }
    }
    if (!waits)
        problem(&v, "%s: no container waits for another with condition HEALTHY", f->path);
    report(&v, "%s: dependsOn HEALTHY names containers that have a healthCheck", f->path);
}

static void
ecs_check_secrets(const struct cfile *f, const struct jnode *ctrs)
{
    const struct jnode *c, *e;
    struct verdict v = {0};
    int sm = 0, ssm = 0;

    for (c = items(ctrs); c != NULL; c = c->next) {
        for (e = items(jn_get(c, "secrets")); e != NULL; e = e->next) {
            const char *from = jn_str(jn_get(e, "valueFrom"));

            if (jn_str(jn_get(e, "name")) == NULL || from == NULL)
                problem(&v, "%s:%d: a secret needs name and valueFrom", f->path, e->line);
            else if (arn_ok(from, "secretsmanager", "secret:"))
                sm = 1;
            else if (arn_ok(from, "ssm", "parameter/"))
                ssm = 1;
            else
                problem(&v,
                        "%s:%d: valueFrom \"%s\" is not a Secrets Manager or SSM parameter ARN "
                        "with a 12-digit account",
                        f->path, e->line, from);
        }
    }
    if (!sm || !ssm)
        problem(&v, "%s: the example should show both sources: Secrets Manager %s, SSM %s", f->path,
                sm ? "yes" : "no", ssm ? "yes" : "no");
    report(&v, "%s: secrets come from Secrets Manager and SSM Parameter Store ARNs", f->path);
}

static void
ecs_check_logs(const struct cfile *f, const struct jnode *ctrs)
{
    const struct jnode *c;
    struct verdict v = {0};

    for (c = items(ctrs); c != NULL; c = c->next) {
        const struct jnode *lc = jn_get(c, "logConfiguration"), *opts = jn_get(lc, "options");

        if (!str_is(jn_get(lc, "logDriver"), "awslogs") ||
            jn_str(jn_get(opts, "awslogs-group")) == NULL ||
            jn_str(jn_get(opts, "awslogs-region")) == NULL ||
            jn_str(jn_get(opts, "awslogs-stream-prefix")) == NULL)
            problem(&v,
                    "%s:%d: container %s: logConfiguration is not awslogs with group, "
                    "region and stream prefix",
                    f->path, c->line, ctr_name(c));
    }
    report(&v, "%s: every container logs with awslogs", f->path);
}

/* The target group's health check is the sidecar's /ready on the port it listens on. */
static void
ecs_check_target_group(const struct jnode *tg, long port, struct verdict *v)
{
    const char *hport = jn_str(jn_get(tg, "HealthCheckPort"));

    if (tg == NULL) {
        problem(v, "no ecs-target-group.json next to it");
        return;
    }
    if (!str_is(jn_get(tg, "HealthCheckPath"), "/ready"))
        problem(v, "target group HealthCheckPath is not /ready");
    if (hport == NULL || strtol(hport, NULL, 10) != port)
        problem(v, "target group HealthCheckPort is not \"%ld\"", port);
    if (!str_is(jn_get(jn_get(tg, "Matcher"), "HttpCode"), "200"))
        problem(v, "target group Matcher.HttpCode is not \"200\"");
    if (!str_is(jn_get(tg, "TargetType"), "ip"))
        problem(v, "target group TargetType is not ip (awsvpc tasks register IPs)");
}

/* The container that runs probe serve maps its port, has a healthCheck that asks its own
 * server, and the others wait for it to be HEALTHY. */
static void
ecs_check_sidecar(const struct cfile *f, const struct jnode *ctrs, const struct jnode *tg)
{
    const struct pcmd *serve = NULL, *own;
    const struct jnode *ctr, *e, *d;
    struct verdict v = {0};
    char name[128] = "", what[160], self[64];
    int mapped = 0, awaited = 0;
    long port, val;
    size_t i;

    for (i = 0; i < cfg_ncmds; i++) {
        if (strncmp(cfg_cmds[i].where, f->path, strlen(f->path)) == 0 && !cfg_cmds[i].health &&
            cfg_cmds[i].argv->n > 1 && strcmp(cfg_cmds[i].argv->v[1], "serve") == 0)
            serve = &cfg_cmds[i];
    }
    if (serve == NULL) {
        problem(&v, "%s: no container runs probe serve", f->path);
        report(&v, "%s: the sidecar maps its port, the app waits for it, the ALB checks /ready",
               f->path);
        return;
    }
    port = listen_port(serve);
    sscanf(strstr(serve->where, "container ") + 10, "%127s", name);
    ctr = ecs_find(ctrs, name);
    for (e = items(jn_get(ctr, "portMappings")); e != NULL; e = e->next)
        mapped |= jn_int(jn_get(e, "containerPort"), &val) == 0 && val == port;
    if (!mapped)
        problem(&v, "container %s listens on %ld but has no portMapping for it", name, port);
    for (e = items(ctrs); e != NULL; e = e->next) {
        for (d = items(jn_get(e, "dependsOn")); d != NULL; d = d->next)
            awaited |= str_is(jn_get(d, "containerName"), name) &&
                       str_is(jn_get(d, "condition"), "HEALTHY");
    }
    if (!awaited)
        problem(&v, "no container waits for the sidecar %s to be HEALTHY", name);
    snprintf(what, sizeof(what), "container %s healthCheck", name);
    snprintf(self, sizeof(self), "http://127.0.0.1:%ld/", port);
    own = find_pcmd(f->path, what, 1);
    if (own == NULL || !pcmd_mentions(own, self))
        problem(&v, "the sidecar's healthCheck does not ask its own %s", self);
    ecs_check_target_group(tg, port, &v);
    report(&v, "%s: the sidecar maps its port, the app waits for it, the ALB checks /ready",
           f->path);
}

void
test_ecs_task(const struct cfile *f, const struct jnode *root, const struct jnode *tg)
{
    const struct jnode *ctrs = jn_get(root, "containerDefinitions");

    ecs_check_task(f, root);
    ecs_check_healthchecks(f, ctrs);
    ecs_check_depends(f, ctrs);
    ecs_check_secrets(f, ctrs);
    ecs_check_logs(f, ctrs);
    ecs_check_sidecar(f, ctrs, tg);
}
