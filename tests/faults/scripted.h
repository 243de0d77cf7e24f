/* Scripted TCP peers for the protocol fault tests: a thread of the test process accepts on
 * 127.0.0.1 (free port) and hands each connection to a callback, one after another. */
#ifndef PROBE_TESTS_SCRIPTED_H
#define PROBE_TESTS_SCRIPTED_H

#include <stddef.h>

/* One accepted connection plus what has been read from it and not consumed yet. */
struct scr_conn {
    int fd;
    unsigned char buf[8192];
    size_t len;
};

typedef void (*scr_serve_fn)(struct scr_conn *c, const void *arg);

/* Starts the peer; returns its port. serve runs per connection; the fd is closed after it. */
int scr_server(scr_serve_fn serve, const void *arg);

/* Writes all of data; 0 or -1. */
int scr_write(struct scr_conn *c, const void *data, size_t len);
/* Waits until the client closes (or ms pass), discarding what it sends. */
void scr_hold(struct scr_conn *c, int ms);

/* Reads the next RESP command (an array of bulk strings, or an inline line) within ms and
 * copies its first word, upper-cased, into name. 0, or -1 on EOF/timeout/bad input. */
int scr_resp_command(struct scr_conn *c, char *name, size_t len, int ms);

/* Writes a MySQL packet with the given sequence id. */
int scr_mysql_packet(struct scr_conn *c, unsigned seq, const void *payload, size_t len);
/* Writes a protocol-10 greeting offering mysql_native_password with a 20-byte scramble. */
int scr_mysql_greeting(struct scr_conn *c);
/* The same greeting offering TLS as well (CLIENT_SSL). */
int scr_mysql_greeting_ssl(struct scr_conn *c);
/* Reads one MySQL packet (payload discarded) within ms; its length, or -1. */
long scr_mysql_read_packet(struct scr_conn *c, int ms);

/* Reads a PostgreSQL client's start: an SSLRequest, answered 'N' (no TLS here), then the
 * StartupMessage, within ms. 0, or -1 on EOF/timeout/anything else. */
int scr_pg_startup(struct scr_conn *c, int ms);

#endif
