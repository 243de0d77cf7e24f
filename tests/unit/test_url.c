/* url: target URL parsing, defaults, decoding, errors and redaction. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "url.h"

/* Parameter structs hold strings inline (Criterion re-executes the binary per parameter);
 * "(null)" in a table means the field must be NULL. */
#define NUL_FIELD "(null)"

static const char *
or_null(const char *s)
{
    return s ? s : NUL_FIELD;
}

struct url_ok_case {
    char in[96];
    char scheme[8];
    char user[16];
    char pass[16];
    char host[40];
    int port;
    int v6;
    char path[32];
    char db[16];
    int db_index;
    char redacted[96];
};

ParameterizedTestParameters(url, parses_valid_urls)
{
    static struct url_ok_case cases[] = {
        {"http://example.com", "http", NUL_FIELD, NUL_FIELD, "example.com", 80, 0, "/", NUL_FIELD,
         0, "http://example.com"},
        {"http://127.0.0.1:8000/health/", "http", NUL_FIELD, NUL_FIELD, "127.0.0.1", 8000, 0,
         "/health/", NUL_FIELD, 0, "http://127.0.0.1:8000/health/"},
        {"https://h/x?y=1&z=%20", "https", NUL_FIELD, NUL_FIELD, "h", 443, 0, "/x?y=1&z=%20",
         NUL_FIELD, 0, "https://h/x?y=1&z=%20"},
        {"HTTP://h?x=1", "http", NUL_FIELD, NUL_FIELD, "h", 80, 0, "/?x=1", NUL_FIELD, 0,
         "HTTP://h?x=1"},
        {"http://h/@me", "http", NUL_FIELD, NUL_FIELD, "h", 80, 0, "/@me", NUL_FIELD, 0,
         "http://h/@me"},
        {"http://u:p%40ss@h/", "http", "u", "p@ss", "h", 80, 0, "/", NUL_FIELD, 0,
         "http://u:***@h/"},
        {"http://u:p@ss@h/", "http", "u", "p@ss", "h", 80, 0, "/", NUL_FIELD, 0, "http://u:***@h/"},
        {"http://user:pa:ss@h", "http", "user", "pa:ss", "h", 80, 0, "/", NUL_FIELD, 0,
         "http://user:***@h"},
        {"http://us%65r@h", "http", "user", NUL_FIELD, "h", 80, 0, "/", NUL_FIELD, 0,
         "http://us%65r@h"},
        {"http://[::1]:8080/x", "http", NUL_FIELD, NUL_FIELD, "::1", 8080, 1, "/x", NUL_FIELD, 0,
         "http://[::1]:8080/x"},
        {"https://[2001:db8::1]", "https", NUL_FIELD, NUL_FIELD, "2001:db8::1", 443, 1, "/",
         NUL_FIELD, 0, "https://[2001:db8::1]"},
        {"http://my_svc.local-1:1/", "http", NUL_FIELD, NUL_FIELD, "my_svc.local-1", 1, 0, "/",
         NUL_FIELD, 0, "http://my_svc.local-1:1/"},
        {"http://h:65535", "http", NUL_FIELD, NUL_FIELD, "h", 65535, 0, "/", NUL_FIELD, 0,
         "http://h:65535"},
        {"tcp://db:5432", "tcp", NUL_FIELD, NUL_FIELD, "db", 5432, 0, NUL_FIELD, NUL_FIELD, 0,
         "tcp://db:5432"},
        {"TCP://[::1]:22/", "tcp", NUL_FIELD, NUL_FIELD, "::1", 22, 1, NUL_FIELD, NUL_FIELD, 0,
         "TCP://[::1]:22/"},
        {"mysql://probe:secret@127.0.0.1:3306/app", "mysql", "probe", "secret", "127.0.0.1", 3306,
         0, NUL_FIELD, "app", 0, "mysql://probe:***@127.0.0.1:3306/app"},
        {"mysql://root@db", "mysql", "root", NUL_FIELD, "db", 3306, 0, NUL_FIELD, NUL_FIELD, 0,
         "mysql://root@db"},
        {"MySQL://db/", "mysql", NUL_FIELD, NUL_FIELD, "db", 3306, 0, NUL_FIELD, NUL_FIELD, 0,
         "MySQL://db/"},
        {"mysql://u:@db/app", "mysql", "u", "", "db", 3306, 0, NUL_FIELD, "app", 0,
         "mysql://u:***@db/app"},
        {"mysql://u:p@db:3307/my%2Ddb", "mysql", "u", "p", "db", 3307, 0, NUL_FIELD, "my-db", 0,
         "mysql://u:***@db:3307/my%2Ddb"},
        {"mysql://u:p%2F%3F%23%25@db/app", "mysql", "u", "p/?#%", "db", 3306, 0, NUL_FIELD, "app",
         0, "mysql://u:***@db/app"},
        {"redis://:pass@h:6379/0", "redis", NUL_FIELD, "pass", "h", 6379, 0, NUL_FIELD, NUL_FIELD,
         0, "redis://:***@h:6379/0"},
        {"redis://user:pass@h/3", "redis", "user", "pass", "h", 6379, 0, NUL_FIELD, NUL_FIELD, 3,
         "redis://user:***@h/3"},
        {"redis://h", "redis", NUL_FIELD, NUL_FIELD, "h", 6379, 0, NUL_FIELD, NUL_FIELD, 0,
         "redis://h"},
        {"redis://h/", "redis", NUL_FIELD, NUL_FIELD, "h", 6379, 0, NUL_FIELD, NUL_FIELD, 0,
         "redis://h/"},
        {"redis://[::1]:6380/15", "redis", NUL_FIELD, NUL_FIELD, "::1", 6380, 1, NUL_FIELD,
         NUL_FIELD, 15, "redis://[::1]:6380/15"},
        /* gRPC: the path is the service (percent-decoded), none is the server as a whole */
        {"grpc://h", "grpc", NUL_FIELD, NUL_FIELD, "h", 50051, 0, NUL_FIELD, NUL_FIELD, 0,
         "grpc://h"},
        {"grpc://h/", "grpc", NUL_FIELD, NUL_FIELD, "h", 50051, 0, NUL_FIELD, NUL_FIELD, 0,
         "grpc://h/"},
        {"grpcs://h", "grpcs", NUL_FIELD, NUL_FIELD, "h", 443, 0, NUL_FIELD, NUL_FIELD, 0,
         "grpcs://h"},
        {"GRPC://[::1]:9000/my.pkg.Svc", "grpc", NUL_FIELD, NUL_FIELD, "::1", 9000, 1, NUL_FIELD,
         "my.pkg.Svc", 0, "GRPC://[::1]:9000/my.pkg.Svc"},
        {"grpcs://h:8443/a%20b%2Fc", "grpcs", NUL_FIELD, NUL_FIELD, "h", 8443, 0, NUL_FIELD,
         "a b/c", 0, "grpcs://h:8443/a%20b%2Fc"},
        {"rediss://:pw@master.abc.cache.amazonaws.com:6379", "rediss", NUL_FIELD, "pw",
         "master.abc.cache.amazonaws.com", 6379, 0, NUL_FIELD, NUL_FIELD, 0,
         "rediss://:***@master.abc.cache.amazonaws.com:6379"},
        {"rediss://app:pw@h/2", "rediss", "app", "pw", "h", 6379, 0, NUL_FIELD, NUL_FIELD, 2,
         "rediss://app:***@h/2"},
        {"REDISS://[::1]", "rediss", NUL_FIELD, NUL_FIELD, "::1", 6379, 1, NUL_FIELD, NUL_FIELD, 0,
         "REDISS://[::1]"},
    };
    return cr_make_param_array(struct url_ok_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct url_ok_case *c, url, parses_valid_urls)
{
    char err[ERRLEN] = "";
    struct url u;

    cr_assert_eq(url_parse(c->in, &u, err, sizeof(err)), 0, "%s: %s", c->in, err);
    cr_assert_str_eq(u.scheme->name, c->scheme, "%s", c->in);
    cr_assert_str_eq(or_null(u.user), c->user, "%s", c->in);
    cr_assert_str_eq(or_null(u.pass), c->pass, "%s", c->in);
    cr_assert_str_eq(u.host, c->host, "%s", c->in);
    cr_assert_eq(u.port, c->port, "%s", c->in);
    cr_assert_eq(u.host_is_v6, c->v6, "%s", c->in);
    cr_assert_str_eq(or_null(u.path), c->path, "%s", c->in);
    cr_assert_str_eq(or_null(u.db), c->db, "%s", c->in);
    cr_assert_eq(u.db_index, c->db_index, "%s", c->in);
    cr_assert_str_eq(u.redacted, c->redacted, "%s", c->in);
    url_free(&u);
}

Test(url, ipv6_host_keeps_port)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("http://[fe80::1:2]:9000/h", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(u.host, "fe80::1:2");
    cr_assert_eq(u.host_is_v6, 1);
    cr_assert_eq(u.port, 9000);
    url_free(&u);
}

Test(url, mysql_options_are_decoded)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("mysql://u:p@db/app?query=SELECT%201+1&ssl-mode=verify-ca&ssl-ca=/"
                           "etc/ca%20bundle.pem",
                           &u, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(url_opt(&u, "query"), "SELECT 1+1", "'+' stays '+'");
    cr_assert_str_eq(url_opt(&u, "ssl-mode"), "verify-ca");
    cr_assert_str_eq(url_opt(&u, "ssl-ca"), "/etc/ca bundle.pem");
    cr_assert_null(u.socket);
    cr_assert_str_eq(u.db, "app");
    cr_assert_str_eq(u.redacted,
                     "mysql://u:***@db/app?query=SELECT%201+1&ssl-mode=verify-ca&ssl-ca=/"
                     "etc/ca%20bundle.pem");
    url_free(&u);
}

Test(url, mysql_query_may_hold_at_signs)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("mysql://u:p@db?query=SELECT%20@@read_only", &u, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(url_opt(&u, "query"), "SELECT @@read_only");
    cr_assert_str_eq(u.pass, "p");
    cr_assert_str_eq(u.redacted, "mysql://u:***@db?query=SELECT%20@@read_only");
    url_free(&u);
}

struct ssl_mode_case {
    char value[24];
    char mode[24]; /* as stored: the option's own spelling */
};

ParameterizedTestParameters(url, mysql_ssl_modes)
{
    static struct ssl_mode_case cases[] = {
        {"disabled", "disabled"},
        {"preferred", "preferred"},
        {"required", "required"},
        {"verify-ca", "verify-ca"},
        {"verify-identity", "verify-identity"},
        {"REQUIRED", "required"},
    };
    return cr_make_param_array(struct ssl_mode_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ssl_mode_case *c, url, mysql_ssl_modes)
{
    char in[128], err[ERRLEN];
    struct url u;

    snprintf(in, sizeof(in), "mysql://u@db/app?ssl-mode=%s", c->value);
    cr_assert_eq(url_parse(in, &u, err, sizeof(err)), 0, "%s: %s", in, err);
    cr_assert_str_eq(url_opt(&u, "ssl-mode"), c->mode, "%s", in);
    url_free(&u);
}

Test(url, mysql_ssl_mode_defaults_to_default)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("mysql://u@db", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_null(url_opt(&u, "ssl-mode"));
    cr_assert_eq(url_opt_choice(&u, "ssl-mode"), 0);
    cr_assert_null(url_opt(&u, "role"));
    url_free(&u);
}

Test(url, mysql_socket_without_host)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(
        url_parse("mysql://user:pw@/db?socket=/run/mysqld/mysqld.sock", &u, err, sizeof(err)), 0,
        "%s", err);
    cr_assert_str_eq(u.host, "");
    cr_assert_str_eq(u.socket, "/run/mysqld/mysqld.sock");
    cr_assert_str_eq(u.db, "db");
    cr_assert_str_eq(u.user, "user");
    cr_assert_str_eq(u.pass, "pw");
    cr_assert_str_eq(u.redacted, "mysql://user:***@/db?socket=/run/mysqld/mysqld.sock");
    url_free(&u);
}

Test(url, mysql_socket_with_localhost)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("mysql://u@localhost?socket=%2Ftmp%2Fm.sock", &u, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(u.host, "localhost");
    cr_assert_str_eq(u.socket, "/tmp/m.sock");
    cr_assert_null(u.db);
    url_free(&u);
}

Test(url, redis_roles)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("redis://h?role=master", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(url_opt(&u, "role"), "master");
    cr_assert_eq(url_opt_choice(&u, "role"), 1);
    url_free(&u);
    cr_assert_eq(url_parse("redis://:pw@h/2?role=replica", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(url_opt(&u, "role"), "replica");
    cr_assert_eq(url_opt_choice(&u, "role"), 2);
    cr_assert_eq(u.db_index, 2);
    cr_assert_str_eq(u.redacted, "redis://:***@h/2?role=replica");
    url_free(&u);
}

Test(url, redis_password_only_has_no_user)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("redis://:p%3Aw@cache", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_null(u.user);
    cr_assert_str_eq(u.pass, "p:w");
    url_free(&u);
}

struct url_bad_case {
    char in[80];
    char why[48];
};

ParameterizedTestParameters(url, rejects_bad_urls)
{
    static struct url_bad_case cases[] = {
        {"", "empty URL"},
        {"ftp://h/", "unknown scheme \"ftp\""},
        {"h:80", "missing scheme"},
        {"://h", "bad scheme"},
        {"http://", "missing host"},
        {"http://:80/", "missing host"},
        {"http://u:p@/", "missing host"},
        {"http://h:99999/", "bad port \"99999\""},
        {"http://h:0/", "bad port \"0\""},
        {"http://h:/", "bad port \"\""},
        {"http://h:8o/", "bad port"},
        {"http://h:-1/", "bad port"},
        {"tcp://h", "missing port"},
        {"tcp://h:1/x", "no path or options"},
        {"tcp://h:1?x=1", "no path or options"},
        {"tcp://u:p@h:1", "no user or password"},
        {"memcached://u:pw@h", "a memcached URL takes no user or password"},
        {"memcached://u@h", "a memcached URL takes no user or password"},
        {"memcached://:pw@h:11211", "a memcached URL takes no user or password"},
        {"memcached://h/0", "a memcached URL takes no path or options"},
        {"memcached://h:11211/cache", "a memcached URL takes no path or options"},
        {"memcached://h?timeout=1", "a memcached URL takes no path or options"},
        {"memcached://", "missing host"},
        {"memcached://h:0", "bad port \"0\""},
        {"memcached://h:65536", "bad port \"65536\""},
        {"memcached://[::1", "\"]\""},
        {"memcached://::1", "brackets"},
        {"memcache://h", "unknown scheme \"memcache\""},
        {"http://h /x", "space"},
        {"http://h/\tx", "control"},
        {"http://h/x\x7f", "control"},
        {"http://h/#frag", "\"#\""},
        {"http://::1/", "brackets"},
        {"http://[::1/", "\"]\""},
        {"http://[::g]/", "bad IPv6 address \"::g\""},
        {"http://[]/", "bad IPv6"},
        {"http://[::1]x/", "after \"]\""},
        {"http://h!/", "bad host \"h!\""},
        {"http://@h/", "missing user"},
        {"http://:p@h/", "missing user"},
        {"http://u%zz@h/", "bad percent-escape in user"},
        {"http://u%00@h/", "bad percent-escape in user"},
        {"http://u:p%4@h/", "bad percent-escape in password"},
        {"mysql://u:p@h/db?foo=1", "unknown mysql option \"foo\""},
        {"grpc://u:p@h", "a grpc URL takes no user or password"},
        {"grpc://h/a/b", "bad service name (it contains \"/\")"},
        {"grpc://h/a%zz", "bad percent-escape in service"},
        {"grpc://h/a%00", "bad percent-escape in service"},
        {"grpc://h/svc?x=1", "unknown grpc option \"x\""},
        {"grpcs://h:0/", "bad port \"0\""},
        {"mysql://u:p@h/db?ssl-mode=sometimes", "bad ssl-mode \"sometimes\""},
        {"mysql://u:p@h/db?query=", "mysql option \"query\" needs a value"},
        {"mysql://u:p@h/db?socket", "mysql option \"socket\" needs a value"},
        {"mysql://u:p@h/db?query=1&&socket=/s", "empty mysql option"},
        {"mysql://u:p@h/db?query=1&", "empty mysql option"},
        {"postgres://u:p@h/db?sslmode=always", "bad sslmode \"always\" (disable, allow, prefer"},
        {"postgres://u:p@h/db?role=master", "bad role \"master\" (primary or standby)"},
        {"postgres://u:p@h/db?ssl-mode=require", "unknown postgres option \"ssl-mode\""},
        {"postgres://u:p@h/db?socket=/run/pg", "with socket= the host must be empty"},
        {"postgresql://:p@h/db", "missing user"},
        {"postgres://u:p@h/a/b", "bad database name"},
        {"postgres://u:p@h/db?query=", "postgres option \"query\" needs a value"},
        {"mysql://u:p@h/db?query=1&query=2", "given twice"},
        {"mysql://u:p@h/db?query=%zz", "bad percent-escape in query"},
        {"mysql://u:p@/db", "missing host"},
        {"mysql://u:p@db/x?socket=/s", "host must be empty or localhost"},
        {"mysql://u:p@h/a/b", "bad database name"},
        {"mysql://u:p@h/d%zz", "bad percent-escape in database"},
        {"mysql://:p@h/", "missing user"},
        {"redis://pass@h", "needs a ':'"},
        {"redis://:@h", "empty redis password"},
        {"redis://h/-1", "bad redis db \"-1\""},
        {"redis://h/x", "bad redis db \"x\""},
        {"redis://h/9999999999", "bad redis db"},
        {"redis://h/1?role=boss", "bad role \"boss\""},
        {"redis://h?db=1", "unknown redis option \"db\""},
        {"redis://h?role=master&role=replica", "given twice"},
        {"rediss://pass@h", "needs a ':'"},
        {"rediss://h/x", "bad redis db \"x\""},
        {"rediss://h?tls=1", "unknown redis option \"tls\""},
        {"redis://:pa/ss@h", "\"@\" after the host"},
        {"mysql://u:pa/ss@h/db", "\"@\" after the host"},
    };
    return cr_make_param_array(struct url_bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct url_bad_case *c, url, rejects_bad_urls)
{
    char err[ERRLEN] = "";
    struct url u;

    cr_assert_eq(url_parse(c->in, &u, err, sizeof(err)), -1, "\"%s\" was accepted", c->in);
    cr_assert(strstr(err, c->why), "\"%s\": got \"%s\", want \"%s\"", c->in, err, c->why);
    cr_assert_null(u.host, "not zeroed after an error");
    cr_assert_null(u.redacted, "not zeroed after an error");
}

/* The password is S3cr3tPw; where a case writes it with an unescaped '/', '?', '#' or space it
 * is split into "S3cr" and "3tPw", and neither half may show either. */
struct leak_case {
    char in[80];
};

ParameterizedTestParameters(url, errors_never_contain_the_password)
{
    static struct leak_case cases[] = {
        {"ftp://u:S3cr3tPw@h/"},
        {"http://u:S3cr3tPw@h:99999/"},
        {"http://u:S3cr3tPw@h:abc/"},
        {"http://u:S3cr3tPw@/"},
        {"http://u:S3cr3tPw@h!/"},
        {"http://u:S3cr3tPw@[::g]/"},
        {"http://u:S3cr3tPw@::1/"},
        {"http://u:S3cr3tPw@h/#x"},
        {"http://u:S3cr3tPw%zz@h/"},
        {"http://u:S3cr3tPw@h/ x"},
        {"http://u:S3cr3tPw@h\x01/"},
        {"http://u:S3cr 3tPw@h/"},
        {"http://u:S3cr#3tPw@h/"},
        {"http://u:S3cr/3tPw@h/"},
        {"http://u:S3cr?3tPw@h/"},
        {"https://u:S3cr3tPw@h:443x/"},
        {"tcp://u:S3cr3tPw@h:1"},
        {"tcp://u:S3cr/3tPw@h:1"},
        {"mysql://u:S3cr3tPw@h/db?foo=1"},
        {"mysql://u:S3cr3tPw@h/db?ssl-mode=bad"},
        {"mysql://u:S3cr3tPw@h/a/b"},
        {"mysql://u:S3cr3tPw@h/db?query="},
        {"mysql://u:S3cr3tPw@db/x?socket=/s"},
        {"mysql://u:S3cr3tPw@/db"},
        {"mysql://u:S3cr3tPw@h:70000/db"},
        {"mysql://u:S3cr/3tPw@h/db"},
        {"mysql://u:S3cr?3tPw@h/db"},
        {"mysql://u:S3cr?a=3tPw@h/db"},
        {"mysql://u:4242?3tPw@h"},
        {"redis://S3cr3tPw@h"},
        {"redis://:S3cr3tPw@h/x"},
        {"redis://:S3cr3tPw@h/0?role=boss"},
        {"redis://:S3cr3tPw@h/0?x=1"},
        {"rediss://:S3cr3tPw@h/0?role=boss"},
        {"redis://:S3cr/3tPw@h"},
        {"redis://:S3cr?3tPw@h"},
        {"redis://u:S3cr3tPw@h:0"},
        {"u:S3cr3tPw@h"},
        {"u:S3cr3tPw@h://x"},
    };
    return cr_make_param_array(struct leak_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct leak_case *c, url, errors_never_contain_the_password)
{
    char err[ERRLEN] = "", raw[256];
    struct url u;

    cr_assert_eq(url_parse(c->in, &u, err, sizeof(err)), -1, "\"%s\" was accepted", c->in);
    cr_assert_neq(err[0], '\0', "no message for %s", c->in);
    cr_assert_null(strstr(err, "S3cr"), "%s: %s", c->in, err);
    cr_assert_null(strstr(err, "3tPw"), "%s: %s", c->in, err);
    url_redact_raw(c->in, raw, sizeof(raw));
    cr_assert_null(strstr(raw, "S3cr"), "%s: %s", c->in, raw);
    cr_assert_null(strstr(raw, "3tPw"), "%s: %s", c->in, raw);
}

struct raw_case {
    char in[64];
    char out[64];
};

ParameterizedTestParameters(url, redact_raw_hides_passwords_in_malformed_urls)
{
    static struct raw_case cases[] = {
        {"mysql://u:pw@h:99999/db", "mysql://u:***@h:99999/db"},
        {"mysql://u:pa/ss@h/db", "mysql://u:***@h/db"},
        {"redis://:pw@h", "redis://:***@h"},
        {"redis://pw@h", "redis://***@h"},
        {"REDIS://pw@h", "REDIS://***@h"},
        {"mysql://root@h", "mysql://root@h"},
        {"http://h/no-userinfo", "http://h/no-userinfo"},
        {"u:pw@h", "u:***@h"},
        {"http://u:p w@h\n", "http://u:***@h?"},
        /* no '@': a "port" that is not a number may be a password whose host was forgotten */
        {"redis://:pw", "redis://:***"},
        {"mysql://u:pw/db", "mysql://u:***/db"},
        {"http://[::1]:pw/x", "http://[::1]:***/x"},
        {"http://h:8080/%zz", "http://h:8080/%zz"},
        {"http://[::1]:80/", "http://[::1]:80/"},
        {"tcp://h", "tcp://h"},
        {"", ""},
    };
    return cr_make_param_array(struct raw_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct raw_case *c, url, redact_raw_hides_passwords_in_malformed_urls)
{
    char out[128];

    url_redact_raw(c->in, out, sizeof(out));
    cr_assert_str_eq(out, c->out);
}

Test(url, redact_raw_cuts_to_the_buffer)
{
    char *out = malloc(12); /* exact size, so ASan sees any overflow */

    cr_assert_not_null(out);
    url_redact_raw("mysql://user:secret@host/db", out, 12);
    cr_assert_str_eq(out, "mysql://use");
    url_redact_raw("mysql://u:secret@host/db", out, 12);
    cr_assert_str_eq(out, "mysql://u:*");
    url_redact_raw(NULL, out, 12);
    cr_assert_str_eq(out, "");
    free(out);
}

Test(url, redact_raw_matches_parsed_redaction)
{
    const char *in = "mysql://probe:pw@127.0.0.1:3306/app?ssl-mode=required";
    char err[ERRLEN], raw[128];
    struct url u;

    cr_assert_eq(url_parse(in, &u, err, sizeof(err)), 0, "%s", err);
    url_redact_raw(in, raw, sizeof(raw));
    cr_assert_str_eq(raw, u.redacted);
    url_free(&u);
}

Test(url, free_is_idempotent)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("redis://:pw@h", &u, err, sizeof(err)), 0, "%s", err);
    url_free(&u);
    cr_assert_null(u.pass);
    cr_assert_null(u.redacted);
    url_free(&u);
    url_free(NULL);
}

/* One name per kind: https is the http kind over TLS. */
Test(url, schemes_map_to_one_kind_each)
{
    static const char *const cases[][3] = {
        {"http://h/", "http", "http"},
        {"https://h/", "https", "http"},
        {"tcp://h:1", "tcp", "tcp"},
        {"mysql://u@h", "mysql", "mysql"},
        {"redis://h", "redis", "redis"},
        {"postgres://h", "postgres", "postgres"},
        {"postgresql://h", "postgresql", "postgres"},
        {"rediss://h", "rediss", "redis"},
    };
    char err[ERRLEN];
    struct url u;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(url_parse(cases[i][0], &u, err, sizeof(err)), 0, "%s", err);
        cr_assert_str_eq(u.scheme->name, cases[i][1]);
        cr_assert_str_eq(u.kind->name, cases[i][2]);
        cr_assert_eq(u.scheme->tls,
                     strcmp(cases[i][1], "https") == 0 || strcmp(cases[i][1], "rediss") == 0, "%s",
                     cases[i][0]);
        url_free(&u);
    }
}

/* grpc:// is h2c on gRPC's customary 50051; grpcs:// is TLS on 443, where a load balancer or an
 * ingress in front of a gRPC service listens. */
Test(url, grpc_schemes_default_ports_and_tls)
{
    static const struct {
        const char *in;
        int port, tls;
    } cases[] = {{"grpc://h", 50051, 0}, {"grpcs://h", 443, 1}, {"grpcs://h:50052", 50052, 1}};
    char err[ERRLEN];
    struct url u;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(url_parse(cases[i].in, &u, err, sizeof(err)), 0, "%s", err);
        cr_assert_str_eq(u.kind->name, "grpc");
        cr_assert_eq(u.port, cases[i].port, "%s", cases[i].in);
        cr_assert_eq(u.scheme->tls, cases[i].tls, "%s", cases[i].in);
        url_free(&u);
    }
}

Test(url, grpc_service_name_is_bounded)
{
    char in[1200], err[ERRLEN];
    struct url u;

    snprintf(in, sizeof(in), "grpc://h/%01100d", 0);
    cr_assert_eq(url_parse(in, &u, err, sizeof(err)), -1);
    cr_assert(strstr(err, "service name longer than 1024 bytes"), "%s", err);
    snprintf(in, sizeof(in), "grpc://h/%01024d", 0);
    cr_assert_eq(url_parse(in, &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(strlen(u.db), 1024);
    url_free(&u);
}

Test(url, config_key_overrides_the_url_option)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("mysql://u@h/app?query=SELECT%201", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(url_opt_set(&u, "query", "SELECT 2", err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(url_opt(&u, "query"), "SELECT 2");
    cr_assert_eq(u.nopts, 1);
    url_free(&u);
    cr_assert_eq(url_parse("http://h/", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(url_opt_set(&u, "query", "SELECT 2", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "query: http checks take no such option");
    url_free(&u);
}

Test(url, postgres_options_are_decoded)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("postgresql://app:p%40ss@db.internal/my%20db?sslmode=Verify-Full&"
                           "sslrootcert=/ca.pem&query=SELECT%20count(*)%20FROM%20t&role=standby",
                           &u, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(u.kind->name, "postgres");
    cr_assert_str_eq(u.scheme->name, "postgresql");
    cr_assert_eq(u.port, 5432);
    cr_assert_str_eq(u.user, "app");
    cr_assert_str_eq(u.pass, "p@ss");
    cr_assert_str_eq(u.db, "my db");
    cr_assert_str_eq(url_opt(&u, "sslmode"), "verify-full");
    cr_assert_eq(url_opt_choice(&u, "sslmode"), 6);
    cr_assert_str_eq(url_opt(&u, "sslrootcert"), "/ca.pem");
    cr_assert_str_eq(url_opt(&u, "query"), "SELECT count(*) FROM t");
    cr_assert_eq(url_opt_choice(&u, "role"), 2);
    cr_assert_str_eq(u.redacted,
                     "postgresql://app:***@db.internal/my%20db?sslmode=Verify-Full&"
                     "sslrootcert=/ca.pem&query=SELECT%20count(*)%20FROM%20t&role=standby");
    url_free(&u);
}

Test(url, postgres_defaults_and_socket)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("postgres://h", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(u.port, 5432);
    cr_assert_null(u.user);
    cr_assert_null(u.db);
    cr_assert_eq(url_opt_choice(&u, "sslmode"), 0);
    cr_assert_eq(url_opt_choice(&u, "role"), 0);
    url_free(&u);
    cr_assert_eq(
        url_parse("postgres://app:pw@:6432/app?socket=/run/postgresql", &u, err, sizeof(err)), 0,
        "%s", err);
    cr_assert_str_eq(u.socket, "/run/postgresql");
    cr_assert_str_eq(u.host, "");
    cr_assert_eq(u.port, 6432);
    url_free(&u);
    cr_assert_eq(url_parse("postgres://app@[::1]:5433", &u, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(u.host, "::1");
    cr_assert_eq(u.port, 5433);
    url_free(&u);
}

Test(url, postgres_role_from_a_config_key)
{
    char err[ERRLEN];
    struct url u;

    cr_assert_eq(url_parse("postgres://u:pw@h/app?role=primary", &u, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(url_opt_set(&u, "role", "standby", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(url_opt_choice(&u, "role"), 2);
    cr_assert_eq(url_opt_set(&u, "role", "leader", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "bad role \"leader\" (primary or standby)");
    cr_assert_eq(url_opt_set(&u, "sslmode", "disable", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "sslmode: postgres checks take no such option");
    url_free(&u);
}

Test(url, too_long_url_is_an_error)
{
    static char in[10000];
    char err[ERRLEN];
    struct url u;

    memcpy(in, "http://h/", 9);
    memset(in + 9, 'a', sizeof(in) - 10);
    cr_assert_eq(url_parse(in, &u, err, sizeof(err)), -1);
    cr_assert(strstr(err, "longer than"), "%s", err);
}

/* ---- memcached:// ---- */

struct url_mc_case {
    char in[64];
    char host[24];
    int port;
    int v6;
    char redacted[64];
};

ParameterizedTestParameters(url, parses_memcached_urls)
{
    static struct url_mc_case cases[] = {
        {"memcached://h", "h", 11211, 0, "memcached://h"},
        {"memcached://h/", "h", 11211, 0, "memcached://h/"},
        {"MEMCACHED://cache.internal:11212", "cache.internal", 11212, 0,
         "MEMCACHED://cache.internal:11212"},
        {"memcached://127.0.0.1", "127.0.0.1", 11211, 0, "memcached://127.0.0.1"},
        {"memcached://[::1]", "::1", 11211, 1, "memcached://[::1]"},
        {"memcached://[2001:db8::5]:1", "2001:db8::5", 1, 1, "memcached://[2001:db8::5]:1"},
    };
    return cr_make_param_array(struct url_mc_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct url_mc_case *c, url, parses_memcached_urls)
{
    char err[ERRLEN] = "";
    struct url u;

    cr_assert_eq(url_parse(c->in, &u, err, sizeof(err)), 0, "%s: %s", c->in, err);
    cr_assert_str_eq(u.kind->name, "memcached", "%s", c->in);
    cr_assert_str_eq(u.scheme->name, "memcached", "%s", c->in);
    cr_assert_eq(u.scheme->tls, 0, "%s", c->in);
    cr_assert_null(u.user, "%s", c->in);
    cr_assert_null(u.pass, "%s", c->in);
    cr_assert_str_eq(u.host, c->host, "%s", c->in);
    cr_assert_eq(u.port, c->port, "%s", c->in);
    cr_assert_eq(u.host_is_v6, c->v6, "%s", c->in);
    cr_assert_null(u.db, "%s", c->in);
    cr_assert_eq(u.nopts, 0, "%s", c->in);
    cr_assert_str_eq(u.redacted, c->redacted, "%s", c->in);
    url_free(&u);
}

/* memcached takes no userinfo, so whatever stands before the '@' may be a password. */
Test(url, memcached_refused_userinfo_is_hidden_whole)
{
    char out[128];

    url_redact_raw("memcached://Sekr1t@h", out, sizeof(out));
    cr_assert_str_eq(out, "memcached://***@h");
    url_redact_raw("memcached://u:Sekr1t@h:11211", out, sizeof(out));
    cr_assert_str_eq(out, "memcached://u:***@h:11211");
    url_redact_raw("tcp://Sekr1t@h:1", out, sizeof(out));
    cr_assert_str_eq(out, "tcp://***@h:1");
    url_redact_raw("memcached://h:11211", out, sizeof(out));
    cr_assert_str_eq(out, "memcached://h:11211");
}
