/* TLS certificate faults: an https check against `openssl s_server` with a certificate that
 * expired or names another host fails with "tls:" and the verifier's reason; --insecure
 * passes both. A server that accepts TCP and never answers the ClientHello fails at the
 * deadline with "(tls)". Certificates are made per test with the openssl CLI. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"

TestSuite(tls, .init = flt_require_netns);

/* Makes ca.pem, expired.{pem,key} (IP:127.0.0.1, valid only in January 2020) and
 * wrong.{pem,key} (DNS:other.example only) in dir, signed by the CA. */
static const char tls_gen_sh[] =
    "set -e; d=$1; cd \"$d\"\n"
    "K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
    "openssl req -x509 $K -keyout ca.key -out ca.pem -days 30 -subj /CN=probe-fault-ca"
    " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
    "mkdir -p db; : >db/index.txt; echo 01 >db/serial\n"
    "cat >ca.cnf <<C\n"
    "[ca]\ndefault_ca=d\n"
    "[d]\ndir=$d/db\ndatabase=\\$dir/index.txt\nserial=\\$dir/serial\nnew_certs_dir=\\$dir\n"
    "default_md=sha256\npolicy=p\ncopy_extensions=none\nunique_subject=no\n"
    "[p]\ncommonName=supplied\n"
    "[ext_expired]\nsubjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
    "[ext_wrong]\nsubjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\n"
    "C\n"
    "for k in expired wrong; do openssl req -new $K -keyout $k.key -out $k.csr -subj /CN=$k; done\n"
    "openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr"
    " -out expired.pem -extensions ext_expired -notext"
    " -startdate 20200101000000Z -enddate 20200201000000Z\n"
    "openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in wrong.csr"
    " -out wrong.pem -extensions ext_wrong -notext -days 30\n";

static char tls_dir[64];
static pid_t tls_server_pid = -1;

static void
tls_certs(void)
{
    char cmd[256];
    FILE *f;
    int rc;

    snprintf(tls_dir, sizeof(tls_dir), "/tmp/probe-fault-tls-XXXXXX");
    cr_assert_not_null(mkdtemp(tls_dir), "mkdtemp: %s", strerror(errno));
    snprintf(cmd, sizeof(cmd), "%s/gen.sh", tls_dir);
    f = fopen(cmd, "w");
    cr_assert_not_null(f);
    fputs(tls_gen_sh, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "sh %s/gen.sh %s >%s/gen.log 2>&1", tls_dir, tls_dir, tls_dir);
    rc = system(cmd);
    cr_assert_eq(rc, 0, "making certificates failed (see %s/gen.log)", tls_dir);
}

static void
tls_cleanup(void)
{
    char cmd[128];

    if (tls_server_pid > 0) {
        kill(tls_server_pid, SIGKILL);
        waitpid(tls_server_pid, NULL, 0);
        tls_server_pid = -1;
    }
    if (tls_dir[0] != '\0') {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
        if (system(cmd) != 0) {
            /* a leftover directory in /tmp is harmless */
        }
    }
}

/* A free loopback port (bound, read back, closed). */
static int
tls_free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

    cr_assert(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: %s", strerror(errno));
    cr_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static int
tls_can_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* Starts `openssl s_server -www` on 127.0.0.1 with dir/NAME.pem and returns its port. */
static int
tls_s_server(const char *name)
{
    char cert[128], key[128], accept[32];
    int port = tls_free_port();

    snprintf(cert, sizeof(cert), "%s/%s.pem", tls_dir, name);
    snprintf(key, sizeof(key), "%s/%s.key", tls_dir, name);
    snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
    tls_server_pid = fork();
    cr_assert(tls_server_pid != -1, "fork: %s", strerror(errno));
    if (tls_server_pid == 0) {
        int null = open("/dev/null", O_RDWR);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept, "-cert", cert,
               "-key", key, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};

        if (tls_can_connect(port))
            return port;
        cr_assert(waitpid(tls_server_pid, NULL, WNOHANG) == 0, "openssl s_server exited");
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("openssl s_server did not listen on %s within 2 s", accept);
    return -1;
}

static void
tls_check(struct probe_result *r, int port, int insecure)
{
    char url[64], ca[128];
    const char *argv[] = {"check", "--timeout", "3s", "--cacert", ca, url, NULL, NULL};

    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
    snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
    if (insecure) {
        argv[3] = "--insecure";
        argv[4] = url;
        argv[5] = NULL;
    }
    flt_run(r, argv, 0);
}

Test(tls, expired_certificate_fails_with_expired, .init = tls_certs, .fini = tls_cleanup,
     .timeout = 20)
{
    struct probe_result r;

    tls_check(&r, tls_s_server("expired"), 0);
    flt_assert_fail(&r, "https", "tls: .*expired", 1000);
}

Test(tls, wrong_name_fails_with_name_mismatch, .init = tls_certs, .fini = tls_cleanup,
     .timeout = 20)
{
    struct probe_result r;

    tls_check(&r, tls_s_server("wrong"), 0);
    flt_assert_fail(&r, "https",
                    "tls: .*(subject name|host ?name|hostname).*(match|mismatch)"
                    "|tls: .*(match|mismatch).*(name|host)",
                    1000);
}

Test(tls, expired_certificate_passes_with_insecure, .init = tls_certs, .fini = tls_cleanup,
     .timeout = 20)
{
    struct probe_result r;

    tls_check(&r, tls_s_server("expired"), 1);
    flt_assert_pass(&r, "https", " 200 ");
}

Test(tls, wrong_name_passes_with_insecure, .init = tls_certs, .fini = tls_cleanup, .timeout = 20)
{
    struct probe_result r;

    tls_check(&r, tls_s_server("wrong"), 1);
    flt_assert_pass(&r, "https", " 200 ");
}

/* The kernel completes the TCP handshake into the backlog of a socket nobody accepts from:
 * the ClientHello is never answered. scheme://127.0.0.1:PORT/ against such a peer, with the
 * check named name, ends at the deadline in phase tls. */
static void
tls_stall(const char *scheme, const char *name)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    const char *argv[] = {"check", "--timeout", "1s", "--insecure", NULL, NULL};
    char url[64];
    struct probe_result r;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 16) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d/", scheme, ntohs(sa.sin_port));
    argv[4] = url;
    flt_run(&r, argv, 0);
    flt_assert_fail(&r, name, "\\(tls\\)", FLT_T_MS + FLT_SLACK_MS);
    cr_assert(r.elapsed_ms >= FLT_T_MS - 50, "failed after %.1f ms, before the deadline",
              r.elapsed_ms);
    close(fd);
}

Test(tls, handshake_that_never_completes_fails_at_deadline_with_tls_phase, .timeout = 20)
{
    tls_stall("https", "https");
}

/* rediss: the plain PING that tells a plain Redis port apart gets no answer either, so the
 * handshake keeps the deadline. */
Test(tls, rediss_handshake_that_never_completes_fails_at_deadline_with_tls_phase, .timeout = 20)
{
    tls_stall("rediss", "rediss");
}
