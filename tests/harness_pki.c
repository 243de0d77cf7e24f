/* A throwaway certificate authority for the TLS tests, made with the openssl command. */
#include "harness_int.h"

#include <stdio.h>
#include <string.h>

static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = probe test\n"
                                  "[ca_ext]\n"
                                  "basicConstraints = critical, CA:TRUE\n"
                                  "keyUsage = critical, keyCertSign, cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[server_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "authorityKeyIdentifier = keyid\n"
                                  "[wrong_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:other.example\n"
                                  "[self_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost\n";

int
harness_pki_create(struct harness_pki *pki, char *err, size_t errlen)
{
    struct harness_proc tmp;
    char cnf[HARNESS_PATH + 16], csr[HARNESS_PATH + 16], log_path[HARNESS_PATH + 16];
    int i;

    memset(pki, 0, sizeof(*pki));
    if (harness_make_tempdir(&tmp, "pki", err, errlen) == -1)
        return -1;
    snprintf(pki->dir, sizeof(pki->dir), "%s", tmp.dir);
    harness_reg_add(0, pki->dir);
    snprintf(cnf, sizeof(cnf), "%s/openssl.cnf", pki->dir);
    snprintf(csr, sizeof(csr), "%s/server.csr", pki->dir);
    snprintf(log_path, sizeof(log_path), "%s/openssl.log", pki->dir);
    harness_pathf(pki->ca, sizeof(pki->ca), "%s/ca.pem", pki->dir);
    harness_pathf(pki->cert, sizeof(pki->cert), "%s/server.pem", pki->dir);
    harness_pathf(pki->key, sizeof(pki->key), "%s/server.key", pki->dir);
    harness_pathf(pki->self_cert, sizeof(pki->self_cert), "%s/self.pem", pki->dir);
    harness_pathf(pki->self_key, sizeof(pki->self_key), "%s/self.key", pki->dir);
    harness_pathf(pki->expired_cert, sizeof(pki->expired_cert), "%s/expired.pem", pki->dir);
    harness_pathf(pki->wrong_cert, sizeof(pki->wrong_cert), "%s/wrong.pem", pki->dir);
    if (harness_write_file(cnf, openssl_cnf, err, errlen) == -1)
        goto fail;
    {
        const char *const ca[] = {"openssl",
                                  "req",
                                  "-x509",
                                  "-new",
                                  "-newkey",
                                  "ec",
                                  "-pkeyopt",
                                  "ec_paramgen_curve:prime256v1",
                                  "-nodes",
                                  "-keyout",
                                  "ca.key",
                                  "-out",
                                  "ca.pem",
                                  "-days",
                                  "3",
                                  "-subj",
                                  "/CN=probe test CA",
                                  "-config",
                                  cnf,
                                  "-extensions",
                                  "ca_ext",
                                  NULL};
        const char *const req[] = {"openssl",
                                   "req",
                                   "-new",
                                   "-newkey",
                                   "ec",
                                   "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1",
                                   "-nodes",
                                   "-keyout",
                                   "server.key",
                                   "-out",
                                   "server.csr",
                                   "-subj",
                                   "/CN=127.0.0.1",
                                   "-config",
                                   cnf,
                                   NULL};
        const char *const sign[] = {
            "openssl",    "x509",     "-req",        "-in",         "server.csr", "-CA", "ca.pem",
            "-CAkey",     "ca.key",   "-set_serial", "4242",        "-days",      "3",   "-out",
            "server.pem", "-extfile", cnf,           "-extensions", "server_ext", NULL};
        const char *const self[] = {
            "openssl",       "req",     "-x509",    "-new",
            "-newkey",       "ec",      "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes",        "-keyout", "self.key", "-out",
            "self.pem",      "-days",   "3",        "-subj",
            "/CN=127.0.0.1", "-config", cnf,        "-extensions",
            "self_ext",      NULL};
        /* -days -1: valid until a day before it was made. */
        const char *const expired[] = {
            "openssl",     "x509",     "-req",        "-in",         "server.csr", "-CA", "ca.pem",
            "-CAkey",      "ca.key",   "-set_serial", "4243",        "-days",      "-1",  "-out",
            "expired.pem", "-extfile", cnf,           "-extensions", "server_ext", NULL};
        const char *const wrong[] = {
            "openssl",   "x509",     "-req",        "-in",         "server.csr", "-CA", "ca.pem",
            "-CAkey",    "ca.key",   "-set_serial", "4244",        "-days",      "3",   "-out",
            "wrong.pem", "-extfile", cnf,           "-extensions", "wrong_ext",  NULL};
        const char *const *steps[] = {ca, req, sign, self, expired, wrong};

        for (i = 0; i < 6; i++) {
            if (harness_run_logged(steps[i], pki->dir, log_path, 20000, err, errlen) == -1)
                goto fail;
        }
    }
    return 0;
fail:
    harness_pki_remove(pki);
    return -1;
}

void
harness_pki_remove(struct harness_pki *pki)
{
    if (pki->dir[0] == '\0')
        return;
    harness_rmtree(pki->dir);
    harness_reg_forget(0, pki->dir);
    pki->dir[0] = '\0';
}
