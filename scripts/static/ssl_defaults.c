/*
 * Linked into build/probe-static only, through -Wl,--wrap: OpenSSL's default CA file and
 * directory become Debian's real ones. Debian's libcrypto.a has /usr/lib/ssl/cert.pem and
 * /usr/lib/ssl/certs compiled in, which on Debian are links into /etc/ssl/certs and in a
 * scratch image do not exist. The default is used when nothing else is given (a MySQL
 * ssl-mode=verify-ca without ssl-ca); SSL_CERT_FILE and SSL_CERT_DIR still override it, as
 * OpenSSL reads them before asking for the default. curl has its own default, set when it is
 * configured (scripts/static/build-curl.sh), to the same file.
 */
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
