#include "outcome.h"

#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "suites.h"

int outcome_exit_code(const struct tunnel_result *r, unsigned kimeout,
                      char *msg, size_t len)
{
	switch (r->status) {
	case TUNNEL_DONE:
		return EXIT_TLS_OK;
	case TUNNEL_ERR_RING:
	case TUNNEL_ERR_IO:
		snprintf(msg, len, "unable to %s: %s", r->what,
		         strerror(-r->err));
		return EXIT_TLS_SYS;
	case TUNNEL_ERR_TLS:
		snprintf(msg, len, "TLS error: %s", tls_strerror(r->err));
		break;
	case TUNNEL_ERR_TIMEOUT:
		snprintf(msg, len, "handshake timed out after %u ms", kimeout);
		break;
	case TUNNEL_ERR_EOF_HANDSHAKE:
		snprintf(msg, len,
		         "peer closed the connection during the handshake");
		break;
	case TUNNEL_ERR_TRUNCATED:
		snprintf(msg, len,
		         "peer closed the connection in the middle "
		         "of a record");
		break;
	case TUNNEL_ERR_NO_CLOSE_NOTIFY:
		snprintf(msg, len,
		         "peer closed the connection without "
		         "sending close_notify (-J)");
		break;
	case TUNNEL_ERR_UNSENT:
		snprintf(msg, len,
		         "peer closed the TLS session before %d bytes from "
		         "the app could be sent",
		         r->err);
		break;
	}
	return EXIT_TLS_RUN;
}
