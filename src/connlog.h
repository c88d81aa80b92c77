/* The one line per connection s6-tlsd-io logs at exit with -v 2: bytes
 * each way, handshake and total time, suite, engine, how it ended. */
#ifndef TLSD_CONNLOG_H
#define TLSD_CONNLOG_H

#include <time.h>

#include "tunnel.h"

struct connlog {
	struct timespec start, handshake;
	const char *suite; /* NULL until the handshake completes */
	int resumed;       /* the handshake resumed a cached session */
};

void connlog_start(struct connlog *c);
void connlog_handshake(struct connlog *c, const char *suite, int resumed);

/* Logs at verbosity >= 2; ending is "ok" or the exit code's reason. */
void connlog_end(const struct connlog *c, const struct tunnel_result *r,
                 const char *engine, int code);

#endif
