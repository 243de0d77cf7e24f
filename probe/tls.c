/* libcurl initialises OpenSSL in curl_global_init() with every default: all error strings, every
 * cipher and digest name, the built-in engines, and an atexit() cleanup that undoes it all.
 * Under callgrind that is about 1.46 M instructions at start and 0.5 M at exit, out of 2.2 M for
 * a whole plain-HTTP check (bench/profile.md). OpenSSL runs each of those steps once per
 * process, and the "don't" variant of a step counts as having run it, so asking for the "don't"
 * variants first makes curl's later request a no-op:
 *   - no run needs the atexit cleanup: the process is about to end, or (serve) never does;
 *   - a run with no TLS target (no https URL, no MySQL URL asking for TLS) needs neither
 *     openssl.cnf, nor the error strings, nor the legacy name tables: plain HTTP and MySQL's
 *     password hashing use none of them. With a TLS target they stay, so TLS failures keep
 *     OpenSSL's reason text and the system's TLS policy applies. */
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "tls.h"

void
tls_preinit(const struct target *targets, size_t n)
{
    int used = 0, tls = 0;

    for (size_t i = 0; i < n; i++) {
        const struct kind *k = targets[i].url.kind;
        enum kind_crypto need = k->crypto != NULL ? k->crypto(&targets[i]) : CRYPTO_NONE;

        used |= need != CRYPTO_NONE;
        tls |= need == CRYPTO_TLS;
    }
    if (!used)
        return; /* Redis and TCP only: OpenSSL is never touched */
    if (tls) {
        /* Only the exit cleanup goes; whether openssl.cnf is read stays libcurl's choice. */
        OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
        return;
    }
    OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG |
                         OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
                         OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                     NULL);
}

void
tls_describe(const struct target *t, struct buf *out)
{
    if (t->insecure)
        buf_adds(out, "    insecure: true\n");
    if (t->cacert != NULL)
        buf_addf(out, "    cacert: %s\n", t->cacert);
}
