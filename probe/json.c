/* JSON string writer: valid JSON for any input bytes. */
#include "json.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

/* The escape for one ASCII byte, or NULL when it can be written as it is. DEL is escaped too,
 * so the document is safe to print on a terminal. */
static const char *
ascii_escape(unsigned char c, char *tmp, size_t tmpsz)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(tmp, tmpsz, "\\u%04x", c);
        return tmp;
    }
    return NULL;
}

/*
 * Runs of bytes that need no escaping are copied in one go. U+2028 and U+2029 are escaped
 * because JavaScript before ES2019 treats them as line ends inside string literals.
 */
void
json_add_str(struct buf *b, const char *s, size_t n)
{
    size_t i = 0, run = 0, k;
    const unsigned char *u;
    const char *esc;
    char tmp[8];

    if (!s) {
        s = "";
        n = 0;
    }
    u = (const unsigned char *)s;
    buf_add(b, "\"", 1);
    while (i < n) {
        esc = NULL;
        if (!utf8_next(s + i, n - i, &k))
            esc = "\\ufffd";
        else if (k == 1)
            esc = ascii_escape(u[i], tmp, sizeof(tmp));
        else if (k == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 && (u[i + 2] & 0xfe) == 0xa8)
            esc = u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
        if (esc) {
            buf_add(b, s + run, i - run);
            buf_adds(b, esc);
            run = i + k;
        }
        i += k;
    }
    buf_add(b, s + run, i - run);
    buf_add(b, "\"", 1);
}

void
json_add_cstr(struct buf *b, const char *s)
{
    if (!s) {
        buf_adds(b, "null");
        return;
    }
    json_add_str(b, s, strlen(s));
}
