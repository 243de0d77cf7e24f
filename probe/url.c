/*
 * Target URLs, generic syntax only: which schemes exist, their default ports, what their
 * userinfo and path mean and which ?options they take is each kind's own data (kind.h).
 *
 * The authority ends at the first '/' or '?' after "//" and the userinfo at the last '@' inside
 * it, so a password may hold '@' and ':' as they are but must write '/', '?', '#' and '%' as
 * %2F, %3F, %23 and %25. A fragment ('#') is refused rather than dropped: in a probe URL it is
 * far more likely an unescaped '#' in a password than a real fragment.
 *
 * Error messages never contain the password. They quote only short tokens that cannot hold it
 * (the scheme, a port made of digits, an option key, a host) and otherwise just say what is
 * wrong.
 */
#include "text.h"
#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 253
#define URL_MAX 8192

/* A half-open slice of the input. */
struct span {
    const char *p;
    size_t n;
};

/* 1 when every byte of t is in the set of allowed characters (or alphanumeric). */
static int
span_only(struct span t, const char *allowed)
{
    size_t i;

    for (i = 0; i < t.n; i++)
        if (!isalnum((unsigned char)t.p[i]) && !strchr(allowed, t.p[i]))
            return 0;
    return 1;
}

/* Tokens quoted in errors are short and made of harmless characters. */
static int
quotable(struct span t)
{
    return t.n <= QUOTE_MAX && span_only(t, "_.-+");
}

/* 1 when ok(byte) holds for every byte of t. */
static int
span_all(struct span t, int (*ok)(int))
{
    for (size_t i = 0; i < t.n; i++)
        if (!ok((unsigned char)t.p[i]))
            return 0;
    return 1;
}

static int
printable(struct span t)
{
    return span_all(t, isprint);
}

static int
all_digits(struct span t)
{
    return t.n > 0 && span_all(t, isdigit);
}

static int
span_eq(struct span t, const char *s)
{
    return strlen(s) == t.n && strncmp(t.p, s, t.n) == 0;
}

static int
span_caseeq(struct span t, const char *s)
{
    return strlen(s) == t.n && strncasecmp(t.p, s, t.n) == 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes %XX escapes into a new string ('+' stays '+': this is not form encoding). %00 is
 * refused because the result is a C string. Returns 0, -1 on a bad escape, -2 without memory.
 */
static int
pct_decode(struct span t, char **out)
{
    size_t i, o = 0;
    char *d;
    int hi, lo;

    d = malloc(t.n + 1);
    if (!d)
        return -2;
    for (i = 0; i < t.n; i++) {
        if (t.p[i] != '%') {
            d[o++] = t.p[i];
            continue;
        }
        hi = (t.n - i >= 3) ? hexval(t.p[i + 1]) : -1;
        lo = (t.n - i >= 3) ? hexval(t.p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(d);
            d = NULL;
            return -1;
        }
        d[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[o] = '\0';
    *out = d;
    return 0;
}

/* pct_decode with the error message: what names the part, never its content. */
static int
decode_part(struct span t, char **out, const char *what, char *err, size_t errlen)
{
    int rc = pct_decode(t, out);

    if (rc == -2)
        return text_fail(err, errlen, "out of memory");
    if (rc < 0)
        return text_fail(err, errlen, "bad percent-escape in %s", what);
    return 0;
}

static int
parse_port(struct span t, int *port, char *err, size_t errlen)
{
    long v = 0;
    size_t i;

    if (!all_digits(t)) {
        if (t.n == 0)
            return text_fail(err, errlen, "bad port \"\"");
        return text_fail(err, errlen, "bad port (not a number)");
    }
    for (i = 0; i < t.n && v <= 65535; i++)
        v = v * 10 + (t.p[i] - '0');
    if (v < 1 || v > 65535) {
        if (t.n <= QUOTE_MAX)
            return text_fail(err, errlen, "bad port \"%.*s\" (1-65535)", (int)t.n, t.p);
        return text_fail(err, errlen, "bad port (1-65535)");
    }
    *port = (int)v;
    return 0;
}

/* Splits "user[:pass]" and decodes both, by the kind's rule for what the userinfo may be. */
static int
parse_userinfo(struct span ui, struct url *u, char *err, size_t errlen)
{
    const char *colon = memchr(ui.p, ':', ui.n);
    struct span user = {ui.p, colon ? (size_t)(colon - ui.p) : ui.n};
    struct span pass = {colon ? colon + 1 : NULL, colon ? ui.n - user.n - 1 : 0};
    const char *kind = u->kind->name;

    if (u->kind->userinfo == USERINFO_NONE)
        return text_fail(err, errlen, "a %s URL takes no user or password", kind);
    if (u->kind->userinfo == USERINFO_PASSWORD) {
        if (!colon)
            return text_fail(err, errlen, "%s password needs a ':' before it (%s://:PASSWORD@host)",
                             kind, u->scheme->name);
        if (pass.n == 0)
            return text_fail(err, errlen, "empty %s password", kind);
    } else if (user.n == 0) {
        return text_fail(err, errlen, "missing user before \"%s\"", colon ? ":" : "@");
    }
    if (user.n > 0 && decode_part(user, &u->user, "user", err, errlen) < 0)
        return -1;
    if (colon && decode_part(pass, &u->pass, "password", err, errlen) < 0)
        return -1;
    return 0;
}

static int
parse_host(struct span hp, struct url *u, char *err, size_t errlen)
{
    struct span host = hp, port = {NULL, 0};
    const char *colon, *close;
    struct in6_addr addr;
    char v6[64];
    int has_port = 0;

    if (hp.n > 0 && hp.p[0] == '[') {
        close = memchr(hp.p, ']', hp.n);
        if (!close)
            return text_fail(err, errlen, "missing \"]\" after IPv6 address");
        host.p = hp.p + 1;
        host.n = (size_t)(close - host.p);
        if (host.n == 0 || host.n >= sizeof(v6))
            return text_fail(err, errlen, "bad IPv6 address");
        memcpy(v6, host.p, host.n);
        v6[host.n] = '\0';
        if (inet_pton(AF_INET6, v6, &addr) != 1) {
            if (host.n <= QUOTE_MAX && span_only(host, ":.%"))
                return text_fail(err, errlen, "bad IPv6 address \"%s\"", v6);
            return text_fail(err, errlen, "bad IPv6 address");
        }
        u->host_is_v6 = 1;
        colon = close + 1;
        if (colon < hp.p + hp.n && *colon != ':')
            return text_fail(err, errlen, "expected \":\" or \"/\" after \"]\"");
        if (colon < hp.p + hp.n) {
            has_port = 1;
            port.p = colon + 1;
            port.n = (size_t)(hp.p + hp.n - port.p);
        }
    } else {
        colon = memchr(hp.p, ':', hp.n);
        if (colon) {
            host.n = (size_t)(colon - hp.p);
            has_port = 1;
            port.p = colon + 1;
            port.n = hp.n - host.n - 1;
            if (memchr(port.p, ':', port.n))
                return text_fail(err, errlen, "an IPv6 address must be in brackets, e.g. [::1]");
        }
        if (host.n > HOST_MAX || !span_only(host, "_.-")) {
            if (host.n <= QUOTE_MAX && printable(host))
                return text_fail(err, errlen, "bad host \"%.*s\"", (int)host.n, host.p);
            return text_fail(err, errlen, "bad host");
        }
    }
    u->host = strndup(host.p, host.n);
    if (!u->host)
        return text_fail(err, errlen, "out of memory");
    if (has_port)
        return parse_port(port, &u->port, err, errlen);
    if (u->scheme->port == 0)
        return text_fail(err, errlen, "missing port (%s://host:port)", u->scheme->name);
    return 0;
}

/* Reports an option key by name only when the name is harmless to show. */
static int
bad_option(const char *kind, struct span key, char *err, size_t errlen)
{
    if (key.n > 0 && quotable(key))
        return text_fail(err, errlen, "unknown %s option \"%.*s\"", kind, (int)key.n, key.p);
    return text_fail(err, errlen, "bad %s option", kind);
}

/* "a, b or c": what a choice option accepts, for its error message. */
static void
choices_text(const char *const *choices, char *out, size_t outsz)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; choices[i] != NULL && o < outsz; i++) {
        const char *sep = i == 0 ? "" : choices[i + 1] == NULL ? " or " : ", ";
        int w = snprintf(out + o, outsz - o, "%s%s", sep, choices[i]);

        if (w < 0)
            return;
        o += (size_t)w;
    }
}

static const struct kind_option *
option_def(const struct kind *k, struct span key)
{
    for (const struct kind_option *d = k->options; d != NULL && d->key != NULL; d++) {
        if (span_eq(key, d->key))
            return d;
    }
    return NULL;
}

static struct url_opt *
option_slot(struct url *u, const struct kind_option *d)
{
    for (int i = 0; i < u->nopts; i++) {
        if (u->opts[i].def == d)
            return &u->opts[i];
    }
    return NULL;
}

/* Checks one value against its definition and stores it; from_config replaces a value the URL
 * gave, where a URL that names an option twice is an error. */
static int
option_store(struct url *u, const struct kind_option *d, struct span val, int decode,
             int from_config, char *err, size_t errlen)
{
    const char *kind = u->kind->name;
    struct url_opt *o = option_slot(u, d);
    char *value = NULL;
    int choice = 0;

    if (o != NULL && !from_config)
        return text_fail(err, errlen, "%s option \"%s\" given twice", kind, d->key);
    if (d->choices != NULL) {
        char list[128];

        for (choice = 0; d->choices[choice] != NULL; choice++) {
            if (span_caseeq(val, d->choices[choice]))
                break;
        }
        if (d->choices[choice] == NULL) {
            choices_text(d->choices, list, sizeof(list));
            if (quotable(val))
                return text_fail(err, errlen, "bad %s \"%.*s\" (%s)", d->key, (int)val.n, val.p,
                                 list);
            return text_fail(err, errlen, "bad %s (%s)", d->key, list);
        }
        value = strdup(d->choices[choice]);
    } else if (decode) {
        if (decode_part(val, &value, d->key, err, errlen) < 0)
            return -1;
    } else {
        value = strndup(val.p, val.n);
    }
    if (value == NULL)
        return text_fail(err, errlen, "out of memory");
    if (o == NULL) {
        if (u->nopts >= URL_OPTS_MAX) {
            free(value);
            return text_fail(err, errlen, "too many %s options", kind);
        }
        o = &u->opts[u->nopts++];
        o->def = d;
    }
    free(o->value);
    o->value = value;
    o->choice = choice;
    if (d->flags & KIND_OPT_SOCKET)
        u->socket = value;
    return 0;
}

/* "key=value&key=value" after the '?'; an empty item, a missing value or a repeated key is an
 * error so that a typo cannot silently turn an option off. */
static int
parse_options(struct span q, struct url *u, char *err, size_t errlen)
{
    const char *kind = u->kind->name;
    const char *p = q.p, *end = q.p + q.n, *amp, *eq;
    const struct kind_option *d;
    struct span key, val;

    while (p < end) {
        amp = memchr(p, '&', (size_t)(end - p));
        if (!amp)
            amp = end;
        if (amp == p || (amp < end && amp + 1 == end))
            return text_fail(err, errlen, "empty %s option (\"&&\" or a trailing \"&\")", kind);
        eq = memchr(p, '=', (size_t)(amp - p));
        key.p = p;
        key.n = (size_t)((eq ? eq : amp) - p);
        val.p = eq ? eq + 1 : amp;
        val.n = (size_t)(amp - val.p);
        if (!eq || val.n == 0) {
            if (key.n > 0 && quotable(key))
                return text_fail(err, errlen, "%s option \"%.*s\" needs a value", kind, (int)key.n,
                                 key.p);
            return text_fail(err, errlen, "bad %s option", kind);
        }
        d = option_def(u->kind, key);
        if (d == NULL)
            return bad_option(kind, key, err, errlen);
        if (option_store(u, d, val, 1, 0, err, errlen) < 0)
            return -1;
        p = amp < end ? amp + 1 : end;
    }
    return 0;
}

static int
parse_db_index(struct span db, struct url *u, char *err, size_t errlen)
{
    long v = 0;
    size_t i;

    if (db.n == 0)
        return 0;
    if (!all_digits(db) || db.n > 9) {
        if (quotable(db))
            return text_fail(err, errlen, "bad %s db \"%.*s\" (a number from 0)", u->kind->name,
                             (int)db.n, db.p);
        return text_fail(err, errlen, "bad %s db (a number from 0)", u->kind->name);
    }
    for (i = 0; i < db.n; i++)
        v = v * 10 + (db.p[i] - '0');
    u->db_index = (int)v;
    return 0;
}

/* Everything after the authority, as the kind's path shape says. */
static int
parse_rest(struct span rest, struct url *u, char *err, size_t errlen)
{
    const char *q = memchr(rest.p, '?', rest.n);
    struct span path = {rest.p, q ? (size_t)(q - rest.p) : rest.n};
    struct span opts = {q ? q + 1 : rest.p + rest.n, q ? rest.n - path.n - 1 : 0};
    struct span db = {path.p + (path.n > 0), path.n - (path.n > 0)};
    const char *name = u->kind->path_name != NULL ? u->kind->path_name : "database";

    switch (u->kind->path) {
    case PATH_RAW:
        if (asprintf(&u->path, "%s%.*s", path.n == 0 ? "/" : "", (int)rest.n, rest.p) < 0) {
            u->path = NULL;
            return text_fail(err, errlen, "out of memory");
        }
        return 0;
    case PATH_NONE:
        if (rest.n > 1 || (rest.n == 1 && rest.p[0] != '/'))
            return text_fail(err, errlen, "a %s URL takes no path or options", u->kind->name);
        return 0;
    case PATH_NAME:
        if (memchr(db.p, '/', db.n))
            return text_fail(err, errlen, "bad %s name (it contains \"/\")", name);
        if (db.n > 0 && decode_part(db, &u->db, name, err, errlen) < 0)
            return -1;
        return parse_options(opts, u, err, errlen);
    case PATH_NUMBER:
        if (parse_db_index(db, u, err, errlen) < 0)
            return -1;
        return parse_options(opts, u, err, errlen);
    }
    return 0;
}

static int
find_scheme(struct span name, struct url *u, char *err, size_t errlen)
{
    u->kind = kind_for_scheme(name.p, name.n, &u->scheme);
    if (u->kind != NULL) {
        u->port = u->scheme->port;
        return 0;
    }
    if (name.n > 0 && quotable(name) && isalpha((unsigned char)name.p[0]))
        return text_fail(err, errlen, "unknown scheme \"%.*s\" (%s)", (int)name.n, name.p,
                         kind_scheme_list());
    return text_fail(err, errlen, "bad scheme (%s)", kind_scheme_list());
}

/* The URL as written with the password (between the userinfo's ':' and its '@') as ***. */
static int
make_redacted(const char *s, const char *colon, const char *at, struct url *u)
{
    if (!colon) {
        u->redacted = strdup(s);
        return u->redacted ? 0 : -1;
    }
    if (asprintf(&u->redacted, "%.*s***%s", (int)(colon + 1 - s), s, at) < 0) {
        u->redacted = NULL;
        return -1;
    }
    return 0;
}

int
url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
    const char *sep, *auth, *auth_end, *at, *colon = NULL, *q;
    struct span rest;
    size_t i;

    memset(u, 0, sizeof(*u));
    if (!s || !*s)
        return text_fail(err, errlen, "empty URL");
    for (i = 0; s[i]; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return text_fail(err, errlen, "space or control character in URL");
    if (i > URL_MAX)
        return text_fail(err, errlen, "URL longer than %d bytes", URL_MAX);
    sep = strstr(s, "://");
    if (!sep)
        return text_fail(err, errlen, "missing scheme, e.g. http:// or mysql://");
    if (find_scheme((struct span){s, (size_t)(sep - s)}, u, err, errlen) < 0)
        goto fail;
    auth = sep + 3;
    if (strchr(auth, '#')) {
        text_fail(err, errlen, "\"#\" in URL (write it as %%23 in a password)");
        goto fail;
    }
    auth_end = auth + strcspn(auth, "/?");
    rest = (struct span){auth_end, strlen(auth_end)};
    /* An '@' after the host of a URL that has no use for one means an unescaped '/' or '?' in
     * the password: say so before the pieces of that password get parsed as a host or port.
     * A database name ends at '?', whose options may hold an '@'; an HTTP path may hold one. */
    q = u->kind->path == PATH_NAME ? auth_end + strcspn(auth_end, "?") : auth_end + rest.n;
    if (u->kind->path != PATH_RAW && memchr(auth_end, '@', (size_t)(q - auth_end))) {
        text_fail(err, errlen,
                  "\"@\" after the host (write \"/\" as %%2F and \"?\" as %%3F in "
                  "a password)");
        goto fail;
    }
    at = memrchr(auth, '@', (size_t)(auth_end - auth));
    if (at) {
        struct span ui = {auth, (size_t)(at - auth)};

        colon = memchr(ui.p, ':', ui.n);
        if (parse_userinfo(ui, u, err, errlen) < 0)
            goto fail;
    }
    if (parse_host((struct span){at ? at + 1 : auth, (size_t)(auth_end - (at ? at + 1 : auth))}, u,
                   err, errlen) < 0)
        goto fail;
    if (parse_rest(rest, u, err, errlen) < 0)
        goto fail;
    if (u->socket != NULL) {
        if (u->host[0] != '\0' && strcasecmp(u->host, "localhost") != 0) {
            text_fail(err, errlen, "with socket= the host must be empty or localhost");
            goto fail;
        }
    } else if (u->host[0] == '\0') {
        text_fail(err, errlen, "missing host");
        goto fail;
    }
    if (u->kind->url_check != NULL && u->kind->url_check(u, err, errlen) < 0)
        goto fail;
    if (make_redacted(s, colon, at, u) < 0) {
        text_fail(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    url_free(u);
    return -1;
}

void
url_free(struct url *u)
{
    if (!u)
        return;
    free(u->user);
    free(u->pass);
    free(u->host);
    free(u->path);
    free(u->db);
    for (int i = 0; i < u->nopts; i++)
        free(u->opts[i].value);
    free(u->redacted);
    memset(u, 0, sizeof(*u));
}

const char *
url_opt(const struct url *u, const char *key)
{
    for (int i = 0; i < u->nopts; i++) {
        if (strcmp(u->opts[i].def->key, key) == 0)
            return u->opts[i].value;
    }
    return NULL;
}

int
url_opt_choice(const struct url *u, const char *key)
{
    for (int i = 0; i < u->nopts; i++) {
        if (strcmp(u->opts[i].def->key, key) == 0)
            return u->opts[i].choice + 1;
    }
    return 0;
}

int
url_opt_set(struct url *u, const char *key, const char *value, char *err, size_t errlen)
{
    struct span k = {key, strlen(key)};
    const struct kind_option *d = option_def(u->kind, k);

    if (d == NULL || !(d->flags & KIND_OPT_CONFIG))
        return text_fail(err, errlen, "%s: %s checks take no such option", key, u->kind->name);
    return option_store(u, d, (struct span){value, strlen(value)}, 0, 1, err, errlen);
}

int
url_opt_known(const struct url *u, const char *key)
{
    const struct kind_option *d = option_def(u->kind, (struct span){key, strlen(key)});

    return d != NULL && (d->flags & KIND_OPT_CONFIG);
}

/* Appends s[0..n) to out, cutting at outsz and turning control bytes into '?'. */
static size_t
raw_append(char *out, size_t outsz, size_t o, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && o + 1 < outsz; i++)
        out[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    out[o] = '\0';
    return o;
}

/* Without an '@', "scheme://user:password" (the host forgotten) reads as HOST:PORT with a port
 * that is not a number: such a "port" is hidden, a numeric one is kept. */
static void
redact_no_at(const char *in, const char *start, char *out, size_t outsz)
{
    const char *end = start + strcspn(start, "/?#");
    const char *hp = start, *colon, *p;
    size_t o;

    if (*hp == '[') {
        const char *rb = memchr(hp, ']', (size_t)(end - hp));

        hp = rb != NULL ? rb + 1 : end;
    }
    colon = memchr(hp, ':', (size_t)(end - hp));
    for (p = colon != NULL ? colon + 1 : end; p < end && *p >= '0' && *p <= '9'; p++)
        ;
    if (p == end) {
        raw_append(out, outsz, 0, in, strlen(in));
        return;
    }
    o = raw_append(out, outsz, 0, in, (size_t)(colon + 1 - in));
    o = raw_append(out, outsz, o, "***", 3);
    raw_append(out, outsz, o, end, strlen(end));
}

/* A kind whose userinfo is a password, or that takes none: whatever stands before its '@' may
 * be a password (memcached://SECRET@host from someone used to SASL), so all of it is hidden. */
static int
password_only_scheme(const char *name, size_t n)
{
    const struct kind_scheme *scheme;
    const struct kind *k = kind_for_scheme(name, n, &scheme);

    return k != NULL && (k->userinfo == USERINFO_PASSWORD || k->userinfo == USERINFO_NONE);
}

/*
 * For text that url_parse refused, so nothing about its shape can be trusted: the userinfo is
 * taken to end at the LAST '@' of the whole string, which may hide more than the password but
 * never less. A userinfo without ':' is all password for a kind whose userinfo is a password
 * (redis://PASSWORD@host is a common mistake) or that takes none, so it is hidden whole.
 */
void
url_redact_raw(const char *in, char *out, size_t outsz)
{
    const char *sep, *start, *at, *colon, *keep_end;
    size_t o = 0;

    if (outsz == 0)
        return;
    out[0] = '\0';
    if (!in)
        return;
    sep = strstr(in, "://");
    start = sep ? sep + 3 : in;
    at = strrchr(start, '@');
    if (!at && sep) {
        /* "user:pass@host://..." : the "://" is not where a scheme ends */
        at = strrchr(in, '@');
        if (!at) {
            redact_no_at(in, start, out, outsz);
            return;
        }
        sep = NULL;
        start = in;
    }
    if (!at) {
        raw_append(out, outsz, 0, in, strlen(in));
        return;
    }
    colon = memchr(start, ':', (size_t)(at - start));
    if (colon)
        keep_end = colon + 1;
    else if (sep && password_only_scheme(in, (size_t)(sep - in)))
        keep_end = start;
    else
        keep_end = NULL;
    if (!keep_end) {
        raw_append(out, outsz, 0, in, strlen(in));
        return;
    }
    o = raw_append(out, outsz, o, in, (size_t)(keep_end - in));
    o = raw_append(out, outsz, o, "***", 3);
    raw_append(out, outsz, o, at, strlen(at));
}
