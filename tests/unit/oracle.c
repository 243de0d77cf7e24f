/* Test-side oracles (see oracle.h). */
#include "oracle.h"

size_t
oracle_utf8_len(const unsigned char *s, size_t n)
{
    size_t k, j;
    unsigned long cp;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        k = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        k = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        k = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (k > n)
        return 0;
    for (j = 1; j < k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[j] & 0x3f);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

int
oracle_utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k) {
        k = oracle_utf8_len(s + i, n - i);
        if (k == 0)
            return 0;
    }
    return 1;
}
