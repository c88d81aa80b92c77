#include "connlog.h"

#include <inttypes.h>

#include "diag.h"

static double ms_since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

void connlog_start(struct connlog *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	c->suite = NULL;
	c->resumed = 0;
}

void connlog_handshake(struct connlog *c, const char *suite, int resumed)
{
	clock_gettime(CLOCK_MONOTONIC, &c->handshake);
	c->suite = suite;
	c->resumed = resumed;
}

void connlog_end(const struct connlog *c, const struct tunnel_result *r,
                 const char *engine, int code)
{
	struct timespec now;

	if (diag_verbosity() < 2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	info(2,
	     "connection: exit=%d suite=%s engine=%s handshake_ms=%.3f "
	     "total_ms=%.3f net_in=%" PRIu64 " net_out=%" PRIu64
	     " app_in=%" PRIu64 " app_out=%" PRIu64 " resumed=%d",
	     code, c->suite ? c->suite : "none", engine,
	     c->suite ? ms_since(&c->start, &c->handshake) : -1.0,
	     ms_since(&c->start, &now), r->net_bytes_in, r->net_bytes_out,
	     r->app_bytes_in, r->app_bytes_out, c->resumed);
}
