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
 *     OpenSSL's reason text and the system's TLS policy applies.
 * libssl's own set-up (sorting its cipher table, 42 K instructions) cannot be declined that
 * way; tls_ssl_unused tells the static build's OPENSSL_init_ssl (scripts/static/ssl_defaults.c,
 * through -Wl,--wrap) that this process has not needed libssl so far, so curl's call from
 * curl_global_init does nothing. Once a run has a TLS target it is 0 for good. */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>

#include "buf.h"
#include "tls.h"

int tls_ssl_unused;
static int tls_ssl_used; /* a run of this process had a TLS target */

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
        tls_ssl_used = 1;
        tls_ssl_unused = 0;
        /* Only the exit cleanup goes; whether openssl.cnf is read stays libcurl's choice. */
        OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
        return;
    }
    tls_ssl_unused = !tls_ssl_used;
    /* libcrypto's part of what follows, asked for itself: the static build skips the rest. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG |
                            OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                            OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                        NULL);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG |
                         OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
                         OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                     NULL);
}

/* A key that needs a passphrase cannot be used by a health check that nobody answers. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *asked)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)asked = 1;
    return -1;
}

/* OpenSSL's reason for the last failure, or what. */
static const char *
tls_last_reason(const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

    return r != NULL ? r : what;
}

int
tls_keypair_check(const char *cert, const char *key, char *err, size_t errlen)
{
    const char *keyfile = key != NULL ? key : cert;
    SSL_CTX *ctx;
    int asked = 0, rc = -1;

    OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL);
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, errlen, "cannot set up TLS: out of memory");
        return -1;
    }
    SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, &asked);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "cannot load the certificate \"%.200s\": %s", cert,
                 tls_last_reason("not a PEM certificate"));
        goto out;
    }
    ERR_clear_error();
    if (SSL_CTX_use_PrivateKey_file(ctx, keyfile, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errlen, "the key \"%.200s\" does not match the certificate \"%.200s\"",
                     keyfile, cert);
        else if (asked)
            snprintf(err, errlen, "the key \"%.200s\" is encrypted (give it without a passphrase)",
                     keyfile);
        else if (key == NULL)
            snprintf(err, errlen, "no key in \"%.200s\" (name the key file too)", cert);
        else
            snprintf(err, errlen, "cannot load the key \"%.200s\": %s", keyfile,
                     tls_last_reason("not a PEM key"));
        goto out;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "the key \"%.200s\" does not match the certificate \"%.200s\"",
                 keyfile, cert);
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return rc;
}

void
tls_describe(const struct target *t, struct buf *out)
{
    if (t->insecure)
        buf_adds(out, "    insecure: true\n");
    if (t->cacert != NULL)
        buf_addf(out, "    cacert: %s\n", t->cacert);
    if (t->cert != NULL)
        buf_addf(out, "    cert: %s\n", t->cert);
    if (t->key != NULL)
        buf_addf(out, "    key: %s\n", t->key);
}
