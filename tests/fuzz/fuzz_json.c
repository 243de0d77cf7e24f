/*
 * libFuzzer target: json_add_str() on arbitrary bytes. The output must be valid JSON for any
 * input, decode to valid UTF-8, and give back valid UTF-8 input byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the strict UTF-8 sequence at s (no overlongs, surrogates or > U+10FFFF), 0 if bad. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len, i;
    unsigned long cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0, l;

    while (i < n) {
        l = utf8_len(s + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

static int
hex4(const char *p, unsigned long *v)
{
    int i;

    *v = 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];

        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned long)(c - 'A' + 10);
        else
            return -1;
    }
    return 0;
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
    unsigned char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xc0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xe0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_add(b, u, n);
}

/* Decodes the one JSON string literal that is all of s into out; -1 if it is not that. A lone
 * surrogate escape decodes to bytes that utf8_valid() then refuses. */
static int
json_decode(const char *s, struct buf *out)
{
    const char *p = s;
    unsigned long cp, lo;

    if (*p++ != '"')
        return -1;
    while (*p != '"') {
        if (*p == '\0' || (unsigned char)*p < 0x20)
            return -1;
        if (*p != '\\') {
            buf_add(out, p++, 1);
            continue;
        }
        p++;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
            buf_add(out, p, 1);
            break;
        case 'b':
            buf_adds(out, "\b");
            break;
        case 'f':
            buf_adds(out, "\f");
            break;
        case 'n':
            buf_adds(out, "\n");
            break;
        case 'r':
            buf_adds(out, "\r");
            break;
        case 't':
            buf_adds(out, "\t");
            break;
        case 'u':
            if (hex4(p + 1, &cp) < 0)
                return -1;
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && p[1] == '\\' && p[2] == 'u' &&
                hex4(p + 3, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                buf_adds(out, "\xed\xa0\x80"); /* lone surrogate: invalid on purpose */
            else
                put_utf8(out, cp);
            break;
        default:
            return -1;
        }
        p++;
    }
    return p[1] == '\0' ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf b, dec;
    char *in;
    const char *s;

    in = malloc(size ? size : 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    buf_init(&b);
    buf_init(&dec);
    json_add_str(&b, in, size);
    if (b.oom)
        goto out;
    s = buf_str(&b);
    if (strlen(s) != b.len || !pt_json_valid(s))
        abort();
    if (json_decode(s, &dec) < 0 || dec.oom)
        abort();
    if (!utf8_valid((const unsigned char *)dec.p, dec.len))
        abort();
    if (utf8_valid(data, size) && (dec.len != size || (size && memcmp(dec.p, data, size) != 0)))
        abort();
out:
    buf_free(&b);
    buf_free(&dec);
    free(in);
    return 0;
}
