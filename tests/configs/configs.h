/* The tests of the examples in config/ (tests/configs): what the files share. main.c finds
 * the files and runs the tests; yamldoc.c reads YAML with positions, tests/json_reader.c
 * JSON; dockerfile.c, compose.c and ecs.c find the probe command lines in each kind of example
 * and check its wiring; validate.c runs `probe validate` on those command lines (through the
 * harness's runner) in the environment their container would have; scan.c looks for literal
 * passwords. */
#ifndef PROBE_TESTS_CONFIGS_H
#define PROBE_TESTS_CONFIGS_H

#include <stddef.h>
#include <yaml.h>

#include "json_reader.h"

#define CFG_ERRLEN 512

/* ---- dockerfile.c: the instructions of a Dockerfile, continuation lines joined ---- */

struct dinstr {
    int line;      /* where the instruction starts */
    char word[16]; /* the instruction, upper-cased: "FROM", "HEALTHCHECK", ... */
    char *args;    /* the rest, continuation lines joined with a space */
};

struct dfile {
    struct dinstr *v;
    size_t n;
};

int dfile_parse(const char *text, struct dfile *df, char *err, size_t errlen);
void dfile_free(struct dfile *df);

/* ---- scan.c: literal passwords ---- */

struct leak_sink {
    void (*report)(void *ctx, int line, const char *what);
    void *ctx;
};

/* 1 when a name (key, variable, header) names a secret: ...PASSWORD, ..._TOKEN, ... */
int scan_secret_name(const char *name);
/* Reports each literal password in one string of a config: a URL's password that is not a
 * ${...} reference, a ${SECRET:-default}, "--requirepass VALUE" with a literal VALUE. */
void scan_string(const char *s, int line, const struct leak_sink *sink);
/* Reports a literal password given as the value of a secret-named key or variable. */
void scan_pair(const char *name, const char *value, int line, const struct leak_sink *sink);

/* ---- main.c: the files, the probe commands found in them, the verdicts ---- */

/* What every variable and secret file holds while probe validates. It must never show up in
 * probe's output: a reference that lands where probe does not redact fails the test. */
#define DUMMY_SECRET "Cfg-dummy-7f3a9c"
#define SECRETS_DIR "/run/secrets/"
#define MAX_FILES 64
#define MAX_CMDS 64
#define YAML_DEPTH_MAX 64
#define DOCKER_TIMEOUT_MS 30000L /* Docker's and compose's default health check timeout */

enum file_kind { FILE_YAML, FILE_JSON, FILE_DOCKERFILE, FILE_OTHER };

struct cfile {
    char path[1024];  /* as given: "config/compose.yaml" */
    const char *name; /* the part after the config directory: "compose.yaml" */
    enum file_kind kind;
    char *text;
    size_t len;
};

struct strv {
    char **v; /* NULL-terminated */
    size_t n;
};

/* A probe command line found in an example, and the container it would run in. */
struct pcmd {
    char where[600];       /* "config/compose.yaml:57: services.db.healthcheck" */
    int health;            /* 1: a health check; 0: what a container runs */
    struct strv *argv;     /* argv[0] is probe ("CMD" removed) */
    struct strv *env;      /* "NAME=value", what the container's environment is known to hold */
    struct strv *files;    /* names of the files the container has under /run/secrets/ */
    int open_env;          /* 1: set at run time (a Dockerfile), so every ${VAR} is given */
    long timeout_ms;       /* the health check's timeout; -1 for a command */
    char form[CFG_ERRLEN]; /* why it is not an exec-form probe command, or "" */
    char dockerfile[512];  /* compose: the Dockerfile the service is built from, or "" */
    char image[256];       /* compose, ECS: the container's image, or "" */
};

/* One test's problems; no problem is a pass. */
struct verdict {
    char text[8192];
    size_t len;
    int problems;
};

extern struct cfile cfg_files[MAX_FILES];
extern size_t cfg_nfiles;
extern struct pcmd cfg_cmds[MAX_CMDS];
extern size_t cfg_ncmds;
extern const char *cfg_probe_bin;
extern char cfg_tmpdir[];

void die(const char *what) __attribute__((noreturn));
char *xstrdup(const char *s);
struct strv *strv_new(void);
void strv_push(struct strv *s, const char *str);
void strv_shift(struct strv *s);
void strv_free(struct strv *s);
int env_has(const struct strv *env, const char *name, size_t n);
void problem(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report(const struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *basename_of(const char *path);
int ends_with(const char *s, const char *suffix);
char *replace_all(const char *s, const char *from, const char *to);
long duration_ms(const char *s);
const struct cfile *find_file(const char *name);
struct pcmd *pcmd_new(const char *file, int line, const char *what, int health);
void pcmd_check_form(struct pcmd *c);
const struct pcmd *find_pcmd(const char *file, const char *what, int health);
int pcmd_mentions(const struct pcmd *c, const char *s);
long listen_port(const struct pcmd *c);

/* ---- yamldoc.c ---- */

yaml_node_t *ynode(yaml_document_t *d, int id);
const char *yscalar(const yaml_node_t *n);
int yline(const yaml_node_t *n);
yaml_node_t *yget(yaml_document_t *d, yaml_node_t *map, const char *key);
size_t yseq_len(const yaml_node_t *n);
yaml_node_t *yseq_at(yaml_document_t *d, const yaml_node_t *n, size_t i);
int yaml_load(const struct cfile *f, yaml_document_t *doc);
void test_yaml_parses(const struct cfile *f);

/* ---- the examples ---- */

void test_dockerfile(const struct cfile *f);
int dockerfile_copies_probe(const char *name, int want_root);
void compose_collect(const struct cfile *f, yaml_document_t *d, const char *name, yaml_node_t *svc);
void test_compose(const struct cfile *f, yaml_document_t *d, size_t first_cmd);
void ecs_collect(const struct cfile *f, const struct jnode *ctr);
void test_ecs_task(const struct cfile *f, const struct jnode *root, const struct jnode *tg);
void test_probe_config(const struct cfile *f, yaml_document_t *d);
void test_pcmds(void);
void test_no_passwords(const struct cfile *f);
void test_scanner(void);

#endif
