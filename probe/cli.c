/*
 * Settings come from flags, then the environment, then the config file, then defaults. Every
 * string that may carry a secret is expanded here (${VAR}, ${file:...}), by probe itself, so
 * `docker inspect` shows the reference and never the value.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kind.h"
#include "config.h"
#include "expand.h"
#include "http.h"
#include "text.h"
#include "tls.h"
#include "value.h"

#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_INTERVAL_MS 10000
/* wait: the whole wait, each round, the first pause and the longest one */
#define WAIT_TIMEOUT_MS 60000
#define WAIT_CHECK_TIMEOUT_MS 3000
#define WAIT_INTERVAL_MS 500
#define WAIT_MAX_INTERVAL_MS 5000
#define DEFAULT_LISTEN "0.0.0.0:8080"
#define DEFAULT_STATUS "200-399"
#define MAX_TARGETS 256
#define MAX_HEADERS 64

/* What the flags said; NULL / 0 / -1 means "not given". */
struct flags {
    const char *config;
    const char *timeout;
    const char *expect_status;
    const char *expect_body;
    const char *headers[MAX_HEADERS];
    int nheaders;
    const char *expect_json[MAX_HEADERS];
    int nexpect_json;
    const char *unix_socket;
    int insecure;
    const char *cacert;
    const char *cert;
    const char *key;
    const char *listen;
    const char *interval;
    const char *rise;
    const char *fall;
    const char *log_format;
    const char *check_timeout;
    const char *max_interval;
    int json;
    int quiet;
};

void
cli_usage(FILE *out)
{
    fputs("usage: probe check    [OPTIONS] [NAME=]URL...   run every check once; exit 0 or 1\n"
          "       probe serve    [OPTIONS] [NAME=]URL...   re-check on an interval, serve status\n"
          "       probe validate [OPTIONS] [NAME=]URL...   print the resolved checks; exit 0 or 2\n"
          "       probe wait     [OPTIONS] [NAME=]URL... [-- COMMAND [ARG...]]\n"
          "                      re-check until one round passes whole, then exec COMMAND\n"
          "       probe version | help\n",
          out);
    fputs("\nURLs:", out);
    for (size_t k = 0; k < kinds_count; k++)
        fprintf(out, " %s%s\n", k ? "     " : "", kinds[k]->usage);
    fputs("\n"
          "options:\n"
          "  -c, --config FILE       YAML config (PROBE_CONFIG)\n"
          "  -t, --timeout DUR       deadline of the run (PROBE_TIMEOUT, default 3s)\n"
          "      --json              print the health document\n"
          "  -q, --quiet             print only failures\n"
          "      --expect-status SET HTTP statuses that pass (default 200-399)\n"
          "      --expect-body TEXT  HTTP body must contain TEXT\n"
          "      --expect-json PTR=VALUE  HTTP body is JSON whose scalar at the JSON Pointer\n"
          "                          PTR is VALUE: /status=UP (repeatable)\n"
          "      --unix-socket PATH  HTTP: connect to this unix socket (the URL's host is\n"
          "                          the Host header)\n"
          "  -H, --header 'N: V'     extra HTTP request header, gRPC metadata (repeatable)\n"
          "      --insecure          TLS (https, rediss, grpcs): do not verify the peer\n"
          "      --cacert FILE       TLS (https, rediss, grpcs): CA bundle (SSL_CERT_FILE)\n"
          "      --cert FILE         https, grpcs: client certificate, PEM (mTLS)\n"
          "      --key FILE          https, grpcs: its key, PEM (default: in the --cert file)\n"
          "  -l, --listen ADDR       serve: listen address (PROBE_LISTEN, default 0.0.0.0:8080)\n"
          "  -i, --interval DUR      serve: time between rounds (PROBE_INTERVAL, default 10s)\n"
          "      --rise N, --fall N  serve: passes/fails before a check changes state\n"
          "      --log-format text|json  serve: log format (PROBE_LOG_FORMAT)\n"
          "wait: -t is the whole wait (default 60s), -i the first pause (default 500ms),\n"
          "      --check-timeout DUR  deadline of each round (default: the config's timeout, 3s)\n"
          "      --max-interval DUR   longest pause; pauses double up to it (default 5s)\n"
          "\n"
          "Targets also come from PROBE_TARGETS (space-separated). ${VAR}, ${VAR:-default}\n"
          "and ${file:/path} are expanded by probe. Durations: 250ms, 3s, 1m, 1.5s.\n",
          out);
}

enum {
    OPT_JSON = 256,
    OPT_EXPECT_STATUS,
    OPT_EXPECT_BODY,
    OPT_EXPECT_JSON,
    OPT_UNIX_SOCKET,
    OPT_INSECURE,
    OPT_CACERT,
    OPT_CERT,
    OPT_KEY,
    OPT_RISE,
    OPT_FALL,
    OPT_LOG_FORMAT,
    OPT_CHECK_TIMEOUT,
    OPT_MAX_INTERVAL
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"timeout", required_argument, NULL, 't'},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"expect-status", required_argument, NULL, OPT_EXPECT_STATUS},
    {"expect-body", required_argument, NULL, OPT_EXPECT_BODY},
    {"expect-json", required_argument, NULL, OPT_EXPECT_JSON},
    {"unix-socket", required_argument, NULL, OPT_UNIX_SOCKET},
    {"header", required_argument, NULL, 'H'},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"listen", required_argument, NULL, 'l'},
    {"interval", required_argument, NULL, 'i'},
    {"rise", required_argument, NULL, OPT_RISE},
    {"fall", required_argument, NULL, OPT_FALL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"check-timeout", required_argument, NULL, OPT_CHECK_TIMEOUT},
    {"max-interval", required_argument, NULL, OPT_MAX_INTERVAL},
    {NULL, 0, NULL, 0},
};

/* getopt_long with its own messages silenced: ours name the option and stay on one line. */
static int
flags_parse(int argc, char **argv, struct flags *f, int *first_arg, char *err, size_t errlen)
{
    int ch;

    memset(f, 0, sizeof(*f));
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+c:t:qH:l:i:", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            f->config = optarg;
            break;
        case 't':
            f->timeout = optarg;
            break;
        case OPT_JSON:
            f->json = 1;
            break;
        case 'q':
            f->quiet = 1;
            break;
        case OPT_EXPECT_STATUS:
            f->expect_status = optarg;
            break;
        case OPT_EXPECT_BODY:
            f->expect_body = optarg;
            break;
        case OPT_EXPECT_JSON:
            if (f->nexpect_json >= MAX_HEADERS) {
                snprintf(err, errlen, "too many --expect-json options (max %d)", MAX_HEADERS);
                return -1;
            }
            f->expect_json[f->nexpect_json++] = optarg;
            break;
        case OPT_UNIX_SOCKET:
            f->unix_socket = optarg;
            break;
        case 'H':
            if (f->nheaders >= MAX_HEADERS) {
                snprintf(err, errlen, "too many --header options (max %d)", MAX_HEADERS);
                return -1;
            }
            f->headers[f->nheaders++] = optarg;
            break;
        case OPT_INSECURE:
            f->insecure = 1;
            break;
        case OPT_CACERT:
            f->cacert = optarg;
            break;
        case OPT_CERT:
            f->cert = optarg;
            break;
        case OPT_KEY:
            f->key = optarg;
            break;
        case 'l':
            f->listen = optarg;
            break;
        case 'i':
            f->interval = optarg;
            break;
        case OPT_RISE:
            f->rise = optarg;
            break;
        case OPT_FALL:
            f->fall = optarg;
            break;
        case OPT_LOG_FORMAT:
            f->log_format = optarg;
            break;
        case OPT_CHECK_TIMEOUT:
            f->check_timeout = optarg;
            break;
        case OPT_MAX_INTERVAL:
            f->max_interval = optarg;
            break;
        case ':':
            snprintf(err, errlen, "option %.*s needs a value", QUOTE_MAX, argv[optind - 1]);
            return -1;
        default:
            /* a long option (also "--quiet=1") is named as written, a short one by its letter */
            if (optopt != 0 && optopt < 256 && strncmp(argv[optind - 1], "--", 2) != 0)
                snprintf(err, errlen, "unknown option -%c", optopt);
            else
                snprintf(err, errlen, "unknown option %.*s", QUOTE_MAX, argv[optind - 1]);
            return -1;
        }
    }
    *first_arg = optind;
    return 0;
}

/* Whether arg is one of our options that takes its value as the next argument. */
static int
opt_takes_value(const char *arg)
{
    for (const struct option *o = long_opts; o->name != NULL; o++) {
        int short_match = arg[1] != '-' && arg[2] == '\0' && o->val == arg[1];
        int long_match = arg[1] == '-' && strcmp(arg + 2, o->name) == 0;

        if (short_match || long_match)
            return o->has_arg == required_argument;
    }
    return 0;
}

/* Options may follow targets too (`probe check URL --json`): GNU order, minus permutation
 * surprises, by moving targets to the end before parsing. */
static char **
args_reorder(int argc, char **argv, const char **missing)
{
    char **out = calloc((size_t)argc + 2, sizeof(*out)); /* + "--" + NULL */
    int n = 0;

    if (out == NULL)
        return NULL;
    out[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            out[n++] = argv[i];
            /* an option that takes a separate value keeps it */
            if (opt_takes_value(argv[i])) {
                if (i + 1 >= argc)
                    *missing = argv[i];
                else
                    out[n++] = argv[++i];
            }
        }
    }
    out[n++] = (char *)"--";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            for (i++; i < argc; i++)
                out[n++] = argv[i];
            break;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            if (opt_takes_value(argv[i]))
                i++;
            continue;
        }
        out[n++] = argv[i];
    }
    return out;
}

static const char *
pick(const char *flag, const char *env_name, const char *cfg)
{
    const char *env = env_name ? getenv(env_name) : NULL;

    if (flag != NULL)
        return flag;
    if (env != NULL && env[0] != '\0')
        return env;
    return cfg;
}

static int
parse_count(const char *what, const char *s, int *out, char *err, size_t errlen)
{
    char *end;
    long v;

    v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < 1 || v > 100) {
        snprintf(err, errlen, "%s: expected a whole number from 1 to 100, got \"%.*s\"", what,
                 QUOTE_MAX, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int
parse_header(const char *line, struct http_header *h, char *err, size_t errlen)
{
    const char *colon = strchr(line, ':');
    const char *v;
    size_t nlen;

    if (colon == NULL || colon == line) {
        snprintf(err, errlen, "--header: expected 'Name: value'");
        return -1;
    }
    nlen = (size_t)(colon - line);
    if (http_token_len(line, nlen) != nlen) {
        snprintf(err, errlen, "--header: bad header name");
        return -1;
    }
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    if (strpbrk(v, "\r\n") != NULL) {
        snprintf(err, errlen, "--header: value has a line break");
        return -1;
    }
    if (!http_header_value_ok(v, strlen(v))) {
        snprintf(err, errlen, "--header: value has a control character");
        return -1;
    }
    h->name = strndup(line, nlen);
    h->value = strdup(v);
    if (h->name == NULL || h->value == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Expands ${...} in a flag or environment value; err gets the context. */
static char *
expand_value(const char *what, const char *s, char *err, size_t errlen)
{
    char e[ERRLEN];
    char *out = expand_str(s, e, sizeof(e));

    if (out == NULL)
        snprintf(err, errlen, "%s: %s", what, e);
    return out;
}

static int
target_add_header(struct target *t, const char *name, const char *value)
{
    struct http_header *h = realloc(t->headers, (t->nheaders + 1) * sizeof(*h));

    if (h == NULL)
        return -1;
    t->headers = h;
    h[t->nheaders].name = strdup(name);
    h[t->nheaders].value = strdup(value);
    t->nheaders++;
    return h[t->nheaders - 1].name && h[t->nheaders - 1].value ? 0 : -1;
}

/* Splits "[NAME=]URL": a NAME= prefix only counts before the "://". */
static int
target_split(const char *spec, char *name, size_t namesz, const char **url)
{
    const char *sep = strstr(spec, "://");
    const char *eq = strchr(spec, '=');

    name[0] = '\0';
    *url = spec;
    if (eq != NULL && (sep == NULL || eq < sep)) {
        size_t n = (size_t)(eq - spec);

        if (n >= namesz)
            return -1;
        memcpy(name, spec, n);
        name[n] = '\0';
        if (!name_valid(name))
            return -1;
        *url = eq + 1;
    }
    return 0;
}

static int
name_taken(const struct settings *s, size_t upto, const char *name)
{
    for (size_t i = 0; i < upto; i++) {
        if (strcmp(s->targets[i].name, name) == 0)
            return 1;
    }
    return 0;
}

/*
 * Checks a client certificate and key the way the handshake will load them, so that a bad pair
 * is one error line before any check starts; what names the settings in errors ("--cert",
 * "cert"). A run's checks usually share one pair: the last pair that loaded is not loaded again.
 */
static int
keypair_check(const char *cert, const char *key, const char *cert_what, const char *key_what,
              char *err, size_t errlen)
{
    static char last[2 * 4096 + 2];
    char e[ERRLEN + 256], pair[sizeof(last)];

    if (cert == NULL && key == NULL)
        return 0;
    if (cert == NULL) {
        snprintf(err, errlen, "%s: needs %s as well", key_what, cert_what);
        return -1;
    }
    snprintf(pair, sizeof(pair), "%s%c%s", cert, 0x1f, key != NULL ? key : "");
    if (strcmp(pair, last) == 0)
        return 0;
    if (tls_keypair_check(cert, key, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s: %s", cert_what, e);
        return -1;
    }
    snprintf(last, sizeof(last), "%s", pair);
    return 0;
}

/* Gives t its client certificate and key (replacing what it had); 0, or -1 without memory. */
static int
target_set_keypair(struct target *t, const char *cert, const char *key)
{
    free(t->cert);
    free(t->key);
    t->cert = cert != NULL ? strdup(cert) : NULL;
    t->key = key != NULL ? strdup(key) : NULL;
    return (cert != NULL && t->cert == NULL) || (key != NULL && t->key == NULL) ? -1 : 0;
}

/* A target from a URL string (already expanded) plus the per-check settings. */
static int
target_init(struct target *t, const char *name, const char *url, char *err, size_t errlen)
{
    char e[ERRLEN];

    memset(t, 0, sizeof(*t));
    t->raw = strdup(url);
    if (t->raw == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (url_parse(url, &t->url, e, sizeof(e)) < 0) {
        char red[256];

        url_redact_raw(url, red, sizeof(red));
        snprintf(err, errlen, "bad URL \"%s\": %s", red, e);
        return -1;
    }
    snprintf(t->name, sizeof(t->name), "%s", name);
    status_set_parse(DEFAULT_STATUS, &t->expect_status, e, sizeof(e));
    return 0;
}

static int
targets_from_strings(struct settings *s, char **specs, size_t n, char *err, size_t errlen)
{
    s->targets = calloc(n ? n : 1, sizeof(*s->targets));
    if (s->targets == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char name[80];
        const char *url;
        char *expanded;
        int rc;

        if (target_split(specs[i], name, sizeof(name), &url) < 0) {
            snprintf(err, errlen, "bad check name in target %zu: names are [A-Za-z0-9_.-]{1,64}",
                     i + 1);
            return -1;
        }
        expanded = expand_value("target", url, err, errlen);
        if (expanded == NULL)
            return -1;
        rc = target_init(&s->targets[i], name, expanded, err, errlen);
        free(expanded);
        s->ntargets = i + 1;
        if (rc < 0)
            return -1;
        if (name[0] != '\0' && name_taken(s, i, name)) {
            snprintf(err, errlen, "duplicate check name \"%s\"", name);
            return -1;
        }
    }
    return 0;
}

static int
target_add_json(struct target *t, const struct json_expect *je)
{
    struct json_expect *v = realloc(t->expect_json, (t->nexpect_json + 1) * sizeof(*v));

    if (v == NULL)
        return -1;
    t->expect_json = v;
    if (json_expect_copy(&v[t->nexpect_json], je) < 0)
        return -1;
    t->nexpect_json++;
    return 0;
}

static int
targets_from_config(struct settings *s, const struct cfg *cfg, char *err, size_t errlen)
{
    s->targets = calloc(cfg->nchecks ? cfg->nchecks : 1, sizeof(*s->targets));
    if (s->targets == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->nchecks; i++) {
        const struct cfg_check *cc = &cfg->checks[i];
        struct target *t = &s->targets[i];
        char e[ERRLEN];

        if (target_init(t, cc->name ? cc->name : "", cc->url, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s:%d:%d: %s", cfg->path, cc->line, cc->col, e);
            s->ntargets = i + 1;
            return -1;
        }
        s->ntargets = i + 1;
        if (cc->expect_status != NULL &&
            status_set_parse(cc->expect_status, &t->expect_status, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s:%d:%d: %s", cfg->path, cc->line, cc->col, e);
            return -1;
        }
        if (cc->expect_body != NULL && (t->expect_body = strdup(cc->expect_body)) == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t j = 0; j < cc->nexpect_json; j++) {
            if (target_add_json(t, &cc->expect_json[j]) < 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        for (size_t h = 0; h < cc->nheaders; h++) {
            if (target_add_header(t, cc->headers[h].name, cc->headers[h].value) < 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        t->timeout_ms = cc->timeout_ms;
        for (size_t o = 0; o < cc->nopts; o++) {
            const struct cfg_kind_opt *ko = &cc->opts[o];

            if (url_opt_set(&t->url, ko->key, ko->value, e, sizeof(e)) < 0) {
                snprintf(err, errlen, "%s:%d:%d: %s", cfg->path, ko->line, ko->col, e);
                return -1;
            }
        }
        t->insecure = cc->insecure > 0;
        if (cc->cacert != NULL && (t->cacert = strdup(cc->cacert)) == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (keypair_check(cc->cert, cc->key, "cert", "key", e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s:%d:%d: %s", cfg->path, cc->line, cc->col, e);
            return -1;
        }
        if (target_set_keypair(t, cc->cert, cc->key) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int
name_used_by_other(const struct settings *s, size_t self, const char *name)
{
    for (size_t j = 0; j < s->ntargets; j++) {
        if (j != self && strcmp(s->targets[j].name, name) == 0)
            return 1;
    }
    return 0;
}

/* Names not given are the URL's scheme, made unique with -2, -3... */
static void
targets_name(struct settings *s)
{
    for (size_t i = 0; i < s->ntargets; i++) {
        struct target *t = &s->targets[i];
        const char *base = t->url.scheme->name;

        if (t->name[0] != '\0')
            continue;
        snprintf(t->name, sizeof(t->name), "%s", base);
        for (int k = 2; name_used_by_other(s, i, t->name); k++)
            snprintf(t->name, sizeof(t->name), "%s-%d", base, k);
    }
}

/* Whether any check will verify a TLS peer, and so read a CA bundle. */
static int
targets_verify_tls(const struct settings *s, int insecure_flag)
{
    if (insecure_flag)
        return 0;
    for (size_t i = 0; i < s->ntargets; i++)
        if (s->targets[i].url.scheme->tls && !s->targets[i].insecure)
            return 1;
    return 0;
}

/* --expect-json adds to the config's expectations; --unix-socket replaces its unix_socket and
 * goes only to checks whose kind takes one (http). */
static int
targets_apply_json(struct target *t, const struct flags *f, char *err, size_t errlen)
{
    char e[ERRLEN];

    for (int j = 0; j < f->nexpect_json; j++) {
        struct json_expect je;
        char *spec = expand_value("--expect-json", f->expect_json[j], err, errlen);
        int rc;

        if (spec == NULL)
            return -1;
        rc = json_expect_parse(&je, spec, e, sizeof(e));
        free(spec);
        if (rc < 0)
            return text_fail(err, errlen, "--expect-json: %s", e);
        rc = target_add_json(t, &je);
        json_expect_free(&je);
        if (rc < 0)
            return text_fail(err, errlen, "out of memory");
    }
    if (f->unix_socket != NULL && url_opt_known(&t->url, "unix_socket")) {
        char *path = expand_value("--unix-socket", f->unix_socket, err, errlen);
        int rc;

        if (path == NULL)
            return -1;
        rc = path[0] == '\0' ? text_fail(e, sizeof(e), "empty path")
                             : url_opt_set(&t->url, "unix_socket", path, e, sizeof(e));
        free(path);
        if (rc < 0)
            return text_fail(err, errlen, "--unix-socket: %s", e);
    }
    return 0;
}

/* Flags apply to every HTTP check, over what the config file said. */
static int
targets_apply_flags(struct settings *s, const struct flags *f, char *err, size_t errlen)
{
    const char *cacert = pick(f->cacert, "SSL_CERT_FILE", NULL);
    long cap = s->cmd == CLI_WAIT ? s->check_timeout_ms : s->timeout_ms;
    char e[ERRLEN];

    if (keypair_check(f->cert, f->key, "--cert", "--key", err, errlen) < 0)
        return -1;
    /* --cacert always, unless --insecure turns verification off; SSL_CERT_FILE, often set
     * image-wide, only when a TLS check verifies its peer. */
    if (cacert != NULL &&
        ((f->cacert != NULL && !f->insecure) || targets_verify_tls(s, f->insecure)) &&
        file_readable(cacert, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s: %s", f->cacert ? "--cacert" : "SSL_CERT_FILE", e);
        return -1;
    }

    for (size_t i = 0; i < s->ntargets; i++) {
        struct target *t = &s->targets[i];

        if (f->cert != NULL && target_set_keypair(t, f->cert, f->key) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (f->expect_status != NULL &&
            status_set_parse(f->expect_status, &t->expect_status, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "--expect-status: %s", e);
            return -1;
        }
        if (f->expect_body != NULL) {
            free(t->expect_body);
            t->expect_body = expand_value("--expect-body", f->expect_body, err, errlen);
            if (t->expect_body == NULL)
                return -1;
            if (t->expect_body[0] == '\0') {
                snprintf(err, errlen, "--expect-body: empty text");
                return -1;
            }
        }
        if (targets_apply_json(t, f, err, errlen) < 0)
            return -1;
        for (int h = 0; h < f->nheaders; h++) {
            struct http_header hd = {NULL, NULL};
            char *line = expand_value("--header", f->headers[h], err, errlen);
            int rc;

            if (line == NULL)
                return -1;
            rc = parse_header(line, &hd, err, errlen);
            free(line);
            if (rc == 0)
                rc = target_add_header(t, hd.name, hd.value);
            free(hd.name);
            free(hd.value);
            if (rc < 0)
                return -1;
        }
        if (f->insecure)
            t->insecure = 1;
        if (cacert != NULL) {
            free(t->cacert);
            t->cacert = strdup(cacert);
            if (t->cacert == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        if (t->timeout_ms <= 0 || t->timeout_ms > cap)
            t->timeout_ms = cap;
    }
    return 0;
}

/* Splits PROBE_TARGETS on white space into a malloc'd vector of pointers into a copy. */
static char **
split_env_targets(const char *env, size_t *n, char **storage)
{
    char **v = NULL;
    char *save = NULL, *tok;

    *n = 0;
    *storage = strdup(env);
    if (*storage == NULL)
        return NULL;
    for (tok = strtok_r(*storage, " \t\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\n", &save)) {
        char **nv = realloc(v, (*n + 1) * sizeof(*v));

        if (nv == NULL) {
            free(v);
            return NULL;
        }
        v = nv;
        v[(*n)++] = tok;
    }
    return v;
}

/* A duration from a flag, else from env_name; *ms keeps its default when neither is set. */
static int
dur_pick(const char *flag, const char *flag_name, const char *env_name, long *ms, char *err,
         size_t errlen)
{
    const char *v = pick(flag, env_name, NULL);
    char e[ERRLEN];

    if (v != NULL && dur_parse(v, ms, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s: %s", flag != NULL ? flag_name : env_name, e);
        return -1;
    }
    return 0;
}

/*
 * wait's defaults. The config file is shared with check and serve, where `timeout:` is the
 * deadline of one run of the checks: for wait that is one round, so it becomes the default
 * --check-timeout, while --timeout / PROBE_TIMEOUT bound the whole wait. `interval:` is
 * serve's spacing of rounds, the most often the checks run once things are up: for wait it
 * caps the pauses (--max-interval), so a sidecar's 10s never delays a start by 10s.
 */
static void
wait_defaults(struct settings *s, const struct cfg *cfg)
{
    s->timeout_ms = WAIT_TIMEOUT_MS;
    s->interval_ms = WAIT_INTERVAL_MS;
    s->check_timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WAIT_CHECK_TIMEOUT_MS;
    s->max_interval_ms = WAIT_MAX_INTERVAL_MS;
    if (cfg->interval_ms > 0 && cfg->interval_ms < s->max_interval_ms)
        s->max_interval_ms = cfg->interval_ms;
}

static int
settings_scalars(struct settings *s, const struct flags *f, const struct cfg *cfg, char *err,
                 size_t errlen)
{
    const char *v;
    char e[ERRLEN];
    struct sockaddr_storage ss;
    socklen_t sslen;

    if (s->cmd == CLI_WAIT)
        wait_defaults(s, cfg);
    else {
        s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
        s->interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms : DEFAULT_INTERVAL_MS;
        s->check_timeout_ms = WAIT_CHECK_TIMEOUT_MS;
        s->max_interval_ms = WAIT_MAX_INTERVAL_MS;
    }
    if (dur_pick(f->timeout, "--timeout", "PROBE_TIMEOUT", &s->timeout_ms, err, errlen) < 0 ||
        dur_pick(f->interval, "--interval", "PROBE_INTERVAL", &s->interval_ms, err, errlen) < 0 ||
        dur_pick(f->check_timeout, "--check-timeout", NULL, &s->check_timeout_ms, err, errlen) <
            0 ||
        dur_pick(f->max_interval, "--max-interval", NULL, &s->max_interval_ms, err, errlen) < 0)
        return -1;
    v = pick(f->listen, "PROBE_LISTEN", cfg->listen);
    s->listen = strdup(v ? v : DEFAULT_LISTEN);
    if (s->listen == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Checked for every command, so `validate` and `check` refuse what `serve` would. A value
     * from the config file was checked where it was read (with its FILE:LINE:COL). */
    if (v != NULL && v != cfg->listen && listen_addr_parse(v, &ss, &sslen, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s: %s", f->listen ? "--listen" : "PROBE_LISTEN", e);
        return -1;
    }
    s->rise = cfg->rise > 0 ? cfg->rise : 1;
    s->fall = cfg->fall > 0 ? cfg->fall : 1;
    if (f->rise != NULL && parse_count("--rise", f->rise, &s->rise, err, errlen) < 0)
        return -1;
    if (f->fall != NULL && parse_count("--fall", f->fall, &s->fall, err, errlen) < 0)
        return -1;
    v = pick(f->log_format, "PROBE_LOG_FORMAT", cfg->log_format);
    if (v != NULL && strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
        snprintf(err, errlen, "%s: expected text or json, got \"%.20s\"",
                 f->log_format ? "--log-format" : "PROBE_LOG_FORMAT", v);
        return -1;
    }
    s->log_json = v != NULL && strcmp(v, "json") == 0;
    if (f->expect_status != NULL) {
        struct status_set set;

        if (status_set_parse(f->expect_status, &set, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "--expect-status: %s", e);
            return -1;
        }
    }
    return 0;
}

/* wait: the first "--" that is not an option's value starts the command; the index, or argc. */
static int
command_split(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i;
        if (argv[i][0] == '-' && argv[i][1] != '\0' && opt_takes_value(argv[i]))
            i++;
    }
    return argc;
}

int
cli_parse(enum cli_cmd cmd, int argc, char **argv, struct settings *s, char *err, size_t errlen)
{
    struct flags f;
    struct cfg cfg;
    char **args = NULL, **env_targets = NULL;
    char *env_storage = NULL;
    const char *env, *missing = NULL;
    int first, rc = -1;
    size_t nargs;

    memset(s, 0, sizeof(*s));
    memset(&cfg, 0, sizeof(cfg));
    s->cmd = cmd;
    if (cmd == CLI_WAIT) {
        int split = command_split(argc, argv);

        if (split < argc && split + 1 == argc) {
            snprintf(err, errlen, "nothing after \"--\": give the command to run, or drop the --");
            goto out;
        }
        if (split < argc)
            s->command = argv + split + 1;
        argc = split;
    }
    args = args_reorder(argc, argv, &missing);
    if (args == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (missing != NULL) {
        snprintf(err, errlen, "option %.*s needs a value", QUOTE_MAX, missing);
        goto out;
    }
    for (nargs = 0; args[nargs] != NULL; nargs++)
        ;
    if (flags_parse((int)nargs, args, &f, &first, err, errlen) < 0)
        goto out;
    s->json = f.json;
    s->quiet = f.quiet;
    if (cmd == CLI_WAIT && f.json) {
        snprintf(err, errlen, "--json: wait reports on stderr, as text (stdout is the command's)");
        goto out;
    }
    env = pick(f.config, "PROBE_CONFIG", NULL);
    if (env != NULL) {
        s->config_path = strdup(env);
        if (s->config_path == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (cfg_load_file(s->config_path, &cfg, err, errlen) < 0)
            goto out;
    }
    if (settings_scalars(s, &f, &cfg, err, errlen) < 0)
        goto out;
    env = getenv("PROBE_TARGETS");
    if (first < (int)nargs) {
        if (targets_from_strings(s, args + first, nargs - (size_t)first, err, errlen) < 0)
            goto out;
    } else if (env != NULL && strspn(env, " \t\n") != strlen(env)) {
        size_t n;

        env_targets = split_env_targets(env, &n, &env_storage);
        if (env_targets == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (targets_from_strings(s, env_targets, n, err, errlen) < 0) {
            size_t l = strlen(err);

            snprintf(err + l, errlen - l, " (in PROBE_TARGETS)");
            goto out;
        }
    } else if (cfg.nchecks > 0) {
        if (targets_from_config(s, &cfg, err, errlen) < 0)
            goto out;
    }
    if (s->ntargets == 0) {
        snprintf(err, errlen, "no targets: give URLs, PROBE_TARGETS or a config file with checks");
        goto out;
    }
    if (s->ntargets > MAX_TARGETS) {
        snprintf(err, errlen, "too many targets (max %d)", MAX_TARGETS);
        goto out;
    }
    targets_name(s);
    if (targets_apply_flags(s, &f, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    cfg_free(&cfg);
    free(env_targets);
    free(env_storage);
    free(args);
    return rc;
}

void
target_free(struct target *t)
{
    free(t->raw);
    url_free(&t->url);
    free(t->expect_body);
    json_expects_free(t->expect_json, t->nexpect_json);
    http_headers_free(t->headers, t->nheaders);
    free(t->cacert);
    free(t->cert);
    free(t->key);
    memset(t, 0, sizeof(*t));
}

void
settings_free(struct settings *s)
{
    for (size_t i = 0; i < s->ntargets; i++)
        target_free(&s->targets[i]);
    free(s->targets);
    free(s->listen);
    free(s->config_path);
    memset(s, 0, sizeof(*s));
}
