/* HTTP tokens and header values. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

static int
http_is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

void
http_headers_free(struct http_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        h[i].name = NULL;
        free(h[i].value);
        h[i].value = NULL;
    }
    free(h);
}

size_t
http_token_len(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && http_is_tchar((unsigned char)s[i]); i++)
        ;
    return i;
}

int
http_header_value_ok(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];

        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return 0;
    }
    return 1;
}
