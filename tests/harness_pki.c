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
                                  "[client_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature\n"
                                  "extendedKeyUsage = clientAuth\n"
                                  "[dns_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:localhost, DNS:db.test\n"
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
                                  "subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost\n"
                                  "[db_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:db.test\n"
                                  "[other_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:other.test\n"
                                  "[ip_ext]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1\n";

/* The client key under a passphrase: probe must refuse it with one line. */
static const char *const client_enc_argv[] = {
    "openssl",  "pkey",           "-in",  "client.key",     "-aes256",
    "-passout", "pass:Cli-pp-77", "-out", "client-enc.key", NULL};

/* NAME.key and NAME.pem in dir: a key and a certificate the CA signs with the extensions ext. */
static int
pki_issue(const char *dir, const char *cnf, const char *name, const char *subj, const char *serial,
          const char *ext, char *err, size_t errlen)
{
    char key[64], csr[64], pem[64], log_path[HARNESS_PATH + 16];
    const char *const req[] = {
        "openssl", "req",     "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes",  "-keyout", key,    "-out",    csr,  "-subj",    subj,
        "-config", cnf,       NULL};
    const char *const sign[] = {"openssl",  "x509",   "-req",        "-in",    csr,
                                "-CA",      "ca.pem", "-CAkey",      "ca.key", "-set_serial",
                                serial,     "-days",  "3",           "-out",   pem,
                                "-extfile", cnf,      "-extensions", ext,      NULL};

    snprintf(key, sizeof(key), "%s.key", name);
    snprintf(csr, sizeof(csr), "%s.csr", name);
    snprintf(pem, sizeof(pem), "%s.pem", name);
    snprintf(log_path, sizeof(log_path), "%s/openssl.log", dir);
    if (harness_run_logged(req, dir, log_path, 20000, err, errlen) == -1)
        return -1;
    return harness_run_logged(sign, dir, log_path, 20000, err, errlen);
}

int
harness_pki_create(struct harness_pki *pki, char *err, size_t errlen)
{
    struct harness_proc tmp;
    char cnf[HARNESS_PATH + 16], log_path[HARNESS_PATH + 16];
    int i;

    memset(pki, 0, sizeof(*pki));
    if (harness_make_tempdir(&tmp, "pki", err, errlen) == -1)
        return -1;
    snprintf(pki->dir, sizeof(pki->dir), "%s", tmp.dir);
    harness_reg_add(0, pki->dir);
    snprintf(cnf, sizeof(cnf), "%s/openssl.cnf", pki->dir);
    snprintf(log_path, sizeof(log_path), "%s/openssl.log", pki->dir);
    harness_pathf(pki->ca, sizeof(pki->ca), "%s/ca.pem", pki->dir);
    harness_pathf(pki->cert, sizeof(pki->cert), "%s/server.pem", pki->dir);
    harness_pathf(pki->key, sizeof(pki->key), "%s/server.key", pki->dir);
    harness_pathf(pki->self_cert, sizeof(pki->self_cert), "%s/self.pem", pki->dir);
    harness_pathf(pki->self_key, sizeof(pki->self_key), "%s/self.key", pki->dir);
    harness_pathf(pki->client_cert, sizeof(pki->client_cert), "%s/client.pem", pki->dir);
    harness_pathf(pki->client_key, sizeof(pki->client_key), "%s/client.key", pki->dir);
    harness_pathf(pki->client_key_enc, sizeof(pki->client_key_enc), "%s/client-enc.key", pki->dir);
    harness_pathf(pki->dns_cert, sizeof(pki->dns_cert), "%s/dns.pem", pki->dir);
    harness_pathf(pki->dns_key, sizeof(pki->dns_key), "%s/dns.key", pki->dir);
    harness_pathf(pki->db_cert, sizeof(pki->db_cert), "%s/db.pem", pki->dir);
    harness_pathf(pki->db_key, sizeof(pki->db_key), "%s/db.key", pki->dir);
    harness_pathf(pki->other_cert, sizeof(pki->other_cert), "%s/other.pem", pki->dir);
    harness_pathf(pki->other_key, sizeof(pki->other_key), "%s/other.key", pki->dir);
    harness_pathf(pki->ip_cert, sizeof(pki->ip_cert), "%s/ip.pem", pki->dir);
    harness_pathf(pki->ip_key, sizeof(pki->ip_key), "%s/ip.key", pki->dir);
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
        const char *const self[] = {
            "openssl",       "req",     "-x509",    "-new",
            "-newkey",       "ec",      "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes",        "-keyout", "self.key", "-out",
            "self.pem",      "-days",   "3",        "-subj",
            "/CN=127.0.0.1", "-config", cnf,        "-extensions",
            "self_ext",      NULL};
        const char *const *steps[] = {ca, self};

        for (i = 0; i < 2; i++) {
            if (harness_run_logged(steps[i], pki->dir, log_path, 20000, err, errlen) == -1)
                goto fail;
        }
    }
    /* The second names hosts only (RDS-like): verify-full must match by name. */
    if (pki_issue(pki->dir, cnf, "server", "/CN=127.0.0.1", "4242", "server_ext", err, errlen) ==
            -1 ||
        pki_issue(pki->dir, cnf, "dns", "/CN=localhost", "4343", "dns_ext", err, errlen) == -1 ||
        pki_issue(pki->dir, cnf, "client", "/CN=probe client", "4444", "client_ext", err, errlen) ==
            -1 ||
        harness_run_logged(client_enc_argv, pki->dir, log_path, 20000, err, errlen) == -1 ||
        pki_issue(pki->dir, cnf, "db", "/CN=probe test db", "4350", "db_ext", err, errlen) == -1 ||
        pki_issue(pki->dir, cnf, "other", "/CN=probe test other", "4351", "other_ext", err,
                  errlen) == -1 ||
        pki_issue(pki->dir, cnf, "ip", "/CN=probe test ip", "4352", "ip_ext", err, errlen) == -1)
        goto fail;
    {
        /* With the server's key (server.csr): one expired (-days -1: valid until a day before
         * it was made), one for another name. */
        const char *const expired[] = {
            "openssl",     "x509",     "-req",        "-in",         "server.csr", "-CA", "ca.pem",
            "-CAkey",      "ca.key",   "-set_serial", "4243",        "-days",      "-1",  "-out",
            "expired.pem", "-extfile", cnf,           "-extensions", "server_ext", NULL};
        const char *const wrong[] = {
            "openssl",   "x509",     "-req",        "-in",         "server.csr", "-CA", "ca.pem",
            "-CAkey",    "ca.key",   "-set_serial", "4244",        "-days",      "3",   "-out",
            "wrong.pem", "-extfile", cnf,           "-extensions", "wrong_ext",  NULL};

        if (harness_run_logged(expired, pki->dir, log_path, 20000, err, errlen) == -1 ||
            harness_run_logged(wrong, pki->dir, log_path, 20000, err, errlen) == -1)
            goto fail;
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
