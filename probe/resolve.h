/* Host names resolved on the loop (c-ares), so no library ever calls getaddrinfo on a name. */
#ifndef PROBE_RESOLVE_H
#define PROBE_RESOLVE_H

#include "check.h"

/* Fills c->addrs for the target's host, then calls c->ops->start(c); on failure the check is
 * done with the reason. A numeric host is filled at once without touching the resolver. */
void resolve_start(struct check *c);
/* Forgets c's query (its answer, if it comes, is dropped). */
void resolve_cancel(struct check *c);
/* Frees the run's resolver. */
void resolve_free(struct run *r);

#endif
