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

/* A key and a certificate the CA signs with the extensions of section ext and the given serial:
 * NAME.key and NAME.pem in the PKI's directory. The CN is the name alone, which no verifier takes
 * for a host when the certificate has SANs. */
static int
pki_issue(const struct harness_pki *pki, const char *cnf, const char *name, const char *ext,
          const char *serial, const char *log_path, char *err, size_t errlen)
{
    char key[64], csr[64], pem[64], subj[64];
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
    snprintf(subj, sizeof(subj), "/CN=probe test %s", name);
    if (harness_run_logged(req, pki->dir, log_path, 20000, err, errlen) == -1)
        return -1;
    return harness_run_logged(sign, pki->dir, log_path, 20000, err, errlen);
}

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
    harness_pathf(pki->db_cert, sizeof(pki->db_cert), "%s/db.pem", pki->dir);
    harness_pathf(pki->db_key, sizeof(pki->db_key), "%s/db.key", pki->dir);
    harness_pathf(pki->other_cert, sizeof(pki->other_cert), "%s/other.pem", pki->dir);
    harness_pathf(pki->other_key, sizeof(pki->other_key), "%s/other.key", pki->dir);
    harness_pathf(pki->ip_cert, sizeof(pki->ip_cert), "%s/ip.pem", pki->dir);
    harness_pathf(pki->ip_key, sizeof(pki->ip_key), "%s/ip.key", pki->dir);
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
        const char *const *steps[] = {ca, req, sign, self};

        for (i = 0; i < 4; i++) {
            if (harness_run_logged(steps[i], pki->dir, log_path, 20000, err, errlen) == -1)
                goto fail;
        }
    }
    if (pki_issue(pki, cnf, "db", "db_ext", "4343", log_path, err, errlen) == -1 ||
        pki_issue(pki, cnf, "other", "other_ext", "4344", log_path, err, errlen) == -1 ||
        pki_issue(pki, cnf, "ip", "ip_ext", "4345", log_path, err, errlen) == -1)
        goto fail;
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
