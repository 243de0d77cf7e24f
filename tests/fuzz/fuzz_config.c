/*
 * libFuzzer target: cfg_load_string() on arbitrary bytes. It must not crash or leak, must
 * return 0 or -1, and on -1 leave a non-empty, NUL-terminated, single-line message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg cfg;
    char err[512];
    char *text;
    int rc;

    /* An exact-size copy with no NUL after it, so ASan sees any read past len. */
    text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    memset(err, 'X', sizeof(err));
    rc = cfg_load_string("fuzz.yaml", text, size, &cfg, err, sizeof(err));
    if (rc != 0 && rc != -1)
        abort();
    if (rc == 0) {
        cfg_free(&cfg);
    } else {
        const char *nul = memchr(err, '\0', sizeof(err));

        if (!nul || nul == err)
            abort();
        if (memchr(err, '\n', (size_t)(nul - err)) || memchr(err, '\r', (size_t)(nul - err)))
            abort();
    }
    free(text);
    return 0;
}
