/* Text that reaches a person: decoded, cleaned, quoted, redacted, printed. */
#include "text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One decoder for text_clean and the JSON writer. For an invalid sequence *len is its "maximal
 * subpart" (the lead byte plus the continuation bytes that were still possible), which is how
 * browsers and Python count replacement characters.
 */
int
utf8_next(const char *s, size_t n, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need, i;

    if (n == 0) {
        *len = 0;
        return 0;
    }
    if (p[0] < 0x80) {
        *len = 1;
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        need = 1;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 2;
        if (p[0] == 0xe0)
            lo = 0xa0; /* overlong */
        else if (p[0] == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 3;
        if (p[0] == 0xf0)
            lo = 0x90; /* overlong */
        else if (p[0] == 0xf4)
            hi = 0x8f; /* > U+10FFFF */
    } else {
        *len = 1;
        return 0;
    }
    for (i = 1; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *len = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    *len = need + 1;
    return 1;
}

/* Whitespace for text_clean: ASCII controls, space, DEL and the C1 controls (U+0080-U+009F,
 * which include the 8-bit CSI a terminal would obey). */
static int
is_blank(const unsigned char *p, size_t k)
{
    if (k == 1)
        return p[0] <= 0x20 || p[0] == 0x7f;
    return k == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

size_t
text_clean(char *dst, size_t dstsz, const char *src, size_t n)
{
    size_t room, len = 0, i = 0, k, toklen;
    const char *tok;
    int space = 0, cut = 0;

    if (dstsz == 0)
        return 0;
    room = dstsz - 1;
    while (i < n) {
        if (!utf8_next(src + i, n - i, &k)) {
            tok = "?";
            toklen = 1;
        } else if (is_blank((const unsigned char *)src + i, k)) {
            space = len > 0;
            i += k;
            continue;
        } else {
            tok = src + i;
            toklen = k;
        }
        i += k;
        if (len + (size_t)space + toklen > room) {
            cut = 1;
            break;
        }
        if (space)
            dst[len++] = ' ';
        space = 0;
        memcpy(dst + len, tok, toklen);
        len += toklen;
    }
    if (cut && room >= 3) {
        while (len > room - 3) {
            do
                len--;
            while (len > 0 && ((unsigned char)dst[len] & 0xc0) == 0x80);
        }
        while (len > 0 && dst[len - 1] == ' ')
            len--;
        memcpy(dst + len, "...", 3);
        len += 3;
    }
    dst[len] = '\0';
    return len;
}

/* A terminal could act on anything that is not printable ASCII, so that becomes '?'. */
void
text_quote(char *out, size_t outsz, const char *s, size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n && s[i] && o + 1 < outsz; i++) {
        if (i == QUOTE_MAX) {
            snprintf(out + o, outsz - o, "...");
            return;
        }
        out[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
    }
    out[o] = '\0';
}

/*
 * A secret shorter than "***" makes the text longer, so the result is built in a copy and cut
 * to sz. It is never the secret that gets cut: only its surroundings and the stars. Without
 * memory for the copy the whole text becomes "***", which still hides the secret.
 */
void
redact_secret(char *s, size_t sz, const char *secret)
{
    size_t slen, len, i, o = 0;
    char *tmp;

    if (!s || sz == 0 || !secret || !*secret)
        return;
    len = strnlen(s, sz);
    if (len == sz)
        s[--len] = '\0';
    slen = strlen(secret);
    if (!memmem(s, len, secret, slen))
        return;
    tmp = malloc(sz);
    if (!tmp) {
        snprintf(s, sz, "***");
        return;
    }
    for (i = 0; i < len;) {
        if (i + slen <= len && memcmp(s + i, secret, slen) == 0) {
            for (size_t j = 0; j < 3 && o + 1 < sz; j++)
                tmp[o++] = '*';
            i += slen;
        } else {
            if (o + 1 < sz)
                tmp[o++] = s[i];
            i++;
        }
    }
    tmp[o] = '\0';
    memcpy(s, tmp, o + 1);
    free(tmp);
    tmp = NULL;
}

void
print_error(const char *msg)
{
    char line[1024];

    text_clean(line, sizeof(line), msg, strlen(msg));
    fprintf(stderr, "probe: %s\n", line);
}

int
text_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}
