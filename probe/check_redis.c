/*
 * redis:// — hiredis' async API on the loop through its libev adapter. The conversation is
 * data: AUTH (with an ACL user if given), SELECT, ROLE when a role is asked, then PING, all
 * pipelined in one write. The first error reply is the result, with the server's own text;
 * only +PONG passes. hiredis is handed a numeric address, so it never resolves a name.
 */
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libev.h>

#include "buf.h"
#include "check.h"

enum redis_cmd { CMD_AUTH, CMD_SELECT, CMD_ROLE, CMD_PING, CMD_COUNT };

struct redis_state;

/* What a reply callback needs to know: whose reply, to which command. */
struct redis_slot {
    struct redis_state *st;
    enum redis_cmd cmd;
};

struct redis_state {
    redisAsyncContext *ac; /* the live connection; NULL once hiredis or we freed it */
    struct check *c;       /* NULL while we free the context ourselves */
    char last_err[CHECK_MSG_LEN];
    enum check_reason last_reason;
    struct redis_slot slots[CMD_COUNT];
};

/* ?role= values, in the order of redis_roles[]. */
enum redis_role { ROLE_ANY, ROLE_MASTER, ROLE_REPLICA };
static const char *const redis_roles[] = {"master", "replica", NULL};

static int redis_connect_next(struct check *c);

/* Credentials refused, by the command that failed or the error code the server sent. */
static enum check_reason
redis_error_reason(enum redis_cmd cmd, const char *s, size_t n)
{
    if (cmd == CMD_AUTH || (n >= 6 && memcmp(s, "NOAUTH", 6) == 0) ||
        (n >= 9 && memcmp(s, "WRONGPASS", 9) == 0))
        return REASON_AUTH;
    return REASON_SERVER;
}

/* hiredis' error class as a reason; its I/O errors carry only strerror's text. */
static enum check_reason
redis_ctx_reason(int err, const char *errstr)
{
    switch (err) {
    case REDIS_ERR_PROTOCOL:
        return REASON_PROTOCOL;
    case REDIS_ERR_OOM:
        return REASON_RESOURCE;
    case REDIS_ERR_IO:
        if (strstr(errstr, "Too many open files") != NULL ||
            strstr(errstr, "Cannot allocate memory") != NULL)
            return REASON_RESOURCE;
        return REASON_CONNECT;
    default:
        return REASON_CONNECT;
    }
}

/* Judges one reply; a NULL reply means the connection went away (or is being freed). */
static void
redis_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;
    struct redis_slot *slot = privdata;
    struct redis_state *st = slot->st;
    struct check *c;

    /* Replies of a connection we gave up on (freed, or a failed address) are not ours. */
    if (st == NULL || st->c == NULL || ac != st->ac)
        return;
    c = st->c;
    if (c->status != CHECK_PENDING)
        return;
    if (reply == NULL) {
        check_fail(c, redis_ctx_reason(ac->err, ac->errstr), "connection closed: %s",
                   ac->errstr[0] ? ac->errstr : "eof");
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        check_fail(c, redis_error_reason(slot->cmd, reply->str, reply->len), "%.*s",
                   (int)reply->len, reply->str);
        return;
    }
    switch (slot->cmd) {
    case CMD_AUTH:
        check_phase(c, PHASE_RESPONSE);
        return;
    case CMD_SELECT:
        return;
    case CMD_ROLE: {
        int want = url_opt_choice(&c->t->url, "role");
        const char *role;

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
            reply->element[0]->type != REDIS_REPLY_STRING) {
            check_fail(c, REASON_PROTOCOL, "unexpected reply to ROLE");
            return;
        }
        role = reply->element[0]->str;
        if (want == ROLE_MASTER && strcmp(role, "master") != 0) {
            check_fail(c, REASON_STATUS, "role is %s, not master", role);
            return;
        }
        if (want == ROLE_REPLICA) {
            if (strcmp(role, "slave") != 0) {
                check_fail(c, REASON_STATUS, "role is %s, not replica", role);
                return;
            }
            if (reply->elements < 4 || reply->element[3]->type != REDIS_REPLY_STRING ||
                strcmp(reply->element[3]->str, "connected") != 0) {
                check_fail(c, REASON_STATUS, "replica link to master is %s",
                           reply->elements >= 4 && reply->element[3]->str ? reply->element[3]->str
                                                                          : "down");
                return;
            }
        }
        return;
    }
    case CMD_PING:
        if ((reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) &&
            reply->len == 4 && memcmp(reply->str, "PONG", 4) == 0) {
            check_pass(c, "PONG");
            return;
        }
        check_fail(c, REASON_PROTOCOL, "unexpected reply to PING: %.*s",
                   reply->str != NULL ? (int)reply->len : 0, reply->str != NULL ? reply->str : "");
        return;
    case CMD_COUNT:
        break;
    }
}

static void
redis_send(struct redis_state *st, enum redis_cmd cmd, int argc, const char **argv)
{
    size_t lens[3];

    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    st->slots[cmd].st = st;
    st->slots[cmd].cmd = cmd;
    redisAsyncCommandArgv(st->ac, redis_reply_cb, &st->slots[cmd], argc, argv, lens);
}

static void
redis_converse(struct check *c)
{
    struct redis_state *st = c->priv;
    const struct url *u = &c->t->url;
    char db[16];

    if (u->pass != NULL) {
        const char *auth_user[] = {"AUTH", u->user ? u->user : "", u->pass};
        const char *auth[] = {"AUTH", u->pass};

        if (u->user != NULL && u->user[0] != '\0')
            redis_send(st, CMD_AUTH, 3, auth_user);
        else
            redis_send(st, CMD_AUTH, 2, auth);
    }
    if (u->db_index != 0) {
        const char *sel[] = {"SELECT", db};

        snprintf(db, sizeof(db), "%d", u->db_index);
        redis_send(st, CMD_SELECT, 2, sel);
    }
    if (url_opt_choice(u, "role") != ROLE_ANY) {
        const char *role[] = {"ROLE"};

        redis_send(st, CMD_ROLE, 1, role);
    }
    {
        const char *ping[] = {"PING"};

        redis_send(st, CMD_PING, 1, ping);
    }
}

/* hiredis says "Connection refused"; say it the way the other checks do. */
static void
redis_lower_errno_text(char *s)
{
    if (s[0] >= 'A' && s[0] <= 'Z' && strchr(s, ':') == NULL)
        s[0] = (char)(s[0] - 'A' + 'a');
}

static void
redis_connect_cb(const redisAsyncContext *ac, int status)
{
    struct redis_state *st = ac->data;
    struct check *c;

    if (st == NULL || st->c == NULL)
        return;
    c = st->c;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback returns. */
        st->ac = NULL;
        snprintf(st->last_err, sizeof(st->last_err), "%s", ac->errstr);
        st->last_reason = redis_ctx_reason(ac->err, ac->errstr);
        redis_lower_errno_text(st->last_err);
        if (c->status == CHECK_PENDING && c->addr_idx + 1 < c->naddrs) {
            c->addr_idx++;
            redis_connect_next(c);
            return;
        }
        check_fail(c, st->last_reason, "%s", st->last_err);
        return;
    }
    check_attempt_stop(c);
    check_phase(c, c->t->url.pass != NULL ? PHASE_AUTH : PHASE_RESPONSE);
}

static void
redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
    struct redis_state *st = ac->data;

    (void)status;
    if (st == NULL || ac != st->ac)
        return;
    /* hiredis frees the context after this callback returns. */
    st->ac = NULL;
    if (st->c == NULL || st->c->status != CHECK_PENDING)
        return;
    if (ac->err == REDIS_ERR_PROTOCOL) /* not Redis on the other end, or a broken reply */
        check_fail(st->c, REASON_PROTOCOL, "%s", ac->errstr);
    else
        check_fail(st->c, redis_ctx_reason(ac->err, ac->errstr), "connection closed%s%s",
                   ac->errstr[0] ? ": " : "", ac->errstr);
}

static int
redis_connect_next(struct check *c)
{
    struct redis_state *st = c->priv;
    const struct net_addr *a = &c->addrs[c->addr_idx];
    redisAsyncContext *ac;

    check_phase(c, PHASE_CONNECT);
    ac = redisAsyncConnect(a->text, c->t->url.port);
    if (ac == NULL) {
        check_fail(c, REASON_RESOURCE, "out of memory");
        return -1;
    }
    if (ac->err) {
        snprintf(st->last_err, sizeof(st->last_err), "%s", ac->errstr);
        st->last_reason = redis_ctx_reason(ac->err, ac->errstr);
        redis_lower_errno_text(st->last_err);
        redisAsyncFree(ac);
        if (c->addr_idx + 1 < c->naddrs) {
            c->addr_idx++;
            return redis_connect_next(c);
        }
        check_fail(c, st->last_reason, "%s", st->last_err);
        return -1;
    }
    ac->data = st;
    st->ac = ac;
    redisLibevAttach(c->loop, ac);
    redisAsyncSetConnectCallback(ac, redis_connect_cb);
    redisAsyncSetDisconnectCallback(ac, redis_disconnect_cb);
    /* Commands queue until the connection is up; hiredis writes them once it is writable. */
    redis_converse(c);
    check_attempt_arm(c);
    return 0;
}

static int
redis_start(struct check *c)
{
    struct redis_state *st = c->priv;

    st->c = c;
    if (c->naddrs == 0) {
        check_fail(c, REASON_DNS, "no address for %s", c->t->url.host);
        return -1;
    }
    return redis_connect_next(c);
}

/* Called from a loop callback of ours, never from inside hiredis, so freeing here is safe. */
static void
redis_abort(struct check *c)
{
    struct redis_state *st = c->priv;
    redisAsyncContext *ac;

    if (st == NULL || st->ac == NULL)
        return;
    ac = st->ac;
    st->ac = NULL;
    st->c = NULL; /* the callbacks run by the free must not touch the check */
    ac->data = NULL;
    redisAsyncFree(ac);
    st->c = c;
}

/* This address had its share of the deadline: drop its connection, try the next. */
static void
redis_attempt_timeout(struct check *c)
{
    struct redis_state *st = c->priv;

    redis_abort(c);
    snprintf(st->last_err, sizeof(st->last_err), "connection timed out");
    st->last_reason = REASON_CONNECT;
    c->addr_idx++;
    redis_connect_next(c);
}

static void
redis_version(struct buf *out)
{
    buf_addf(out, "hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
}

static const struct kind_scheme redis_schemes[] = {{"redis", 6379, 0}, {NULL, 0, 0}};

static const struct kind_option redis_options[] = {
    {"role", redis_roles, 0},
    {NULL, NULL, 0},
};

const struct kind kind_redis = {
    .name = "redis",
    .component_type = "datastore",
    .usage = "redis://[[user]:pass@]host[:port][/db][?role=master|replica]",
    .schemes = redis_schemes,
    .userinfo = USERINFO_PASSWORD,
    .path = PATH_NUMBER,
    .options = redis_options,
    .version = redis_version,
    .state_size = sizeof(struct redis_state),
    .start = redis_start,
    .abort = redis_abort,
    .attempt_timeout = redis_attempt_timeout,
};
