/* tcp://host:port — passes when a TCP connection is established. Each address is tried in
 * turn within the one deadline (conn.c). */
#include <stdlib.h>

#include "check.h"
#include "conn.h"

static void
tcp_connected(struct check *c, struct conn *cn)
{
    conn_close(c, cn);
    check_pass(c, "connected");
}

static int
tcp_start(struct check *c)
{
    conn_start(c, c->priv, tcp_connected);
    return 0;
}

static void
tcp_attempt_timeout(struct check *c)
{
    conn_attempt_timeout(c, c->priv);
}

static void
tcp_abort(struct check *c)
{
    if (c->priv != NULL)
        conn_close(c, c->priv);
}

static const struct kind_scheme tcp_schemes[] = {{"tcp", 0, 0}, {NULL, 0, 0}};

const struct kind kind_tcp = {
    .name = "tcp",
    .component_type = "tcp",
    .usage = "tcp://host:port",
    .schemes = tcp_schemes,
    .userinfo = USERINFO_NONE,
    .path = PATH_NONE,
    .state_size = sizeof(struct conn),
    .start = tcp_start,
    .abort = tcp_abort,
    .attempt_timeout = tcp_attempt_timeout,
};
