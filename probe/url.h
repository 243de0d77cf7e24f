/* Target URLs: generic syntax; what a scheme means comes from its kind (kind.h). */
#ifndef PROBE_URL_H
#define PROBE_URL_H

#include <stddef.h>

#include "kind.h"

#define URL_OPTS_MAX 8

/* One ?key=value the kind accepts, as given (or as a config key set it). */
struct url_opt {
    const struct kind_option *def;
    char *value; /* percent-decoded */
    int choice;  /* index into def->choices, when it has choices */
};

struct url {
    const struct kind *kind;
    const struct kind_scheme *scheme;
    char *user;         /* percent-decoded; NULL when absent */
    char *pass;         /* percent-decoded; NULL when absent */
    char *host;         /* without brackets; "" for a socket URL without host */
    int port;           /* explicit or the scheme's default */
    int host_is_v6;     /* host was written [..] */
    char *path;         /* PATH_RAW: path plus ?query as written, "/" when empty */
    char *db;           /* PATH_NAME: the name (decoded) or NULL */
    int db_index;       /* PATH_NUMBER: the number, 0 when absent */
    const char *socket; /* a KIND_OPT_SOCKET option's value: connect there, no DNS */
    struct url_opt opts[URL_OPTS_MAX];
    int nopts;
    /* the URL as written with the password replaced by *** ("user:***@") */
    char *redacted;
};

/* Parses s into u (zeroed first). On error returns -1 and writes a message that never contains
 * the password. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);
void url_free(struct url *u);

/* The value of the kind's option key, NULL when not given. */
const char *url_opt(const struct url *u, const char *key);
/* For an option with choices: 1 + the index of the value given, 0 when not given. */
int url_opt_choice(const struct url *u, const char *key);
/* Sets an option from a config key, over what the URL said; the same checks as in a URL.
 * 0, or -1 with err naming the problem. */
int url_opt_set(struct url *u, const char *key, const char *value, char *err, size_t errlen);
/* Whether the URL's kind takes key through url_opt_set (a flag that only some kinds use). */
int url_opt_known(const struct url *u, const char *key);

/* Best-effort redaction of a raw, possibly malformed URL string, for error messages. */
void url_redact_raw(const char *in, char *out, size_t outsz);

#endif
