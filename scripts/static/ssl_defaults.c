/*
 * Linked into build/probe-static only, through -Wl,--wrap: OpenSSL's default CA file and
 * directory become Debian's real ones. Debian's libcrypto.a has /usr/lib/ssl/cert.pem and
 * /usr/lib/ssl/certs compiled in, which on Debian are links into /etc/ssl/certs and in a
 * scratch image do not exist. The default is used when nothing else is given (a MySQL
 * ssl-mode=verify-ca without ssl-ca); SSL_CERT_FILE and SSL_CERT_DIR still override it, as
 * OpenSSL reads them before asking for the default. curl has its own default, set when it is
 * configured (scripts/static/build-curl.sh), to the same file.
 */
#include <openssl/ssl.h>

#include "tls.h"

const char *__wrap_X509_get_default_cert_file(void);
const char *__wrap_X509_get_default_cert_dir(void);

const char *
__wrap_X509_get_default_cert_file(void)
{
    return "/etc/ssl/certs/ca-certificates.crt";
}

const char *
__wrap_X509_get_default_cert_dir(void)
{
    return "/etc/ssl/certs";
}

/*
 * OPENSSL_init_ssl, through -Wl,--wrap: while no run of the process has had a TLS target
 * (probe/tls.c's tls_ssl_unused), curl's call from curl_global_init and probe's own do nothing,
 * so a plain-HTTP check never sorts libssl's cipher table or touches its tables. libcrypto is
 * set up by itself (tls_preinit asks for it first). A run with a TLS target clears the flag
 * before any library starts TLS, and OpenSSL then sets libssl up as always, on first use.
 */
int __real_OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings);
int __wrap_OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings);

int
__wrap_OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)
{
    if (tls_ssl_unused)
        return 1;
    return __real_OPENSSL_init_ssl(opts, settings);
}
