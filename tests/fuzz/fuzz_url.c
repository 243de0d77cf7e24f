/*
 * libFuzzer target: url_parse() and the two redactions.
 *
 * The password span is derived from the input the way url.h documents it: the authority runs
 * from after the first "://" to the first '/' or '?', the userinfo ends at the last '@' in it,
 * and the password runs from the userinfo's first ':' to that '@'. Then:
 *  - on success, u.redacted is exactly the input with that span replaced by "***";
 *  - on failure, the message holds the span only if it also holds it when the span is replaced
 *    by other letters of the same length (so a password "bad" in "bad port" is no finding), or
 *    if the span is a piece of a fixed message that the masking turned off ("#" for '#');
 *  - url_redact_raw() writes a NUL within outsz, and with room to spare never shows the span
 *    unless the same differential says the text came from elsewhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pwspan {
    size_t off; /* first byte of the password */
    size_t n;   /* 0: no password */
    int has_colon;
};

static struct pwspan
find_password(const char *s)
{
    struct pwspan ps = {0, 0, 0};
    const char *sep = strstr(s, "://"), *auth, *end, *at = NULL, *colon, *p;

    if (!sep)
        return ps;
    auth = sep + 3;
    end = auth + strcspn(auth, "/?");
    for (p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return ps;
    colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return ps;
    ps.has_colon = 1;
    ps.off = (size_t)(colon + 1 - s);
    ps.n = (size_t)(at - (colon + 1));
    return ps;
}

/* s with the span overwritten by a letter that differs from the span's first byte. */
static char *
masked(const char *s, struct pwspan ps)
{
    char *m = strdup(s);

    if (m)
        memset(m + ps.off, s[ps.off] == 'q' ? 'z' : 'q', ps.n);
    return m;
}

static int
contains(const char *hay, const char *needle, size_t n)
{
    return n > 0 && memmem(hay, strlen(hay), needle, n) != NULL;
}

/* Messages that are fixed text but that masking can turn off (the mask removes the '#', the
 * space or the bad escape that caused them): a password that is a piece of one, like "#", is
 * no leak. */
static const char *const fixed_msgs[] = {
    "\"#\" in URL (write it as %23 in a password)",
    "\"@\" after the host (write \"/\" as %2F and \"?\" as %3F in a password)",
    "space or control character in URL",
    "bad percent-escape in password",
};

static int
in_fixed_msg(const char *needle, size_t n)
{
    size_t i;

    for (i = 0; i < sizeof(fixed_msgs) / sizeof(fixed_msgs[0]); i++)
        if (contains(fixed_msgs[i], needle, n))
            return 1;
    return 0;
}

static void
check_raw(const char *s, struct pwspan ps, size_t outsz)
{
    char small[64];
    size_t cut = outsz % sizeof(small), bigsz = strlen(s) + 8;
    char *big = malloc(bigsz), *big2 = NULL, *m = NULL;

    memset(small, 'X', sizeof(small));
    url_redact_raw(s, small, cut);
    if (cut > 0 && !memchr(small, '\0', cut))
        abort();
    if (cut < sizeof(small) && small[cut] != 'X')
        abort();
    if (!big)
        return;
    url_redact_raw(s, big, bigsz);
    if (!memchr(big, '\0', bigsz))
        abort();
    if (ps.n > 0 && contains(big, s + ps.off, ps.n)) {
        m = masked(s, ps);
        big2 = malloc(bigsz);
        if (m && big2) {
            url_redact_raw(m, big2, bigsz);
            if (!contains(big2, s + ps.off, ps.n))
                abort();
        }
    }
    free(m);
    free(big2);
    free(big);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct url u;
    struct pwspan ps;
    char err[256], *s;
    int rc;

    if (size > 10000)
        return 0;
    s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    ps = find_password(s);
    memset(err, 'X', sizeof(err));
    rc = url_parse(s, &u, err, sizeof(err));
    if (rc == 0) {
        if (!u.redacted)
            abort();
        if (ps.has_colon) {
            size_t rl = strlen(u.redacted), tail = strlen(s) - ps.off - ps.n;

            if (rl != ps.off + 3 + tail || memcmp(u.redacted, s, ps.off) != 0 ||
                memcmp(u.redacted + ps.off, "***", 3) != 0 ||
                memcmp(u.redacted + ps.off + 3, s + ps.off + ps.n, tail) != 0)
                abort();
        } else if (strcmp(u.redacted, s) != 0) {
            abort();
        }
        url_free(&u);
    } else {
        if (rc != -1 || !memchr(err, '\0', sizeof(err)))
            abort();
        if (contains(err, s + ps.off, ps.n) && !in_fixed_msg(s + ps.off, ps.n)) {
            char *m = masked(s, ps);
            char err2[256];
            struct url u2;

            if (m) {
                if (url_parse(m, &u2, err2, sizeof(err2)) == 0) {
                    url_free(&u2);
                    err2[0] = '\0';
                }
                free(m);
                if (!contains(err2, s + ps.off, ps.n))
                    abort();
            }
        }
    }
    check_raw(s, ps, size ? data[0] : 0);
    free(s);
    return 0;
}
