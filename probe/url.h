/* Target URLs: http, https, tcp, mysql, redis. */
#ifndef PROBE_URL_H
#define PROBE_URL_H

#include <stddef.h>

enum url_scheme { URL_HTTP, URL_HTTPS, URL_TCP, URL_MYSQL, URL_REDIS };

enum url_ssl_mode {
    SSL_MODE_DEFAULT,
    SSL_MODE_DISABLED,
    SSL_MODE_PREFERRED,
    SSL_MODE_REQUIRED,
    SSL_MODE_VERIFY_CA,
    SSL_MODE_VERIFY_IDENTITY
};

enum url_role { ROLE_ANY, ROLE_MASTER, ROLE_REPLICA };

struct url {
    enum url_scheme scheme;
    char *user;     /* percent-decoded; NULL when absent */
    char *pass;     /* percent-decoded; NULL when absent */
    char *host;     /* without brackets; "" for a mysql socket= URL without host */
    int port;       /* explicit or the scheme's default (80, 443, 3306, 6379); tcp requires one */
    int host_is_v6; /* host was written [..] */
    char *path;     /* http(s): path plus ?query as written, "/" when empty */
    char *db;       /* mysql: database (decoded) or NULL */
    int redis_db;   /* redis: database index, 0 when absent */
    /* mysql options */
    char *query;
    enum url_ssl_mode ssl_mode;
    char *ssl_ca;
    char *socket;
    /* redis options */
    enum url_role role;
    /* the URL as written with the password replaced by *** ("user:***@") */
    char *redacted;
};

/* Parses s into u (zeroed first). On error returns -1 and writes a message that never contains
 * the password. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);
void url_free(struct url *u);
const char *url_scheme_name(enum url_scheme s);

/* Best-effort redaction of a raw, possibly malformed URL string, for error messages. */
void url_redact_raw(const char *in, char *out, size_t outsz);

#endif
