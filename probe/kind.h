/*
 * A kind of check as data: one const descriptor per probe/check_<kind>.c, listed once in the
 * registry (kind.c). The descriptor says how the kind's URLs look (schemes, default ports,
 * TLS, what the userinfo and the path mean, which ?options it takes) and holds the functions
 * that run it. Nothing outside a kind's own file and the registry names a kind.
 */
#ifndef PROBE_KIND_H
#define PROBE_KIND_H

#include <stddef.h>

struct buf;
struct check;
struct run;
struct target;
struct url;

/* One URL scheme of a kind: "https" is the http kind over TLS on port 443. */
struct kind_scheme {
    const char *name;
    int port; /* default port; 0: the URL must give one */
    int tls;  /* the scheme means TLS */
};

/* What the userinfo before '@' may be. */
enum kind_userinfo {
    USERINFO_NONE,     /* tcp: none at all */
    USERINFO_USER,     /* user[:password], the user required */
    USERINFO_PASSWORD, /* [user]:password, the ':' required (redis: AUTH with or without a user) */
};

/* What the path after the authority means. */
enum kind_path {
    PATH_NONE,   /* nothing but an optional "/" */
    PATH_RAW,    /* http: kept as written with its ?query, sent as it is */
    PATH_NAME,   /* "/name" (a database), percent-decoded, then ?options */
    PATH_NUMBER, /* "/N" (a Redis database index), then ?options */
};

/* One ?key=value option of a kind, interpreted by url.c. */
struct kind_option {
    const char *key;
    /* NULL-terminated list of the values allowed (compared without case; the index of the one
     * given is kept); NULL: any text, percent-decoded. */
    const char *const *choices;
    unsigned flags;
};

#define KIND_OPT_SOCKET 1u /* the value is a unix socket path: no DNS, host empty or localhost */
#define KIND_OPT_SHOW 2u   /* `probe validate` lists it on its own line */
#define KIND_OPT_CONFIG                                                                            \
    4u /* may also be given as a config key of the check (overrides the URL)                       \
        */

/* Whether a target makes the run touch OpenSSL at all, and for TLS. */
enum kind_crypto { CRYPTO_NONE, CRYPTO_PLAIN, CRYPTO_TLS };

struct kind {
    const char *name;           /* the one name: JSON, metrics, validate, default check names */
    const char *component_type; /* the health document's componentType */
    const char *usage;          /* the URL's form, for `probe help` */
    const struct kind_scheme *schemes; /* ends with a NULL name */
    enum kind_userinfo userinfo;
    enum kind_path path;
    const char *path_name; /* PATH_NAME: what the name is, for error messages; NULL: "database" */
    const struct kind_option *options; /* ends with a NULL key; NULL: none */
    /* Cross-option rules once the whole URL is parsed; may be NULL. 0, or -1 with err. */
    int (*url_check)(const struct url *u, char *err, size_t errlen);
    /* What the target needs of OpenSSL (tls.c starts only that much); NULL: CRYPTO_NONE. */
    enum kind_crypto (*crypto)(const struct target *t);
    /* Appends "library X.Y" lines for `probe version`; may be NULL. */
    void (*version)(struct buf *out);
    /* Appends the kind's own settings to `probe validate`'s entry for t; may be NULL. */
    void (*describe)(const struct target *t, struct buf *out);

    /* The size of the kind's per-check state: the scheduler hands start a zeroed c->priv of
     * this size and frees it after cleanup. */
    size_t state_size;
    /* Starts the protocol once the addresses are known: the scheduler calls it only with at
     * least one address in c->addrs, or none when the URL names a unix socket (url.socket).
     * Returns 0, or -1 after calling check_fail(). */
    int (*start)(struct check *c);
    /* Stops everything in flight on the loop without blocking; the check is already done. */
    void (*abort)(struct check *c);
    /* Frees what the check allocated beside c->priv itself; called once, after abort, when the
     * loop has stopped. May be NULL when abort leaves nothing behind. */
    void (*cleanup)(struct check *c);
    /* Brings c->phase up to date from the library's own view, before a timeout is reported;
     * may be NULL when the kind tracks its phase as it goes. */
    void (*sync_phase)(struct check *c);
    /* The current address got its share of the deadline without connecting (or, for the
     * curl kinds, refused it): give it up and try the next one. May be NULL for kinds that
     * leave this to their library. */
    void (*attempt_timeout)(struct check *c);
    /* Frees the kind's run-wide state (run_kind_state()); may be NULL. */
    void (*run_free)(struct run *r);
};

/* The registry, in the order `probe help` and error messages list the schemes. */
extern const struct kind *const kinds[];
extern const size_t kinds_count;

/* The kind and scheme for a scheme name (any case, n bytes); NULL when unknown. */
const struct kind *kind_for_scheme(const char *name, size_t n, const struct kind_scheme **scheme);
/* Position in the registry: the index of the kind's run-wide state. */
size_t kind_index(const struct kind *k);
/* "http, https, tcp, ..." for error messages and usage. */
const char *kind_scheme_list(void);

#endif
