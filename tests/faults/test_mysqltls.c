/* MySQL's verifying TLS modes against a real mariadbd, by name: verify-identity checks the
 * server certificate against the URL's host name although probe hands Connector/C the address
 * it resolved, and verify-ca checks the chain only. The names (db.test, other.test) resolve to
 * 127.0.0.1 through the namespace's /etc/hosts (tests/faults/netns.sh); the certificates come
 * from tests/harness_pki.c: DNS:db.test only, DNS:other.test only, IP:127.0.0.1 only. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "harness.h"

TestSuite(mysqltls, .init = flt_require_netns);

struct tls_server {
    struct harness_pki pki;
    struct harness_mysql m;
    char o_cert[HARNESS_PATH + 16];
    char o_key[HARNESS_PATH + 16];
    const char *extra[3];
};

/* A mariadbd with TLS whose certificate is the PKI's db_, other_ or ip_ one ("db", ...). */
static void
tls_start(struct tls_server *s, const char *which)
{
    char err[HARNESS_ERRLEN];
    const char *cert, *key;

    memset(s, 0, sizeof(*s));
    cr_assert_eq(harness_pki_create(&s->pki, err, sizeof(err)), 0, "%s", err);
    if (strcmp(which, "db") == 0) {
        cert = s->pki.db_cert;
        key = s->pki.db_key;
    } else if (strcmp(which, "other") == 0) {
        cert = s->pki.other_cert;
        key = s->pki.other_key;
    } else {
        cert = s->pki.ip_cert;
        key = s->pki.ip_key;
    }
    /* After the harness's own --ssl-cert/--ssl-key, so these win. */
    snprintf(s->o_cert, sizeof(s->o_cert), "--ssl-cert=%s", cert);
    snprintf(s->o_key, sizeof(s->o_key), "--ssl-key=%s", key);
    s->extra[0] = s->o_cert;
    s->extra[1] = s->o_key;
    s->m.extra_args = s->extra;
    cr_assert_eq(harness_mysql_start(&s->m, &s->pki, err, sizeof(err)), 0, "%s", err);
}

/* probe check --json of mysql://probe:PW@HOST:PORT/app?ssl-mode=MODE&ssl-ca=CA. */
static void
tls_check(struct probe_result *r, const struct tls_server *s, const char *host, const char *mode,
          const char *ca)
{
    const char *argv[] = {"check", "--json", "--timeout", "3s", NULL, NULL};
    char url[HARNESS_PATH * 2];

    snprintf(url, sizeof(url), "db=mysql://%s:%s@%s:%d/%s?ssl-mode=%s&ssl-ca=%s",
             HARNESS_MYSQL_USER, HARNESS_MYSQL_PASSWORD, host, s->m.port, HARNESS_MYSQL_DB, mode,
             ca);
    argv[4] = url;
    flt_run(r, argv, 0);
    cr_log_info("%s %s: %.1f ms: %s", host, mode, r->elapsed_ms, r->out);
    cr_assert_null(strstr(r->out, HARNESS_MYSQL_PASSWORD), "the password in\n%s", r->out);
    cr_assert_null(strstr(r->err, HARNESS_MYSQL_PASSWORD), "the password in\n%s", r->err);
}

/* One run against the server: host, ssl-mode, whether ssl-ca names a CA that did not sign the
 * server's certificate, and the failure expected (reason tls, output matching fail_re) or
 * NULL for a pass. */
struct tls_case {
    const char *host;
    const char *mode;
    int wrong_ca;
    const char *fail_re;
};

#define TLS_NOT_SIGNED "2026|certificate|issuer"

static void
tls_run_cases(const char *which, const struct tls_case *cases, size_t n)
{
    struct tls_server s;
    struct probe_result r;
    char v[64];

    tls_start(&s, which);
    for (size_t i = 0; i < n; i++) {
        const struct tls_case *k = &cases[i];

        tls_check(&r, &s, k->host, k->mode, k->wrong_ca ? s.pki.self_cert : s.pki.ca);
        if (k->fail_re != NULL) {
            flt_assert_json_fail(&r, "db", "tls", NULL, k->fail_re, 2000);
            continue;
        }
        cr_assert_eq(r.exit_code, 0, "%s %s: exit %d\n%s%s", k->host, k->mode, r.exit_code, r.out,
                     r.err);
        cr_assert_eq(pt_json_get(r.out, "checks/db:responseTime/0/status", v, sizeof(v)), 0, "%s",
                     r.out);
        cr_assert_str_eq(v, "pass", "%s", r.out);
    }
}

Test(mysqltls, verify_identity_passes_by_name_with_a_dns_only_certificate, .timeout = 20)
{
    static const struct tls_case cases[] = {
        {"db.test", "verify-identity", 0, NULL},
        /* The name was checked, not the address: the certificate has no IP SAN. */
        {"127.0.0.1", "verify-identity", 0,
         "^tls: the server certificate does not name 127\\.0\\.0\\.1"},
        {"db.test", "verify-identity", 1, TLS_NOT_SIGNED},
    };

    tls_run_cases("db", cases, sizeof(cases) / sizeof(cases[0]));
}

Test(mysqltls, verify_ca_checks_the_chain_only, .timeout = 20)
{
    static const struct tls_case cases[] = {
        {"127.0.0.1", "verify-ca", 0, NULL},         {"db.test", "verify-ca", 0, NULL},
        {"other.test", "verify-ca", 0, NULL},        {"127.0.0.1", "verify-ca", 1, TLS_NOT_SIGNED},
        {"db.test", "verify-ca", 1, TLS_NOT_SIGNED},
    };

    tls_run_cases("db", cases, sizeof(cases) / sizeof(cases[0]));
}

Test(mysqltls, verify_identity_fails_for_a_certificate_of_another_name, .timeout = 20)
{
    static const struct tls_case cases[] = {
        {"db.test", "verify-identity", 0, "^tls: the server certificate does not name db\\.test$"},
        /* The chain is right: verify-ca passes under any name. */
        {"db.test", "verify-ca", 0, NULL},
        {"other.test", "verify-identity", 0, NULL},
    };

    tls_run_cases("other", cases, sizeof(cases) / sizeof(cases[0]));
}

Test(mysqltls, verify_identity_passes_by_ip_with_an_ip_only_certificate, .timeout = 20)
{
    static const struct tls_case cases[] = {
        {"127.0.0.1", "verify-identity", 0, NULL},
        /* A name that resolves to that address is not the address. */
        {"db.test", "verify-identity", 0, "^tls: the server certificate does not name db\\.test$"},
    };

    tls_run_cases("ip", cases, sizeof(cases) / sizeof(cases[0]));
}
