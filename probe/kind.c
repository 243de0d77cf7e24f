/*
 * The registry: the one place that lists the kinds of check. A new kind is its own
 * probe/check_<kind>.c defining `const struct kind kind_<name>`, plus one entry here.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kind.h"

/* One entry per kind, in the order usage and error messages list their schemes. */
#define KINDS(X) X(http) X(tcp) X(mysql) X(redis) X(postgres) X(memcached) X(grpc)

#define KIND_DECLARE(n) extern const struct kind kind_##n;
#define KIND_ROW(n) &kind_##n,
KINDS(KIND_DECLARE)

const struct kind *const kinds[] = {KINDS(KIND_ROW)};

const size_t kinds_count = sizeof(kinds) / sizeof(kinds[0]);

const struct kind *
kind_for_scheme(const char *name, size_t n, const struct kind_scheme **scheme)
{
    for (size_t k = 0; k < kinds_count; k++) {
        for (const struct kind_scheme *s = kinds[k]->schemes; s->name != NULL; s++) {
            if (strlen(s->name) == n && strncasecmp(name, s->name, n) == 0) {
                *scheme = s;
                return kinds[k];
            }
        }
    }
    *scheme = NULL;
    return NULL;
}

size_t
kind_index(const struct kind *k)
{
    for (size_t i = 0; i < kinds_count; i++) {
        if (kinds[i] == k)
            return i;
    }
    return 0;
}

const char *
kind_scheme_list(void)
{
    static char list[256];
    size_t o = 0;

    if (list[0] != '\0')
        return list;
    for (size_t k = 0; k < kinds_count; k++) {
        for (const struct kind_scheme *s = kinds[k]->schemes; s->name != NULL; s++) {
            int w = snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", s->name);

            if (w < 0 || (size_t)w >= sizeof(list) - o)
                return list;
            o += (size_t)w;
        }
    }
    return list;
}
